"""The simulated web archive at bench size (50,000 captures): start-up, listing and record figures.

Starts ``python -m jobsim archive serve --captures 50000`` as a child process and prints: time to
the ready line, the time and size of a full CDX listing of amazon.jobs (the server builds its rows
in the background from the ready line: the first listing may wait for that), a second listing,
200 replays, the Common Crawl index of every crawl, 200 WARC records by Range, the truth size and
the server's RSS. The CDX rate limit is turned off for the run. On a shared 2-core box run it
twice.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    try:
        conn.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {}
        )
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _post(url: str, body: dict[str, Any]) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("POST", parts.path, body=json.dumps(body).encode())
        conn.getresponse().read()
    finally:
        conn.close()


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=50_000, help="captures (default: 50000)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobsim", "archive", "serve", "--captures", str(args.captures)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())
        print(f"archive sim {args.captures} captures: ready in {time.perf_counter() - t0:.1f} s")
        _post(f"{urls['control']}/faults", {"cdx_rate_per_min": 0})
        query = urlencode({"url": "amazon.jobs", "matchType": "host"})
        for label in ("first", "second"):
            t = time.perf_counter()
            status, body = _get(f"{urls['wayback']}/cdx/search/cdx?{query}")
            lines = body.decode().splitlines()
            print(
                f"  CDX listing ({label}): {len(lines)} lines, {len(body) / 2**20:.1f} MiB, "
                f"{time.perf_counter() - t:.2f} s (status {status})"
            )
        rows = [x.split(" ") for x in lines if x.split(" ")[4:5] == ["200"]][::50][:200]
        t = time.perf_counter()
        for r in rows:
            _get(f"{urls['wayback']}/web/{r[1]}id_/{r[2]}")
        each_ms = (time.perf_counter() - t) / max(1, len(rows)) * 1000
        print(f"  {len(rows)} replays: {each_ms:.1f} ms each")
        status, body = _get(f"{urls['cc_index']}/collinfo.json")
        crawls = json.loads(body)
        t = time.perf_counter()
        cc: list[dict[str, Any]] = []
        for c in crawls:
            q = urlencode({"url": "amazon.jobs", "matchType": "host", "output": "json"})
            status, body = _get(f"{c['cdx-api']}?{q}")
            if status == 200:
                cc += [json.loads(x) for x in body.decode().splitlines()]
        print(
            f"  CC index of {len(crawls)} crawls: {len(cc)} rows, {time.perf_counter() - t:.2f} s"
        )
        t = time.perf_counter()
        picked = cc[:: max(1, len(cc) // 200)][:200]
        for row in picked:
            start = int(row["offset"])
            rng = f"bytes={start}-{start + int(row['length']) - 1}"
            _get(f"{urls['cc_data']}/{row['filename']}", {"Range": rng})
        print(
            f"  {len(picked)} WARC records by Range: "
            f"{(time.perf_counter() - t) / max(1, len(picked)) * 1000:.1f} ms each"
        )
        status, body = _get(f"{urls['control']}/truth")
        rss = _rss_mib(proc.pid)
        print(f"  truth: {len(json.loads(body))} valid sightings; server RSS {rss:.0f} MiB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
