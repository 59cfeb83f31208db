"""The backfill end to end against the simulated archive (docs/simulator_archive.md) over real
HTTP, into a real MongoDB: what it stores equals the simulator's truth, live history stays
byte-for-byte as it was, politeness holds, and a killed run resumes."""

from __future__ import annotations

import hashlib
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
