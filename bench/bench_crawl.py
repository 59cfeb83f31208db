"""``make bench``: crawl the default simulated board over loopback and print figures.

Starts the simulator (default size), runs ``scrapy crawl amazon_jobs`` against it as a child
process with politeness turned off, and prints requests (and the minimum possible), wall time,
postings per second and the crawl process's peak memory. Figures depend on the machine: run it
twice and quote both on a shared 2-core box.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
FAST = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "WARNING",
    "MONGO_URI": "",
}


def start_simulator(size: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    """Start ``jobtracker.sim`` on a free port; return the process and its base URL."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobtracker.sim",
            "serve",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--size",
            str(size),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://[\w.\-]+:\d+", line)
    if not match:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, match.group(0)


def minimum_requests(truth: list[dict], window: int = 10_000) -> int:
    """robots.txt + root facet call + one request per 100 postings per partition + splits."""
    total = 2
    for category, count in Counter(t["business_category"] for t in truth).items():
        if count <= window:
            total += math.ceil(count / 100)
            continue
        countries = Counter(t["country_code"] for t in truth if t["business_category"] == category)
        total += 1 + sum(math.ceil(n / 100) for n in countries.values())
    return total


def crawl(url: str, workdir: Path, settings: dict[str, str]) -> dict:
    """Run one crawl in a child process; return wall time, peak RSS and its summary."""
    summary_path = workdir / "summary.json"
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "amazon_jobs",
        "-a",
        f"base_url={url}",
        "-O",
        str(workdir / "postings.jsonl"),
        "-s",
        f"JOBTRACKER_SUMMARY_FILE={summary_path}",
    ]
    for name, value in {**FAST, **settings}.items():
        command += ["-s", f"{name}={value}"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"crawl failed with status {status}")
    summary = json.loads(summary_path.read_text())
    return {"wall": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "summary": summary}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=22_000, help="simulated board size")
    parser.add_argument("--seed", type=int, default=1, help="simulator seed")
    args = parser.parse_args(argv)

    proc, url = start_simulator(args.size, args.seed)
    try:
        with urlopen(f"{url}/_sim/truth") as response:
            truth = [json.loads(line) for line in response.read().splitlines() if line.strip()]
        with tempfile.TemporaryDirectory() as tmp:
            result = crawl(url, Path(tmp), {})
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    stats = result["summary"]["stats"]
    postings = stats["jobtracker/postings/unique"] or 0
    requests = stats["downloader/request_count"]
    partitions = result["summary"]["partitions"]
    print(f"Full crawl of the simulated board ({len(truth)} live postings, seed {args.seed}),")
    print("loopback, politeness off (no AutoThrottle, no delay, 16 concurrent requests):")
    print(f"  postings collected    {postings} ({'all' if postings == len(truth) else 'NOT all'})")
    print(f"  partitions complete   {sum(p['complete'] for p in partitions)}/{len(partitions)}")
    print(f"  requests              {requests} (minimum possible {minimum_requests(truth)})")
    print(f"  wall time             {result['wall']:.1f} s")
    print(f"  postings per second   {postings / result['wall']:.0f}")
    print(f"  peak memory (crawl)   {result['peak_rss_mb']:.0f} MiB RSS")


if __name__ == "__main__":
    main()
