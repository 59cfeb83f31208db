"""One posting's history: its spans, its versions, and what changed between versions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jobtracker.research.diff import display_value, field_diff
from jobtracker.research.timeline import utc_date

if TYPE_CHECKING:
    import pandas as pd
    from pymongo.database import Database


class UnknownPosting(LookupError):
    """No posting (or more than one) has the given id."""


SUMMARY_FIELDS = (
    "_id",
    "source",
    "source_id",
    "title",
    "url",
    "status",
    "first_seen_at",
    "last_seen_at",
    "closed_at",
    "missing_since",
    "version",
    "country_code",
    "job_category",
    "business_category",
    "posted_date",
)


@dataclass
class PostingHistory:
    """``posting``: summary fields; ``spans``, ``versions``, ``diffs``: DataFrames."""

    posting: dict[str, Any]
    spans: pd.DataFrame
    versions: pd.DataFrame
    diffs: pd.DataFrame
    snapshots: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): the summary and one list of records per table."""
        from jobtracker.research.output import records

        return {
            "posting": self.posting,
            "spans": records(self.spans),
            "versions": records(self.versions),
            "diffs": records(self.diffs.drop(columns=["old", "new"])),
        }

    def render(self) -> str:
        """The history as text for a terminal (no control characters: every line goes through
        :func:`~jobtracker.research.output.terminal_text`)."""
        from jobtracker.research.output import format_table, format_value, terminal_text

        p = {
            name: terminal_text(value) if isinstance(value, str) else value
            for name, value in self.posting.items()
        }
        lines = [
            f"Posting {p['_id']}: {p.get('title') or ''}",
            f"  url:        {p.get('url') or ''}",
            f"  status:     {p.get('status')}"
            + (f" (closed at {format_value(p.get('closed_at'))})" if p.get("closed_at") else "")
            + (
                f" (missing since {format_value(p.get('missing_since'))}, awaiting confirmation)"
                if p.get("missing_since")
                else ""
            ),
            f"  first seen: {format_value(p.get('first_seen_at'))}",
            f"  last seen:  {format_value(p.get('last_seen_at'))}",
            f"  country: {p.get('country_code') or ''}   job category: "
            f"{p.get('job_category') or ''}   business category: {p.get('business_category') or ''}"
            f"   posted: {format_value(p.get('posted_date'))}",
            "",
            "Spans (open intervals; 'open through' is the last sighting):",
            format_table(self.spans, indent=2),
            "",
            f"Versions ({len(self.versions)}):",
            format_table(self.versions, indent=2),
        ]
        if not self.diffs.empty:
            lines += ["", "Changes:"]
            for (old, new), rows in self.diffs.groupby(["from_version", "to_version"], sort=True):
                when = format_value(rows["changed_at"].iloc[0])
                fields = ", ".join(rows["field"])
                lines.append(f"  v{old} -> v{new} (first seen {when}): {fields}")
                for _, row in rows.iterrows():
                    diff = str(row["diff"])
                    if "\n" in diff or len(diff) > 90:
                        lines.append(f"    {row['field']}:")
                        lines.extend(f"      {line}" for line in diff.splitlines())
                    else:
                        lines.append(f"    {row['field']}: {diff}")
        return "\n".join(terminal_text(line) for line in "\n".join(lines).split("\n"))


def _find(db: Database, key: str) -> dict[str, Any]:
    from jobtracker.store.queries import find_postings

    found = find_postings(db, key)
    if not found:
        raise UnknownPosting(f"no posting with id {key!r} (use <source>:<id> or the site's id)")
    if len(found) > 1:
        ids = ", ".join(doc["_id"] for doc in found)
        raise UnknownPosting(f"{key!r} is ambiguous: {ids}; give the full id")
    return found[0]


def history(db: Database, posting_id: str) -> PostingHistory:
    """The history of one posting (``amazon_jobs:10483953`` or just ``10483953``).

    Raises :class:`UnknownPosting` (a ``LookupError``) for an unknown or ambiguous id.
    """
    import pandas as pd

    from jobtracker.store.content import changed_fields, content_fields_of
    from jobtracker.store.queries import versions_of_posting

    doc = _find(db, posting_id)
    summary = {name: doc.get(name) for name in SUMMARY_FIELDS}
    if isinstance(summary.get("posted_date"), datetime):
        summary["posted_date"] = utc_date(summary["posted_date"])
    last_seen = doc.get("last_seen_at")
    span_rows = []
    for k, span in enumerate(doc.get("spans") or [], start=1):
        through = span.get("to") or last_seen
        span_rows.append(
            {
                "span": k,
                "from": span.get("from"),
                "to": span.get("to"),
                "open_through": through,
                "days_open": (utc_date(through) - utc_date(span["from"])).days + 1
                if through and span.get("from")
                else None,
            }
        )
    spans = pd.DataFrame(span_rows, columns=["span", "from", "to", "open_through", "days_open"])
    versions = versions_of_posting(db, doc["_id"])
    version_rows = [
        {
            "version": v["version"],
            "first_seen_at": v.get("first_seen_at"),
            "last_seen_at": v.get("last_seen_at"),
            "run_id": v.get("run_id"),
            "title": (v.get("snapshot") or {}).get("title"),
            "changed_fields": ", ".join(v.get("changed_fields") or [])
            if v["version"] > 1
            else "(first version)",
        }
        for v in versions
    ]
    version_frame = pd.DataFrame(
        version_rows,
        columns=["version", "first_seen_at", "last_seen_at", "run_id", "title", "changed_fields"],
    )
    diff_rows = []
    for before, after in itertools.pairwise(versions):
        old, new = before.get("snapshot") or {}, after.get("snapshot") or {}
        for name in changed_fields(old, new, doc["source"]):
            assert name in content_fields_of(new, doc["source"])
            diff_rows.append(
                {
                    "from_version": before["version"],
                    "to_version": after["version"],
                    "changed_at": after.get("first_seen_at"),
                    "field": name,
                    "old": display_value(name, old.get(name)),
                    "new": display_value(name, new.get(name)),
                    "diff": field_diff(name, old.get(name), new.get(name)),
                }
            )
    diffs = pd.DataFrame(
        diff_rows,
        columns=["from_version", "to_version", "changed_at", "field", "old", "new", "diff"],
    )
    for frame, columns in (
        (spans, ["from", "to", "open_through"]),
        (version_frame, ["first_seen_at", "last_seen_at"]),
        (diffs, ["changed_at"]),
    ):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return PostingHistory(summary, spans, version_frame, diffs, versions)
