"""``jobtracker probe`` against the simulator over real HTTP: OK on a healthy site, and each
contract drift named (issue 14)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobtracker.probe import run_probe

ROOT = Path(__file__).resolve().parents[1]


def jobtracker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobtracker.cli", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_probe_of_a_healthy_site_prints_ok_and_exits_0(sim) -> None:
    done = jobtracker("probe", "--base-url", sim.url)

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["check", "expected", "seen", "status"]
    names = ("reachable", "access", "robots.txt", "facets", "listing page", "category filter",
             "past the window", "result_limit=101", "keyword", "job page")  # fmt: skip
    rows = lines[1:-1]
    assert [row[:16].strip() for row in rows] == list(names)
    assert all(row.endswith("OK") for row in rows), rows
    assert lines[-1].startswith(f"OK: {sim.url} answers as the crawler expects")


@pytest.mark.parametrize(
    ("knobs", "drift", "unsafe"),
    [
        ({"facets_missing": True}, ["facets"], True),
        ({"facets_lie_categories": ["legal"]}, ["facets"], True),
        ({"category_filter_zero": True}, ["category filter"], True),
        ({"blocked_user_agents": ["research crawler"]}, ["access"], True),
        ({"block_everyone": True, "block_with_200": True}, ["access"], True),
        ({"window_error_400": True}, ["past the window"], False),
    ],
)
def test_probe_names_each_drift(sim, knobs: dict[str, Any], drift: list[str], unsafe: bool):
    sim.set_faults(**knobs)

    report = run_probe(sim.url)

    assert [check.name for check in report.checks if not check.ok] == drift
    assert bool(report.unsafe) is unsafe
    verdict = report.verdict()
    assert verdict.startswith(f"DRIFT: {', '.join(drift)}")
    assert ("unsafe to crawl or schedule" in verdict) is unsafe


def test_probe_exit_status_for_a_drift_an_unreachable_site_and_bad_input(sim) -> None:
    sim.set_faults(facets_missing=True)
    drifted = jobtracker("probe", "--base-url", sim.url)
    assert drifted.returncode == 1
    assert drifted.stdout.splitlines()[-1] == "DRIFT: facets; unsafe to crawl or schedule: facets"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
        down = jobtracker("probe", "--base-url", closed)
    assert down.returncode == 1
    assert "reachable" in down.stdout and "Connection refused" in down.stdout
    bad = jobtracker("probe", "--base-url", "localhost:8080")
    assert bad.returncode == 2 and "base_url" in bad.stderr and "Traceback" not in bad.stderr
