"""The ``jobtracker`` command.

Subcommands: ``sim`` (the offline simulator of www.amazon.jobs), ``mongo`` (the MongoDB test
server), ``demo`` and the research commands of :mod:`jobtracker.research.cli` (``trend``,
``first-seen``, ``active``, ``history``, ``export``, ``runs``) and the scrapyd commands of
:mod:`jobtracker.deploy.cli` (``deploy``, ``schedule``). Crawls themselves run
through Scrapy (``scrapy crawl amazon_jobs``, ``make crawl``), so scrapyd runs them the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from jobtracker import __version__
from jobtracker.deploy.cli import register as register_deploy_commands
from jobtracker.research.cli import register as register_research_commands

Handler = Callable[[argparse.Namespace], int]


def _run_sim(args: argparse.Namespace) -> int:
    from jobtracker.sim.__main__ import run

    return run(args)


def _run_mongo(args: argparse.Namespace) -> int:
    from jobtracker.mongo_test_server import main

    return main(args.mongo_args)


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

    register_research_commands(commands)
    register_deploy_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.func
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
