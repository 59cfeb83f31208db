"""Nothing runs open (docs/security.md): scrapyd does not start beyond loopback without
credentials, the deployment files keep MongoDB and scrapyd behind authentication, and a crawl
opens no code-running endpoint (Scrapy's remote control, the telnet console).

The launcher ``deploy/scrapyd-start`` (the image's entrypoint and the documented start
command) is run as a subprocess. Non-loopback addresses are only ever checked, never bound: the
launcher refuses before scrapyd starts, and the tests confirm nothing listens afterwards by
binding the same port on 127.0.0.1 themselves.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.scrapyd import call, free_port

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "deploy" / "scrapyd-start"


def launch(
    *args: str, cwd: Path, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPYD_")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, str(LAUNCHER), *args], cwd=cwd, env=environ, capture_output=True,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def write_conf(folder: Path, bind: str | None, port: int, extra: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["[scrapyd]", f"http_port = {port}", f"eggs_dir = {folder / 'eggs'}"]
    lines += [f"logs_dir = {folder / 'logs'}", f"dbs_dir = {folder / 'dbs'}", "items_dir ="]
    if bind is not None:
        lines.append(f"bind_address = {bind}")
    (folder / "scrapyd.conf").write_text("\n".join(lines) + "\n" + extra)


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "10.1.2.3", "192.168.7.7", "node.example"])
def test_scrapyd_beyond_loopback_without_credentials_does_not_start(
    address: str, tmp_path: Path
) -> None:
    port = free_port()
    write_conf(tmp_path, "127.0.0.1", port)
    done = launch(cwd=tmp_path, SCRAPYD_BIND_ADDRESS=address, SCRAPYD_HTTP_PORT=str(port))
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and not done.stdout, done.stderr
    assert lines[0].startswith("scrapyd-start: refusing to start") and address in lines[0]
    assert "SCRAPYD_USERNAME" in lines[0] and "SCRAPYD_PASSWORD" in lines[0]
    assert port_is_free(port) and not (tmp_path / "dbs").exists(), "scrapyd never started"


def test_the_shipped_configuration_without_credentials_does_not_start(tmp_path: Path) -> None:
    """deploy/scrapyd.conf binds 0.0.0.0 (inside the container): without credentials the
    documented start command refuses, and so does a password without a user name."""
    conf = (ROOT / "deploy" / "scrapyd.conf").read_text()
    assert "bind_address  = 0.0.0.0" in conf
    (tmp_path / "scrapyd.conf").write_text(conf.replace("/var/lib/scrapyd", str(tmp_path)))
    for env in ({}, {"SCRAPYD_PASSWORD": "Qx7Zr9Kp"}, {"SCRAPYD_USERNAME": "crawler"}):
        done = launch(cwd=tmp_path, **env)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "0.0.0.0:6800" in done.stderr and "Qx7Zr9Kp" not in done.stderr
    assert not (tmp_path / "dbs").exists()


def test_half_set_credentials_are_refused_even_on_loopback(tmp_path: Path) -> None:
    write_conf(tmp_path, "127.0.0.1", free_port())
    done = launch(cwd=tmp_path, SCRAPYD_PASSWORD="Qx7Zr9Kp")
    assert done.returncode == 2, done.stderr
    assert "SCRAPYD_USERNAME is not set" in done.stderr and "Qx7Zr9Kp" not in done.stderr


def test_check_passes_with_credentials_or_on_loopback(tmp_path: Path) -> None:
    write_conf(tmp_path, "0.0.0.0", free_port())
    done = launch("--check", cwd=tmp_path, SCRAPYD_USERNAME="crawler", SCRAPYD_PASSWORD="Qx7Zr9Kp")
    assert done.returncode == 0, done.stderr
    assert "authentication on" in done.stdout and "Qx7Zr9Kp" not in done.stdout
    write_conf(tmp_path, "::1", free_port())
    done = launch("--check", cwd=tmp_path)
    assert done.returncode == 0 and "loopback" in done.stdout, done.stderr


def test_scrapyd_on_loopback_starts_through_the_launcher(tmp_path: Path) -> None:
    port = free_port()
    write_conf(tmp_path, "127.0.0.1", port, "poll_interval = 0.5\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPYD_")}
    log = (tmp_path / "scrapyd.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(LAUNCHER)], cwd=tmp_path, env=environ, stdout=log,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert call(f"http://127.0.0.1:{port}/daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "scrapyd.log").read_text()
                assert time.monotonic() < deadline, "scrapyd did not start"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_deployment_files_keep_mongodb_and_scrapyd_behind_authentication() -> None:
    """What the Docker deployment must say (checked as text: no Docker in the test suite)."""
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["scrapyd-start"]' in dockerfile
    assert "deploy/scrapyd-start /usr/local/bin/scrapyd-start" in dockerfile
    assert 'CMD ["scrapyd"]' not in dockerfile
    compose = (ROOT / "deploy" / "docker-compose.yml").read_text()
    for required in (
        "MONGO_INITDB_ROOT_USERNAME: ${MONGO_ROOT_USERNAME:?",
        "MONGO_INITDB_ROOT_PASSWORD: ${MONGO_ROOT_PASSWORD:?",
        "MONGO_URI: mongodb://${MONGO_APP_USERNAME:?set MONGO_APP_USERNAME}:"
        "${MONGO_APP_PASSWORD:?set MONGO_APP_PASSWORD}@mongo:27017/",
        "SCRAPYD_USERNAME: ${SCRAPYD_USERNAME:?",
        "SCRAPYD_PASSWORD: ${SCRAPYD_PASSWORD:?",
        "--keyFile",
        "./mongo-init/app-user.js:/docker-entrypoint-initdb.d/",
    ):
        assert required in compose, required
    ports = [line.strip() for line in compose.splitlines() if line.strip().startswith("ports:")]
    assert ports and all('["127.0.0.1:' in line for line in ports), ports
    assert "mongodb://mongo:27017" not in compose, "no MongoDB URI without credentials"
    assert os.access(LAUNCHER, os.X_OK)
    init = (ROOT / "deploy" / "mongo-init" / "app-user.js").read_text()
    assert "process.env.MONGO_APP_PASSWORD" in init and '"readWrite"' in init


# -- no code-running endpoint in a crawl -------------------------------------------------------


class Crawl:
    """``scrapy crawl`` of the (slowed) simulator, as scrapyd would start it."""

    def __init__(self, sim_url: str, folder: Path, *settings: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "crawl.log"
        options = [
            "-s", f"LOG_FILE={self.log}", "-s", f"JOBTRACKER_VAR_DIR={folder / 'var'}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        ]  # fmt: skip
        for setting in settings:
            options += ["-s", setting]
        environ = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "scrapy", "crawl", "amazon_jobs",
                "-a", f"base_url={sim_url}", "-a", "query=Rekognition", *options,
            ],
            cwd=ROOT, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_running(self) -> str:
        """Wait until the spider is open and the engine started; returns the log so far."""
        deadline = time.monotonic() + 60
        while "Spider opened" not in (text := self.log.read_text() if self.log.exists() else ""):
            assert self.process.poll() is None, text[-3000:]
            assert time.monotonic() < deadline, text[-3000:]
            time.sleep(0.1)
        time.sleep(1.5)  # engine_started handlers (the remote control's) have run by now
        assert self.process.poll() is None, "the crawl must still run (the simulator is slow)"
        return self.log.read_text()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


def test_a_crawl_opens_no_remote_control_or_telnet_and_a_kill_leaves_no_token(
    sim, tmp_path: Path
) -> None:
    """Scrapy 2.19 starts, by default, an HTTP endpoint that runs posted Python code, with its
    bearer token in a job file under the user's state directory; a killed crawl leaves the
    file (and its token) behind. The telnet console (also a Python shell) is off too."""
    jobs = tmp_path / "job_files"
    sim.set_faults(slow_ms=3000, rate_slow=1.0)
    crawl = Crawl(sim.url, tmp_path, f"REMOTE_CONTROL_JOBS_DIR={jobs}")
    try:
        text = crawl.wait_running()
        assert "RemoteControl" not in text and "Remote control" not in text, text[-3000:]
        assert "TelnetConsole" not in text and "Telnet console listening" not in text
        assert not (jobs.exists() and list(jobs.iterdir())), list(jobs.iterdir())
    finally:
        crawl.kill()
    assert not (jobs.exists() and list(jobs.iterdir()))


def test_a_token_file_left_by_a_killed_crawl_is_removed_by_the_next_one(
    sim, tmp_path: Path
) -> None:
    """An operator who turns the remote control on (-s REMOTE_CONTROL_ENABLED=True) gets the job
    file of a SIGKILLed crawl removed when the next crawl starts (the dead process's token)."""
    jobs = tmp_path / "job_files"
    sim.set_faults(slow_ms=3000, rate_slow=1.0)
    on = ("REMOTE_CONTROL_ENABLED=True", f"REMOTE_CONTROL_JOBS_DIR={jobs}")
    first = Crawl(sim.url, tmp_path / "first", *on)
    try:
        first.wait_running()
        left = list(jobs.glob("*.json"))
        assert [path.name.split("-")[0] for path in left] == [str(first.process.pid)], left
    finally:
        first.kill()
    assert list(jobs.glob("*.json")) == left, "SIGKILL: nothing could remove it then"
    second = Crawl(sim.url, tmp_path / "second", *on)
    try:
        second.wait_running()
        now = list(jobs.glob("*.json"))
        assert [path.name.split("-")[0] for path in now] == [str(second.process.pid)], now
        assert "Removed the remote-control job file of stopped crawl" in second.log.read_text()
    finally:
        second.kill()
