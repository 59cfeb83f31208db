"""``jobtracker probe`` against the simulator over real HTTP: OK on a healthy site, and each
contract drift named (issue 14)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobtracker.deploy.schedule import probe_refusal
from jobtracker.probe import Check, ProbeReport, run_probe

ROOT = Path(__file__).resolve().parents[1]


def jobtracker(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobtracker.cli", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False, env=env,
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


# -- jobtracker schedule probes first -----------------------------------------------------------
def report_with(*checks: Check) -> ProbeReport:
    return ProbeReport("http://127.0.0.1:8080", "en", list(checks))


def test_schedule_refuses_only_an_unsafe_drift_and_force_overrides() -> None:
    fine = Check("facets", "agree", "agree", True, True)
    copes = Check("past the window", "200", "HTTP 400", False)
    unsafe = Check("category filter", "aws: 900 hits", "0 hits", False, True)

    assert probe_refusal(report_with(fine, copes), force=False) is None
    refusal = probe_refusal(report_with(fine, copes, unsafe), force=False)
    assert refusal is not None
    assert (
        "category filter" in refusal
        and "--force" in refusal
        and "past the window" not in (refusal.split(":", 1)[0])
    )
    assert probe_refusal(report_with(fine, unsafe), force=True) is None


def test_schedule_probes_the_site_before_any_scrapyd_node(sim) -> None:
    sim.set_faults(category_filter_zero=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        node = f"http://127.0.0.1:{sock.getsockname()[1]}"  # never reached when refused
        refused = jobtracker("schedule", "--node", node, "--base-url", sim.url, "--batch", "b")
        forced = jobtracker(
            "schedule", "--node", node, "--base-url", sim.url, "--batch", "b", "--force"
        )

    assert refused.returncode == 1, refused.stdout + refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("jobtracker schedule: error: the site's contract drifted")
    assert "category filter" in line and "--force" in line
    assert "category filter" in refused.stdout and "DRIFT" in refused.stdout  # the table
    assert "unreachable" not in refused.stderr
    # --force schedules anyway: past the probe, the next step is the node, here unreachable.
    assert forced.returncode == 1
    assert "--force: scheduling anyway" in forced.stdout
    assert f"scrapyd node {node} is unreachable" in forced.stderr


def test_a_schedule_refused_for_a_drift_is_told_to_jobtracker_notify(sim, receiver) -> None:
    sim.set_faults(category_filter_zero=True)
    env = {**os.environ, "JOBTRACKER_NOTIFY": receiver.url}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        node = f"http://127.0.0.1:{sock.getsockname()[1]}"
        refused = jobtracker(
            "schedule", "--node", node, "--base-url", sim.url, "--batch", "b", env=env
        )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    (message,) = receiver.messages
    assert message["type"] == "failure"
    assert message["title"] == "jobtracker schedule amazon_jobs: not scheduled"
    assert "What happened: the site's contract drifted" in message["message"]
    assert f"Look closer: jobtracker probe --base-url {sim.url}" in message["message"]
