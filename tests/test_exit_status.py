"""What a crawl that cannot do its job says and how it exits, through the commands a user types
(`scrapy crawl`, `make crawl`) run as child processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "MONGO_URI="]


def run(*command: str, env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else gets it) but not
    listening, for as long as the test runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def failure_lines(stderr: str) -> list[str]:
    """The crawl's own one-line verdicts on why it failed: its log line and its last line."""
    return [
        line
        for line in stderr.splitlines()
        if "nothing was crawled" in line and (" ERROR: " in line or line.startswith("scrapy "))
    ]


def test_scrapy_crawl_of_an_unreachable_site_exits_1_and_says_so(
    closed_port: int, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    output = tmp_path / "postings.jsonl"
    done = run(sys.executable, "-m", "scrapy", "crawl", "amazon_jobs", "-a", f"base_url={url}",
               "-O", str(output), *FAST)  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    lines = failure_lines(done.stderr)
    assert len(lines) == 2, done.stderr[-3000:]
    assert all(f"{url} is unreachable" in line and "refused" in line for line in lines), lines
    # The last line is the verdict, so that a terminal shows it without scrolling.
    assert done.stderr.strip().splitlines()[-1] == (
        f"scrapy crawl amazon_jobs: unreachable: {url} is unreachable (connection refused); "
        "nothing was crawled"
    )
    assert "Spider closed (unreachable)" in done.stderr


def test_make_crawl_of_an_unreachable_site_fails_and_writes_no_success_line(
    closed_port: int, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    output = tmp_path / "postings.jsonl"
    done = run("make", "--no-print-directory", "crawl", f"BASE_URL={url}", f"OUTPUT={output}")
    assert done.returncode != 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Postings written to" not in done.stdout
    assert f"unreachable: {url} is unreachable (connection refused)" in done.stderr


def test_scrapy_crawl_of_a_site_that_blocks_the_client_exits_1_and_says_so(sim) -> None:
    sim.set_faults(blocked_user_agents=["research crawler"])
    done = run(sys.executable, "-m", "scrapy", "crawl", "amazon_jobs", "-a",
               f"base_url={sim.url}", *FAST)  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"scrapy crawl amazon_jobs: blocked: HTTP 403 from {sim.url}/")
    assert last.endswith("nothing was crawled")
    assert "Spider closed (blocked)" in done.stderr


@pytest.mark.parametrize(("strict", "code"), [("1", 3), ("0", 0)])
def test_strict_exit_makes_a_finished_incomplete_run_exit_3(sim, strict: str, code: int) -> None:
    env = {**os.environ, "JOBTRACKER_STRICT_EXIT": strict}
    done = run(sys.executable, "-m", "scrapy", "crawl", "amazon_jobs", "-a", f"base_url={sim.url}",
               "-a", "categories=legal", "-a", "max_pages=1", *FAST, env=env)  # fmt: skip
    assert done.returncode == code, done.stderr[-3000:]
    assert "Spider closed (finished)" in done.stderr and "INCOMPLETE" in done.stderr
