"""Races between concurrent runs, made deterministic: the other run's write is done by hand
between our read and our write, on the real MongoDB test server. Where the other run is the
store code itself, it runs from a command listener of our client, right after one of our
commands succeeded (a real interleaving over the wire protocol, nothing mocked)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo import MongoClient, monitoring

from jobtracker.store import PostingStore, RunOutcome
from jobtracker.store.verify import verify_store

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)
STALE = timedelta(hours=12)


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


# -- the store code racing itself ------------------------------------------------------------


class AfterCommand(monitoring.CommandListener):
    """Once armed, runs ``action`` right after the first ``command`` on ``collection`` of this
    client succeeded: the other run's writes land between that command and our next one."""

    def __init__(self, command: str, collection: str, action: Callable[[], None]) -> None:
        self.command, self.collection, self.action = command, collection, action
        self.armed = False
        self.request_id: int | None = None
        self.fired = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        ours = event.command_name == self.command and event.command.get(self.command)
        if self.armed and self.request_id is None and ours == self.collection:
            self.request_id = event.request_id

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if self.armed and event.request_id == self.request_id:
            self.armed, self.fired = False, True
            self.action()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def complete_run(run_id: str, started_at: datetime) -> RunOutcome:
    """A complete full run of the board that saw nothing of the posting."""
    partitions = [{"key": "all", "split_by": "business_category", "complete": True}]
    return RunOutcome(
        run_id, "finished", False, partitions, started_at=started_at, source="amazon_jobs"
    )


def test_a_closure_that_loses_to_a_sighting_leaves_the_version_current(mongo_db, mongo_uri) -> None:
    """The closing run read the posting unseen; another run saw it before the closure's writes.
    The posting stays open (the closure's update no longer matches) and so must its version:
    no open posting without a current version, and no old version later ended at the closure's
    time."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    scope = {"source": "amazon_jobs"}
    store.save_page([posting("Text.", T0)], "d0")
    pid = "amazon_jobs:" + posting("", T0)["source_id"]
    store.apply_closures(complete_run("d1", T0 + DAY), scope)  # the first miss
    assert mongo_db.postings.find_one({"_id": pid})["missing_since"] == T0 + DAY

    other = PostingStore(mongo_db)
    listener = AfterCommand(
        "find", "postings", lambda: other.save_page([posting("Text.", T0 + 2 * DAY)], "other")
    )
    with MongoClient(mongo_uri, tz_aware=True, event_listeners=[listener]) as client:
        closing = PostingStore(client[mongo_db.name])
        listener.armed = True
        plan = closing.apply_closures(complete_run("d2", T0 + 2 * DAY), scope)
    assert listener.fired and plan.close == [pid]  # it read the posting still unseen
    doc = mongo_db.postings.find_one({"_id": pid})
    assert doc["status"] == "open" and doc["last_seen_at"] == T0 + 2 * DAY
    assert mongo_db.posting_versions.find_one({"_id": f"{pid}@v1"})["last_seen_at"] is None
    report = verify_store(mongo_db, now=T0 + 2 * DAY, stale_after=STALE)
    assert report.clean, report.lines()

    store.save_page([posting("Edited text.", T0 + 3 * DAY)], "d3")
    v1, v2 = (mongo_db.posting_versions.find_one({"_id": f"{pid}@v{n}"}) for n in (1, 2))
    assert v1["last_seen_at"] == v2["first_seen_at"] == T0 + 3 * DAY
    report = verify_store(mongo_db, now=T0 + 3 * DAY, stale_after=STALE)
    assert report.clean, report.lines()


@pytest.mark.parametrize("second_text", ["Edited text.", "Other text."], ids=["same", "other"])
def test_a_version_stored_first_by_another_run_ends_the_one_before_at_its_first_sighting(
    mongo_db, mongo_uri, second_text
) -> None:
    """Two running runs see an edit. The first inserts version 2; the second reads the posting
    before the first moved it, finds version 2 taken, and adopts it (same content) or loses to
    it (other content), its own writes landing before the first run's supersede. Version 1 ends
    where the version 2 that stands begins, not at the second run's sighting."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    store.save_page([posting("Text.", T0)], "d0")
    pid = "amazon_jobs:" + posting("", T0)["source_id"]
    for run_id in ("first", "second"):
        mongo_db.crawl_runs.insert_one(
            {"_id": run_id, "source": "amazon_jobs", "started_at": T0 + DAY, "finished_at": None}
        )
    first_seen, second_seen = T0 + DAY + timedelta(minutes=5), T0 + DAY + timedelta(minutes=10)

    second = PostingStore(mongo_db)
    listener = AfterCommand(
        "insert",
        "posting_versions",
        lambda: second.save_page([posting(second_text, second_seen)], "second"),
    )
    with MongoClient(mongo_uri, tz_aware=True, event_listeners=[listener]) as client:
        first = PostingStore(client[mongo_db.name])
        listener.armed = True
        assert first.save_page([posting("Edited text.", first_seen)], "first").updated == 1
    assert listener.fired
    for run_id in ("first", "second"):
        store.finish_run(run_id, {"finish_reason": "finished", "finished_at": T0 + DAY * 1.1})
    doc = mongo_db.postings.find_one({"_id": pid})
    v1, v2 = (mongo_db.posting_versions.find_one({"_id": f"{pid}@v{n}"}) for n in (1, 2))
    assert doc["version"] == 2 and v2["run_id"] == "first"
    assert (doc["description_text"], doc["last_seen_at"]) == ("Edited text.", second_seen)
    assert v1["last_seen_at"] == v2["first_seen_at"] == first_seen
    report = verify_store(mongo_db, now=T0 + 2 * DAY, stale_after=STALE)
    assert report.clean, report.lines()
