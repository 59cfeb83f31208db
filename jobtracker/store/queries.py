"""MongoDB queries of the research interface (``jobtracker.research``); all read-only except
``drop_collections``, which ``jobtracker demo`` uses to empty its own database.

Plain functions over a :class:`pymongo.database.Database` that return iterators or lists of
dicts; the computation (intervals, counts, diffs, DataFrames) lives in ``jobtracker.research``.
Every query here runs on MongoDB 7 and on mongo-java-server (the test server): only ``find``,
``$match`` with regexes, ``$elemMatch``, ``$in``, sorts and projections; no ``$regexMatch``,
``$dateTrunc``, ``$setWindowFields``, ``$text`` or transactions.

Phrase regexes are sent as BSON regular expressions (:class:`bson.regex.Regex`, ``{field: /p/i}``
in the shell), not as ``{$regex: p, $options: "i"}`` documents: the same query for MongoDB, but
the test server compiles a ``$regex`` document's pattern again for every value it tests (four
times per version) and a BSON regular expression once per query; over 121,000 versions that was
about 0.4 s of its 1.6 s scan. See docs/research.md, "Performance".

Streaming: functions that may touch every posting or version return cursors sorted by posting
id, so callers can merge-join postings with their versions one posting at a time and keep
memory flat.

Lookups by id (:func:`find_by_ids`) are ``$in`` queries on ``_id`` in chunks of ``CHUNK``:
an index lookup per id on MongoDB and on the test server alike (which checks each document it
finds against the whole list, so long lists cost the square of their length). A version's
``_id`` is ``<posting>@v<n>``, so a posting's versions are looked up by ``_id`` too: the test
server ignores the ``(posting_id, version)`` index, and answers a ``posting_id`` ``$in`` with
a full scan that compares every document with the whole list (a year of history: 24 s for a
trend). See docs/research.md, "Performance".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bson.regex import Regex
from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from jobtracker.store.connection import POSTINGS, RUNS, VERSIONS, open_database

#: Ids per ``$in`` query.
CHUNK = 250
#: Documents per cursor batch (one round trip); whole documents (texts) come in smaller ones.
BATCH = 2000
TEXT_BATCH = 300

Projection = Mapping[str, Any] | None


def mention_filter(pattern: str, fields: Sequence[str], prefix: str = "snapshot.") -> dict:
    """A ``find`` filter: any of ``fields`` matches the regex ``pattern``, case-insensitively.

    One BSON regular expression per field (see the module docstring for why not ``$regex``).
    """
    clauses = [{f"{prefix}{name}": Regex(pattern, "i")} for name in fields]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def observed_bounds(db: Database) -> tuple[datetime | None, datetime | None]:
    """The first ``first_seen_at`` and the last ``last_seen_at`` of all postings (indexed).

    Each is first looked for near the first / last run's start (``crawl_runs.started_at``):
    when a posting lies there the extreme is among those postings, so the server sorts a day's
    postings instead of the whole store (the test server sorts without its indexes); else the
    whole collection is searched.
    """
    runs = db[RUNS]
    first_run = runs.find_one({}, {"started_at": 1}, sort=[("started_at", ASCENDING)])
    last_run = runs.find_one({}, {"started_at": 1}, sort=[("started_at", DESCENDING)])
    near = timedelta(days=1)
    bounds = []
    for name, order, run, guess in (
        ("first_seen_at", ASCENDING, first_run, lambda t: {"$lt": t + near}),
        ("last_seen_at", DESCENDING, last_run, lambda t: {"$gte": t - near}),
    ):
        found = None
        if run is not None and run.get("started_at") is not None:
            found = db[POSTINGS].find_one(
                {name: guess(run["started_at"])}, {name: 1}, sort=[(name, order)]
            )
        if found is None:
            found = db[POSTINGS].find_one({name: {"$ne": None}}, {name: 1}, sort=[(name, order)])
        bounds.append((found or {}).get(name))
    return bounds[0], bounds[1]


def mentioning_versions(
    db: Database,
    pattern: str,
    fields: Sequence[str],
    *,
    projection: Projection = None,
    seen_before: datetime | None = None,
    sort_by_first_seen: bool = False,
    sort: bool = True,
) -> Iterator[dict]:
    """Versions whose snapshot mentions the phrase (the regex runs inside MongoDB).

    Sorted by ``(posting_id, version)``, or by ``(first_seen_at, posting_id, version)``, or
    (``sort=False``) in the server's order.
    """
    query: dict[str, Any] = mention_filter(pattern, fields)
    if seen_before is not None:
        query = {"$and": [query, {"first_seen_at": {"$lt": seen_before}}]}
    order = [("posting_id", ASCENDING), ("version", ASCENDING)]
    if sort_by_first_seen:
        order = [("first_seen_at", ASCENDING), *order]
    return db[VERSIONS].find(query, projection, sort=order if sort else None, batch_size=BATCH)


def _chunks(ids: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in ids:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def find_by_ids(
    db: Database, collection: str, ids: Iterable[str], projection: Projection
) -> Iterator[dict]:
    """The documents of ``collection`` whose ``_id`` is in ``ids``, in no particular order
    (``$in`` on ``_id``, ``CHUNK`` ids per query)."""
    for chunk in _chunks(sorted(set(ids))):
        yield from db[collection].find({"_id": {"$in": chunk}}, projection, batch_size=BATCH)


def version_ids(posting_id: str, versions: int) -> list[str]:
    """The ``_id`` s of versions 1..``versions`` of a posting."""
    return [f"{posting_id}@v{n}" for n in range(1, versions + 1)]


def versions_current_between(
    db: Database, start: datetime, end: datetime, projection: Projection
) -> Iterator[dict]:
    """The versions that may be current on a day in ``[start, end)``, sorted by
    ``(posting_id, version)``: first seen before ``end`` and last seen (superseded, or their
    posting closed) at ``start`` or later, or still current (``last_seen_at`` null). The
    research code looks up by ``_id`` what a store that breaks that rule leaves out."""
    return db[VERSIONS].find(
        {
            "first_seen_at": {"$lt": end},
            "$or": [{"last_seen_at": {"$gte": start}}, {"last_seen_at": None}],
        },
        projection,
        sort=[("posting_id", ASCENDING), ("version", ASCENDING)],
        batch_size=BATCH,
    )


def open_between_filter(start: datetime, end: datetime) -> dict:
    """Postings with a span that overlaps ``[start, end)``.

    A closed span ends at its ``to``; a span still open (``to: null``) at the posting's
    ``last_seen_at`` (only the last span can be open). Every span lies between the posting's
    ``first_seen_at`` and ``last_seen_at``: those bounds let MongoDB use their indexes.
    """
    return {
        "first_seen_at": {"$lt": end},
        "last_seen_at": {"$gte": start},
        "$or": [
            {"spans": {"$elemMatch": {"from": {"$lt": end}, "to": {"$gte": start}}}},
            {
                "spans": {"$elemMatch": {"from": {"$lt": end}, "to": None}},
                "last_seen_at": {"$gte": start},
            },
        ],
    }


def postings_open_between(
    db: Database, start: datetime, end: datetime, projection: Projection
) -> Iterator[dict]:
    """Postings open at some time in ``[start, end)``, sorted by ``_id``."""
    return db[POSTINGS].find(
        open_between_filter(start, end), projection, sort=[("_id", ASCENDING)], batch_size=BATCH
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


def latest_observation(db: Database) -> datetime | None:
    """The latest observation of any posting (``observed_at``, else ``last_seen_at``): the
    watermark of a published file."""
    latest = None
    for name in ("observed_at", "last_seen_at"):
        doc = db[POSTINGS].find_one({name: {"$ne": None}}, {name: 1}, sort=[(name, DESCENDING)])
        if doc is not None and doc.get(name) is not None:
            latest = doc[name] if latest is None else max(latest, doc[name])
    return latest


def postings_observed_since(
    db: Database, moment: datetime, projection: Projection = None
) -> Iterator[dict]:
    """Postings observed (seen, missed, closed) at or after ``moment``, sorted by ``_id``."""
    query = {"$or": [{"observed_at": {"$gte": moment}}, {"last_seen_at": {"$gte": moment}}]}
    return db[POSTINGS].find(query, projection, sort=[("_id", ASCENDING)], batch_size=TEXT_BATCH)


def versions_first_seen_since(
    db: Database, moment: datetime, projection: Projection = None
) -> Iterator[dict]:
    """Versions first seen at or after ``moment`` (indexed), sorted by ``(posting_id, version)``."""
    return db[VERSIONS].find(
        {"first_seen_at": {"$gte": moment}},
        projection,
        sort=[("posting_id", ASCENDING), ("version", ASCENDING)],
        batch_size=TEXT_BATCH,
    )


def versions_of_postings(
    db: Database, posting_ids: Iterable[str], projection: Projection = None
) -> list[dict]:
    """Every version of the given postings."""
    out: list[dict] = []
    for chunk in _chunks(posting_ids):
        out.extend(db[VERSIONS].find({"posting_id": {"$in": chunk}}, projection))
    return out


def iter_runs(db: Database) -> Iterator[dict]:
    """Runs sorted by start time (streamed)."""
    return db[RUNS].find({}, sort=[("started_at", ASCENDING)], batch_size=BATCH)


__all__ = [
    "drop_collections",
    "find_by_ids",
    "find_postings",
    "get_run",
    "has_data",
    "iter_postings",
    "iter_runs",
    "iter_versions",
    "latest_observation",
    "mention_filter",
    "mentioning_versions",
    "observed_bounds",
    "open_between_filter",
    "open_database",
    "postings_observed_since",
    "postings_open_between",
    "recent_runs",
    "version_ids",
    "versions_current_between",
    "versions_first_seen_since",
    "versions_of_posting",
    "versions_of_postings",
]
