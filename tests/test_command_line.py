"""The commands a user types, run as child processes: `scrapy crawl`, `jobtracker`, the egg."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from jobtracker.extensions import format_role_family_coverage

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "MONGO_URI="]


def run(*command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_scrapy_crawl_writes_json_lines_and_says_history_is_off(sim, tmp_path: Path) -> None:
    output = tmp_path / "rekognition.jsonl"
    done = run(sys.executable, "-m", "scrapy", "crawl", "amazon_jobs", "-a", f"base_url={sim.url}",
               "-a", "query=Rekognition", "-O", str(output), *FAST)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "history tracking is OFF" in done.stderr
    assert "Crawl summary" in done.stderr and "COMPLETE" in done.stderr
    postings = [json.loads(line) for line in output.read_text().splitlines()]
    mapped = sum(bool(p["role_family"]["role_family"]) for p in postings)
    line = format_role_family_coverage("amazon_jobs", mapped, len(postings))
    assert f"] INFO: {line}\n" in done.stderr  # the corporate source's own coverage line
    assert "amazon_hourly postings" not in done.stderr
    # The feed writes each text once: the keyword is in the cleaned texts or what raw keeps.
    assert postings and all("rekognition" in json.dumps(p).lower() for p in postings)
    assert {"source_id", "url", "raw", "locations", "role_family", "posted_date"} <= set(
        postings[0]
    )


@pytest.mark.parametrize(
    ("argument", "name"),
    [
        ("countries=JP,Narnia", "countries"),
        ("max_pages=many", "max_pages"),
        ("colour=red", "colour"),
    ],
)
def test_scrapy_crawl_bad_argument_exits_2_with_a_message(argument: str, name: str) -> None:
    done = run(sys.executable, "-m", "scrapy", "crawl", "amazon_jobs", "-a", argument, *FAST)
    assert done.returncode == 2
    assert f"invalid spider argument '{name}'" in done.stderr
    assert "Traceback" not in done.stderr


def test_jobtracker_command_help_and_bad_input() -> None:
    assert run(sys.executable, "-m", "jobtracker.cli", "--help").returncode == 0
    served = run(sys.executable, "-m", "jobtracker.cli", "sim", "serve", "--help")
    assert served.returncode == 0 and "--size" in served.stdout
    bad = run(sys.executable, "-m", "jobtracker.cli", "sim", "serve", "--port", "http")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--port" in bad.stderr


#: What `jobtracker --help` (and so the production cron's `jobtracker schedule`) must not load:
#: the test world, the research interface's heavy dependencies, Scrapy.
NOT_FOR_HELP = ("jobsim", "pandas", "matplotlib", "pyarrow", "scrapy")


def test_python_m_jobtracker_help_loads_neither_the_simulator_nor_pandas() -> None:
    done = run(sys.executable, "-X", "importtime", "-m", "jobtracker", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: jobtracker")
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "jobtracker.cli" in imported
    assert not {name for name in imported if name.split(".")[0] in NOT_FOR_HELP}
    version = run(sys.executable, "-m", "jobtracker", "--version")
    assert version.returncode == 0 and version.stdout.startswith("jobtracker ")


def test_a_research_command_without_the_research_dependencies_says_what_to_install(
    mongo_uri: str,
) -> None:
    """A crawl node has requirements.txt only: a research command says so in one line."""
    code = (
        "import sys; sys.modules['pandas'] = None; from jobtracker.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    done = run(sys.executable, "-c", code, "trend", "Rekognition", "--mongo-uri", mongo_uri)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "pip install -r requirements-research.txt" in done.stderr


def test_without_mongo_uri_a_research_command_guesses_no_server() -> None:
    """MONGO_URI names the store for crawls and research alike: unset, a crawl stores nothing
    and a research command says what to give, in one line."""
    env = {key: value for key, value in os.environ.items() if key != "MONGO_URI"}
    done = subprocess.run(
        [sys.executable, "-m", "jobtracker", "runs"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "jobtracker runs: error: no MongoDB given: pass --mongo-uri or set MONGO_URI "
        "(`make mongo` starts a local test server)\n"
    )


def test_without_the_test_world_jobtracker_demo_says_so_in_one_line() -> None:
    """An installed jobtracker (egg, image) has no jobsim: `demo`, `sim` and `mongo` say where
    they live instead of failing with a traceback."""
    code = (
        "import sys; sys.modules['jobsim'] = None; from jobtracker.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    for command in ("demo", "sim", "mongo"):
        done = run(sys.executable, "-c", code, command, "--help")
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith(f"jobtracker {command}: the test world (the jobsim package)")
        assert f"run `make {command}` there" in done.stderr


def test_jobtracker_sim_truth_prints_json_lines() -> None:
    done = run(
        sys.executable, "-m", "jobtracker.cli", "sim", "truth", "--size", "500", "--day", "2"
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert 480 <= len(records) <= 520
    assert {"id_icims", "business_category", "country_code", "revision"} <= set(records[0])


def test_missing_system_packages_stop_the_tests_at_once_with_the_command_to_run(
    tmp_path: Path,
) -> None:
    """`make test` starts with tools/system-packages: on a machine without Java, Maven and
    make (and no apt-get to install them) it stops before anything else, in one line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "sed", "head", "id"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    (bin_dir / "python3").symlink_to(sys.executable)
    done = subprocess.run(
        [str(bin_dir / "bash"), str(ROOT / "tools" / "system-packages"), "test"],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Missing system packages (make openjdk-17-jdk-headless maven); install them first: "
        "sudo apt-get install -y make openjdk-17-jdk-headless maven"
    ]


class _CookieSetter(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Set-Cookie", "visit=1; Path=/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_a_crawl_on_a_closed_network_prints_no_public_suffix_traceback(tmp_path: Path) -> None:
    """Cookies make Scrapy ask tldextract for the Public Suffix List, which it would download
    (two tracebacks when it cannot): the project's settings serve it the bundled snapshot."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CookieSetter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"
    }
    # A closed network: any HTTPS download fails at once; no cached list from an earlier run.
    env.update(HTTPS_PROXY="http://127.0.0.1:9", XDG_CACHE_HOME=str(tmp_path / "cache"))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "runspider", "tests/support/cookie_spider.py",
             "-a", f"url=http://127.0.0.1:{server.server_port}/", "-s", "ROBOTSTXT_OBEY=False"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr[-2000:]
    assert "answered 200 with cookie" in done.stderr
    assert "Public Suffix" not in done.stderr and "Traceback" not in done.stderr


def test_scrapyd_egg_holds_the_package_only(tmp_path: Path) -> None:
    # All build output in the scratch folder, as `jobtracker deploy` builds it: a build/ left in
    # the checkout by an older layout would put stale modules into the egg.
    done = run(sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(tmp_path),
               "build", "--build-base", str(tmp_path / "build"),
               "bdist_egg", "-d", str(tmp_path), "-b", str(tmp_path / "bdist"))  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    (egg,) = tmp_path.glob("*.egg")
    names = zipfile.ZipFile(egg).namelist()
    top = {name.split("/")[0] for name in names}
    assert "jobtracker" in top
    assert not any(name.startswith(("tests", "jobsim", "bench")) for name in names)
    assert not any("mongo_test_server" in name or "demo" in name for name in names)
    modules = {name for name in names if name.endswith(".py")}
    assert modules == {str(path.relative_to(ROOT)) for path in (ROOT / "jobtracker").rglob("*.py")}
    assert "jobtracker/settings.py" in names and "jobtracker/normalize/role_families.json" in names
    entry_points = zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode()
    assert "settings = jobtracker.settings" in entry_points
