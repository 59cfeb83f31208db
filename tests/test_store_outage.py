"""A MongoDB outage in the middle of a crawl: the run fails loudly, loses nothing, closes
nothing, and the next run after the store is back leaves a correct history.

The outage is real: the MongoDB test server process is frozen (SIGSTOP) while ``scrapy crawl``
runs in a child process, and thawed (SIGCONT) afterwards, with its data intact.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import MongoClient
from scrapy.utils.defer import deferred_f_from_coro_f

from tests.support.crawling import run_crawl

ROOT = Path(__file__).resolve().parents[1]
DAY0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


@deferred_f_from_coro_f
async def test_outage_fails_the_run_loudly_and_the_next_run_recovers(
    start_sim, frozen_store, tmp_path: Path, receiver
) -> None:
    sim = start_sim(size=3000, seed=41)
    sim.set_faults(slow_ms=150, rate_slow=1.0)  # a crawl of several seconds
    var_dir = tmp_path / "var"
    database = "outage"
    client = MongoClient(frozen_store.uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    db = client[database]
    command = [
        sys.executable, "-m", "scrapy", "crawl", "amazon_jobs",
        "-a", f"base_url={sim.url}", "-a", "_job=outage",
        "-s", f"MONGO_URI={frozen_store.uri}", "-s", f"MONGO_DATABASE={database}",
        "-s", f"JOBTRACKER_VAR_DIR={var_dir}", "-s", "JOBTRACKER_STORE_TIMEOUT_MS=300",
        "-s", f"JOBTRACKER_CLOCK_START={DAY0.isoformat()}",
        "-s", "JOBTRACKER_STORE_RETRIES=1", "-s", "JOBTRACKER_STORE_RETRY_DELAY=0.2",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
    ]  # fmt: skip
    env = {**os.environ, "JOBTRACKER_NOTIFY": receiver.url}  # operators are told (issue 23)
    crawl = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 60
        while db.postings.estimated_document_count() < 200:
            assert crawl.poll() is None, "the crawl ended before the outage"
            assert time.monotonic() < deadline, "nothing was stored"
            time.sleep(0.1)
        stored_before_outage = set(db.postings.distinct("source_id"))
        os.kill(frozen_store.pid, signal.SIGSTOP)
        output, _ = crawl.communicate(timeout=120)
    finally:
        if crawl.poll() is None:
            crawl.kill()
        os.kill(frozen_store.pid, signal.SIGCONT)

    assert crawl.returncode == 1, output[-3000:]
    assert "MongoDB is unreachable" in output
    assert "Traceback" not in output
    unsaved = var_dir / "unsaved" / "outage.jsonl"
    unsaved_ids = {json.loads(line)["source_id"] for line in unsaved.read_text().splitlines()}
    assert unsaved_ids, "the postings that could not be stored were kept"
    assert (var_dir / "pending_runs" / "outage.json").exists()
    (told,) = receiver.take()
    assert (told["type"], told["title"]) == (
        "failure",
        "jobtracker amazon_jobs: MongoDB unavailable, pages spilled",
    )
    assert f"MongoDB was unavailable; {len(unsaved_ids)} postings spilled" in told["message"]

    # The store is back: the next run records the failed one and writes a correct history.
    sim.set_faults()
    sim.set_day(1)
    result = await run_crawl(
        settings={
            "MONGO_URI": frozen_store.uri,
            "MONGO_DATABASE": database,
            "JOBTRACKER_VAR_DIR": str(var_dir),
            "JOBTRACKER_CLOCK_START": (DAY0 + timedelta(days=1)).isoformat(),
            "JOBTRACKER_NOTIFY": receiver.url,
        },
        base_url=sim.url,
        _job="after",
    )
    assert result.finish_reason == "finished"
    (told,) = receiver.take()  # the spilled run's record came back with its spill: recovered
    assert (told["type"], told["title"]) == ("success", "jobtracker amazon_jobs: recovered")
    assert "Missed: 1 bad run (outage: MongoDB unavailable, pages spilled)." in told["message"]
    failed = db.crawl_runs.find_one({"_id": "outage"})
    assert failed["finish_reason"] == "store_unavailable"
    assert failed["closure"]["applied"] is False
    assert failed["changes"]["unsaved"] >= len(unsaved_ids)
    assert not (var_dir / "pending_runs" / "outage.json").exists()
    # The spilled postings were imported with their original sighting times, before the run.
    assert not (var_dir / "unsaved" / "outage.jsonl").exists()
    assert failed["spill_imported"]["postings"] == len(unsaved_ids)
    for doc in db.postings.find({"source_id": {"$in": sorted(unsaved_ids)}}):
        assert doc["first_seen_at"] < failed["finished_at"], doc["source_id"]
        assert doc["first_seen_at"] >= failed["started_at"]

    live = {t["id_icims"] for t in sim.truth(day=1)}
    after = db.crawl_runs.find_one({"_id": "after"})
    postings = {doc["source_id"]: doc for doc in db.postings.find()}
    assert stored_before_outage <= set(postings)  # what was stored before the outage stays
    assert live <= set(postings)
    for pid in live:
        doc = postings[pid]
        assert doc["status"] == "open" and doc["last_run_id"] == "after"
        assert doc["last_seen_at"] >= after["started_at"]
    assert db.postings.count_documents({"status": "closed"}) == 0  # one complete miss only
    missing = {pid for pid, doc in postings.items() if doc.get("missing_since")}
    assert missing == set(postings) - live
    assert db.posting_versions.count_documents({}) == len(
        postings
    ) + db.posting_versions.count_documents({"version": {"$gt": 1}})
    client.close()


@deferred_f_from_coro_f
async def test_a_mongodb_blip_never_stops_the_crawl(
    start_sim, frozen_store, tmp_path: Path
) -> None:
    """The store freezes for 5 s in the middle of a crawl: page writes fail and are retried
    off the reactor thread, so the reactor keeps crawling (it ticks every 50 ms throughout), and
    once the store is back every posting is stored and the run finishes normally."""
    from twisted.internet import reactor, task

    sim = start_sim(size=3000, seed=43)
    sim.set_faults(slow_ms=300, rate_slow=1.0)  # a crawl of about ten seconds
    database = "blip"
    client = MongoClient(frozen_store.uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    db = client[database]
    ticks: list[float] = []
    ticker = task.LoopingCall(lambda: ticks.append(time.monotonic()))
    frozen: list[float] = []

    def freeze() -> None:
        if frozen or db.postings.estimated_document_count() < 100:
            return  # wait until the crawl has stored something
        frozen.append(time.monotonic())
        os.kill(frozen_store.pid, signal.SIGSTOP)
        reactor.callLater(5.0, os.kill, frozen_store.pid, signal.SIGCONT)

    watcher = task.LoopingCall(freeze)
    ticker.start(0.05)
    watcher.start(0.1)
    try:
        result = await run_crawl(
            settings={
                # pymongo notices a frozen server at its next heartbeat and cancels what waits
                # on it: every 0.5 s here (10 s by default), so writes fail during the blip.
                "MONGO_URI": f"{frozen_store.uri}?heartbeatFrequencyMS=500",
                "MONGO_DATABASE": database,
                "JOBTRACKER_VAR_DIR": str(tmp_path / "var"),
                "JOBTRACKER_STORE_TIMEOUT_MS": 200,
                "JOBTRACKER_STORE_RETRIES": 8,
                "JOBTRACKER_STORE_RETRY_DELAY": 0.25,
                "CONCURRENT_REQUESTS": 1,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
            },
            base_url=sim.url,
            _job="blip",
        )
    finally:
        ticker.stop()
        watcher.stop()
        os.kill(frozen_store.pid, signal.SIGCONT)
    assert frozen, "the crawl ended before the store could be frozen"
    assert result.finish_reason == "finished"
    assert result.stats["jobtracker/store/retries"] >= 1
    assert not result.stats.get("jobtracker/store/failed")
    during = [b - a for a, b in itertools.pairwise(ticks) if a >= frozen[0] - 0.5]
    assert max(during) < 1.0, "the reactor stopped while MongoDB was frozen"
    assert db.postings.count_documents({}) == len(result.ids)
    assert db.crawl_runs.find_one({"_id": "blip"})["complete"] is True
    client.close()
