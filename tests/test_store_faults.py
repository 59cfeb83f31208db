"""Honest history under faults (docs/store.md, lifecycle rules 6-8): no live posting closed,
nothing lost, nothing moved backwards. Crawls go over real HTTP to the simulator and writes over
the MongoDB wire protocol; each run is dated like a simulated day (``JOBTRACKER_CLOCK_START``)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.commands.crawl import exit_code_for
from jobtracker.store import PostingStore, RunOutcome
from jobtracker.store.verify import abandon_stale_runs, verify_store
from tests.support.crawling import CrawlResult, run_crawl
from tests.support.history import CLOCK_EPOCH, day_clock

ROOT = Path(__file__).resolve().parents[1]
DAY0 = CLOCK_EPOCH


async def crawl(
    sim, db: Database, mongo_uri: str, *, day: int, clock: float | None = None, job: str,
    var_dir: Path | None = None, **kwargs: Any,
) -> CrawlResult:  # fmt: skip
    """Crawl the simulator's ``day`` into ``db``, dated ``clock`` (default: that day)."""
    sim.set_day(day)
    settings = {
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": db.name,
        "JOBTRACKER_CLOCK_START": day_clock(day if clock is None else clock),
        **({"JOBTRACKER_VAR_DIR": str(var_dir)} if var_dir else {}),
        **kwargs.pop("settings", {}),
    }
    return await run_crawl(settings=settings, base_url=sim.url, _job=job, **kwargs)


# -- rule 7: the guard protects scopes and days ---------------------------------------------
def posting_item(n: int, category: str, seen_at: datetime) -> dict[str, Any]:
    return {
        "source": "amazon_jobs",
        "source_id": f"{category}-{n}",
        "url": f"https://www.amazon.jobs/en/jobs/{category}-{n}",
        "title": f"Job {n}",
        "seen_at": seen_at,
        "raw": {"business_category": category, "country_code": "USA", "description": f"{n}"},
    }


def complete_category_run(run_id: str, category: str, started_at: datetime) -> RunOutcome:
    partitions = [
        {"key": "all", "split_by": "business_category", "complete": True},
        {"key": f"business_category={category}", "split_by": None, "complete": True},
    ]
    return RunOutcome(
        run_id, "finished", False, partitions, started_at=started_at, source="amazon_jobs"
    )


def test_a_small_category_that_vanishes_for_two_days_keeps_its_postings(mongo_db) -> None:
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    scope = {"source": "amazon_jobs", "categories": ["legal"]}
    day = [DAY0 + timedelta(days=n) for n in range(4)]
    store.save_page([posting_item(n, "legal", day[0]) for n in range(20)], "d0")
    for n in (1, 2):  # the category is gone from the site: complete, empty partitions
        store.apply_closures(complete_category_run(f"d{n}", "legal", day[n]), scope)
    assert mongo_db.postings.count_documents({"status": "closed"}) == 0
    assert mongo_db.postings.count_documents({"closure_held": True}) == 20
    store.save_page([posting_item(n, "legal", day[3]) for n in range(20)], "d3")  # it is back
    assert mongo_db.postings.count_documents({"missing_since": {"$exists": True}}) == 0
    assert mongo_db.postings.count_documents({"closure_held": {"$exists": True}}) == 0


def test_ordinary_churn_in_a_small_category_still_closes(mongo_db) -> None:
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    scope = {"source": "amazon_jobs", "categories": ["legal"]}
    day = [DAY0 + timedelta(days=n) for n in range(3)]
    store.save_page([posting_item(n, "legal", day[0]) for n in range(20)], "d0")
    for n in (1, 2):
        store.save_page([posting_item(i, "legal", day[n]) for i in range(3, 20)], f"d{n}")
        plan = store.apply_closures(complete_category_run(f"d{n}", "legal", day[n]), scope)
    assert len(plan.close) == 3
    closed = list(mongo_db.postings.find({"status": "closed"}))
    assert len(closed) == 3 and {doc["closed_at"] for doc in closed} == {day[1]}


@deferred_f_from_coro_f
async def test_sustained_partial_hiding_closes_nothing_in_two_days(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=2000, seed=31)
    await crawl(sim, mongo_db, mongo_uri, day=0, job="d0")
    sim.set_faults(hide_fraction=0.15)  # a sustained partial outage: the same 15% hidden
    for day in (1, 2):
        result = await crawl(sim, mongo_db, mongo_uri, day=day, job=f"d{day}")
        assert result.stats["jobtracker/run_complete"] is True
    live = {t["id_icims"] for t in sim.truth(day=2)}
    closed_live = live & set(mongo_db.postings.distinct("source_id", {"status": "closed"}))
    assert not closed_live, f"{len(closed_live)} live postings closed"
    run = mongo_db.crawl_runs.find_one({"_id": "d2"})
    assert run["closure"]["held"] > 200 and "day" in run["closure"]["held_reason"]
    sim.set_faults()  # the outage ends: the hidden postings are seen again
    await crawl(sim, mongo_db, mongo_uri, day=3, job="d3")
    assert mongo_db.postings.count_documents({"closure_held": {"$exists": True}}) == 0


# -- rule 1 and 6: confirmation takes two runs on different days ----------------------------
@deferred_f_from_coro_f
async def test_parallel_runs_of_one_day_do_not_confirm_each_other(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=1500, seed=32)
    await crawl(sim, mongo_db, mongo_uri, day=0, job="d0")
    gone = {t["id_icims"] for t in sim.truth(day=0)} - {t["id_icims"] for t in sim.truth(day=2)}
    assert len(gone) > 20
    sim.set_day(2)
    first, second = await asyncio.gather(
        crawl(sim, mongo_db, mongo_uri, day=2, job="d2a"),
        crawl(sim, mongo_db, mongo_uri, day=2, clock=2.02, job="d2b"),
    )
    assert first.finish_reason == second.finish_reason == "finished"
    # Whichever finished second saw the other's marks: same UTC day, so no confirmation.
    assert mongo_db.postings.count_documents({"status": "closed"}) == 0
    assert set(mongo_db.postings.distinct("source_id", {"missing_since": {"$ne": None}})) == gone
    await crawl(sim, mongo_db, mongo_uri, day=2, clock=3, job="d3")
    assert set(mongo_db.postings.distinct("source_id", {"status": "closed"})) == gone


@deferred_f_from_coro_f
async def test_an_older_run_cannot_rewrite_history(start_sim, mongo_db, mongo_uri) -> None:
    sim = start_sim(size=1500, seed=33)
    for day in (0, 1, 2, 3):
        await crawl(sim, mongo_db, mongo_uri, day=day, job=f"d{day}")
    before = {doc["_id"]: doc for doc in mongo_db.postings.find()}
    versions_before = list(mongo_db.posting_versions.find().sort("_id"))
    assert any(doc["status"] == "closed" for doc in before.values())
    # A replay dated day 1 (a queued job, a replay) of the board as it is on day 5.
    late = await crawl(sim, mongo_db, mongo_uri, day=5, clock=1.5, job="replay")
    assert late.finish_reason == "finished"
    after = {doc["_id"]: doc for doc in mongo_db.postings.find()}
    assert {pid: after[pid] for pid in before} == before  # nothing it knew was touched
    first_versions = {v["posting_id"] for v in versions_before}
    assert [
        v for v in mongo_db.posting_versions.find().sort("_id") if v["posting_id"] in first_versions
    ] == versions_before
    run = mongo_db.crawl_runs.find_one({"_id": "replay"})
    assert run["changes"]["late"] > 1000
    # Postings no run had seen are its own first sightings (no later observation contradicts).
    assert run["changes"]["updated"] == run["changes"]["reopened"] == 0
    assert run["changes"]["new"] == len(set(after) - set(before))


# -- rule 6: run ids are unique ------------------------------------------------------------
@deferred_f_from_coro_f
async def test_a_reused_run_id_is_refused_and_the_first_record_kept(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=800, seed=34)
    await crawl(sim, mongo_db, mongo_uri, day=0, job="nightly")
    first = mongo_db.crawl_runs.find_one({"_id": "nightly"})
    assert first["finish_reason"] == "finished" and first["complete"] is True
    again = await crawl(sim, mongo_db, mongo_uri, day=1, job="nightly")
    assert again.finish_reason == "duplicate_run_id"
    assert again.requests == 0
    assert mongo_db.crawl_runs.find_one({"_id": "nightly"}) == first
    assert exit_code_for("duplicate_run_id", bootstrap_failed=False) == 2


# -- rule 8: a crash at any instant is repaired by the next run ------------------------------
class Crash(Exception):
    """The process dies here (raised by the store's test hook)."""


def test_an_orphan_version_from_a_crash_is_replaced_not_taken_for_a_winner(mongo_db) -> None:
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    mongo_db.crawl_runs.insert_one({"_id": "crashed", "started_at": DAY0, "finished_at": None})

    def crash(step: str) -> None:
        if step == "versions":
            raise Crash("killed between the two writes of a page")

    t1, t2 = DAY0 + timedelta(days=1), DAY0 + timedelta(days=2)
    existing = posting_item(1, "legal", DAY0)
    store.save_page([existing], "d0")
    store.step_hook = crash
    edited = {**posting_item(1, "legal", t1), "title": "Edited"}
    with pytest.raises(Crash):
        store.save_page([posting_item(2, "legal", DAY0), edited], "crashed")
    store.step_hook = None
    assert mongo_db.postings.count_documents({}) == 1  # the versions are in, the postings not
    assert mongo_db.posting_versions.count_documents({}) == 3
    mongo_db.crawl_runs.update_one(
        {"_id": "crashed"}, {"$set": {"finished_at": t1, "finish_reason": "abandoned"}}
    )
    # The next run sees other content again: the orphans must not win.
    later_new = {**posting_item(2, "legal", t2), "title": "Renamed"}
    later_edit = {**posting_item(1, "legal", t2), "title": "Edited again"}
    result = store.save_page([later_new, later_edit], "d2")
    assert (result.new, result.updated) == (1, 1)
    postings = {doc["source_id"]: doc for doc in mongo_db.postings.find()}
    assert postings["legal-2"]["title"] == "Renamed" and postings["legal-2"]["version"] == 1
    assert postings["legal-1"]["title"] == "Edited again" and postings["legal-1"]["version"] == 2
    for doc in postings.values():
        current = mongo_db.posting_versions.find_one(
            {"posting_id": doc["_id"], "version": doc["version"]}
        )
        assert current["content_hash"] == doc["content_hash"] and current["run_id"] == "d2"


def test_a_replaced_orphan_version_ends_the_one_before_at_the_replacing_sighting(
    mongo_db,
) -> None:
    """The crashed run superseded version 1 at its own sighting before it died; the next run
    replaces its orphan version 2 with other content (rule 7): version 1 ends where the version
    2 that stands begins, and the store verifies clean."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    t1, t2 = DAY0 + timedelta(days=1), DAY0 + timedelta(days=2)
    store.save_page([posting_item(1, "legal", DAY0)], "d0")
    mongo_db.crawl_runs.insert_one({"_id": "crashed", "started_at": t1, "finished_at": None})

    def crash(step: str) -> None:
        if step == "versions":
            raise Crash("killed between the two writes of a page")

    store.step_hook = crash
    with pytest.raises(Crash):
        store.save_page([{**posting_item(1, "legal", t1), "title": "Edited"}], "crashed")
    store.step_hook = None
    pid = "amazon_jobs:legal-1"
    assert mongo_db.posting_versions.find_one({"_id": f"{pid}@v1"})["last_seen_at"] == t1
    assert abandon_stale_runs(mongo_db, now=t2, older_than=timedelta(hours=12)) == ["crashed"]

    result = store.save_page([{**posting_item(1, "legal", t2), "title": "Edited again"}], "d2")
    assert result.updated == 1
    v1, v2 = (mongo_db.posting_versions.find_one({"_id": f"{pid}@v{n}"}) for n in (1, 2))
    assert v2["run_id"] == "d2" and mongo_db.postings.find_one({"_id": pid})["version"] == 2
    assert v1["last_seen_at"] == v2["first_seen_at"] == t2
    report = verify_store(mongo_db, now=t2, stale_after=timedelta(hours=12))
    assert report.clean, report.lines()


def test_a_running_runs_version_is_a_concurrent_winner(mongo_db) -> None:
    """The other side of the orphan rule: a version of a run still running is not replaced."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    mongo_db.crawl_runs.insert_one({"_id": "other", "started_at": DAY0, "finished_at": None})
    store.save_page([posting_item(1, "legal", DAY0)], "d0")
    mongo_db.posting_versions.insert_one({
        "_id": "amazon_jobs:legal-1@v2", "posting_id": "amazon_jobs:legal-1", "version": 2,
        "content_hash": "theirs", "first_seen_at": DAY0 + timedelta(hours=1),
        "last_seen_at": None, "run_id": "other", "changed_fields": ["title"], "snapshot": {},
    })  # fmt: skip
    result = store.save_page(
        [{**posting_item(1, "legal", DAY0 + timedelta(hours=2)), "title": "Ours"}], "r2"
    )
    assert (result.updated, result.unchanged) == (0, 1)
    assert mongo_db.posting_versions.find_one({"_id": "amazon_jobs:legal-1@v2"})["run_id"] == (
        "other"
    )


@deferred_f_from_coro_f
async def test_half_written_files_in_var_are_quarantined_not_fatal(
    start_sim, mongo_db, mongo_uri, tmp_path: Path
) -> None:
    sim = start_sim(size=600, seed=35)
    var_dir = tmp_path / "var"
    (var_dir / "pending_runs").mkdir(parents=True)
    (var_dir / "pending_runs" / "crashed.json").write_bytes(b"")  # disk full mid-write
    (var_dir / "pending_runs" / "garbled.json").write_text('{"run_id": "garbled", "upd')
    result = await crawl(sim, mongo_db, mongo_uri, day=0, job="d0", var_dir=var_dir)
    assert result.finish_reason == "finished"
    assert result.stats["jobtracker/run_complete"] is True
    assert sorted(p.name for p in (var_dir / "quarantine").iterdir()) == [
        "crashed.json",
        "garbled.json",
    ]
    assert not list((var_dir / "pending_runs").iterdir())


@deferred_f_from_coro_f
async def test_a_killed_run_is_abandoned_by_the_next(start_sim, mongo_db, mongo_uri, tmp_path):
    sim = start_sim(size=3000, seed=36)
    sim.set_faults(slow_ms=100, rate_slow=1.0)
    command = [
        sys.executable, "-m", "scrapy", "crawl", "amazon_jobs",
        "-a", f"base_url={sim.url}", "-a", "_job=killed",
        "-s", f"MONGO_URI={mongo_uri}", "-s", f"MONGO_DATABASE={mongo_db.name}",
        "-s", f"JOBTRACKER_CLOCK_START={day_clock(0)}", "-s", f"JOBTRACKER_VAR_DIR={tmp_path}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while mongo_db.postings.estimated_document_count() < 300:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    seen_by_killed = set(mongo_db.postings.distinct("_id"))
    assert mongo_db.crawl_runs.find_one({"_id": "killed"})["finished_at"] is None
    sim.set_faults()
    await crawl(sim, mongo_db, mongo_uri, day=1, job="d1", var_dir=tmp_path)
    killed = mongo_db.crawl_runs.find_one({"_id": "killed"})
    assert killed["finish_reason"] == "abandoned" and killed["complete"] is False
    assert killed["closure"]["applied"] is False
    first_seen = Counter(
        doc["first_seen_at"] < datetime.fromisoformat(day_clock(1))
        for doc in mongo_db.postings.find({"_id": {"$in": sorted(seen_by_killed)}})
    )
    assert first_seen == Counter({True: len(seen_by_killed)})  # its sightings stand
