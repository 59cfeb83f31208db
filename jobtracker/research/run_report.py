"""Recent crawl runs: scope, completeness, and what each changed (from ``crawl_runs``).

Beside the counts, each run gets *notes*: what a researcher needs to judge it that the counts do
not say (late sightings, closures a guard held, postings stored later from its spill file, a
discovered plan, hourly sites that had to be tiled). The formatting here is pure; the CLI prints
it through the output layer (:mod:`jobtracker.research.output`), which cleans site text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from jobtracker.research.output import terminal_text
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
    "held",
    "late",
    "unsaved",
    "spill_imported",
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
    "finish",
    "complete",
    "plan",
    "plan_reason",
    "partitions",
    "partitions_complete",
    *COUNT_COLUMNS,
    "closure",
    "held_by",
    "held_reason",
    "spill_changes",
    "tiled_sites",
    "tiling_covered",
    "notes",
]

#: Finish reasons (``crawl_runs.finish_reason``) in words for a table.
FINISH_WORDS = {
    "finished": "finished",
    "abandoned": "abandoned (never finished)",
    "blocked": "blocked by the site",
    "unreachable": "site unreachable",
    "store_unavailable": "store unavailable",
    "duplicate_run_id": "refused: run id reused",
    "shutdown": "shut down",
    "browser_missing": "no browser",
}
#: The guards that hold closures, as ``closure.held_reason`` names them (written by
#: ``jobtracker.store.lifecycle``): ``"scope guard: <groups> would lose ..."``,
#: ``"day guard: ..."``, joined with ``"; "``.
_HELD_BY = re.compile(r"(?:^|; )(scope|day) guard: ")
_SCOPE_GROUPS = re.compile(r"(?:^|; )scope guard: (.+?) would lose ")


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


def finish_text(run: Mapping[str, Any]) -> str:
    """The run's finish reason in words: ``"abandoned (never finished)"``, ``"running"``, ...;
    a reason without words of its own as recorded (``closespider_timeout``)."""
    reason = run.get("finish_reason")
    if not reason:
        return "running" if run.get("finished_at") is None else "unknown"
    reason = str(reason)
    if reason in FINISH_WORDS:
        return FINISH_WORDS[reason]
    name, _, detail = reason.partition(":")
    if name == "bad_argument" and detail:
        return f"bad argument: {detail}"
    return reason


def held_by(closure: Mapping[str, Any] | None) -> list[str]:
    """The guards that held this run's closures (``["scope", "day"]``), from ``held_reason``."""
    reason = (closure or {}).get("held_reason") or ""
    return list(dict.fromkeys(_HELD_BY.findall(str(reason))))


def tiled_sites(run: Mapping[str, Any]) -> dict[str, bool]:
    """Hourly sites listed tile by tile (``partitions[].query.mode == "tiles"``): site ->
    whether the tiles covered the country."""
    tiled = {}
    for partition in run.get("partitions") or []:
        query = partition.get("query")
        if isinstance(query, Mapping) and query.get("mode") == "tiles":
            site = (partition.get("filters") or {}).get("site") or partition.get("key")
            tiled[str(site)] = query.get("covered") is True
    return tiled


def _counts(values: Mapping[str, Any], names: tuple[str, ...]) -> str:
    return ", ".join(f"{name} {values[name]}" for name in names if values.get(name))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run_notes(run: Mapping[str, Any]) -> list[str]:
    """What else a researcher needs to judge the run, one short sentence each (no ``;``)."""
    notes = []
    changes = run.get("changes") or {}
    closure = run.get("closure") or {}
    late = changes.get("late") or 0
    if late:
        notes.append(f"{_plural(late, 'late sighting')} ignored (older than what the store had)")
    held = closure.get("held") or changes.get("held") or 0
    if held:
        guards = []
        for guard in held_by(closure):
            groups = _SCOPE_GROUPS.search(closure.get("held_reason") or "")
            if guard == "scope" and groups:
                guards.append(f"scope guard ({groups.group(1)})")
            else:
                guards.append(f"{guard} guard")
        by = f" by the {' and the '.join(guards)}" if guards else ""
        notes.append(f"{_plural(held, 'closure')} held{by}")
    spill = run.get("spill_imported")
    if isinstance(spill, Mapping):
        what = _counts(spill, ("new", "updated", "unchanged", "reopened", "late"))
        notes.append(
            f"{_plural(spill.get('postings') or 0, 'spilled posting')} stored later from its "
            f"spill file{f' ({what})' if what else ''}, not in the counts"
        )
    elif changes.get("unsaved"):
        notes.append(f"{_plural(changes['unsaved'], 'posting')} unsaved, spill not imported yet")
    if run.get("plan") not in (None, "facets"):
        reason = run.get("plan_reason")
        notes.append(f"{run['plan']} plan{f' ({reason})' if reason else ''}")
    tiled = tiled_sites(run)
    if tiled:
        sites = ", ".join(
            f"{site} {'covered' if covered else 'NOT covered'}" for site, covered in tiled.items()
        )
        notes.append(f"tiled: {sites}")
    return notes


def run_row(run: Mapping[str, Any]) -> dict[str, Any]:
    """One ``crawl_runs`` document as a flat row."""
    partitions = run.get("partitions") or []
    changes = run.get("changes") or {}
    closure = run.get("closure") or {}
    stats = run.get("stats") or {}
    spill = run.get("spill_imported") if isinstance(run.get("spill_imported"), Mapping) else None
    tiled = tiled_sites(run)
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
        "finish": finish_text(run),
        "complete": run.get("complete"),
        "plan": run.get("plan"),
        "plan_reason": run.get("plan_reason"),
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
                "late",
                "unsaved",
            )
        },
        "held": closure.get("held", changes.get("held")),
        "spill_imported": spill.get("postings") if spill else None,
        "closure": closure_text(run),
        "held_by": held_by(closure),
        "held_reason": closure.get("held_reason"),
        "spill_changes": {k: v for k, v in spill.items() if k != "postings"} if spill else None,
        "tiled_sites": list(tiled),
        "tiling_covered": all(tiled.values()) if tiled else None,
        "notes": run_notes(run),
    }


def notes_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """The notes of these rows (:func:`run_row`) as lines to print under the runs table, one
    per run that has notes (``""`` if none), safe for a terminal (site text is cleaned by
    :func:`jobtracker.research.output.terminal_text`)."""
    lines = [
        terminal_text(f"  {row['run_id']}: {'; '.join(row['notes'])}")
        for row in rows
        if row.get("notes")
    ]
    return "\n".join(["Notes:", *lines]) if lines else ""


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
