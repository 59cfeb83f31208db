"""The ``jobtracker`` command (also ``python -m jobtracker``).

Subcommands: ``verify`` (the store's invariants, :mod:`jobtracker.store.verify`), ``health``
(every source's history kept? :mod:`jobtracker.notify.health`), the research
commands of :mod:`jobtracker.research.cli` (``trend``, ``first-seen``, ``active``, ``history``,
``export``, ``runs``), the scrapyd commands of :mod:`jobtracker.deploy.cli` (``deploy``,
``schedule``) and ``probe`` (:mod:`jobtracker.probe`). ``sim``, ``mongo`` and ``demo`` belong to
the test world, the sibling package ``jobsim`` of a checkout (never shipped): they run it when
it is importable, and say so in one line when it is not. Crawls themselves run through Scrapy
(``scrapy crawl amazon_jobs``, ``make crawl``), so scrapyd runs them the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from jobtracker import __version__
from jobtracker.backfill import register as register_backfill_commands
from jobtracker.deploy.cli import register as register_deploy_commands
from jobtracker.probe import register as register_probe_command
from jobtracker.research.cli import command_handler, mongo_options
from jobtracker.research.cli import register as register_research_commands

Handler = Callable[[argparse.Namespace], int]
#: ``--stale-after`` bounds, in hours (ten years at most).
MAX_STALE_HOURS = 87_600


#: The commands of the test world (``jobsim``): name -> (help, the jobsim command).
JOBSIM_COMMANDS = {
    "sim": ("serve the simulated sites or print their ground truth (checkout only)", ()),
    "mongo": ("the in-memory MongoDB test server: start, stop, status (checkout only)", ("mongo",)),
    "demo": ("the whole product offline: simulate, crawl, chart (checkout only)", ("demo",)),
}


def run_jobsim(command: str, argv: list[str]) -> int:
    """``jobtracker sim|mongo|demo ARGS``: ``python -m jobsim [mongo|demo] ARGS``."""
    try:
        from jobsim.cli import main as jobsim_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "jobsim":
            raise
        print(
            f"jobtracker {command}: the test world (the jobsim package) is not installed: "
            "it lives in the jobtracker source checkout, not in the egg or image; run `make "
            f"{command}` there",
            file=sys.stderr,
        )
        return 2
    prefix = JOBSIM_COMMANDS[command][1]
    prog = "jobtracker" if prefix else "jobtracker sim"
    return jobsim_main([*prefix, *argv], prog=prog)


@command_handler
def _run_verify(args: argparse.Namespace) -> int:
    import json
    import math
    import os
    from datetime import timedelta

    from jobtracker.clock import Clock
    from jobtracker.research.cli import BadInput, connect_args
    from jobtracker.store.verify import VerifyError, repair_store, verify_store

    hours = args.stale_after
    if not (math.isfinite(hours) and 0 < hours <= MAX_STALE_HOURS):
        raise BadInput(
            f"--stale-after {hours:g}: give hours, more than 0, at most {MAX_STALE_HOURS}"
        )
    try:  # a replayed (simulated) crawl's clock, as the crawls use it
        clock = Clock.from_setting(os.environ.get("JOBTRACKER_CLOCK_START"))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    stale_after = timedelta(hours=hours)
    db = connect_args(args)
    try:
        report = verify_store(db, now=clock.now(), stale_after=stale_after)
        if not args.repair:
            final, result = report, report.as_dict()
            lines = [*report.lines()]
        else:
            repaired = repair_store(db, report, now=clock.now(), stale_after=stale_after)
            final = verify_store(db, now=clock.now(), stale_after=stale_after)
            result = {
                "before": report.as_dict(),
                "repaired": repaired.as_dict(),
                "after": final.as_dict(),
                "clean": final.clean,
            }
            lines = [*report.lines(), *repaired.lines(), "After repair:", *final.lines()]
    except VerifyError as exc:
        print(f"jobtracker verify: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        print("\n".join([*lines, final.verdict()]))
    return 0 if final.clean else 1


@command_handler
def _run_renormalize(args: argparse.Namespace) -> int:
    import json
    from datetime import UTC, datetime, time

    from jobtracker.research.cli import BadInput, connect_args, parse_day
    from jobtracker.store.renormalize import renormalize_store

    day = parse_day(args.since, "--since")
    if args.batch_size < 1:
        raise BadInput("--batch-size must be at least 1")
    since = datetime.combine(day, time(), tzinfo=UTC) if day else None
    db = connect_args(args)
    last = [0.0]

    def progress(report: Any, elapsed: float) -> None:
        if elapsed - last[0] < args.progress_every and report.examined < report.total:
            return
        last[0] = elapsed
        done = report.examined - report.resumed_at
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (report.total - report.examined) / rate if rate else 0.0
        share = report.examined / report.total if report.total else 1.0
        print(
            f"renormalize: {report.examined:,} of {report.total:,} versions ({share:.0%}), "
            f"{rate:,.0f}/s, about {left:,.0f} s left",
            file=sys.stderr,
        )

    report = renormalize_store(
        db, since=since, dry_run=args.dry_run, batch_size=args.batch_size, progress=progress
    )
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=1)
        print()
    else:
        print("\n".join(report.lines()))
    return 0


def _health_sources(values: list[str] | None) -> list[str] | None:
    from jobtracker.research.cli import BadInput
    from jobtracker.sources import SOURCE_NAMES

    names = [name.strip() for value in values or [] for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SOURCE_NAMES]
    if unknown:
        raise BadInput(
            f"--source: unknown source {unknown[0]!r} (known: {', '.join(SOURCE_NAMES)})"
        )
    return list(dict.fromkeys(names)) or None


@command_handler
def _run_health(args: argparse.Namespace) -> int:
    import json
    import math
    import os
    from datetime import timedelta
    from pathlib import Path

    from pymongo.errors import ConnectionFailure, PyMongoError, ServerSelectionTimeoutError

    from jobtracker.clock import Clock
    from jobtracker.notify.health import check_health
    from jobtracker.notify.sender import NOTIFY_VARIABLE, Notifier
    from jobtracker.notify.verdict import FAILURE, Message
    from jobtracker.redaction import redact, redact_text
    from jobtracker.research.cli import BadInput, connect_args
    from jobtracker.research.connection import default_uri

    hours = args.max_age
    if not (math.isfinite(hours) and 0 < hours <= MAX_STALE_HOURS):
        raise BadInput(f"--max-age {hours:g}: give hours, more than 0, at most {MAX_STALE_HOURS}")
    sources = _health_sources(args.source)
    try:  # a replayed (simulated) crawl's clock, as the crawls use it
        clock = Clock.from_setting(os.environ.get("JOBTRACKER_CLOCK_START"))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    notifier = None
    if args.notify:
        notifier = Notifier.from_environment()
        if notifier is None or not notifier.targets:
            raise BadInput(f"--notify: {NOTIFY_VARIABLE} names no usable Apprise URL")
    var_dir = Path(os.environ.get("JOBTRACKER_VAR_DIR") or "var")
    try:
        db = connect_args(args)
        try:
            report = check_health(
                db,
                now=clock.now(),
                max_age=timedelta(hours=hours),
                sources=sources,
                var_dir=var_dir,
            )
        finally:
            db.client.close()
    except (ServerSelectionTimeoutError, ConnectionFailure):
        uri = redact(args.mongo_uri or default_uri() or "")
        line = f"cannot read the store: MongoDB at {uri} does not answer"
        print(f"jobtracker health: error: {line}", file=sys.stderr)
        if notifier is not None:
            notifier.send(Message("jobtracker health: store unreadable", line, FAILURE))
        return 2
    except PyMongoError as exc:
        reason = redact_text(str(exc).splitlines()[0][:200])
        line = f"cannot read the store (MongoDB: {reason})"
        print(f"jobtracker health: error: {line}", file=sys.stderr)
        if notifier is not None:
            notifier.send(Message("jobtracker health: store unreadable", line, FAILURE))
        return 2
    if args.prometheus:
        sys.stdout.write(report.prometheus_text())
    elif args.json:
        json.dump(report.as_dict(), sys.stdout, indent=1, default=str)
        print()
    else:
        print("\n".join(report.lines()))
    if notifier is not None and not report.ok:
        notifier.send(report.message())
    return report.exit_code


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, with help text on every subcommand."""
    parser = argparse.ArgumentParser(
        prog="jobtracker",
        description="Track Amazon's job postings over time: research queries, the store's "
        "checks, scrapyd deploys and schedules. Crawl with `scrapy crawl amazon_jobs` (see the "
        "README).",
    )
    parser.add_argument("--version", action="version", version=f"jobtracker {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, (summary, _) in JOBSIM_COMMANDS.items():
        # Listed here; `main` hands them to the test world, which parses its own options
        # (`jobtracker sim serve --help`), so that `jobtracker --help` imports none of it.
        commands.add_parser(name, help=summary, add_help=False)

    verify = commands.add_parser(
        "verify",
        parents=[mongo_options()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="check the store's invariants; --repair fixes what is derivable",
        description=(
            "Check every posting, version and run in the store: spans ordered and disjoint,\n"
            "first <= last seen, status agrees with the last span, versions 1..n with\n"
            "non-decreasing times and the posting's content hash, exactly one current version\n"
            "per open posting (none for a closed one), no orphan version, no run left\n"
            "running. One line per check with its count and example ids, then a verdict.\n"
            "Exit status: 0 clean, 1 violations remain (or MongoDB unreachable), 2 bad input.\n"
            "The checks and their MongoDB queries: docs/store.md."
        ),
        epilog="example: jobtracker verify --repair --stale-after 24",
    )
    verify.add_argument(
        "--repair",
        action="store_true",
        help="abandon stale runs, remove orphan versions, fix current versions and content "
        "hashes (in bulk), then verify again",
    )
    verify.add_argument(
        "--stale-after",
        type=float,
        default=12.0,
        metavar="HOURS",
        help="a run still running after this many hours never finished (default: 12)",
    )
    verify.add_argument("--json", action="store_true", help="the report as JSON")
    verify.set_defaults(func=_run_verify)

    renormalize = commands.add_parser(
        "renormalize",
        parents=[mongo_options()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="recompute every stored version's derived fields with today's rules",
        description=(
            "Recompute the derived fields of every stored version (locations, country codes,\n"
            "role family and SOC code, posted date, pay) from its snapshot with today's rules,\n"
            "and record the rules' version on it (`normalizer`). Content hashes, versions,\n"
            "spans and closures are never changed. Batches are written in bulk and the position\n"
            "is saved after each: run it again to continue a run that was stopped. Prints what\n"
            "changed (e.g. role family: unknown -> software_engineering 412).\n"
            "Exit status: 0 done, 1 MongoDB unreachable or failing, 2 bad input."
        ),
        epilog="example: jobtracker renormalize --dry-run",
    )
    renormalize.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        help="only versions current on or after this day (default: every version)",
    )
    renormalize.add_argument(
        "--dry-run", action="store_true", help="report what would change; write nothing"
    )
    renormalize.add_argument(
        "--batch-size", type=int, default=500, metavar="N", help="versions a batch (default 500)"
    )
    renormalize.add_argument(
        "--progress-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="a progress line on stderr at most this often (default 10)",
    )
    renormalize.add_argument("--json", action="store_true", help="the report as JSON")
    renormalize.set_defaults(func=_run_renormalize)

    health = commands.add_parser(
        "health",
        parents=[mongo_options()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="is every source's daily history kept? (cron, Prometheus, dead-man's switch)",
        description=(
            "Per source: the last run and its verdict, the age of the last complete run, open\n"
            "postings, new and closed in the last day, held closures; and the spills waiting\n"
            "for import in JOBTRACKER_VAR_DIR. A source is healthy when it had a complete run\n"
            "within --max-age and its last finished run was not bad (blocked, unreachable,\n"
            "incomplete, held by a guard, MongoDB unavailable, abandoned).\n"
            "Exit status: 0 every source healthy; 1 a source stale or bad, or no runs at all;\n"
            "2 the store cannot be read or the arguments are wrong. Times use the crawl clock\n"
            "(JOBTRACKER_CLOCK_START when set). See docs/operations.md."
        ),
        epilog="example: jobtracker health --max-age 26 --notify",
    )
    health.add_argument(
        "--max-age",
        type=float,
        default=36.0,
        metavar="HOURS",
        help="a source without a complete run for longer is stale (default 36; fractions allowed)",
    )
    health.add_argument(
        "--source",
        action="append",
        metavar="LIST",
        help="only these sources (comma-separated or repeated; default: every source that ran)",
    )
    output = health.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="the report as JSON")
    output.add_argument(
        "--prometheus",
        action="store_true",
        help="the Prometheus text format, for node_exporter's textfile collector",
    )
    health.add_argument(
        "--notify",
        action="store_true",
        help="when unhealthy (or the store is unreadable), send the summary to JOBTRACKER_NOTIFY",
    )
    health.set_defaults(func=_run_health)

    register_research_commands(commands)
    register_deploy_commands(commands)
    register_probe_command(commands)
    register_backfill_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in JOBSIM_COMMANDS:
        return run_jobsim(argv[0], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.func
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
