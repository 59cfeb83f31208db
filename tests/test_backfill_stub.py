"""The backfill end to end over real HTTP (a small stand-in for the two archives,
tests/support/archive_stub.py) and a real MongoDB: `jobtracker backfill run|status|reparse`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bson import json_util

from tests.support.archive_stub import ArchiveStub, RunningStub

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def stub() -> Iterator[RunningStub]:
    running = RunningStub(ArchiveStub())
    yield running
    running.close()


def collection_hash(db, name: str) -> str:
    docs = list(db[name].find({}, sort=[("_id", 1)]))
    return hashlib.sha256(json_util.dumps(docs).encode()).hexdigest()


def backfill(
    stub: RunningStub,
    mongo_uri: str,
    db,
    tmp_path: Path,
    *args: str,
    settings: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **stub.env,
        "JOBTRACKER_ARCHIVE_DIR": str(tmp_path / "archive"),
        "JOBTRACKER_ARCHIVE_CDX_PER_MINUTE": "600",
        "JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND": "20",
        "JOBTRACKER_ARCHIVE_CC_INDEX_PER_SECOND": "20",
        "JOBTRACKER_ARCHIVE_CC_DATA_PER_SECOND": "20",
        "JOBTRACKER_ARCHIVE_PAUSE_SECONDS": "1",
        "JOBTRACKER_VAR_DIR": str(tmp_path / "var"),
    }
    command = [
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
    for setting in settings:
        command += ["-s", setting]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=240, cwd=tmp_path
    )


def sightings(db) -> set[tuple[str, str, str]]:
    return {(d["posting_id"], d["archive"], d["timestamp"]) for d in db.archive_sightings.find()}


def test_a_backfill_finds_exactly_the_valid_sightings_and_leaves_live_history_alone(
    stub: RunningStub, mongo_uri: str, mongo_db, tmp_path: Path
) -> None:
    mongo_db.postings.insert_one({"_id": "amazon_jobs:111", "status": "open"})
    mongo_db.posting_versions.insert_one({"_id": "amazon_jobs:111@v1", "version": 1})
    mongo_db.crawl_runs.insert_one({"_id": "run-1", "finished_at": None})
    before = {
        name: collection_hash(mongo_db, name)
        for name in ("postings", "posting_versions", "crawl_runs")
    }

    result = backfill(stub, mongo_uri, mongo_db, tmp_path, "run", "--archive", "all")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sightings(mongo_db) == stub.stub.truth()
    after = {name: collection_hash(mongo_db, name) for name in before}
    assert after == before

    reasons = {d["original_url"]: d.get("reason") for d in mongo_db.archive_captures.find()}
    assert reasons["https://www.amazon.jobs/en/jobs/222"] == "closest_capture_redirect"
    assert reasons["https://www.amazon.jobs/en/jobs/333"] == "id_mismatch"
    assert reasons["https://www.amazon.jobs/en/jobs/444"] == "archived_301"
    assert reasons["https://www.amazon.jobs/en/jobs/444.json"] == "not_job_detail"
    assert reasons["https://www.amazon.jobs/en/jobs/666"] == "no_longer_available"
    assert reasons["https://www.amazon.jobs/en/jobs/888"] == "not_html"
    sighting = mongo_db.archive_sightings.find_one({"timestamp": "20240105101112"})
    assert sighting["country_code"] == "IND" and sighting["parser"]["name"] == "amazon_jobs_page"
    assert sighting["replay_url"].endswith(
        "/web/20240105101112id_/https://www.amazon.jobs/en/jobs/111/sde"
    )
    assert "posted_date" not in sighting and len(sighting["sha256"]) == 64
    cc = mongo_db.archive_sightings.find_one({"archive": "commoncrawl"})
    assert cc["crawl"] == "CC-MAIN-2024-10" and cc["warc_offset"] == 0

    # Nothing fetched twice: a second run lists again (done cursors: not even that) and fetches
    # nothing it stored.
    replays = stub.stub.count("/wayback/web/")
    records = stub.stub.count("/ccdata/")
    again = backfill(stub, mongo_uri, mongo_db, tmp_path, "run", "--archive", "all")
    assert again.returncode == 0, again.stderr[-3000:]
    assert stub.stub.count("/wayback/web/") == replays
    assert stub.stub.count("/ccdata/") == records

    status = backfill(stub, mongo_uri, mongo_db, tmp_path, "status", "--json")
    report = json.loads(status.stdout)
    assert report["wayback"]["sightings"] == 4 and report["wayback"]["left"] == 0
    assert report["wayback"]["rejected"]["closest_capture_redirect"] == 1
    assert report["commoncrawl"]["sightings"] == 1

    # Reparse from the kept payloads, no request: the same sightings.
    requests = len(stub.stub.requests)
    mongo_db.archive_sightings.update_many({}, {"$set": {"title": "stale"}})
    reparse = backfill(
        stub,
        mongo_uri,
        mongo_db,
        tmp_path,
        "reparse",
        "--archive-dir",
        str(tmp_path / "archive"),
        "--json",
    )
    assert reparse.returncode == 0, reparse.stderr
    assert len(stub.stub.requests) == requests
    assert sightings(mongo_db) == stub.stub.truth()
    assert "stale" not in {d["title"] for d in mongo_db.archive_sightings.find()}
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobtracker",
            "verify",
            "--mongo-uri",
            mongo_uri,
            "--database",
            mongo_db.name,
        ],
        capture_output=True,
        text=True,
    )
    assert "archive_sightings        0" in verify.stdout or " archive_sightings " in verify.stdout


def test_a_429_pauses_every_request_to_the_archive(
    stub: RunningStub, mongo_uri: str, mongo_db, tmp_path: Path
) -> None:
    stub.stub.limit_first_replays = 1
    stub.stub.pause_seconds = 1.0
    result = backfill(stub, mongo_uri, mongo_db, tmp_path, "run", "--archive", "wayback")
    assert result.returncode == 0, result.stderr[-3000:]
    assert stub.stub.during_pause == 0
    assert {s for s in stub.stub.truth() if s[1] == "wayback"} == sightings(mongo_db)
    assert "pausing every request" in result.stderr
