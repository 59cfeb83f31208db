"""Exports: postings, versions, runs and the posting-day panel as CSV, Parquet or JSON Lines.

Every export streams: documents come from a MongoDB cursor, are flattened one at a time and
written row by row (CSV, JSON Lines) or in row groups of ``batch_size`` rows (Parquet, through
``pyarrow.parquet.ParquetWriter``), so memory stays flat whatever the size of the store. Files
are written to ``PATH.partial`` and renamed when complete; ``-`` writes CSV or JSON Lines to
standard output.

Column types are fixed per export (the same in every format): times are UTC (Parquet
``timestamp[ms, UTC]``, text ``2026-07-01T06:00:00.000Z``), days are dates, lists are Parquet
lists / JSON arrays / ``"; "``-joined CSV cells, nested documents are JSON text. CSV cells that
a spreadsheet would run as a formula are neutralized (see :mod:`jobtracker.research.output`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from jobtracker.research.output import json_value, write_csv_rows
from jobtracker.research.postings import iter_panel
from jobtracker.research.run_report import iter_run_rows
from jobtracker.research.selection import VersionFilter, role_family_of
from jobtracker.research.timeline import open_intervals, utc_date

if TYPE_CHECKING:
    from pymongo.database import Database

WHATS = ("postings", "versions", "runs", "panel")
FORMATS = ("csv", "parquet", "jsonl")
BATCH_SIZE = 5000

#: (column, kind); kinds: str, int, float, bool, ts (UTC time), date, list (of str), json.
CONTENT_SCHEMA: list[tuple[str, str]] = [
    ("title", "str"),
    ("url", "str"),
    ("job_category", "str"),
    ("job_family", "str"),
    ("business_category", "str"),
    ("role_family", "str"),
    ("role_family_label", "str"),
    ("soc_code", "str"),
    ("team", "str"),
    ("company_name", "str"),
    ("schedule_type", "str"),
    ("country_code", "str"),
    ("country_codes", "list"),
    ("location_raw", "str"),
    ("locations", "list"),
    ("posted_date", "date"),
    ("pay", "json"),
    ("description_text", "str"),
    ("basic_qualifications_text", "str"),
    ("preferred_qualifications_text", "str"),
]
POSTING_SCHEMA: list[tuple[str, str]] = [
    ("posting_id", "str"),
    ("source", "str"),
    ("source_id", "str"),
    ("status", "str"),
    ("first_seen_at", "ts"),
    ("last_seen_at", "ts"),
    ("closed_at", "ts"),
    ("missing_since", "ts"),
    ("spans", "json"),
    ("days_open", "int"),
    ("version", "int"),
    ("content_hash", "str"),
    *CONTENT_SCHEMA,
]
VERSION_SCHEMA: list[tuple[str, str]] = [
    ("version_id", "str"),
    ("posting_id", "str"),
    ("version", "int"),
    ("content_hash", "str"),
    ("first_seen_at", "ts"),
    ("last_seen_at", "ts"),
    ("run_id", "str"),
    ("changed_fields", "list"),
    *CONTENT_SCHEMA,
]
RUN_SCHEMA: list[tuple[str, str]] = [
    ("run_id", "str"),
    ("started_at", "ts"),
    ("finished_at", "ts"),
    ("duration_s", "float"),
    ("source", "str"),
    ("scope", "str"),
    ("keyword_run", "bool"),
    ("finish_reason", "str"),
    ("finish", "str"),
    ("complete", "bool"),
    ("plan", "str"),
    ("plan_reason", "str"),
    ("partitions", "int"),
    ("partitions_complete", "int"),
    ("postings_seen", "int"),
    ("new", "int"),
    ("updated", "int"),
    ("unchanged", "int"),
    ("reopened", "int"),
    ("marked_missing", "int"),
    ("closed", "int"),
    ("held", "int"),
    ("late", "int"),
    ("unsaved", "int"),
    ("spill_imported", "int"),
    ("closure", "str"),
    ("held_by", "list"),
    ("held_reason", "str"),
    ("spill_changes", "json"),
    ("tiled_sites", "list"),
    ("tiling_covered", "bool"),
    ("notes", "list"),
]
PANEL_SCHEMA: list[tuple[str, str]] = [
    ("date", "date"),
    ("posting_id", "str"),
    ("version", "int"),
    ("country_code", "str"),
    ("job_category", "str"),
    ("business_category", "str"),
    ("role_family", "str"),
    ("posted_date", "date"),
    ("first_seen_date", "date"),
]


def _content(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    family = snapshot.get("role_family")
    family = family if isinstance(family, Mapping) else {}
    posted = snapshot.get("posted_date")
    return {
        "title": snapshot.get("title"),
        "url": snapshot.get("url"),
        "job_category": snapshot.get("job_category"),
        "job_family": snapshot.get("job_family"),
        "business_category": snapshot.get("business_category"),
        "role_family": role_family_of(snapshot),
        "role_family_label": family.get("role_family_label"),
        "soc_code": family.get("soc_code"),
        "team": snapshot.get("team"),
        "company_name": snapshot.get("company_name"),
        "schedule_type": snapshot.get("schedule_type"),
        "country_code": snapshot.get("country_code"),
        "country_codes": list(snapshot.get("country_codes") or []),
        "location_raw": snapshot.get("location_raw"),
        "locations": [
            str(loc.get("raw") or "") if isinstance(loc, Mapping) else str(loc)
            for loc in snapshot.get("locations") or []
        ],
        "posted_date": utc_date(posted) if isinstance(posted, (datetime, date)) else None,
        "pay": snapshot.get("pay"),
        "description_text": snapshot.get("description_text"),
        "basic_qualifications_text": snapshot.get("basic_qualifications_text"),
        "preferred_qualifications_text": snapshot.get("preferred_qualifications_text"),
    }


def posting_row(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A ``postings`` document as a flat row (``POSTING_SCHEMA``)."""
    days_open = sum((last - first).days + 1 for first, last in open_intervals(doc))
    return {
        "posting_id": doc["_id"],
        "source": doc.get("source"),
        "source_id": doc.get("source_id"),
        "status": doc.get("status"),
        "first_seen_at": doc.get("first_seen_at"),
        "last_seen_at": doc.get("last_seen_at"),
        "closed_at": doc.get("closed_at"),
        "missing_since": doc.get("missing_since"),
        "spans": doc.get("spans") or [],
        "days_open": days_open,
        "version": doc.get("version"),
        "content_hash": doc.get("content_hash"),
        **_content(doc),
    }


def version_row(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A ``posting_versions`` document as a flat row (``VERSION_SCHEMA``)."""
    return {
        "version_id": doc["_id"],
        "posting_id": doc.get("posting_id"),
        "version": doc.get("version"),
        "content_hash": doc.get("content_hash"),
        "first_seen_at": doc.get("first_seen_at"),
        "last_seen_at": doc.get("last_seen_at"),
        "run_id": doc.get("run_id"),
        "changed_fields": list(doc.get("changed_fields") or []),
        **_content(doc.get("snapshot") or {}),
    }


_HTML = {"description_html": 0, "basic_qualifications_html": 0, "preferred_qualifications_html": 0}


def export_rows(
    db: Database,
    what: str,
    *,
    since: date | None = None,
    until: date | None = None,
    phrase: str | None = None,
    fields: Iterable[str] | None = None,
    keep: VersionFilter | None = None,
) -> tuple[list[tuple[str, str]], Iterator[dict[str, Any]]]:
    """The schema and the (lazy) rows of one export."""
    from jobtracker.store import queries

    if what == "postings":
        return POSTING_SCHEMA, (posting_row(d) for d in queries.iter_postings(db, _HTML))
    if what == "versions":
        projection = {f"snapshot.{name}": 0 for name in _HTML}
        return VERSION_SCHEMA, (version_row(d) for d in queries.iter_versions(db, projection))
    if what == "runs":
        return RUN_SCHEMA, iter_run_rows(db)
    if what == "panel":
        schema = [*PANEL_SCHEMA, *([("mentions", "bool")] if phrase else [])]
        rows = iter_panel(db, since=since, until=until, phrase=phrase, fields=fields, keep=keep)
        return schema, rows
    raise ValueError(f"unknown export {what!r} (choose from {', '.join(WHATS)})")


# -- writers -----------------------------------------------------------------------------------


def _flat(value: Any, kind: str) -> Any:
    """A value for CSV: JSON kinds become JSON text."""
    if kind == "json":
        return None if value in (None, []) else json.dumps(json_value(value), ensure_ascii=False)
    return value


def write_csv(rows: Iterable[dict], schema: list[tuple[str, str]], handle: IO[str]) -> int:
    kinds = dict(schema)
    flat = ({name: _flat(row.get(name), kinds[name]) for name in kinds} for row in rows)
    return write_csv_rows(flat, [name for name, _ in schema], handle)


def write_jsonl(rows: Iterable[dict], schema: list[tuple[str, str]], handle: IO[str]) -> int:
    names = [name for name, _ in schema]
    count = 0
    for row in rows:
        record = {name: json_value(row.get(name)) for name in names}
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def arrow_schema(schema: list[tuple[str, str]]) -> Any:
    import pyarrow as pa

    types = {
        "str": pa.string(),
        "json": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "ts": pa.timestamp("ms", tz="UTC"),
        "date": pa.date32(),
        "list": pa.list_(pa.string()),
    }
    return pa.schema([(name, types[kind]) for name, kind in schema])


def write_parquet(
    rows: Iterable[dict],
    schema: list[tuple[str, str]],
    path: Path,
    batch_size: int = BATCH_SIZE,
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = arrow_schema(schema)
    kinds = dict(schema)
    count = 0
    with pq.ParquetWriter(path, arrow, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            columns = {
                name: [_parquet_value(row.get(name), kind) for row in batch]
                for name, kind in kinds.items()
            }
            writer.write_table(pa.Table.from_pydict(columns, schema=arrow))
            batch.clear()

        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) >= batch_size:
                flush()
        if batch or count == 0:
            flush()
    return count


def _parquet_value(value: Any, kind: str) -> Any:
    if kind == "json":
        return _flat(value, kind)
    if kind == "date" and isinstance(value, datetime):
        return utc_date(value)
    if kind == "list" and value is not None:
        return [str(v) for v in value]
    return value


@dataclass
class ExportResult:
    what: str
    fmt: str
    path: str
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def export(
    db: Database,
    what: str,
    fmt: str,
    output: str | os.PathLike[str],
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
    batch_size: int = BATCH_SIZE,
) -> ExportResult:
    """Write one export (``what`` in postings, versions, runs, panel; ``fmt`` in csv, parquet,
    jsonl) to ``output`` (``-``: standard output, CSV/JSON Lines only). ``since``/``until``,
    ``phrase`` (adds a ``mentions`` column) and the filters apply to the panel."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if what not in WHATS:
        raise ValueError(f"unknown export {what!r} (choose from {', '.join(WHATS)})")
    to_stdout = str(output) == "-"
    if to_stdout and fmt == "parquet":
        raise ValueError("Parquet needs a file: give --output PATH")
    keep = VersionFilter.build(
        countries, job_categories, business_categories, role_families, sources
    )
    started = time.perf_counter()
    schema, rows = export_rows(
        db, what, since=since, until=until, phrase=phrase, fields=fields, keep=keep
    )
    if to_stdout:
        writer = write_csv if fmt == "csv" else write_jsonl
        count = writer(rows, schema, sys.stdout)
        sys.stdout.flush()
        return ExportResult(what, fmt, "-", count, time.perf_counter() - started)
    path = Path(output)
    if path.parent and not path.parent.exists():
        raise ValueError(f"directory {str(path.parent)!r} does not exist")
    partial = path.with_name(path.name + ".partial")
    try:
        if fmt == "parquet":
            count = write_parquet(rows, schema, partial, batch_size)
        else:
            with partial.open("w", encoding="utf-8", newline="") as handle:
                writer = write_csv if fmt == "csv" else write_jsonl
                count = writer(rows, schema, handle)
        partial.replace(path)
    finally:
        if partial.exists():
            partial.unlink()
    return ExportResult(what, fmt, str(path), count, time.perf_counter() - started)
