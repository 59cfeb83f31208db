"""``--evidence archive|both`` of ``trend``, ``first-seen`` and ``history`` (called by the
handlers of :mod:`jobtracker.research.cli`, which keep their error handling)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from jobtracker.research.cli import BadInput, _emit, _fmt, _limit

#: The one site the backfill reads from web archives (www.amazon.jobs job pages).
ARCHIVED_SITE = "amazon_jobs"


def _archive_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters an archive sighting can answer; BadInput for the others."""
    if filters.get("job_categories") or filters.get("business_categories"):
        raise BadInput(
            "--job-category/--business-category: archive sightings have no Amazon category "
            "(use --countries or --role-family)"
        )
    others = sorted(set(filters.get("sources") or ()) - {ARCHIVED_SITE})
    if others:
        raise BadInput(
            f"--source {','.join(others)}: archive sightings are of {ARCHIVED_SITE} only"
        )
    return {"countries": filters.get("countries"), "role_families": filters.get("role_families")}


def archive_trend_command(
    args: argparse.Namespace,
    phrase: str,
    since: date | None,
    until: date | None,
    filters: dict[str, Any],
    fields: tuple[str, ...],
) -> int:
    from jobtracker.research.archive_evidence import (
        ARCHIVE_GROUPINGS,
        archive_trend,
        describe_archive,
        trend_both,
    )
    from jobtracker.research.cli import _connect
    from jobtracker.research.output import format_table

    if args.by and args.by not in ARCHIVE_GROUPINGS:
        raise BadInput(
            f"--by {args.by}: archive sightings have no Amazon category (use --by country "
            "or --by role_family)"
        )
    kept = _archive_filters(filters)
    db = _connect(args)
    compute = archive_trend if args.evidence == "archive" else trend_both
    frame = compute(
        db, phrase, freq=args.freq, by=args.by, since=since, until=until, fields=fields, **kept
    )
    fmt = _fmt(args)
    caption = describe_archive(frame)
    if fmt == "table":
        print(caption)
        print(format_table(frame, empty="(no archive evidence in this range)"))
    else:
        _emit(frame, args)
        if args.evidence == "both":
            print(caption.splitlines()[-1], file=sys.stderr)
    if args.plot:
        from jobtracker.research.plot import plot_archive_trend

        path = plot_archive_trend(frame, args.plot)
        print(f"Chart written to {path}", file=sys.stderr if fmt != "table" else sys.stdout)
    return 0


def archive_first_seen_command(
    args: argparse.Namespace,
    db: Any,
    phrase: str,
    since: date | None,
    until: date | None,
    filters: dict[str, Any],
    fields: tuple[str, ...],
) -> int:
    from jobtracker.research.archive_evidence import archive_first_seen, first_seen_both
    from jobtracker.research.output import format_table
    from jobtracker.research.postings import first_seen

    kept = _archive_filters(filters)
    frame = archive_first_seen(db, phrase, fields=fields, since=since, until=until, **kept)
    if args.evidence == "both":
        live = first_seen(db, phrase, fields=fields, since=since, until=until, **filters)
        frame = first_seen_both(live, frame)
    total = len(frame)
    frame = _limit(frame, args)
    if _fmt(args) != "table":
        _emit(frame, args)
        return 0
    shown = f"; showing {len(frame)}" if len(frame) < total else ""
    print(
        f"{total} postings mentioned {phrase!r} at some point{shown} (first_seen: the first "
        f"{'live version or archive sighting' if args.evidence == 'both' else 'archive sighting'}"
        " that mentions it; evidence says which; earliest first)"
    )
    columns = ["posting_id", "first_seen", "evidence", "status", "country_code", "title"]
    print(format_table(frame[[*columns, "capture_url"]], max_width=70))
    return 0


def archive_history_command(args: argparse.Namespace, db: Any, key: str) -> int:
    import json

    from jobtracker.research.archive_evidence import posting_sightings
    from jobtracker.research.output import format_table, json_value, records, write_frame
    from jobtracker.research.posting_history import UnknownPosting, history

    posting_id = key if ":" in key else f"amazon_jobs:{key}"
    sightings = posting_sightings(db, posting_id)
    live = None
    if args.evidence == "both":
        try:
            live = history(db, key)
        except UnknownPosting:
            if sightings.empty:
                raise
    if sightings.empty and live is None:
        raise UnknownPosting(f"no archive sighting of {posting_id!r}")
    fmt = _fmt(args)
    if fmt == "json":
        result: dict[str, Any] = live.as_dict() if live is not None else {}
        result["archive_sightings"] = records(sightings)
        json.dump(json_value(result), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif fmt == "csv":
        if live is not None and args.part != "sightings":
            part = {"spans": live.spans, "versions": live.versions, "diffs": live.diffs}
            write_frame(part[args.part], "csv", sys.stdout)
        else:
            write_frame(sightings, "csv", sys.stdout)
    else:
        if live is not None:
            print(live.render())
            print()
        else:
            print(f"Posting {posting_id}: not seen by a live crawl")
        print(
            f"Archive sightings ({len(sightings)}; evidence: archive, each with its capture; "
            "a sighting proves the page was online then, not the days between):"
        )
        print(format_table(sightings, indent=2, max_width=70))
    return 0


def archive_active_command(
    args: argparse.Namespace,
    db: Any,
    on: date | None,
    phrase: str | None,
    filters: dict[str, Any],
    fields: tuple[str, ...],
) -> int:
    from jobtracker.research.archive_evidence import archive_active
    from jobtracker.research.output import format_table

    if on is None:
        raise BadInput("--on is required")
    if args.by and args.by not in ("country", "role_family"):
        raise BadInput(f"--by {args.by}: archive sightings have no Amazon category")
    kept = _archive_filters(filters)
    frame = archive_active(db, on, phrase=phrase, fields=fields, **kept)
    what = (
        f"{len(frame)} postings the archives show open on {on}"
        + (f" mentioning {phrase!r}" if phrase else "")
        + " (observed: sighted that day; bracketed: sighted before and after, inferred)"
    )
    if args.by:
        column = "country_code" if args.by == "country" else args.by
        counts = (
            frame.fillna({column: "unknown"})
            .groupby([column, "tier"])
            .size()
            .rename("postings")
            .reset_index()
        )
        _emit(counts, args, f"{what}, by {args.by}:")
        return 0
    total = len(frame)
    frame = _limit(frame, args)
    if _fmt(args) == "table":
        shown = f" (showing {len(frame)})" if len(frame) < total else ""
        print(what + shown + ":")
        print(format_table(frame, max_width=60))
        return 0
    _emit(frame, args)
    return 0
