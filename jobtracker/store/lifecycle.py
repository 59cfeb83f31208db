"""Closure rules (pure): which unseen postings a finished run may mark missing or close.

The rules (docs/store.md, "Lifecycle rules"): only a run that finished normally, only within
its scope, only inside its complete partitions, never a keyword run. A posting is closed only
when a second complete observation, by another run that started on a later UTC day (or a
configured gap later), confirms it missing. Guards: a run that would touch more than a fraction
of the open postings in its scope touches none; a scope (the run's, a category, a country) that
would lose all or nearly all of its open postings at once, and a day whose runs together would
close more than a fraction of the source's open postings, close nothing now: those postings are
*held* and close only when one more complete observation confirms them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jobtracker.partitions import ROOT_KEY, child_key
from jobtracker.sources import source_named


@dataclass(frozen=True)
class RunOutcome:
    """What the store needs to know about a run to decide closures."""

    run_id: str
    finish_reason: str
    keyword_run: bool
    partitions: list[dict[str, Any]]
    store_failed: bool = False
    started_at: datetime | None = None
    """When the run started: the time of its observation of every posting it did not see."""
    source: str = field(kw_only=True)
    """The source crawled: its partitions are named in that site's terms."""


def closure_blocker(run: RunOutcome) -> str | None:
    """Why this run may close nothing at all, or None if it may close inside complete partitions."""
    if run.store_failed:
        return "the store failed during the run"
    if run.keyword_run:
        return "keyword runs never close postings"
    if run.finish_reason != "finished":
        return f"the run did not finish normally ({run.finish_reason})"
    root = next((p for p in run.partitions if p["key"] == ROOT_KEY), None)
    if root is None or root.get("split_by") is None:
        return "the run has no successful facet call for its scope"
    return None


def covering_partition_complete(run: RunOutcome, posting: Mapping[str, Any]) -> bool:
    """Is the partition that should have listed this stored posting complete? The run's
    source names the partition values of the posting (its category and primary country for
    www.amazon.jobs, its country site for the hourly sites). A value that a successful facet call
    no longer lists is complete and empty; a facet call that was inconsistent
    (``facet_consistent`` False) vouches for nothing below it.
    """
    by_key = {p["key"]: p for p in run.partitions}
    node = by_key.get(ROOT_KEY)
    values = source_named(run.source).partition_values(posting)
    while node is not None:
        if node.get("facet_consistent") is False:
            return False
        dimension = node.get("split_by")
        if dimension not in values:
            # A leaf, or a split by a multi-valued facet: its own verdict covers its postings.
            return bool(node.get("complete"))
        child = by_key.get(child_key(node["key"], dimension, values[dimension]))
        if child is None:
            return True  # the facet call succeeded and no longer lists this value
        node = child
    return False


@dataclass(frozen=True)
class GuardSettings:
    """The closure guards' limits (settings ``JOBTRACKER_*``, see docs/store.md)."""

    max_fraction: float = 0.2
    """Run guard: more than this share of the scope's open postings to mark or close: none."""
    floor: int = 25
    """...unless that is at most this many postings (ordinary churn in a small scope)."""
    scope_loss_fraction: float = 0.9
    """A scope, category or country losing at least this share of its open postings at once..."""
    scope_loss_min: int = 5
    """...and holding at least this many open postings, closes nothing now."""
    max_daily_fraction: float = 0.1
    """The runs of one UTC day together close at most this share of the source's open postings."""
    confirm_gap: timedelta | None = None
    """Confirmation needs a run this much later; None: a run that started on a later UTC day."""


@dataclass(frozen=True)
class BoardCounts:
    """What the store holds around a run's scope, for the guards."""

    open_in_scope: int
    open_by_group: dict[str, int] = field(default_factory=dict)
    """Open postings per ``business_category=...`` and ``country_code=...`` in the scope."""
    open_in_source: int = 0
    closed_today: int = 0
    """Postings of the source closed by other runs that started on this run's UTC day."""


def confirms(earlier: datetime, later: datetime, gap: timedelta | None) -> bool:
    """Is an observation at ``later`` a confirmation of one at ``earlier``?"""
    if gap is not None:
        return later - earlier >= gap
    return later.date() > earlier.date()


def guard_groups(posting: dict[str, Any]) -> tuple[str, str]:
    """The groups a posting counts in for the scope-loss guard."""
    return (
        f"business_category={posting.get('business_category') or ''}",
        f"country_code={posting.get('country_code') or ''}",
    )


@dataclass
class ClosurePlan:
    """The verdict for one run: whom to mark missing, whom to close, whom to hold, and why."""

    mark_missing: list[str] = field(default_factory=list)
    close: list[str] = field(default_factory=list)
    hold: list[str] = field(default_factory=list)
    """Confirmed missing, but a guard holds them open until one more observation."""
    skipped_incomplete: int = 0
    awaiting_later_run: int = 0
    """Already missing, and this run is no later confirmation (same day, or older)."""
    open_in_scope: int = 0
    blocked_reason: str | None = None
    held_reasons: list[str] = field(default_factory=list)
    guarded: str | None = None
    """Why a guard, not the run's own state, kept closures back (the run guard blocked them,
    or the scope or day guard held some); None otherwise."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.blocked_reason is None,
            "blocked_reason": self.blocked_reason,
            "guarded": self.guarded,
            "open_in_scope": self.open_in_scope,
            "marked_missing": len(self.mark_missing),
            "closed": len(self.close),
            "held": len(self.hold),
            "held_reason": "; ".join(self.held_reasons) or None,
            "awaiting_later_run": self.awaiting_later_run,
            "skipped_incomplete_partition": self.skipped_incomplete,
        }


def plan_closures(
    run: RunOutcome,
    unseen: list[dict[str, Any]],
    board: BoardCounts,
    guards: GuardSettings | None = None,
) -> ClosurePlan:
    """Decide for each open in-scope posting that this run did not see.

    ``unseen`` holds ``{"_id", "business_category", "country_code", "missing_since",
    "missing_last_at", "missing_count", "closure_held"}``. A first miss marks the posting
    missing; a miss by a later run (a later UTC day) confirms it, and the second confirmed miss
    closes it (the third for a posting a guard held). The guards are applied in order: the run
    guard (nothing at all changes), then the scope-loss and the day guards (closures are held).
    """
    guards = guards or GuardSettings()
    plan = ClosurePlan(open_in_scope=board.open_in_scope)
    blocker = closure_blocker(run)
    if blocker is not None:
        plan.blocked_reason = blocker
        return plan
    started = run.started_at
    due: list[dict[str, Any]] = []
    for posting in unseen:
        if not covering_partition_complete(run, posting):
            plan.skipped_incomplete += 1
        elif posting.get("missing_since") is None:
            plan.mark_missing.append(posting["_id"])
        elif started is None or not confirms(
            posting.get("missing_last_at") or posting["missing_since"], started, guards.confirm_gap
        ):
            plan.awaiting_later_run += 1
        else:
            due.append(posting)
    limit = max(guards.floor, guards.max_fraction * board.open_in_scope)
    would_change = len(plan.mark_missing) + len(due)
    if would_change > limit:
        plan.blocked_reason = (
            f"mass-closure guard: {would_change} of {board.open_in_scope} open postings in scope "
            f"would be marked missing or closed (limit {limit:.0f}); a site change or a silent "
            "failure looks like this, so nothing was changed"
        )
        plan.guarded = plan.blocked_reason
        plan.mark_missing = []
        return plan
    held_before = [p for p in due if p.get("closure_held")]
    closing = [p for p in due if not p.get("closure_held")]
    closing = _apply_scope_loss_guard(closing, held_before, board, guards, plan)
    closing = _apply_day_guard(closing, held_before, board, guards, plan)
    plan.close = [p["_id"] for p in held_before + closing]
    plan.guarded = "; ".join(plan.held_reasons) or None
    return plan


def _apply_scope_loss_guard(
    closing: list[dict[str, Any]],
    held_before: list[dict[str, Any]],
    board: BoardCounts,
    guards: GuardSettings,
    plan: ClosurePlan,
) -> list[dict[str, Any]]:
    """Hold the closures of any scope, category or country that would lose (nearly) all."""
    losing = Counter(group for p in closing + held_before for group in guard_groups(p))
    losing["scope"] = len(closing) + len(held_before)
    open_counts = {**board.open_by_group, "scope": board.open_in_scope}
    tripped = {
        group
        for group, lost in losing.items()
        if open_counts.get(group, 0) >= guards.scope_loss_min
        and lost >= guards.scope_loss_fraction * open_counts[group]
    }
    if not tripped:
        return closing
    if "scope" in tripped:
        held, kept = closing, []
    else:
        held = [p for p in closing if tripped.intersection(guard_groups(p))]
        kept = [p for p in closing if not tripped.intersection(guard_groups(p))]
    if held:
        plan.hold.extend(p["_id"] for p in held)
        names = ", ".join(sorted(tripped))
        plan.held_reasons.append(
            f"scope guard: {names} would lose {guards.scope_loss_fraction:.0%} or more of "
            f"its open postings at once; {len(held)} closures held for one more observation"
        )
    return kept


def _apply_day_guard(
    closing: list[dict[str, Any]],
    held_before: list[dict[str, Any]],
    board: BoardCounts,
    guards: GuardSettings,
    plan: ClosurePlan,
) -> list[dict[str, Any]]:
    """Hold this run's closures if the day's runs together would close too much of the board."""
    day_total = board.closed_today + len(held_before) + len(closing)
    limit = guards.max_daily_fraction * (board.open_in_source + board.closed_today)
    if not closing or day_total <= max(guards.floor, limit):
        return closing
    plan.hold.extend(p["_id"] for p in closing)
    plan.held_reasons.append(
        f"day guard: the runs of this day would close {day_total} postings, more than "
        f"{guards.max_daily_fraction:.0%} of the {board.open_in_source + board.closed_today} "
        f"open; {len(closing)} closures held for one more observation"
    )
    return []
