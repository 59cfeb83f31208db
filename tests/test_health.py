"""``jobtracker health``: exit codes on fresh, stale, bad and empty stores and with MongoDB
down, the Prometheus text (read back with ``prometheus_client``'s own parser), and ``--notify``
(to a loopback JSON webhook receiver). The stores are written by real crawls of the simulator,
dated with the crawl clock (``JOBTRACKER_CLOCK_START``), which ``health`` reads too."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.cli import main
from tests.support.crawling import run_crawl
from tests.support.history import CLOCK_EPOCH, day_clock


def health(capsys, mongo_uri: str, db: Database, *args: str) -> tuple[int, str, str]:
    code = main(["health", "--mongo-uri", mongo_uri, "--database", db.name, *args])
    out, err = capsys.readouterr()
    return code, out, err


def at(monkeypatch, hours_after_day0: float) -> None:
    """``health`` runs this long after the first run's clock start."""
    moment = CLOCK_EPOCH + timedelta(hours=hours_after_day0)
    monkeypatch.setenv("JOBTRACKER_CLOCK_START", moment.isoformat())


async def crawl(sim, db: Database, mongo_uri: str, day: float, job: str, tmp_path: Path):
    settings = {
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": db.name,
        "JOBTRACKER_CLOCK_START": day_clock(day),
        "JOBTRACKER_VAR_DIR": str(tmp_path / "var"),
    }
    return await run_crawl(settings=settings, base_url=sim.url, _job=job)


def metrics(text: str) -> dict[tuple[str, str], float]:
    """``(sample name, source label) -> value`` from the Prometheus text."""
    return {
        (sample.name, sample.labels.get("source", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@deferred_f_from_coro_f
async def test_fresh_stale_and_bad_stores_and_the_prometheus_text(
    start_sim, mongo_db, mongo_uri, capsys, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("JOBTRACKER_VAR_DIR", str(tmp_path / "var"))
    sim = start_sim(size=300, seed=71)
    first = await crawl(sim, mongo_db, mongo_uri, 0, "day0", tmp_path)
    assert first.stats["jobtracker/verdict"] == "healthy"
    truth = len(sim.truth())

    at(monkeypatch, 2)  # fresh
    code, out, _ = health(capsys, mongo_uri, mongo_db)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[1] == "amazon_jobs: OK"
    assert lines[-1] == (
        "health: OK: every source had a complete run within 36 h and its last run was not bad"
    )
    assert (
        f"  postings: {truth} open; in the last day {truth} new, 0 closed; 0 closures held" in lines
    )

    at(monkeypatch, 40)  # stale for 36 h, fresh for 48 h, stale for 1.5 h
    code, out, _ = health(capsys, mongo_uri, mongo_db)
    assert code == 1
    assert out.splitlines()[1].startswith(
        "amazon_jobs: UNHEALTHY: stale: last complete run 40.0 h ago (more than 36 h)"
    )
    assert health(capsys, mongo_uri, mongo_db, "--max-age", "48")[0] == 0
    assert health(capsys, mongo_uri, mongo_db, "--max-age", "1.5")[0] == 1

    sim.set_faults(blocked_user_agents=["research crawler"])  # bad, though fresh
    await crawl(sim, mongo_db, mongo_uri, 1, "day1", tmp_path)
    at(monkeypatch, 26)
    code, out, _ = health(capsys, mongo_uri, mongo_db, "--json")
    assert code == 1
    report = json.loads(out)
    (source,) = report["sources"]
    assert source["last_verdict"] == "blocked" and source["last_run"] == "day1"
    assert source["problems"][0].startswith("last run day1 blocked by the site: HTTP 403 from")
    assert source["hours_since_complete_run"] == pytest.approx(26, abs=0.1)

    code, out, _ = health(capsys, mongo_uri, mongo_db, "--prometheus")
    assert code == 1
    values = metrics(out)
    day0 = mongo_db.crawl_runs.find_one({"_id": "day0"})
    complete_at = values[("jobtracker_last_complete_run_timestamp_seconds", "amazon_jobs")]
    assert complete_at == pytest.approx(day0["finished_at"].timestamp())
    assert values[("jobtracker_last_run_ok", "amazon_jobs")] == 0
    assert values[("jobtracker_open_postings", "amazon_jobs")] == truth
    assert values[("jobtracker_held_closures", "amazon_jobs")] == 0
    assert values[("jobtracker_pending_spills", "")] == 0

    sim.set_faults()  # recovered
    await crawl(sim, mongo_db, mongo_uri, 2, "day2", tmp_path)
    at(monkeypatch, 50)
    code, out, _ = health(capsys, mongo_uri, mongo_db, "--prometheus", "--source", "amazon_jobs")
    assert code == 0
    assert metrics(out)[("jobtracker_last_run_ok", "amazon_jobs")] == 1


def test_an_empty_store_is_unhealthy(mongo_db, mongo_uri, capsys) -> None:
    code, out, _ = health(capsys, mongo_uri, mongo_db)
    assert code == 1
    assert out.splitlines()[-1] == (
        "health: UNHEALTHY: the store has no runs at all (nothing is being tracked)"
    )
    code, out, _ = health(capsys, mongo_uri, mongo_db, "--source", "amazon_hourly")
    assert code == 1
    assert "amazon_hourly: UNHEALTHY: never ran; no complete run ever" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-age", "0"], "--max-age 0: give hours, more than 0, at most 87600"),
        (["--max-age", "nan"], "--max-age nan: give hours, more than 0, at most 87600"),
        (["--source", "amazon_jbos"], "--source: unknown source 'amazon_jbos'"),
        (["--notify"], "--notify: JOBTRACKER_NOTIFY names no usable Apprise URL"),
    ],
)
def test_wrong_arguments_exit_2_in_one_line(
    mongo_db, mongo_uri, capsys, monkeypatch, args, message
) -> None:
    monkeypatch.delenv("JOBTRACKER_NOTIFY", raising=False)
    code, out, err = health(capsys, mongo_uri, mongo_db, *args)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("jobtracker health: error: " + message)


def test_mongodb_down_exits_2_in_one_line_and_notify_tells(capsys, monkeypatch, receiver) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    monkeypatch.setenv("JOBTRACKER_NOTIFY", receiver.url)
    port = sock.getsockname()[1]
    try:
        uri = f"mongodb://admin:s3cret@127.0.0.1:{port}/?serverSelectionTimeoutMS=300"
        code = main(["health", "--mongo-uri", uri, "--notify"])
    finally:
        sock.close()
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1, err
    assert err.strip() == (
        "jobtracker health: error: cannot read the store: MongoDB at "
        f"mongodb://admin:***@127.0.0.1:{port}/?serverSelectionTimeoutMS=300 does not answer"
    )
    assert "s3cret" not in err
    (message,) = receiver.messages
    assert (
        message["type"] == "failure" and message["title"] == "jobtracker health: store unreadable"
    )
    assert "s3cret" not in json.dumps(message)


@deferred_f_from_coro_f
async def test_notify_sends_the_unhealthy_summary_as_a_dead_mans_switch(
    start_sim, mongo_db, mongo_uri, capsys, monkeypatch, receiver, tmp_path
) -> None:
    sim = start_sim(size=300, seed=72)
    await crawl(sim, mongo_db, mongo_uri, 0, "day0", tmp_path)
    monkeypatch.setenv("JOBTRACKER_NOTIFY", receiver.url)
    at(monkeypatch, 3)
    assert health(capsys, mongo_uri, mongo_db, "--notify")[0] == 0
    assert receiver.messages == [], "a healthy store says nothing"
    at(monkeypatch, 24 * 3)  # the crawls stopped: no per-run message can say so
    assert health(capsys, mongo_uri, mongo_db, "--notify")[0] == 1
    (message,) = receiver.messages
    assert message["title"] == "jobtracker health: unhealthy"
    assert (
        message["message"]
        .splitlines()[1]
        .startswith("amazon_jobs: stale: last complete run 72.0 h ago (more than 36 h)")
    )
