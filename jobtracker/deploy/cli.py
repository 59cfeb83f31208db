"""``jobtracker deploy`` and ``jobtracker schedule``: the scrapyd side of the command line.

``register(subparsers)`` adds both. Every user mistake (a bad node URL, wrong credentials, an
unreachable node, an unknown project or spider, a malformed option) is one line on stderr and a
non-zero exit status: 2 for a mistake in the command or the configuration, 1 for a node, site
or MongoDB that does not answer as it should.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobtracker.deploy.nodes import DEFAULT_PROJECT, NODES_VARIABLE, DeployError, load_nodes
from jobtracker.redaction import redact_text
from jobtracker.research.cli import command_handler, connect_args, mongo_options
from jobtracker.store.connection import environment_uri

Handler = Callable[[argparse.Namespace], int]
#: Spider arguments that ``schedule`` sets itself.
RESERVED_ARGUMENTS = ("categories", "countries", "query", "base_url", "_job", "_version")
DEFAULT_BASE_URL = "https://www.amazon.jobs"
HOURLY_SPIDER = "amazon_hourly"


def _handler(function: Handler) -> Handler:
    """Deploy errors as one line and their exit status; MongoDB errors as the research
    commands report them."""

    @functools.wraps(function)
    def run(args: argparse.Namespace) -> int:
        try:
            return function(args)
        except DeployError as exc:
            from jobtracker.research.output import terminal_text

            message = terminal_text(redact_text(str(exc)))
            print(f"jobtracker {args.command}: error: {message}", file=sys.stderr)
            return exc.exit_code

    return command_handler(run)


def pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` options as pairs; a DeployError naming the option otherwise.

    scrapyd starts every crawl with these on its command line (``-a``/``-s NAME=VALUE``), which
    ``ps`` shows to every user of the node and scrapyd writes to its log: a secret (a setting
    named like a password or token, a URI with a password) is refused, without echoing it.
    """
    from jobtracker.redaction import carries_secret

    out = []
    for text in values or []:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise DeployError(f"{option} {redact_text(text)!r}: use NAME=VALUE")
        if carries_secret(name, value) or name.strip().upper() in SECRET_SETTINGS:
            raise DeployError(
                f"{option} {name.strip()}=...: that would put a secret on the command line of "
                "every crawl (ps, scrapyd's log); set it in scrapyd's environment instead "
                "(e.g. MONGO_URI; docs/security.md)"
            )
        out.append((name.strip(), value))
    return out


#: Settings whose value is a secret whatever it looks like (Apprise URLs hold tokens).
SECRET_SETTINGS = frozenset({"JOBTRACKER_NOTIFY"})


def _clients(args: argparse.Namespace) -> list[Any]:
    from jobtracker.deploy.scrapyd import ScrapydClient

    return [ScrapydClient(node, timeout=args.timeout) for node in load_nodes(args.node or ())]


# -- deploy ------------------------------------------------------------------------------------


@_handler
def run_deploy(args: argparse.Namespace) -> int:
    from jobtracker.deploy.egg import build_egg, default_version, project_checkout, upload_egg

    clients = _clients(args)
    version = args.version or default_version()
    with tempfile.TemporaryDirectory(prefix="jobtracker-dist-") as scratch:
        if args.egg:
            egg = Path(args.egg)
            if not egg.is_file():
                raise DeployError(f"--egg {args.egg}: no such file")
        else:
            egg = build_egg(project_checkout(), Path(scratch))
        for client in clients:
            spiders = upload_egg(client, args.project, version, egg)
            print(f"deployed {args.project} {version} to {client.name}: {spiders} spiders")
    return 0


# -- schedule ----------------------------------------------------------------------------------


def _spider_arguments(args: argparse.Namespace) -> list[tuple[str, str]]:
    extra = pairs(args.arg, "--arg")
    for name, _ in extra:
        if name in RESERVED_ARGUMENTS:
            raise DeployError(f"--arg {name}=...: schedule sets {name} itself")
    from jobtracker.arguments import ArgumentError, parse_args
    from jobtracker.deploy.schedule import SPIDER_ARGUMENTS

    raw = dict(extra)
    if args.spider == HOURLY_SPIDER and args.base_url:
        raise DeployError("--base-url: amazon_hourly takes --arg base_urls=CC=URL,... instead")
    if args.spider == "amazon_jobs":
        raw["base_url"] = args.base_url or DEFAULT_BASE_URL
    model = SPIDER_ARGUMENTS.get(args.spider)
    if model is not None:
        try:
            parse_args(model, raw)
        except ArgumentError as exc:
            raise DeployError(str(exc)) from None
    return extra


def _dimension_name(args: argparse.Namespace) -> str:
    """``--by``, or its default: category, and country sites for amazon_hourly."""
    if args.spider == HOURLY_SPIDER:
        if args.by == "category":
            raise DeployError("--by category: amazon_hourly is split by country site only")
        return "country"
    return args.by or "category"


def _values(args: argparse.Namespace, dimension: Any) -> tuple[dict[str, int], str]:
    """Values to split by, with counts, and a phrase saying where they came from."""
    from jobtracker.deploy.schedule import board_counts
    from jobtracker.settings import USER_AGENT

    if args.values:
        counts = {v.strip(): 0 for v in args.values.split(",") if v.strip()}
        if not counts:
            raise DeployError("--values: give at least one value")
        return counts, f"{len(counts)} {dimension.plural} from --values"
    if args.spider == HOURLY_SPIDER:
        from jobtracker.sources.amazon_hourly import HOURLY_SITES

        return dict.fromkeys(HOURLY_SITES, 0), f"the {len(HOURLY_SITES)} hourly-jobs sites"
    base_url = args.base_url or DEFAULT_BASE_URL
    _probe_first(args, base_url)
    counts = board_counts(base_url, dimension, user_agent=USER_AGENT)
    origin = f"{len(counts)} {dimension.plural} on the board at {base_url}"
    if args.mongo_uri or environment_uri():
        from jobtracker.store.mongo import PostingStore

        db = connect_args(args)
        try:
            stored = PostingStore(db).open_values(dimension.stored_field, source="amazon_jobs")
        finally:
            db.client.close()
        only_stored = sorted({str(v) for v in stored if v} - set(counts))
        counts.update(dict.fromkeys(only_stored, 0))
        origin += f" (+{len(only_stored)} only in the store)"
    return counts, origin


def _notify_refusal(base_url: str, refusal: str, spider: str) -> None:
    """Tell ``JOBTRACKER_NOTIFY`` (if set) that nothing was scheduled after a drift."""
    from jobtracker.notify.sender import Notifier
    from jobtracker.notify.verdict import schedule_refusal_message

    notifier = Notifier.from_environment()
    if notifier is not None and notifier.targets:
        notifier.send(schedule_refusal_message(base_url, refusal, spider))


def _probe_first(args: argparse.Namespace, base_url: str) -> None:
    """``jobtracker probe`` before the board is read: an unsafe drift refuses (its table on
    stdout, one error line), unless ``--force``."""
    from jobtracker.deploy.schedule import probe_refusal
    from jobtracker.probe import run_probe

    locale = dict(pairs(args.arg, "--arg")).get("locale", "en")
    window = dict(pairs(args.set, "--set")).get("AMAZON_JOBS_RESULT_WINDOW", "10000")
    try:
        report = run_probe(base_url, locale, timeout=args.timeout, window=int(window))
    except ValueError:
        raise DeployError(f"--set AMAZON_JOBS_RESULT_WINDOW={window}: give a number", 2) from None
    refusal = probe_refusal(report, args.force)
    if refusal is not None:
        print("\n".join(report.lines()))
        _notify_refusal(base_url, refusal, args.spider)
        raise DeployError(refusal, 1)
    forced = " (--force: scheduling anyway)" if report.unsafe else ""
    print(f"probe: {report.verdict()}{forced}")


@_handler
def run_schedule(args: argparse.Namespace) -> int:
    if args.status:
        return show_status(args)
    from jobtracker.deploy.schedule import DIMENSIONS, ScheduleRequest, default_batch
    from jobtracker.deploy.schedule import schedule_batch as post_batch

    if args.groups is not None and args.groups < 1:
        raise DeployError("--groups: give a whole number of at least 1")
    dimension = DIMENSIONS[_dimension_name(args)]
    clients = _clients(args)
    arguments = _spider_arguments(args)
    settings = pairs(args.set, "--set")
    counts, origin = _values(args, dimension)
    request = ScheduleRequest(
        project=args.project,
        spider=args.spider,
        dimension=dimension,
        batch=args.batch or default_batch(),
        counts=counts,
        groups=args.groups,
        base_url=args.base_url,
        arguments=arguments,
        settings=settings,
    )
    print(f"batch {request.batch}: {origin}, over {len(clients)} scrapyd nodes")
    decisions = post_batch(clients, request)
    for decision in decisions:
        print(decision.line())
    scheduled = sum(decision.skipped is None for decision in decisions)
    print(f"{scheduled} scheduled, {len(decisions) - scheduled} skipped")
    return 0


def show_status(args: argparse.Namespace) -> int:
    from jobtracker.deploy.status import recent_jobs, status_frame
    from jobtracker.research.output import format_table
    from jobtracker.store.runs import runs_by_id

    clients = _clients(args)
    jobs = recent_jobs(clients, args.project, args.limit)
    db = connect_args(args)
    try:
        runs = runs_by_id(db, [job.id for job in jobs])
    finally:
        db.client.close()
    print(format_table(status_frame(jobs, runs), empty="(no jobs on any node)"))
    return 0


# -- parsers -----------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--node",
        action="append",
        metavar="URL",
        help="a scrapyd node, http(s)://[user:password@]host:port (repeat for more nodes; "
        f"default: ${NODES_VARIABLE}, else the [deploy] targets of scrapy.cfg)",
    )
    parser.add_argument(
        "--project", default=DEFAULT_PROJECT, help="scrapyd project name (default: %(default)s)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for each scrapyd answer (default: %(default)s)",
    )


def register(commands: Any) -> None:
    """Add ``deploy`` and ``schedule`` to the ``jobtracker`` subcommands."""
    deploy = commands.add_parser(
        "deploy",
        help="build the project egg and upload it to every scrapyd node",
        description="Build the scrapyd egg (the jobtracker package only) from this checkout "
        "and upload it with addversion.json to every configured node. Credentials: "
        "SCRAPYD_USERNAME / SCRAPYD_PASSWORD or user:password@ in the node URL.",
    )
    _common(deploy)
    deploy.add_argument("--egg", metavar="FILE", help="upload this egg instead of building one")
    deploy.add_argument("--version", help="version to upload as (default: seconds since the epoch)")
    # addversion.json lists the egg's spiders (a `scrapy list` run) before it answers.
    deploy.set_defaults(func=run_deploy, timeout=120.0)

    schedule = commands.add_parser(
        "schedule",
        parents=[mongo_options()],
        help="post one scrapyd crawl job per category or country (group), without overlaps",
        description="Split the board into scopes (business categories or countries, each "
        "alone or in --groups stable groups), and post one amazon_jobs job per scope to the "
        "least loaded scrapyd node; a scope whose previous job is still pending or running "
        "is skipped. Job ids (= crawl_runs ids) read <batch>.<category|categories|country|"
        "countries>.<value or NofM>. --status shows recent jobs instead. With a MongoDB "
        "(--mongo-uri or $MONGO_URI) the store adds the categories or countries only its open "
        "postings still carry, and --status shows each job's completeness.",
    )
    _common(schedule)
    schedule.add_argument(
        "--status",
        action="store_true",
        help="show recent jobs on every node with their crawl_runs completeness; schedule nothing",
    )
    schedule.add_argument(
        "--by",
        choices=("category", "country"),
        help="split the board by business category or by country (default: category; "
        "amazon_hourly is always split by country site, US, CA, UK, IE)",
    )
    schedule.add_argument(
        "--groups",
        type=int,
        metavar="N",
        help="put the values into N stable groups, one job each (default: one job per value)",
    )
    schedule.add_argument(
        "--values",
        metavar="LIST",
        help="comma-separated categories or countries to crawl instead of the board's facets",
    )
    schedule.add_argument(
        "--base-url",
        metavar="URL",
        help=f"site origin for the facet call and the jobs (default: {DEFAULT_BASE_URL})",
    )
    schedule.add_argument(
        "--batch",
        metavar="NAME",
        help="batch name that starts every job id (default: the UTC time, 20260730T061500Z)",
    )
    schedule.add_argument(
        "--spider", default="amazon_jobs", help="spider to run (default: %(default)s)"
    )
    schedule.add_argument(
        "--arg",
        action="append",
        metavar="NAME=VALUE",
        help="another spider argument for every job, e.g. locale=en (repeatable)",
    )
    schedule.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="a Scrapy setting for every job, e.g. LOG_LEVEL=INFO (repeatable)",
    )
    schedule.add_argument(
        "--force",
        action="store_true",
        help="schedule even if `jobtracker probe` (run first, unless --values) finds a drift "
        "that makes a crawl unsafe",
    )
    schedule.add_argument(
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help="with --status: how many finished jobs to show (default: %(default)s)",
    )
    schedule.set_defaults(func=run_schedule)
