"""``jobtracker deploy`` and ``jobtracker schedule`` against two real scrapyd servers.

Two scrapyd processes on 127.0.0.1 (temporary configurations, basic auth on through
``SCRAPYD_USERNAME`` / ``SCRAPYD_PASSWORD``) get the egg from ``jobtracker deploy``; a full
crawl of a small simulated board is scheduled split by category groups across both; the
MongoDB store must then hold exactly the simulator's live board, with one complete
``crawl_runs`` document per job. A second ``schedule`` while the jobs run posts nothing, and
every user mistake is one error line.

The simulator's result window is 1,000 rows: ``aws`` (about 1,400 postings) is split by
country, and no country of it needs a split by state (a state split cannot see postings without
a state, such as "USA, Virtual", so it would rightly leave its partition incomplete).

The hourly spider is scheduled the same way, one job per country site, each driving Chromium
under scrapyd.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from tests.support.scrapyd import ScrapydServer, free_port, wait_finished

ROOT = Path(__file__).resolve().parents[1]
AUTH = ("crawler", "s3cret")
WINDOW = 1000


def jobtracker(*args: str, auth: tuple[str, str] | None = AUTH, **env: str) -> tuple[int, str, str]:
    """Run ``jobtracker ARGS`` as an operator would; returns (status, stdout, stderr)."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("SCRAPYD_", "JOBTRACKER_SCRAPYD"))
    }
    if auth:
        environ["SCRAPYD_USERNAME"], environ["SCRAPYD_PASSWORD"] = auth
    environ.update(env)
    ran = subprocess.run(
        [sys.executable, "-m", "jobtracker.cli", *args], cwd=ROOT, env=environ,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return ran.returncode, ran.stdout, ran.stderr


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ScrapydServer]]:
    """Two scrapyd servers, auth on, with the project deployed by ``jobtracker deploy``."""
    folder = tmp_path_factory.mktemp("scrapyd")
    with (
        ScrapydServer(folder / "a", auth=AUTH) as first,
        ScrapydServer(folder / "b", auth=AUTH) as second,
    ):
        status, out, err = jobtracker(
            "deploy", "--node", first.url, "--node", second.url, "--version", "1"
        )
        assert status == 0, err
        assert out.count("deployed jobtracker 1 to") == 2, out
        yield [first, second]


def node_options(servers: list[ScrapydServer]) -> list[str]:
    return [option for server in servers for option in ("--node", server.url)]


def test_a_full_crawl_split_over_two_nodes_stores_exactly_the_live_board(
    nodes: list[ScrapydServer], start_sim, mongo_uri: str, tmp_path: Path
) -> None:
    sim = start_sim(size=3000, result_window=WINDOW, seed=41)
    database = f"schedule_{os.getpid()}_{free_port()}"
    settings = {
        "MONGO_URI": mongo_uri, "MONGO_DATABASE": database, "AMAZON_JOBS_RESULT_WINDOW": WINDOW,
        "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS": "16",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "JOBTRACKER_VAR_DIR": str(tmp_path / "var"),
    }  # fmt: skip
    common = [
        *node_options(nodes), "--base-url", sim.url, "--groups", "4",
        "--mongo-uri", mongo_uri, "--database", database,
        *(option for name, value in settings.items() for option in ("--set", f"{name}={value}")),
    ]  # fmt: skip
    client = MongoClient(mongo_uri, tz_aware=True)
    try:
        # Slow answers keep the first batch running while the second one is asked for.
        sim.set_faults(slow_ms=3000, rate_slow=1.0)
        status, out, err = jobtracker("schedule", "--batch", "first", *common)
        assert status == 0, err
        jobs = set(re.findall(r"^scheduled  (first\.categories\.\dof4)  on ", out, re.M))
        assert len(jobs) == 4 and out.rstrip().endswith("4 scheduled, 0 skipped"), out

        # The same scopes by --values: no probe and no facet call, so the first batch is
        # surely still running (each probe request takes the 3 s of the slow answers).
        values = ",".join(sorted({t["business_category"] for t in sim.truth()}))
        status, out, err = jobtracker("schedule", "--batch", "second", "--values", values, *common)
        assert status == 0, err
        assert out.rstrip().endswith("0 scheduled, 4 skipped"), out
        assert (
            len(
                re.findall(
                    r"^skipped    second\.categories\.\dof4 .* still (pending|running)", out, re.M
                )
            )
            == 4
        ), out
        sim.set_faults()

        finished = wait_finished(nodes, jobs, timeout=240)
        assert {entry["server"] for entry in finished.values()} == {n.url for n in nodes}, (
            "both nodes ran jobs"
        )
        listed = set().union(*(node.job_ids() for node in nodes))
        assert not any(job.startswith("second.") for job in listed), (
            "no duplicate of a running scope"
        )

        db = client[database]
        runs = {run["_id"]: run for run in db.crawl_runs.find()}
        assert set(runs) == jobs, "one crawl_runs document per job, under the job id"
        for job, run in runs.items():
            logs = next(n.log_text(job) for n in nodes if n.url == finished[job]["server"])
            assert run["finish_reason"] == "finished", logs[-3000:]
            assert run["complete"] is True and all(p["complete"] for p in run["partitions"]), job
        truth = {t["id_icims"] for t in sim.truth()}
        stored = {
            doc["source_id"]: doc
            for doc in db.postings.find({}, {"source_id": 1, "status": 1, "missing_since": 1})
        }
        assert set(stored) == truth
        assert all(
            doc["status"] == "open" and doc.get("missing_since") is None for doc in stored.values()
        )
        assert db.posting_versions.count_documents({}) == len(truth)

        # --status: every job of the batch, finished and complete; nodes from the environment.
        nodes_env = ",".join(n.url for n in nodes)
        status, out, err = jobtracker(
            "schedule", "--status", "--mongo-uri", mongo_uri, "--database", database,
            JOBTRACKER_SCRAPYD_NODES=nodes_env,
        )  # fmt: skip
        assert status == 0, err
        lines = out.splitlines()
        assert lines[0].split()[:4] == ["node", "job", "state", "started"], out
        for job in jobs:
            (row,) = [line.split() for line in lines if f" {job} " in line]
            assert (row[2], row[7], row[8]) == ("finished", "finished", "yes"), row
    finally:
        client.drop_database(database)
        client.close()


def one_error_line(status: int, out: str, err: str, expected_status: int, phrase: str) -> str:
    assert status == expected_status, (status, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("jobtracker schedule: error: ") and phrase in lines[0], lines[0]
    return lines[0]


def test_user_mistakes_give_one_clear_error_line(nodes: list[ScrapydServer]) -> None:
    node = nodes[0].url
    values = ["--values", "aws", "--batch", "oops"]
    wrong = jobtracker("schedule", "--node", node, *values, auth=("crawler", "wrong"))
    one_error_line(*wrong, 2, "refused the wrong credentials (HTTP 401)")
    missing = jobtracker("schedule", "--node", node, *values, auth=None)
    one_error_line(*missing, 2, "refused the missing credentials (HTTP 401)")

    down = f"http://127.0.0.1:{free_port()}"
    unreachable = jobtracker("schedule", "--node", node, "--node", down, *values)
    line = one_error_line(*unreachable, 1, f"scrapyd node {down} is unreachable")
    assert "Connection refused" in line

    spider = jobtracker("schedule", "--node", node, "--spider", "amazon_job", *values)
    one_error_line(*spider, 2, "unknown spider 'amazon_job': project 'jobtracker' on scrapyd node")
    project = jobtracker("schedule", "--node", node, "--project", "jobtrackr", *values)
    one_error_line(*project, 2, "project 'jobtrackr' is not deployed on scrapyd node")
    url = jobtracker("schedule", "--node", "ftp://127.0.0.1:6800", *values)
    one_error_line(*url, 2, "bad scrapyd node URL 'ftp://127.0.0.1:6800'")
    leaked = jobtracker("schedule", "--node", "http://u:pw@127.0.0.1:notaport", *values)
    assert "pw" not in one_error_line(*leaked, 2, "bad scrapyd node URL 'http://u:***@")
    argument = jobtracker("schedule", "--node", node, "--arg", "locale=xx", *values)
    one_error_line(*argument, 2, "invalid spider argument 'locale'")
    none = jobtracker("schedule", *values, auth=None)
    one_error_line(*none, 2, "no scrapyd node configured")
    # Nothing was scheduled by any of them.
    assert not any(job.startswith("oops.") for node in nodes for job in node.job_ids())


def test_hourly_sites_are_scheduled_one_job_per_site(
    nodes: list[ScrapydServer], start_sim, mongo_uri: str, tmp_path: Path
) -> None:
    sim = start_sim(size=300, seed=42, hourly_size=200)
    sites = ",".join(f"{key}={url}" for key, url in sim.hourly_urls().items())
    database = f"schedule_hourly_{os.getpid()}_{free_port()}"
    settings = {
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": database,
        "JOBTRACKER_HOURLY_PAGE_DELAY": "0",
        "JOBTRACKER_VAR_DIR": str(tmp_path / "var"),
    }
    options = [part for name, value in settings.items() for part in ("--set", f"{name}={value}")]
    client = MongoClient(mongo_uri, tz_aware=True)
    try:
        status, out, err = jobtracker(
            "schedule", *node_options(nodes), "--spider", "amazon_hourly", "--batch", "h",
            "--arg", f"base_urls={sites}", *options,
        )  # fmt: skip
        assert status == 0, err
        jobs = set(re.findall(r"^scheduled  (h\.country\.(?:US|CA|UK|IE))  on ", out, re.M))
        assert len(jobs) == 4, out
        finished = wait_finished(nodes, jobs, timeout=240)
        db = client[database]
        runs = {run["_id"]: run for run in db.crawl_runs.find()}
        assert set(runs) == jobs
        for job, run in runs.items():
            logs = next(n.log_text(job) for n in nodes if n.url == finished[job]["server"])
            assert run["source"] == "amazon_hourly" and run["complete"] is True, logs[-3000:]
        truth = {t["job_id"] for t in sim.truth(source="amazon_hourly")}
        assert set(db.postings.distinct("source_id")) == truth

        status, out, err = jobtracker(
            "schedule", "--node", nodes[0].url, "--spider", "amazon_hourly", "--by", "category"
        )
        one_error_line(status, out, err, 2, "split by country site only")
    finally:
        client.drop_database(database)
        client.close()
