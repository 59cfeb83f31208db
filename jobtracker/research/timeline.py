"""Days a posting was open, and the version current on each of them (pure).

Definitions (``docs/research.md``), on UTC dates:

- A posting is **open on day d** if one of its spans covers d:
  ``span.from.date() <= d <= (span.to or posting.last_seen_at).date()``. Only observed days
  count: a span still open ends at the posting's last sighting, never "today".
- The **version current on day d** is the version with the greatest
  ``first_seen_at.date() <= d``; when several versions start on the same day, the last one
  (highest version number) is the one current that day.

A :class:`Segment` is a run of consecutive open days with one current version. Trend counts,
the posting-day panel and as-of listings are all computed from segments, one posting at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

ONE_DAY = timedelta(days=1)
FREQS = ("day", "week", "month")


def utc_date(moment: datetime | date) -> date:
    """The UTC calendar date of a (timezone-aware) datetime; dates pass through."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.date()
    return moment


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Segment:
    """Days ``start..end`` (inclusive) on which the posting was open with ``version`` current."""

    start: date
    end: date
    version: Mapping[str, Any]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += ONE_DAY


def open_intervals(posting: Mapping[str, Any]) -> list[tuple[date, date]]:
    """The posting's open days as sorted, merged, inclusive ``(first, last)`` date intervals."""
    last_seen = posting.get("last_seen_at")
    spans = posting.get("spans") or []
    if not spans and posting.get("first_seen_at") is not None and last_seen is not None:
        spans = [{"from": posting["first_seen_at"], "to": last_seen}]
    intervals = []
    for span in spans:
        begin = span.get("from")
        end = span.get("to") or last_seen
        if begin is None or end is None:
            continue
        first, last = utc_date(begin), utc_date(end)
        if last >= first:
            intervals.append((first, last))
    intervals.sort()
    merged: list[tuple[date, date]] = []
    for first, last in intervals:
        if merged and first <= merged[-1][1] + ONE_DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def is_open_on(posting: Mapping[str, Any], day: date) -> bool:
    """Whether the posting was open on ``day``."""
    return any(first <= day <= last for first, last in open_intervals(posting))


def version_starts(versions: Iterable[Mapping[str, Any]]) -> list[tuple[date, Mapping[str, Any]]]:
    """``(first day current, version)`` in order; a version superseded on the day it was first
    seen is never current and is left out."""
    ordered = sorted(
        (v for v in versions if v.get("first_seen_at") is not None),
        key=lambda v: (v["first_seen_at"], v.get("version", 0)),
    )
    starts: list[tuple[date, Mapping[str, Any]]] = []
    for version in ordered:
        day = utc_date(version["first_seen_at"])
        if starts and starts[-1][0] == day:
            starts[-1] = (day, version)
        else:
            starts.append((day, version))
    return starts


def current_version(versions: Iterable[Mapping[str, Any]], day: date) -> Mapping[str, Any] | None:
    """The version current on ``day`` (None before the first one)."""
    current = None
    for start, version in version_starts(versions):
        if start > day:
            break
        current = version
    return current


def segments(
    posting: Mapping[str, Any],
    versions: Sequence[Mapping[str, Any]],
    since: date | None = None,
    until: date | None = None,
) -> list[Segment]:
    """The posting's open days within ``since..until`` split by the version current on them."""
    starts = version_starts(versions)
    if not starts:
        return []
    out: list[Segment] = []
    for first, last in open_intervals(posting):
        if since is not None:
            first = max(first, since)
        if until is not None:
            last = min(last, until)
        if first > last:
            continue
        for k, (start, version) in enumerate(starts):
            end = starts[k + 1][0] - ONE_DAY if k + 1 < len(starts) else date.max
            lo, hi = max(first, start), min(last, end)
            if lo <= hi:
                out.append(Segment(lo, hi, version))
    return out


# -- periods -----------------------------------------------------------------------------------


def period_of(day: date, freq: str) -> date:
    """The first day of the period holding ``day``: itself, its week's Monday, its month's 1st."""
    if freq == "day":
        return day
    if freq == "week":
        return day - timedelta(days=day.weekday())
    if freq == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown frequency {freq!r} (choose from {', '.join(FREQS)})")


def next_period(start: date, freq: str) -> date:
    """The first day of the period after the one starting on ``start``."""
    if freq == "day":
        return start + ONE_DAY
    if freq == "week":
        return start + timedelta(days=7)
    if freq == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    raise ValueError(f"unknown frequency {freq!r} (choose from {', '.join(FREQS)})")


def period_range(since: date, until: date, freq: str) -> list[date]:
    """Every period start from the period of ``since`` to the period of ``until``."""
    out = []
    current = period_of(since, freq)
    while current <= until:
        out.append(current)
        current = next_period(current, freq)
    return out


def periods_overlapping(first: date, last: date, freq: str) -> Iterator[date]:
    """Starts of the periods that share at least one day with ``first..last``."""
    current = period_of(first, freq)
    while current <= last:
        yield current
        current = next_period(current, freq)


def join_versions(
    postings: Iterable[Mapping[str, Any]],
    versions: Iterable[Mapping[str, Any]],
) -> Iterator[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """Merge-join postings (sorted by ``_id``) with versions (sorted by ``posting_id``).

    Yields each posting with its versions; versions of postings not in ``postings`` are
    skipped. Both inputs are consumed lazily (memory: one posting's versions).
    """
    pending: Mapping[str, Any] | None = None
    version_iter = iter(versions)
    for posting in postings:
        pid = posting["_id"]
        group: list[Mapping[str, Any]] = []
        while True:
            if pending is None:
                pending = next(version_iter, None)
                if pending is None:
                    break
            key = pending["posting_id"]
            if key < pid:
                pending = None
            elif key == pid:
                group.append(pending)
                pending = None
            else:
                break
        yield posting, group
