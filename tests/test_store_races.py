"""Races between concurrent runs, made deterministic: the other run's write is done by hand
between our read and our write, on the real MongoDB test server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobtracker.store import PostingStore

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def posting(description: str, seen_at: datetime) -> dict:
    job = json.loads((FIXTURES / "search_sample_1_facets_hits10000.json").read_text())["jobs"][0]
    return {
        "source": "amazon_jobs",
        "source_id": job["id_icims"],
        "url": "https://www.amazon.jobs" + job["job_path"],
        "title": job["title"],
        "seen_at": seen_at,
        "raw": {**job, "description": description},
    }


def test_a_version_another_run_stored_first_wins_and_ours_follows(mongo_db) -> None:
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    first = store.save_page([posting("First text.", T0)], "r1")
    assert first.new == 1
    pid = "amazon_jobs:" + posting("", T0)["source_id"]

    # Another run, still running, saw a different new content and stored it as version 2 an
    # instant earlier (a version of a run that is no longer running would be an orphan).
    mongo_db.crawl_runs.insert_one({"_id": "other", "started_at": T0, "finished_at": None})
    mongo_db.posting_versions.insert_one({
        "_id": f"{pid}@v2", "posting_id": pid, "version": 2, "content_hash": "their-content",
        "first_seen_at": T0 + timedelta(hours=1), "last_seen_at": None, "run_id": "other",
        "changed_fields": ["description_text"], "snapshot": {},
    })  # fmt: skip
    ours = store.save_page([posting("Our text.", T0 + timedelta(hours=1))], "r2")
    assert (ours.updated, ours.unchanged) == (0, 1)
    doc = mongo_db.postings.find_one({"_id": pid})
    assert doc["version"] == 1 and doc["description_text"] == "First text."
    assert doc["last_seen_at"] == T0 + timedelta(hours=1)  # the sighting still counts

    # The other run updates its posting; our next sighting records our content after theirs.
    mongo_db.postings.update_one(
        {"_id": pid}, {"$set": {"version": 2, "content_hash": "their-content"}}
    )
    later = store.save_page([posting("Our text.", T0 + timedelta(hours=2))], "r3")
    assert later.updated == 1
    doc = mongo_db.postings.find_one({"_id": pid})
    versions = {v["version"]: v for v in mongo_db.posting_versions.find({"posting_id": pid})}
    assert sorted(versions) == [1, 2, 3]
    assert doc["version"] == 3 and doc["content_hash"] == versions[3]["content_hash"]
    assert versions[3]["snapshot"]["description_text"] == "Our text."


def test_the_same_first_version_stored_by_another_run_is_ours_too(mongo_db) -> None:
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    store.save_page([posting("Same text.", T0)], "other")  # the other run, complete
    theirs = mongo_db.posting_versions.find_one({})
    # As our read saw it: the other run's version 1 is in, its posting not yet.
    mongo_db.postings.delete_many({})
    ours = store.save_page([posting("Same text.", T0 + timedelta(minutes=5))], "r2")
    assert ours.new == 1
    assert list(mongo_db.posting_versions.find({})) == [theirs]  # no duplicate version
    assert mongo_db.postings.count_documents({}) == 1
