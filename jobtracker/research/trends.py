"""Keyword trend: per period, the open postings whose then-current version mentions a phrase.

The work is split between MongoDB and one pass over the candidates:

1. MongoDB finds the versions that mention the phrase (the regex runs in the server, one scan
   of the texts), returning their light fields (dates and the grouping fields, never the
   texts): these postings are the candidates.
2. The candidates' postings (spans, version count) are looked up by ``_id``, and so are their
   versions that do not mention the phrase (``<posting>@v<n>``): only postings with several
   versions have any (:func:`~jobtracker.store.queries.find_by_ids`).
3. Each posting is cut into :class:`~jobtracker.research.timeline.Segment` s (open days with one
   current version); the periods each segment touches are counted once per posting.

Memory is bounded by the candidates (their postings' spans and their versions' light fields),
never by the size of the store; the cost grows with the versions scanned by the regex and the
versions touched, not with days x postings (docs/research.md, "Performance").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from jobtracker.research.selection import (
    GROUPINGS,
    LIGHT_VERSION_FIELDS,
    VersionFilter,
    country_name,
    group_value,
)
from jobtracker.research.text import field_label, phrase_pattern, resolve_fields
from jobtracker.research.timeline import (
    FREQS,
    ONE_DAY,
    Segment,
    day_start,
    period_range,
    periods_overlapping,
    segments,
    utc_date,
)

if TYPE_CHECKING:
    import pandas as pd
    from pymongo.database import Database

WHILE_OPEN = "mentioned_while_open"
EVER = "ever_mentioned"
METRICS = (WHILE_OPEN, EVER)
POSTING_FIELDS = {"first_seen_at": 1, "last_seen_at": 1, "spans": 1, "version": 1}


def observed_days(db: Database) -> tuple[date | None, date | None]:
    """First and last observed day of the store (UTC dates), None when it is empty."""
    from jobtracker.store.queries import observed_bounds

    first, last = observed_bounds(db)
    return (utc_date(first) if first else None, utc_date(last) if last else None)


def resolve_range(
    db: Database, since: date | None, until: date | None
) -> tuple[date | None, date | None]:
    """``since``/``until`` defaulting to the first/last observed day."""
    if since is None or until is None:
        first, last = observed_days(db)
        since = since if since is not None else first
        until = until if until is not None else last
    if since is not None and until is not None and since > until:
        raise ValueError(f"since ({since}) is after until ({until})")
    return since, until


class TrendCounter:
    """Counts distinct postings per (metric, period, group) from one posting at a time."""

    def __init__(self, freq: str, by: str | None, keep: VersionFilter) -> None:
        self.freq = freq
        self.by = by
        self.keep = keep
        self.counts: Counter[tuple[str, date, str | None]] = Counter()

    def add(
        self, posting_segments: Iterable[Segment], mentioning: set[int], ever_from: int | None
    ) -> None:
        """One posting: its segments, its mentioning version numbers, the first of them."""
        keys: set[tuple[str, date, str | None]] = set()
        for segment in posting_segments:
            version = segment.version
            if not self.keep(version):
                continue
            number = int(version.get("version", 0))
            now = number in mentioning
            ever = ever_from is not None and number >= ever_from
            if not (now or ever):
                continue
            group = group_value(version.get("snapshot") or {}, self.by) if self.by else None
            for period in periods_overlapping(segment.start, segment.end, self.freq):
                if now:
                    keys.add((WHILE_OPEN, period, group))
                if ever:
                    keys.add((EVER, period, group))
        self.counts.update(keys)


def trend_counts(
    db: Database,
    phrase: str,
    *,
    freq: str = "week",
    by: str | None = None,
    since: date | None = None,
    until: date | None = None,
    fields: Iterable[str] | None = None,
    keep: VersionFilter | None = None,
) -> tuple[Counter[tuple[str, date, str | None]], date | None, date | None]:
    """The raw counts behind :func:`trend` (and the resolved since/until)."""
    from jobtracker.store.queries import (
        POSTINGS,
        VERSIONS,
        find_by_ids,
        mentioning_versions,
        version_ids,
    )

    if freq not in FREQS:
        raise ValueError(f"unknown frequency {freq!r} (choose from {', '.join(FREQS)})")
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r} (choose from {', '.join(GROUPINGS)})")
    pattern = phrase_pattern(phrase)
    searched = resolve_fields(fields)
    since, until = resolve_range(db, since, until)
    counter = TrendCounter(freq, by, keep or VersionFilter())
    if since is None or until is None:
        return counter.counts, since, until
    end = day_start(until + ONE_DAY)
    # 1. The versions that mention the phrase, with their light fields.
    versions: dict[str, dict[int, Mapping[str, Any]]] = {}
    for doc in mentioning_versions(
        db, pattern, searched, projection=LIGHT_VERSION_FIELDS, seen_before=end, sort=False
    ):
        versions.setdefault(doc["posting_id"], {})[int(doc["version"])] = doc
    if not versions:
        return counter.counts, since, until
    mentioning = {pid: set(numbers) for pid, numbers in versions.items()}
    # 2. Their postings, and the versions of those postings that do not mention it.
    postings = list(find_by_ids(db, POSTINGS, versions, POSTING_FIELDS))
    others = [
        vid
        for posting in postings
        for vid in version_ids(posting["_id"], int(posting.get("version") or 0))
        if int(vid.rsplit("@v", 1)[1]) not in versions[posting["_id"]]
    ]
    for doc in find_by_ids(db, VERSIONS, others, LIGHT_VERSION_FIELDS):
        versions[doc["posting_id"]][int(doc["version"])] = doc
    # 3. Segments and counts, one posting at a time. Versions past the posting's ``version``
    # are orphans (written by a run that has not, or never, moved the posting to them).
    for posting in postings:
        pid = posting["_id"]
        last = int(posting.get("version") or 0) or max(versions[pid])
        kept = [versions[pid][n] for n in sorted(versions[pid]) if n <= last]
        numbers = {n for n in mentioning[pid] if n <= last}
        if numbers:
            counter.add(segments(posting, kept, since, until), numbers, min(numbers))
    return counter.counts, since, until


def trend(
    db: Database,
    phrase: str,
    *,
    freq: str = "week",
    by: str | None = None,
    since: date | None = None,
    until: date | None = None,
    fields: Iterable[str] | None = None,
    countries: Iterable[str] | None = None,
    job_categories: Iterable[str] | None = None,
    business_categories: Iterable[str] | None = None,
    role_families: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per period (``day``, ``week`` starting Monday, ``month``), the number of distinct
    postings open on at least one day of the period whose then-current version mentions
    ``phrase`` (``mentioned_while_open``), and of those open whose versions seen up to then
    mentioned it at some point (``ever_mentioned``).

    ``by`` (``country``, ``role_family``, ``job_category``, ``business_category``) splits the
    counts by the then-current version's value: one row per period and group, for every group
    with a posting in the range (a posting whose group changed within a period counts in both).
    Periods run continuously from ``since`` to ``until`` (default: the first and last observed
    day), zeros included; edge periods count only the days inside the range. Filters keep days
    whose then-current version has one of the given countries (any ISO form or English name),
    job or business categories, or role families.

    Columns: ``period`` (first day of the period), [``<by>``, and ``country_name`` for
    countries], ``mentioned_while_open``, ``ever_mentioned``. ``frame.attrs`` records the query.
    """
    import pandas as pd

    keep = VersionFilter.build(
        countries, job_categories, business_categories, role_families, sources
    )
    searched = resolve_fields(fields)
    counts, since, until = trend_counts(
        db, phrase, freq=freq, by=by, since=since, until=until, fields=searched, keep=keep
    )
    periods = period_range(since, until, freq) if since and until else []
    rows: list[dict[str, Any]] = []
    if by is None:
        for period in periods:
            rows.append(
                {
                    "period": period,
                    WHILE_OPEN: counts[(WHILE_OPEN, period, None)],
                    EVER: counts[(EVER, period, None)],
                }
            )
        columns = ["period", *METRICS]
    else:
        totals: Counter[tuple[str, str | None]] = Counter()
        for (metric, _period, group), n in counts.items():
            totals[(metric, group)] += n
        groups = sorted(
            {g for (_m, _p, g) in counts},
            key=lambda g: (-totals[(WHILE_OPEN, g)], -totals[(EVER, g)], g),
        )
        for period in periods:
            for group in groups:
                row: dict[str, Any] = {"period": period, by: group}
                if by == "country":
                    row["country_name"] = country_name(group)
                row[WHILE_OPEN] = counts[(WHILE_OPEN, period, group)]
                row[EVER] = counts[(EVER, period, group)]
                rows.append(row)
        columns = ["period", by, *(["country_name"] if by == "country" else []), *METRICS]
    frame = pd.DataFrame(rows, columns=columns)
    frame["period"] = pd.to_datetime(frame["period"])
    for metric in METRICS:
        frame[metric] = frame[metric].astype("int64")
    frame.attrs.update(
        {
            "query": "trend",
            "phrase": phrase,
            "freq": freq,
            "by": by,
            "since": since,
            "until": until,
            "fields": field_label(searched),
            "filters": keep.describe(),
        }
    )
    return frame


def pivot(frame: pd.DataFrame, metric: str = WHILE_OPEN, top: int | None = None) -> pd.DataFrame:
    """A grouped trend as a wide table: one row per period, one column per group (the ``top``
    groups by total, the rest summed into ``other``). An ungrouped trend is returned as is."""
    by = frame.attrs.get("by")
    if not by or frame.empty:
        return frame.set_index("period")[[metric]] if "period" in frame else frame
    wide = frame.pivot_table(index="period", columns=by, values=metric, aggfunc="sum", fill_value=0)
    order = wide.sum().sort_values(ascending=False, kind="stable").index.tolist()
    wide = wide[order]
    if top is not None and len(order) > top:
        keep, rest = order[: top - 1], order[top - 1 :]
        wide = wide[keep].assign(other=wide[rest].sum(axis=1))
    wide.columns.name = by
    wide.attrs = dict(frame.attrs)
    return wide


def describe(frame: pd.DataFrame) -> str:
    """A one-line caption of a trend frame, from its ``attrs``."""
    attrs: Mapping[str, Any] = frame.attrs
    freq = {"day": "daily", "week": "weekly (weeks start on Monday)", "month": "monthly"}
    parts = [
        f"Open postings mentioning {attrs.get('phrase')!r} (whole words, case-insensitive; "
        f"in {attrs.get('fields')})",
        freq.get(str(attrs.get("freq")), str(attrs.get("freq"))),
    ]
    if attrs.get("by"):
        parts.append(f"by {attrs['by']}")
    if attrs.get("since"):
        parts.append(f"{attrs['since']} .. {attrs['until']}")
    if attrs.get("filters"):
        parts.append(attrs["filters"])
    return ", ".join(parts)
