"""Crawls of a simulated www.amazon.jobs whose contract drifted (issue 14), over real HTTP and,
where the store matters, the MongoDB wire protocol: a blocked client is a failed run that
closes nothing."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pytest
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.commands.crawl import exit_code_for, exit_code_from_stats
from jobtracker.partitions import page_offsets
from jobtracker.store.lifecycle import RunOutcome, covering_partition_complete
from tests.support.crawling import CrawlResult, run_crawl
from tests.support.history import day_clock


async def stored_crawl(
    sim: Any, db: Database, mongo_uri: str, *, day: int, job: str, **kwargs: Any
) -> CrawlResult:
    """Crawl the simulator's ``day`` into ``db``, dated like that day."""
    sim.set_day(day)
    settings = {
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": db.name,
        "JOBTRACKER_CLOCK_START": day_clock(day),
        **kwargs.pop("settings", {}),
    }
    return await run_crawl(settings=settings, base_url=sim.url, _job=job, **kwargs)


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.name.startswith("jobtracker")
    ]


# -- blocked is not empty ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("knobs", "status"),
    [
        ({"blocked_user_agents": ["research crawler"]}, "HTTP 403"),
        ({"block_everyone": True, "block_with_200": True}, "HTML block page (HTTP 200)"),
    ],
)
@deferred_f_from_coro_f
async def test_a_blocked_crawl_fails_in_one_line_and_closes_nothing(
    start_sim, mongo_db, mongo_uri, caplog, knobs: dict[str, Any], status: str
) -> None:
    sim = start_sim(size=1500, seed=41)
    first = await stored_crawl(sim, mongo_db, mongo_uri, day=0, job="d0")
    assert first.stats["jobtracker/run_complete"] is True
    open_before = mongo_db.postings.count_documents({"status": "open"})
    gone = {t["id_icims"] for t in sim.truth(day=0)} - {t["id_icims"] for t in sim.truth(day=3)}
    assert gone, "the board must lose postings between the days for the test to mean anything"
    sim.set_faults(**knobs)
    caplog.clear()

    with caplog.at_level(logging.INFO):
        blocked = await stored_crawl(sim, mongo_db, mongo_uri, day=3, job="d3")

    assert blocked.finish_reason == "blocked"
    assert exit_code_for(blocked.finish_reason, False) == 1
    assert blocked.items == []
    (line,) = error_lines(caplog)
    assert line.startswith(f"blocked: {status} from {sim.url}/en/search.json?"), line
    assert line == f"blocked: {blocked.stats['jobtracker/finish_detail']}"
    run = mongo_db.crawl_runs.find_one({"_id": "d3"})
    assert run["finish_reason"] == "blocked"
    assert run["complete"] is False
    assert run["closure"]["applied"] is False
    assert run["changes"]["closed"] == run["changes"]["marked_missing"] == 0
    assert mongo_db.postings.count_documents({"status": "open"}) == open_before
    assert mongo_db.postings.count_documents({"missing_since": {"$ne": None}}) == 0


@deferred_f_from_coro_f
async def test_the_user_agent_suffix_is_a_setting(sim) -> None:
    sim.set_faults(blocked_user_agents=["research crawler"])

    result = await run_crawl(
        base_url=sim.url,
        query="Rekognition",
        settings={"JOBTRACKER_USER_AGENT_SUFFIX": " (university study)"},
    )

    assert result.finish_reason == "finished"
    assert result.items and result.stats["jobtracker/run_complete"] is True
    assert sim.state()["requests"].get("blocked", 0) == 0


# -- no request is ever dropped silently ----------------------------------------------------
@deferred_f_from_coro_f
async def test_a_keyword_run_over_every_category_splits_the_list_and_drops_nothing(sim) -> None:
    """All 60 categories make a URL of over 2,083 characters, which Scrapy refuses to send."""
    jobs = [t["job"] for t in sim.truth(jobs=True)]
    categories = sorted({job["business_category"] for job in jobs})
    assert len(",".join(categories)) > 1000
    expected = {
        job["id_icims"]
        for job in jobs
        if "rekognition" in " ".join(str(job[f]) for f in ("title", "description")).lower()
        or "rekognition" in str(job["basic_qualifications"]).lower()
        or "rekognition" in str(job["preferred_qualifications"]).lower()
    }

    result = await run_crawl(base_url=sim.url, query="Rekognition", categories=",".join(categories))

    assert "urllength/request_ignored_count" not in result.stats
    assert set(result.ids) == expected
    assert result.stats["jobtracker/run_complete"] is True


@pytest.mark.parametrize("scoped_categories", [False, True])
@deferred_f_from_coro_f
async def test_a_long_country_list_is_split_into_partitions_that_fit(
    start_sim, scoped_categories: bool
) -> None:
    sim = start_sim(size=3000, seed=17)
    truth = sim.truth()
    countries = sorted({t["country_code"] for t in truth})
    categories = ["aws", "legal", "no-such-category"] if scoped_categories else []
    expected = {
        t["id_icims"] for t in truth if not categories or t["business_category"] in categories
    }
    limit = 900
    assert len(",".join(countries)) * 8 > limit, "the country filters alone are over the limit"

    scope = {"categories": ",".join(categories)} if categories else {}
    result = await run_crawl(
        base_url=sim.url,
        countries=",".join(countries),
        settings={"URLLENGTH_LIMIT": limit},
        **scope,
    )

    assert "urllength/request_ignored_count" not in result.stats
    assert set(result.ids) == expected
    assert result.stats["jobtracker/run_complete"] is True, [
        (p["key"], p["problems"]) for p in result.spider.run.ledger.summary() if not p["complete"]
    ]


@deferred_f_from_coro_f
async def test_a_request_scrapy_refuses_marks_its_partition_incomplete(sim) -> None:
    result = await run_crawl(base_url=sim.url, settings={"URLLENGTH_LIMIT": 80})

    assert result.stats.get("urllength/request_ignored_count") == 1
    root = {p["key"]: p for p in result.spider.run.ledger.summary()}["all"]
    assert not root["complete"]
    assert root["problems"] and "URLLENGTH_LIMIT=80" in root["problems"][0], root["problems"]
    assert result.stats["jobtracker/run_complete"] is False


# -- strict exit status -----------------------------------------------------------------------
@deferred_f_from_coro_f
async def test_strict_exit_3_when_the_guard_blocks_the_closures(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=1500, seed=42)
    first = await stored_crawl(sim, mongo_db, mongo_uri, day=0, job="d0")
    assert exit_code_from_stats(first.stats, bootstrap_failed=False, strict=True) == 0
    sim.set_faults(hide_fraction=0.4)  # a site change: 40% of the board gone at once

    guarded = await stored_crawl(sim, mongo_db, mongo_uri, day=1, job="d1")

    assert guarded.stats["jobtracker/run_complete"] is True
    run = mongo_db.crawl_runs.find_one({"_id": "d1"})
    assert run["closure"]["blocked_reason"].startswith("mass-closure guard")
    assert exit_code_from_stats(guarded.stats, bootstrap_failed=False, strict=False) == 0
    assert exit_code_from_stats(guarded.stats, bootstrap_failed=False, strict=True) == 3


# -- a full crawl without facets: the discovered plan -----------------------------------------
def minimum_requests(truth: list[dict[str, Any]], window: int = 10_000) -> int:
    """The fewest requests of a crawl with facets (robots.txt, the root facet call, the
    overlapping pages of each category, one facet call and the country pages of a category
    that reaches the window)."""
    requests = 2
    for category, count in Counter(t["business_category"] for t in truth).items():
        if count < window:
            requests += len(page_offsets(count, 100, window))
            continue
        countries = Counter(t["country_code"] for t in truth if t["business_category"] == category)
        requests += 1 + sum(len(page_offsets(n, 100, window)) for n in countries.values())
    return requests


def by_key(result: CrawlResult) -> dict[str, dict[str, Any]]:
    assert result.spider is not None
    return {p["key"]: p for p in result.spider.run.ledger.summary()}


def problems(result: CrawlResult) -> list[tuple[str, list[str]]]:
    return [(k, p["problems"]) for k, p in by_key(result).items() if not p["complete"]]


@pytest.mark.parametrize(
    ("knobs", "reason"),
    [
        ({"facets_missing": True}, "no business_category facet"),
        ({"facets_lie_categories": ["legal"]}, "country counts to 3,000"),
    ],
)
@deferred_f_from_coro_f
async def test_without_usable_facets_a_board_under_the_window_is_crawled_from_its_data(
    start_sim, knobs: dict[str, Any], reason: str
) -> None:
    sim = start_sim(size=3000, seed=15)
    truth = sim.truth()
    assert len(truth) < 10_000
    sim.set_faults(**knobs)

    result = await run_crawl(base_url=sim.url)

    assert result.finish_reason == "finished"
    assert Counter(result.ids) == Counter(t["id_icims"] for t in truth)  # all, once each
    ledger = result.spider.run.ledger
    assert ledger.plan == "discovered" and reason in ledger.plan_reason, ledger.plan_reason
    assert result.stats["jobtracker/run_complete"] is True, problems(result)
    parts = by_key(result)
    root = parts["all"]
    assert root["split_by"] == "business_category" and root["facet_consistent"] is True
    counts = Counter(t["business_category"] for t in truth)
    assert {k for k in parts if k != "all"} == {f"business_category={c}" for c in counts}
    assert sum(parts[f"business_category={c}"]["expected"] for c in counts) == root["expected"]
    minimum = minimum_requests(truth)
    assert result.requests <= 1.3 * minimum, (result.requests, minimum)


@deferred_f_from_coro_f
async def test_without_facets_a_broken_category_filter_is_incomplete_never_empty(
    start_sim,
) -> None:
    sim = start_sim(size=3000, seed=15)
    truth = sim.truth()
    sim.set_faults(facets_missing=True, category_filter_zero=True)

    result = await run_crawl(base_url=sim.url)

    assert set(result.ids) == {t["id_icims"] for t in truth}  # the root listing has them
    assert result.stats["jobtracker/run_complete"] is False
    parts = by_key(result)
    assert parts["all"]["facet_consistent"] is False  # vouches for no absent category
    legal = parts["business_category=legal"]
    assert legal["expected"] == 0 and legal["fetched"] > 0 and not legal["complete"]
    run = RunOutcome(
        "run", "finished", False, result.spider.run.ledger.summary(), source="amazon_jobs"
    )
    assert not any(
        covering_partition_complete(
            run, {"business_category": t["business_category"], "country_code": t["country_code"]}
        )
        for t in truth
    )


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_without_facets_the_default_board_over_the_window_is_found_in_full(sim) -> None:
    truth = sim.truth()
    assert len(truth) > 10_000
    sim.set_faults(facets_missing=True)

    result = await run_crawl(base_url=sim.url)

    assert result.finish_reason == "finished"
    assert Counter(result.ids) == Counter(t["id_icims"] for t in truth)
    assert result.spider.run.ledger.plan == "discovered"
    # hits saturate at the window: the run cannot prove it saw every category, so it says so.
    assert result.stats["jobtracker/run_complete"] is False
    root = by_key(result)["all"]
    assert root["facet_consistent"] is False
    assert any("window" in problem for problem in root["problems"]), root["problems"]
    others = [p for k, p in by_key(result).items() if not p["complete"] and k != "all"]
    assert all(p["split_by"] for p in others), others  # only the categories over the window


@deferred_f_from_coro_f
async def test_the_discovered_plan_asks_for_a_category_only_the_store_knows(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=2000, seed=43)
    truth = sim.truth()
    small = Counter(t["business_category"] for t in truth).most_common(8)[-1][0]
    await stored_crawl(sim, mongo_db, mongo_uri, day=0, job="d0")
    assert mongo_db.crawl_runs.find_one({"_id": "d0"})["plan"] == "facets"
    sim.set_faults(facets_missing=True, vanish_categories=[small])

    result = await stored_crawl(sim, mongo_db, mongo_uri, day=1, job="d1")

    assert result.stats["jobtracker/run_complete"] is True, problems(result)
    gone = by_key(result)[f"business_category={small}"]
    assert gone["complete"] and gone["expected"] == 0 and gone["fetched"] == 0
    run = mongo_db.crawl_runs.find_one({"_id": "d1"})
    assert run["plan"] == "discovered"
    assert "no business_category facet" in run["plan_reason"]
    missing = set(mongo_db.postings.distinct("business_category", {"missing_since": {"$ne": None}}))
    assert small in missing
