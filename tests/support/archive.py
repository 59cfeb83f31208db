"""Pytest plugin: the simulated web archive (docs/simulator_archive.md), started by the tests.

``archive_sim`` (function): one session server (``python -m jobsim archive serve --port 0``, seed 1,
default size) reset (no faults, counters zeroed, no pause or ban) before and after the test;
``start_archive_sim(**options)`` (function): a private instance, e.g.
``start_archive_sim(seed=7, captures=800, years="2024-2026")``, stopped after the test. Both give an
:class:`ArchiveSim` with ``.wayback_url``, ``.cc_index_url``, ``.cc_data_url``, ``.control_url``,
``.faults(**knobs)``, ``.truth()``, ``.counters()``, ``.reset()``.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.sim import JobsimProcess, _args


class ArchiveSim:
    """A client of a running simulated archive: its base URLs and its controls."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.wayback_url = urls["wayback"]
        self.cc_index_url = urls["cc_index"]
        self.cc_data_url = urls["cc_data"]
        self.control_url = urls["control"]
        parts = urlsplit(self.control_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80

    def _call(self, method: str, name: str, body: Any = None) -> Any:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, f"/_archive/{name}", body=data, headers=headers)
            resp = conn.getresponse()
            payload = json.loads(resp.read())
            if resp.status != 200:
                raise ValueError(f"{method} {name} answered {resp.status}: {payload}")
            return payload
        finally:
            conn.close()

    def faults(self, **knobs: Any) -> dict[str, Any]:
        """``POST /_archive/faults``: set knobs (ValueError on a 400); returns all knobs."""
        return self._call("POST", "faults", knobs)

    def reset(self) -> None:
        """``POST /_archive/reset``."""
        self._call("POST", "reset", {})

    def truth(self) -> list[dict[str, Any]]:
        """``GET /_archive/truth``: the valid sightings among the listed captures."""
        return self._call("GET", "truth")

    def counters(self) -> dict[str, Any]:
        """``GET /_archive/counters``."""
        return self._call("GET", "counters")


class ArchiveProcess(JobsimProcess):
    """``python -m jobsim archive serve`` in a subprocess."""

    what = "archive simulator"

    def __init__(self, *args: str) -> None:
        super().__init__("archive", "serve", "--port", "0", *args)
        try:
            urls = json.loads(self.line)
        except ValueError:
            self.fail()
        self.sim = ArchiveSim(urls)


@pytest.fixture(scope="session")
def archive_sim_server() -> Iterator[ArchiveSim]:
    """The session's simulated archive (seed 1, default size)."""
    proc = ArchiveProcess("--seed", "1")
    try:
        yield proc.sim
    finally:
        proc.stop()


@pytest.fixture
def archive_sim(archive_sim_server: ArchiveSim) -> Iterator[ArchiveSim]:
    """The session's simulated archive, reset before and after the test."""
    archive_sim_server.reset()
    try:
        yield archive_sim_server
    finally:
        archive_sim_server.reset()


@pytest.fixture
def start_archive_sim() -> Iterator[Callable[..., ArchiveSim]]:
    """Factory for a private archive: ``start_archive_sim(seed=7, captures=800)``."""
    procs: list[ArchiveProcess] = []

    def start(**options: Any) -> ArchiveSim:
        proc = ArchiveProcess(*_args(**options))
        procs.append(proc)
        return proc.sim

    try:
        yield start
    finally:
        for proc in procs:
            proc.stop()
