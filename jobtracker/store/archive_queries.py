"""Reads of the archive collections for research (docs/research.md, "Archive evidence").

Read only: nothing here writes ``archive_sightings`` or ``archive_captures`` (the backfill's,
``jobtracker.store.archive``), nor reads live history. The phrase regex runs inside MongoDB with
the same filter as the live research queries (:func:`jobtracker.store.queries.mention_filter`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database

from jobtracker.store.archive import CAPTURES, FAILED, SIGHTINGS
from jobtracker.store.queries import BATCH, mention_filter

#: The light fields of a sighting: when, which posting, its groups (never the texts).
LIGHT_SIGHTING_FIELDS = {
    "posting_id": 1,
    "archive": 1,
    "captured_at": 1,
    "country_code": 1,
    "role_family.role_family": 1,
}
#: Where a sighting came from: enough to open the capture again.
PROVENANCE_FIELDS = {
    "posting_id": 1,
    "archive": 1,
    "captured_at": 1,
    "timestamp": 1,
    "original_url": 1,
    "replay_url": 1,
    "warc_file": 1,
    "warc_offset": 1,
    "warc_length": 1,
    "crawl": 1,
    "digest": 1,
    "sha256": 1,
    "parser": 1,
    "era": 1,
    "title": 1,
    "country_code": 1,
    "role_family.role_family": 1,
}


def _window(start: datetime | None, end: datetime | None) -> dict[str, Any]:
    window: dict[str, Any] = {}
    if start is not None:
        window["$gte"] = start
    if end is not None:
        window["$lt"] = end
    return {"captured_at": window} if window else {}


def sightings_between(
    db: Database, start: datetime | None, end: datetime | None
) -> Iterator[dict[str, Any]]:
    """Every sighting captured in ``[start, end)`` with its light fields."""
    return db[SIGHTINGS].find(_window(start, end), LIGHT_SIGHTING_FIELDS, batch_size=BATCH)


def mentioning_sighting_ids(
    db: Database,
    pattern: str,
    fields: Sequence[str],
    start: datetime | None = None,
    end: datetime | None = None,
) -> set[str]:
    """The ids of the sightings captured in ``[start, end)`` whose sighted text mentions the
    phrase (regex ``pattern``, case-insensitive, in MongoDB)."""
    query: dict[str, Any] = mention_filter(pattern, fields, prefix="")
    window = _window(start, end)
    if window:
        query = {"$and": [query, window]}
    return {doc["_id"] for doc in db[SIGHTINGS].find(query, {"_id": 1}, batch_size=BATCH)}


def mentioning_sightings(
    db: Database, pattern: str, fields: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """Sightings whose text mentions the phrase, oldest first, with provenance and the
    searched texts (for snippets)."""
    projection = {**PROVENANCE_FIELDS, **{name: 1 for name in fields}}
    return db[SIGHTINGS].find(
        mention_filter(pattern, fields, prefix=""),
        projection,
        sort=[("captured_at", ASCENDING), ("posting_id", ASCENDING), ("_id", ASCENDING)],
        batch_size=BATCH,
    )


def latest_sightings(db: Database, posting_ids: Sequence[str]) -> dict[str, str]:
    """Posting id -> the ``_id`` of its last sighting."""
    latest: dict[str, tuple[datetime, str]] = {}
    for doc in db[SIGHTINGS].find(
        {"posting_id": {"$in": list(posting_ids)}}, {"posting_id": 1, "captured_at": 1}
    ):
        key = (doc["captured_at"], doc["_id"])
        if doc["posting_id"] not in latest or key > latest[doc["posting_id"]]:
            latest[doc["posting_id"]] = key
    return {pid: key[1] for pid, key in latest.items()}


def sightings_of_posting(db: Database, posting_id: str) -> list[dict[str, Any]]:
    """One posting's sightings, oldest first, with provenance."""
    return list(
        db[SIGHTINGS].find(
            {"posting_id": posting_id},
            PROVENANCE_FIELDS,
            sort=[("captured_at", ASCENDING), ("_id", ASCENDING)],
        )
    )


#: A capture the backfill fetched (whatever the outcome: a sighting, a rejection after the
#: fetch, or a fetch given up); captures rejected from the listing alone were never fetched.
FETCHED = {"$or": [{"fetched_at": {"$ne": None}}, {"state": FAILED}]}


def fetched_capture_times(
    db: Database, start: datetime | None, end: datetime | None
) -> Iterator[datetime]:
    """``captured_at`` of every fetched capture captured in ``[start, end)``."""
    window = _window(start, end)
    query = {"$and": [FETCHED, window]} if window else FETCHED
    for doc in db[CAPTURES].find(query, {"captured_at": 1, "_id": 0}, batch_size=BATCH):
        if isinstance(doc.get("captured_at"), datetime):
            yield doc["captured_at"]


def archive_bounds(db: Database) -> tuple[datetime | None, datetime | None]:
    """The first and last ``captured_at`` of the sightings and fetched captures."""
    found: list[datetime] = []
    for name, query in ((SIGHTINGS, {}), (CAPTURES, FETCHED)):
        for order in (ASCENDING, -1):
            doc = db[name].find_one(
                {"$and": [query, {"captured_at": {"$type": "date"}}]},
                {"captured_at": 1},
                sort=[("captured_at", order)],
            )
            if doc:
                found.append(doc["captured_at"])
    if not found:
        return None, None
    return min(found), max(found)


def all_sightings(db: Database) -> Iterator[dict[str, Any]]:
    """Every sighting with its provenance (no texts), oldest first."""
    return db[SIGHTINGS].find(
        {}, PROVENANCE_FIELDS, sort=[("captured_at", ASCENDING), ("_id", ASCENDING)]
    )
