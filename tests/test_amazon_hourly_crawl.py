"""``amazon_hourly`` in Debian's Chromium against the simulated hourly sites, over loopback.

Every test launches a real browser through scrapy-playwright; the pages run their own
script, obtain their token and make their own GraphQL calls, as on the real sites.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.extensions import format_summary
from jobtracker.normalize import classify_role
from jobtracker.spiders.amazon_hourly import AmazonHourlySpider
from tests.support.crawling import CrawlResult, run_crawl
from tests.support.history import day_clock, expected_history, store_mismatches

HOURLY = "amazon_hourly"
SITES = ("US", "CA", "UK", "IE")
BROWSER_SETTINGS = {"JOBTRACKER_HOURLY_PAGE_DELAY": 0, "JOBTRACKER_HOURLY_RESPONSE_TIMEOUT": 10}
#: The card fields a researcher would call a job's offer (what the store versions).
OFFER = ("jobTitle", "jobType", "employmentType", "locationName", "postalCode",
         "totalPayRateMin", "totalPayRateMax", "currencyCode", "payFrequency",
         "scheduleCount")  # fmt: skip


def offer_of(card: dict[str, Any]) -> tuple[str, ...]:
    return tuple(" ".join(str(card.get(name) or "").split()) for name in OFFER)


async def crawl_hourly(
    sim: Any, settings: dict[str, Any] | None = None, **arguments: Any
) -> CrawlResult:
    """One run of ``amazon_hourly`` against the simulator's hourly sites."""
    pairs = ",".join(f"{site}={url}" for site, url in sim.hourly_urls().items())
    return await run_crawl(
        settings={**BROWSER_SETTINGS, **(settings or {})},
        spider_cls=AmazonHourlySpider,
        base_urls=pairs,
        **arguments,
    )


def partitions(result: CrawlResult) -> dict[str, bool]:
    """Site -> complete, from the run's ledger."""
    assert result.run is not None
    return {
        state.key.rsplit("=", 1)[-1]: bool(state.complete)
        for state in result.run.ledger.states.values()
        if state.key != "all"
    }


@deferred_f_from_coro_f
async def test_the_browser_crawl_collects_every_site_exactly(start_sim, tmp_path: Path) -> None:
    sim = start_sim(size=300, seed=31, hourly_size=400)
    truth = sim.truth(source=HOURLY, jobs=True)
    summary_file = tmp_path / "summary.json"
    result = await crawl_hourly(sim, settings={"JOBTRACKER_SUMMARY_FILE": str(summary_file)})

    assert result.finish_reason == "finished"
    assert result.stats["jobtracker/run_complete"] is True
    assert partitions(result) == {"US": True, "CA": True, "UK": True, "IE": True}
    assert sorted(result.ids) == sorted(t["job_id"] for t in truth)
    assert Counter(item.source_id.split("-")[1] for item in result.items) == Counter(
        t["site"] for t in truth
    )
    cards = {t["job_id"]: t for t in truth}
    for item in result.items:
        want = cards[item.source_id]
        assert item.source == HOURLY and item.raw == want["card"]
        assert item.country_codes == [want["country_code"]]
        assert item.locations[0]["city"] == want["card"]["city"]
        family = classify_role(None, None, None, item.title).role_family
        assert family is not None and item.role_family["role_family"] == family, item.title
        [pay] = item.pay
        assert (pay["min"], pay["max"], pay["currency"]) == (
            want["card"]["totalPayRateMin"],
            want["card"]["totalPayRateMax"],
            want["card"]["currencyCode"],
        )
        assert pay["period"] == "hour"
        assert item.url.endswith(f"/app#/jobDetail?jobId={item.source_id}&locale={item.locale}")
    # The summary gives the hourly source's role-family coverage a line of its own.
    summary = json.loads(summary_file.read_text())
    assert summary["role_family_by_source"] == {
        HOURLY: {"resolved": len(truth), "total": len(truth)}
    }
    assert f"role family: 100.0 % of {len(truth)} {HOURLY} postings" in format_summary(summary)
    stats = result.stats
    assert stats["playwright/browser_count"] == 1
    assert stats["playwright/context_count"] == len(SITES)  # one context per site, closed after
    assert stats["playwright/page_count/max_concurrent"] <= 2
    assert stats["jobtracker/pages/ok"] == stats["playwright/request_count/method/POST"] - len(
        SITES
    )  # every GraphQL answer was read (the other POST per site asks for the token)


def test_without_the_browser_the_sites_serve_no_postings(start_sim) -> None:
    from tests.support.sim import SimControl

    sim = start_sim(size=300, seed=32, hourly_size=200)
    ids = [t["job_id"] for t in sim.truth(source=HOURLY)]
    assert ids
    for url in sim.hourly_urls().values():
        site = SimControl(url)
        for path in ("/app", "/app.js"):
            page = site.get(path)
            assert page.status == 200
            assert b"JOB-" not in page.body and not any(i.encode() in page.body for i in ids)
        anonymous = site.request(
            "POST", "/graphql", b'{"operationName":"searchJobCardsByLocation"}',
            {"Content-Type": "application/json"},
        )  # fmt: skip
        assert anonymous.status == 401 and b"JOB-" not in anonymous.body


@deferred_f_from_coro_f
async def test_a_failing_or_silent_graphql_call_leaves_only_its_site_incomplete(
    start_sim,
) -> None:
    sim = start_sim(size=300, seed=33, hourly_size=400)
    truth = Counter(t["site"] for t in sim.truth(source=HOURLY))
    sim.set_faults(hourly_graphql_error=["CA"], hourly_graphql_hang=["IE"])
    result = await crawl_hourly(sim, settings={"JOBTRACKER_HOURLY_RESPONSE_TIMEOUT": 3})

    assert result.finish_reason == "finished"
    assert result.stats["jobtracker/run_complete"] is False
    assert partitions(result) == {"US": True, "UK": True, "CA": False, "IE": False}
    assert Counter(item.source_id.split("-")[1] for item in result.items) == {
        "US": truth["US"],
        "UK": truth["UK"],
    }
    assert result.stats["jobtracker/hourly/graphql_failed"] == 1
    assert result.stats["jobtracker/hourly/timeout"] == 1
    assert result.stats["elapsed_time_seconds"] < 120  # the silent site did not hang the run

    # Failing from the third page on: what the first two pages listed is kept.
    sim.set_faults(hourly_graphql_error=["US"], hourly_error_after_pages=2)
    partial = await crawl_hourly(sim, countries="US")
    assert partitions(partial) == {"US": False}
    assert len(partial.items) == 2 * 20 < truth["US"]
    problems = partial.run.ledger.get("site=US").problems
    assert problems == ["GraphQL answered HTTP 500 (page 3)"]


@deferred_f_from_coro_f
async def test_bad_arguments_and_a_missing_browser_stop_before_any_request(start_sim) -> None:
    sim = start_sim(size=300, seed=34, hourly_size=100)
    bad = await crawl_hourly(sim, countries="JP")
    assert bad.finish_reason == "bad_argument:countries"
    assert bad.requests == 0
    assert bad.stats["log_count/ERROR"] == 1  # the message naming the argument, no traceback
    launch = {"executable_path": "/nonexistent/chromium", "headless": True}
    missing = await crawl_hourly(sim, settings={"PLAYWRIGHT_LAUNCH_OPTIONS": launch})
    assert missing.finish_reason == "browser_missing"
    assert missing.requests == 0 and not missing.items
    assert missing.stats["log_count/ERROR"] == 1


def store_settings(db: Database, mongo_uri: str) -> dict[str, Any]:
    return {"MONGO_URI": mongo_uri, "MONGO_DATABASE": db.name}


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_daily_browser_crawls_build_the_true_history(start_sim, mongo_db, mongo_uri):
    sim = start_sim(size=300, seed=35, hourly_size=300)
    live_by_day = {}
    for day in range(7):
        sim.set_day(day)
        live_by_day[day] = {
            t["job_id"]: offer_of(t["card"]) for t in sim.truth(day=day, jobs=True, source=HOURLY)
        }
        settings = {**store_settings(mongo_db, mongo_uri), "JOBTRACKER_CLOCK_START": day_clock(day)}
        result = await crawl_hourly(sim, settings=settings, _job=f"day{day}")
        assert result.stats["jobtracker/run_complete"] is True
    expected = expected_history(live_by_day)
    assert sum(e.status == "closed" for e in expected.values()) >= 5, "days must close postings"
    assert sum(e.versions > 1 for e in expected.values()) >= 5, "and edit some"
    assert sum(len(e.spans) > 1 for e in expected.values()) >= 1, "and relist at least one"
    mismatches = store_mismatches(mongo_db, expected)
    assert not mismatches, f"{len(mismatches)} postings differ, e.g. {mismatches[:3]}"
    run = mongo_db.crawl_runs.find_one({"_id": "day6"})
    assert run["source"] == HOURLY and run["complete"] is True
    assert run["closure"]["applied"] is True
    assert run["scope"]["countries"] == ["USA", "CAN", "GBR", "IRL"]
    stored = mongo_db.postings.find_one({"source": HOURLY})
    assert stored["country_code"] in ("USA", "CAN", "GBR", "IRL")
    assert stored["pay"][0]["period"] == "hour" and stored["locations"][0]["country_alpha3"]


@deferred_f_from_coro_f
async def test_a_site_that_fails_closes_none_of_its_postings(start_sim, mongo_db, mongo_uri):
    sim = start_sim(size=300, seed=36, hourly_size=300)
    settings = store_settings(mongo_db, mongo_uri)
    await crawl_hourly(sim, settings=settings, _job="day0")
    day0 = {t["job_id"]: t["site"] for t in sim.truth(day=0, source=HOURLY)}
    sim.set_day(4)
    day4 = {t["job_id"] for t in sim.truth(day=4, source=HOURLY)}
    gone = {job: site for job, site in day0.items() if job not in day4}
    assert {"US", "CA"} <= set(gone.values()), "both sites must lose postings by day 4"
    sim.set_faults(hourly_graphql_error=["CA"], hourly_error_after_pages=1)
    partial = await crawl_hourly(sim, settings=settings, _job="day4")
    assert partitions(partial)["CA"] is False and partitions(partial)["US"] is True
    missing = {doc["source_id"] for doc in mongo_db.postings.find({"missing_since": {"$ne": None}})}
    unseen_ca = {job for job, site in day0.items() if site == "CA" and job not in partial.ids}
    assert unseen_ca and not (missing & unseen_ca), "an incomplete site marks nothing missing"
    assert {job for job, site in gone.items() if site != "CA"} == missing
    run = mongo_db.crawl_runs.find_one({"_id": "day4"})
    assert run["complete"] is False and run["closure"]["skipped_incomplete_partition"] > 0
