"""``make bench`` (second part): the ``amazon_hourly`` crawl in Chromium over loopback.

Crawls the four simulated hourly sites with ``scrapy crawl amazon_hourly`` (a child process,
without MongoDB), with the pause between pages off and at the project's default, and prints
pages and postings per minute, the wall time, and the peak memory of the crawl process and of
Chromium, next to the figures of the spider that drove the UI (clicking "more results" and
reading the rendered pages' calls, 20 cards a page), measured before it was replaced.
Chromium's figure is the peak, over 50 ms samples, of the summed PSS (proportional set size:
shared pages split between processes, so the renderer processes are not counted twice) of every
browser process under the crawl.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"LOG_LEVEL": "WARNING", "MONGO_URI": "", "AUTOTHROTTLE_ENABLED": "False",
            "DOWNLOAD_DELAY": "0"}  # fmt: skip


def start_simulator(hourly_size: int, seed: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``jobsim serve`` on free ports; return the process and the hourly sites' URLs."""
    command = [sys.executable, "-u", "-m", "jobsim", "serve", "--port", "0", "--size",
               "300", "--seed", str(seed), "--hourly-size", str(hourly_size)]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # "Simulator listening on ..."
    sites = dict(re.findall(r"(\w\w)=(http://\S+)", proc.stdout.readline()))
    if len(sites) != 4:
        proc.kill()
        raise SystemExit("the simulator did not report its four hourly sites")
    return proc, sites


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def browser_pss_mib(crawl_pid: int) -> float:
    """Summed PSS of the Chromium processes under the crawl, in MiB."""
    total_kib = 0
    for pid in descendants(crawl_pid):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        total_kib += int(match.group(1)) if match else 0
    return total_kib / 1024


def crawl(sites: dict[str, str], workdir: Path, name: str, page_delay: float) -> dict[str, Any]:
    """One ``amazon_hourly`` crawl; wall time, peak memory of the crawl and of Chromium."""
    summary_path = workdir / f"{name}.summary.json"
    pairs = ",".join(f"{key}={url}" for key, url in sites.items())
    command = [sys.executable, "-m", "scrapy", "crawl", "amazon_hourly", "-a",
               f"base_urls={pairs}", "-s", f"JOBTRACKER_SUMMARY_FILE={summary_path}",
               "-s", f"JOBTRACKER_HOURLY_PAGE_DELAY={page_delay}"]  # fmt: skip
    for key, value in SETTINGS.items():
        command += ["-s", f"{key}={value}"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT)
    peak_browser = 0.0
    while True:
        waited, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if waited:
            break
        peak_browser = max(peak_browser, browser_pss_mib(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"crawl {name} failed with status {status}")
    summary = json.loads(summary_path.read_text())
    return {"wall": wall, "crawl_rss": usage.ru_maxrss / 1024, "browser_pss": peak_browser,
            "stats": summary["stats"], "complete": summary["complete"]}  # fmt: skip


#: The UI-driving spider (commit 81322ee) on the simulator of its day, 600 postings, measured
#: on 2026-12-01 on the 2-core machine: (label, wall s, pages/min, postings/min, Chromium MiB).
BEFORE = (
    ("no pause, run 1", 5.8, 330, 6193, 490),
    ("no pause, run 2", 6.4, 298, 5584, 495),
    ("1 s pause", 21.7, 88, 1656, 487),
)


def report(label: str, result: dict[str, Any]) -> None:
    stats = result["stats"]
    pages, postings = stats["jobtracker/pages/ok"], stats["jobtracker/postings/unique"]
    minutes = result["wall"] / 60
    print(f"  {label}")
    print(f"    wall time            {result['wall']:.1f} s (child process, incl. browser start)")
    print(f"    result pages         {pages} ({pages / minutes:.0f} per minute)")
    print(f"    postings             {postings} ({postings / minutes:.0f} per minute), "
          f"run {'complete' if result['complete'] else 'INCOMPLETE'}")  # fmt: skip
    print(f"    peak memory          crawl {result['crawl_rss']:.0f} MiB RSS, "
          f"Chromium {result['browser_pss']:.0f} MiB PSS")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hourly-size", type=int, default=600, help="hourly postings live")
    parser.add_argument("--seed", type=int, default=1, help="simulator seed")
    parser.add_argument("--rounds", type=int, default=2, help="crawls without the page pause")
    args = parser.parse_args(argv)
    proc, sites = start_simulator(args.hourly_size, args.seed)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"Hourly crawl in Chromium of the four simulated sites ({args.hourly_size} "
                  "postings; the spider replays the listing from inside each page, 100 a "
                  "page):")  # fmt: skip
            for round_ in range(args.rounds):
                report(f"no pause between pages, run {round_ + 1}",
                       crawl(sites, Path(tmp), f"fast-{round_}", 0))  # fmt: skip
            report("the project's default pause (1 s between pages, 2 sites at once)",
                   crawl(sites, Path(tmp), "polite", 1.0))  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print("  before: the spider that drove the UI (20 a page, rendered between pages)")
    for label, wall, pages, postings, chromium in BEFORE:
        print(f"    {label:<16} {wall:.1f} s, {pages} pages/min, {postings} postings/min, "
              f"Chromium {chromium} MiB PSS")  # fmt: skip


if __name__ == "__main__":
    main()
