"""Deployment: the project egg on a real scrapyd (from PyPI), scheduled like cron would.

The test builds the egg as scrapyd-deploy does (``setup.py bdist_egg``), starts scrapyd on
127.0.0.1 with a temporary configuration, uploads the egg with ``addversion.json``, schedules
a keyword crawl of the simulator with ``schedule.json`` and waits for it to finish. The run is
stored in MongoDB under scrapyd's job id.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(
    url: str,
    data: dict[str, str] | list[tuple[str, str]] | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    body = urlencode(data).encode() if isinstance(data, dict | list) else data
    with urlopen(Request(url, data=body, headers=headers or {}), timeout=30) as response:
        return json.loads(response.read())


def multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + path.read_bytes()
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """scrapyd on a free loopback port, with its eggs, logs and queues in ``tmp_path``."""
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.5\n"
        f"eggs_dir = {tmp_path / 'eggs'}\nlogs_dir = {tmp_path / 'logs'}\n"
        f"dbs_dir = {tmp_path / 'dbs'}\nitems_dir =\nmax_proc = 2\n"
    )
    log = (tmp_path / "scrapyd.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(f"{url}/daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / "scrapyd.log").read_text()
            assert time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_egg_deploys_and_a_scheduled_crawl_stores_its_run(
    scrapyd: str, sim, mongo_uri: str, tmp_path: Path
) -> None:
    built = subprocess.run(
        [sys.executable, "setup.py", "-q", "bdist_egg", "-d", str(tmp_path / "dist"), "-b",
         str(tmp_path / "build")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (egg,) = (tmp_path / "dist").glob("*.egg")
    body, content_type = multipart({"project": "jobtracker", "version": "1"}, "egg", egg)
    added = call(f"{scrapyd}/addversion.json", body, {"Content-Type": content_type})
    assert added["status"] == "ok" and added["spiders"] >= 1, added
    assert "amazon_jobs" in call(f"{scrapyd}/listspiders.json?project=jobtracker")["spiders"]

    database = f"scrapyd_{uuid.uuid4().hex[:8]}"
    job = "cron-rekognition-1"
    scheduled = call(
        f"{scrapyd}/schedule.json",
        [
            ("project", "jobtracker"), ("spider", "amazon_jobs"), ("jobid", job),
            ("query", "Rekognition"), ("base_url", sim.url),
            ("setting", f"MONGO_URI={mongo_uri}"), ("setting", f"MONGO_DATABASE={database}"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"), ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", f"JOBTRACKER_VAR_DIR={tmp_path / 'var'}"),
        ],
    )  # fmt: skip
    assert scheduled == {"node_name": scheduled["node_name"], "status": "ok", "jobid": job}

    deadline = time.monotonic() + 180
    while True:
        jobs = call(f"{scrapyd}/listjobs.json?project=jobtracker")
        if any(j["id"] == job for j in jobs["finished"]):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)

    client = MongoClient(mongo_uri, tz_aware=True)
    try:
        run = client[database].crawl_runs.find_one({"_id": job})
        assert run is not None, "the run is stored under scrapyd's job id"
        assert run["finish_reason"] == "finished" and run["keyword_run"] is True
        expected = {
            t["id_icims"] for t in sim.truth(jobs=True)
            if "rekognition" in json.dumps(t["job"]).lower()
        }  # fmt: skip
        stored = set(client[database].postings.distinct("source_id"))
        assert stored == expected
    finally:
        client.drop_database(database)
        client.close()
