"""The store's pure parts: content hashing and the closure rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobtracker.store.content import changed_fields, content_hash, posting_snapshot
from jobtracker.store.lifecycle import RunOutcome, covering_partition_complete, plan_closures

FIXTURES = Path(__file__).parent / "fixtures"


def sample_item() -> dict:
    payload = json.loads(
        (FIXTURES / "search_sample_3_base_query_software_engineer_pretty.json").read_text()
    )
    job = payload["jobs"][0]
    return {
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
FULL_RUN = RunOutcome(
    run_id="r2", finish_reason="finished", keyword_run=False, partitions=PARTITIONS
)


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
    assert covering_partition_complete(FULL_RUN, category, country) is complete


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
    run = RunOutcome("r3", "finished", False, partitions)
    assert not covering_partition_complete(run, "aws", "JPN")  # its own listing reconciled
    assert not covering_partition_complete(run, "aws", "ITA")  # unlisted, but by a bad facet
    assert covering_partition_complete(run, "legal", "USA")
    assert covering_partition_complete(run, "gone-category", "USA")
    partitions[0]["facet_consistent"] = False
    assert not covering_partition_complete(run, "legal", "USA")
    assert not covering_partition_complete(run, "gone-category", "USA")


def unseen(n: int, category: str = "legal", missing: bool = False) -> list[dict]:
    return [
        {
            "_id": f"amazon_jobs:{category}{i}",
            "business_category": category,
            "country_code": "USA",
            "missing_since": "t0" if missing else None,
        }
        for i in range(n)
    ]


def test_first_miss_marks_missing_second_closes_incomplete_skips() -> None:
    plan = plan_closures(FULL_RUN, unseen(3) + unseen(2, missing=True) + unseen(4, "pxt"), 1000)
    assert len(plan.mark_missing) == 3
    assert len(plan.close) == 2
    assert plan.skipped_incomplete == 4
    assert plan.blocked_reason is None


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        (RunOutcome("r", "finished", True, PARTITIONS), "keyword"),
        (RunOutcome("r", "shutdown", False, PARTITIONS), "did not finish normally"),
        (RunOutcome("r", "finished", False, PARTITIONS, store_failed=True), "store failed"),
        (RunOutcome("r", "finished", False, [{"key": "all", "split_by": None}]), "facet call"),
    ],
)
def test_runs_that_close_nothing(run: RunOutcome, reason: str) -> None:
    plan = plan_closures(run, unseen(3, missing=True), 100)
    assert plan.close == [] and plan.mark_missing == []
    assert reason in (plan.blocked_reason or "")


def test_mass_closure_guard_and_its_floor() -> None:
    tripped = plan_closures(FULL_RUN, unseen(300), 1000)
    assert tripped.close == [] and tripped.mark_missing == []
    assert "mass-closure guard" in (tripped.blocked_reason or "")
    at_limit = plan_closures(FULL_RUN, unseen(200), 1000)
    assert len(at_limit.mark_missing) == 200
    small_scope = plan_closures(FULL_RUN, unseen(10), 12)  # 83% of a tiny scope, under the floor
    assert len(small_scope.mark_missing) == 10
