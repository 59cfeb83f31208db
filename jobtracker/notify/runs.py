"""Which messages a run's end sends (at most one per run), and the runs a start found abandoned.

A bad run sends its failure message. A complete run sends the recovery message when the runs
before it of the same source and scope (``crawl_runs``) were bad, once: the message is claimed
in the store under the latest bad run's id, so two runs finishing at once say it once. Without
a store a complete run sends nothing (there is no history to recover from). With
``JOBTRACKER_NOTIFY_EVERY_RUN=1`` any other complete run sends a short note.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jobtracker.notify.verdict import (
    Message,
    Verdict,
    failure_message,
    recovery_message,
    run_verdict,
    summary_message,
)

if TYPE_CHECKING:
    from pymongo.database import Database

logger = logging.getLogger(__name__)


def bad_streak(
    previous: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The bad runs right before a run (``previous`` newest first), and the complete run
    before them (None if none)."""
    bad = []
    for run in previous:
        if not run_verdict(run).bad:
            return bad, run
        bad.append(run)
    return bad, None


def run_end_message(
    db: Database | None,
    record: Mapping[str, Any],
    verdict: Verdict,
    now: datetime,
    *,
    every_run: bool = False,
) -> Message | None:
    """The one message a run's end sends, or None. ``db`` (None without a store, or when it
    failed) gives the history a recovery needs; a store that fails here costs only that."""
    if verdict.bad:
        return failure_message(record, verdict)
    if db is not None:
        from pymongo.errors import PyMongoError

        from jobtracker.store.alerts import claim, runs_of_scope_before

        try:
            bad, last_good = bad_streak(runs_of_scope_before(db, dict(record)))
            if bad and claim(db, f"recovery:{bad[0]['_id']}", str(record["_id"]), now):
                return recovery_message(record, bad, last_good)
            if bad:
                return None  # another run said it
        except PyMongoError as exc:
            logger.warning("Cannot read the earlier runs for a recovery message: %s", exc)
    return summary_message(record) if every_run else None


def abandoned_messages(db: Database, run_ids: list[str]) -> list[Message]:
    """The failure messages of runs a start has just marked abandoned (each run is abandoned
    by exactly one start, so each is said once)."""
    from jobtracker.store.alerts import runs_by_ids

    return [failure_message(run, run_verdict(run)) for run in runs_by_ids(db, run_ids)]
