"""``jobtracker publish``: the history as one SQLite file (sqlite-utils), for Datasette.

The file holds, as flat tables (docs/publish.md):

- ``postings``: one row per posting (its state today, its current version's labels);
- ``versions``: one row per version, with the days it was current (``current_from`` ..
  ``current_until``) and its texts; full-text search (FTS5, ``versions_fts``) over the title,
  the description and the qualifications, so Datasette's ``?_search=`` works;
- ``version_changes``: what changed between consecutive versions, with word diffs;
- ``segments``: the runs of open days of a posting with one current version (the definitions
  of "open" and "version current on a day" of docs/research.md, computed by
  :func:`jobtracker.research.timeline.segments`, the same function ``trend``, ``active`` and the
  panel use); every trend and as-of query is a join of ``segments`` with ``weeks``;
- ``weeks``: every week (Monday) of the published range, with the open, new and closed
  postings; ``week_role_families``: open postings per week and role family;
- ``countries``: ISO alpha-3 codes and English names; ``runs``: the crawl runs (as
  ``jobtracker runs --csv``); ``provenance``: when, from which store, which runs, which version
  of jobtracker.

Everything streams from the store (postings and versions merge-joined by posting id, written in
batches), so memory stays flat in the length of the history. A full publish writes a temporary
file beside the output and renames it over the output when complete; ``--incremental`` copies
the file, brings the copy up to date with the postings observed since the file's watermark and
the versions first seen since, and renames it over the file: readers (an immutable Datasette)
never see half a file. A lock file (``FILE.lock``) keeps two publishes of one file apart: the
second refuses.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from jobtracker.research.exports import CONTENT_SCHEMA, RUN_SCHEMA
from jobtracker.research.output import json_value
from jobtracker.research.selection import VersionFilter, country_name, group_value
from jobtracker.research.timeline import (
    ONE_DAY,
    open_intervals,
    period_of,
    period_range,
    segments,
    utc_date,
    version_starts,
)

if TYPE_CHECKING:
    from pymongo.database import Database

#: ``provenance.kind`` of a file written by ``jobtracker publish``.
KIND = "jobtracker publish"
SCHEMA_VERSION = "2"
BATCH = 2000
#: Longest value whose diff is written (``'old' -> 'new'``); longer ones are diffed when shown.
SHORT = 120
PROGRESS_EVERY_S = 5.0
FTS_COLUMNS = (
    "title",
    "description_text",
    "basic_qualifications_text",
    "preferred_qualifications_text",
)
#: Non-ASCII characters that Python's case-insensitive regex matches with an ASCII letter but
#: SQLite's ``lower()`` leaves as they are (every code point tried): dotted capital I, dotless
#: i, long s, Kelvin sign. ``versions.unsure`` marks the versions whose texts hold one.
UNSURE = frozenset("\u0130\u0131\u017f\u212a")
#: Packages `publish` and `serve` need (requirements-research.txt).
PUBLISH_PACKAGES = ("sqlite_utils",)


class NotPublished(ValueError):
    """A file that is not a database written by ``jobtracker publish``."""


class Busy(RuntimeError):
    """Another publish holds the file's lock."""


# -- rows ----------------------------------------------------------------------------------------


def timestamp(value: Any) -> str | None:
    """A time as the exports write it: ``2026-07-01T06:00:00.000Z`` (UTC); text sorts by time."""
    if isinstance(value, datetime):
        return str(json_value(value if value.tzinfo else value.replace(tzinfo=UTC)))
    return None


def parse_timestamp(text: str | None) -> datetime | None:
    """The inverse of :func:`timestamp`."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _day(value: Any) -> str | None:
    if isinstance(value, (datetime, date)):
        return utc_date(value).isoformat()
    return None


def _cell(value: Any, kind: str) -> Any:
    if kind == "ts":
        return timestamp(value)
    if kind == "date":
        return _day(value)
    if kind in ("json", "list"):
        return (
            None if value in (None, [], {}) else json.dumps(json_value(value), ensure_ascii=False)
        )
    if kind == "bool":
        return None if value is None else int(bool(value))
    return value


def content_cells(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The content columns of a snapshot (``CONTENT_SCHEMA`` of the exports)."""
    from jobtracker.research.exports import _content

    content = _content(snapshot)
    return {name: _cell(content.get(name), kind) for name, kind in CONTENT_SCHEMA}


@dataclass
class LightVersion:
    """What the timeline needs of a version (from MongoDB or from the file)."""

    version_id: str
    version: int
    first_seen_at: datetime
    country: str
    role_family: str
    source: str
    snapshot: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:  # the timeline reads versions as maps
        return getattr(self, name, default)

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)


def light_version(doc: Mapping[str, Any]) -> LightVersion:
    snapshot = doc.get("snapshot") or {}
    return LightVersion(
        version_id=str(doc["_id"]),
        version=int(doc.get("version") or 0),
        first_seen_at=doc["first_seen_at"],
        country=group_value(snapshot, "country"),
        role_family=group_value(snapshot, "role_family"),
        source=str(snapshot.get("source") or str(doc.get("posting_id", "")).partition(":")[0]),
        snapshot={
            "country_code": snapshot.get("country_code"),
            "job_category": snapshot.get("job_category"),
            "business_category": snapshot.get("business_category"),
            "role_family": snapshot.get("role_family"),
            "source": snapshot.get("source"),
        },
    )


def posting_cells(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A ``postings`` row."""
    from jobtracker.research.exports import _content

    content = _content(doc)
    days_open = sum((last - first).days + 1 for first, last in open_intervals(doc))
    return {
        "posting_id": doc["_id"],
        "source": doc.get("source"),
        "source_id": doc.get("source_id"),
        "status": doc.get("status"),
        "first_seen_at": timestamp(doc.get("first_seen_at")),
        "last_seen_at": timestamp(doc.get("last_seen_at")),
        "closed_at": timestamp(doc.get("closed_at")),
        "missing_since": timestamp(doc.get("missing_since")),
        "first_seen": _day(doc.get("first_seen_at")),
        "last_seen": _day(doc.get("last_seen_at")),
        "closed": _day(doc.get("closed_at")),
        "days_open": days_open,
        "version": doc.get("version"),
        "title": content["title"],
        "url": content["url"],
        "country_code": content["country_code"],
        "job_category": content["job_category"],
        "business_category": content["business_category"],
        "role_family": content["role_family"],
        "posted_date": _day(content["posted_date"]),
    }


def version_cells(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A ``versions`` row (its timeline columns are filled by :func:`timeline_of`)."""
    content = content_cells(doc.get("snapshot") or {})
    return {
        "version_id": doc["_id"],
        "posting_id": doc.get("posting_id"),
        "version": int(doc.get("version") or 0),
        "counted": 1,
        "current_from": None,
        "current_until": None,
        "first_seen_at": timestamp(doc.get("first_seen_at")),
        "last_seen_at": timestamp(doc.get("last_seen_at")),
        "run_id": doc.get("run_id"),
        "changed_fields": _cell(doc.get("changed_fields"), "list"),
        **content,
        "unsure": int(any(not UNSURE.isdisjoint(content[name] or "") for name in FTS_COLUMNS)),
    }


def versions_with_spans(
    versions: list[dict[str, Any]], current: dict[Any, tuple[int, Any, Any]]
) -> list[dict[str, Any]]:
    """The ``versions`` rows of a posting's versions, each with the days it was counted and
    its span as the current version (``current``: version id -> (counted, from, until))."""
    rows = []
    for doc in versions:
        row = version_cells(doc)
        row["counted"], row["current_from"], row["current_until"] = current.get(
            row["version_id"], (0, None, None)
        )
        rows.append(row)
    return rows


def change_cells(
    posting: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    """``version_changes`` rows between two consecutive versions (word diffs for texts)."""
    from jobtracker.research.diff import display_value, field_diff
    from jobtracker.store.content import changed_fields

    old, new = before.get("snapshot") or {}, after.get("snapshot") or {}
    for name in changed_fields(old, new, posting.get("source")):
        shown_old, shown_new = (
            display_value(name, old.get(name)),
            display_value(name, new.get(name)),
        )
        yield {
            "posting_id": posting["_id"],
            "version_id": after["_id"],
            "from_version": int(before.get("version") or 0),
            "to_version": int(after.get("version") or 0),
            "changed_at": timestamp(after.get("first_seen_at")),
            "field": name,
            "old": shown_old,
            "new": shown_new,
            # Texts are diffed when shown (``jt_diff``, the plugin): a word diff of every edited
            # description would be most of a publish's time.
            "diff": field_diff(name, shown_old, shown_new)
            if _short(shown_old, shown_new)
            else None,
        }


def _short(*values: str) -> bool:
    """One-liners (``'old' -> 'new'`` diffs), cheap to write."""
    return all("\n" not in value and len(value) <= SHORT for value in values)


@dataclass
class Scope:
    """The range and filters of a publish (recorded in ``provenance``)."""

    since: date | None = None
    until: date | None = None
    keep: VersionFilter = field(default_factory=VersionFilter)
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def restricted(self) -> bool:
        return self.keep.active or self.since is not None or self.until is not None


def timeline_of(
    posting: Mapping[str, Any], versions: list[LightVersion], since: date, until: date, scope: Scope
) -> tuple[list[dict[str, Any]], dict[str, tuple[int, str | None, str | None]]]:
    """The posting's segments (rows) and, per version id, ``(counted, current_from,
    current_until)``; versions past the posting's ``version`` (orphans) are not counted."""
    last = int(posting.get("version") or 0) or max((v.version for v in versions), default=0)
    kept = sorted((v for v in versions if v.version <= last), key=lambda v: v.version)
    starts = version_starts(kept)
    current: dict[str, tuple[int, str | None, str | None]] = {
        v.version_id: (int(v.version <= last), None, None) for v in versions
    }
    for k, (start, version) in enumerate(starts):
        until_day = starts[k + 1][0] - ONE_DAY if k + 1 < len(starts) else None
        current[version.version_id] = (
            1,
            start.isoformat(),
            until_day.isoformat() if until_day else None,
        )
    rows = []
    for segment in segments(posting, kept, since, until):
        version: LightVersion = segment.version  # type: ignore[assignment]
        if not scope.keep(version):  # type: ignore[arg-type]
            continue
        rows.append(
            {
                "posting_id": posting["_id"],
                "version_id": version.version_id,
                "version": version.version,
                "start": segment.start.isoformat(),
                "end": segment.end.isoformat(),
                "first_week": period_of(segment.start, "week").isoformat(),
                "days": segment.days,
                "country_code": version.country,
                "role_family": version.role_family,
            }
        )
    return rows, current


# -- the file ------------------------------------------------------------------------------------

TABLE_DOCS: dict[str, str] = {
    "postings": "One row per posting: its state today (status, first and last sighting, "
    "closure) and the labels of its current version.",
    "versions": "One row per version of a posting (a change of its content), with the days it "
    "was current (current_from .. current_until, UTC dates; the version current on day d is the "
    "one with the greatest first sighting on or before d) and its plain texts. Full-text search "
    "covers title, description and qualifications.",
    "version_changes": "What changed between two consecutive versions: one row per field, with "
    "a readable diff ([-removed-] {+added+}; for texts computed when shown, jt_diff(field, old, "
    "new) in SQL).",
    "segments": "Runs of consecutive open days of a posting with one current version. A posting "
    "is open on day d if one of its spans covers d (span start <= d <= span end, or its last "
    "sighting for a span still open): only observed days count.",
    "weeks": "Every week (starting Monday) of the published range: postings open on at least "
    "one of its days, first seen in it, and closed in it.",
    "week_role_families": "Postings open on at least one day of a week, by the role family of "
    "their then-current version (a posting that changed family within the week counts in both).",
    "countries": "ISO 3166 alpha-3 codes and English names ('unknown': no country).",
    "runs": "The crawl runs: what each covered, how it ended and what it changed "
    "(as `jobtracker runs --csv`).",
    "provenance": "When this file was written, from which store, covering which runs, by which "
    "version of jobtracker, with which options.",
}


def _create(db: Any) -> None:
    """Create the empty tables, with keys (sqlite-utils)."""
    text, integer = str, int
    posting_columns = {
        "posting_id": text,
        "source": text,
        "source_id": text,
        "status": text,
        "first_seen_at": text,
        "last_seen_at": text,
        "closed_at": text,
        "missing_since": text,
        "first_seen": text,
        "last_seen": text,
        "closed": text,
        "days_open": integer,
        "version": integer,
        "title": text,
        "url": text,
        "country_code": text,
        "job_category": text,
        "business_category": text,
        "role_family": text,
        "posted_date": text,
    }
    db["postings"].create(posting_columns, pk="posting_id")
    content = {name: (integer if kind == "int" else text) for name, kind in CONTENT_SCHEMA}
    db["versions"].create(
        {
            "version_id": text,
            "posting_id": text,
            "version": integer,
            "counted": integer,
            "current_from": text,
            "current_until": text,
            "first_seen_at": text,
            "last_seen_at": text,
            "run_id": text,
            "changed_fields": text,
            **content,
            "unsure": integer,
        },
        pk="version_id",
        foreign_keys=[("posting_id", "postings", "posting_id")],
    )
    db["version_changes"].create(
        {
            "id": integer,
            "posting_id": text,
            "version_id": text,
            "from_version": integer,
            "to_version": integer,
            "changed_at": text,
            "field": text,
            "old": text,
            "new": text,
            "diff": text,
        },
        pk="id",
        foreign_keys=[
            ("posting_id", "postings", "posting_id"),
            ("version_id", "versions", "version_id"),
        ],
    )
    db["segments"].create(
        {
            "id": integer,
            "posting_id": text,
            "version_id": text,
            "version": integer,
            "start": text,
            "end": text,
            "first_week": text,
            "days": integer,
            "country_code": text,
            "role_family": text,
        },
        pk="id",
        foreign_keys=[
            ("posting_id", "postings", "posting_id"),
            ("version_id", "versions", "version_id"),
        ],
    )
    db["countries"].create({"country_code": text, "country_name": text}, pk="country_code")
    db["weeks"].create(
        {
            "week": text,
            "open_postings": integer,
            "new_postings": integer,
            "closed_postings": integer,
        },
        pk="week",
    )
    db["week_role_families"].create(
        {"week": text, "role_family": text, "open_postings": integer},
        pk=("week", "role_family"),
        foreign_keys=[("week", "weeks", "week")],
    )
    run_types = {"int": integer, "float": float, "bool": integer}
    db["runs"].create({name: run_types.get(kind, text) for name, kind in RUN_SCHEMA}, pk="run_id")
    db["provenance"].create({"key": text, "value": text}, pk="key")


def _index(db: Any) -> None:
    """Indexes for every facet and canned query."""
    for table, columns in (
        ("postings", ["status"]),
        ("postings", ["country_code"]),
        ("postings", ["role_family"]),
        ("postings", ["job_category"]),
        ("postings", ["business_category"]),
        ("postings", ["first_seen"]),
        ("postings", ["closed"]),
        ("versions", ["posting_id", "version"]),
        ("versions", ["first_seen_at"]),
        ("versions", ["country_code"]),
        ("versions", ["role_family"]),
        ("versions", ["job_category"]),
        ("versions", ["business_category"]),
        ("version_changes", ["posting_id"]),
        ("version_changes", ["version_id"]),
        ("version_changes", ["field"]),
        ("segments", ["posting_id", "version"]),
        ("segments", ["start", "end"]),
        ("segments", ["version_id"]),
        ("segments", ["country_code"]),
        ("segments", ["role_family"]),
        ("runs", ["started_at"]),
    ):
        db[table].create_index(columns, if_not_exists=True)


def _summaries(conn: sqlite3.Connection, since: date | None, until: date | None) -> None:
    """``weeks``, ``week_role_families`` and ``countries``, from the tables (SQL)."""
    conn.execute("DELETE FROM week_role_families")
    conn.execute("DELETE FROM weeks")
    weeks = period_range(since, until, "week") if since and until else []
    conn.executemany(
        "INSERT INTO weeks (week, open_postings, new_postings, closed_postings) VALUES (?,0,0,0)",
        [(week.isoformat(),) for week in weeks],
    )
    conn.execute(
        """UPDATE weeks SET open_postings = (
             SELECT count(DISTINCT s.posting_id) FROM segments s
             WHERE s.first_week <= weeks.week AND s."end" >= weeks.week),
           new_postings = (
             SELECT count(*) FROM postings p
             WHERE p.first_seen >= weeks.week AND p.first_seen < date(weeks.week, '+7 days')),
           closed_postings = (
             SELECT count(*) FROM postings p WHERE p.status = 'closed'
             AND p.closed >= weeks.week AND p.closed < date(weeks.week, '+7 days'))"""
    )
    conn.execute(
        """INSERT INTO week_role_families (week, role_family, open_postings)
           SELECT w.week, s.role_family, count(DISTINCT s.posting_id)
           FROM weeks w JOIN segments s ON s.first_week <= w.week AND s."end" >= w.week
           GROUP BY w.week, s.role_family"""
    )
    codes = {
        row[0] or "unknown"
        for row in conn.execute(
            "SELECT DISTINCT country_code FROM segments UNION "
            "SELECT DISTINCT country_code FROM versions"
        )
    }
    known = {row[0] for row in conn.execute("SELECT country_code FROM countries")}
    conn.executemany(
        "INSERT INTO countries (country_code, country_name) VALUES (?, ?)",
        [(code, country_name(code) if code != "unknown" else "") for code in sorted(codes - known)],
    )


def _describe(db: Any) -> None:
    """Table comments as a ``_metadata`` helper is not a SQLite feature: descriptions live in
    ``provenance`` (``table:NAME``) and in Datasette's metadata (``serve``)."""
    db["provenance"].upsert_all(
        [{"key": f"table:{name}", "value": text} for name, text in TABLE_DOCS.items()], pk="key"
    )


# -- writing -------------------------------------------------------------------------------------


@dataclass
class PublishResult:
    path: str
    postings: int
    versions: int
    segments: int
    runs: int
    seconds: float
    incremental: bool = False


class Progress:
    """A progress line on stderr every few seconds (long publishes)."""

    def __init__(self, out: IO[str] | None, label: str) -> None:
        self.out, self.label = out, label
        self.started = self.last = time.monotonic()

    def __call__(self, postings: int, versions: int) -> None:
        now = time.monotonic()
        if self.out is None or now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        rate = postings / max(now - self.started, 1e-9)
        print(
            f"{self.label}: {postings:,} postings, {versions:,} versions ({rate:,.0f} postings/s)",
            file=self.out,
            flush=True,
        )


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``PATH.lock``; :class:`Busy` if another publish holds it."""
    lock_path = path.with_name(path.name + ".lock")
    handle = lock_path.open("a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(
                f"another `jobtracker publish` is writing {path} (lock {lock_path}); "
                "try again when it has finished"
            ) from None
        yield
    finally:
        handle.close()


def check_output(path: Path) -> None:
    """One clear error (``OSError``: exit 1) for an output path that cannot be written."""
    folder = path.parent
    if not folder.is_dir():
        raise OSError(errno.ENOENT, "the output's folder does not exist", str(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OSError(errno.EACCES, "the output's folder is not writable", str(folder))
    if path.is_dir():
        raise OSError(errno.EISDIR, "the output is a folder", str(path))


def read_provenance(path: Path) -> dict[str, str]:
    """The ``provenance`` of a published file; :class:`NotPublished` for any other file."""
    if not path.is_file():
        raise NotPublished(
            f"{str(path)!r} does not exist: give a file written by `jobtracker publish`"
        )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = dict(conn.execute("SELECT key, value FROM provenance").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        rows = {}
    if rows.get("kind") != KIND:
        raise NotPublished(f"{str(path)!r} is not a database written by `jobtracker publish`")
    if rows.get("schema_version") != SCHEMA_VERSION:
        raise NotPublished(
            f"{str(path)!r} was written by another version of `jobtracker publish` "
            f"(schema {rows.get('schema_version')}, this one writes {SCHEMA_VERSION}): "
            "publish it anew"
        )
    return rows


def _store_label(db: Database) -> str:
    from jobtracker.redaction import redact

    client = db.client
    try:
        address = ", ".join(f"{host}:{port}" for host, port in sorted(client.nodes)) or "?"
    except Exception:
        address = "?"
    return redact(f"mongodb://{address}/{db.name}")


def _provenance(
    db: Database,
    scope: Scope,
    since: date | None,
    until: date | None,
    watermark: datetime | None,
    conn: sqlite3.Connection,
) -> list[tuple[str, str]]:
    from jobtracker import __version__

    runs = conn.execute("SELECT count(*), min(run_id), max(started_at) FROM runs").fetchone()
    return [
        ("kind", KIND),
        ("schema_version", SCHEMA_VERSION),
        ("written_at", timestamp(datetime.now(UTC)) or ""),
        ("jobtracker_version", str(__version__)),
        ("store", _store_label(db)),
        ("runs", str(runs[0])),
        ("last_run_started_at", str(runs[2] or "")),
        ("since", since.isoformat() if since else ""),
        ("until", until.isoformat() if until else ""),
        ("since_option", scope.since.isoformat() if scope.since else ""),
        ("until_option", scope.until.isoformat() if scope.until else ""),
        ("filters", json.dumps(scope.filters, sort_keys=True)),
        ("watermark", timestamp(watermark) or ""),
        (
            "definitions",
            "Days are UTC dates. Open on day d: one of the posting's spans covers d (only observed "
            "days count). Version current on d: the greatest first sighting on or before d. "
            "Mentions: whole words, case-insensitive (docs/research.md).",
        ),
    ]


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    conn.executemany(
        f"INSERT OR REPLACE INTO {table} ({quoted}) VALUES ({marks})",
        [tuple(row[c] for c in columns) for row in rows],
    )


class Writer:
    """Batches rows into the file's tables."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        bucket = self.pending.setdefault(table, [])
        for row in rows:
            bucket.append(row)
            self.counts[table] = self.counts.get(table, 0) + 1
        if len(bucket) >= BATCH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.pending):
            _insert(self.conn, name, self.pending.get(name, []))
            self.pending[name] = []


def _posting_rows(
    writer: Writer,
    posting: Mapping[str, Any],
    versions: list[Mapping[str, Any]],
    since: date,
    until: date,
    scope: Scope,
) -> bool:
    """Write one posting (with its versions and changes); False if the scope leaves it out."""
    lights = [light_version(v) for v in versions if v.get("first_seen_at") is not None]
    seg_rows, current = timeline_of(posting, lights, since, until, scope)
    if scope.restricted and not seg_rows:
        return False
    writer.add("postings", [posting_cells(posting)])
    writer.add("versions", versions_with_spans(versions, current))
    ordered = sorted(versions, key=lambda v: int(v.get("version") or 0))
    changes = []
    for before, after in itertools.pairwise(ordered):
        changes.extend(change_cells(posting, before, after))
    writer.add("version_changes", changes)
    writer.add("segments", seg_rows)
    return True


def _runs_rows(db: Database) -> Iterator[dict[str, Any]]:
    from jobtracker.research.run_report import iter_run_rows

    for row in iter_run_rows(db):
        yield {name: _cell(row.get(name), kind) for name, kind in RUN_SCHEMA}


def _durable(path: Path) -> None:
    """Flush the written file to disk before it replaces the output."""
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _open(path: Path) -> tuple[Any, sqlite3.Connection]:
    import sqlite_utils

    conn = sqlite3.connect(str(path), isolation_level=None)
    # A temporary file, renamed over the output only when complete (and deleted on failure):
    # no rollback journal, no syncs until then.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    return sqlite_utils.Database(conn), conn


def publish(
    db: Database,
    output: str | os.PathLike[str],
    *,
    scope: Scope | None = None,
    incremental: bool = False,
    progress: IO[str] | None = sys.stderr,
) -> PublishResult:
    """Write (or with ``incremental`` bring up to date) the SQLite file ``output``."""
    from jobtracker.research.trends import resolve_range
    from jobtracker.store.queries import latest_observation

    scope = scope or Scope()
    path = Path(output)
    check_output(path)
    started = time.perf_counter()
    with file_lock(path):
        if incremental:
            provenance = read_provenance(path)
            return _incremental(db, path, provenance, progress, started)
        watermark = latest_observation(db)
        since, until = resolve_range(db, scope.since, scope.until)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            partial.unlink(missing_ok=True)
            sdb, conn = _open(partial)
            _create(sdb)
            counts = _full(db, conn, since, until, scope, progress)
            _finish(sdb, conn, db, scope, since, until, watermark, fts="create")
            conn.close()
            _durable(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return PublishResult(
        str(path),
        counts.get("postings", 0),
        counts.get("versions", 0),
        counts.get("segments", 0),
        counts.get("runs", 0),
        time.perf_counter() - started,
    )


def _full(
    db: Database,
    conn: sqlite3.Connection,
    since: date | None,
    until: date | None,
    scope: Scope,
    progress: IO[str] | None,
) -> dict[str, int]:
    from jobtracker.research.exports import _HTML
    from jobtracker.research.timeline import join_versions
    from jobtracker.store.queries import iter_postings, iter_versions

    writer = Writer(conn)
    conn.execute("BEGIN")
    if since is not None and until is not None:
        end = datetime.combine(until + ONE_DAY, datetime.min.time(), tzinfo=UTC)
        tick = Progress(progress, "publish")
        posting_projection = {**_HTML, **{name: 0 for name in FTS_COLUMNS[1:]}}
        version_projection = {f"snapshot.{name}": 0 for name in _HTML}
        for posting, versions in join_versions(
            iter_postings(db, posting_projection), iter_versions(db, version_projection)
        ):
            kept = [
                v for v in versions if v.get("first_seen_at") is None or v["first_seen_at"] < end
            ]
            _posting_rows(writer, posting, kept, since, until, scope)
            tick(writer.counts.get("postings", 0), writer.counts.get("versions", 0))
    writer.add("runs", _runs_rows(db))
    writer.flush()
    conn.execute("COMMIT")
    return writer.counts


def _finish(
    sdb: Any,
    conn: sqlite3.Connection,
    db: Database,
    scope: Scope,
    since: date | None,
    until: date | None,
    watermark: datetime | None,
    *,
    fts: str,
) -> None:
    conn.execute("BEGIN")
    _summaries(conn, since, until)
    conn.execute("COMMIT")
    if fts == "create":
        sdb["versions"].enable_fts(list(FTS_COLUMNS), create_triggers=False, tokenize="unicode61")
        _index(sdb)
    conn.execute("BEGIN")
    conn.execute("DELETE FROM provenance")
    conn.executemany(
        "INSERT INTO provenance (key, value) VALUES (?, ?)",
        _provenance(db, scope, since, until, watermark, conn),
    )
    conn.execute("COMMIT")
    _describe(sdb)
    if fts == "create":  # a full publish; an increment keeps the statistics it had
        conn.execute("ANALYZE")


# -- incremental ---------------------------------------------------------------------------------


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _file_versions(conn: sqlite3.Connection, posting_id: str) -> list[LightVersion]:
    rows = conn.execute(
        "SELECT version_id, version, first_seen_at, country_code, role_family, job_category, "
        "business_category, posting_id FROM versions WHERE posting_id = ?",
        (posting_id,),
    ).fetchall()
    out = []
    for vid, number, seen, country, family, job, business, pid in rows:
        snapshot = {
            "country_code": country,
            "role_family": family,
            "job_category": job,
            "business_category": business,
        }
        out.append(
            LightVersion(
                version_id=vid,
                version=int(number),
                first_seen_at=parse_timestamp(seen),  # type: ignore[arg-type]
                country=group_value(snapshot, "country"),
                role_family=group_value(snapshot, "role_family"),
                source=str(pid).partition(":")[0],
                snapshot=snapshot,
            )
        )
    return out


def _scope_of(provenance: Mapping[str, str]) -> Scope:
    filters = json.loads(provenance.get("filters") or "{}")
    keep = VersionFilter.build(
        filters.get("countries"),
        filters.get("job_categories"),
        filters.get("business_categories"),
        filters.get("role_families"),
        filters.get("sources"),
    )
    since = provenance.get("since_option")
    until = provenance.get("until_option")
    return Scope(
        since=date.fromisoformat(since) if since else None,
        until=date.fromisoformat(until) if until else None,
        keep=keep,
        filters=filters,
    )


def _incremental(
    db: Database,
    path: Path,
    provenance: Mapping[str, str],
    progress: IO[str] | None,
    started: float,
) -> PublishResult:
    from jobtracker.research.exports import _HTML
    from jobtracker.research.trends import resolve_range
    from jobtracker.store.queries import (
        CHUNK,
        VERSIONS,
        find_by_ids,
        latest_observation,
        postings_observed_since,
        version_ids,
        versions_first_seen_since,
        versions_of_postings,
    )

    scope = _scope_of(provenance)
    if scope.until is not None:
        raise ValueError(
            f"{path} was published with --until {scope.until}: nothing after it can be added "
            "(publish it anew)"
        )
    mark = parse_timestamp(provenance.get("watermark"))
    watermark = latest_observation(db)
    since, until = resolve_range(db, scope.since, scope.until)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    tick = Progress(progress, "publish --incremental")
    try:
        shutil.copyfile(path, partial)
        sdb, conn = _open(partial)
        writer = Writer(conn)
        conn.execute("BEGIN")
        fts_from = conn.execute("SELECT coalesce(max(rowid), 0) FROM versions").fetchone()[0]
        if mark is not None and since is not None and until is not None:
            # 1. Versions first seen since the mark: whole, with their changes.
            new_versions: dict[str, list[dict[str, Any]]] = {}
            for doc in versions_first_seen_since(
                db, mark, {f"snapshot.{name}": 0 for name in _HTML}
            ):
                new_versions.setdefault(doc["posting_id"], []).append(doc)
            # 2. Every posting observed since the mark: its row and segments anew.
            projection = {**_HTML, **{name: 0 for name in FTS_COLUMNS[1:]}}
            observed: list[tuple[str, int]] = []
            for posting in postings_observed_since(db, mark, projection):
                pid = posting["_id"]
                observed.append((pid, int(posting.get("version") or 0)))
                fresh = new_versions.pop(pid, [])
                known = {v.version_id: v for v in _file_versions(conn, pid)}
                added = [v for v in fresh if str(v["_id"]) not in known]
                if added:
                    previous = versions_of_postings(db, [pid], {f"snapshot.{n}": 0 for n in _HTML})
                    ordered = sorted(previous, key=lambda v: int(v.get("version") or 0))
                    by_number = {int(v.get("version") or 0): v for v in ordered}
                    changes = []
                    for doc in added:
                        number = int(doc.get("version") or 0)
                        if number - 1 in by_number:
                            changes.extend(change_cells(posting, by_number[number - 1], doc))
                    writer.add("version_changes", changes)
                lights = [*known.values(), *(light_version(v) for v in added)]
                seg_rows, current = timeline_of(posting, lights, since, until, scope)
                conn.execute("DELETE FROM segments WHERE posting_id = ?", (pid,))
                if scope.restricted and not seg_rows and not known:
                    continue
                writer.add("postings", [posting_cells(posting)])
                writer.add("versions", versions_with_spans(added, current))
                conn.executemany(
                    "UPDATE versions SET counted = ?, current_from = ?, current_until = ? "
                    "WHERE version_id = ?",
                    [(*current[vid], vid) for vid in known],
                )
                writer.add("segments", seg_rows)
                tick(writer.counts.get("postings", 0), writer.counts.get("versions", 0))
            # 3. Their versions' last sightings (a closure moves the current one's back).
            for chunk in _chunks(observed, CHUNK):
                ids = [vid for pid, last in chunk for vid in version_ids(pid, last)]
                conn.executemany(
                    "UPDATE versions SET last_seen_at = ? WHERE version_id = ?",
                    [
                        (timestamp(doc.get("last_seen_at")), doc["_id"])
                        for doc in find_by_ids(db, VERSIONS, ids, {"last_seen_at": 1})
                    ],
                )
        conn.execute("DELETE FROM runs")
        writer.add("runs", _runs_rows(db))
        writer.flush()
        columns = ", ".join(FTS_COLUMNS)
        conn.execute(
            f"INSERT INTO versions_fts (rowid, {columns}) "
            f"SELECT rowid, {columns} FROM versions WHERE rowid > ?",
            (fts_from,),
        )
        conn.execute("COMMIT")
        _finish(sdb, conn, db, scope, since, until, watermark, fts="keep")
        conn.close()
        _durable(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    counts = writer.counts
    return PublishResult(
        str(path),
        counts.get("postings", 0),
        counts.get("versions", 0),
        counts.get("segments", 0),
        counts.get("runs", 0),
        time.perf_counter() - started,
        incremental=True,
    )


#: Used by the command line to name what a missing package would have done.
Runner = Callable[..., PublishResult]
