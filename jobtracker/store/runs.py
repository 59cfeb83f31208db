"""Runs in ``crawl_runs``: the end of a run (its closures applied, or why not, and its record
written, or, when MongoDB fails at that moment, the record saved for the next run), and runs
read back by id (no Scrapy here)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pymongo.errors import PyMongoError

from jobtracker.store import spool
from jobtracker.store.connection import RUNS
from jobtracker.store.lifecycle import BoardCounts, GuardSettings, RunOutcome, plan_closures
from jobtracker.store.mongo import PageResult, PostingStore

if TYPE_CHECKING:
    from pymongo.database import Database

logger = logging.getLogger(__name__)


def runs_by_id(db: Database, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``crawl_runs`` documents of these run ids."""
    return {run["_id"]: run for run in db[RUNS].find({"_id": {"$in": list(ids)}})}


@dataclass
class RunEnd:
    """What a run's end record says beside its outcome."""

    finished_at: Any
    complete: bool
    scope: dict[str, Any]
    changes: PageResult
    unsaved: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    plan: str | None = None
    """How the run planned its partitions: ``facets`` or ``discovered``."""
    plan_reason: str | None = None
    finish_detail: str | None = None
    """Why a run that failed stopped, in one line (``HTTP 403 from ...``), when it said."""


def finish_run(
    store: PostingStore, var_dir: Path, outcome: RunOutcome, end: RunEnd, guards: GuardSettings
) -> tuple[dict[str, Any], bool]:
    """Apply the run's closures and record its end; returns the update recorded and whether
    MongoDB took it (if not, it waits in ``var_dir/pending_runs/`` for the next run, with
    finish reason ``store_unavailable``)."""
    update: dict[str, Any] = {
        "finish_reason": outcome.finish_reason,
        "finished_at": end.finished_at,
        "complete": end.complete and not outcome.store_failed,
        "plan": end.plan,
        "plan_reason": end.plan_reason,
        "partitions": outcome.partitions,
        "changes": {**end.changes.as_dict(), "unsaved": end.unsaved},
        "stats": end.stats,
    }
    if end.finish_detail:
        update["finish_detail"] = end.finish_detail
    try:
        if outcome.store_failed:  # no query against a store that just failed
            plan = plan_closures(outcome, [], BoardCounts(0))
        else:
            plan = store.apply_closures(outcome, end.scope, guards)
        update["closure"] = plan.as_dict()
        update["changes"]["closed"] = len(plan.close)
        update["changes"]["marked_missing"] = len(plan.mark_missing)
        update["changes"]["held"] = len(plan.hold)
        if plan.blocked_reason and not outcome.keyword_run and not outcome.store_failed:
            logger.warning("No closures for run %s: %s", outcome.run_id, plan.blocked_reason)
        if plan.hold:
            logger.warning(
                "Run %s held %d closures: %s",
                outcome.run_id,
                len(plan.hold),
                "; ".join(plan.held_reasons),
            )
        store.finish_run(outcome.run_id, update)
    except PyMongoError as exc:
        path = spool.save_pending_finish(
            var_dir, outcome.run_id, {**update, "finish_reason": "store_unavailable"}
        )
        logger.error(
            "Could not record the end of run %s in MongoDB (%s); saved to %s and "
            "recorded when the store is back",
            outcome.run_id,
            exc,
            path,
        )
        return update, False
    return update, True
