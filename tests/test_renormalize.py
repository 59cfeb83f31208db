"""``jobtracker renormalize``: derived fields recomputed from the stored snapshots, over a
history crawled from the simulator into a real MongoDB wire-protocol server.

What must hold (docs/store.md, rule 11): derived fields follow today's rules; content hashes,
version numbers, spans, sightings and closures never move; a stopped run continues.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.derived import NORMALIZER_VERSION
from jobtracker.store.renormalize import renormalize_store
from jobtracker.store.verify import verify_store
from tests.support.crawling import run_crawl
from tests.support.history import day_clock

NOW = datetime(2027, 1, 1, tzinfo=UTC)
OLD_RULES = "role-family/3+location/1+pay/1+dates/1"
#: Everything a version and a posting hold that is not derived.
VERSION_DERIVED = ("locations", "country_codes", "role_family", "posted_date", "pay")


def fingerprint(db: Database) -> str:
    """A digest of everything renormalize must leave alone: every posting and version without
    its derived fields and stamp (content hashes, versions, spans, sightings, closures)."""
    digest = hashlib.sha256()
    for doc in db.postings.find().sort("_id", 1):
        kept = {k: v for k, v in doc.items() if k not in VERSION_DERIVED}
        digest.update(json.dumps(kept, sort_keys=True, default=str).encode())
    for doc in db.posting_versions.find().sort("_id", 1):
        snapshot = {k: v for k, v in doc["snapshot"].items() if k not in VERSION_DERIVED}
        kept = {k: v for k, v in doc.items() if k not in ("snapshot", "normalizer")}
        digest.update(json.dumps([kept, snapshot], sort_keys=True, default=str).encode())
    for doc in db.crawl_runs.find().sort("_id", 1):
        digest.update(json.dumps(doc, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def derived(db: Database) -> dict[str, Any]:
    """Every version's derived fields, and every posting's copy."""
    versions = {
        doc["_id"]: {k: doc["snapshot"].get(k) for k in VERSION_DERIVED}
        for doc in db.posting_versions.find()
    }
    postings = {doc["_id"]: {k: doc.get(k) for k in VERSION_DERIVED} for doc in db.postings.find()}
    return {"versions": versions, "postings": postings}


def age_the_store(db: Database) -> int:
    """Make the store look derived by older rules: every second version loses its role family
    (as role-family/3 left many titles unclassified) and its SOC code, and a quarter of the
    versions lose their pay; returns how many versions were aged."""
    aged = 0
    for index, doc in enumerate(db.posting_versions.find().sort("_id", 1)):
        update: dict[str, Any] = {"normalizer": OLD_RULES}
        if index % 2 == 0:
            old = {
                "role_family": None,
                "role_family_label": None,
                "soc_code": None,
                "soc_title": None,
                "basis": None,
                "classifier_version": "role-family/3",
            }
            update["snapshot.role_family"] = old
            db.postings.update_one(
                {"_id": doc["posting_id"], "version": doc["version"]},
                {"$set": {"role_family": old}},
            )
        if index % 4 == 1:
            update["snapshot.pay"] = []
        db.posting_versions.update_one({"_id": doc["_id"]}, {"$set": update})
        aged += 1
    return aged


async def crawl_history(sim, db: Database, mongo_uri: str, days: int) -> None:
    for day in range(days):
        sim.set_day(day * 3)
        settings = {
            "MONGO_URI": mongo_uri,
            "MONGO_DATABASE": db.name,
            "JOBTRACKER_CLOCK_START": day_clock(day * 3),
        }
        result = await run_crawl(settings=settings, base_url=sim.url, _job=f"day{day * 3}")
        assert result.finish_reason == "finished"


@deferred_f_from_coro_f
async def test_renormalize_restores_what_the_rules_derive_and_moves_nothing_else(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=600, seed=41)
    await crawl_history(sim, mongo_db, mongo_uri, days=3)
    assert mongo_db.posting_versions.count_documents({"normalizer": NORMALIZER_VERSION}) == (
        mongo_db.posting_versions.count_documents({})
    ), "a crawl stamps the rules that derived each version"
    assert mongo_db.posting_versions.count_documents({}) > mongo_db.postings.count_documents({})

    # Right after a crawl, today's rules agree with what the pipelines derived.
    fresh = renormalize_store(mongo_db)
    assert (fresh.changed, fresh.stamped, fresh.skipped) == (0, 0, 0), fresh.lines()
    crawled = derived(mongo_db)
    before = fingerprint(mongo_db)

    aged = age_the_store(mongo_db)
    assert verify_store(mongo_db, now=NOW).older_rules == {OLD_RULES: aged}

    dry = renormalize_store(mongo_db, dry_run=True)
    assert dry.changed > 0 and derived(mongo_db) != crawled, "a dry run writes nothing"

    report = renormalize_store(mongo_db)
    assert report.finished and report.examined == aged
    assert report.changed == dry.changed
    assert report.changed + report.stamped == aged
    assert report.fields["role_family"] > 0 and report.fields["pay"] > 0
    assert report.family_moves, "which families the unknowns became"
    assert all(old == "unknown" for old, _ in report.family_moves)
    assert any("role family:" in line and "unknown ->" in line for line in report.lines())

    assert derived(mongo_db) == crawled, "derived fields as the crawl derived them"
    assert fingerprint(mongo_db) == before, "content, versions, spans and runs untouched"
    assert verify_store(mongo_db, now=NOW).older_rules == {}
    again = renormalize_store(mongo_db)
    assert (again.changed, again.stamped) == (0, 0)


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_a_killed_renormalize_continues_where_it_stopped(
    start_sim, mongo_db, mongo_uri
) -> None:
    sim = start_sim(size=800, seed=42)
    await crawl_history(sim, mongo_db, mongo_uri, days=1)
    crawled = derived(mongo_db)
    before = fingerprint(mongo_db)
    aged = age_the_store(mongo_db)
    command = [
        sys.executable,
        "-m",
        "jobtracker",
        "renormalize",
        "--mongo-uri",
        mongo_uri,
        "--database",
        mongo_db.name,
        "--batch-size",
        "20",
        "--progress-every",
        "0",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    assert process.stderr is not None
    for _ in range(3):  # three batches written, then the process dies without warning
        line = process.stderr.readline()
        assert line.startswith("renormalize: "), line
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    state = mongo_db.maintenance.find_one({"_id": "renormalize"})
    assert state is not None and state["finished"] is False
    stopped_at = state["report"]["examined"]
    assert 60 <= stopped_at < aged

    done = subprocess.run(
        [*command[:-4], "--json"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["resumed_at"] == stopped_at
    assert report["examined"] == aged
    assert report["finished"] is True
    assert derived(mongo_db) == crawled
    assert fingerprint(mongo_db) == before


def test_bad_input_is_one_line(mongo_uri: str) -> None:
    for argv, message in (
        (["--since", "yesterday"], "--since: 'yesterday' is not a date"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "jobtracker", "renormalize", "--mongo-uri", mongo_uri, *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_every_source_rebuilds_from_its_snapshot_what_the_pipelines_derived() -> None:
    """Both sources, every posting of a simulated day: the derived fields that renormalize
    computes from the stored snapshot equal those the normalization pipelines stored."""
    from jobtracker.derived import DERIVED_FIELDS, derived_fields
    from jobtracker.sources import source_named
    from tests.test_content_hashes import SEEN_AT, snapshots

    checked: dict[str, int] = {}
    for pid, snapshot in snapshots():
        source, _, source_id = pid.partition(":")
        item = source_named(source).item_from_snapshot(
            snapshot, source_id=source_id, seen_at=SEEN_AT
        )
        assert item is not None, pid
        stored = {name: snapshot[name] for name in DERIVED_FIELDS if name in snapshot}
        assert derived_fields(item) == stored, pid
        checked[source] = checked.get(source, 0) + 1
    assert checked["amazon_jobs"] >= 2000 and checked["amazon_hourly"] >= 500, checked
