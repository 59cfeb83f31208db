"""The store stays fast as its history grows: on the MongoDB test server, no write of a page
reads a whole collection.

The store's conditional writes pin a posting or a version by ``_id`` and guard it with another
field (``status``, ``version``, ``last_seen_at``: concurrent runs, late sightings). The test
server's launcher counts the queries it answers by reading a whole collection (the command
``jobtrackerScanStats``): a structural check, no timing (the figures are in ``make bench``).
Against a real MongoDB (``MONGO_URI``) the command does not exist and these tests are skipped:
MongoDB plans such a filter on its ``_id`` index.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import OperationFailure

from jobtracker.store import PostingStore

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
LARGE = 5_000


def scans(db: Database, *, reset: bool = False) -> dict[str, int]:
    """The test server's collection-scan counters (then zeroed when ``reset``)."""
    try:
        answer = db.client.admin.command("jobtrackerScanStats", reset=reset)
    except OperationFailure:
        pytest.skip("not the MongoDB test server: no scan counters (MongoDB uses its _id index)")
    return {"scans": answer["collectionScans"], "documents": answer["documentsScanned"]}


def test_the_scan_counter_sees_a_scan(mongo_db: Database) -> None:
    """The counter the other tests rely on counts a filter that no index serves."""
    mongo_db.things.insert_many([{"_id": i, "status": "open"} for i in range(100)])
    scans(mongo_db, reset=True)
    assert mongo_db.things.count_documents({"status": "open"}) == 100
    assert scans(mongo_db) == {"scans": 1, "documents": 100}
    assert mongo_db.things.find_one({"_id": 7}) == {"_id": 7, "status": "open"}
    assert scans(mongo_db)["scans"] == 1  # by _id alone: the _id index


def test_filters_pinning_id_and_another_field_use_the_id_index(mongo_db: Database) -> None:
    """An update or find whose filter pins ``_id`` and another field reads only the pinned
    documents, on a large collection, and still applies the other condition."""
    mongo_db.things.insert_many(
        [{"_id": f"p{i}", "status": "open", "version": 1, "seen": None} for i in range(LARGE)]
    )
    scans(mongo_db, reset=True)
    things = mongo_db.things
    assert things.update_one({"_id": "p1", "status": "open"}, {"$set": {"a": 1}}).modified_count
    assert not things.update_one(
        {"_id": "p2", "status": "closed"}, {"$set": {"a": 1}}
    ).matched_count
    assert things.update_one(
        {"_id": "p3", "version": {"$lt": 2}}, {"$set": {"version": 2}}
    ).matched_count
    assert not things.update_one(
        {"_id": "p3", "version": {"$lt": 2}}, {"$set": {"a": 1}}
    ).matched_count
    assert things.update_one(
        {"_id": "p4", "seen": {"$in": [None, T0]}}, {"$set": {"seen": T0}}
    ).matched_count
    assert things.update_one(
        {"_id": "p5", "status": "open", "seen": {"$not": {"$gt": T0}}}, {"$set": {"b": 1}}
    ).matched_count
    result = things.bulk_write(
        [UpdateOne({"_id": f"p{i}", "status": "open"}, {"$set": {"c": 1}}) for i in range(100)]
    )
    assert result.matched_count == 100
    assert [d["_id"] for d in things.find({"_id": {"$in": ["p1", "p3"]}, "version": 2})] == ["p3"]
    assert things.replace_one({"_id": "p6", "version": 1}, {"version": 9}).matched_count
    assert scans(mongo_db) == {"scans": 0, "documents": 0}  # fmt: skip


def posting(number: int, description: str, seen_at: datetime) -> dict[str, Any]:
    job = json.loads((FIXTURES / "search_sample_1_facets_hits10000.json").read_text())["jobs"][0]
    source_id = str(int(job["id_icims"]) + number)
    return {
        "source": "amazon_jobs",
        "source_id": source_id,
        "url": "https://www.amazon.jobs" + job["job_path"],
        "title": job["title"],
        "partition": "all",
        "seen_at": seen_at,
        "raw": {**job, "id_icims": source_id, "description": description},
    }


def test_a_page_of_changed_and_reopened_postings_reads_no_whole_collection(
    mongo_db: Database,
) -> None:
    """Into a store holding thousands of postings: a page whose postings changed content (a new
    version, the previous one ended) or come back after a closure makes no collection scan."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    for offset in range(0, 2_000, 100):
        store.save_page([posting(n, "First.", T0) for n in range(offset, offset + 100)], "r1")
    closed = [f"amazon_jobs:{posting(n, '', T0)['source_id']}" for n in range(50, 100)]
    mongo_db.postings.update_many(
        {"_id": {"$in": closed}}, {"$set": {"status": "closed", "closed_at": T0}}
    )
    scans(mongo_db, reset=True)
    later = T0 + timedelta(days=1)
    page = [posting(n, "Edited." if n < 75 else "First.", later) for n in range(100)]
    result = store.save_page(page, "r2")
    assert (result.updated, result.unchanged, result.reopened) == (75, 25, 50)
    assert scans(mongo_db) == {"scans": 0, "documents": 0}
    assert mongo_db.postings.count_documents({"status": "open"}) == 2_000
    superseded = mongo_db.posting_versions.find_one({"_id": f"{closed[0]}@v1"})
    assert superseded is not None and superseded["last_seen_at"] == later  # ended by v2
