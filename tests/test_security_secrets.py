"""Secrets stay secret (docs/security.md): one ``redact()`` for every URI the project prints,
over awkward passwords; no part of a password in a crawl's log, on a command line (``ps``:
``/proc/<pid>/cmdline``) or in an error line, across a crawl, the demo, a schedule and a deploy.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from pymongo import MongoClient

from tests.support.scrapyd import ScrapydServer, free_port, wait_finished

#: Where a URI gets printed: the store pipeline (crawl log), the research commands and the demo,
#: the scrapyd node configuration. All must be the one function.
REDACTORS = [
    "jobtracker.pipelines",
    "jobtracker.research.connection",
    "jobtracker.deploy.nodes",
]
#: Passwords an operator may really have: reserved characters, escapes, unicode.
PASSWORDS = [
    "Qx7@Zr9Kp",
    "Qx7/Zr9Kp",
    "Qx7:Zr9Kp",
    "Qx7%Zr9Kp",
    "Qx7%41Zr9Kp",
    "Zürich€パスQx7",
    "Qx7@Zr9/Kp:Wm%Jn?Yt#Lv",
    "@Qx7",
    "Qx7@",
]
URIS = [
    "mongodb://admin:{}@db.example.org/",
    "mongodb://admin:{}@db.example.org:27017/jobtracker?authSource=admin",
    "mongodb://admin:{}@a.example.org:27017,b.example.org:27017/?replicaSet=rs0",
    "mongodb+srv://admin:{}@cluster0.example.net/?retryWrites=true",
    "mongodb://admin:{}@[::1]:27017/",
    "http://crawler:{}@127.0.0.1:6800",
    "https://crawler:{}@scrapyd.example.org/prefix",
    "http://proxyuser:{}@proxy.example.org:3128",
]


def fragments(password: str) -> list[str]:
    """The pieces of a password that must never be shown: the whole, escaped or not, and every
    run of letters and digits in it."""
    pieces = {password, quote_plus(password), *re.findall(r"\w+", password)}
    return sorted(piece for piece in pieces if piece)


@pytest.mark.parametrize("module", REDACTORS)
@pytest.mark.parametrize("template", URIS)
@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("escaped", [False, True])
def test_redact_hides_every_part_of_awkward_passwords(
    module: str, template: str, password: str, escaped: bool
) -> None:
    redact = importlib.import_module(module).redact
    uri = template.format(quote_plus(password) if escaped else password)
    shown = redact(uri)
    leaked = [piece for piece in fragments(password) if piece in shown]
    assert not leaked, (uri, shown)
    user = template.split("//")[1].split(":")[0]
    host = template.split("@")[1][:12]
    assert f"//{user}:***@" in shown and host in shown, shown


@pytest.mark.parametrize("module", REDACTORS)
def test_redact_keeps_what_is_not_a_secret(module: str) -> None:
    redact = importlib.import_module(module).redact
    for uri in (
        "mongodb://127.0.0.1:27018/",
        "mongodb://a.example.org,b.example.org/?replicaSet=rs0&w=majority",
        "http://127.0.0.1:6800",
        "http://crawler@127.0.0.1:6800",
        "not a uri",
    ):
        assert redact(uri) == uri
    assert (
        redact("mongodb://u:p@h/?tlsCertificateKeyFilePassword=Qx7&replicaSet=rs0")
        == "mongodb://u:***@h/?tlsCertificateKeyFilePassword=***&replicaSet=rs0"
    )


# -- error lines, logs and command lines ------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
#: Awkward passwords for the end-to-end checks (as typed: unescaped, and escaped).
TYPED = ["Qx7/Zr9Kp", "Qx7@Zr9Kp", "Qx7:Zr9Kp", "Zürich€パスQx7", quote_plus("Qx7@Zr9/Kp")]
SECRET_PIECES = ["Qx7", "Zr9Kp", "Zr9", "Wm%Jn", "Zürich", "パス"]


def no_secret(*texts: str) -> None:
    for text in texts:
        shown = [piece for piece in SECRET_PIECES if piece in text]
        assert not shown, (shown, text[-3000:])


def run(
    *command: str, env: dict[str, str] | None = None, timeout: float = 300
) -> tuple[int, str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCRAPYD_", "JOBTRACKER_SCRAPYD", "MONGO_"))
    }
    environ.update(env or {})
    done = subprocess.run(
        list(command), cwd=ROOT, env=environ, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def jobtracker(*args: str, **env: str) -> tuple[int, str, str]:
    return run(sys.executable, "-m", "jobtracker.cli", *args, env=env)


def one_line(status: int, out: str, err: str, expected: int, phrase: str) -> str:
    assert status == expected, (status, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert phrase in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("password", TYPED)
def test_a_bad_or_unreachable_mongo_uri_is_one_line_without_the_password(password: str) -> None:
    uri = f"mongodb://admin:{password}@127.0.0.1:{free_port()}/"
    status, out, err = jobtracker("runs", "--mongo-uri", uri)
    if "/" in password or "@" in password or ":" in password:
        line = one_line(status, out, err, 2, "bad MongoDB URI mongodb://admin:***@127.0.0.1:")
        assert "percent-escape" in line
    else:
        one_line(status, out, err, 1, "cannot reach MongoDB at mongodb://admin:***@127.0.0.1:")
    no_secret(out, err)


@pytest.mark.parametrize("password", [TYPED[0], TYPED[1], TYPED[4]])
def test_a_crawl_logs_no_part_of_the_mongo_password(
    password: str, mongo_uri: str, tmp_path: Path
) -> None:
    """An unescaped password is one error line (no traceback); an escaped one that the server
    refuses (the test server has no authentication) is logged redacted too."""
    host = mongo_uri.split("//", 1)[1].strip("/")
    uri = f"mongodb://admin:{password}@{host}/"
    log = tmp_path / "crawl.log"
    status, out, err = run(
        sys.executable, "-m", "scrapy", "crawl", "amazon_jobs",
        "-a", f"base_url=http://127.0.0.1:{free_port()}", "-a", "query=x",
        "-s", f"LOG_FILE={log}", "-s", f"JOBTRACKER_VAR_DIR={tmp_path / 'var'}",
        env={"MONGO_URI": uri, "MONGO_DATABASE": "secrets"},
    )  # fmt: skip
    text = log.read_text()
    assert status == 1, (out, err, text[-3000:])
    assert "Traceback" not in err + text, text[-3000:]
    assert "mongodb://admin:***@" in text and "store_unavailable" in text
    assert "jobtracker.extensions.SafeLogs" in text, "the log filter is on"
    if password != TYPED[4]:
        assert "percent-escape it" in text
    no_secret(out, err, text)


def test_deploy_and_schedule_errors_show_no_part_of_a_node_password() -> None:
    url = f"http://crawler:Qx7/Zr9Kp@127.0.0.1:{free_port()}"
    for command in (["deploy"], ["schedule", "--values", "aws"]):
        status, out, err = jobtracker(*command, "--node", url)
        one_line(status, out, err, 2, "bad scrapyd node URL 'http://crawler:***@127.0.0.1:")
        no_secret(out, err)


def test_schedule_refuses_a_secret_on_the_command_line_of_the_crawls() -> None:
    """scrapyd starts each crawl with its settings as ``-s NAME=VALUE``: visible in ``ps`` and
    logged by scrapyd. A secret belongs in scrapyd's environment."""
    node = f"http://127.0.0.1:{free_port()}"  # never reached: the check comes first
    for option in (
        "MONGO_URI=mongodb://admin:Qx7%40Zr9Kp@db.example.org/",
        "MONGO_URI=mongodb://admin:Qx7@Zr9Kp@db.example.org/",
        "HTTPPROXY_PASSWORD=Qx7Zr9Kp",
        "AWS_SECRET_ACCESS_KEY=Qx7Zr9Kp",
        "JOBTRACKER_NOTIFY=slack://T0Qx7/B0Zr9/Kp",  # Apprise URLs hold tokens
    ):
        status, out, err = jobtracker(
            "schedule", "--node", node, "--values", "aws", "--set", option
        )
        line = one_line(status, out, err, 2, "jobtracker schedule: error: --set ")
        assert "environment" in line
        no_secret(out, err)
    status, out, err = jobtracker(
        "schedule", "--node", node, "--values", "aws",
        "--arg", "base_url=http://u:Qx7Zr9Kp@sim.example.org",
    )  # fmt: skip
    no_secret(one_line(status, out, err, 2, "jobtracker schedule: error: --arg "), out)


def child_processes(pid: int) -> list[int]:
    """Live children of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def process_argv_and_environ(pid: int) -> tuple[list[str], dict[str, str]] | None:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    pairs = (item.decode(errors="replace").partition("=") for item in environ if item)
    return [a.decode(errors="replace") for a in argv if a], {k: v for k, _, v in pairs}


def test_the_demo_passes_mongo_uri_to_its_crawls_in_the_environment(
    mongo_uri: str, tmp_path: Path
) -> None:
    """``ps`` shows every user a process's command line; only its owner reads its environment."""
    database = f"demo_secrets_{uuid.uuid4().hex[:8]}"
    demo = subprocess.Popen(
        [
            sys.executable, "-m", "jobtracker.cli", "demo", "--days", "2", "--size", "60",
            "--mongo-uri", mongo_uri, "--database", database, "--plot", str(tmp_path / "d.png"),
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    crawls: dict[int, tuple[list[str], dict[str, str]]] = {}
    try:
        deadline = time.monotonic() + 240
        while demo.poll() is None and time.monotonic() < deadline:
            for pid in child_processes(demo.pid):
                seen = process_argv_and_environ(pid)
                if seen and "crawl" in seen[0]:
                    crawls.setdefault(pid, seen)
            time.sleep(0.05)
        _out, err = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
        MongoClient(mongo_uri).drop_database(database)
    assert demo.returncode == 0, err[-3000:]
    assert crawls, "the demo's crawls were not seen"
    host = mongo_uri.split("//", 1)[1].strip("/")
    for argv, environ in crawls.values():
        assert not [arg for arg in argv if "MONGO_URI" in arg or host in arg], argv
        assert environ.get("MONGO_URI") == mongo_uri


SCRAPYD_AUTH = ("crawler", "Qx7@Zr9/Kp:Wm%Jn")


def test_a_deploy_and_a_scheduled_crawl_show_no_password_in_output_logs_or_argv(
    mongo_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scrapyd holds MONGO_URI (a careless one: an unescaped '@' in the password) in its
    environment; the operator deploys with an awkward scrapyd password, in the environment and
    escaped in the node URL, and schedules a crawl. Nothing they see, nothing scrapyd logs (its
    own log records every crawl's argv) and nothing the crawl logs holds any part of either."""
    host = mongo_uri.split("//", 1)[1].strip("/")
    monkeypatch.setenv("MONGO_URI", f"mongodb://admin:Qx7@Zr9Kp@{host}/")
    with ScrapydServer(tmp_path / "scrapyd", auth=SCRAPYD_AUTH) as scrapyd:
        monkeypatch.delenv("MONGO_URI")
        credentials = {"SCRAPYD_USERNAME": SCRAPYD_AUTH[0], "SCRAPYD_PASSWORD": SCRAPYD_AUTH[1]}
        outputs = []
        status, out, err = jobtracker(
            "deploy", "--node", scrapyd.url, "--version", "1", **credentials
        )
        assert status == 0, err
        outputs += [out, err]
        in_url = scrapyd.url.replace("//", f"//crawler:{quote_plus(SCRAPYD_AUTH[1])}@")
        status, out, err = jobtracker("deploy", "--node", in_url, "--version", "2")
        assert status == 0 and "deployed jobtracker 2 to" in out, err
        outputs += [out, err]
        status, out, err = jobtracker(
            "schedule", "--node", in_url, "--values", "aws", "--batch", "secrets",
            "--base-url", f"http://127.0.0.1:{free_port()}",
            "--set", f"JOBTRACKER_VAR_DIR={tmp_path / 'var'}", "--set", "MONGO_DATABASE=secrets",
        )  # fmt: skip
        assert status == 0 and "1 scheduled" in out, (out, err)
        outputs += [out, err]
        wait_finished([scrapyd], {"secrets.category.aws"}, timeout=120)
        job_log = scrapyd.log_text("secrets.category.aws")
    scrapyd_log = (tmp_path / "scrapyd" / "scrapyd.log").read_text()
    assert "Process started" in scrapyd_log and "MONGO_URI" not in scrapyd_log
    assert "mongodb://admin:***@" in job_log and "store_unavailable" in job_log, job_log[-3000:]
    no_secret(*outputs, scrapyd_log, job_log)


def test_a_base_url_with_credentials_is_refused_without_showing_them(tmp_path: Path) -> None:
    """Credentials in base_url would be on every logged request URL and in crawl_runs."""
    log = tmp_path / "crawl.log"
    status, out, err = run(
        sys.executable, "-m", "scrapy", "crawl", "amazon_jobs",
        "-a", f"base_url=http://crawler:Qx7Zr9Kp@127.0.0.1:{free_port()}",
        "-s", f"LOG_FILE={log}", "-s", "LOG_LEVEL=DEBUG",
        "-s", f"JOBTRACKER_VAR_DIR={tmp_path / 'var'}",
    )  # fmt: skip
    text = log.read_text()
    assert status == 2, text[-3000:]
    assert "http://crawler:***@127.0.0.1:" in text and "user name or password" in text
    no_secret(out, err, text)


def test_every_log_record_of_a_crawl_is_redacted_and_free_of_control_characters(
    tmp_path: Path,
) -> None:
    """Whatever logs it (a site's error text, a facet value, an exception message), a crawl's log
    line holds no password and no terminal escape: the filter of jobtracker.extensions.SafeLogs
    on the log handlers."""
    from jobtracker.extensions import SafeLogFilter

    path = tmp_path / "x.log"
    handler = logging.FileHandler(path)
    handler.addFilter(SafeLogFilter())
    logger = logging.getLogger("jobtracker.test.safelogs")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        logger.warning(
            "Soft error from %s: %s", "mongodb://admin:Qx7@Zr9Kp@db/",
            "\x1b]0;OWNED\x07bad\rfake line\x9b2J\ttab",
        )  # fmt: skip
        logger.info("multi\nline %d", 3)
    finally:
        logger.removeHandler(handler)
        handler.close()
    text = path.read_text()
    no_secret(text)
    assert "mongodb://admin:***@db/" in text
    assert not re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), repr(text)
    assert "\\x1b]0;OWNED\\x07bad\\x0dfake line" in text and "multi\nline 3" in text
