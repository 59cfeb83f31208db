"""``jobtracker probe --hourly`` in Chromium against the simulated hourly sites: OK on healthy
sites, each drift of the hourly contract named, a clear error for bad input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = ("page", "token", "search call", "whole country", "answer shape", "nextToken")


def jobtracker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobtracker.cli", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def base_urls(sim) -> str:
    return ",".join(f"{key}={url}" for key, url in sim.hourly_urls().items())


def test_healthy_hourly_sites_pass_every_check(sim) -> None:
    done = jobtracker("probe", "--hourly", "--base-urls", base_urls(sim), "--timeout", "15")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    rows = [line for line in lines[1:-1]]
    names = [f"{site} {row}" for site in ("US", "CA", "UK", "IE") for row in ROWS]
    assert [row.split("  ")[0].strip() for row in rows] == names
    assert all(row.endswith("OK") for row in rows), rows
    # the US page makes no search call behind its location modal: the documented one is used
    assert "none: the documented request is used" in next(r for r in rows if "US search" in r)
    assert lines[-1].startswith("OK: each of the hourly sites US, CA, UK, IE answers as")
    counters = sim.state()["hourly"]["requests"]
    assert all(counters[site]["graphql"] <= 4 for site in ("US", "CA", "UK", "IE")), counters


def test_each_hourly_drift_is_named(sim) -> None:
    sim.set_faults(hourly_block=["UK"], hourly_require_geo={"IE": 100})
    done = jobtracker("probe", "--hourly", "--sites", "UK,IE", "--base-urls", base_urls(sim),
                      "--timeout", "15", "--json")  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    drifts = {check["name"]: check for check in report["checks"] if check["status"] == "DRIFT"}
    assert set(drifts) == {"UK whole country", "IE whole country"}, report
    blocked = drifts["UK whole country"]
    assert blocked["unsafe"] and "blocked: HTTP 403" in blocked["seen"]
    assert not drifts["IE whole country"]["unsafe"]  # the spider tiles such a site
    assert "geoQueryClause is required" in drifts["IE whole country"]["seen"]
    # the tile the probe asks instead answers as expected
    assert {c["name"]: c["status"] for c in report["checks"]}["IE answer shape"] == "OK"
    assert report["verdict"].endswith("unsafe to crawl or schedule: UK whole country")


def test_bad_input_and_an_unreachable_site(sim) -> None:
    bad = jobtracker("probe", "--hourly", "--sites", "JP")
    assert bad.returncode == 2 and bad.stderr.startswith("jobtracker probe: error:")
    assert "Traceback" not in bad.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    gone = jobtracker("probe", "--hourly", "--sites", "IE", "--base-urls", f"IE={closed}",
                      "--timeout", "5")  # fmt: skip
    assert gone.returncode == 1
    assert "IE page" in gone.stdout and "no answer: connection refused" in gone.stdout
