"""Partition planning and the completeness verdict (pure)."""

from __future__ import annotations

import pytest

from jobtracker.partitions import ROOT_KEY, CrawlLedger, Partition, page_offsets, tolerance_for


@pytest.mark.parametrize(
    ("count", "window", "max_pages", "expected"),
    [
        (0, 10_000, None, [0]),
        (1, 10_000, None, [0]),
        (100, 10_000, None, [0]),
        (101, 10_000, None, [0, 100]),
        (12_000, 10_000, None, list(range(0, 10_000, 100))),
        (950, 10_000, 3, [0, 100, 200]),
    ],
)
def test_page_offsets(count: int, window: int, max_pages: int | None, expected: list[int]) -> None:
    assert page_offsets(count, 100, window, max_pages) == expected


def test_partition_keys_and_split_order() -> None:
    root = Partition()
    assert root.key == ROOT_KEY
    aws = root.child("business_category", "aws")
    usa = aws.child("normalized_country_code", "USA")
    assert usa.key == "business_category=aws/normalized_country_code=USA"
    assert root.next_dimension() == "business_category"
    assert aws.next_dimension() == "normalized_country_code"
    assert usa.next_dimension() == "normalized_state_name"
    assert (
        usa.child("normalized_state_name", "Texas")
        .child("normalized_city_name", "Austin")
        .next_dimension()
        is None
    )


def test_tolerance() -> None:
    assert tolerance_for(100, 2, 0.005) == 2
    assert tolerance_for(10_000, 2, 0.005) == 50


def build_ledger() -> tuple[CrawlLedger, Partition, Partition]:
    ledger = CrawlLedger(tolerance_abs=0, tolerance_rel=0.0)
    root = Partition()
    ledger.add(root, parent=None, promised=250)
    ledger.root_ok = True
    ledger.get(ROOT_KEY).split_by = "business_category"
    a = root.child("business_category", "a")
    b = root.child("business_category", "b")
    ledger.add(a, parent=ROOT_KEY, promised=150).pages_planned = 2
    ledger.add(b, parent=ROOT_KEY, promised=100).pages_planned = 1
    return ledger, a, b


def test_everything_fetched_is_complete() -> None:
    ledger, a, b = build_ledger()
    ledger.record_page(a.key, [str(i) for i in range(100)], 150)
    ledger.record_page(a.key, [str(i) for i in range(100, 150)], 150)
    ledger.record_page(b.key, [f"b{i}" for i in range(100)], 100)
    ledger.finalize()
    assert ledger.complete()
    assert ledger.get(ROOT_KEY).complete
    assert len(ledger.get(ROOT_KEY).ids) == 250


def test_a_failed_page_makes_its_partition_and_the_run_incomplete_only() -> None:
    ledger, a, b = build_ledger()
    ledger.record_page(a.key, [str(i) for i in range(100)], 150)
    ledger.record_failure(a.key, "HTTP 500 at offset 100")
    ledger.record_page(b.key, [f"b{i}" for i in range(100)], 100)
    ledger.finalize()
    assert not ledger.get(a.key).complete
    assert ledger.get(b.key).complete
    assert not ledger.get(ROOT_KEY).complete
    assert not ledger.complete()
    assert ledger.get(a.key).summary()["problems"] == ["HTTP 500 at offset 100"]


def test_missing_page_or_short_count_is_incomplete() -> None:
    ledger, a, b = build_ledger()
    ledger.record_page(a.key, [str(i) for i in range(100)], 150)  # second page never came back
    ledger.record_page(b.key, [f"b{i}" for i in range(90)], 100)  # 10 short of the promise
    ledger.finalize()
    assert not ledger.get(a.key).complete
    assert not ledger.get(b.key).complete


def test_the_partitions_own_hits_is_what_reconciles() -> None:
    ledger, a, b = build_ledger()
    ledger.record_page(a.key, [str(i) for i in range(100)], 149)  # board shrank by one
    ledger.record_page(a.key, [str(i) for i in range(100, 149)], 149)
    ledger.record_page(b.key, [f"b{i}" for i in range(100)], 100)
    ledger.finalize()
    assert ledger.get(a.key).complete


def test_empty_partition_is_complete_and_root_needs_its_facet_call() -> None:
    ledger = CrawlLedger()
    root = Partition()
    ledger.add(root, parent=None, promised=0)
    ledger.get(ROOT_KEY).split_by = "business_category"
    gone = ledger.add(root.child("business_category", "gone"), parent=ROOT_KEY, promised=0)
    ledger.finalize()
    assert gone.complete
    assert not ledger.complete()  # root facet call never succeeded


def test_a_state_split_must_account_for_every_posting() -> None:
    """ "USA, Virtual" has no state: a state split that comes back one short is incomplete,
    even though one posting is inside the usual tolerance."""
    ledger = CrawlLedger()
    root = Partition()
    ledger.add(root, parent=None, promised=None)
    ledger.root_ok = True
    ledger.get(ROOT_KEY).split_by = "business_category"
    usa = root.child("business_category", "aws").child("normalized_country_code", "USA")
    ledger.add(root.child("business_category", "aws"), parent=ROOT_KEY, promised=None)
    ledger.get("business_category=aws").split_by = "normalized_country_code"
    parent = ledger.add(usa, parent="business_category=aws", promised=324)
    parent.split_by = "normalized_state_name"
    for state, ids in (("Texas", ["1", "2"]), ("Washington", ["2", *map(str, range(3, 324))])):
        child = ledger.add(usa.child("normalized_state_name", state), parent=usa.key,
                           promised=len(ids))  # fmt: skip
        child.pages_planned = 1
        ledger.record_page(child.key, ids, len(ids))
    ledger.finalize()
    assert len(parent.ids) == 323
    assert not parent.complete
    assert parent.problems == ["postings listed under no normalized_state_name value: 1 of 324"]
