"""Benchmark the archive backfill against the simulated archive (limits off): captures listed
per CDX request, captures fetched and stored per second, captures re-parsed per second from the
kept payloads (no network), peak memory of the crawl. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAST = {
    "JOBTRACKER_ARCHIVE_CDX_PER_MINUTE": "600000",
    "JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND": "100000",
    "JOBTRACKER_ARCHIVE_CC_INDEX_PER_SECOND": "100000",
    "JOBTRACKER_ARCHIVE_CC_DATA_PER_SECOND": "100000",
    "JOBTRACKER_ARCHIVE_PROGRESS_SECONDS": "3600",
}


def start_archive(captures: int, seed: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobsim",
            "archive",
            "serve",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--captures",
            str(captures),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def control(urls: dict[str, str], method: str, name: str, body: object = None) -> object:
    from urllib.request import Request, urlopen

    data = None if body is None else json.dumps(body).encode()
    request = Request(
        f"{urls['control']}/{name}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--captures", type=int, default=10_000, help="simulated captures (the issue: 50000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--archive", default="all", choices=["wayback", "commoncrawl", "all"])
    args = parser.parse_args(argv)

    from jobsim.mongo_test_server import ensure_jar, start

    mongo = start(port=0, jar=ensure_jar())
    sim, urls = start_archive(args.captures, args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench_backfill_"))
    try:
        control(urls, "POST", "faults", {"cdx_rate_per_min": 0})
        env = {
            **os.environ,
            **FAST,
            "JOBTRACKER_ARCHIVE_WAYBACK_URL": urls["wayback"],
            "JOBTRACKER_ARCHIVE_CC_INDEX_URL": urls["cc_index"],
            "JOBTRACKER_ARCHIVE_CC_DATA_URL": urls["cc_data"],
            "JOBTRACKER_ARCHIVE_DIR": str(work / "archive"),
        }
        base = [sys.executable, "-m", "jobtracker", "backfill"]
        db = ["--mongo-uri", mongo.uri, "--database", "bench_backfill"]
        started = time.perf_counter()
        run = subprocess.run(
            [*base, "run", "--archive", args.archive, *db],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if run.returncode:
            print(run.stderr[-3000:])
            raise SystemExit(f"the backfill failed (exit {run.returncode})")
        peaks = [int(m) for m in re.findall(r"'memusage/max': (\d+)", run.stderr)]
        status = json.loads(
            subprocess.run(
                [*base, "status", "--json", *db], env=env, capture_output=True, text=True
            ).stdout
        )
        counters = control(urls, "GET", "counters")
        routes = counters["routes"] if isinstance(counters, dict) else {}
        listed = sum(entry["listed"] for entry in status.values())
        fetched = sum(entry["fetched"] for entry in status.values())
        sightings = sum(entry["sightings"] for entry in status.values())
        cdx = routes.get("wayback_cdx", 0)
        wayback_listed = status.get("wayback", {}).get("listed", 0)
        print(
            f"backfill over a simulated archive of {args.captures:,} captures (seed "
            f"{args.seed}, limits off, mongo-java-server): {listed:,} listed, {fetched:,} "
            f"settled, {sightings:,} sightings in {wall:.0f} s wall (two Scrapy start-ups "
            f"included): {fetched / wall:,.0f} captures/s"
        )
        if cdx:
            print(
                f"  Wayback listing: {cdx:,} CDX requests for {wayback_listed:,} captures "
                f"({wayback_listed / cdx:,.0f} a request; 11 locale prefixes, 5,000 rows a "
                f"page): at the default 24/min, {cdx / 24:,.1f} min"
            )
        if peaks:
            print(f"  peak memory of a crawl (Scrapy memusage/max): {max(peaks) / 2**20:,.0f} MiB")
        started = time.perf_counter()
        reparse = subprocess.run(
            [*base, "reparse", "--json", "--archive-dir", str(work / "archive"), *db],
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        counts = json.loads(reparse.stdout or "{}")
        examined = counts.get("examined", 0)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(
            f"  reparse (no request): {examined:,} kept captures in {wall:.1f} s "
            f"({examined / wall:,.0f} captures parsed per second, one process); peak RSS of "
            f"any child {usage.ru_maxrss / 1024:,.0f} MiB"
        )
    finally:
        sim.terminate()
        sim.wait(timeout=30)
        mongo.stop()


if __name__ == "__main__":
    main()
