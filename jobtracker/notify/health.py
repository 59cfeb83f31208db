"""``jobtracker health``: per source, whether the daily history is being kept (for cron, a
dead-man's switch and Prometheus).

A source is healthy when it had a complete run within ``max_age`` and its last finished run was
not bad (:func:`jobtracker.notify.verdict.run_verdict`). A store with no runs at all is not
healthy: nothing is being tracked. The figures come from :mod:`jobtracker.store.alerts`; spills
waiting for import are the files in ``JOBTRACKER_VAR_DIR/unsaved/`` of this machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobtracker.notify.verdict import FAILURE, Message, Verdict, run_verdict, when
from jobtracker.store.alerts import SourceFigures, source_figures, sources_that_ran
from jobtracker.store.spool import unsaved_files

if TYPE_CHECKING:
    from pymongo.database import Database

#: ``--max-age`` when not given, in hours.
DEFAULT_MAX_AGE_HOURS = 36.0


@dataclass
class SourceHealth:
    """One source's figures judged at ``now``."""

    figures: SourceFigures
    now: datetime
    max_age: timedelta

    @property
    def source(self) -> str:
        return self.figures.source

    @property
    def last_verdict(self) -> Verdict | None:
        run = self.figures.last_finished
        return run_verdict(run) if run else None

    @property
    def age(self) -> timedelta | None:
        """Since the last complete run finished (None: never)."""
        at = self.figures.last_complete_at
        return self.now - at if at else None

    @property
    def problems(self) -> list[str]:
        """Why the source is unhealthy (empty when healthy)."""
        problems = []
        if self.figures.last_run is None:
            problems.append("never ran")
        age, hours = self.age, self.max_age.total_seconds() / 3600
        if age is None:
            problems.append("no complete run ever")
        elif age > self.max_age:
            problems.append(
                f"stale: last complete run {age.total_seconds() / 3600:.1f} h ago "
                f"(more than {hours:g} h)"
            )
        verdict = self.last_verdict
        if verdict is not None and verdict.bad:
            run_id = (self.figures.last_finished or {}).get("_id")
            problems.append(f"last run {run_id} {verdict.words}: {verdict.reason}")
        return problems

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        figures, last, verdict = self.figures, self.figures.last_run, self.last_verdict
        return {
            "source": self.source,
            "ok": self.ok,
            "problems": self.problems,
            "last_run": last.get("_id") if last else None,
            "last_run_started_at": last.get("started_at") if last else None,
            "last_run_finish_reason": last.get("finish_reason") if last else None,
            "last_finished_run": (figures.last_finished or {}).get("_id"),
            "last_verdict": verdict.name if verdict else None,
            "last_verdict_reason": verdict.reason if verdict else None,
            "last_complete_run_at": figures.last_complete_at,
            "hours_since_complete_run": (
                round(self.age.total_seconds() / 3600, 2) if self.age is not None else None
            ),
            "open_postings": figures.open_postings,
            "new_last_day": figures.new_last_day,
            "closed_last_day": figures.closed_last_day,
            "held_closures": figures.held_closures,
        }

    def lines(self) -> list[str]:
        figures, last = self.figures, self.figures.last_run
        state = "OK" if self.ok else "UNHEALTHY: " + "; ".join(self.problems)
        lines = [f"{self.source}: {state}"]
        if last:
            running = "" if last.get("finish_reason") else " (still running)"
            verdict = self.last_verdict
            lines.append(
                f"  last run: {last.get('_id')}, started {when(last.get('started_at'))}{running}"
                + (f"; last finished: {verdict.words}" if verdict else "")
            )
        age = self.age
        lines.append(
            "  last complete run: "
            + (
                f"{when(figures.last_complete_at)} ({age.total_seconds() / 3600:.1f} h ago)"
                if age is not None
                else "never"
            )
        )
        lines.append(
            f"  postings: {figures.open_postings} open; in the last day {figures.new_last_day} "
            f"new, {figures.closed_last_day} closed; {figures.held_closures} closures held"
        )
        return lines


@dataclass
class HealthReport:
    """Every source's health, and the spills waiting on this machine."""

    now: datetime
    max_age: timedelta
    sources: list[SourceHealth] = field(default_factory=list)
    pending_spills: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.sources) and all(source.ok for source in self.sources)

    @property
    def exit_code(self) -> int:
        """0 healthy, 1 a source stale or bad (or no runs at all)."""
        return 0 if self.ok else 1

    def verdict(self) -> str:
        hours = f"{self.max_age.total_seconds() / 3600:g} h"
        if not self.sources:
            return "health: UNHEALTHY: the store has no runs at all (nothing is being tracked)"
        bad = [source.source for source in self.sources if not source.ok]
        if not bad:
            return (
                f"health: OK: every source had a complete run within {hours} and its last "
                "run was not bad"
            )
        return f"health: UNHEALTHY: {', '.join(bad)} (limit {hours})"

    def lines(self) -> list[str]:
        lines = [f"Health at {when(self.now)}:"]
        for source in self.sources:
            lines.extend(source.lines())
        lines.append(f"Spills waiting for import: {self.pending_spills}")
        lines.append(self.verdict())
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "max_age_hours": self.max_age.total_seconds() / 3600,
            "ok": self.ok,
            "verdict": self.verdict(),
            "sources": [source.as_dict() for source in self.sources],
            "pending_spills": self.pending_spills,
        }

    def message(self) -> Message:
        """The unhealthy summary (``--notify``)."""
        lines = [self.verdict()]
        for source in self.sources:
            if not source.ok:
                lines.append(f"{source.source}: {'; '.join(source.problems)}")
        if self.pending_spills:
            lines.append(f"Spills waiting for import: {self.pending_spills}")
        lines.append("Look closer: jobtracker health; jobtracker runs --limit 20")
        return Message("jobtracker health: unhealthy", "\n".join(lines), FAILURE)

    def prometheus_text(self) -> str:
        """The Prometheus text format (node_exporter's textfile collector)."""
        from prometheus_client import CollectorRegistry, Gauge, generate_latest

        registry = CollectorRegistry()

        def gauge(name: str, text: str, labels: tuple[str, ...] = ("source",)) -> Gauge:
            return Gauge(name, text, labels, registry=registry)

        complete_at = gauge(
            "jobtracker_last_complete_run_timestamp_seconds",
            "When the last complete run of the source finished (Unix time; 0: never)",
        )
        last_ok = gauge(
            "jobtracker_last_run_ok", "1 when the last finished run of the source was not bad"
        )
        healthy = gauge("jobtracker_source_healthy", "1 when jobtracker health finds it OK")
        open_postings = gauge("jobtracker_open_postings", "Open postings of the source")
        held = gauge("jobtracker_held_closures", "Open postings whose closure a guard holds")
        new = gauge(
            "jobtracker_new_postings_last_day", "Postings first seen by the last day's runs"
        )
        closed = gauge(
            "jobtracker_closed_postings_last_day", "Postings closed by the last day's runs"
        )
        for source in self.sources:
            name, figures = source.source, source.figures
            at = figures.last_complete_at
            complete_at.labels(name).set(at.timestamp() if at else 0)
            verdict = source.last_verdict
            last_ok.labels(name).set(int(verdict is not None and not verdict.bad))
            healthy.labels(name).set(int(source.ok))
            open_postings.labels(name).set(figures.open_postings)
            held.labels(name).set(figures.held_closures)
            new.labels(name).set(figures.new_last_day)
            closed.labels(name).set(figures.closed_last_day)
        gauge("jobtracker_pending_spills", "Spill files waiting for import here", ()).set(
            self.pending_spills
        )
        return generate_latest(registry).decode()


def check_health(
    db: Database,
    *,
    now: datetime,
    max_age: timedelta,
    sources: list[str] | None = None,
    var_dir: Path | None = None,
) -> HealthReport:
    """The health of ``sources`` (default: every source that ever ran)."""
    report = HealthReport(now=now, max_age=max_age)
    names = sources if sources else sources_that_ran(db)
    report.sources = [SourceHealth(source_figures(db, name, now), now, max_age) for name in names]
    report.pending_spills = len(unsaved_files(var_dir)) if var_dir is not None else 0
    return report
