"""Pytest plugin: the simulated www.amazon.jobs, started by the test session itself.

``sim_server`` (session): ``python -m jobsim serve --port 0 --seed 1`` (default size) in
a subprocess, as a ``SimControl`` client; ``sim`` (function): the same server reset to day 0, no
faults, counters zeroed, before and after the test; ``start_sim`` (function): a factory for a
private instance, e.g. ``start_sim(size=3000, result_window=500, seed=7)``, stopped after the test.
"""

from __future__ import annotations

import http.client
import json
import os
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0


@dataclass
class HttpResponse:
    """A raw HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class SimControl:
    """A small client for a running simulator: plain HTTP requests plus the ``/_sim/`` controls."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80

    # -- plain HTTP ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 120.0,
    ) -> HttpResponse:
        """One request on a fresh connection (redirects are not followed)."""
        conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return HttpResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def get(
        self, path: str, params: Sequence[tuple[str, Any]] | dict[str, Any] | None = None
    ) -> HttpResponse:
        """GET ``path`` with query ``params`` (pairs keep order and repeats: ``facets[]``)."""
        if params:
            path = (
                f"{path}?{urlencode(list(params.items()) if isinstance(params, dict) else params)}"
            )
        return self.request("GET", path)

    def search(
        self, params: Sequence[tuple[str, Any]] | dict[str, Any] | None = None, locale: str = "en"
    ) -> dict[str, Any]:
        """``GET /{locale}/search.json`` decoded (asserts HTTP 200)."""
        resp = self.get(f"/{locale}/search.json", params)
        assert resp.status == 200, (resp.status, resp.body[:300])
        return resp.json()

    # -- controls -----------------------------------------------------------------------------

    def control(self, **body: Any) -> dict[str, Any]:
        """``POST /_sim/control``; returns the new state (raises on a 400)."""
        resp = self.request(
            "POST", "/_sim/control", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        if resp.status != 200:
            raise ValueError(f"control {body} answered {resp.status}: {resp.body!r}")
        return resp.json()

    def state(self) -> dict[str, Any]:
        """``GET /_sim/state``."""
        return self.get("/_sim/state").json()

    def set_day(self, day: int) -> dict[str, Any]:
        """Serve another day."""
        return self.control(day=day)

    def set_faults(self, **knobs: Any) -> dict[str, Any]:
        """Replace the fault config (no knobs: faults off)."""
        return self.control(faults=knobs)

    def reset(self) -> dict[str, Any]:
        """Day 0, no faults, counters zeroed."""
        return self.control(day=0, faults={}, reset_counters=True)

    def hourly_urls(self) -> dict[str, str]:
        """Origins of the simulated hourly sites: ``{"US": "http://127.0.0.1:PORT", ...}``."""
        return self.state()["hourly"]["urls"]

    def truth(
        self, day: int | None = None, jobs: bool = False, source: str | None = None
    ) -> list[dict[str, Any]]:
        """Ground truth of a day (default: the served day), one dict per live posting.

        ``source="amazon_hourly"``: the hourly sites' truth (``card`` with ``jobs``)."""
        params: dict[str, Any] = {}
        if source is not None:
            params["source"] = source
        if day is not None:
            params["day"] = day
        if jobs:
            params["jobs"] = 1
        resp = self.get("/_sim/truth", params)
        assert resp.status == 200, (resp.status, resp.body[:300])
        return [json.loads(line) for line in resp.body.decode().splitlines() if line]


class JobsimProcess:
    """``python -m jobsim ARGS`` in a subprocess; ``line``: the first line it printed (its
    address), read within :data:`START_TIMEOUT_S`. ``$JOBTRACKER_SIM_STDERR`` keeps its log."""

    what = "simulator"

    def __init__(self, *argv: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        log_path = os.environ.get("JOBTRACKER_SIM_STDERR")  # keep the server's log for debugging
        self.stderr = open(log_path, "a+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jobsim", *argv],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            stdin=subprocess.DEVNULL,
        )
        self.line = self._read_line()

    def _read_line(self) -> str:
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            ready = sel.select(timeout=START_TIMEOUT_S)
        finally:
            sel.close()
        return (self.proc.stdout.readline().decode() if ready else "").strip()

    def fail(self) -> NoReturn:
        """Stop the process and raise with its first line and the end of its log."""
        self.proc.kill()
        self.proc.wait(timeout=15)
        self.stderr.seek(0)
        err = self.stderr.read()[-2000:].decode(errors="replace")
        self.stop()
        raise RuntimeError(f"{self.what} did not start: {self.line!r}\n{err}")

    def stop(self) -> None:
        """Terminate the process (kill if it does not exit)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.stderr.close()


class SimProcess(JobsimProcess):
    """``python -m jobsim serve`` in a subprocess."""

    def __init__(self, *args: str) -> None:
        super().__init__("serve", "--port", "0", *args)
        if "listening on http://" not in self.line:
            self.fail()
        self.url = self.line.split(" listening on ", 1)[1].split()[0]
        self.control = SimControl(self.url)


def _args(**options: Any) -> list[str]:
    out: list[str] = []
    for name, value in options.items():
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        out += [flag, json.dumps(value) if isinstance(value, dict) else str(value)]
    return out


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimControl]:
    """The session's simulator (seed 1, default size), as a client."""
    proc = SimProcess("--seed", "1")
    try:
        yield proc.control
    finally:
        proc.stop()


@pytest.fixture
def sim(sim_server: SimControl) -> Iterator[SimControl]:
    """The session's simulator, reset (day 0, no faults, counters zeroed) around the test."""
    with reset_around(sim_server) as control:
        yield control


@contextmanager
def reset_around(control: SimControl) -> Iterator[SimControl]:
    """``control``'s simulator reset (day 0, no faults, counters zeroed) before and after."""
    control.reset()
    try:
        yield control
    finally:
        control.reset()


@pytest.fixture
def start_sim() -> Iterator[Callable[..., SimControl]]:
    """Factory for a private simulator: ``start_sim(size=3000, result_window=500, seed=7)``.

    Keywords map to ``serve`` options (``seed``, ``size``, ``day``, ``result_window``,
    ``horizon``, ``faults`` as a dict, ``hourly_size``, ``hourly_page_size``). Every instance is
    stopped after the test.
    """
    procs: list[SimProcess] = []

    def start(**options: Any) -> SimControl:
        proc = SimProcess(*_args(**options))
        procs.append(proc)
        return proc.control

    try:
        yield start
    finally:
        for proc in procs:
            proc.stop()
