"""First-seen reports, as-of listings and the posting-day panel.

The as-of listing and the panel read the postings open in their range and only the versions
that can be current on a day of it (:func:`postings_with_versions`): two cursors sorted by
posting id, merge-joined, so the panel keeps at most a chunk of postings in memory (plus, for
phrase filters, the ids of the versions that mention the phrase, which MongoDB finds with its
regex). The cost follows the postings open in the range and their versions, not the length of
the history (docs/research.md, "Performance").
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from jobtracker.research.selection import (
    LIGHT_VERSION_FIELDS,
    VersionFilter,
    country_name,
    role_family_of,
)
from jobtracker.research.text import compile_phrase, phrase_pattern, resolve_fields, snippet
from jobtracker.research.timeline import (
    ONE_DAY,
    current_version,
    day_start,
    is_open_on,
    join_versions,
    segments,
    utc_date,
)
from jobtracker.research.trends import resolve_range

if TYPE_CHECKING:
    import pandas as pd
    from pymongo.database import Database

POSTING_STATE = {
    "source_id": 1,
    "first_seen_at": 1,
    "last_seen_at": 1,
    "spans": 1,
    "status": 1,
    "closed_at": 1,
    "missing_since": 1,
    "version": 1,
}
VERSION_LISTING = {
    **LIGHT_VERSION_FIELDS,
    "snapshot.title": 1,
    "snapshot.url": 1,
    "snapshot.posted_date": 1,
}


def postings_with_versions(
    db: Database,
    start: datetime,
    end: datetime,
    projection: Mapping[str, Any],
) -> Iterator[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """The postings open at some time in ``[start, end)``, in ``_id`` order, each with the
    versions that can be current on a day of it: first seen before ``end`` and not superseded
    (nor closed) before ``start``, by their ``last_seen_at``.

    Which version is current follows from ``first_seen_at`` alone; ``last_seen_at`` only
    narrows the read. A store written before reopened postings had their version made current
    again keeps a closure's ``last_seen_at`` on such a version: when a posting seen before
    ``start`` comes without any version first seen before ``start``, the one current then (the
    highest first seen before ``start``) is looked up by ``_id``. Versions past the posting's
    ``version`` (orphans) are left out.
    """
    from jobtracker.store.queries import (
        CHUNK,
        VERSIONS,
        find_by_ids,
        postings_open_between,
        versions_current_between,
    )

    joined = join_versions(
        postings_open_between(db, start, end, POSTING_STATE),
        versions_current_between(db, start, end, projection),
    )
    while chunk := list(itertools.islice(joined, CHUNK)):
        found: dict[str, list[Mapping[str, Any]]] = {}
        wanted: dict[str, int] = {}  # posting -> the version to look up
        for posting, versions in chunk:
            pid, last = posting["_id"], int(posting.get("version") or 0)
            found[pid] = [v for v in versions if not last or int(v["version"]) <= last]
            seen_before = posting.get("first_seen_at")
            if seen_before is None or seen_before >= start:
                continue
            if any(v["first_seen_at"] < start for v in found[pid]):
                continue
            below = min((int(v["version"]) for v in found[pid]), default=last + 1) - 1
            if below >= 1:
                wanted[pid] = below
        while wanted:  # step down to the highest version first seen before start
            ids = [f"{pid}@v{number}" for pid, number in wanted.items()]
            docs = {doc["posting_id"]: doc for doc in find_by_ids(db, VERSIONS, ids, projection)}
            lower: dict[str, int] = {}
            for pid, number in wanted.items():
                doc = docs.get(pid)
                if doc is not None and doc["first_seen_at"] < end:
                    found[pid].insert(0, doc)
                if (doc is None or doc["first_seen_at"] >= start) and number > 1:
                    lower[pid] = number - 1
            wanted = lower
        for posting, _ in chunk:
            yield posting, found[posting["_id"]]


def _date_or_none(value: Any) -> date | None:
    return utc_date(value) if isinstance(value, (datetime, date)) else None


def _mentioning_ids(
    db: Database, phrase: str, fields: Iterable[str] | None, end: datetime | None
) -> set[tuple[str, int]]:
    from jobtracker.store.queries import mentioning_versions

    return {
        (doc["posting_id"], int(doc["version"]))
        for doc in mentioning_versions(
            db,
            phrase_pattern(phrase),
            resolve_fields(fields),
            projection={"posting_id": 1, "version": 1},
            seen_before=end,
        )
    }


# -- first seen --------------------------------------------------------------------------------

FIRST_SEEN_COLUMNS = [
    "posting_id",
    "first_seen",
    "version",
    "posting_first_seen",
    "posted_date",
    "status",
    "closed_at",
    "last_seen_at",
    "mentions_now",
    "country_code",
    "country_name",
    "job_category",
    "business_category",
    "role_family",
    "title",
    "snippet",
    "url",
]


def first_seen(
    db: Database,
    phrase: str,
    *,
    fields: Iterable[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    countries: Iterable[str] | None = None,
    job_categories: Iterable[str] | None = None,
    business_categories: Iterable[str] | None = None,
    role_families: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The postings that ever mentioned ``phrase``, earliest first.

    ``first_seen`` is when a version mentioning the phrase was first seen (``version`` is that
    version; country, categories, title and ``snippet`` come from it); ``posting_first_seen``,
    ``status``, ``closed_at`` and ``last_seen_at`` describe the posting; ``mentions_now`` tells
    whether its current version still mentions the phrase. ``since``/``until`` and the filters
    apply to the first mentioning version.
    """
    import pandas as pd

    from jobtracker.store.queries import POSTINGS, find_by_ids, mentioning_versions

    searched = resolve_fields(fields)
    regex = compile_phrase(phrase)
    keep = VersionFilter.build(
        countries, job_categories, business_categories, role_families, sources
    )
    projection = {
        **VERSION_LISTING,
        **{f"snapshot.{name}": 1 for name in searched},
    }
    firsts: dict[str, dict[str, Any]] = {}
    mentioning: dict[str, set[int]] = {}
    for doc in mentioning_versions(
        db, phrase_pattern(phrase), searched, projection=projection, sort_by_first_seen=True
    ):
        pid = doc["posting_id"]
        mentioning.setdefault(pid, set()).add(int(doc["version"]))
        if pid in firsts:
            continue
        snap = doc.get("snapshot") or {}
        firsts[pid] = {
            "posting_id": pid,
            "first_seen": doc["first_seen_at"],
            "version": int(doc["version"]),
            "posted_date": _date_or_none(snap.get("posted_date")),
            "country_code": snap.get("country_code"),
            "country_name": country_name(snap.get("country_code") or ""),
            "job_category": snap.get("job_category"),
            "business_category": snap.get("business_category"),
            "role_family": role_family_of(snap),
            "title": snap.get("title"),
            "snippet": snippet(snap, regex, searched),
            "url": snap.get("url"),
            "_keep": keep(doc),
        }
    rows = [
        row
        for row in firsts.values()
        if row.pop("_keep")
        and (since is None or utc_date(row["first_seen"]) >= since)
        and (until is None or utc_date(row["first_seen"]) <= until)
    ]
    by_id = {row["posting_id"]: row for row in rows}
    for posting in find_by_ids(db, POSTINGS, by_id, POSTING_STATE):
        row = by_id[posting["_id"]]
        row["posting_first_seen"] = posting.get("first_seen_at")
        row["status"] = posting.get("status")
        row["closed_at"] = posting.get("closed_at")
        row["last_seen_at"] = posting.get("last_seen_at")
        row["mentions_now"] = int(posting.get("version") or 0) in mentioning[posting["_id"]]
    rows.sort(key=lambda row: (row["first_seen"], row["posting_id"]))
    frame = pd.DataFrame(rows, columns=FIRST_SEEN_COLUMNS)
    _as_utc(frame, ["first_seen", "posting_first_seen", "closed_at", "last_seen_at"])
    frame["version"] = frame["version"].astype("int64")
    frame.attrs.update(
        {"query": "first-seen", "phrase": phrase, "fields": searched, "filters": keep.describe()}
    )
    return frame


def _as_utc(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    import pandas as pd

    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True)


# -- active on a date -------------------------------------------------------------------------

ACTIVE_COLUMNS = [
    "posting_id",
    "version",
    "version_first_seen",
    "title",
    "country_code",
    "job_category",
    "business_category",
    "role_family",
    "posted_date",
    "first_seen_at",
    "last_seen_at",
    "status",
    "closed_at",
    "url",
]


def iter_active(
    db: Database,
    on: date,
    *,
    phrase: str | None = None,
    fields: Iterable[str] | None = None,
    keep: VersionFilter | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows of :func:`active`, streamed in posting id order."""
    keep = keep or VersionFilter()
    start, end = day_start(on), day_start(on + ONE_DAY)
    wanted = _mentioning_ids(db, phrase, fields, end) if phrase else None
    for posting, posting_versions in postings_with_versions(db, start, end, VERSION_LISTING):
        if not is_open_on(posting, on):
            continue
        version = current_version(posting_versions, on)
        if version is None or not keep(version):
            continue
        if wanted is not None and (posting["_id"], int(version["version"])) not in wanted:
            continue
        snap = version.get("snapshot") or {}
        yield {
            "posting_id": posting["_id"],
            "version": int(version["version"]),
            "version_first_seen": version["first_seen_at"],
            "title": snap.get("title"),
            "country_code": snap.get("country_code"),
            "job_category": snap.get("job_category"),
            "business_category": snap.get("business_category"),
            "role_family": role_family_of(snap),
            "posted_date": _date_or_none(snap.get("posted_date")),
            "first_seen_at": posting.get("first_seen_at"),
            "last_seen_at": posting.get("last_seen_at"),
            "status": posting.get("status"),
            "closed_at": posting.get("closed_at"),
            "url": snap.get("url"),
        }


def active(
    db: Database,
    on: date,
    *,
    phrase: str | None = None,
    fields: Iterable[str] | None = None,
    countries: Iterable[str] | None = None,
    job_categories: Iterable[str] | None = None,
    business_categories: Iterable[str] | None = None,
    role_families: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The postings open on ``on`` (a UTC date), each with the version current that day.

    ``status``/``closed_at``/``last_seen_at`` are the posting's state now; everything else is
    as of ``on``. ``phrase`` keeps postings whose then-current version mentions it; the other
    filters apply to the then-current version.
    """
    import pandas as pd

    keep = VersionFilter.build(
        countries, job_categories, business_categories, role_families, sources
    )
    rows = list(iter_active(db, on, phrase=phrase, fields=fields, keep=keep))
    frame = pd.DataFrame(rows, columns=ACTIVE_COLUMNS)
    _as_utc(frame, ["version_first_seen", "first_seen_at", "last_seen_at", "closed_at"])
    frame["version"] = frame["version"].astype("int64")
    frame.attrs.update({"query": "active", "on": on, "phrase": phrase, "filters": keep.describe()})
    return frame


# -- the posting-day panel --------------------------------------------------------------------

PANEL_COLUMNS = [
    "date",
    "posting_id",
    "version",
    "country_code",
    "job_category",
    "business_category",
    "role_family",
    "posted_date",
    "first_seen_date",
]


def panel_columns(phrase: str | None) -> list[str]:
    return [*PANEL_COLUMNS, "mentions"] if phrase else list(PANEL_COLUMNS)


def iter_panel(
    db: Database,
    *,
    since: date | None = None,
    until: date | None = None,
    phrase: str | None = None,
    fields: Iterable[str] | None = None,
    keep: VersionFilter | None = None,
) -> Iterator[dict[str, Any]]:
    """One row per posting per day open within ``since..until`` (default: all observed days),
    with the version current that day; ordered by posting id, then date. With ``phrase``, a
    ``mentions`` column tells whether that version mentions it. Streamed."""
    keep = keep or VersionFilter()
    since, until = resolve_range(db, since, until)
    if since is None or until is None:
        return
    start, end = day_start(since), day_start(until + ONE_DAY)
    wanted = _mentioning_ids(db, phrase, fields, end) if phrase else None
    projection = {**LIGHT_VERSION_FIELDS, "snapshot.posted_date": 1}
    for posting, posting_versions in postings_with_versions(db, start, end, projection):
        pid = posting["_id"]
        first_seen = _date_or_none(posting.get("first_seen_at"))
        for segment in segments(posting, posting_versions, since, until):
            version = segment.version
            if not keep(version):
                continue
            snap = version.get("snapshot") or {}
            number = int(version["version"])
            base = {
                "posting_id": pid,
                "version": number,
                "country_code": snap.get("country_code"),
                "job_category": snap.get("job_category"),
                "business_category": snap.get("business_category"),
                "role_family": role_family_of(snap),
                "posted_date": _date_or_none(snap.get("posted_date")),
                "first_seen_date": first_seen,
            }
            if wanted is not None:
                base["mentions"] = (pid, number) in wanted
            for day in segment.dates():
                yield {"date": day, **base}


def panel(
    db: Database,
    *,
    since: date | None = None,
    until: date | None = None,
    phrase: str | None = None,
    fields: Iterable[str] | None = None,
    countries: Iterable[str] | None = None,
    job_categories: Iterable[str] | None = None,
    business_categories: Iterable[str] | None = None,
    role_families: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
) -> pd.DataFrame:
    """:func:`iter_panel` as a DataFrame (for large stores, export it instead: it streams)."""
    import pandas as pd

    keep = VersionFilter.build(
        countries, job_categories, business_categories, role_families, sources
    )
    rows = iter_panel(db, since=since, until=until, phrase=phrase, fields=fields, keep=keep)
    frame = pd.DataFrame(list(rows), columns=panel_columns(phrase))
    for column in ("date", "posted_date", "first_seen_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame
