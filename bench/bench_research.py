"""The research commands over a simulated history of 90, 365 and 730 days: seconds and memory.

For each history length, a history of daily complete runs of a board of the default size
(22,000 open postings) is written into a fresh database **in bulk, in the documented schema**
(docs/store.md), by :mod:`jobsim.history`: the crawler's own write path would take
hours per simulated year, and writes documents of the same shape. Then each research command
runs in a child process (``jobtracker`` in process, after its imports, stdout discarded):

- ``trend Rekognition --freq week --by country``, ``trend "computer vision" --freq week
  --by role_family`` and ``trend manager --freq week --by country`` (a phrase of many titles);
- ``first-seen "computer vision"``; ``active --on`` a day 30 days before the end;
  ``history`` of a posting with several versions;
- ``export --what panel`` of the last 90 days to Parquet.

On the first history every command runs once more before it is measured, unreported: the
test server is a JVM, whose first run of a query plan is slower. Each line gives the wall
time, split into the time spent waiting for MongoDB (the round trips of every command,
measured by pymongo's command monitoring: "server") and the rest ("client"), the CPU time of
the child process and of the MongoDB test server during the command (less disturbed by other
load on a shared machine), and the child's peak RSS (imports included). The imports (pandas,
pyarrow, pycountry, jobtracker) come before the clock starts: the "total" column is the whole
child process, interpreter start and imports included (about 1.5 s of it).
Then the targets of docs/research.md ("Performance") are checked.

Uses the MongoDB test server (started here and stopped after) unless ``--mongo-uri`` is given;
mongo-java-server figures say nothing about real MongoDB. On a shared 2-core box run it twice.
``--days 730 --only first-seen`` measures one command over one history (about a minute).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAYS = (90, 365, 730)
PANEL_DAYS = 90
#: Wall-time targets in seconds: (command kind, history days) -> limit.
TREND_TARGETS = {365: 5.0, 730: 10.0}
QUICK_TARGET = 2.0
PANEL_RSS_SPREAD = 0.20
#: Imported by the child before its clock starts.
PRELOADED = (
    "pandas",
    "pyarrow.parquet",
    "pycountry",
    "jobtracker.research.exports",
    "jobtracker.research.output",
    "jobtracker.research.postings",
    "jobtracker.research.posting_history",
    "jobtracker.research.trends",
)


def queries(days: int, posting: str) -> list[tuple[str, list[str]]]:
    """The measured commands (label, ``jobtracker`` arguments) for a history of ``days``."""
    from jobsim.history import START

    last = (START + timedelta(days=days - 1)).date()
    on = last - timedelta(days=30)
    since = last - timedelta(days=PANEL_DAYS - 1)
    return [
        ("trend Rekognition week by country",
         ["trend", "Rekognition", "--freq", "week", "--by", "country"]),
        ("trend computer vision week by role family",
         ["trend", "computer vision", "--freq", "week", "--by", "role_family"]),
        ("trend manager week by country",
         ["trend", "manager", "--freq", "week", "--by", "country"]),
        ("first-seen computer vision", ["first-seen", "computer vision"]),
        ("active --on (a full board)", ["active", "--on", on.isoformat()]),
        ("history (one posting)", ["history", posting]),
        (f"panel export {PANEL_DAYS} days, Parquet",
         ["export", "--what", "panel", "--format", "parquet", "--since", since.isoformat(),
          "--until", last.isoformat(), "-o", "{tmp}/panel.parquet"]),
    ]  # fmt: skip


# -- the child process -------------------------------------------------------------------------


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (None when it is not a local process)."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker(argv: list[str]) -> None:
    """Run one ``jobtracker`` command in this process and print its figures as JSON."""
    from pymongo import monitoring

    class Waiting(monitoring.CommandListener):
        def __init__(self) -> None:
            self.seconds = 0.0
            self.commands = 0

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            pass

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            self.seconds += event.duration_micros / 1e6
            self.commands += 1

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            self.seconds += event.duration_micros / 1e6
            self.commands += 1

    server_pid = int(argv[0]) if argv[0] != "-" else None
    command = argv[1:]
    # Imports are not the command's time (the "total" column has them: a child's whole life).
    for module in PRELOADED:
        importlib.import_module(module)
    from jobtracker.cli import main

    waiting = Waiting()
    monitoring.register(waiting)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    server_cpu = cpu_seconds(server_pid)
    cpu = time.process_time()
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        status = main(command)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    after = cpu_seconds(server_pid)
    figures = {
        "status": status,
        "wall": wall,
        "server": waiting.seconds,
        "commands": waiting.commands,
        "cpu": cpu,
        "server_cpu": None if after is None or server_cpu is None else after - server_cpu,
        "rss_before_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "last_line": (out.getvalue().strip().splitlines() or [""])[-1],
    }
    print(json.dumps(figures))


def measure(command: list[str], uri: str, database: str, server_pid: int | None) -> dict:
    child = [sys.executable, __file__, "--worker", str(server_pid or "-"), *command,
             "--mongo-uri", uri, "--database", database]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(child, cwd=ROOT, capture_output=True, text=True, check=False)
    total = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["total"] = total
    if figures["status"] != 0:
        raise SystemExit(f"{' '.join(command)} exited {figures['status']}:\n{done.stderr[-2000:]}")
    return figures


# -- the parent --------------------------------------------------------------------------------


def build(db: Any, days: int, board: int, seed: int) -> dict[str, Any]:
    from jobsim.history import write_history

    started = time.perf_counter()
    counts = write_history(db, days, board, seed)
    counts["seconds"] = time.perf_counter() - started
    return counts


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (f"{'history':>8} {'versions':>8}  {'command':<42} {'wall s':>6} {'server':>6} "
              f"{'client':>6} {'CPU s':>5} {'srvCPU':>6} {'peak RSS':>8} {'total':>6}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for row in rows:
        f = row["figures"]
        server_cpu = "-" if f["server_cpu"] is None else f"{f['server_cpu']:.2f}"
        print(f"{row['days']:>4} d {row['versions']:>10,}  {row['label']:<42} {f['wall']:>6.2f} "
              f"{f['server']:>6.2f} {f['wall'] - f['server']:>6.2f} {f['cpu']:>5.2f} "
              f"{server_cpu:>6} {f['peak_rss_mb']:>5.0f} MiB {f['total']:>6.2f}")  # fmt: skip


def check_targets(rows: list[dict[str, Any]]) -> list[str]:
    """One line per target: held, or missed by how much."""
    lines = []
    for row in rows:
        wall, days, label = row["figures"]["wall"], row["days"], row["label"]
        limit = None
        if label.startswith("trend") and days in TREND_TARGETS:
            limit = TREND_TARGETS[days]
        elif label.split()[0] in ("first-seen", "active", "history"):
            limit = QUICK_TARGET
        if limit is None:
            continue
        verdict = "holds" if wall < limit else f"MISSED by {wall - limit:.2f} s"
        f = row["figures"]
        cpu = f"CPU {f['cpu']:.2f} s" + (
            "" if f["server_cpu"] is None else f" + server {f['server_cpu']:.2f} s"
        )
        lines.append(
            f"  {label} over {days} days: {wall:.2f} s ({cpu}; target < {limit:g} s) {verdict}"
        )
    panel = {r["days"]: r["figures"]["peak_rss_mb"] for r in rows if r["label"].startswith("panel")}
    if len(panel) > 1:
        low, high = min(panel.values()), max(panel.values())
        spread = (high - low) / low
        verdict = "holds" if spread <= PANEL_RSS_SPREAD else "MISSED"
        figures = ", ".join(f"{days} d {mb:.0f} MiB" for days, mb in sorted(panel.items()))
        lines.append(f"  panel export peak RSS {figures}: spread {spread:.0%} "
                     f"(target within {PANEL_RSS_SPREAD:.0%}) {verdict}")  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        worker(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default=",".join(map(str, DAYS)), help="history lengths")
    parser.add_argument("--board", type=int, default=22_000, help="open postings at a time")
    parser.add_argument("--seed", type=int, default=1, help="history seed")
    parser.add_argument("--mongo-uri", help="use this MongoDB instead of a test server")
    parser.add_argument(
        "--only",
        default="",
        help="measure only the commands whose label starts with one of these (comma-separated, "
        'e.g. "first-seen,trend Rekognition"); default: all',
    )
    args = parser.parse_args(argv)
    only = [prefix.strip() for prefix in args.only.split(",") if prefix.strip()]

    from pymongo import MongoClient

    from jobsim.mongo_test_server import ensure_jar, start

    mongo = None if args.mongo_uri else start(port=0, jar=ensure_jar())
    uri = args.mongo_uri or mongo.uri  # type: ignore[union-attr]
    server_pid = mongo.pid if mongo is not None else None
    client: MongoClient = MongoClient(uri, tz_aware=True)
    rows: list[dict[str, Any]] = []
    print(f"Research commands over simulated histories (board of {args.board:,} open postings, "
          f"seed {args.seed}; mongo-java-server unless --mongo-uri)")  # fmt: skip
    print("Histories are written in bulk in the documented schema (jobsim.history):")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for days in (int(d) for d in args.days.split(",")):
                database = f"bench_research_{days}_{os.getpid()}"
                db = client[database]
                counts = build(db, days, args.board, args.seed)
                print(f"  {days:>4} days: {counts['postings']:,} postings, "
                      f"{counts['versions']:,} versions, "
                      f"written in {counts['seconds']:.0f} s")  # fmt: skip
                edited = db.postings.find_one({"version": {"$gte": 3}}, {"_id": 1})
                posting = (edited or db.postings.find_one({}, {"_id": 1}))["_id"]
                for label, command in queries(days, posting):
                    if only and not any(label.startswith(prefix) for prefix in only):
                        continue
                    command = [part.replace("{tmp}", tmp) for part in command]
                    if not rows or rows[0]["days"] == days:  # warm the test server's JIT up
                        measure(command, uri, database, server_pid)
                    figures = measure(command, uri, database, server_pid)
                    rows.append({"days": days, "versions": counts["versions"], "label": label,
                                 "figures": figures})  # fmt: skip
                client.drop_database(database)
        print()
        print("wall s = server (waiting for MongoDB: every command's round trip) + client; "
              "CPU s: the command's process;")  # fmt: skip
        print("srvCPU: the MongoDB test server's CPU meanwhile; peak RSS: the command's process; "
              "total: the child's life (Python, imports)")  # fmt: skip
        print_table(rows)
        for row in rows:
            if row["label"].startswith("panel"):
                print(f"  {row['days']:>4} days: {row['figures']['last_line']}")
        print("Targets (docs/research.md, Performance):")
        for line in check_targets(rows):
            print(line)
    finally:
        client.close()
        if mongo is not None:
            mongo.stop()


if __name__ == "__main__":
    main()
