"""A finished run's verdict and the messages that tell operators about it (pure; no I/O).

A run is read as its ``crawl_runs`` record (or the same shape built from a crawl's stats):
``finish_reason``, ``complete``, ``partitions``, ``changes``, ``closure``, ``stats``. Its
verdict is *healthy* or one of the bad ones (abandoned, store unavailable, blocked,
unreachable, another failed finish, incomplete, guard-held). Every message body passes through
:func:`jobtracker.redaction.redact_text`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jobtracker.redaction import redact_text

#: Apprise notification types (``apprise.NotifyType`` values).
INFO, SUCCESS, WARNING, FAILURE = "info", "success", "warning", "failure"
#: Finish reasons of a run that ended as intended (as ``scrapy crawl``'s exit status reads them).
NORMAL_FINISH = ("finished", "closespider_")
#: Verdict names with their words for a title.
VERDICT_WORDS = {
    "healthy": "complete",
    "abandoned": "abandoned (never finished)",
    "store_unavailable": "MongoDB unavailable, pages spilled",
    "blocked": "blocked by the site",
    "unreachable": "site unreachable",
    "failed": "failed",
    "incomplete": "incomplete",
    "guard_held": "closures held by a guard",
}


@dataclass(frozen=True)
class Verdict:
    """What a run's end means to an operator."""

    name: str
    """A key of :data:`VERDICT_WORDS`."""
    reason: str
    """What happened, in one plain line."""
    notify_type: str = INFO

    @property
    def bad(self) -> bool:
        return self.name != "healthy"

    @property
    def words(self) -> str:
        return VERDICT_WORDS.get(self.name, self.name)


@dataclass(frozen=True)
class Message:
    """One notification: its title, body and Apprise type."""

    title: str
    body: str
    notify_type: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "body": self.body, "type": self.notify_type}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def scope_key(source: str, scope: Mapping[str, Any] | None) -> str:
    """One string per source and scope (key order does not matter)."""
    return f"{source}|{json.dumps(dict(scope or {}), sort_keys=True, default=str)}"


def run_scope_key(run: Mapping[str, Any]) -> str:
    """:func:`scope_key` of a run record: runs with equal keys crawl the same thing."""
    return scope_key(str(run.get("source") or ""), run.get("scope"))


def scope_words(scope: Mapping[str, Any] | None) -> str:
    """``"all"`` or e.g. ``"countries JPN,USA; query 'Rekognition'"``."""
    scope = scope or {}
    parts = []
    for name in ("countries", "categories"):
        if scope.get(name):
            parts.append(f"{name} {','.join(map(str, scope[name]))}")
    if scope.get("query"):
        parts.append(f"query {scope['query']!r}")
    if scope.get("max_pages"):
        parts.append(f"max {scope['max_pages']} pages")
    return "; ".join(parts) or "all"


def _incomplete_reason(run: Mapping[str, Any]) -> str:
    partitions = run.get("partitions") or []
    bad = [p for p in partitions if not p.get("complete")]
    if not partitions:
        return "no partition was planned: the run cannot vouch for anything"
    shown = "; ".join(
        f"{p.get('key')}"
        + (f" ({', '.join(map(str, (p.get('problems') or [])[:2]))})" if p.get("problems") else "")
        for p in bad[:3]
    )
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return f"{len(bad)} of {len(partitions)} partitions incomplete: {shown}{more}"


def run_verdict(run: Mapping[str, Any]) -> Verdict:
    """The verdict of a finished run (``finish_reason`` set)."""
    reason = str(run.get("finish_reason") or "unknown")
    detail = run.get("finish_detail")
    changes = run.get("changes") or {}
    closure = run.get("closure") or {}
    if reason == "abandoned":
        return Verdict(
            "abandoned",
            "the run never finished; it was found abandoned at the next start (killed, out of "
            "memory, or its machine stopped), so it closed nothing",
            FAILURE,
        )
    if reason == "store_unavailable":
        unsaved = int(changes.get("unsaved") or 0)
        return Verdict(
            "store_unavailable",
            f"MongoDB was unavailable; {_plural(unsaved, 'posting')} spilled to the run's "
            "spill file, stored by the next run once MongoDB is back; nothing was closed",
            FAILURE,
        )
    if reason in ("blocked", "unreachable"):
        fallback = "the site refused the crawler" if reason == "blocked" else "no connection"
        return Verdict(reason, str(detail or fallback), FAILURE)
    if not reason.startswith(NORMAL_FINISH):
        return Verdict(
            "failed", f"finish reason {reason}{f': {detail}' if detail else ''}", FAILURE
        )
    if not run.get("complete"):
        closed = int(changes.get("closed") or closure.get("closed") or 0)
        return Verdict("incomplete", _incomplete_reason(run), FAILURE if closed else WARNING)
    guarded = closure.get("guarded") or (closure.get("held_reason") if closure.get("held") else "")
    if guarded:
        return Verdict("guard_held", f"a closure guard kept closures back: {guarded}", FAILURE)
    return Verdict("healthy", "complete", SUCCESS)


def counts_line(run: Mapping[str, Any]) -> str:
    """``"Counts: 1 request, 0 postings seen, 0/0 partitions complete, ..."``."""
    stats = run.get("stats") or {}
    changes = run.get("changes") or {}
    partitions = run.get("partitions") or []
    parts = [
        _plural(int(stats.get("downloader/request_count") or 0), "request"),
        f"{int(stats.get('jobtracker/postings/unique') or 0)} postings seen",
        f"{sum(bool(p.get('complete')) for p in partitions)}/{len(partitions)} partitions complete",
    ]
    for name in ("new", "updated", "closed", "held", "unsaved"):
        if changes.get(name):
            parts.append(f"{changes[name]} {name}")
    return "Counts: " + ", ".join(parts)


def when(value: Any) -> str:
    """``"2026-07-01 06:00 UTC"`` for a time, else the value as text."""
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return str(value)


def _day(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else str(value or "")[:10]


def runs_command(run: Mapping[str, Any]) -> str:
    """The command that shows this run beside its neighbours."""
    day = _day(run.get("started_at"))
    return f"jobtracker runs --since {day} --limit 20" if day else "jobtracker runs --limit 20"


def failure_message(run: Mapping[str, Any], verdict: Verdict) -> Message:
    """The one message about a bad run."""
    source = run.get("source") or run.get("spider") or "jobtracker"
    lines = [
        f"What happened: {verdict.reason}.",
        f"Run {run.get('_id')} of {source}, scope {scope_words(run.get('scope'))}, "
        f"started {when(run.get('started_at'))}.",
        counts_line(run),
        f"Look closer: {runs_command(run)}",
    ]
    if verdict.name == "store_unavailable":
        lines.append("The spill file waits in JOBTRACKER_VAR_DIR/unsaved/ until the next run.")
    return Message(f"jobtracker {source}: {verdict.words}", _clean(lines), verdict.notify_type)


def duration_words(span: timedelta) -> str:
    """``"1 day 4 h"``, ``"3 h 20 min"``, ``"12 min"``."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{_plural(days, 'day')} {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def recovery_message(
    run: Mapping[str, Any],
    bad_runs: Sequence[Mapping[str, Any]],
    last_good: Mapping[str, Any] | None,
) -> Message:
    """The one message when a complete run follows bad ones (``bad_runs``, newest first;
    ``last_good``: the complete run before them, if any)."""
    source = run.get("source") or run.get("spider") or "jobtracker"
    finished = run.get("finished_at")
    since = (last_good or {}).get("finished_at") or bad_runs[-1].get("started_at")
    out = (
        duration_words(finished - since)
        if isinstance(finished, datetime) and isinstance(since, datetime)
        else "unknown"
    )
    missed = "; ".join(
        f"{bad.get('_id')}: {run_verdict(bad).words}" for bad in list(reversed(bad_runs))[:5]
    )
    more = f" and {len(bad_runs) - 5} more" if len(bad_runs) > 5 else ""
    lines = [
        f"Run {run.get('_id')} of {source}, scope {scope_words(run.get('scope'))}, finished "
        "complete.",
        f"Out for {out}: no complete run since {'' if last_good else 'before '}{when(since)}.",
        f"Missed: {_plural(len(bad_runs), 'bad run')} ({missed}{more}).",
        counts_line(run),
        f"Look closer: {runs_command(bad_runs[-1])}",
    ]
    return Message(f"jobtracker {source}: recovered", _clean(lines), SUCCESS)


def summary_message(run: Mapping[str, Any]) -> Message:
    """The short note for every healthy run (``JOBTRACKER_NOTIFY_EVERY_RUN=1``)."""
    source = run.get("source") or run.get("spider") or "jobtracker"
    lines = [
        f"Run {run.get('_id')} of {source}, scope {scope_words(run.get('scope'))}: complete.",
        counts_line(run),
    ]
    return Message(f"jobtracker {source}: complete", _clean(lines), INFO)


def schedule_refusal_message(base_url: str, refusal: str, spider: str) -> Message:
    """``jobtracker schedule`` refused after its probe found a drift."""
    lines = [
        f"What happened: {refusal}.",
        f"Site: {base_url}; spider {spider}.",
        f"Look closer: jobtracker probe --base-url {base_url}",
    ]
    return Message(f"jobtracker schedule {spider}: not scheduled", _clean(lines), FAILURE)


def _clean(lines: Sequence[str]) -> str:
    return redact_text("\n".join(lines))
