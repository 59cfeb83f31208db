"""End-to-end crawls of the simulated www.amazon.jobs over real HTTP (no mocks).

Each test starts from the simulator's ground truth (``/_sim/truth``) and checks what the
spider collected and what it claims about completeness.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.partitions import page_offsets
from jobtracker.sources.amazon_jobs import NAME as SOURCE
from jobtracker.store.lifecycle import RunOutcome, covering_partition_complete
from tests.support.crawling import CrawlResult, run_crawl

PAGE = 100


def text_of(job: dict[str, Any]) -> str:
    fields = ("title", "description", "basic_qualifications", "preferred_qualifications")
    return " ".join(job.get(name) or "" for name in fields).lower()


def minimum_requests(truth: list[dict[str, Any]], window: int) -> int:
    """The fewest requests a crawl of this board with pages that overlap by one row can make:
    robots.txt, the root facet call, the overlapping pages of each partition, one facet call
    per category that reaches the window."""
    requests = 1 + 1  # robots.txt, root facet call
    for category, count in Counter(t["business_category"] for t in truth).items():
        if count < window:
            requests += len(page_offsets(count, PAGE, window))
            continue
        requests += 1
        countries = Counter(t["country_code"] for t in truth if t["business_category"] == category)
        assert max(countries.values()) < window, "the default board needs only a country split"
        requests += sum(len(page_offsets(n, PAGE, window)) for n in countries.values())
    return requests


def assert_no_duplicates(result: CrawlResult) -> None:
    duplicated = [key for key, n in Counter(result.ids).items() if n > 1]
    assert not duplicated, f"items emitted twice: {duplicated[:5]}"


def partitions(result: CrawlResult) -> dict[str, dict[str, Any]]:
    assert result.run is not None
    return {p["key"]: p for p in result.run.ledger.summary()}


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_full_crawl_collects_every_live_posting_once(sim) -> None:
    truth = sim.truth()
    window = sim.state()["result_window"]
    largest = Counter(t["business_category"] for t in truth).most_common(1)[0]
    assert largest[1] > window, "the default board must have a category above the window"

    result = await run_crawl(base_url=sim.url)

    assert result.finish_reason == "finished"
    assert_no_duplicates(result)
    assert set(result.ids) == {t["id_icims"] for t in truth}
    parts = partitions(result)
    incomplete = [key for key, p in parts.items() if not p["complete"]]
    assert not incomplete
    assert result.stats["jobtracker/run_complete"] is True
    big = parts[f"business_category={largest[0]}"]
    assert big["split_by"] == "normalized_country_code"
    assert big["fetched"] == largest[1]
    assert parts["all"]["promised"] == len(truth)
    minimum = minimum_requests(truth, window)
    assert result.requests <= minimum * 1.05, (result.requests, minimum)
    # Every item keeps the raw job object exactly as served.
    by_id = {t["id_icims"]: t for t in truth}
    sample = result.items[0]
    assert sample.raw["id_icims"] == sample.source_id
    assert sample.raw["business_category"] == by_id[sample.source_id]["business_category"]
    assert sample.url == sim.url + sample.raw["job_path"]
    # Normalization coverage on the whole board (issue targets: 99.5%, 97%, 100%).
    assert result.stats["jobtracker/location/resolved"] >= 0.995 * len(truth)
    assert result.stats.get("jobtracker/role_family/mapped", 0) >= 0.97 * len(truth)
    assert result.stats["jobtracker/posted_date/parsed"] == len(truth)
    for item in result.items[:500]:
        assert item.locations and item.locations[0]["country_alpha3"] == item.raw["country_code"]
        assert item.posted_date is not None and item.description_text


@deferred_f_from_coro_f
async def test_keyword_crawl_returns_exactly_the_matching_postings(sim) -> None:
    jobs = [t["job"] for t in sim.truth(jobs=True)]
    expected = {job["id_icims"] for job in jobs if "rekognition" in text_of(job)}
    assert 20 <= len(expected) <= 400, "the board should mention Rekognition a realistic amount"

    result = await run_crawl(base_url=sim.url, query="Rekognition")

    assert result.finish_reason == "finished"
    assert_no_duplicates(result)
    assert set(result.ids) == expected
    assert result.run.keyword_run
    assert result.stats["jobtracker/run_complete"] is True
    pages = len(page_offsets(len(expected), PAGE, 10_000))
    assert result.requests <= 2 + pages  # robots + pages, no facet call


@deferred_f_from_coro_f
async def test_country_scoped_crawl_returns_exactly_that_countrys_postings(sim) -> None:
    truth = sim.truth()
    expected = {t["id_icims"] for t in truth if t["country_code"] in {"JPN", "DEU"}}
    assert expected

    result = await run_crawl(base_url=sim.url, countries="JP,DE")

    assert set(result.ids) == expected
    assert_no_duplicates(result)
    assert result.stats["jobtracker/run_complete"] is True
    assert result.run.scope["countries"] == ["DEU", "JPN"]
    assert all(
        p["filters"].get("business_category") for k, p in partitions(result).items() if k != "all"
    )


@deferred_f_from_coro_f
async def test_category_scope_lists_absent_categories_as_complete_and_empty(sim) -> None:
    truth = sim.truth()
    legal = {t["id_icims"] for t in truth if t["business_category"] == "legal"}
    assert legal

    result = await run_crawl(base_url=sim.url, categories="legal,no-such-category")

    assert set(result.ids) == legal
    parts = partitions(result)
    assert parts["business_category=no-such-category"]["complete"]
    assert parts["business_category=no-such-category"]["fetched"] == 0
    assert parts["business_category=legal"]["complete"]


@deferred_f_from_coro_f
async def test_transient_faults_are_retried_without_duplicates(start_sim) -> None:
    sim = start_sim(size=3000, seed=11)
    truth = sim.truth()
    sim.set_faults(
        rate_429=0.05,
        retry_after=1,
        burst_5xx_every=25,
        burst_5xx_len=2,
        rate_malformed=0.04,
        rate_truncated=0.04,
        rate_soft_error=0.04,
        rate_empty_page=0.04,
        rate_slow=0.05,
        slow_ms=300,
        fault_seed=5,
    )

    result = await run_crawl(base_url=sim.url, settings={"RETRY_TIMES": 8})

    injected = sim.state()["injected"]
    assert sum(injected.values()) >= 10, injected
    assert result.finish_reason == "finished"
    assert_no_duplicates(result)
    assert set(result.ids) == {t["id_icims"] for t in truth}
    assert result.stats["jobtracker/run_complete"] is True
    assert result.stats.get("retry/count", 0) >= 10
    assert result.stats.get("jobtracker/malformed_json", 0) >= 1
    assert result.stats.get("jobtracker/soft_error", 0) >= 1
    assert result.stats.get("jobtracker/empty_page", 0) >= 1
    assert result.stats.get("retry/retry_after/count", 0) >= 1


@deferred_f_from_coro_f
async def test_a_partition_that_keeps_failing_is_marked_incomplete(start_sim) -> None:
    sim = start_sim(size=3000, seed=12)
    truth = sim.truth()
    category = Counter(t["business_category"] for t in truth).most_common(3)[-1][0]
    assert sum(t["business_category"] == category for t in truth) > PAGE
    sim.set_faults(fail_pattern=f"business_category[]={category}")

    result = await run_crawl(base_url=sim.url, settings={"RETRY_TIMES": 2})

    assert result.finish_reason == "finished"  # the crawl itself did not crash
    assert_no_duplicates(result)
    parts = partitions(result)
    failed = parts[f"business_category={category}"]
    assert not failed["complete"]
    assert failed["problems"] and "HTTP 500" in failed["problems"][0]
    assert failed["fetched"] == PAGE  # the first page was kept
    assert not parts["all"]["complete"]
    assert result.stats["jobtracker/run_complete"] is False
    others = {key for key, p in parts.items() if key not in ("all", failed["key"])}
    assert all(parts[key]["complete"] for key in others)
    expected_elsewhere = {t["id_icims"] for t in truth if t["business_category"] != category}
    assert expected_elsewhere <= set(result.ids)


@deferred_f_from_coro_f
async def test_a_category_listing_empty_while_its_facet_counts_it_is_incomplete(
    start_sim,
) -> None:
    """The site answers a category's listing with a valid page saying ``hits: 0`` while the
    facet call counts it: that is a contradiction, never "complete and empty"."""
    sim = start_sim(size=3000, seed=15)
    truth = sim.truth()
    counts = Counter(t["business_category"] for t in truth)
    category = counts.most_common(4)[-1][0]
    assert counts[category] > PAGE
    sim.set_faults(empty_listing_categories=[category])

    result = await run_crawl(base_url=sim.url)

    assert result.finish_reason == "finished"
    assert_no_duplicates(result)
    parts = partitions(result)
    broken = parts[f"business_category={category}"]
    assert broken["promised"] == counts[category]
    assert broken["fetched"] == 0
    assert not broken["complete"]
    assert f"listing hits 0 contradict the facet count {counts[category]}" in broken["problems"]
    assert not parts["all"]["complete"]
    assert result.stats["jobtracker/run_complete"] is False
    others = [p for key, p in parts.items() if key not in ("all", broken["key"])]
    assert others and all(p["complete"] for p in others)
    assert set(result.ids) == {t["id_icims"] for t in truth if t["business_category"] != category}


@deferred_f_from_coro_f
async def test_a_category_scoped_run_is_not_fooled_by_an_empty_category_filter(start_sim) -> None:
    """Scheduled jobs crawl a few categories each. When the site answers every request
    filtered by a category with ``hits: 0`` while its unfiltered facets still count it, the
    job's own facet call must not be the filtered one (it would say "absent: complete and
    empty", and closures would follow): the category is incomplete."""
    sim = start_sim(size=3000, seed=15)
    counts = Counter(t["business_category"] for t in sim.truth())
    broken, fine = (category for category, _ in counts.most_common(5)[3:5])
    sim.set_faults(empty_listing_categories=[broken])

    result = await run_crawl(base_url=sim.url, categories=f"{broken},{fine}")

    parts = partitions(result)
    assert parts[f"business_category={broken}"]["promised"] == counts[broken]
    assert not parts[f"business_category={broken}"]["complete"]
    assert parts[f"business_category={fine}"]["complete"]
    assert result.stats["jobtracker/run_complete"] is False
    assert Counter(result.ids) == Counter(
        t["id_icims"] for t in sim.truth() if t["business_category"] == fine
    )


@deferred_f_from_coro_f
async def test_a_facet_call_that_contradicts_its_promise_vouches_for_nothing(start_sim) -> None:
    """A category too large for the window is split by country; its facet call answers a
    valid ``hits: 0`` with no country counts while the root facet counts it. That split is
    inconsistent: the category is incomplete, and no closure may treat its postings (or a
    country it no longer lists) as gone."""
    window = 400
    sim = start_sim(size=3000, seed=15, result_window=window)
    truth = sim.truth()
    counts = Counter(t["business_category"] for t in truth)
    category, count = counts.most_common(1)[0]
    assert count > window
    sim.set_faults(empty_listing_categories=[category])

    result = await run_crawl(base_url=sim.url, settings={"AMAZON_JOBS_RESULT_WINDOW": window})

    assert result.finish_reason == "finished"
    parts = partitions(result)
    broken = parts[f"business_category={category}"]
    assert broken["facet_consistent"] is False
    assert not broken["complete"]
    assert broken["problems"] == [
        f"normalized_country_code facet counts sum to 0, the parent's facet count is {count}"
    ]
    assert parts["all"]["facet_consistent"] is True
    assert result.stats["jobtracker/run_complete"] is False
    assert result.run is not None
    run = RunOutcome("run", "finished", False, result.run.ledger.summary(), source=SOURCE)
    for t in truth:
        covered = covering_partition_complete(run, t)
        assert covered is (t["business_category"] != category), t


@pytest.mark.parametrize(
    ("size", "seed", "window", "day"),
    [
        (4000, 13, 400, 0),
        # aws/USA is split by state; a "USA, Virtual" posting has none and is in no child.
        (1200, 31, 300, 2),
    ],
)
@deferred_f_from_coro_f
async def test_small_window_forces_deeper_splits_and_honest_accounting(
    start_sim, size: int, seed: int, window: int, day: int
) -> None:
    sim = start_sim(size=size, seed=seed, result_window=window, day=day)
    truth = sim.truth()

    result = await run_crawl(base_url=sim.url, settings={"AMAZON_JOBS_RESULT_WINDOW": window})

    assert_no_duplicates(result)
    parts = partitions(result)
    assert any(p["split_by"] == "normalized_country_code" for p in parts.values())
    assert any(p["split_by"] == "normalized_state_name" for p in parts.values())
    collected = set(result.ids)
    for t in truth:
        if t["id_icims"] in collected:
            continue
        # A posting may only be missing from partitions that say they are incomplete.
        key = f"business_category={t['business_category']}"
        assert not parts[key]["complete"], f"{t['id_icims']} missing from complete {key}"
        country = parts.get(f"{key}/normalized_country_code={t['country_code']}")
        assert country is None or not country["complete"], t["id_icims"]
    for p in parts.values():
        if p["complete"] and p["split_by"] is None:
            assert p["fetched"] == p["expected"]


@deferred_f_from_coro_f
async def test_max_pages_marks_truncated_partitions_incomplete(sim) -> None:
    result = await run_crawl(base_url=sim.url, categories="legal,pxt", max_pages="1")

    parts = partitions(result)
    for key in ("business_category=legal", "business_category=pxt"):
        assert parts[key]["promised"] > PAGE
        assert not parts[key]["complete"]
        assert any("max_pages=1" in problem for problem in parts[key]["problems"])
        assert parts[key]["fetched"] == PAGE
    assert len(result.items) == 2 * PAGE


def missed_in_complete_partitions(
    result: CrawlResult, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """Postings live in the truth on both days around a mid-crawl change that were not fetched
    although the partition covering them is complete (as the closure rules read it).

    A posting that changed partition (category or country) between the days is left out: a
    partition read after the change and another read before it can both honestly miss it."""
    assert result.run is not None
    run = RunOutcome("run", "finished", False, result.run.ledger.summary(), source=SOURCE)
    later = {t["id_icims"]: t for t in after}
    collected = set(result.ids)
    missed = []
    for t in before:
        u = later.get(t["id_icims"])
        where = (t["business_category"], t["country_code"])
        if u is None or (u["business_category"], u["country_code"]) != where:
            continue
        if t["id_icims"] not in collected and covering_partition_complete(run, t):
            missed.append((t["id_icims"], *where))
    return missed


@deferred_f_from_coro_f
async def test_board_changing_mid_crawl_misses_nothing_a_complete_partition_covers(
    start_sim,
) -> None:
    """The served day advances mid-crawl (a day's postings added and removed while pages are
    read): no duplicates, and no posting live on both days is missing from a complete
    partition; partitions the board visibly moved under may be incomplete."""
    sim = start_sim(size=3000, seed=14)
    before, after = sim.truth(day=0), sim.truth(day=1)
    sim.set_faults(advance_day_after=10)

    result = await run_crawl(base_url=sim.url)

    assert sim.state()["day"] == 1
    assert result.finish_reason == "finished"
    assert_no_duplicates(result)
    assert set(result.ids) <= {t["id_icims"] for t in before + after}
    assert not missed_in_complete_partitions(result, before, after)
    parts = partitions(result)
    assert sum(p["complete"] for p in parts.values()) >= 0.8 * len(parts)


@pytest.mark.parametrize("advance_after", [3, 6, 10])
@deferred_f_from_coro_f
async def test_removals_while_a_partitions_pages_are_read_never_hide_a_skip(
    sim, advance_after: int
) -> None:
    """Offset paging over a moving board (sort=recent): a posting removed above a page
    boundary between the reads of two adjacent pages shifts the rows up, and the row at the
    boundary is in neither page. The partition must then fetch it anyway or say it is
    incomplete, never report complete without it."""
    before, after = sim.truth(day=0), sim.truth(day=1)
    counts = Counter(t["business_category"] for t in before)
    category = next(c for c, n in counts.most_common() if 800 <= n <= 4000)
    sim.set_faults(advance_day_after=advance_after)  # the root facet call is request 1

    result = await run_crawl(base_url=sim.url, categories=category)

    assert sim.state()["day"] == 1
    assert_no_duplicates(result)
    in_scope = [t for t in before if t["business_category"] == category]
    missed = missed_in_complete_partitions(result, in_scope, after)
    assert not missed, f"{len(missed)} live postings missing from complete partitions"
    state = partitions(result)[f"business_category={category}"]
    assert state["complete"] or state["problems"], state


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"countries": "JP,Atlantis"}, "bad_argument:countries"),
        ({"locale": "xx"}, "bad_argument:locale"),
        ({"max_pages": "-1"}, "bad_argument:max_pages"),
        ({"base_url": "localhost:8080"}, "bad_argument:base_url"),
        ({"colour": "blue"}, "bad_argument:colour"),
    ],
)
@deferred_f_from_coro_f
async def test_bad_arguments_stop_the_run_at_start(arguments: dict[str, str], reason: str) -> None:
    result = await run_crawl(**arguments)
    assert result.finish_reason == reason
    assert result.requests == 0
    assert result.items == []


@deferred_f_from_coro_f
async def test_scrapyd_job_id_is_the_run_id(sim) -> None:
    result = await run_crawl(
        base_url=sim.url, query="facial recognition", _job="job-42", _version="7"
    )
    assert result.run.run_id == "job-42"
    assert result.items and {item.run_id for item in result.items} == {"job-42"}
    assert result.stats["jobtracker/run_id"] == "job-42"


@deferred_f_from_coro_f
async def test_simulated_clock_dates_the_run_and_its_observations(sim) -> None:
    result = await run_crawl(
        settings={"JOBTRACKER_CLOCK_START": "2026-07-01T06:00:00Z"},
        base_url=sim.url,
        query="facial recognition",
    )
    assert result.run.run_id.startswith("20260701T0600")
    assert result.items
    assert {item.seen_at.date().isoformat() for item in result.items} == {"2026-07-01"}
    assert all(item.seen_at.tzinfo is not None for item in result.items)


@deferred_f_from_coro_f
async def test_a_bad_clock_setting_stops_the_run_at_start() -> None:
    result = await run_crawl(settings={"JOBTRACKER_CLOCK_START": "yesterday"})
    assert result.finish_reason == "bad_argument:JOBTRACKER_CLOCK_START"
    assert result.requests == 0
