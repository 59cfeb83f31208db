"""Partition planning and accounting for a crawl of ``search.json`` (pure; no Scrapy).

The site answers at most ``window`` rows (10,000) for one filter combination, so a full crawl
splits the board into partitions by exact facet filters: by ``business_category``, then, for a
category too large for the window, by ``normalized_country_code``, then state, then city. The
first two facets are single-valued (each posting counted once, the children partition the
parent exactly); state and city are multi-valued (a multi-location posting is in several
children, a virtual one in none), so a parent split by them is reconciled through the unique ids
its children saw, and any shortfall makes it incomplete: a posting listed under no state must
never be presumed gone.

Pages overlap by one row (offsets step by ``page_size - 1``): over a board that moves during the
crawl (``sort=recent``), a posting removed above a page boundary between the reads of two
adjacent pages shifts the rows up, and without the overlap the row at the boundary would be in
neither page. With it, two adjacent pages that share no posting show that the board moved
under the partition.

For every partition the :class:`CrawlLedger` records what the site promised, which unique ids
were fetched (and, per page, in which order), and which pages failed, and decides whether the
partition is **complete**: every page came back valid, adjacent pages overlap, the listing's own
``hits`` agree with the promise (the parent's facet count) and the fetched count reconciles with
those ``hits``, each within a tolerance. A listing that contradicts its facet count (a valid
page saying ``hits: 0`` for a category the facet counts 120 in) is incomplete, never "complete
and empty"; so is a partition whose facet call contradicts itself or its promise
(``facet_consistent`` False), and the closure rules trust nothing below such a partition.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

#: Facet dimensions used for splitting, in order. The first two are single-valued (their
#: children partition the parent); state and city are multi-valued (children overlap).
SPLIT_DIMENSIONS = (
    "business_category",
    "normalized_country_code",
    "normalized_state_name",
    "normalized_city_name",
)
#: The key of the root partition (a run's whole scope). Keys are part of ``crawl_runs`` and
#: read back by the closure rules (``jobtracker.store.lifecycle``): :func:`child_key` is their
#: one format.
ROOT_KEY = "all"
#: Facets a posting may have several values of, or none ("USA, Virtual" has no state).
MULTI_VALUED = frozenset(SPLIT_DIMENSIONS[2:])


def child_key(parent: str, dimension: str, value: str) -> str:
    """The key of the child of partition ``parent`` that keeps ``dimension = value``:
    ``business_category=aws`` under the root, ``business_category=aws/normalized_country_code=USA``
    below it."""
    term = f"{dimension}={value}"
    return term if parent == ROOT_KEY else f"{parent}/{term}"


@dataclass(frozen=True)
class Partition:
    """A set of exact facet filters, applied on top of the run's scope."""

    filters: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """Stable, readable key: ``business_category=aws/normalized_country_code=USA``."""
        key = ROOT_KEY
        for name, value in self.filters:
            key = child_key(key, name, value)
        return key

    @property
    def depth(self) -> int:
        return len(self.filters)

    def child(self, dimension: str, value: str) -> Partition:
        return Partition((*self.filters, (dimension, value)))

    def next_dimension(self) -> str | None:
        """The facet to split this partition by, or None when no finer split exists."""
        used = {name for name, _ in self.filters}
        return next((name for name in SPLIT_DIMENSIONS if name not in used), None)

    def as_dict(self) -> dict[str, str]:
        return dict(self.filters)


def page_offsets(
    count: int, page_size: int, window: int, max_pages: int | None = None
) -> list[int]:
    """Offsets of the pages (``page_size`` rows each) that read ``count`` rows inside the
    window, each page overlapping the next by one row: the offsets step by ``page_size - 1``,
    every page ends inside the window (``offset + page_size <= window``) and the last one
    reaches ``min(count, window)``. ``max_pages`` keeps only the first pages."""
    reachable = min(count, window)
    step = max(1, page_size - 1)
    last = max(0, window - page_size)  # the deepest offset the window allows
    offsets = []
    offset = 0
    while offset + page_size < reachable and offset < last:
        offsets.append(offset)
        offset += step
    offsets.append(min(offset, last))
    if max_pages is not None:
        offsets = offsets[:max_pages]
    return offsets


def pages_reach(offsets: list[int], page_size: int) -> int:
    """How many rows pages at these offsets read to (0 for no pages)."""
    return max(offsets) + page_size if offsets else 0


@dataclass(frozen=True)
class PageRead:
    """One listing page as it came back: its offset, the ids in the order served, the ``hits``
    it reported, and whether it was full (as many rows as asked: the listing may go on)."""

    offset: int
    ids: tuple[str, ...]
    hits: int
    full: bool


def board_moves(pages: Iterable[PageRead]) -> list[tuple[int, int]]:
    """Adjacent pages ``(offset k, offset k+1)`` that share no posting although they were
    planned to overlap: the board moved under them between their reads, and a posting may have
    slipped between the two.

    Page k+1 starts on page k's last row. If the board only gained postings above the boundary
    (rows shift down) page k+1 repeats rows of page k: duplicates, nothing lost. If it lost one
    above the boundary (rows shift up), the last id of page k is not in page k+1 and the first
    id of page k+1 is not in page k. A page k that was not full ended the listing when read:
    nothing can have slipped past it."""
    ordered = sorted(pages, key=lambda page: page.offset)
    moved = []
    for before, after in pairwise(ordered):
        if not before.full:
            continue
        if before.ids and before.ids[-1] in after.ids:
            continue
        if after.ids and after.ids[0] in before.ids:
            continue
        moved.append((before.offset, after.offset))
    return moved


def listing_goes_on(pages: Iterable[PageRead]) -> PageRead | None:
    """The deepest page, if it came back full while its own ``hits`` say the listing goes on
    past it (rows nobody read); None when the pages read to the end."""
    deepest = max(pages, key=lambda page: page.offset, default=None)
    if deepest is None or not deepest.full:
        return None
    return deepest if deepest.hits > deepest.offset + len(deepest.ids) else None


def tolerance_for(expected: int, absolute: int, relative: float) -> int:
    """How far the fetched count may be from the promise and still reconcile."""
    return max(absolute, math.ceil(relative * expected))


def facet_problem(
    dimension: str,
    counts: Mapping[str, int] | None,
    *,
    hits: int,
    window: int,
    promised: int | None,
    tolerance_abs: int = 2,
    tolerance_rel: float = 0.005,
    within: Collection[str] | None = None,
) -> str | None:
    """Why a facet call's counts of ``dimension`` cannot be trusted to split its partition, or
    None when they are consistent.

    ``hits`` is what the same response reports (saturated at ``window``), ``promised`` the
    partition's count from its parent's facet (None for the root). A single-valued facet counts
    every posting once: below the window its counts sum to ``hits``; at the window they sum to
    at least the window; and they reconcile with ``promised``. A multi-valued facet counts a
    posting under several values or none (a virtual posting has no state), so only a sum short
    of ``hits`` is a contradiction. ``counts`` None: the response lacks the facet.
    ``within``: the call counted more values than the promise covers (a scope list left out
    of its URL, to fit); the promise is checked against the counts of these values.
    """
    if counts is None:
        return f"response lacks the {dimension} facet" if hits > 0 else None
    total = sum(counts.values())
    reachable = min(hits, window)
    if dimension in MULTI_VALUED:
        if total < reachable - tolerance_for(reachable, tolerance_abs, tolerance_rel):
            return (
                f"{dimension} facet counts sum to {total}, short of the {hits} hits the "
                "response reports"
            )
        return None
    if hits < window:
        if abs(total - hits) > tolerance_for(hits, tolerance_abs, tolerance_rel):
            return f"{dimension} facet counts sum to {total}, the response reports {hits} hits"
    elif total < window:
        return (
            f"{dimension} facet counts sum to {total}, below the {hits} hits the response reports"
        )
    if within is not None:
        total = sum(counts.get(value, 0) for value in within)
    if promised is not None and abs(total - promised) > tolerance_for(
        promised, tolerance_abs, tolerance_rel
    ):
        return f"{dimension} facet counts sum to {total}, the parent's facet count is {promised}"
    return None


@dataclass
class PartitionState:
    """Accounting for one partition."""

    partition: Partition
    parent: str | None
    promised: int | None = None
    """What the site promised: the parent's facet count (or, for a keyword run's root, the
    first page's ``hits``). The listing's own ``hits`` must agree with it."""
    latest_hits: int | None = None
    """The most recent ``hits`` this partition's own pages reported (capped at the window)."""
    facet_consistent: bool | None = None
    """Whether this partition's facet call was consistent (see :func:`facet_problem`); None
    when no facet call of it was answered (a partition that was not split)."""
    ids: set[str] = field(default_factory=set)
    pages: dict[int, PageRead] = field(default_factory=dict)
    """The listing pages read, by offset (pages recorded with an offset only)."""
    pages_planned: int = 0
    pages_ok: int = 0
    pages_failed: int = 0
    split_by: str | None = None
    children: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Why the partition cannot be complete (failed pages, truncation, ...); empty if none."""
    complete: bool | None = None
    query: dict[str, Any] | None = None
    """The query actually used to list the partition, where the site has no fixed one (the
    hourly sites: country-wide or tiled, its variables, whether the tiling covered)."""
    listed: bool = False
    """Split, yet its own listing was read too (the discovered plan's root, whose children
    take their postings from it): that listing must be sound as well."""

    @property
    def key(self) -> str:
        return self.partition.key

    @property
    def expected(self) -> int | None:
        """The count the fetched ids must reconcile with: a listed partition's own latest
        ``hits`` (which must in turn agree with the promise), a split one's promise."""
        if self.latest_hits is not None and self.split_by is None:
            return self.latest_hits
        return self.promised

    def summary(self) -> dict[str, Any]:
        summary = {
            "key": self.key,
            "filters": self.partition.as_dict(),
            "parent": self.parent,
            "split_by": self.split_by,
            "promised": self.promised,
            "expected": self.expected,
            "fetched": len(self.ids),
            "pages_ok": self.pages_ok,
            "pages_failed": self.pages_failed,
            "complete": bool(self.complete),
            "facet_consistent": self.facet_consistent,
            "problems": list(self.problems),
        }
        if self.query is not None:
            summary["query"] = self.query
        return summary


class CrawlLedger:
    """Per-partition bookkeeping for one run; decides completeness when the run ends."""

    def __init__(self, *, tolerance_abs: int = 2, tolerance_rel: float = 0.005) -> None:
        self.tolerance_abs = tolerance_abs
        self.tolerance_rel = tolerance_rel
        self.states: dict[str, PartitionState] = {}
        self.root_ok = False
        self.finalized = False
        self.plan: str | None = None
        """How the run was planned: ``facets`` or ``discovered`` (``crawl_runs.plan``)."""
        self.plan_reason: str | None = None
        """Why the discovered plan replaced the facets (``crawl_runs.plan_reason``)."""

    # -- building the tree -------------------------------------------------------------
    def add(
        self, partition: Partition, *, parent: str | None, promised: int | None
    ) -> PartitionState:
        """Register a partition (idempotent) and return its state."""
        state = self.states.get(partition.key)
        if state is None:
            state = PartitionState(partition=partition, parent=parent, promised=promised)
            self.states[partition.key] = state
            if parent is not None:
                self.states[parent].children.append(partition.key)
        return state

    def get(self, key: str) -> PartitionState:
        return self.states[key]

    # -- recording outcomes ------------------------------------------------------------
    def record_page(
        self,
        key: str,
        ids: list[str],
        hits: int,
        *,
        offset: int | None = None,
        full: bool = False,
    ) -> None:
        """A page came back valid: its ids in the order served and the ``hits`` it reported.
        With its ``offset`` (and whether it was ``full``) it also takes part in the check that
        adjacent pages overlap (:func:`board_moves`)."""
        state = self.states[key]
        state.pages_ok += 1
        state.latest_hits = hits
        state.ids.update(ids)
        if offset is not None:
            state.pages[offset] = PageRead(offset, tuple(ids), hits, full)

    def record_failure(self, key: str, reason: str) -> None:
        """A page of this partition could not be fetched or read, retries included."""
        state = self.states[key]
        state.pages_failed += 1
        state.problems.append(reason)

    def mark_incomplete(self, key: str, reason: str) -> None:
        """Something other than a failed page keeps this partition from being complete (each
        reason is recorded once)."""
        problems = self.states[key].problems
        if reason not in problems:
            problems.append(reason)

    def record_facets(
        self,
        key: str,
        dimension: str,
        counts: Mapping[str, int] | None,
        hits: int,
        window: int,
        *,
        within: Collection[str] | None = None,
    ) -> bool:
        """A facet call of this partition came back: the partition is split by ``dimension``
        (unless the response lacks that facet); judge the call (see :func:`facet_problem`).

        Returns whether it is consistent; an inconsistent one makes the partition incomplete
        and marks it ``facet_consistent = False``, so closures trust nothing below it."""
        state = self.states[key]
        if counts is not None:
            state.split_by = dimension
        problem = facet_problem(
            dimension,
            counts,
            hits=hits,
            window=window,
            promised=state.promised,
            tolerance_abs=self.tolerance_abs,
            tolerance_rel=self.tolerance_rel,
            within=within,
        )
        state.facet_consistent = problem is None
        if problem is not None:
            state.problems.append(problem)
        return problem is None

    # -- the verdict -------------------------------------------------------------------
    def finalize(self) -> None:
        """Decide completeness bottom-up (children before parents)."""
        for state in sorted(self.states.values(), key=lambda s: -s.partition.depth):
            state.complete = self._is_complete(state)
        self.finalized = True

    def _is_complete(self, state: PartitionState) -> bool:
        if state.key == ROOT_KEY and not self.root_ok:
            return False
        if state.problems:
            return False
        if state.split_by is not None:
            if state.listed and not self._listing_sound(state):
                return False
            children = [self.states[key] for key in state.children]
            if not all(child.complete for child in children):
                return False
            union: set[str] = set()
            for child in children:
                union |= child.ids
            state.ids = union
        else:
            if state.pages_ok < state.pages_planned:
                return self._listing_sound(state)  # says which pages never came back
            self._listing_sound(state)
            contradiction = self._listing_contradiction(state)
            if contradiction is not None:
                state.problems.append(contradiction)
            if state.problems:
                return False
        expected = state.expected
        if expected is None:
            return False
        if state.split_by in MULTI_VALUED and len(state.ids) < expected:
            # A posting without a value of this facet is in no child: the children cannot
            # vouch for it, and the tolerance must not hide it.
            state.problems.append(
                f"postings listed under no {state.split_by} value: "
                f"{expected - len(state.ids)} of {expected}"
            )
            return False
        slack = tolerance_for(expected, self.tolerance_abs, self.tolerance_rel)
        if abs(len(state.ids) - expected) > slack:
            listed = "listed" if state.split_by is None else "promised"
            state.problems.append(f"fetched {len(state.ids)} postings of the {expected} {listed}")
            return False
        return True

    def _listing_sound(self, state: PartitionState) -> bool:
        """Every planned page of the partition's own listing came back, adjacent pages
        overlap and the last one read to the end (else the problems say why)."""
        if state.pages_ok < state.pages_planned:
            state.problems.append(
                f"{state.pages_planned - state.pages_ok} of {state.pages_planned} pages "
                "never came back"
            )
            return False
        moved = board_moves(state.pages.values())
        for before, after in moved:
            state.problems.append(
                f"the board moved under the partition between the pages at offsets "
                f"{before} and {after}: they share no posting, one may have slipped between"
            )
        unread = listing_goes_on(state.pages.values())
        if unread is not None:
            state.problems.append(
                f"the listing goes on past the last page read (offset {unread.offset}, "
                f"hits {unread.hits})"
            )
        return not state.problems

    def _listing_contradiction(self, state: PartitionState) -> str | None:
        """A listed partition whose own ``hits`` disagree with its promise beyond the
        tolerance contradicts its facet count: it cannot vouch for the postings counted."""
        if state.latest_hits is None or state.promised is None:
            return None
        slack = tolerance_for(state.promised, self.tolerance_abs, self.tolerance_rel)
        if abs(state.latest_hits - state.promised) <= slack:
            return None
        source = "the facet count" if state.parent is not None else "the first page's hits"
        return f"listing hits {state.latest_hits} contradict {source} {state.promised}"

    # -- reporting ---------------------------------------------------------------------
    def leaves(self) -> list[PartitionState]:
        return [state for state in self.states.values() if state.split_by is None]

    def complete(self) -> bool:
        """Whole-run verdict: the root facet call worked and every partition is complete."""
        return self.finalized and self.root_ok and all(s.complete for s in self.states.values())

    def summary(self) -> list[dict[str, Any]]:
        return [state.summary() for state in self.states.values()]
