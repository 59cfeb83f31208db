"""Recent crawl runs: scope, completeness, and what each changed (from ``crawl_runs``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from jobtracker.research.timeline import ONE_DAY, day_start

if TYPE_CHECKING:
    import pandas as pd
    from pymongo.database import Database

#: What a run changed, as counts (nullable integers in the DataFrame).
COUNT_COLUMNS = (
    "postings_seen",
    "new",
    "updated",
    "unchanged",
    "reopened",
    "marked_missing",
    "closed",
    "unsaved",
)
RUN_COLUMNS = [
    "run_id",
    "started_at",
    "finished_at",
    "duration_s",
    "source",
    "scope",
    "keyword_run",
    "finish_reason",
    "complete",
    "partitions",
    "partitions_complete",
    *COUNT_COLUMNS,
    "closure",
]


def scope_text(run: Mapping[str, Any]) -> str:
    """``"all"`` or e.g. ``"countries JPN,USA; query 'Rekognition'"``."""
    scope = run.get("scope") or {}
    parts = []
    if scope.get("countries"):
        parts.append("countries " + ",".join(scope["countries"]))
    if scope.get("categories"):
        parts.append("categories " + ",".join(scope["categories"]))
    if scope.get("query"):
        parts.append(f"query {scope['query']!r}")
    if scope.get("max_pages"):
        parts.append(f"max {scope['max_pages']} pages")
    return "; ".join(parts) or "all"


def closure_text(run: Mapping[str, Any]) -> str:
    closure = run.get("closure")
    if not closure:
        return "" if run.get("finished_at") else "(running)"
    if closure.get("applied"):
        return "applied"
    return f"not applied: {closure.get('blocked_reason') or 'no reason recorded'}"


def run_row(run: Mapping[str, Any]) -> dict[str, Any]:
    """One ``crawl_runs`` document as a flat row."""
    partitions = run.get("partitions") or []
    changes = run.get("changes") or {}
    stats = run.get("stats") or {}
    started, finished = run.get("started_at"), run.get("finished_at")
    return {
        "run_id": run.get("_id"),
        "started_at": started,
        "finished_at": finished,
        "duration_s": round((finished - started).total_seconds(), 1)
        if started and finished
        else None,
        "source": run.get("source"),
        "scope": scope_text(run),
        "keyword_run": bool(run.get("keyword_run")),
        "finish_reason": run.get("finish_reason"),
        "complete": run.get("complete"),
        "partitions": len(partitions),
        "partitions_complete": sum(bool(p.get("complete")) for p in partitions),
        "postings_seen": stats.get("jobtracker/postings/unique"),
        **{
            name: changes.get(name)
            for name in (
                "new",
                "updated",
                "unchanged",
                "reopened",
                "marked_missing",
                "closed",
                "unsaved",
            )
        },
        "closure": closure_text(run),
    }


def iter_run_rows(db: Database) -> Iterator[dict[str, Any]]:
    """Every run as a row, oldest first (streamed)."""
    from jobtracker.store.queries import iter_runs

    for run in iter_runs(db):
        yield run_row(run)


def runs(
    db: Database,
    *,
    limit: int | None = 20,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """The most recent runs first (``limit`` of them; None for all), started within
    ``since..until`` (UTC dates) when given."""
    import pandas as pd

    from jobtracker.store.queries import recent_runs

    docs = recent_runs(
        db,
        limit=limit,
        since=day_start(since) if since else None,
        until=day_start(until + ONE_DAY) if until else None,
    )
    frame = pd.DataFrame([run_row(doc) for doc in docs], columns=RUN_COLUMNS)
    for column in ("started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column in COUNT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    return frame
