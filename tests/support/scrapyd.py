"""Real scrapyd servers (scrapyd 1.6 from PyPI) for the deployment tests.

``ScrapydServer`` starts ``python -m scrapyd`` on a free loopback port with a temporary
configuration (eggs, logs and queues in its own folder) and, when given credentials, basic
authentication turned on through ``SCRAPYD_USERNAME`` / ``SCRAPYD_PASSWORD``, as the
deployment does. ``call`` is a bare JSON request for the tests' own checks.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(
    url: str,
    data: dict[str, str] | list[tuple[str, str]] | None = None,
    auth: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """GET (or POST ``data``) one scrapyd endpoint and decode its JSON answer."""
    body = urlencode(data).encode() if data is not None else None
    request = Request(url, data=body)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class ScrapydServer:
    """One scrapyd process; a context manager that stops it on exit."""

    def __init__(
        self, folder: Path, *, auth: tuple[str, str] | None = None, max_proc: int = 2
    ) -> None:
        self.folder = folder
        self.auth = auth
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {self.port}\npoll_interval = 0.5\n"
            f"eggs_dir = {folder / 'eggs'}\nlogs_dir = {folder / 'logs'}\n"
            f"dbs_dir = {folder / 'dbs'}\nitems_dir =\nmax_proc = {max_proc}\n"
        )
        env = dict(os.environ)
        env.pop("SCRAPYD_USERNAME", None)
        env.pop("SCRAPYD_PASSWORD", None)
        if auth:
            env["SCRAPYD_USERNAME"], env["SCRAPYD_PASSWORD"] = auth
        self.log = (folder / "scrapyd.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"], cwd=folder, env=env, stdout=self.log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if self.call("daemonstatus.json")["status"] == "ok":
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"scrapyd exited:\n{(self.folder / 'scrapyd.log').read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError("scrapyd did not start")
            time.sleep(0.2)

    @property
    def authorized_url(self) -> str:
        """The URL with ``user:password@`` in it."""
        if not self.auth:
            return self.url
        return f"http://{self.auth[0]}:{self.auth[1]}@127.0.0.1:{self.port}"

    def call(
        self, endpoint: str, data: dict[str, str] | list[tuple[str, str]] | None = None
    ) -> dict[str, Any]:
        """One API call with the server's own credentials."""
        return call(f"{self.url}/{endpoint}", data, self.auth)

    def jobs(self, project: str = "jobtracker") -> dict[str, list[dict[str, Any]]]:
        """``listjobs.json``: pending, running and finished jobs."""
        return self.call(f"listjobs.json?project={project}")

    def job_ids(self, project: str = "jobtracker") -> set[str]:
        """Ids of every job this server lists, in any state."""
        listing = self.jobs(project)
        return {job["id"] for state in ("pending", "running", "finished") for job in listing[state]}

    def log_text(self, job: str, spider: str = "amazon_jobs", project: str = "jobtracker") -> str:
        """The crawl log scrapyd kept for one job ('' if none)."""
        path = self.folder / "logs" / project / spider / f"{job}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Terminate scrapyd (its running crawls get SIGTERM from it) and wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.log.close()

    def __enter__(self) -> ScrapydServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_finished(
    servers: list[ScrapydServer], job_ids: set[str], timeout: float = 300.0
) -> dict[str, dict[str, Any]]:
    """Wait until every job finished on some server; returns job id -> finished entry."""
    deadline = time.monotonic() + timeout
    while True:
        finished: dict[str, dict[str, Any]] = {}
        for server in servers:
            try:
                listing = server.jobs()
            except URLError:
                continue
            for entry in listing["finished"]:
                finished[entry["id"]] = {**entry, "server": server.url}
        if job_ids <= set(finished):
            return finished
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs not finished in {timeout:g} s: {job_ids - set(finished)}")
        time.sleep(0.5)
