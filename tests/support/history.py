"""What the store should hold after a series of daily crawls, replayed from ground truth.

Runs are named ``day<N>`` (their ``_job``); :class:`RunClock` maps stored times back to days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

CONTENT = (
    "title",
    "description",
    "basic_qualifications",
    "preferred_qualifications",
    "job_category",
    "job_family",
    "business_category",
    "company_name",
    "location",
    "posted_date",
)


def content_of(job: dict[str, Any]) -> tuple[str, ...]:
    """What a researcher would call the posting's content: its texts and labels, whitespace
    aside (a trailing space added to a title is no edit)."""
    return (
        *(" ".join(str(job.get(name) or "").split()) for name in CONTENT),
        *job.get("locations", []),
    )


#: The simulated start of day 0 of the tests' runs.
CLOCK_EPOCH = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def day_clock(day: float) -> str:
    """``JOBTRACKER_CLOCK_START`` of a run on simulated day ``day`` (fractions: later that day).

    Closures are confirmed only by a run of a later UTC day, so daily runs must be dated."""
    return (CLOCK_EPOCH + timedelta(days=day)).isoformat()


@dataclass
class Expected:
    """A posting's lifecycle in simulated days, as the closure rules imply it."""

    first: int
    last: int
    revision: tuple[str, ...]
    status: str = "open"
    closed: int | None = None
    missing: int | None = None
    spans: list[list[int | None]] = field(default_factory=list)
    versions: int = 1


def expected_history(
    live_by_day: dict[int, dict[str, tuple]], blind_by_day: dict[int, set[str]] | None = None
) -> dict[str, Expected]:
    """Replay the lifecycle rules (docs/store.md) over daily runs: ``live_by_day[d]`` maps the
    ids a day's runs saw to their content; ``blind_by_day[d]`` holds ids those runs could
    neither see nor count as missing (their partition was incomplete, or hidden by a fault
    that the guards hold)."""
    blind_by_day = blind_by_day or {}
    state: dict[str, Expected] = {}
    for day, live in live_by_day.items():
        for pid, revision in live.items():
            posting = state.get(pid)
            if posting is None:
                state[pid] = Expected(first=day, last=day, revision=revision, spans=[[day, None]])
                continue
            if posting.status == "closed":
                posting.status, posting.closed = "open", None
                posting.spans.append([day, None])
            if revision != posting.revision:
                posting.versions += 1
                posting.revision = revision
            posting.missing = None
            posting.last = day
        for pid, posting in state.items():
            if pid in live or posting.status == "closed" or pid in blind_by_day.get(day, ()):
                continue
            if posting.missing is None:
                posting.missing = day
            else:
                posting.status, posting.closed = "closed", posting.missing
                posting.spans[-1][1] = posting.last
                posting.missing = None
    return state


class RunClock:
    """Maps stored timestamps back to the simulated day whose run wrote them."""

    def __init__(self, db: Database) -> None:
        self.runs = [
            (run["started_at"], run["finished_at"], int(run["_id"].removeprefix("day")))
            for run in db.crawl_runs.find({"_id": {"$regex": "^day"}})
        ]

    def day(self, moment: datetime | None) -> int | None:
        if moment is None:
            return None
        for started, finished, day in self.runs:
            if started <= moment <= finished:
                return day
        raise AssertionError(f"{moment} is inside no run")


def day_of(moment: datetime | None) -> int | None:
    """The simulated day of a time written by a run dated with :func:`day_clock`."""
    return None if moment is None else (moment - CLOCK_EPOCH.replace(hour=0)).days


def store_mismatches(
    db: Database,
    expected: dict[str, Expected],
    day: Callable[[datetime | None], int | None] | None = None,
) -> list[tuple[str, dict, dict]]:
    """Postings whose stored lifecycle differs from ``expected`` (keyed by ``source_id``):
    ``(source_id, stored, expected)`` triples; the stored ids must be exactly the expected.
    ``day`` maps stored times to days (default: the interval of the run ``day<N>``)."""
    clock_day = day or RunClock(db).day
    stored = {doc["source_id"]: doc for doc in db.postings.find()}
    versions = Counter(doc["posting_id"] for doc in db.posting_versions.find())
    assert set(stored) == set(expected)
    mismatches = []
    for pid, want in expected.items():
        doc = stored[pid]
        got = {
            "first": clock_day(doc["first_seen_at"]),
            "last": clock_day(doc["last_seen_at"]),
            "status": doc["status"],
            "closed": clock_day(doc.get("closed_at")),
            "missing": clock_day(doc.get("missing_since")),
            "spans": [[clock_day(s["from"]), clock_day(s["to"])] for s in doc["spans"]],
            "versions": versions[doc["_id"]],
            "version": doc["version"],
        }
        wanted = {
            "first": want.first,
            "last": want.last,
            "status": want.status,
            "closed": want.closed,
            "missing": want.missing,
            "spans": want.spans,
            "versions": want.versions,
            "version": want.versions,
        }
        if got != wanted:
            mismatches.append((pid, got, wanted))
    return mismatches
