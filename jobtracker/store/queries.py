"""MongoDB queries of the research interface (``jobtracker.research``); all read-only except
``drop_collections``, which ``jobtracker demo`` uses to empty its own database.

Plain functions over a :class:`pymongo.database.Database` that return iterators or lists of
dicts; the computation (intervals, counts, diffs, DataFrames) lives in ``jobtracker.research``.
Every query here runs on MongoDB 7 and on mongo-java-server (the test server): only ``find``,
``$match`` with regexes, ``$elemMatch``, ``$in``, sorts and projections; no ``$regexMatch``,
``$dateTrunc``, ``$setWindowFields``, ``$text`` or transactions.

Streaming: functions that may touch every posting or version return cursors sorted by posting
id, so callers can merge-join postings with their versions one posting at a time and keep
memory flat. ``$in`` lists are sent in chunks (``CHUNK``) to bound the size of one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from jobtracker.store.connection import POSTINGS, RUNS, VERSIONS, open_database

#: Ids per ``$in`` query.
CHUNK = 500
#: Documents per cursor batch (one round trip); whole documents (texts) come in smaller ones.
BATCH = 2000
TEXT_BATCH = 300

Projection = Mapping[str, Any] | None


def mention_filter(pattern: str, fields: Sequence[str], prefix: str = "snapshot.") -> dict:
    """A ``find`` filter: any of ``fields`` matches the regex ``pattern``, case-insensitively."""
    clauses = [{f"{prefix}{name}": {"$regex": pattern, "$options": "i"}} for name in fields]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def observed_bounds(db: Database) -> tuple[datetime | None, datetime | None]:
    """The first ``first_seen_at`` and the last ``last_seen_at`` of all postings (indexed)."""
    first = db[POSTINGS].find_one(
        {"first_seen_at": {"$ne": None}}, {"first_seen_at": 1}, sort=[("first_seen_at", ASCENDING)]
    )
    last = db[POSTINGS].find_one(
        {"last_seen_at": {"$ne": None}}, {"last_seen_at": 1}, sort=[("last_seen_at", DESCENDING)]
    )
    return (first or {}).get("first_seen_at"), (last or {}).get("last_seen_at")


def mentioning_versions(
    db: Database,
    pattern: str,
    fields: Sequence[str],
    *,
    projection: Projection = None,
    seen_before: datetime | None = None,
    sort_by_first_seen: bool = False,
) -> Iterator[dict]:
    """Versions whose snapshot mentions the phrase (the regex runs inside MongoDB).

    Sorted by ``(posting_id, version)``, or by ``(first_seen_at, posting_id, version)``.
    """
    query: dict[str, Any] = mention_filter(pattern, fields)
    if seen_before is not None:
        query = {"$and": [query, {"first_seen_at": {"$lt": seen_before}}]}
    sort = [("posting_id", ASCENDING), ("version", ASCENDING)]
    if sort_by_first_seen:
        sort = [("first_seen_at", ASCENDING), *sort]
    return db[VERSIONS].find(query, projection, sort=sort, batch_size=BATCH)


def _chunks(ids: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in ids:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def versions_of(db: Database, posting_ids: Iterable[str], projection: Projection) -> Iterator[dict]:
    """All versions of the given postings, sorted by ``(posting_id, version)`` overall."""
    for chunk in _chunks(sorted(set(posting_ids))):
        yield from db[VERSIONS].find(
            {"posting_id": {"$in": chunk}},
            projection,
            sort=[("posting_id", ASCENDING), ("version", ASCENDING)],
            batch_size=BATCH,
        )


def postings_by_id(db: Database, ids: Iterable[str], projection: Projection) -> Iterator[dict]:
    """The given postings, sorted by ``_id`` overall."""
    for chunk in _chunks(sorted(set(ids))):
        yield from db[POSTINGS].find(
            {"_id": {"$in": chunk}}, projection, sort=[("_id", ASCENDING)], batch_size=BATCH
        )


def open_between_filter(start: datetime, end: datetime) -> dict:
    """Postings with a span that overlaps ``[start, end)``.

    A closed span ends at its ``to``; a span still open (``to: null``) at the posting's
    ``last_seen_at`` (only the last span can be open).
    """
    return {
        "$or": [
            {"spans": {"$elemMatch": {"from": {"$lt": end}, "to": {"$gte": start}}}},
            {
                "spans": {"$elemMatch": {"from": {"$lt": end}, "to": None}},
                "last_seen_at": {"$gte": start},
            },
        ]
    }


def postings_open_between(
    db: Database, start: datetime, end: datetime, projection: Projection
) -> Iterator[dict]:
    """Postings open at some time in ``[start, end)``, sorted by ``_id``."""
    return db[POSTINGS].find(
        open_between_filter(start, end), projection, sort=[("_id", ASCENDING)], batch_size=BATCH
    )


def versions_seen_before(db: Database, end: datetime, projection: Projection) -> Iterator[dict]:
    """Every version first seen before ``end``, sorted by ``(posting_id, version)`` (streamed)."""
    return db[VERSIONS].find(
        {"first_seen_at": {"$lt": end}},
        projection,
        sort=[("posting_id", ASCENDING), ("version", ASCENDING)],
        batch_size=BATCH,
    )


def find_postings(db: Database, key: str) -> list[dict]:
    """The posting whose ``_id`` is ``key``, else the postings whose ``source_id`` is ``key``."""
    doc = db[POSTINGS].find_one({"_id": key})
    if doc is not None:
        return [doc]
    return list(db[POSTINGS].find({"source_id": key}).limit(5))


def versions_of_posting(db: Database, posting_id: str) -> list[dict]:
    """All versions of one posting (full snapshots), in version order."""
    return list(db[VERSIONS].find({"posting_id": posting_id}, sort=[("version", ASCENDING)]))


def recent_runs(
    db: Database,
    *,
    limit: int | None = 20,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict]:
    """``crawl_runs`` documents, most recent start first."""
    query: dict[str, Any] = {}
    if since is not None or until is not None:
        query["started_at"] = {}
        if since is not None:
            query["started_at"]["$gte"] = since
        if until is not None:
            query["started_at"]["$lt"] = until
    cursor = db[RUNS].find(query, sort=[("started_at", DESCENDING)])
    if limit:
        cursor = cursor.limit(limit)
    return list(cursor)


def get_run(db: Database, run_id: str) -> dict | None:
    """One ``crawl_runs`` document."""
    return db[RUNS].find_one({"_id": run_id})


def has_data(db: Database) -> bool:
    """Whether the database holds any posting or run."""
    return bool(db[POSTINGS].find_one({}, {"_id": 1}) or db[RUNS].find_one({}, {"_id": 1}))


def drop_collections(db: Database) -> None:
    """Drop ``postings``, ``posting_versions`` and ``crawl_runs`` (the demo's reset)."""
    for name in (POSTINGS, VERSIONS, RUNS):
        db.drop_collection(name)


def iter_postings(
    db: Database, projection: Projection = None, query: Mapping[str, Any] | None = None
) -> Iterator[dict]:
    """Postings sorted by ``_id`` (streamed)."""
    return db[POSTINGS].find(
        dict(query or {}), projection, sort=[("_id", ASCENDING)], batch_size=TEXT_BATCH
    )


def iter_versions(db: Database, projection: Projection = None) -> Iterator[dict]:
    """Versions sorted by ``(posting_id, version)`` (streamed)."""
    return db[VERSIONS].find(
        {},
        projection,
        sort=[("posting_id", ASCENDING), ("version", ASCENDING)],
        batch_size=TEXT_BATCH,
    )


def iter_runs(db: Database) -> Iterator[dict]:
    """Runs sorted by start time (streamed)."""
    return db[RUNS].find({}, sort=[("started_at", ASCENDING)], batch_size=BATCH)


__all__ = [
    "drop_collections",
    "find_postings",
    "get_run",
    "has_data",
    "iter_postings",
    "iter_runs",
    "iter_versions",
    "mention_filter",
    "mentioning_versions",
    "observed_bounds",
    "open_between_filter",
    "open_database",
    "postings_by_id",
    "postings_open_between",
    "recent_runs",
    "versions_of",
    "versions_of_posting",
    "versions_seen_before",
]
