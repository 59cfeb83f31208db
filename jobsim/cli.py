"""Command line of the test world: ``python -m jobsim serve|truth|mongo|demo ...``.

- ``serve``: the simulated www.amazon.jobs and hourly-jobs sites over HTTP (``make sim``);
- ``truth``: the ground truth of a simulated day as JSON Lines;
- ``mongo``: the MongoDB test server (:mod:`jobsim.mongo_test_server`; ``make mongo``);
- ``demo``: the whole product offline (:mod:`jobsim.demo`; ``make demo``);
- ``archive serve``: the simulated web archives (:mod:`jobsim.archive`; docs/simulator_archive.md).

``jobtracker sim``, ``jobtracker mongo`` and ``jobtracker demo`` call :func:`main` when this
package is importable (a checkout); the shipped ``jobtracker`` never imports it otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from jobsim.encoding import compact
from jobsim.faults import FaultConfig
from jobsim.hourly import DEFAULT_HOURLY_SIZE
from jobsim.hourly_http import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

DEFAULT_SIZE = 22000
DEFAULT_WINDOW = 10000
DEFAULT_HORIZON = 450


def _int_in(lo: int, hi: int | None = None) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            bound = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def _faults(text: str) -> FaultConfig:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError("must be a JSON object of fault knobs")
    try:
        return FaultConfig(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise argparse.ArgumentTypeError(f"bad fault knobs: {problems}") from None


def _world_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=1, help="world seed (default: 1)")
    p.add_argument(
        "--size",
        type=_int_in(1),
        default=DEFAULT_SIZE,
        help=f"postings live on any day, about (default: {DEFAULT_SIZE})",
    )
    p.add_argument(
        "--horizon",
        type=_int_in(1),
        default=DEFAULT_HORIZON,
        help=f"number of simulated days after day 0 (default: {DEFAULT_HORIZON})",
    )
    p.add_argument(
        "--hourly-size",
        type=_int_in(4),
        default=DEFAULT_HOURLY_SIZE,
        help="hourly postings live on any day over the four hourly sites, about "
        f"(default: {DEFAULT_HOURLY_SIZE})",
    )


def _years(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    try:
        years = (int(first), int(last or first))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not FIRST-LAST years: {text!r}") from None
    if not 2000 <= years[0] <= years[1] <= 2030:
        raise argparse.ArgumentTypeError(f"years must be FIRST-LAST within 2000-2030, got {text!r}")
    return years


def _archive_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=1, help="archive seed (default: 1)")
    p.add_argument(
        "--captures",
        type=_int_in(50, 1_000_000),
        default=3000,
        help="number of captures over both archives (default: 3000; the bench uses 50000)",
    )
    p.add_argument(
        "--years",
        type=_years,
        default=(2018, 2026),
        metavar="FIRST-LAST",
        help="years the captures span (default: 2018-2026)",
    )


def build_parser(prog: str = "python -m jobsim") -> argparse.ArgumentParser:
    """The ``serve``, ``truth``, ``mongo`` and ``demo`` subcommands."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="The test world of jobtracker: the offline simulator of www.amazon.jobs "
        "and the hourly-jobs sites, the MongoDB test server and the offline demo.",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="{serve,truth,mongo,demo,archive}", required=True
    )

    serve = sub.add_parser(
        "serve",
        help="run the simulated site over HTTP",
        description="Serve the simulated www.amazon.jobs and the hourly sites until "
        "interrupted. Prints 'Simulator listening on URL (...)' when ready, then a line "
        "'Hourly sites: US=URL CA=URL UK=URL IE=URL'.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=_int_in(0, 65535),
        default=0,
        help="port to bind; 0 picks a free one (default: 0)",
    )
    _world_options(serve)
    serve.add_argument(
        "--day", type=_int_in(0), default=0, help="day served at start (0 = start date; default: 0)"
    )
    serve.add_argument(
        "--result-window",
        type=_int_in(1),
        default=DEFAULT_WINDOW,
        help=f"max offset+result_limit, the hits cap (default: {DEFAULT_WINDOW})",
    )
    serve.add_argument(
        "--hourly-page-size",
        type=_int_in(1, MAX_PAGE_SIZE),
        default=DEFAULT_PAGE_SIZE,
        help=f"pageSize the hourly sites' search page asks for (default: {DEFAULT_PAGE_SIZE})",
    )
    serve.add_argument(
        "--faults",
        type=_faults,
        default=None,
        metavar="JSON",
        help="fault knobs as a JSON object, e.g. '{\"rate_429\": 0.1}'",
    )
    serve.add_argument(
        "--no-warm",
        action="store_true",
        help="do not pre-render all jobs in the background after start",
    )
    serve.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level; DEBUG logs one line per request (default: WARNING)",
    )

    truth = sub.add_parser(
        "truth",
        help="print the ground truth of a day as JSON Lines",
        description="Print one JSON object per posting live on DAY.",
    )
    truth.add_argument("--day", type=_int_in(0), default=0, help="day number (default: 0)")
    _world_options(truth)
    truth.add_argument(
        "--jobs",
        action="store_true",
        help="add the full job object as served, under 'job' ('card' for amazon_hourly)",
    )
    truth.add_argument(
        "--archive",
        action="store_true",
        help="print the simulated web archive's valid sightings (JSON array) instead; "
        "with --seed, --captures, --years",
    )
    truth.add_argument(
        "--captures", type=_int_in(50, 1_000_000), default=3000, help="archive captures"
    )
    truth.add_argument(
        "--years", type=_years, default=(2018, 2026), metavar="FIRST-LAST", help="archive years"
    )
    truth.add_argument(
        "--source",
        choices=["amazon_jobs", "amazon_hourly"],
        default="amazon_jobs",
        help="which board (default: amazon_jobs)",
    )

    # Listed for the help; `main` hands `mongo ...` to the test server's own command line.
    sub.add_parser(
        "mongo",
        help="the in-memory MongoDB test server: start, stop, status, run, build",
        add_help=False,
    )

    from jobsim.demo import add_arguments as add_demo_arguments

    demo = sub.add_parser(
        "demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="the whole product offline: simulate, crawl several days, chart a trend",
        description=(
            "Start the simulated www.amazon.jobs and (without --mongo-uri/MONGO_URI) the\n"
            "in-memory MongoDB test server, crawl DAYS simulated days with `scrapy crawl\n"
            "amazon_jobs`, then print the weekly trend of PHRASE by country and write a chart.\n"
            "Everything it started is stopped at the end, also on Ctrl-C."
        ),
    )
    add_demo_arguments(demo)

    archive = sub.add_parser(
        "archive",
        help="the simulated web archives (Wayback Machine, Common Crawl)",
        description="The simulated web archives of the simulated board "
        "(docs/simulator_archive.md).",
    )
    archive_sub = archive.add_subparsers(dest="archive_command", metavar="{serve}", required=True)
    aserve = archive_sub.add_parser(
        "serve",
        help="serve the simulated archives over HTTP",
        description="Serve the simulated Wayback Machine and Common Crawl until interrupted. "
        'Prints one JSON line {"wayback": URL, "cc_index": URL, "cc_data": URL, "control": URL} '
        "when ready.",
    )
    aserve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    aserve.add_argument(
        "--port", type=_int_in(0, 65535), default=0, help="port; 0 picks a free one (default: 0)"
    )
    _archive_options(aserve)
    return parser


def _check_day(day: int, horizon: int) -> str | None:
    if day > horizon:
        return f"--day must be <= --horizon ({horizon}), got {day}"
    return None


def _serve(args: argparse.Namespace) -> int:
    from jobsim.server import make_server

    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if (problem := _check_day(args.day, args.horizon)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        server = make_server(
            host=args.host,
            port=args.port,
            seed=args.seed,
            day=args.day,
            size=args.size,
            result_window=args.result_window,
            faults=args.faults,
            horizon=args.horizon,
            hourly_size=args.hourly_size,
            hourly_page_size=args.hourly_page_size,
        )
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    live = len(server.board())
    print(
        f"Simulator listening on {server.url} (seed {args.seed}, day {args.day}, {live} postings)",
        flush=True,
    )
    urls = server.hourly_urls
    print("Hourly sites: " + " ".join(f"{k}={u}" for k, u in urls.items()), flush=True)
    if not args.no_warm:
        server.warm(background=True)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.close()
    return 0


def _archive_serve(args: argparse.Namespace) -> int:
    from jobsim.archive.server import make_archive_server

    try:
        server = make_archive_server(
            host=args.host, port=args.port, seed=args.seed, captures=args.captures, years=args.years
        )
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(server.urls()), flush=True)
    server.warm()

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


def _archive_truth(args: argparse.Namespace) -> int:
    from jobsim.archive.model import ArchiveModel

    model = ArchiveModel(seed=args.seed, captures=args.captures, years=args.years)
    try:
        sys.stdout.write(json.dumps(model.truth(), indent=1) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    return 0


def _truth(args: argparse.Namespace) -> int:
    from jobsim.world import World

    if args.archive:
        return _archive_truth(args)

    if (problem := _check_day(args.day, args.horizon)) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    out = sys.stdout
    if args.source == "amazon_hourly":
        return _hourly_truth(args)
    world = World(seed=args.seed, size=args.size, horizon=args.horizon)
    board = world.board(args.day)
    try:
        for e in sorted(board.relevant, key=lambda e: int(e.icims)):
            rec = compact(world.truth_record(e.idx, args.day))
            if args.jobs:
                rec = f'{rec[:-1]},"job":{board.job_json(e)}}}'
            out.write(rec + "\n")
        out.flush()
    except BrokenPipeError:
        sys.stderr.close()  # reader went away (e.g. `| head`): not an error
    return 0


def _hourly_truth(args: argparse.Namespace) -> int:
    from jobsim.hourly import HourlyWorld

    world = HourlyWorld(seed=args.seed, size=args.hourly_size, horizon=args.horizon)
    try:
        for rec in world.truth(args.day):
            if args.jobs:
                rec["card"] = world.card(world.index_of(rec["job_id"]), rec["revision"])
            sys.stdout.write(compact(rec) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    return 0


def run(args: argparse.Namespace) -> int:
    """Execute a namespace parsed by :func:`build_parser`."""
    if args.command == "serve":
        return _serve(args)
    if args.command == "truth":
        return _truth(args)
    if args.command == "archive":
        return _archive_serve(args)
    if args.command == "demo":
        from jobsim.demo import main as demo_main

        return demo_main(args)
    print(f"error: unknown command {args.command!r}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None, prog: str = "python -m jobsim") -> int:
    """``python -m jobsim ...`` (``prog`` names the command in help and errors)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["mongo"]:  # its own parser, options and help included
        from jobsim.mongo_test_server import main as mongo_main

        return mongo_main(argv[1:], prog=f"{prog} mongo")
    parser = build_parser(prog)
    return run(parser.parse_args(argv))
