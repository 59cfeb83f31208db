"""Partition planning and the completeness verdict (pure)."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest

from jobtracker.partitions import (
    ROOT_KEY,
    CrawlLedger,
    PageRead,
    Partition,
    board_moves,
    facet_problem,
    listing_goes_on,
    page_offsets,
    pages_reach,
    tolerance_for,
)


@pytest.mark.parametrize(
    ("count", "window", "max_pages", "expected"),
    [
        (0, 10_000, None, [0]),
        (1, 10_000, None, [0]),
        (100, 10_000, None, [0]),
        (101, 10_000, None, [0, 99]),  # the second page starts on the first one's last row
        (199, 10_000, None, [0, 99]),
        (200, 10_000, None, [0, 99, 198]),
        (12_000, 10_000, None, list(range(0, 9_901, 99))),  # 9,900 + 100 = the window
        (10_000, 10_000, None, list(range(0, 9_901, 99))),
        (300, 300, None, [0, 99, 198, 200]),  # the last page ends on the window's edge
        (1_000, 250, None, [0, 99, 150]),
        (950, 10_000, 3, [0, 99, 198]),
    ],
)
def test_page_offsets(count: int, window: int, max_pages: int | None, expected: list[int]) -> None:
    assert page_offsets(count, 100, window, max_pages) == expected


@pytest.mark.parametrize("window", [250, 300, 400, 1_000, 10_000])
def test_page_offsets_overlap_stay_in_the_window_and_reach_the_end(window: int) -> None:
    for count in [*range(0, 1_200, 7), 9_899, 9_900, 9_901, 9_999, 10_000, 10_001, 25_000]:
        offsets = page_offsets(count, 100, window)
        reachable = min(count, window)
        assert offsets[0] == 0
        assert all(0 < b - a <= 99 for a, b in pairwise(offsets)), (count, offsets)
        assert all(offset + 100 <= window for offset in offsets)
        assert pages_reach(offsets, 100) >= reachable
        # the fewest overlapping pages that do it
        assert len(offsets) == (1 if reachable <= 100 else math.ceil((reachable - 100) / 99) + 1)


def read_pages(boards: list[list[str]], offsets: list[int]) -> list[PageRead]:
    """Read page i at ``offsets[i]`` from ``boards[i]`` (the board as it was then)."""
    pages = []
    for board, offset in zip(boards, offsets, strict=True):
        rows = board[offset : offset + 100]
        pages.append(PageRead(offset, tuple(rows), len(board), len(rows) == 100))
    return pages


BOARD = [f"p{i}" for i in range(250)]


def test_overlapping_pages_over_a_still_board_share_their_boundary_rows() -> None:
    pages = read_pages([BOARD] * 3, page_offsets(250, 100, 10_000))
    assert board_moves(pages) == []
    assert listing_goes_on(pages) is None
    assert set().union(*(page.ids for page in pages)) == set(BOARD)


def test_a_removal_above_a_boundary_between_two_reads_is_seen() -> None:
    shrunk = [row for row in BOARD if row != "p5"]  # removed after the first page was read
    pages = read_pages([BOARD, shrunk, shrunk], [0, 99, 198])
    assert board_moves(pages) == [(0, 99)]
    twice = [row for row in shrunk if row != "p7"]  # two removals: p100 is in no page
    pages = read_pages([BOARD, twice, twice], [0, 99, 198])
    assert "p100" not in set().union(*(page.ids for page in pages))
    assert board_moves(pages) == [(0, 99)]


def test_insertions_above_a_boundary_only_repeat_rows() -> None:
    grown = ["new1", "new2", *BOARD]  # added at the top after the first page was read
    pages = read_pages([BOARD, grown, grown], [0, 99, 198])
    assert board_moves(pages) == []
    assert set(BOARD) <= set().union(*(page.ids for page in pages))


def test_a_page_that_ended_the_listing_needs_no_overlap() -> None:
    short = BOARD[:150]  # the board shrank below the third page before it was read
    pages = read_pages([BOARD, BOARD, short], [0, 99, 198])
    assert board_moves(pages) == [(99, 198)]  # page 2 came back empty after a full page 1
    pages = read_pages([short, short, short], [0, 99, 198])
    assert board_moves(pages) == []  # page 1 was short: it ended the listing when read


def test_a_listing_that_goes_on_past_the_last_page_is_seen() -> None:
    grown = [*BOARD, *(f"q{i}" for i in range(60))]  # 310 rows; the plan read to 298
    pages = read_pages([BOARD, BOARD, grown], [0, 99, 198])
    assert listing_goes_on(pages) == pages[-1]


def test_the_ledger_reports_where_the_board_moved() -> None:
    ledger = CrawlLedger(tolerance_abs=2, tolerance_rel=0.0)
    root = Partition()
    ledger.add(root, parent=None, promised=250)
    ledger.root_ok = True
    ledger.get(ROOT_KEY).split_by = "business_category"
    a = ledger.add(root.child("business_category", "a"), parent=ROOT_KEY, promised=250)
    a.pages_planned = 3
    shrunk = [row for row in BOARD if row not in ("p5", "p7")]
    for page in read_pages([BOARD, shrunk, shrunk], [0, 99, 198]):
        ledger.record_page(a.key, list(page.ids), page.hits, offset=page.offset, full=page.full)
    ledger.finalize()
    assert len(a.ids) == 249 and a.latest_hits == 248  # reconciles within the tolerance ...
    assert not a.complete  # ... but p100 slipped between the pages
    assert a.problems == [
        "the board moved under the partition between the pages at offsets 0 and 99: they "
        "share no posting, one may have slipped between"
    ]


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


def build_ledger(tolerance_abs: int = 0) -> tuple[CrawlLedger, Partition, Partition]:
    ledger = CrawlLedger(tolerance_abs=tolerance_abs, tolerance_rel=0.0)
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


def test_a_board_that_moved_a_little_still_reconciles() -> None:
    """The fetched ids reconcile with the listing's own hits, and those with the facet count,
    each within the tolerance: a board that shrank or grew a little stays complete."""
    ledger, a, b = build_ledger(tolerance_abs=2)
    ledger.record_page(a.key, [str(i) for i in range(100)], 149)  # board shrank by one
    ledger.record_page(a.key, [str(i) for i in range(100, 149)], 149)
    ledger.record_page(b.key, [f"b{i}" for i in range(100)], 102)  # grew by two
    ledger.record_page(b.key, [f"b{i}" for i in range(100, 102)], 102)  # the page added for it
    ledger.get(b.key).pages_planned = 2
    ledger.finalize()
    assert ledger.get(a.key).complete
    assert ledger.get(b.key).complete
    assert ledger.complete()


def test_a_valid_empty_listing_does_not_close_a_category_its_facet_counts() -> None:
    ledger, a, b = build_ledger(tolerance_abs=2)
    ledger.record_page(a.key, [], 0)  # a valid page: error null, hits 0, jobs []
    ledger.record_page(a.key, [], 0)
    ledger.record_page(b.key, [f"b{i}" for i in range(100)], 100)
    ledger.finalize()
    assert not ledger.get(a.key).complete
    assert ledger.get(a.key).problems == ["listing hits 0 contradict the facet count 150"]
    assert ledger.get(b.key).complete
    assert not ledger.complete()


def test_listing_hits_beyond_the_tolerance_of_the_facet_count_are_incomplete() -> None:
    ledger, a, b = build_ledger(tolerance_abs=2)
    ledger.record_page(a.key, [str(i) for i in range(100)], 160)  # 10 more than the facet
    ledger.record_page(a.key, [str(i) for i in range(100, 160)], 160)
    ledger.record_page(b.key, [f"b{i}" for i in range(100)], 100)
    ledger.finalize()
    state = ledger.get(a.key)
    assert len(state.ids) == state.latest_hits == 160  # everything listed was fetched
    assert not state.complete
    assert state.problems == ["listing hits 160 contradict the facet count 150"]


def test_fetched_short_of_the_listing_says_so() -> None:
    ledger, a, b = build_ledger(tolerance_abs=2)
    ledger.record_page(a.key, [str(i) for i in range(100)], 150)
    ledger.record_page(a.key, [str(i) for i in range(100, 140)], 150)
    ledger.record_page(b.key, [f"b{i}" for i in range(100)], 100)
    ledger.finalize()
    assert not ledger.get(a.key).complete
    assert ledger.get(a.key).problems == ["fetched 140 postings of the 150 listed"]


@pytest.mark.parametrize(
    ("dimension", "counts", "hits", "promised", "problem"),
    [
        # the root of a full crawl: hits saturate at the window, the counts sum past it
        ("business_category", {"aws": 12_000, "legal": 10_000}, 10_000, None, None),
        ("business_category", {"aws": 9_000, "legal": 900}, 10_000, None,
         "business_category facet counts sum to 9900, below the 10000 hits the response reports"),
        # below the window the counts of a single-valued facet sum to the hits
        ("business_category", {"legal": 120, "pxt": 80}, 201, None, None),
        ("business_category", {"legal": 120, "pxt": 80}, 300, None,
         "business_category facet counts sum to 200, the response reports 300 hits"),
        # and to the partition's own promise from its parent's facet
        ("normalized_country_code", {"USA": 7_000, "IND": 5_000}, 10_000, 12_030, None),
        ("normalized_country_code", {"USA": 7_000, "IND": 4_000}, 10_000, 12_000,
         "normalized_country_code facet counts sum to 11000, the parent's facet count is 12000"),
        ("normalized_country_code", {}, 10_000, 12_000,
         "normalized_country_code facet counts sum to 0, below the 10000 hits the response "
         "reports"),
        # a multi-valued facet counts a posting under several values or none
        ("normalized_state_name", {"Texas": 6_000, "Washington": 6_500}, 10_000, 12_000, None),
        ("normalized_state_name", {"Texas": 600}, 10_000, 12_000,
         "normalized_state_name facet counts sum to 600, short of the 10000 hits the response "
         "reports"),
        ("business_category", None, 10_000, None, "response lacks the business_category facet"),
        ("business_category", None, 0, None, None),
        ("business_category", {}, 0, None, None),  # the whole board gone: consistent, not safe
    ],
)  # fmt: skip
def test_facet_problem(
    dimension: str,
    counts: dict[str, int] | None,
    hits: int,
    promised: int | None,
    problem: str | None,
) -> None:
    assert facet_problem(dimension, counts, hits=hits, window=10_000, promised=promised) == problem


def test_an_inconsistent_facet_call_leaves_its_partition_incomplete() -> None:
    ledger = CrawlLedger()
    root = Partition()
    ledger.add(root, parent=None, promised=None)
    ledger.root_ok = True
    assert ledger.record_facets(ROOT_KEY, "business_category", {"aws": 12_000}, 10_000, 10_000)
    aws = ledger.add(root.child("business_category", "aws"), parent=ROOT_KEY, promised=12_000)
    country = "normalized_country_code"
    assert not ledger.record_facets(aws.key, country, {"USA": 500}, 10_000, 10_000)
    usa = ledger.add(aws.partition.child(country, "USA"), parent=aws.key, promised=500)
    usa.pages_planned = 5
    for page in range(5):
        ledger.record_page(usa.key, [f"u{page}-{i}" for i in range(100)], 500)
    ledger.finalize()
    summary = {p["key"]: p for p in ledger.summary()}
    assert summary[ROOT_KEY]["facet_consistent"] is True
    assert summary[aws.key]["facet_consistent"] is False
    assert summary[aws.key]["split_by"] == "normalized_country_code"
    assert not summary[aws.key]["complete"]
    assert summary[aws.key]["problems"] == [
        "normalized_country_code facet counts sum to 500, below the 10000 hits the response reports"
    ]
    assert summary[usa.key]["facet_consistent"] is None  # never split
    assert summary[usa.key]["complete"]  # its own listing reconciled; closures stop above it
    assert not ledger.complete()


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
