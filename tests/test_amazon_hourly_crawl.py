"""``amazon_hourly`` in Debian's Chromium against the simulated hourly sites, over loopback.

Every test launches a real browser through scrapy-playwright; the pages run their own
script, obtain their token and make their own GraphQL calls, as on the real sites.
"""

from __future__ import annotations

import json
import socket
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
#: The project's defaults (a 1 s pause between pages) but a shorter wait for a silent answer.
BROWSER_SETTINGS = {"JOBTRACKER_HOURLY_RESPONSE_TIMEOUT": 10}
FAST = {"JOBTRACKER_HOURLY_PAGE_DELAY": 0}
#: The card fields a researcher would call a job's offer (what the store versions).
OFFER = ("jobTitle", "jobType", "employmentType", "locationName", "postalCode",
         "totalPayRateMin", "totalPayRateMax", "currencyCode", "payFrequency",
         "scheduleCount")  # fmt: skip
HEADLESS_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36"
)


def offer_of(card: dict[str, Any]) -> tuple[str, ...]:
    return tuple(" ".join(str(card.get(name) or "").split()) for name in OFFER)


async def crawl_hourly(
    sim: Any, settings: dict[str, Any] | None = None, **arguments: Any
) -> CrawlResult:
    """One run of ``amazon_hourly`` against the simulator's hourly sites."""
    pairs = ",".join(f"{site}={url}" for site, url in sim.hourly_urls().items())
    result = await run_crawl(
        settings={**BROWSER_SETTINGS, **(settings or {})},
        spider_cls=AmazonHourlySpider,
        base_urls=arguments.pop("base_urls", pairs),
        **arguments,
    )
    assert result.open_browser_contexts in (0, None), "a browser context was left open"
    return result


def partitions(result: CrawlResult) -> dict[str, bool]:
    """Site -> complete, from the run's ledger."""
    assert result.run is not None
    return {
        state.key.rsplit("=", 1)[-1]: bool(state.complete)
        for state in result.run.ledger.states.values()
        if state.key != "all"
    }


def site_state(result: CrawlResult, site: str) -> Any:
    assert result.run is not None
    return result.run.ledger.get(f"site={site}")


def by_site(ids: list[str]) -> Counter[str]:
    return Counter(job_id.split("-")[1] for job_id in ids)


@deferred_f_from_coro_f
async def test_the_crawl_lists_every_posting_of_each_country(start_sim, tmp_path: Path) -> None:
    """The UIs ask near a place and hide private schedules and past start dates; the crawl
    still lists every posting of every country, at the default pause between pages."""
    sim = start_sim(size=300, seed=31, hourly_size=400)
    truth = sim.truth(source=HOURLY, jobs=True)
    assert any(t["private_schedule"] for t in truth), "some postings must be private schedules"
    summary_file = tmp_path / "summary.json"
    result = await crawl_hourly(sim, settings={"JOBTRACKER_SUMMARY_FILE": str(summary_file)})

    assert result.finish_reason == "finished"
    assert result.stats["jobtracker/run_complete"] is True
    assert partitions(result) == {"US": True, "CA": True, "UK": True, "IE": True}
    assert sorted(result.ids) == sorted(t["job_id"] for t in truth)
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
    # The summary gives the hourly source's role-family coverage a line of its own.
    summary = json.loads(summary_file.read_text())
    assert summary["role_family_by_source"] == {
        HOURLY: {"resolved": len(truth), "total": len(truth)}
    }
    assert f"role family: 100.0 % of {len(truth)} {HOURLY} postings" in format_summary(summary)
    for site in SITES:
        state = site_state(result, site)
        query = state.query
        assert query["mode"] == "country" and "geoQueryClause" not in query["variables"]
        assert query["variables"]["pageSize"] == 100
        assert query["taken_from"] == ("contract" if site == "US" else "page"), site
        # 100 cards a page: as few pages as the country needs, each answered
        need = -(-by_site([t["job_id"] for t in truth])[site] // 100)
        assert state.pages_ok == state.pages_planned == max(1, need), site
    stats = result.stats
    assert stats["playwright/context_count"] == len(SITES)
    assert stats["playwright/page_count/max_concurrent"] <= 2
    assert stats.get("jobtracker/hourly/contract_requests") == 1  # US only
    assert stats["jobtracker/hourly/consent_accepted"] == len(SITES)  # each page's dialog


@deferred_f_from_coro_f
async def test_a_site_that_refuses_country_wide_queries_is_tiled_to_full_coverage(
    start_sim,
) -> None:
    sim = start_sim(size=300, seed=37, hourly_size=400)
    truth = by_site([t["job_id"] for t in sim.truth(source=HOURLY)])
    sim.set_faults(hourly_require_geo={"IE": 100})
    result = await crawl_hourly(sim, settings=FAST, countries="IE,UK")
    assert partitions(result) == {"UK": True, "IE": True}
    assert by_site(result.ids) == {"IE": truth["IE"], "UK": truth["UK"]}
    query = site_state(result, "IE").query
    assert query["mode"] == "tiles" and query["covered"] is True
    assert query["radius_mi"] == 100 and query["tiles"] >= 4
    assert "geoQueryClause is required" in query["refused"]
    assert site_state(result, "UK").query["mode"] == "country"

    # A site that accepts only small circles: halved twice, then too many tiles to cover.
    sim.set_faults(hourly_require_geo={"IE": 20})
    small = await crawl_hourly(
        sim, settings={**FAST, "JOBTRACKER_HOURLY_MAX_TILES": 40}, countries="IE"
    )
    assert partitions(small) == {"IE": False}, "a geo-scoped answer is never complete"
    [problem] = site_state(small, "IE").problems
    assert "the country is not covered" in problem
    assert site_state(small, "IE").query["covered"] is False


@deferred_f_from_coro_f
async def test_a_blocked_site_fails_as_blocked_never_empty(start_sim) -> None:
    sim = start_sim(size=300, seed=38, hourly_size=200)
    sim.set_faults(hourly_block=["UK"])
    result = await crawl_hourly(sim, settings=FAST)
    assert partitions(result) == {"US": True, "CA": True, "UK": False, "IE": True}
    assert not by_site(result.ids)["UK"]
    [problem] = site_state(result, "UK").problems
    assert problem.startswith("blocked: HTTP 403")
    assert result.stats["jobtracker/blocked"] == 1
    assert result.finish_reason == "finished"

    sim.set_faults(hourly_block=list(SITES))
    every = await crawl_hourly(sim, settings=FAST)
    assert every.finish_reason == "blocked" and not every.items
    assert "refuse this client" in every.stats["jobtracker/finish_detail"]

    # The browser's own headless user agent is refused by the WAF, as on the real sites.
    sim.set_faults(hourly_block=[])
    headless = await crawl_hourly(sim, settings={**FAST, "USER_AGENT": HEADLESS_UA}, countries="IE")
    assert headless.finish_reason == "blocked" and not headless.items


@deferred_f_from_coro_f
async def test_an_expired_token_is_renewed_once(start_sim) -> None:
    sim = start_sim(size=300, seed=39, hourly_size=400)
    truth = by_site([t["job_id"] for t in sim.truth(source=HOURLY)])
    # Tokens that outlive no pause between pages: every later page renews once, and succeeds.
    sim.set_faults(hourly_token_ttl=1)
    result = await crawl_hourly(sim, settings={"JOBTRACKER_HOURLY_PAGE_DELAY": 1.5}, countries="US")
    assert partitions(result) == {"US": True}
    assert by_site(result.ids) == {"US": truth["US"]}
    assert sim.state()["hourly"]["requests"]["US"]["graphql_401"] >= 2
    # Tokens dead on arrival: the renewed one is refused too, and the site fails on it.
    sim.set_faults(hourly_token_ttl=0)
    dead = await crawl_hourly(sim, settings=FAST, countries="IE")
    assert partitions(dead) == {"IE": False} and not dead.items
    [problem] = site_state(dead, "IE").problems
    assert "renewed token was refused" in problem


@deferred_f_from_coro_f
async def test_graphql_errors_a_hanging_call_and_a_site_failing_part_way(start_sim) -> None:
    sim = start_sim(size=300, seed=33, hourly_size=400)
    truth = by_site([t["job_id"] for t in sim.truth(source=HOURLY)])
    sim.set_faults(hourly_graphql_error=["CA"], hourly_graphql_hang=["IE"])
    result = await crawl_hourly(sim, settings={**FAST, "JOBTRACKER_HOURLY_RESPONSE_TIMEOUT": 3})
    assert result.finish_reason == "finished"
    assert result.stats["jobtracker/run_complete"] is False
    assert partitions(result) == {"US": True, "UK": True, "CA": False, "IE": False}
    assert by_site(result.ids) == {"US": truth["US"], "UK": truth["UK"]}
    assert result.stats["jobtracker/hourly/graphql_failed"] == 1
    assert result.stats["jobtracker/hourly/timeout"] == 1
    assert result.stats["elapsed_time_seconds"] < 120  # the silent site did not hang the run

    # Failing from the third page on: what the first two pages listed is kept.
    assert truth["US"] > 200
    sim.set_faults(hourly_graphql_error=["US"], hourly_error_after_pages=2)
    partial = await crawl_hourly(sim, settings=FAST, countries="US")
    assert partitions(partial) == {"US": False}
    assert len(partial.items) == 2 * 100
    [problem] = site_state(partial, "US").problems
    assert problem.startswith("the country, page 3 answered HTTP 500")


@deferred_f_from_coro_f
async def test_a_cross_origin_graphql_endpoint_is_replayed_where_the_page_sent_it(
    start_sim,
) -> None:
    sim = start_sim(size=300, seed=40, hourly_size=300)
    truth = by_site([t["job_id"] for t in sim.truth(source=HOURLY)])
    sim.set_faults(hourly_appsync=["UK"])
    result = await crawl_hourly(sim, settings=FAST, countries="UK")
    assert partitions(result) == {"UK": True}
    assert by_site(result.ids) == {"UK": truth["UK"]}
    endpoint = site_state(result, "UK").query["endpoint"]
    assert endpoint.endswith("/graphql") and not endpoint.startswith(sim.hourly_urls()["UK"])


@deferred_f_from_coro_f
async def test_schedules_are_fetched_per_job_when_asked(start_sim, mongo_db, mongo_uri) -> None:
    sim = start_sim(size=300, seed=41, hourly_size=200)
    cards = {t["job_id"]: t["card"] for t in sim.truth(source=HOURLY, jobs=True)}
    settings = {**FAST, **store_settings(mongo_db, mongo_uri),
                "JOBTRACKER_HOURLY_SCHEDULE_DELAY": 0}  # fmt: skip
    result = await crawl_hourly(sim, settings=settings, countries="IE", schedules="1")
    assert partitions(result) == {"IE": True} and result.items
    for item in result.items:
        assert len(item.schedules) == cards[item.source_id]["scheduleCount"]
        assert all(s["jobId"] == item.source_id and s["scheduleText"] for s in item.schedules)
    assert result.stats["jobtracker/hourly/schedules"] == len(result.items)
    # kept in each version's snapshot, not on the posting
    for item in result.items:
        posting_id = f"{HOURLY}:{item.source_id}"
        [version] = mongo_db.posting_versions.find({"posting_id": posting_id})
        assert version["snapshot"]["schedules"] == item.schedules
        posting = mongo_db.postings.find_one({"_id": posting_id})
        assert "schedules" not in posting and "card" not in posting
    plain = await crawl_hourly(sim, settings=FAST, countries="IE")
    assert all(item.schedules is None for item in plain.items)


@deferred_f_from_coro_f
async def test_unreachable_sites_stop_the_run_as_unreachable(start_sim) -> None:
    sim = start_sim(size=300, seed=42, hourly_size=100)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = await crawl_hourly(sim, countries="UK,IE", base_urls=f"UK={closed},IE={closed}")
    assert result.finish_reason == "unreachable" and not result.items
    assert "cannot be reached" in result.stats["jobtracker/finish_detail"]
    # One site refusing us and the other out of reach: no site let us in, the run says so.
    sim.set_faults(hourly_block=["UK"])
    urls = sim.hourly_urls()
    mixed = await crawl_hourly(sim, countries="UK,IE", base_urls=f"UK={urls['UK']},IE={closed}")
    assert mixed.finish_reason == "blocked" and not mixed.items
    detail = mixed.stats["jobtracker/finish_detail"]
    assert detail.startswith("no hourly site let this client in (")
    assert "UK: blocked" in detail and "IE: unreachable" in detail


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
    queries = {p["key"]: p.get("query") for p in run["partitions"]}
    assert queries["site=UK"]["mode"] == "country" and queries["site=UK"]["taken_from"] == "page"
    assert "geoQueryClause" not in queries["site=CA"]["variables"]
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
    sim.set_faults(hourly_graphql_error=["CA"])  # every page: 100 a page, one page for CA
    partial = await crawl_hourly(sim, settings=settings, _job="day4")
    assert partitions(partial)["CA"] is False and partitions(partial)["US"] is True
    missing = {doc["source_id"] for doc in mongo_db.postings.find({"missing_since": {"$ne": None}})}
    unseen_ca = {job for job, site in day0.items() if site == "CA" and job not in partial.ids}
    assert unseen_ca and not (missing & unseen_ca), "an incomplete site marks nothing missing"
    assert {job for job, site in gone.items() if site != "CA"} == missing
    run = mongo_db.crawl_runs.find_one({"_id": "day4"})
    assert run["complete"] is False and run["closure"]["skipped_incomplete_partition"] > 0
