"""The ``jobtracker`` command.

Subcommands: ``sim`` (the offline simulator of www.amazon.jobs), ``mongo`` (the MongoDB test
server), ``verify`` (the store's invariants, :mod:`jobtracker.store.verify`), ``demo`` and the
research commands of :mod:`jobtracker.research.cli` (``trend``,
``first-seen``, ``active``, ``history``, ``export``, ``runs``), the scrapyd commands of
:mod:`jobtracker.deploy.cli` (``deploy``, ``schedule``) and ``probe`` (:mod:`jobtracker.probe`).
Crawls themselves run through Scrapy (``scrapy crawl amazon_jobs``, ``make crawl``), so scrapyd
runs them the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from jobtracker import __version__
from jobtracker.deploy.cli import register as register_deploy_commands
from jobtracker.probe import register as register_probe_command
from jobtracker.research.cli import command_handler, mongo_options
from jobtracker.research.cli import register as register_research_commands

Handler = Callable[[argparse.Namespace], int]
#: ``--stale-after`` bounds, in hours (ten years at most).
MAX_STALE_HOURS = 87_600


def _run_sim(args: argparse.Namespace) -> int:
    from jobtracker.sim.__main__ import run

    return run(args)


def _run_mongo(args: argparse.Namespace) -> int:
    from jobtracker.mongo_test_server import main

    return main(args.mongo_args)


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


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, with help text on every subcommand."""
    from jobtracker.sim.__main__ import build_parser as build_sim_parser

    parser = argparse.ArgumentParser(
        prog="jobtracker",
        description="Track Amazon's job postings over time: simulator, test database and "
        "research queries. Crawl with `scrapy crawl amazon_jobs` (see the README).",
    )
    parser.add_argument("--version", action="version", version=f"jobtracker {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sim = commands.add_parser(
        "sim",
        help="serve the simulated www.amazon.jobs, or print its ground truth",
        description="The offline simulator of www.amazon.jobs (search.json, detail pages, "
        "robots.txt), for tests, demos and benchmarks.",
    )
    build_sim_parser(sim)
    sim.set_defaults(func=_run_sim)

    mongo = commands.add_parser(
        "mongo",
        help="start/stop/status of the in-memory MongoDB test server",
        description="The MongoDB test server (mongo-java-server, MongoDB 7.0 wire protocol). "
        "Run `jobtracker mongo -h` for its own commands: start, stop, status, run, build.",
        add_help=False,
    )
    mongo.add_argument("mongo_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    mongo.set_defaults(func=_run_mongo)

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

    register_research_commands(commands)
    register_deploy_commands(commands)
    register_probe_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.func
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
