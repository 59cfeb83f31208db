"""``jobtracker verify``: check the store's invariants over the whole store, and repair what is
derivable. The checks, their MongoDB queries and the repairs: ``docs/store.md``, "Checking
the store".

One pass over ``postings`` sorted by ``_id`` and one over ``posting_versions`` sorted by
``(posting_id, version)`` (the unique ``posting_version`` index), merged like a merge-join: a
posting is checked with its versions in hand, and memory holds one posting's versions at a
time, whatever the size of the store. Only the fields the checks need are read.

- :func:`verify_store` reads and returns a :class:`VerifyReport`: a count and example ids per
  violation kind (:data:`KINDS`), and the plan of what :func:`repair_store` may fix.
- :func:`repair_store` applies that plan in bulk writes and returns a :class:`RepairReport`;
  verify again to see what remains (overlapping spans and the like are only reported).
- :func:`abandon_stale_runs` marks runs that never finished as ``abandoned`` (for a crawl to
  call when it starts; ``repair_store`` calls it too).

Every time read from MongoDB is compared as timezone-aware UTC (a client opened without
``tz_aware`` returns naive UTC times: they are read as UTC). No Scrapy here.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database

from jobtracker.derived import NORMALIZER_VERSION
from jobtracker.store.archive import ARCHIVE_KINDS, check_archive
from jobtracker.store.connection import POSTINGS, RUNS, VERSIONS
from jobtracker.store.mongo import CLEAR_MISSING, MISSING_FIELDS, utc_ms

#: ``--stale-after``: a run still running after this long never finished.
DEFAULT_STALE_AFTER = timedelta(hours=12)
#: Documents per cursor batch (projected: a few hundred bytes each).
BATCH = 2000
#: Operations per bulk write / ids per ``$in``.
CHUNK = 1000
#: Example ids kept per violation kind.
EXAMPLES = 3
#: What ``closure`` says on an abandoned run.
ABANDONED_CLOSURE = {"applied": False, "blocked_reason": "the run never finished (abandoned)"}

#: The violation kinds, in report order, each with the invariant it checks.
KINDS: dict[str, str] = {
    "spans": "spans ordered and disjoint",
    "seen_times": "first_seen_at = first span's from, <= last_seen_at",
    "last_seen": "last_seen_at not before the last span",
    "status": "status agrees with the last span",
    "missing_streak": "missing-streak fields agree, only if open",
    "observed_at": "observed_at >= last seen, latest miss, closure",
    "version_numbers": "versions 1..n, n = the posting's version",
    "content_hash": "content_hash = version n's",
    "version_times": "versions' first_seen_at non-decreasing",
    "current_version": "one current version (n) if open, none if closed",
    "version_ends": "ended versions end at the next one or at closure",
    "orphan_versions": "no version without its posting (or past it)",
    "stale_runs": "no run left running",
    **ARCHIVE_KINDS,
}
#: Kinds that ``repair_store`` can fix (where the fix is derivable from the store).
REPAIRABLE = (
    "missing_streak",
    "observed_at",
    "content_hash",
    "current_version",
    "version_ends",
    "orphan_versions",
    "stale_runs",
)

POSTING_FIELDS = {
    name: 1
    for name in (
        "status",
        "first_seen_at",
        "last_seen_at",
        "closed_at",
        "spans",
        "version",
        "content_hash",
        "observed_at",
        *MISSING_FIELDS,
    )
}
VERSION_FIELDS = {
    name: 1
    for name in (
        "posting_id",
        "version",
        "content_hash",
        "first_seen_at",
        "last_seen_at",
        "normalizer",
    )
}


class VerifyError(RuntimeError):
    """The store cannot be verified as it is (message is user-facing)."""


@dataclass
class Violations:
    """One violation kind: how many, and a few ids (posting, version or run ids)."""

    count: int = 0
    examples: list[str] = field(default_factory=list)
    repairable: int = 0
    """How many of them ``repair_store`` can fix."""

    def add(self, example: Any, repairable: bool = False) -> None:
        self.count += 1
        self.repairable += repairable
        if len(self.examples) < EXAMPLES:
            self.examples.append(str(example))


@dataclass
class RepairPlan:
    """The derivable fixes found by :func:`verify_store` (ids and values only)."""

    orphan_versions: list[Any] = field(default_factory=list)
    """Version ``_id``s to delete."""
    make_current: list[Any] = field(default_factory=list)
    """Version ``_id``s (version n of an open posting) to make current: ``last_seen_at`` null."""
    end_current: list[tuple[Any, datetime]] = field(default_factory=list)
    """(version ``_id``, ``last_seen_at``) for current versions that are not current."""
    content_hashes: list[tuple[Any, int, str]] = field(default_factory=list)
    """(posting ``_id``, version n, version n's ``content_hash``)."""
    clear_missing: list[tuple[Any, str]] = field(default_factory=list)
    """(posting ``_id``, its status) whose missing-streak fields are left over: to unset."""
    raise_observed: list[tuple[Any, datetime]] = field(default_factory=list)
    """(posting ``_id``, the latest observation its other fields prove) for ``observed_at``."""
    version_ends: list[tuple[Any, Any, datetime]] = field(default_factory=list)
    """(version ``_id``, its wrong ``last_seen_at``, the derived one)."""

    def __len__(self) -> int:
        return (
            len(self.orphan_versions)
            + len(self.make_current)
            + len(self.end_current)
            + len(self.content_hashes)
            + len(self.clear_missing)
            + len(self.raise_observed)
            + len(self.version_ends)
        )


@dataclass
class VerifyReport:
    """What :func:`verify_store` found."""

    database: str
    now: datetime
    stale_after: timedelta
    postings: int = 0
    versions: int = 0
    runs: int = 0
    seconds: float = 0.0
    violations: dict[str, Violations] = field(
        default_factory=lambda: {kind: Violations() for kind in KINDS}
    )
    running: list[str] = field(default_factory=list)
    """Runs still running (not yet stale): what they are writing may look broken meanwhile."""
    older_rules: Counter[str] = field(default_factory=Counter)
    """Versions whose derived fields older rules computed, by those rules' version (not a
    violation: ``jobtracker renormalize`` brings them up to date)."""
    plan: RepairPlan = field(default_factory=RepairPlan)

    @property
    def total(self) -> int:
        return sum(v.count for v in self.violations.values())

    @property
    def repairable(self) -> int:
        return sum(v.repairable for v in self.violations.values())

    @property
    def clean(self) -> bool:
        return self.total == 0

    def verdict(self) -> str:
        if self.clean:
            return "verdict: clean (every invariant holds)"
        kinds = sum(1 for v in self.violations.values() if v.count)
        text = f"verdict: {self.total:,} violations of {kinds} kind{'s' if kinds > 1 else ''}"
        if self.repairable:
            text += f"; {self.repairable:,} repairable with `jobtracker verify --repair`"
        return text

    def lines(self) -> list[str]:
        """The report for a terminal: a header, one line per kind, notes; no verdict."""
        lines = [
            f"Verified database {self.database}: {self.postings:,} postings, "
            f"{self.versions:,} versions, {self.runs:,} runs in {self.seconds:.1f} s "
            f"(stale after {_hours(self.stale_after)} h)"
        ]
        width = max(len(kind) for kind in KINDS)
        for kind, violations in self.violations.items():
            line = f"  {kind:<{width}} {violations.count:>7,}  {KINDS[kind]}"
            if violations.examples:
                line = f"{line:<{width + 64}} e.g. " + ", ".join(violations.examples)
            lines.append(line)
        if self.running:
            shown = ", ".join(self.running[:EXAMPLES])
            many = len(self.running) > 1
            lines.append(
                f"note: {_plural(len(self.running), 'crawl run')} "
                f"{'are' if many else 'is'} still running ({shown}): what "
                f"{'they write' if many else 'it writes'} may look broken until "
                f"{'they finish' if many else 'it finishes'}"
            )
        if self.older_rules:
            older = sum(self.older_rules.values())
            which = ", ".join(f"{name}: {n:,}" for name, n in self.older_rules.most_common())
            lines.append(
                f"note: {_plural(older, 'version')} derived by older rules ({which}); "
                f"`jobtracker renormalize` derives them with {NORMALIZER_VERSION}"
            )
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "now": _iso(self.now),
            "stale_after_hours": _hours(self.stale_after),
            "postings": self.postings,
            "versions": self.versions,
            "runs": self.runs,
            "seconds": round(self.seconds, 3),
            "violations": {
                kind: {
                    "check": KINDS[kind],
                    "count": v.count,
                    "repairable": v.repairable,
                    "examples": v.examples,
                }
                for kind, v in self.violations.items()
            },
            "running_runs": self.running,
            "normalizer": NORMALIZER_VERSION,
            "older_rules": dict(self.older_rules),
            "total": self.total,
            "clean": self.clean,
        }


@dataclass
class RepairReport:
    """What :func:`repair_store` changed."""

    abandoned_runs: list[str] = field(default_factory=list)
    removed_versions: int = 0
    made_current: int = 0
    ended_current: int = 0
    content_hashes: int = 0
    cleared_missing: int = 0
    raised_observed: int = 0
    ended_versions: int = 0
    skipped: str | None = None
    """Why postings and versions were left alone (a crawl is running), if they were."""

    @property
    def changed(self) -> int:
        return (
            len(self.abandoned_runs)
            + self.removed_versions
            + self.made_current
            + self.ended_current
            + self.content_hashes
            + self.cleared_missing
            + self.raised_observed
            + self.ended_versions
        )

    def lines(self) -> list[str]:
        parts = []
        if self.abandoned_runs:
            shown = ", ".join(self.abandoned_runs[:EXAMPLES])
            more = ", ..." if len(self.abandoned_runs) > EXAMPLES else ""
            parts.append(f"{_plural(len(self.abandoned_runs), 'stale run')} abandoned "
                         f"({shown}{more})")  # fmt: skip
        if self.removed_versions:
            parts.append(f"{_plural(self.removed_versions, 'orphan version')} removed")
        if self.made_current:
            parts.append(f"{_plural(self.made_current, 'open posting')}: version n made current")
        if self.ended_current:
            parts.append(f"{_plural(self.ended_current, 'version')} no longer current")
        if self.content_hashes:
            parts.append(
                f"{_plural(self.content_hashes, 'content hash', 'content hashes')} set from "
                "version n"
            )
        if self.cleared_missing:
            parts.append(
                f"{_plural(self.cleared_missing, 'posting')}: left-over missing-streak fields "
                "cleared"
            )
        if self.raised_observed:
            parts.append(
                f"{_plural(self.raised_observed, 'posting')}: observed_at raised to the latest "
                "observation"
            )
        if self.ended_versions:
            parts.append(
                f"{_plural(self.ended_versions, 'ended version')}: last_seen_at set where the "
                "next begins (or at the closure)"
            )
        lines = ["Repaired: " + ("; ".join(parts) if parts else "nothing")]
        if self.skipped:
            lines.append(f"Not repaired: {self.skipped}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "abandoned_runs": self.abandoned_runs,
            "removed_versions": self.removed_versions,
            "made_current": self.made_current,
            "ended_current": self.ended_current,
            "content_hashes": self.content_hashes,
            "cleared_missing": self.cleared_missing,
            "raised_observed": self.raised_observed,
            "ended_versions": self.ended_versions,
            "skipped": self.skipped,
        }


# -- runs ------------------------------------------------------------------------------------


def abandon_stale_runs(db: Database, *, now: datetime, older_than: timedelta) -> list[str]:
    """Mark runs still running that started before ``now - older_than`` as abandoned.

    One conditional update per run, matching only a run that is still unfinished, so a run
    that finishes meanwhile keeps its own record. Returns the ids of the runs abandoned.
    """
    cutoff = utc_ms(now - older_than)
    query = {"finished_at": None, "started_at": {"$lt": cutoff}}
    stale = [doc["_id"] for doc in db[RUNS].find(query, {"_id": 1}, sort=[("started_at", 1)])]
    update = {
        "$set": {
            "finished_at": utc_ms(now),
            "finish_reason": "abandoned",
            "complete": False,
            "closure": dict(ABANDONED_CLOSURE),
        }
    }
    abandoned = []
    for run_id in stale:
        if db[RUNS].update_one({"_id": run_id, **query}, update).matched_count:
            abandoned.append(run_id)
    return abandoned


def _check_runs(db: Database, report: VerifyReport) -> None:
    cutoff = utc_ms(report.now - report.stale_after)
    report.runs = db[RUNS].count_documents({})
    stale = report.violations["stale_runs"]
    for doc in db[RUNS].find(
        {"finished_at": None}, {"started_at": 1}, sort=[("started_at", ASCENDING)]
    ):
        started = _time(doc.get("started_at"))
        if _is_time(started) and started < cutoff:
            stale.add(doc["_id"], repairable=True)
        else:
            report.running.append(str(doc["_id"]))


# -- postings and versions -------------------------------------------------------------------


def verify_store(
    db: Database, *, now: datetime, stale_after: timedelta = DEFAULT_STALE_AFTER
) -> VerifyReport:
    """Check every invariant over the whole store (read-only); see :data:`KINDS`."""
    if stale_after <= timedelta(0):
        raise ValueError("stale_after must be positive")
    started = time.perf_counter()
    report = VerifyReport(database=db.name, now=_time(now).astimezone(UTC), stale_after=stale_after)
    postings = db[POSTINGS].find({}, POSTING_FIELDS, sort=[("_id", ASCENDING)], batch_size=BATCH)
    versions = db[VERSIONS].find(
        {},
        VERSION_FIELDS,
        sort=[("posting_id", ASCENDING), ("version", ASCENDING)],
        batch_size=BATCH,
    )
    groups = _version_groups(versions, report)
    group = next(groups, None)
    previous: str | None = None
    for posting in postings:
        report.postings += 1
        pid = posting["_id"]
        if not isinstance(pid, str):  # not the schema's "<source>:<source_id>": no versions
            _check_posting(posting, [], report)
            continue
        if previous is not None and pid <= previous:
            raise VerifyError(_ORDER_ERROR.format(what="posting ids", a=previous, b=pid))
        previous = pid
        # Versions of postings that sort before this one have no posting.
        while group is not None and (not isinstance(group[0], str) or group[0] < pid):
            _orphans(group[1], report)
            group = next(groups, None)
        own: list[dict[str, Any]] = []
        if group is not None and group[0] == pid:
            own = group[1]
            group = next(groups, None)
        _check_posting(posting, own, report)
    while group is not None:
        _orphans(group[1], report)
        group = next(groups, None)
    _check_runs(db, report)
    for kind, (count, examples) in check_archive(db).items():
        report.violations[kind].count += count
        report.violations[kind].examples.extend(examples)
    report.seconds = time.perf_counter() - started
    return report


_ORDER_ERROR = (
    "the server returned {what} out of order ({a!r} before {b!r}); verify relies on MongoDB's "
    "binary string order"
)


def _version_groups(
    versions: Iterable[dict[str, Any]], report: VerifyReport
) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """``(posting_id, versions)`` per posting id, checking the time order of each chain."""
    previous: str | None = None
    for pid, chain in itertools.groupby(versions, key=lambda doc: doc.get("posting_id")):
        docs = list(chain)
        report.versions += len(docs)
        for doc in docs:
            if doc.get("normalizer") != NORMALIZER_VERSION:
                report.older_rules[doc.get("normalizer") or "unrecorded"] += 1
        if isinstance(pid, str):
            if previous is not None and pid <= previous:
                what = "version posting ids"
                raise VerifyError(_ORDER_ERROR.format(what=what, a=previous, b=pid))
            previous = pid
        if not _times_non_decreasing(docs):
            report.violations["version_times"].add(pid)
        yield pid, docs


def _orphans(docs: list[dict[str, Any]], report: VerifyReport) -> None:
    for doc in docs:
        report.violations["orphan_versions"].add(doc["_id"], repairable=True)
        report.plan.orphan_versions.append(doc["_id"])


def _check_posting(
    posting: Mapping[str, Any], versions: list[dict[str, Any]], report: VerifyReport
) -> None:
    pid = posting["_id"]
    found = report.violations
    spans = posting.get("spans")
    spans = spans if isinstance(spans, list) else []
    first_seen = _time(posting.get("first_seen_at"))
    last_seen = _time(posting.get("last_seen_at"))
    if not _spans_ordered(spans):
        found["spans"].add(pid)
    first_from = _span_time(spans[0], "from") if spans else None
    if not (
        _is_time(first_seen)
        and _is_time(last_seen)
        and first_seen == first_from
        and first_seen <= last_seen
    ):
        found["seen_times"].add(pid)
    if spans and not _last_seen_covers(last_seen, spans[-1]):
        found["last_seen"].add(pid)
    status = posting.get("status")
    closed_at = _time(posting.get("closed_at"))
    if not _status_agrees(status, closed_at, spans):
        found["status"].add(pid)
    streak = {name: _time(posting.get(name)) for name in MISSING_FIELDS}
    if not _missing_streak_ok(status, last_seen, streak):
        # Left-over fields (closed, or no missing_since) go as a closure or a sighting would
        # clear them; a streak that contradicts itself is not derivable.
        repairable = status == "closed" or (status == "open" and streak["missing_since"] is None)
        found["missing_streak"].add(pid, repairable=repairable)
        if repairable:
            report.plan.clear_missing.append((pid, status))
    observed = _time(posting.get("observed_at"))
    bounds = (last_seen, streak["missing_last_at"], closed_at)
    if not _observed_ok(observed, bounds):
        latest = _latest(bounds)
        repairable = _is_time(observed) and latest is not None
        found["observed_at"].add(pid, repairable=repairable)
        if repairable:
            report.plan.raise_observed.append((pid, latest))
    _check_versions(posting, versions, report)


def _check_versions(
    posting: Mapping[str, Any], versions: list[dict[str, Any]], report: VerifyReport
) -> None:
    pid = posting["_id"]
    found, plan = report.violations, report.plan
    n = posting.get("version")
    valid_n = isinstance(n, int) and not isinstance(n, bool) and n >= 1
    own = versions
    if valid_n:  # a version past the posting's is an orphan (a crash before the posting moved)
        orphans = [doc for doc in versions if _after(doc.get("version"), n)]
        own = [doc for doc in versions if not _after(doc.get("version"), n)]
        _orphans(orphans, report)
    numbers = [doc.get("version") for doc in own]
    if not valid_n or numbers != list(range(1, n + 1)):
        found["version_numbers"].add(pid)
    by_number = {doc.get("version"): doc for doc in own}
    last = by_number.get(n) if valid_n else None
    spans = posting.get("spans")
    spans = spans if isinstance(spans, list) else []
    _check_version_ends(posting, own, last, spans, report)
    if last is not None and posting.get("content_hash") != last.get("content_hash"):
        repairable = isinstance(last.get("content_hash"), str)
        found["content_hash"].add(pid, repairable=repairable)
        if repairable:
            plan.content_hashes.append((pid, n, last["content_hash"]))
    status = posting.get("status")
    if status not in ("open", "closed"):
        return  # the status check reports it; which version is current cannot be told
    current = [doc for doc in own if doc.get("last_seen_at") is None]
    expected = [last] if status == "open" and last is not None else []
    if status == "open" and last is None:
        found["current_version"].add(pid)  # no version n: nothing to make current
        return
    if [doc["_id"] for doc in current] == [doc["_id"] for doc in expected]:
        return
    fixes_end: list[tuple[Any, datetime]] = []
    fixable = True
    for doc in current:
        if doc is last:
            if status == "closed":  # still current: last seen when the posting was
                ended = _time(posting.get("last_seen_at"))
                if ended is None:
                    fixable = False
                else:
                    fixes_end.append((doc["_id"], ended))
            continue
        # A superseded version ends when the next one was first seen, or at the closure
        # before it (as the crawler writes).
        following = by_number.get(_next(doc.get("version")))
        ended = _version_end(_time(following.get("first_seen_at")), spans) if following else None
        if not _is_time(ended):
            fixable = False
        else:
            fixes_end.append((doc["_id"], ended))
    make_current = status == "open" and last is not None and last.get("last_seen_at") is not None
    found["current_version"].add(pid, repairable=fixable)
    if fixable:
        plan.end_current.extend(fixes_end)
        if make_current:
            plan.make_current.append(last["_id"])


def _check_version_ends(
    posting: Mapping[str, Any],
    own: list[dict[str, Any]],
    last: dict[str, Any] | None,
    spans: list[Any],
    report: VerifyReport,
) -> None:
    """Each ended version (``last_seen_at`` set) ends where the store code ends it: a closed
    posting's version n when the posting was last seen, an older one as :func:`_version_end`
    says. Still-current versions are the ``current_version`` check's business."""
    by_number = {doc.get("version"): doc for doc in own}
    for doc in own:
        ended = _time(doc.get("last_seen_at"))
        if ended is None:
            continue
        if doc is last:
            if posting.get("status") != "closed":
                continue  # an open posting's version n ended: current_version reports it
            expected = _time(posting.get("last_seen_at"))
        else:
            following = by_number.get(_next(doc.get("version")))
            if following is None:
                continue  # a gap: version_numbers reports it
            expected = _version_end(_time(following.get("first_seen_at")), spans)
        if not _end_derivable(_time(doc.get("first_seen_at")), expected):
            continue  # times out of order: seen_times or version_times report them
        if ended != expected:
            report.violations["version_ends"].add(doc["_id"], repairable=True)
            report.plan.version_ends.append((doc["_id"], doc.get("last_seen_at"), expected))


# -- the invariants, pure --------------------------------------------------------------------


def _time(value: Any) -> Any:
    """A stored time as aware UTC (naive means UTC); any other value unchanged."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _span_time(span: Any, name: str) -> Any:
    return _time(span.get(name)) if isinstance(span, Mapping) else None


def _is_time(value: Any) -> bool:
    return isinstance(value, datetime)


def _spans_ordered(spans: list[Any]) -> bool:
    """Non-empty; each ``from <= to``; each ``to <= `` the next ``from``; only the last open."""
    if not spans:
        return False
    previous_to: Any = None
    for index, span in enumerate(spans):
        start, end = _span_time(span, "from"), _span_time(span, "to")
        if not _is_time(start) or (end is not None and (not _is_time(end) or start > end)):
            return False
        if index and (previous_to is None or previous_to > start):
            return False
        previous_to = end
    return True


def _last_seen_covers(last_seen: Any, span: Any) -> bool:
    """``last_seen_at`` is not before the last span's ``from``, nor before its ``to``."""
    if not _is_time(last_seen):
        return False
    for name in ("from", "to"):
        moment = _span_time(span, name)
        if _is_time(moment) and last_seen < moment:
            return False
    return True


def _status_agrees(status: Any, closed_at: Any, spans: list[Any]) -> bool:
    """open: the last span is open and no ``closed_at``; closed: the last span ended and
    ``closed_at >= `` its ``to``. (No span: only "closed" can be told wrong.)"""
    last_to = _span_time(spans[-1], "to") if spans else None
    if status == "open":
        return last_to is None and closed_at is None
    if status == "closed":
        return _is_time(last_to) and _is_time(closed_at) and closed_at >= last_to
    return False


def _missing_streak_ok(status: Any, last_seen: Any, streak: Mapping[str, Any]) -> bool:
    """The missing-streak fields (``MISSING_FIELDS``, null = unset) as the closure code writes
    them: all unset, or, on an open posting only, all set together: ``missing_since`` after
    ``last_seen_at`` (a miss is later than the last sighting), ``missing_last_at >=
    missing_since``, ``missing_count`` an int >= 1 that is 1 exactly when ``missing_last_at =
    missing_since``, ``missing_run_id`` set, and ``closure_held`` (``true`` or unset) set
    exactly when ``missing_count >= 2`` (only a held closure counts a second miss)."""
    since = streak.get("missing_since")
    if since is None:
        return all(value is None for value in streak.values())
    if status != "open":
        return False
    last_at, count = streak.get("missing_last_at"), streak.get("missing_count")
    held = streak.get("closure_held")
    if not (_is_time(since) and _is_time(last_at) and _is_int(count) and count >= 1):
        return False
    if streak.get("missing_run_id") is None or not (held is None or held is True):
        return False
    if last_at < since or (count == 1) != (last_at == since) or (held is True) != (count >= 2):
        return False
    return not _is_time(last_seen) or since > last_seen


def _observed_ok(observed: Any, bounds: Iterable[Any]) -> bool:
    """``observed_at``, when set, is a time not before any of ``bounds`` that is a time
    (``last_seen_at``, ``missing_last_at``, ``closed_at``: each is an observation)."""
    if observed is None:
        return True
    return _is_time(observed) and all(observed >= bound for bound in bounds if _is_time(bound))


def _latest(moments: Iterable[Any]) -> datetime | None:
    times = [moment for moment in moments if _is_time(moment)]
    return max(times) if times else None


def _version_end(next_first: Any, spans: list[Any]) -> Any:
    """When a superseded version ended, the next one first seen at ``next_first``: then, as a
    sighting of new content ends the old one; but if that sighting reopened the posting (a
    span begins at ``next_first``), the old version ended at the closure before, the previous
    span's ``to`` (the closure set it, and the reopening did not touch it)."""
    froms = [_span_time(span, "from") for span in spans]
    index = froms.index(next_first) if _is_time(next_first) and next_first in froms else -1
    return _span_time(spans[index - 1], "to") if index >= 1 else next_first


def _end_derivable(first_seen: Any, end: Any) -> bool:
    """A derived end is trusted only when it is a time not before the version's first sighting
    (else the times it comes from are out of order, and other checks say so)."""
    return _is_time(end) and _is_time(first_seen) and first_seen <= end


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _times_non_decreasing(docs: list[dict[str, Any]]) -> bool:
    times = [_time(doc.get("first_seen_at")) for doc in docs]
    if not all(_is_time(moment) for moment in times):
        return False
    return all(a <= b for a, b in itertools.pairwise(times))


def _after(number: Any, n: int) -> bool:
    return isinstance(number, int | float) and not isinstance(number, bool) and number > n


def _next(number: Any) -> Any:
    return number + 1 if isinstance(number, int) and not isinstance(number, bool) else None


# -- repair ----------------------------------------------------------------------------------


def repair_store(
    db: Database,
    report: VerifyReport | None = None,
    *,
    now: datetime,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> RepairReport:
    """Fix what ``report`` (or a fresh :func:`verify_store`) found derivable, in bulk writes.

    Stale runs are abandoned first. Postings and versions are then repaired only if no run is
    still running: a crawl writes a version before it moves its posting, so a version that
    looks orphaned may be one it is about to use. Verify again to see what remains.
    """
    if report is None:
        report = verify_store(db, now=now, stale_after=stale_after)
    repaired = RepairReport(
        abandoned_runs=[str(r) for r in abandon_stale_runs(db, now=now, older_than=stale_after)]
    )
    plan = report.plan
    if not len(plan):
        return repaired
    running = [doc["_id"] for doc in db[RUNS].find({"finished_at": None}, {"_id": 1}).limit(3)]
    if running:
        shown = ", ".join(map(str, running))
        repaired.skipped = (
            f"postings and versions left as they are while crawl runs are running ({shown}); "
            "run it again when they have finished"
        )
        return repaired
    versions, postings = db[VERSIONS], db[POSTINGS]
    for start in range(0, len(plan.orphan_versions), CHUNK):
        chunk = plan.orphan_versions[start : start + CHUNK]
        repaired.removed_versions += versions.delete_many({"_id": {"$in": chunk}}).deleted_count
    repaired.made_current = _bulk(
        versions,
        [
            UpdateOne({"_id": vid, "last_seen_at": {"$ne": None}}, {"$set": {"last_seen_at": None}})
            for vid in plan.make_current
        ],
    )
    repaired.ended_current = _bulk(
        versions,
        [
            UpdateOne({"_id": vid, "last_seen_at": None}, {"$set": {"last_seen_at": ended}})
            for vid, ended in plan.end_current
        ],
    )
    repaired.content_hashes = _bulk(
        postings,
        [
            UpdateOne({"_id": pid, "version": n}, {"$set": {"content_hash": digest}})
            for pid, n, digest in plan.content_hashes
        ],
    )
    repaired.cleared_missing = _bulk(
        postings,
        [
            UpdateOne(_left_over_streak(pid, status), {"$unset": CLEAR_MISSING})
            for pid, status in plan.clear_missing
        ],
    )
    repaired.raised_observed = _bulk(
        postings,
        [
            UpdateOne({"_id": pid}, {"$max": {"observed_at": latest}})
            for pid, latest in plan.raise_observed
        ],
    )
    repaired.ended_versions = _bulk(
        versions,
        [
            UpdateOne({"_id": vid, "last_seen_at": wrong}, {"$set": {"last_seen_at": ended}})
            for vid, wrong, ended in plan.version_ends
        ],
    )
    return repaired


def _left_over_streak(pid: Any, status: str) -> dict[str, Any]:
    """Match a posting whose missing-streak fields are still left over: closed, or open with
    no ``missing_since`` (a run marking it missing meanwhile is left alone)."""
    if status == "closed":
        return {"_id": pid, "status": "closed"}
    return {"_id": pid, "status": "open", "missing_since": None}


def _bulk(collection: Collection, operations: list[UpdateOne]) -> int:
    """Unordered bulk writes in chunks; the number of documents changed."""
    changed = 0
    for start in range(0, len(operations), CHUNK):
        result = collection.bulk_write(operations[start : start + CHUNK], ordered=False)
        changed += result.modified_count
    return changed


# -- text ------------------------------------------------------------------------------------


def _plural(count: int, word: str, words: str | None = None) -> str:
    """``"1 stale run"``, ``"2 stale runs"``."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def _hours(delta: timedelta) -> float | int:
    hours = delta.total_seconds() / 3600
    return int(hours) if hours.is_integer() else round(hours, 3)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


__all__ = [
    "DEFAULT_STALE_AFTER",
    "KINDS",
    "REPAIRABLE",
    "RepairReport",
    "VerifyError",
    "VerifyReport",
    "Violations",
    "abandon_stale_runs",
    "repair_store",
    "verify_store",
]
