"""The versioned store against the simulator and a real MongoDB wire-protocol server.

A multi-day history is crawled once a simulated day; afterwards every posting's lifecycle in
MongoDB is compared with what the simulator's ground truth implies under the lifecycle rules
of docs/store.md.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from tests.support.crawling import CrawlResult, run_crawl
from tests.support.history import content_of, day_clock, expected_history, store_mismatches

DAYS = range(11)


def store_settings(db: Database, mongo_uri: str, **extra: Any) -> dict[str, Any]:
    return {"MONGO_URI": mongo_uri, "MONGO_DATABASE": db.name, **extra}


async def crawl_day(
    sim, day: int, db: Database, mongo_uri: str, clock: float | None = None, **kwargs: Any
) -> CrawlResult:
    """Crawl simulated ``day``, dated that day (or ``clock``: runs replayed in another order)."""
    sim.set_day(day)
    settings = store_settings(db, mongo_uri, **kwargs.pop("settings", {}))
    settings.setdefault("JOBTRACKER_CLOCK_START", day_clock(day if clock is None else clock))
    return await run_crawl(settings=settings, base_url=sim.url, _job=f"day{day}", **kwargs)


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_history_matches_truth_over_eleven_days(start_sim, mongo_db, mongo_uri) -> None:
    sim = start_sim(size=2500, seed=21)
    live_by_day = {}
    for day in DAYS:
        live_by_day[day] = {
            t["id_icims"]: content_of(t["job"]) for t in sim.truth(day=day, jobs=True)
        }
        result = await crawl_day(sim, day, mongo_db, mongo_uri)
        assert result.finish_reason == "finished"
        assert result.stats["jobtracker/run_complete"] is True
    expected = expected_history(live_by_day)
    churn = Counter(e.status for e in expected.values())
    assert churn["closed"] >= 20, "the simulated days must close postings"
    assert sum(len(e.spans) > 1 for e in expected.values()) >= 1, "and reopen at least one"
    assert sum(e.versions > 1 for e in expected.values()) >= 20, "and edit some"

    mismatches = store_mismatches(mongo_db, expected)
    assert not mismatches, f"{len(mismatches)} postings differ, e.g. {mismatches[:3]}"

    last_run = mongo_db.crawl_runs.find_one({"_id": f"day{DAYS[-1]}"})
    assert last_run["finish_reason"] == "finished"
    assert last_run["complete"] is True
    assert last_run["closure"]["applied"] is True
    assert last_run["changes"]["new"] + last_run["changes"]["unchanged"] + last_run["changes"][
        "updated"
    ] == len(live_by_day[DAYS[-1]])


@deferred_f_from_coro_f
async def test_rerunning_an_unchanged_crawl_writes_no_version(start_sim, mongo_db, mongo_uri):
    sim = start_sim(size=1500, seed=22)
    first = await crawl_day(sim, 0, mongo_db, mongo_uri)
    versions_before = mongo_db.posting_versions.count_documents({})
    assert versions_before == first.stats["jobtracker/postings/unique"] == 1500
    sim.set_day(0)
    settings = store_settings(mongo_db, mongo_uri, JOBTRACKER_CLOCK_START=day_clock(1))
    again = await run_crawl(settings=settings, base_url=sim.url)
    assert mongo_db.posting_versions.count_documents({}) == versions_before
    changes = again.stats["jobtracker/store/changes"]
    assert changes["new"] == changes["updated"] == changes["reopened"] == 0
    assert changes["unchanged"] == 1500
    assert changes["marked_missing"] == changes["closed"] == 0


@deferred_f_from_coro_f
async def test_partial_and_keyword_runs_close_nothing_they_did_not_see(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=2500, seed=23)
    await crawl_day(sim, 0, mongo_db, mongo_uri)
    # Day 6: a partition keeps failing; everything else is complete.
    truth6 = {t["id_icims"]: t for t in sim.truth(day=6)}
    day0 = {t["id_icims"]: t for t in sim.truth(day=0)}
    gone = {pid: t for pid, t in day0.items() if pid not in truth6}
    categories = Counter(t["business_category"] for t in gone.values())
    broken = next(
        c
        for c, _ in categories.most_common()
        if sum(t["business_category"] == c for t in truth6.values()) > 100
    )
    sim.set_faults(fail_pattern=f"business_category[]={broken}")
    partial = await crawl_day(sim, 6, mongo_db, mongo_uri, settings={"RETRY_TIMES": 1})
    assert partial.stats["jobtracker/run_complete"] is False
    missing = {
        doc["source_id"]: doc for doc in mongo_db.postings.find({"missing_since": {"$ne": None}})
    }
    in_broken = {pid for pid, t in gone.items() if t["business_category"] == broken}
    assert in_broken and not (in_broken & set(missing)), "incomplete partition touched"
    # Missing = unseen by this run and stored under a complete partition. That includes postings
    # recategorized into the broken category (still live): the next complete run clears them.
    stored = {doc["source_id"]: doc["business_category"] for doc in mongo_db.postings.find()}
    unseen = set(day0) - set(partial.ids)
    assert set(missing) == {pid for pid in unseen if stored[pid] != broken}
    assert set(gone) - in_broken <= set(missing)
    assert mongo_db.postings.count_documents({"status": "closed"}) == 0

    # A keyword run of day 9 closes nothing, even where its partitions are complete.
    sim.set_faults()
    keyword = await crawl_day(sim, 9, mongo_db, mongo_uri, clock=7, query="Rekognition")
    assert keyword.stats["jobtracker/store/changes"]["closed"] == 0
    assert mongo_db.postings.count_documents({"status": "closed"}) == 0
    run = mongo_db.crawl_runs.find_one({"_id": "day9"})
    assert run["keyword_run"] is True and run["closure"]["applied"] is False

    # A run stopped midway (page limit) closes nothing either.
    stopped = await crawl_day(
        sim, 8, mongo_db, mongo_uri, clock=8, settings={"CLOSESPIDER_PAGECOUNT": 5}
    )
    assert stopped.finish_reason == "closespider_pagecount"
    assert mongo_db.postings.count_documents({"status": "closed"}) == 0

    # The next complete run confirms the earlier misses and closes them at their first miss.
    await crawl_day(sim, 7, mongo_db, mongo_uri, clock=9)
    closed = {doc["source_id"]: doc for doc in mongo_db.postings.find({"status": "closed"})}
    truth7 = {t["id_icims"] for t in sim.truth(day=7)}
    assert set(closed) == (set(missing) - truth7)
    run6 = mongo_db.crawl_runs.find_one({"_id": "day6"})
    assert all(doc["closed_at"] == run6["started_at"] for doc in closed.values())


@deferred_f_from_coro_f
async def test_mass_closure_guard_trips_when_most_of_the_board_disappears(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=2000, seed=24)
    await crawl_day(sim, 0, mongo_db, mongo_uri)
    sim.set_faults(hide_fraction=0.7)  # a site change: facets and pages agree, most is hidden
    hidden = await crawl_day(sim, 1, mongo_db, mongo_uri)
    assert hidden.stats["jobtracker/run_complete"] is True
    run = mongo_db.crawl_runs.find_one({"_id": "day1"})
    assert run["closure"]["applied"] is False
    assert "mass-closure guard" in run["closure"]["blocked_reason"]
    assert mongo_db.postings.count_documents({"missing_since": {"$ne": None}}) == 0


@deferred_f_from_coro_f
async def test_concurrent_overlapping_crawls_leave_no_duplicates(start_sim, mongo_db, mongo_uri):
    import asyncio

    sim = start_sim(size=1500, seed=25)
    settings = store_settings(mongo_db, mongo_uri)
    full, japan = await asyncio.gather(
        run_crawl(settings=settings, base_url=sim.url, _job="full"),
        run_crawl(settings=settings, base_url=sim.url, _job="both", countries="JP,US,DE"),
    )
    assert full.finish_reason == japan.finish_reason == "finished"
    postings = mongo_db.postings.count_documents({})
    assert postings == len(sim.truth())
    assert mongo_db.posting_versions.count_documents({}) == postings
    assert mongo_db.posting_versions.count_documents({"version": {"$ne": 1}}) == 0
    spans = Counter(len(doc["spans"]) for doc in mongo_db.postings.find({}, {"spans": 1}))
    assert spans == Counter({1: postings})
