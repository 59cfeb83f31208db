"""The store's pure parts: content hashing and the closure rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobtracker.store.content import changed_fields, content_hash, posting_snapshot
from jobtracker.store.lifecycle import (
    BoardCounts,
    GuardSettings,
    RunOutcome,
    confirms,
    covering_partition_complete,
    plan_closures,
)

FIXTURES = Path(__file__).parent / "fixtures"


def sample_item() -> dict:
    payload = json.loads(
        (FIXTURES / "search_sample_3_base_query_software_engineer_pretty.json").read_text()
    )
    job = payload["jobs"][0]
    return {
        "source": "amazon_jobs",
        "title": job["title"].strip(),
        "url": "https://www.amazon.jobs" + job["job_path"],
        "raw": job,
    }


def test_hash_ignores_volatile_fields_and_whitespace() -> None:
    item = sample_item()
    base = content_hash(posting_snapshot(item))
    volatile = sample_item()
    volatile["raw"] = {**volatile["raw"], "updated_time": "3 days", "url_next_step": "x"}
    assert content_hash(posting_snapshot(volatile)) == base
    spaced = sample_item()
    spaced["raw"] = {
        **spaced["raw"],
        "description": spaced["raw"]["description"].replace(" ", "  "),
    }
    assert content_hash(posting_snapshot(spaced)) == base


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "A different text"),
        ("business_category", "retail"),
        ("posted_date", "July  2, 2026"),
        ("location", "US, WA, Seattle"),
    ],
)
def test_hash_changes_with_content(field: str, value: str) -> None:
    item = sample_item()
    base = posting_snapshot(item)
    changed = sample_item()
    changed["raw"] = {**changed["raw"], field: value}
    new = posting_snapshot(changed)
    assert content_hash(new) != content_hash(base)
    assert len(changed_fields(base, new)) == 1


PARTITIONS = [
    {"key": "all", "split_by": "business_category", "complete": False},
    {"key": "business_category=aws", "split_by": "normalized_country_code", "complete": False},
    {
        "key": "business_category=aws/normalized_country_code=USA",
        "split_by": None,
        "complete": False,
    },
    {
        "key": "business_category=aws/normalized_country_code=JPN",
        "split_by": None,
        "complete": True,
    },
    {"key": "business_category=legal", "split_by": None, "complete": True},
    {"key": "business_category=pxt", "split_by": None, "complete": False},
]
DAY1 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
FULL_RUN = RunOutcome(
    run_id="r2",
    finish_reason="finished",
    keyword_run=False,
    partitions=PARTITIONS,
    started_at=DAY2,
    source="amazon_jobs",
)


def posting(category: str, country: str) -> dict:
    return {"business_category": category, "country_code": country}


@pytest.mark.parametrize(
    ("category", "country", "complete"),
    [
        ("legal", "USA", True),
        ("pxt", "USA", False),
        ("aws", "USA", False),
        ("aws", "JPN", True),
        ("aws", "ITA", True),  # not listed by the aws country facet: complete and empty
        ("gone-category", "USA", True),
    ],  # not listed by the root facet any more
)
def test_covering_partition(category: str, country: str, complete: bool) -> None:
    assert covering_partition_complete(FULL_RUN, posting(category, country)) is complete


def test_a_facet_call_that_contradicts_itself_vouches_for_nothing_below_it() -> None:
    partitions = [
        {"key": "all", "split_by": "business_category", "complete": False,
         "facet_consistent": True},
        {"key": "business_category=aws", "split_by": "normalized_country_code",
         "complete": False, "facet_consistent": False},
        {"key": "business_category=aws/normalized_country_code=JPN", "split_by": None,
         "complete": True, "facet_consistent": None},
        {"key": "business_category=legal", "split_by": None, "complete": True},
    ]  # fmt: skip
    run = RunOutcome("r3", "finished", False, partitions, source="amazon_jobs")
    assert not covering_partition_complete(run, posting("aws", "JPN"))  # its listing reconciled
    assert not covering_partition_complete(run, posting("aws", "ITA"))  # unlisted, by a bad facet
    assert covering_partition_complete(run, posting("legal", "USA"))
    assert covering_partition_complete(run, posting("gone-category", "USA"))
    partitions[0]["facet_consistent"] = False
    assert not covering_partition_complete(run, posting("legal", "USA"))
    assert not covering_partition_complete(run, posting("gone-category", "USA"))


def unseen(
    n: int,
    category: str = "legal",
    missing: bool = False,
    held: bool = False,
    missed_at: datetime = DAY1,
    country: str = "USA",
) -> list[dict]:
    return [
        {
            "_id": f"amazon_jobs:{category}{country}{i}",
            "business_category": category,
            "country_code": country,
            "missing_since": missed_at if missing or held else None,
            "missing_last_at": missed_at if missing or held else None,
            "closure_held": held or None,
        }
        for i in range(n)
    ]


def board(open_in_scope: int, **groups: int) -> BoardCounts:
    return BoardCounts(
        open_in_scope,
        {f"business_category={k}": v for k, v in groups.items()},
        open_in_source=max(open_in_scope, 1000),
    )


def test_first_miss_marks_missing_second_closes_incomplete_skips() -> None:
    postings = unseen(3) + unseen(2, missing=True) + unseen(4, "pxt")
    plan = plan_closures(FULL_RUN, postings, board(1000, legal=100))
    assert len(plan.mark_missing) == 3
    assert len(plan.close) == 2
    assert plan.skipped_incomplete == 4
    assert plan.blocked_reason is None


def test_a_confirmation_needs_a_later_day_or_the_configured_gap() -> None:
    assert confirms(DAY1, DAY2, None)
    assert not confirms(DAY1, DAY1 + timedelta(hours=17), None)  # 23:00 -> next day's 0:00 ok
    assert confirms(DAY1.replace(hour=23), DAY2.replace(hour=0), None)
    assert confirms(DAY1, DAY1 + timedelta(hours=6), timedelta(hours=6))
    same_day = unseen(2, missing=True, missed_at=DAY2 - timedelta(hours=1))
    plan = plan_closures(FULL_RUN, same_day, board(1000, legal=100))
    assert plan.close == [] and plan.awaiting_later_run == 2
    newer = unseen(2, missing=True, missed_at=DAY2 + timedelta(days=1))  # an older run
    assert plan_closures(FULL_RUN, newer, board(1000, legal=100)).awaiting_later_run == 2


def run_of(*args, **kwargs) -> RunOutcome:
    return RunOutcome("r", *args, started_at=DAY2, source="amazon_jobs", **kwargs)


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        (run_of("finished", True, PARTITIONS), "keyword"),
        (run_of("shutdown", False, PARTITIONS), "did not finish"),
        (run_of("finished", False, PARTITIONS, store_failed=True), "store failed"),
        (run_of("finished", False, [{"key": "all", "split_by": None}]), "facet call"),
    ],
)
def test_runs_that_close_nothing(run: RunOutcome, reason: str) -> None:
    plan = plan_closures(run, unseen(3, missing=True), board(100))
    assert plan.close == [] and plan.mark_missing == []
    assert reason in (plan.blocked_reason or "")


def test_mass_closure_guard_and_its_floor() -> None:
    tripped = plan_closures(FULL_RUN, unseen(300), board(1000))
    assert tripped.close == [] and tripped.mark_missing == []
    assert "mass-closure guard" in (tripped.blocked_reason or "")
    at_limit = plan_closures(FULL_RUN, unseen(200), board(1000))
    assert len(at_limit.mark_missing) == 200
    small_scope = plan_closures(FULL_RUN, unseen(10), board(12))  # 83% of a tiny scope, floor
    assert len(small_scope.mark_missing) == 10


def test_a_scope_losing_nearly_all_at_once_is_held_then_closed_on_the_next_miss() -> None:
    vanished = plan_closures(FULL_RUN, unseen(20, missing=True), board(1000, legal=20))
    assert vanished.close == [] and len(vanished.hold) == 20
    assert "business_category=legal" in vanished.held_reasons[0]
    churn = plan_closures(FULL_RUN, unseen(3, missing=True), board(1000, legal=20))
    assert len(churn.close) == 3 and churn.hold == []
    tiny = plan_closures(FULL_RUN, unseen(4, missing=True), board(1000, legal=4))  # under min
    assert len(tiny.close) == 4
    confirmed = plan_closures(FULL_RUN, unseen(20, held=True), board(1000, legal=20))
    assert len(confirmed.close) == 20 and confirmed.hold == []
    only_the_losing_category = plan_closures(
        FULL_RUN,
        unseen(20, missing=True) + unseen(2, "ops", missing=True, country="JPN"),
        BoardCounts(
            1000,
            {"business_category=legal": 20, "business_category=ops": 50, "country_code=JPN": 9},
            open_in_source=1000,
        ),
    )
    assert len(only_the_losing_category.hold) == 20
    assert len(only_the_losing_category.close) == 2


def test_the_day_guard_counts_every_run_of_the_day() -> None:
    guards = GuardSettings(max_daily_fraction=0.1, floor=25)
    postings = unseen(60, missing=True)
    alone = plan_closures(FULL_RUN, postings, BoardCounts(900, {}, 900, 0), guards)
    assert len(alone.close) == 60
    after_others = plan_closures(FULL_RUN, postings, BoardCounts(900, {}, 900, 50), guards)
    assert after_others.close == [] and len(after_others.hold) == 60
    assert "day guard" in after_others.held_reasons[0]
