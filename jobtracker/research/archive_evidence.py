"""Research over archive evidence: the tiers of ``trend --evidence archive``, the archive's
``first-seen`` and a posting's sightings (docs/research.md, "Archive evidence").

Archive sightings (``archive_sightings``) are kept apart from live history and never mixed into
it: a sighting proves that the page was online, open and saying what it said at the capture
time, and nothing about the days between captures. Per period (and group), the tiers are:

- ``observed``: distinct postings with at least one sighting in the period whose sighted text
  mentions the phrase (a lower bound: the archive saw them);
- ``captures``: the captures the backfill fetched in the period (by capture time), whatever
  their outcome: how hard the archive looked, which varies by orders of magnitude over the
  years; per period, the same on every group row (a rejected capture has no country);
- ``bracketed``: postings counted open on every day from their first to their last sighting
  whose text mentions the phrase (inferred between the two sightings, labelled as such);
- ``share_k`` of ``share_n``: of the distinct postings sighted in the period (in the group),
  how many had a sighting there mentioning the phrase (``share_k`` = ``observed``), with its
  95% Wilson score interval ``share_low``..``share_high`` (empty when ``share_n`` is 0).

Groups (``--by country|role_family``) come from each sighting's own normalized fields. The
counting is pure (:class:`ArchiveTierCounter`, :func:`wilson_interval`); the reads are in
:mod:`jobtracker.store.archive_queries`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from jobtracker.research.selection import country_name, group_value, resolve_countries
from jobtracker.research.text import (
    compile_phrase,
    field_label,
    phrase_pattern,
    resolve_fields,
    snippet,
)
from jobtracker.research.timeline import (
    FREQS,
    ONE_DAY,
    day_start,
    period_of,
    period_range,
    periods_overlapping,
    utc_date,
)

if TYPE_CHECKING:
    import pandas as pd
    from pymongo.database import Database

EVIDENCE = ("live", "archive", "both")
#: ``--by`` values an archive sighting can answer (it has no Amazon category).
ARCHIVE_GROUPINGS = ("country", "role_family")
TIERS = ("observed", "bracketed", "captures", "share_k", "share_n", "share_low", "share_high")
#: The two-sided 95% normal quantile.
Z95 = 1.959963984540054


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``k`` successes in ``n`` trials (``ValueError`` for
    ``n == 0`` or ``k`` outside ``0..n``)."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"no interval for {k} of {n}")
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def archive_group(sighting: Mapping[str, Any], by: str | None) -> str | None:
    """The group of a sighting (its own normalized country or role family)."""
    return group_value(sighting, by) if by else None


class ArchiveTierCounter:
    """The tiers per (period, group) from sightings and capture times, one at a time."""

    def __init__(self, freq: str, by: str | None, since: date, until: date) -> None:
        self.freq = freq
        self.by = by
        self.since = since
        self.until = until
        self.sighted: defaultdict[tuple[date, str | None], set[str]] = defaultdict(set)
        self.mentioning: defaultdict[tuple[date, str | None], set[str]] = defaultdict(set)
        self.captures: Counter[date] = Counter()
        # (posting, group) -> first and last day of a mentioning sighting
        self.brackets: dict[tuple[str, str | None], tuple[date, date]] = {}

    def add_sighting(self, sighting: Mapping[str, Any], mentions: bool) -> None:
        day = utc_date(sighting["captured_at"])
        group = archive_group(sighting, self.by)
        pid = str(sighting["posting_id"])
        if mentions:
            key = (pid, group)
            first, last = self.brackets.get(key, (day, day))
            self.brackets[key] = (min(first, day), max(last, day))
        if not self.since <= day <= self.until:
            return
        period = period_of(day, self.freq)
        self.sighted[(period, group)].add(pid)
        if mentions:
            self.mentioning[(period, group)].add(pid)

    def add_capture(self, captured_at: datetime) -> None:
        day = utc_date(captured_at)
        if self.since <= day <= self.until:
            self.captures[period_of(day, self.freq)] += 1

    def bracketed(self) -> Counter[tuple[date, str | None]]:
        counts: Counter[tuple[date, str | None]] = Counter()
        for (_pid, group), (first, last) in self.brackets.items():
            first, last = max(first, self.since), min(last, self.until)
            if first > last:
                continue
            for period in periods_overlapping(first, last, self.freq):
                counts[(period, group)] += 1
        return counts

    def groups(self) -> list[str | None]:
        if not self.by:
            return [None]
        totals: Counter[str | None] = Counter()
        for (_period, group), pids in self.sighted.items():
            totals[group] += len(pids)
        for _pid, group in self.brackets:
            totals[group] += 0
        return sorted(totals, key=lambda g: (-totals[g], str(g)))

    def rows(self) -> list[dict[str, Any]]:
        bracketed = self.bracketed()
        groups = self.groups()
        out = []
        for period in period_range(self.since, self.until, self.freq):
            for group in groups:
                k = len(self.mentioning.get((period, group), ()))
                n = len(self.sighted.get((period, group), ()))
                low, high = wilson_interval(k, n) if n else (math.nan, math.nan)
                row: dict[str, Any] = {"period": period}
                if self.by:
                    row[self.by] = group
                row |= {
                    "observed": k,
                    "bracketed": bracketed[(period, group)],
                    "captures": self.captures[period],
                    "share_k": k,
                    "share_n": n,
                    "share_low": low,
                    "share_high": high,
                }
                out.append(row)
        return out


class SightingFilter:
    """Keeps sightings of the given countries (alpha-3) and role families."""

    def __init__(
        self, countries: Iterable[str] | None = None, role_families: Iterable[str] | None = None
    ) -> None:
        self.countries = resolve_countries(countries)
        self.role_families = frozenset(
            v.strip() for item in role_families or () for v in str(item).split(",") if v.strip()
        )

    def __call__(self, sighting: Mapping[str, Any]) -> bool:
        if self.countries and sighting.get("country_code") not in self.countries:
            return False
        return not (
            self.role_families and group_value(sighting, "role_family") not in self.role_families
        )

    def describe(self) -> str:
        parts = []
        if self.countries:
            parts.append("countries " + ",".join(sorted(self.countries)))
        if self.role_families:
            parts.append("role families " + ",".join(sorted(self.role_families)))
        return "; ".join(parts)


def archive_trend(
    db: Database,
    phrase: str,
    *,
    freq: str = "week",
    by: str | None = None,
    since: date | None = None,
    until: date | None = None,
    fields: Iterable[str] | None = None,
    countries: Iterable[str] | None = None,
    role_families: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The archive tiers (module docstring) per period from ``since`` to ``until`` (default:
    the first and last capture day of the archive evidence), zeros included.

    Columns: ``period``, [``<by>``], ``observed``, ``bracketed``, ``captures``, ``share_k``,
    ``share_n``, ``share_low``, ``share_high``. ``frame.attrs`` records the query.
    """
    import pandas as pd

    from jobtracker.store.archive_queries import (
        archive_bounds,
        fetched_capture_times,
        mentioning_sighting_ids,
        sightings_between,
    )

    if freq not in FREQS:
        raise ValueError(f"unknown frequency {freq!r} (choose from {', '.join(FREQS)})")
    if by is not None and by not in ARCHIVE_GROUPINGS:
        raise ValueError(
            f"archive sightings cannot be grouped by {by!r} (choose from "
            f"{', '.join(ARCHIVE_GROUPINGS)})"
        )
    searched = resolve_fields(fields)
    keep = SightingFilter(countries, role_families)
    if since is None or until is None:
        first, last = archive_bounds(db)
        since = since if since is not None else (utc_date(first) if first else None)
        until = until if until is not None else (utc_date(last) if last else None)
    if since is not None and until is not None and since > until:
        raise ValueError(f"since ({since}) is after until ({until})")
    rows: list[dict[str, Any]] = []
    if since is not None and until is not None:
        counter = ArchiveTierCounter(freq, by, since, until)
        # Brackets need every mentioning sighting of the posting, also outside the range.
        mentioning = mentioning_sighting_ids(db, phrase_pattern(phrase), searched)
        for sighting in sightings_between(db, None, None):
            if keep(sighting):
                counter.add_sighting(sighting, sighting["_id"] in mentioning)
        start, end = day_start(period_of(since, freq)), day_start(until + ONE_DAY)
        for captured_at in fetched_capture_times(db, start, end):
            counter.add_capture(captured_at)
        rows = counter.rows()
    columns = ["period", *([by] if by else []), *TIERS]
    frame = pd.DataFrame(rows, columns=columns)
    frame["period"] = pd.to_datetime(frame["period"])
    for name in ("observed", "bracketed", "captures", "share_k", "share_n"):
        frame[name] = frame[name].astype("int64")
    for name in ("share_low", "share_high"):
        frame[name] = frame[name].astype("float64").round(4)
    frame.attrs.update(
        {
            "query": "trend",
            "evidence": "archive",
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


def live_start(db: Database) -> date | None:
    """The first day of live crawling (the first posting's first sighting), None before it."""
    from jobtracker.research.trends import observed_days

    return observed_days(db)[0]


def trend_both(
    db: Database,
    phrase: str,
    *,
    freq: str = "week",
    by: str | None = None,
    since: date | None = None,
    until: date | None = None,
    fields: Iterable[str] | None = None,
    countries: Iterable[str] | None = None,
    role_families: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The live trend and the archive tiers side by side: one row per period (and group),
    live columns prefixed ``live_`` (empty before the first and after the last live crawl: not
    observed, not zero), archive columns prefixed ``archive_``. ``attrs["live_start"]`` is the
    first day of live crawling."""
    import pandas as pd

    from jobtracker.research.trends import METRICS, observed_days, trend

    first_live, last_live = observed_days(db)
    archive = archive_trend(
        db,
        phrase,
        freq=freq,
        by=by,
        since=since,
        until=until,
        fields=fields,
        countries=countries,
        role_families=role_families,
    )
    lo = [d for d in (since, archive.attrs["since"], first_live) if d is not None]
    hi = [d for d in (until, archive.attrs["until"], last_live) if d is not None]
    since = since or (min(lo) if lo else None)
    until = until or (max(hi) if hi else None)
    if (
        since is not None
        and until is not None
        and (archive.attrs["since"] != since or archive.attrs["until"] != until)
    ):
        archive = archive_trend(
            db,
            phrase,
            freq=freq,
            by=by,
            since=since,
            until=until,
            fields=fields,
            countries=countries,
            role_families=role_families,
        )
    keys = ["period", *([by] if by else [])]
    archive_part = archive.rename(columns={t: f"archive_{t}" for t in TIERS})
    if first_live is None or since is None or until is None:
        merged = archive_part.copy()
        for position, metric in enumerate(METRICS, start=len(keys)):
            merged.insert(
                position, f"live_{metric}", pd.Series(pd.NA, index=merged.index, dtype="Int64")
            )
    else:
        live = trend(
            db,
            phrase,
            freq=freq,
            by=by,
            since=max(since, first_live),
            until=until,
            fields=fields,
            countries=countries,
            role_families=role_families,
        )
        live = live[[*keys, *METRICS]].rename(columns={m: f"live_{m}" for m in METRICS})
        merged = live.merge(archive_part, on=keys, how="outer")
        merged = merged.sort_values(keys, kind="stable").reset_index(drop=True)
        for metric in METRICS:
            merged[f"live_{metric}"] = merged[f"live_{metric}"].astype("Int64")
        for name in ("observed", "bracketed", "captures", "share_k", "share_n"):
            merged[f"archive_{name}"] = merged[f"archive_{name}"].fillna(0).astype("int64")
        # Periods before the first or after the last live crawl were not observed live:
        # empty, not zero.
        outside = (merged["period"] < pd.Timestamp(period_of(first_live, freq))) | (
            merged["period"] > pd.Timestamp(period_of(last_live, freq))
        )
        for metric in METRICS:
            merged.loc[outside, f"live_{metric}"] = pd.NA
    merged.attrs.update(archive.attrs)
    merged.attrs.update({"evidence": "both", "live_start": first_live})
    return merged


def describe_archive(frame: pd.DataFrame) -> str:
    """A caption of an archive (or both) trend frame."""
    attrs: Mapping[str, Any] = frame.attrs
    parts = [
        f"Archive evidence for {attrs.get('phrase')!r} (whole words, case-insensitive; in "
        f"{attrs.get('fields')}), {attrs.get('freq')}ly"
    ]
    if attrs.get("by"):
        parts.append(f"by {attrs['by']}")
    if attrs.get("since"):
        parts.append(f"{attrs['since']} .. {attrs['until']}")
    if attrs.get("filters"):
        parts.append(str(attrs["filters"]))
    lines = [", ".join(parts)]
    lines.append(
        "observed: postings sighted mentioning it (a lower bound); bracketed: open between "
        "their first and last such sighting (inferred); captures: captures fetched; share: "
        "k of n postings sighted, 95% Wilson interval (docs/research.md)"
    )
    if attrs.get("evidence") == "both":
        start = attrs.get("live_start")
        lines.append(
            f"Live crawling started on {start}; live columns are empty outside the live crawls."
            if start
            else "No live crawl yet: the live columns are empty."
        )
    return "\n".join(lines)


# -- first seen ---------------------------------------------------------------------------------


def capture_url(sighting: Mapping[str, Any]) -> str:
    """Where to open the capture again: the Wayback replay URL, or the Common Crawl WARC file
    with the record's offset and length."""
    if sighting.get("replay_url"):
        return str(sighting["replay_url"])
    if sighting.get("warc_file"):
        return (
            f"{sighting['warc_file']}#offset={sighting.get('warc_offset')}"
            f"&length={sighting.get('warc_length')}"
        )
    return str(sighting.get("original_url") or "")


def archive_first_seen(
    db: Database,
    phrase: str,
    *,
    fields: Iterable[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    countries: Iterable[str] | None = None,
    role_families: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per posting, its first sighting whose text mentions ``phrase``, earliest first: the
    live ``first-seen`` columns (``posted_date``, ``status``, ``closed_at``, categories and
    ``version`` stay empty: a sighting shows none of them) plus ``evidence``
    (``archive:wayback`` or ``archive:commoncrawl``) and ``capture_url``. ``mentions_now`` tells
    whether the posting's last sighting mentions it."""
    import pandas as pd

    from jobtracker.research.postings import FIRST_SEEN_COLUMNS
    from jobtracker.store.archive_queries import latest_sightings, mentioning_sightings

    searched = resolve_fields(fields)
    regex = compile_phrase(phrase)
    keep = SightingFilter(countries, role_families)
    firsts: dict[str, dict[str, Any]] = {}
    mentioning_ids: set[str] = set()
    for doc in mentioning_sightings(db, phrase_pattern(phrase), searched):
        mentioning_ids.add(doc["_id"])
        pid = doc["posting_id"]
        if pid in firsts or not keep(doc):
            continue
        day = utc_date(doc["captured_at"])
        if (since is not None and day < since) or (until is not None and day > until):
            firsts[pid] = {}  # its first mentioning sighting is outside the range
            continue
        firsts[pid] = {
            "posting_id": pid,
            "first_seen": doc["captured_at"],
            "country_code": doc.get("country_code"),
            "country_name": country_name(doc.get("country_code") or ""),
            "role_family": group_value(doc, "role_family"),
            "title": doc.get("title"),
            "snippet": snippet(doc, regex, searched),
            "url": doc.get("original_url"),
            "evidence": f"archive:{doc['archive']}",
            "capture_url": capture_url(doc),
        }
    rows = [row for row in firsts.values() if row]
    latest = latest_sightings(db, [row["posting_id"] for row in rows])
    for row in rows:
        row["mentions_now"] = latest.get(row["posting_id"]) in mentioning_ids
    columns = [*FIRST_SEEN_COLUMNS, "evidence", "capture_url"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("first_seen", "posting_first_seen", "closed_at", "last_seen_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["version"] = frame["version"].astype("Int64")
    frame.attrs.update({"query": "first-seen", "evidence": "archive", "phrase": phrase})
    return frame


def first_seen_both(live: pd.DataFrame, archive: pd.DataFrame) -> pd.DataFrame:
    """One row per posting: the earlier of its live and archive first mention (``evidence``
    says which); the posting's live state (status, closure, posted date) is kept from the live
    row when the archive's is earlier."""
    import pandas as pd

    live = live.assign(evidence="live", capture_url=None)
    state = ["posting_first_seen", "posted_date", "status", "closed_at", "last_seen_at"]
    state += ["mentions_now", "job_category", "business_category"]
    live_state = live.set_index("posting_id")[state]
    earliest_archive = archive[
        ~archive["posting_id"].isin(live["posting_id"])
        | archive["posting_id"]
        .map(dict(zip(live["posting_id"], live["first_seen"], strict=True)))
        .gt(archive["first_seen"])
    ].copy()
    for column in state:
        known = earliest_archive["posting_id"].map(live_state[column])
        earliest_archive[column] = known.where(
            earliest_archive["posting_id"].isin(live_state.index), earliest_archive[column]
        )
    kept_live = live[~live["posting_id"].isin(earliest_archive["posting_id"])]
    frame = pd.concat([kept_live, earliest_archive], ignore_index=True)
    frame = frame.sort_values(["first_seen", "posting_id"], kind="stable").reset_index(drop=True)
    frame["version"] = frame["version"].astype("Int64")
    frame.attrs.update(live.attrs)
    frame.attrs["evidence"] = "both"
    return frame[[*live.columns]]


# -- one posting's sightings -----------------------------------------------------------------------


SIGHTING_COLUMNS = [
    "captured_at",
    "archive",
    "capture_url",
    "original_url",
    "crawl",
    "era",
    "title",
    "country_code",
    "digest",
    "sha256",
]


def posting_sightings(db: Database, posting_id: str) -> pd.DataFrame:
    """One posting's archive sightings, oldest first, each with its provenance."""
    import pandas as pd

    from jobtracker.store.archive_queries import sightings_of_posting

    rows = [
        {
            "captured_at": doc.get("captured_at"),
            "archive": doc.get("archive"),
            "capture_url": capture_url(doc),
            "original_url": doc.get("original_url"),
            "crawl": doc.get("crawl"),
            "era": doc.get("era"),
            "title": doc.get("title"),
            "country_code": doc.get("country_code"),
            "digest": doc.get("digest"),
            "sha256": doc.get("sha256"),
        }
        for doc in sightings_of_posting(db, posting_id)
    ]
    frame = pd.DataFrame(rows, columns=SIGHTING_COLUMNS)
    frame["captured_at"] = pd.to_datetime(frame["captured_at"], utc=True)
    return frame


# -- active on a date ------------------------------------------------------------------------------

ACTIVE_COLUMNS = [
    "posting_id",
    "tier",
    "sighted_before",
    "sighted_after",
    "title",
    "country_code",
    "role_family",
    "evidence",
    "capture_url",
]


def archive_active(
    db: Database,
    on: date,
    *,
    phrase: str | None = None,
    fields: Iterable[str] | None = None,
    countries: Iterable[str] | None = None,
    role_families: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The postings the archives show open on ``on``: ``tier`` ``observed`` (a sighting that
    day) or ``bracketed`` (sightings before and after it, none that day: inferred). With
    ``phrase``, only sightings whose text mentions it count. ``sighted_before``/``after`` are
    the nearest sightings on either side (the day's own for ``observed``); title, country,
    role family, ``evidence`` and ``capture_url`` come from the nearest sighting."""
    import pandas as pd

    from jobtracker.store.archive_queries import all_sightings, mentioning_sighting_ids

    keep = SightingFilter(countries, role_families)
    mentioning = (
        mentioning_sighting_ids(db, phrase_pattern(phrase), resolve_fields(fields))
        if phrase
        else None
    )
    before: dict[str, Mapping[str, Any]] = {}
    after: dict[str, Mapping[str, Any]] = {}
    that_day: dict[str, Mapping[str, Any]] = {}
    for doc in all_sightings(db):
        if not keep(doc) or (mentioning is not None and doc["_id"] not in mentioning):
            continue
        day, pid = utc_date(doc["captured_at"]), doc["posting_id"]
        if day == on:
            that_day.setdefault(pid, doc)
        elif day < on:
            before[pid] = doc
        else:
            after.setdefault(pid, doc)
    rows = []
    for pid in sorted(set(that_day) | (set(before) & set(after))):
        shown = that_day.get(pid) or before[pid]
        rows.append(
            {
                "posting_id": pid,
                "tier": "observed" if pid in that_day else "bracketed",
                "sighted_before": (that_day.get(pid) or before[pid])["captured_at"],
                "sighted_after": (that_day.get(pid) or after[pid])["captured_at"],
                "title": shown.get("title"),
                "country_code": shown.get("country_code"),
                "role_family": group_value(shown, "role_family"),
                "evidence": f"archive:{shown['archive']}",
                "capture_url": capture_url(shown),
            }
        )
    frame = pd.DataFrame(rows, columns=ACTIVE_COLUMNS)
    for column in ("sighted_before", "sighted_after"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame.attrs.update({"query": "active", "evidence": "archive", "on": on, "phrase": phrase})
    return frame
