"""What notifications need from the store: the runs of one source and scope before a run, the
runs a start found abandoned, the figures of ``jobtracker health``, and a claim per message so
that runs finishing at once say each thing once (no Scrapy here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pymongo.errors import DuplicateKeyError

from jobtracker.notify.verdict import run_scope_key
from jobtracker.store.connection import NOTIFICATIONS, POSTINGS, RUNS
from jobtracker.store.mongo import utc_ms

if TYPE_CHECKING:
    from pymongo.database import Database

#: How far back a run looks for the bad runs it recovers from (runs of its source).
HISTORY_LIMIT = 200


def claim(db: Database, key: str, run_id: str, now: datetime) -> bool:
    """Claim the message ``key`` (``"recovery:<bad run id>"``): True for the one caller that
    inserts it first, False for every other (the unique ``_id`` is the atomic test)."""
    try:
        db[NOTIFICATIONS].insert_one({"_id": key, "run_id": run_id, "at": utc_ms(now)})
    except DuplicateKeyError:
        return False
    return True


def runs_of_scope_before(db: Database, run: dict[str, Any]) -> list[dict[str, Any]]:
    """The finished runs of ``run``'s source and scope that started before it, newest first."""
    key = run_scope_key(run)
    query = {
        "source": run["source"],
        "_id": {"$ne": run["_id"]},
        "started_at": {"$lt": utc_ms(run["started_at"])},
        "finish_reason": {"$ne": None},
    }
    docs = db[RUNS].find(query, sort=[("started_at", -1)], limit=HISTORY_LIMIT)
    return [doc for doc in docs if run_scope_key(doc) == key]


def runs_by_ids(db: Database, ids: Iterable[str]) -> list[dict[str, Any]]:
    """These runs' records, oldest first."""
    return list(db[RUNS].find({"_id": {"$in": list(ids)}}, sort=[("started_at", 1)]))


@dataclass
class SourceFigures:
    """What ``jobtracker health`` reads of one source."""

    source: str
    last_run: dict[str, Any] | None
    """The latest run started (it may still be running)."""
    last_finished: dict[str, Any] | None
    last_complete_at: datetime | None
    """When the latest complete run finished."""
    open_postings: int
    new_last_day: int
    closed_last_day: int
    held_closures: int


def sources_that_ran(db: Database) -> list[str]:
    return sorted(str(source) for source in db[RUNS].distinct("source") if source)


def source_figures(db: Database, source: str, now: datetime) -> SourceFigures:
    """The figures of one source at ``now`` (runs and postings of that source)."""
    runs = db[RUNS]
    newest = [("started_at", -1)]
    last_run = runs.find_one({"source": source}, sort=newest)
    last_finished = runs.find_one({"source": source, "finish_reason": {"$ne": None}}, sort=newest)
    complete = runs.find_one(
        {"source": source, "complete": True, "finished_at": {"$ne": None}},
        sort=[("finished_at", -1)],
    )
    new = closed = 0
    since = utc_ms(now - timedelta(days=1))
    for run in runs.find({"source": source, "started_at": {"$gte": since}}, {"changes": 1}):
        changes = run.get("changes") or {}
        new += int(changes.get("new") or 0)
        closed += int(changes.get("closed") or 0)
    postings = db[POSTINGS]
    return SourceFigures(
        source=source,
        last_run=last_run,
        last_finished=last_finished,
        last_complete_at=complete["finished_at"] if complete else None,
        open_postings=postings.count_documents({"source": source, "status": "open"}),
        new_last_day=new,
        closed_last_day=closed,
        held_closures=postings.count_documents(
            {"source": source, "status": "open", "closure_held": True}
        ),
    )
