"""``python -m jobsim demo`` (``make demo``, ``jobtracker demo`` from a checkout): the whole
product, offline, in one command.

1. Start the simulated www.amazon.jobs in this process (``jobsim``), and the in-memory
   MongoDB test server unless ``--mongo-uri`` / ``MONGO_URI`` names a server.
2. Crawl simulated days 0..N-1, each with ``scrapy crawl amazon_jobs`` in a subprocess (exactly
   what an operator runs), its clock set to that simulated day (``JOBTRACKER_CLOCK_START``), so
   the history is dated like the simulated board; print what each run changed.
3. Print the trend of a phrase (default "Rekognition", weekly, by country) and write its chart.

Everything it started is stopped at the end, on errors and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jobtracker
from jobtracker.research.cli import command_handler
from jobtracker.research.selection import GROUPINGS
from jobtracker.research.timeline import FREQS
from jobtracker.store.connection import environment_uri

MIN_SIZE, MAX_SIZE = 50, 100_000
MAX_DAYS = 120


class DemoError(RuntimeError):
    """The demo could not run (message is user-facing)."""


def project_root() -> Path | None:
    """The checkout holding ``scrapy.cfg`` next to the ``jobtracker`` package, if any."""
    root = Path(jobtracker.__file__).resolve().parents[1]
    return root if (root / "scrapy.cfg").is_file() else None


def crawl_command(base_url: str, run_id: str, database: str, clock: str, var_dir: str) -> list[str]:
    """``python -m scrapy crawl amazon_jobs ...`` for one simulated day. ``MONGO_URI`` is not
    on it: a command line is public (``ps``), so the URI goes in the environment
    (:func:`crawl_environment`)."""
    settings = {
        "MONGO_DATABASE": database,
        "JOBTRACKER_CLOCK_START": clock,
        "JOBTRACKER_VAR_DIR": var_dir,
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS": "16",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "TELNETCONSOLE_ENABLED": "False",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "amazon_jobs"]
    command += ["-a", f"base_url={base_url}", "-a", f"_job={run_id}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def crawl_environment(mongo_uri: str) -> tuple[dict[str, str], str]:
    """Environment (with ``MONGO_URI``, which may hold a password) and working directory for
    ``scrapy crawl``: the project root when this is a checkout (its scrapy.cfg), else any
    directory with ``SCRAPY_SETTINGS_MODULE`` set."""
    env = dict(os.environ)
    env["MONGO_URI"] = mongo_uri
    package_parent = str(Path(jobtracker.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    root = project_root()
    if root is None:
        env["SCRAPY_SETTINGS_MODULE"] = "jobtracker.settings"
        return env, os.getcwd()
    return env, str(root)


def _run_crawl(command: list[str], env: dict[str, str], cwd: str) -> None:
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _out, err = process.communicate()
    except BaseException:  # Ctrl-C: stop the crawl too
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        raise
    if process.returncode != 0:
        tail = "\n".join((err or "").strip().splitlines()[-15:])
        raise DemoError(f"`scrapy crawl` exited with status {process.returncode}:\n{tail}")


def add_arguments(demo: argparse.ArgumentParser) -> None:
    """The demo's options, on its (sub)parser."""
    demo.add_argument("--days", type=int, default=8, help="simulated days to crawl (default: 8)")
    demo.add_argument("--size", type=int, default=6000, help="board size (default: 6000)")
    demo.add_argument("--seed", type=int, default=1, help="simulator seed (default: 1)")
    demo.add_argument("--phrase", default="Rekognition", help="phrase (default: Rekognition)")
    demo.add_argument("--freq", choices=FREQS, default="week", help="period (default: week)")
    demo.add_argument("--by", choices=GROUPINGS, default="country", help="(default: country)")
    demo.add_argument(
        "--plot", default="demo-rekognition.png", metavar="FILE.png", help="chart path"
    )
    demo.add_argument(
        "--mongo-uri",
        metavar="URI",
        help="use this MongoDB (default: $MONGO_URI, else start the in-memory test server)",
    )
    demo.add_argument(
        "--database",
        default="jobtracker_demo",
        metavar="NAME",
        help="database the demo empties and fills (default: jobtracker_demo)",
    )


@command_handler
def main(args: argparse.Namespace) -> int:
    """The ``demo`` command: bad options and MongoDB failures are one line, as in every
    ``jobtracker`` command."""
    try:
        return run_demo(args)
    except DemoError as exc:
        print(f"jobtracker demo: error: {exc}", file=sys.stderr)
        return 1


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo (see the module docstring); returns the exit status."""
    if not 1 <= args.days <= MAX_DAYS:
        raise ValueError(f"--days must be between 1 and {MAX_DAYS}")
    if not MIN_SIZE <= args.size <= MAX_SIZE:
        raise ValueError(f"--size must be between {MIN_SIZE} and {MAX_SIZE}")
    phrase = args.phrase.strip()
    if not phrase:
        raise ValueError("--phrase is empty")
    plot_path = Path(args.plot)
    stops: list[Callable[[], Any]] = []
    try:
        return _demo(args, phrase, plot_path, stops)
    finally:
        for stop in reversed(stops):
            with contextlib.suppress(Exception):
                stop()


def _demo(
    args: argparse.Namespace, phrase: str, plot_path: Path, stops: list[Callable[[], Any]]
) -> int:
    from jobsim.server import make_server
    from jobtracker.redaction import redact
    from jobtracker.research.connection import connect
    from jobtracker.research.output import format_table
    from jobtracker.research.plot import plot_trend
    from jobtracker.research.trends import describe, pivot, trend
    from jobtracker.store.queries import drop_collections, get_run, has_data

    begin = time.monotonic()
    print(f"Starting the simulated www.amazon.jobs ({args.size:,} postings, seed {args.seed})...")
    sim = make_server(port=0, size=args.size, seed=args.seed)
    sim.start_in_thread()
    stops.append(sim.stop)
    print(f"  simulator at {sim.url}")

    uri = args.mongo_uri or environment_uri()
    if uri:
        print(f"Using MongoDB at {redact(uri)}, database {args.database!r}")
    else:
        from jobsim.mongo_test_server import MongoTestServerError, start

        print("Starting the in-memory MongoDB test server (built with Maven the first time)...")
        try:
            server = start(port=0)
        except MongoTestServerError as exc:
            raise DemoError(str(exc)) from None
        stops.append(server.stop)
        uri = server.uri
        print(f"  MongoDB test server at {redact(uri)} (its data goes away when the demo ends)")
    db = connect(uri, args.database)
    stops.append(db.client.close)
    if has_data(db):
        print(f"  emptying database {args.database!r} (left over from an earlier demo)")
        drop_collections(db)

    env, cwd = crawl_environment(uri)
    var_dir = tempfile.mkdtemp(prefix="jobtracker-demo-")
    print(f"Crawling {args.days} simulated days (one `scrapy crawl amazon_jobs` per day):")
    for day in range(args.days):
        sim.set_day(day)
        when = sim.world.date_of(day)
        run_id = f"demo-{when.isoformat()}"
        started = time.monotonic()
        command = crawl_command(
            sim.url, run_id, args.database, f"{when.isoformat()}T06:00:00Z", var_dir
        )
        _run_crawl(command, env, cwd)
        run = get_run(db, run_id) or {}
        changes = run.get("changes") or {}
        seen = (run.get("stats") or {}).get("jobtracker/postings/unique") or 0
        complete = "complete" if run.get("complete") else "INCOMPLETE"
        print(
            f"  day {day + 1}/{args.days} ({when}): {seen:,} postings, "
            f"{changes.get('new', 0):,} new, {changes.get('updated', 0):,} edited, "
            f"{changes.get('closed', 0):,} closed, {changes.get('reopened', 0):,} reopened, "
            f"{changes.get('marked_missing', 0):,} missing; {complete} "
            f"({time.monotonic() - started:.1f} s)",
            flush=True,
        )

    frame = trend(db, phrase, freq=args.freq, by=args.by)
    print()
    print(describe(frame))
    wide = pivot(frame, top=10)
    print(f"Distinct postings mentioning it while open; one column per {args.by}:")
    print(format_table(wide, empty="(no posting mentions it)"))
    path = plot_trend(frame, plot_path)
    print()
    print(f"Chart written to {path}")
    print(f"Done in {time.monotonic() - begin:.0f} s. Next: `jobtracker --help`; docs/research.md.")
    if not (args.mongo_uri or environment_uri()):
        print(
            "The in-memory MongoDB stops now. To keep a history to query, run `make mongo` "
            "and pass its URI with --mongo-uri."
        )
    return 0
