"""``jobtracker backfill``: history before the first crawl, from web archives (docs/backfill.md).

- ``backfill run --archive wayback|commoncrawl|all``: runs the spiders
  ``amazon_jobs_wayback`` / ``amazon_jobs_commoncrawl`` through ``scrapy crawl`` (a Scrapy run,
  as scrapyd would run it; the command line never imports Scrapy), one after the other.
- ``backfill status``: per archive, what is listed, fetched, sighted, rejected and left, and
  how the last run ended.
- ``backfill reparse``: parse every kept payload again (no request).
- ``backfill calibrate``: the share of live-open postings the archives sighted, per week.

Exit status (the one policy of the command line): 0 done, 1 a run failed or stopped (blocked,
rate-limited, MongoDB down: run again to resume), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from jobtracker.research.cli import BadInput, command_handler, connect_args, mongo_options

SPIDERS = {"wayback": "amazon_jobs_wayback", "commoncrawl": "amazon_jobs_commoncrawl"}


def _archives(choice: str) -> list[str]:
    return list(SPIDERS) if choice == "all" else [choice]


@command_handler
def _run(args: argparse.Namespace) -> int:
    from jobtracker.research.cli import parse_day

    start = parse_day(args.from_, "--from")
    end = parse_day(args.to, "--to")
    if start and end and start > end:
        raise BadInput(f"--from {start} is after --to {end}")
    db = connect_args(args)  # one clear line now if MongoDB is not there
    uri = args.mongo_uri or os.environ.get("MONGO_URI") or ""
    env = {
        **os.environ,
        "MONGO_URI": uri,
        "MONGO_DATABASE": db.name,
        "SCRAPY_SETTINGS_MODULE": "jobtracker.settings",
    }
    worst = 0
    for archive in _archives(args.archive):
        command = [sys.executable, "-m", "scrapy", "crawl", SPIDERS[archive]]
        if start:
            command += ["-a", f"from={start.isoformat()}"]
        if end:
            command += ["-a", f"to={end.isoformat()}"]
        for setting in args.set or []:
            command += ["-s", setting]
        print(f"backfill {archive}: {' '.join(command[2:])}", file=sys.stderr)
        code = subprocess.call(command, env=env)
        if code:
            print(
                f"jobtracker backfill run: {archive} stopped (exit {code}); run the same "
                "command again to resume",
                file=sys.stderr,
            )
            worst = max(worst, 1 if code != 2 else 2)
            if code == 2:
                break
    return worst


@command_handler
def _status(args: argparse.Namespace) -> int:
    from jobtracker.store.archive import archive_status

    status = archive_status(connect_args(args))
    if args.json:
        json.dump(status, sys.stdout, indent=1, default=_json_default)
        print()
        return 0
    if not status:
        print("no archive captures listed yet: run `jobtracker backfill run --archive all`")
        return 0
    for archive, entry in sorted(status.items()):
        rejected = ", ".join(f"{reason} {n:,}" for reason, n in entry["rejected"].items())
        print(
            f"{archive}: {entry['listed']:,} captures listed, {entry['fetched']:,} fetched, "
            f"{entry['sightings']:,} sightings of {entry['postings']:,} postings, "
            f"{sum(entry['rejected'].values()):,} rejected ({rejected or 'none'}), "
            f"{entry['failed']:,} failed, {entry['left']:,} left"
        )
        last = entry.get("last_run")
        if last:
            when = last["finished_at"] or last["started_at"]
            detail = f": {last['detail']}" if last.get("detail") else ""
            print(f"  last run {last['run_id']}: {last['reason']} at {_iso(when)}{detail}")
    return 0


@command_handler
def _reparse(args: argparse.Namespace) -> int:
    from jobtracker.store.archive import reparse_store

    db = connect_args(args)
    directory = args.archive_dir or os.environ.get("JOBTRACKER_ARCHIVE_DIR") or "var/archive"
    counts = reparse_store(db, directory, now=datetime.now(UTC), dry_run=args.dry_run)
    if args.json:
        json.dump(counts, sys.stdout, indent=1)
        print()
    else:
        for name, value in sorted(counts.items()):
            print(f"{name}: {value:,}")
    return 1 if counts.get("missing_payload") else 0


@command_handler
def _calibrate(args: argparse.Namespace) -> int:
    from jobtracker.store.archive import calibrate

    field = {"country": "country_code", "category": "business_category"}[args.by]
    result = calibrate(connect_args(args), by=field)
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
        return 0
    if not result["weeks"]:
        print("no week with both live crawls and archive sightings: nothing to calibrate")
        return 0
    print(
        f"{result['weeks']} weeks where live crawls and archive sightings overlap; share of "
        "live-open postings the archives sighted that week:"
    )
    for row in [*result["groups"], {field: "all", **result["all"]}]:
        share = "-" if row["share"] is None else f"{row['share']:.1%}"
        print(
            f"  {row[field]:<24} {row['sighted']:>8,} of {row['open_posting_weeks']:>9,} "
            f"posting-weeks  {share}"
        )
    return 0


def _iso(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(value, datetime) else str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def register(subparsers: Any) -> None:
    """``jobtracker backfill run|status|reparse``."""
    fmt = argparse.RawDescriptionHelpFormatter
    backfill = subparsers.add_parser(
        "backfill",
        help="history before the first crawl, from web archives (Wayback, Common Crawl)",
        description="Backfill archive sightings of job pages, kept apart from live history "
        "(docs/backfill.md).",
    )
    commands = backfill.add_subparsers(dest="backfill_command", required=True, metavar="STEP")
    run = commands.add_parser(
        "run",
        parents=[mongo_options()],
        formatter_class=fmt,
        help="list and fetch archive captures of job pages (resumable)",
        description=(
            "List the archive's captures of www.amazon.jobs job pages, fetch each once, keep\n"
            "its bytes (WARC files under JOBTRACKER_ARCHIVE_DIR) and store sightings and\n"
            "rejections. Polite by default (docs/backfill.md): a real backfill takes hours.\n"
            "Stopped or killed, the same command resumes where it stopped.\n"
            "Exit status: 0 done, 1 stopped (rate limit, block, MongoDB), 2 bad input."
        ),
        epilog="example: jobtracker backfill run --archive wayback --from 2019-01-01",
    )
    run.add_argument("--archive", choices=["wayback", "commoncrawl", "all"], required=True)
    run.add_argument("--from", dest="from_", metavar="YYYY-MM-DD", help="captures from this day")
    run.add_argument("--to", metavar="YYYY-MM-DD", help="captures up to this day (inclusive)")
    run.add_argument(
        "-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting for the run"
    )
    run.set_defaults(func=_run)
    status = commands.add_parser(
        "status",
        parents=[mongo_options()],
        help="per archive: listed, fetched, sightings, rejected by reason, left, last run",
        description="What the backfill has done so far, per archive. Exit status: 0, or 1 "
        "when MongoDB cannot be reached.",
    )
    status.add_argument("--json", action="store_true", help="as JSON")
    status.set_defaults(func=_status)
    reparse = commands.add_parser(
        "reparse",
        parents=[mongo_options()],
        help="parse every kept payload again with today's parser (no request)",
        description="Re-parse the kept payloads of every fetched capture; sightings get "
        "today's fields, captures may become or stop being sightings. Exit status: 0, 1 when a "
        "kept payload is missing, 2 bad input.",
    )
    reparse.add_argument("--archive-dir", metavar="DIR", help="default: JOBTRACKER_ARCHIVE_DIR")
    reparse.add_argument("--dry-run", action="store_true", help="count what would change")
    reparse.add_argument("--json", action="store_true", help="the counts as JSON")
    reparse.set_defaults(func=_reparse)
    calibrate = commands.add_parser(
        "calibrate",
        parents=[mongo_options()],
        help="how much of the board the archives see, where live and archive overlap",
        description="Over the weeks where live crawls and archive sightings overlap, the share "
        "of live-open postings with an archive sighting that week, per country or category: "
        "how to judge the older, archive-only figures. Exit status: 0, 1 MongoDB unreachable.",
    )
    calibrate.add_argument("--by", choices=["country", "category"], default="country")
    calibrate.add_argument("--json", action="store_true", help="as JSON")
    calibrate.set_defaults(func=_calibrate)
