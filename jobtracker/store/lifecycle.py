"""Closure rules (pure): which unseen postings a finished run may mark missing or close.

DESIGN.md §5, rules 1-2: only a run that finished normally, only within its scope, only inside
its complete partitions, never a keyword run; a posting is closed only when a second complete
observation of its partition confirms it missing; and a run that would touch more than a
fraction of the open postings in its scope touches none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROOT_KEY = "all"


@dataclass(frozen=True)
class RunOutcome:
    """What the store needs to know about a run to decide closures."""

    run_id: str
    finish_reason: str
    keyword_run: bool
    partitions: list[dict[str, Any]]
    store_failed: bool = False


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


def covering_partition_complete(run: RunOutcome, business_category: str, country: str) -> bool:
    """Is the partition that should have listed a posting with this (primary) category and
    country complete? A value that a successful facet call no longer lists is complete and empty;
    a facet call that was inconsistent (``facet_consistent`` False) vouches for nothing below it.
    """
    by_key = {p["key"]: p for p in run.partitions}
    node = by_key.get(ROOT_KEY)
    values = {"business_category": business_category, "normalized_country_code": country}
    while node is not None:
        if node.get("facet_consistent") is False:
            return False
        dimension = node.get("split_by")
        if dimension not in values:
            # A leaf, or a split by a multi-valued facet: its own verdict covers its postings.
            return bool(node.get("complete"))
        child_key = f"{dimension}={values[dimension]}"
        if node["key"] != ROOT_KEY:
            child_key = f"{node['key']}/{child_key}"
        child = by_key.get(child_key)
        if child is None:
            return True  # the facet call succeeded and no longer lists this value
        node = child
    return False


@dataclass
class ClosurePlan:
    """The verdict for one run: whom to mark missing, whom to close, and why not."""

    mark_missing: list[str] = field(default_factory=list)
    close: list[str] = field(default_factory=list)
    skipped_incomplete: int = 0
    open_in_scope: int = 0
    blocked_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.blocked_reason is None,
            "blocked_reason": self.blocked_reason,
            "open_in_scope": self.open_in_scope,
            "marked_missing": len(self.mark_missing),
            "closed": len(self.close),
            "skipped_incomplete_partition": self.skipped_incomplete,
        }


def plan_closures(
    run: RunOutcome,
    unseen: list[dict[str, Any]],
    open_in_scope: int,
    *,
    max_fraction: float = 0.2,
    floor: int = 25,
) -> ClosurePlan:
    """Decide for each open in-scope posting that this run did not see.

    ``unseen`` holds ``{"_id", "business_category", "country_code", "missing_since"}``.
    A posting already marked missing by an earlier complete observation is closed; otherwise
    it is marked missing. The guard: if more than ``max(floor, max_fraction * open_in_scope)``
    postings would change, none does.
    """
    plan = ClosurePlan(open_in_scope=open_in_scope)
    blocker = closure_blocker(run)
    if blocker is not None:
        plan.blocked_reason = blocker
        return plan
    for posting in unseen:
        category = posting.get("business_category") or ""
        country = posting.get("country_code") or ""
        if not covering_partition_complete(run, category, country):
            plan.skipped_incomplete += 1
            continue
        if posting.get("missing_since") is not None:
            plan.close.append(posting["_id"])
        else:
            plan.mark_missing.append(posting["_id"])
    limit = max(floor, max_fraction * open_in_scope)
    would_change = len(plan.mark_missing) + len(plan.close)
    if would_change > limit:
        plan.blocked_reason = (
            f"mass-closure guard: {would_change} of {open_in_scope} open postings in scope would "
            f"be marked missing or closed (limit {limit:.0f}); a site change or a silent failure "
            "looks like this, so nothing was changed"
        )
        plan.mark_missing, plan.close = [], []
    return plan
