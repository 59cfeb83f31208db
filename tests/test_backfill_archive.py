"""The backfill end to end against the simulated archive (docs/simulator_archive.md) over real
HTTP, into a real MongoDB: what it stores equals the simulator's truth, live history stays
byte-for-byte as it was, politeness holds, and a killed run resumes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bson import json_util

LIVE = ("postings", "posting_versions", "crawl_runs")
FAST = {
    "JOBTRACKER_ARCHIVE_CDX_PER_MINUTE": "6000",
    "JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND": "200",
    "JOBTRACKER_ARCHIVE_CC_INDEX_PER_SECOND": "200",
    "JOBTRACKER_ARCHIVE_CC_DATA_PER_SECOND": "200",
    "JOBTRACKER_ARCHIVE_PAUSE_SECONDS": "1",
}


def environment(sim: Any, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **FAST,
        "JOBTRACKER_ARCHIVE_WAYBACK_URL": sim.wayback_url,
        "JOBTRACKER_ARCHIVE_CC_INDEX_URL": sim.cc_index_url,
        "JOBTRACKER_ARCHIVE_CC_DATA_URL": sim.cc_data_url,
        "JOBTRACKER_ARCHIVE_DIR": str(tmp_path / "archive"),
        "JOBTRACKER_VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


def command(mongo_uri: str, db: Any, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jobtracker",
        "backfill",
        *args,
        "--mongo-uri",
        mongo_uri,
        "--database",
        db.name,
    ]


def run(
    sim: Any, mongo_uri: str, db: Any, tmp_path: Path, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(mongo_uri, db, *args),
        env=environment(sim, tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )


def truth_of(sim: Any) -> set[tuple[str, str, str]]:
    return {(t["posting_id"], t["archive"], t["timestamp"]) for t in sim.truth()}


def stored(db: Any) -> set[tuple[str, str, str]]:
    return {(d["posting_id"], d["archive"], d["timestamp"]) for d in db.archive_sightings.find()}


def live_hashes(db: Any) -> dict[str, str]:
    return {
        name: hashlib.sha256(
            json_util.dumps(list(db[name].find({}, sort=[("_id", 1)]))).encode()
        ).hexdigest()
        for name in LIVE
    }


def test_every_quirk_on_the_sightings_are_the_truth_and_live_history_is_untouched(
    archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    archive_sim.faults(cdx_rate_per_min=0, duplicate_rows=True, wrong_content_encoding="spurious")
    mongo_db.postings.insert_one({"_id": "amazon_jobs:1", "status": "open", "spans": []})
    mongo_db.posting_versions.insert_one({"_id": "amazon_jobs:1@v1", "version": 1})
    mongo_db.crawl_runs.insert_one({"_id": "live-run", "finished_at": None})
    before = live_hashes(mongo_db)

    result = run(archive_sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "all")
    assert result.returncode == 0, result.stderr[-4000:]
    truth = truth_of(archive_sim)
    found = stored(mongo_db)
    assert truth, "the simulated archive has sightings"
    assert found - truth == set(), "no false sighting"
    assert truth - found == set(), "every valid sighting found"
    assert live_hashes(mongo_db) == before
    for sighting in mongo_db.archive_sightings.find():
        assert "posted_date" not in sighting
        assert sighting["parser"]["name"] == "amazon_jobs_page"


def test_a_429_pauses_every_request_and_the_run_still_finds_the_truth(
    start_archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    sim = start_archive_sim(seed=5, captures=300)
    # The Wayback's CDX limit at 5 per (scaled) minute of 3 s, its pause 3 s; the client asks
    # faster than that, so it meets 429s.
    sim.faults(cdx_rate_per_min=5, time_scale=0.05)
    result = run(
        sim,
        mongo_uri,
        mongo_db,
        tmp_path,
        "run",
        "--archive",
        "wayback",
        JOBTRACKER_ARCHIVE_CDX_PER_MINUTE="240",
        JOBTRACKER_ARCHIVE_PAUSE_SECONDS="3",
        JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND="50",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    counters = sim.counters()
    assert counters["sent_429"] > 0, counters
    assert counters["during_pause"] == 0 and counters["refused"] == 0, counters
    assert "pausing every request" in result.stderr
    wayback = {t for t in truth_of(sim) if t[1] == "wayback"}
    assert stored(mongo_db) == wayback


def test_refused_connections_after_429s_stop_the_run_with_when_to_retry(
    start_archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    sim = start_archive_sim(seed=5, captures=300)
    # A client that resumes too early (0.2 s against the archive's 3 s) gets the firewall.
    sim.faults(cdx_rate_per_min=3, time_scale=0.05, ban_after_s=1)
    result = run(
        sim,
        mongo_uri,
        mongo_db,
        tmp_path,
        "run",
        "--archive",
        "wayback",
        JOBTRACKER_ARCHIVE_CDX_PER_MINUTE="600",
        JOBTRACKER_ARCHIVE_PAUSE_SECONDS="0.2",
    )
    assert result.returncode == 1, result.stderr[-4000:]
    verdict = [line for line in result.stderr.splitlines() if "archive_refused" in line]
    assert verdict and "retry after" in verdict[-1], result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    status = run(sim, mongo_uri, mongo_db, tmp_path, "status")
    assert "archive_refused" in status.stdout


def test_a_blocked_site_is_one_line_and_exit_1(archive_sim, mongo_uri, mongo_db, tmp_path) -> None:
    archive_sim.faults(blocked_hosts=["amazon.jobs"], cdx_rate_per_min=0)
    result = run(archive_sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "wayback")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "archive_blocked" in line]
    assert lines and "Blocked Site" in lines[-1]
    assert "Traceback" not in result.stderr


def test_a_killed_run_resumes_without_fetching_again_what_it_stored(
    archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    archive_sim.faults(cdx_rate_per_min=0)
    env = environment(
        archive_sim,
        tmp_path,
        MONGO_URI=mongo_uri,
        MONGO_DATABASE=mongo_db.name,
        SCRAPY_SETTINGS_MODULE="jobtracker.settings",
        JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND="40",
    )
    crawl = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "amazon_jobs_wayback"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while mongo_db.archive_sightings.count_documents({}) < 150:
        assert time.monotonic() < deadline and crawl.poll() is None
        time.sleep(0.2)
    os.killpg(crawl.pid, signal.SIGKILL)
    crawl.wait()
    stored_before = {d["_id"]: d["fetched_at"] for d in mongo_db.archive_sightings.find()}
    settled = mongo_db.archive_captures.count_documents({"state": {"$ne": "listed"}})
    replays_before = archive_sim.counters()["routes"]
    assert len(stored_before) > 0

    result = run(archive_sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "wayback")
    assert result.returncode == 0, result.stderr[-4000:]
    after = {d["_id"]: d["fetched_at"] for d in mongo_db.archive_sightings.find()}
    # Nothing stored before the kill was fetched again (a fetch would store it again).
    assert {key: after[key] for key in stored_before} == stored_before
    assert stored(mongo_db) == {t for t in truth_of(archive_sim) if t[1] == "wayback"}
    routes = archive_sim.counters()["routes"]
    replay_route = next(name for name in routes if "web" in name or "replay" in name)
    fetched_again = routes[replay_route] - replays_before.get(replay_route, 0)
    total = mongo_db.archive_captures.count_documents({"state": {"$ne": "listed"}})
    assert fetched_again <= total - settled + 2  # only what was not stored (and in flight)


def test_common_crawl_overload_answers_pause_and_nothing_is_lost(
    archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    archive_sim.faults(cdx_rate_per_min=0, cc_index_503=2, cc_index_504=1, cc_data_503=2)
    result = run(archive_sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "commoncrawl")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "commoncrawl answered 503 (slow down)" in result.stderr
    assert "commoncrawl answered 504 (slow down)" in result.stderr
    assert stored(mongo_db) == {t for t in truth_of(archive_sim) if t[1] == "commoncrawl"}


def test_records_cut_short_or_whole_files_are_rejected_never_sightings(
    archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    archive_sim.faults(cdx_rate_per_min=0, cc_truncated_gzip=True)
    result = run(archive_sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "commoncrawl")
    assert result.returncode == 0, result.stderr[-4000:]
    assert mongo_db.archive_sightings.count_documents({}) == 0
    assert mongo_db.archive_captures.count_documents({"reason": "bad_record"}) > 0
    mongo_db.archive_captures.delete_many({})
    mongo_db.archive_cursors.delete_many({})
    archive_sim.faults(cdx_rate_per_min=0, cc_truncated_gzip=False, cc_ignore_range=True)
    result = run(archive_sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "commoncrawl")
    assert result.returncode == 0, result.stderr[-4000:]
    assert mongo_db.archive_sightings.count_documents({}) == 0
    assert mongo_db.archive_captures.count_documents({"reason": "range_ignored"}) > 0


def test_mongodb_going_away_mid_run_loses_nothing(archive_sim, frozen_store, tmp_path) -> None:
    from pymongo import MongoClient

    archive_sim.faults(cdx_rate_per_min=0)
    client: MongoClient = MongoClient(
        frozen_store.uri, tz_aware=True, serverSelectionTimeoutMS=20_000
    )
    db = client["backfill_outage"]
    crawl = subprocess.Popen(
        command(frozen_store.uri, db, "run", "--archive", "wayback"),
        env=environment(archive_sim, tmp_path, JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND="40"),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while db.archive_sightings.count_documents({}) < 100:
        assert time.monotonic() < deadline and crawl.poll() is None
        time.sleep(0.2)
    os.kill(frozen_store.pid, signal.SIGSTOP)
    try:
        _, stderr = crawl.communicate(timeout=180)
    finally:
        os.kill(frozen_store.pid, signal.SIGCONT)
    assert crawl.returncode == 1
    assert "store_unavailable" in stderr and "run again to resume" in stderr
    result = run(archive_sim, frozen_store.uri, db, tmp_path, "run", "--archive", "wayback")
    assert result.returncode == 0, result.stderr[-4000:]
    assert stored(db) == {t for t in truth_of(archive_sim) if t[1] == "wayback"}
    client.close()


def test_status_a_second_run_and_reparse_without_a_request(
    start_archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    sim = start_archive_sim(seed=9, captures=300)
    sim.faults(cdx_rate_per_min=0)
    first = run(
        sim,
        mongo_uri,
        mongo_db,
        tmp_path,
        "run",
        "--archive",
        "all",
        JOBTRACKER_ARCHIVE_PROGRESS_SECONDS="0.2",
    )
    assert first.returncode == 0, first.stderr[-4000:]
    progress = [line for line in first.stderr.splitlines() if "backfill wayback: listed" in line]
    assert progress and "fetched" in progress[-1] and "left" in progress[-1]
    truth = truth_of(sim)
    assert stored(mongo_db) == truth
    routes = dict(sim.counters()["routes"])

    again = run(sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "all")
    assert again.returncode == 0, again.stderr[-4000:]
    after = sim.counters()["routes"]
    fetches = [name for name in after if "replay" in name or "data" in name]
    assert fetches and all(after[name] == routes.get(name, 0) for name in fetches), after

    status = json.loads(run(sim, mongo_uri, mongo_db, tmp_path, "status", "--json").stdout)
    for archive in ("wayback", "commoncrawl"):
        assert status[archive]["sightings"] == mongo_db.archive_sightings.count_documents(
            {"archive": archive}
        )
        assert status[archive]["left"] == 0
        assert status[archive]["last_run"]["reason"] == "finished"
    assert sum(status["wayback"]["rejected"].values()) > 0

    mongo_db.archive_sightings.update_many({}, {"$set": {"title": "stale", "country_code": None}})
    requests = sum(sim.counters()["routes"].values())
    reparse = run(
        sim,
        mongo_uri,
        mongo_db,
        tmp_path,
        "reparse",
        "--archive-dir",
        str(tmp_path / "archive"),
        "--json",
    )
    assert reparse.returncode == 0, reparse.stderr
    assert sum(sim.counters()["routes"].values()) == requests  # not one request
    assert stored(mongo_db) == truth
    assert mongo_db.archive_sightings.count_documents({"title": "stale"}) == 0
    # Pages no parser reads (an unknown era) stay rejected and kept for a better parser.
    unparsed = mongo_db.archive_captures.count_documents({"reason": "unparsed"})
    assert unparsed > 0 and json.loads(reparse.stdout).get("rejected:unparsed") == unparsed
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobtracker",
            "verify",
            "--json",
            "--mongo-uri",
            mongo_uri,
            "--database",
            mongo_db.name,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(verify.stdout)
    assert json.dumps(report).count("archive_") >= 2
    assert verify.returncode == 0, verify.stdout[-2000:]


def probe(sim: Any, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobtracker", "probe", "--archives", "--json"],
        env=environment(sim, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_probe_archives_says_ok_then_names_what_drifted(archive_sim, tmp_path) -> None:
    archive_sim.faults(cdx_rate_per_min=0)
    result = probe(archive_sim, tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout
    names = {check["name"] for check in report["checks"]}
    assert names == {
        "cdx_header",
        "cdx_resume_key",
        "replay_memento",
        "cc_collinfo",
        "cc_index_row",
        "cc_record",
    }
    archive_sim.faults(cdx_rate_per_min=0, cc_ignore_range=True)
    result = probe(archive_sim, tmp_path)
    assert result.returncode == 1
    drifted = {c["name"] for c in json.loads(result.stdout)["checks"] if c["status"] != "OK"}
    assert drifted == {"cc_record"}
