"""``jobtracker verify``: the store's invariants, checked over a real MongoDB (the test server).

Broken stores are built by inserting documents directly (one broken posting per case, beside
healthy ones); one store is written by ``PostingStore.save_page`` and the closure code and must
verify clean. The documented MongoDB queries (docs/store.md) are run against the same broken
store and must find what ``verify_store`` finds. The command itself runs as a child process.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from pymongo.database import Database

from jobtracker.store import PostingStore, RunOutcome
from jobtracker.store.verify import (
    KINDS,
    VerifyReport,
    abandon_stale_runs,
    repair_store,
    verify_store,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NOW = T0 + 10 * DAY
STALE = timedelta(hours=12)


# -- documents -------------------------------------------------------------------------------


def posting(
    key: str,
    spans: list[tuple[datetime, datetime | None]],
    last_seen: datetime,
    *,
    versions: int = 1,
    status: str | None = None,
    closed_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``postings`` document shaped as the crawler writes it."""
    closed = spans[-1][1] is not None
    doc = {
        "_id": f"amazon_jobs:{key}",
        "source": "amazon_jobs",
        "source_id": key,
        "title": f"Posting {key}",
        "first_seen_at": spans[0][0],
        "last_seen_at": last_seen,
        "status": status or ("closed" if closed else "open"),
        "spans": [{"from": start, "to": end} for start, end in spans],
        "version": versions,
        "content_hash": f"{key}-h{versions}",
    }
    if closed:
        doc["closed_at"] = closed_at or spans[-1][1] + DAY
    return {**doc, **extra}


def version(pid: str, n: int, first: datetime, last: datetime | None, **extra: Any) -> dict:
    """A ``posting_versions`` document."""
    key = pid.split(":", 1)[1]
    return {
        "_id": f"{pid}@v{n}",
        "posting_id": pid,
        "version": n,
        "content_hash": f"{key}-h{n}",
        "first_seen_at": first,
        "last_seen_at": last,
        "run_id": "r",
        "changed_fields": ["title"],
        "snapshot": {"title": f"Posting {key}", "description_text": "x" * 200},
        **extra,
    }


def run(run_id: str, started: datetime, finished: datetime | None) -> dict[str, Any]:
    return {
        "_id": run_id,
        "source": "amazon_jobs",
        "started_at": started,
        "finished_at": finished,
        "finish_reason": "finished" if finished else None,
        "complete": bool(finished),
    }


def healthy(db: Database) -> None:
    """Postings as the crawler leaves them: edited, closed, reopened (all invariants hold)."""
    edited = posting("1000", [(T0, None)], T0 + 3 * DAY, versions=2)
    closed = posting("2000", [(T0, T0 + DAY)], T0 + DAY, closed_at=T0 + 2 * DAY)
    reopened = posting("3000", [(T0, T0 + DAY), (T0 + 3 * DAY, None)], T0 + 4 * DAY)
    db.postings.insert_many([edited, closed, reopened])
    db.posting_versions.insert_many(
        [
            version(edited["_id"], 1, T0, T0 + DAY),
            version(edited["_id"], 2, T0 + DAY, None),
            version(closed["_id"], 1, T0, T0 + DAY),
            version(reopened["_id"], 1, T0, None),
        ]
    )
    db.crawl_runs.insert_many([run("day0", T0, T0 + timedelta(hours=1))])


def insert(db: Database, postings: list[dict], versions: list[dict]) -> None:
    if postings:
        db.postings.insert_many(postings)
    if versions:
        db.posting_versions.insert_many(versions)


def one_posting(db: Database, doc: dict[str, Any], *versions: tuple) -> None:
    """A posting and its versions, each given as (n, first_seen_at, last_seen_at[, extra])."""
    insert(db, [doc], [version(doc["_id"], *spec) for spec in versions])


def broken(db: Database) -> dict[str, set[str]]:
    """Healthy postings plus broken ones; returns the ids each kind must report."""
    healthy(db)
    # spans: overlapping (the second starts before the first ended); an empty list.
    one_posting(
        db,
        posting("s1", [(T0, T0 + 2 * DAY), (T0 + DAY, None)], T0 + 4 * DAY),
        (1, T0, None),
    )
    one_posting(db, {**posting("s2", [(T0, None)], T0 + DAY), "spans": []}, (1, T0, None))
    # seen_times: first_seen_at is not the first span's from.
    one_posting(
        db,
        posting("f1", [(T0, None)], T0 + DAY, first_seen_at=T0 + timedelta(hours=1)),
        (1, T0, None),
    )
    # last_seen: before the last span's to (closed), before its from (reopened).
    one_posting(
        db,
        posting("l1", [(T0, T0 + DAY)], T0 + timedelta(hours=12)),
        (1, T0, T0 + timedelta(hours=12)),
    )
    one_posting(
        db,
        posting("l2", [(T0, T0 + DAY), (T0 + 3 * DAY, None)], T0 + 2 * DAY),
        (1, T0, None),
    )
    # status: "open" with an ended last span; closed_at before the last span's to.
    one_posting(
        db,
        posting("t1", [(T0, T0 + DAY)], T0 + DAY, status="open"),
        (1, T0, None),
    )
    db.postings.update_one({"_id": "amazon_jobs:t1"}, {"$unset": {"closed_at": ""}})
    one_posting(
        db,
        posting("t2", [(T0, T0 + DAY)], T0 + DAY, closed_at=T0 + timedelta(hours=2)),
        (1, T0, T0 + DAY),
    )
    # missing_streak: left on a closed posting; a count of 0; closure_held without a streak; a
    # miss before the last sighting.
    streak = {"missing_last_at": T0 + 2 * DAY, "missing_run_id": "day2", "missing_count": 1}
    one_posting(
        db,
        posting("m1", [(T0, T0 + DAY)], T0 + DAY, missing_since=T0 + 2 * DAY, **streak),
        (1, T0, T0 + DAY),
    )
    one_posting(
        db,
        posting(
            "m2",
            [(T0, None)],
            T0 + DAY,
            missing_since=T0 + 2 * DAY,
            **{**streak, "missing_count": 0},
        ),
        (1, T0, None),
    )
    one_posting(db, posting("m3", [(T0, None)], T0 + DAY, closure_held=True), (1, T0, None))
    one_posting(
        db,
        posting("m4", [(T0, None)], T0 + 3 * DAY, missing_since=T0 + 2 * DAY, **streak),
        (1, T0, None),
    )
    # observed_at: before the last sighting; before the latest miss; not a time.
    one_posting(
        db, posting("o1", [(T0, None)], T0 + 3 * DAY, observed_at=T0 + 2 * DAY), (1, T0, None)
    )
    one_posting(
        db,
        posting(
            "o2",
            [(T0, None)],
            T0 + 3 * DAY,
            observed_at=T0 + 3 * DAY,
            missing_since=T0 + 4 * DAY,
            missing_last_at=T0 + 4 * DAY,
            missing_run_id="day4",
            missing_count=1,
        ),
        (1, T0, None),
    )
    one_posting(
        db, posting("o3", [(T0, None)], T0 + 3 * DAY, observed_at="yesterday"), (1, T0, None)
    )
    # version_ends: an older version left with a closure's last sighting though no closure
    # came before the next version; ended at the next version's first sighting though that
    # sighting reopened the posting (the closure ended it); a closed posting's version n
    # ended after the posting's last sighting.
    one_posting(
        db,
        posting("e1", [(T0, None)], T0 + 3 * DAY, versions=2),
        (1, T0, T0 + DAY),
        (2, T0 + 2 * DAY, None),
    )
    one_posting(
        db,
        posting("e2", [(T0, T0 + DAY), (T0 + 3 * DAY, None)], T0 + 4 * DAY, versions=2),
        (1, T0, T0 + 3 * DAY),
        (2, T0 + 3 * DAY, None),
    )
    one_posting(db, posting("e3", [(T0, T0 + 2 * DAY)], T0 + 2 * DAY), (1, T0, T0 + 3 * DAY))
    # version_numbers: version 2 of 3 is missing.
    one_posting(
        db,
        posting("n1", [(T0, None)], T0 + 3 * DAY, versions=3),
        (1, T0, T0 + DAY),
        (3, T0 + 2 * DAY, None),
    )
    # content_hash: the posting's hash is not version 2's.
    one_posting(
        db,
        posting("h1", [(T0, None)], T0 + 3 * DAY, versions=2, content_hash="stale"),
        (1, T0, T0 + DAY),
        (2, T0 + DAY, None),
    )
    # version_times: version 2 first seen before version 1.
    one_posting(
        db,
        posting("v1", [(T0, None)], T0 + 3 * DAY, versions=2),
        (1, T0, T0 + DAY),
        (2, T0 - DAY, None),
    )
    # current_version: open without one; closed with one; open with two.
    one_posting(
        db,
        posting("c1", [(T0, None)], T0 + 3 * DAY, versions=2),
        (1, T0, T0 + DAY),
        (2, T0 + DAY, T0 + 2 * DAY),
    )
    one_posting(db, posting("c2", [(T0, T0 + DAY)], T0 + DAY), (1, T0, None))
    one_posting(
        db,
        posting("c3", [(T0, None)], T0 + 3 * DAY, versions=2),
        (1, T0, None),
        (2, T0 + DAY, None),
    )
    # orphan_versions: no posting (sorting first, in between, last, no posting id at all).
    insert(
        db,
        [],
        [
            version("amazon_hourly:9", 1, T0, None),
            version("amazon_jobs:2500", 1, T0, None),
            version("zzz:1", 1, T0, None),
            {**version("amazon_jobs:x", 1, T0, None), "_id": "nobody@v1", "posting_id": None},
        ],
    )
    # stale_runs: one never finished; one still running (recent) is no violation.
    db.crawl_runs.insert_many(
        [run("crashed", T0 + 2 * DAY, None), run("running", NOW - timedelta(hours=1), None)]
    )
    # archive_sightings: one without its sighted capture, one without a payload hash;
    # archive_captures: one in no known state, one sighted without its sighting.
    url = "https://www.amazon.jobs/en/jobs/77"
    sighting = {"posting_id": "amazon_jobs:77", "original_url": url, "archive": "wayback",
                "captured_at": T0, "sha256": "ab"}  # fmt: skip
    db.archive_captures.insert_many(
        [
            {"_id": "wayback|2|x", "state": "sighted"},
            {"_id": "wayback|3|x", "state": "odd"},
            {"_id": "wayback|4|x", "state": "sighted"},
            {"_id": "wayback|5|x", "state": "listed"},
        ]
    )
    db.archive_sightings.insert_many(
        [{**sighting, "_id": "wayback|1|x"},
         {**sighting, "_id": "wayback|2|x", "sha256": None}]
    )  # fmt: skip
    return {
        "archive_sightings": {"wayback|1|x", "wayback|2|x"},
        "archive_captures": {"wayback|3|x", "wayback|4|x"},
        "spans": {"amazon_jobs:s1", "amazon_jobs:s2"},
        "seen_times": {"amazon_jobs:f1", "amazon_jobs:s2"},
        "last_seen": {"amazon_jobs:l1", "amazon_jobs:l2"},
        "status": {"amazon_jobs:t1", "amazon_jobs:t2"},
        "missing_streak": {f"amazon_jobs:m{i}" for i in range(1, 5)},
        "observed_at": {f"amazon_jobs:o{i}" for i in range(1, 4)},
        "version_numbers": {"amazon_jobs:n1"},
        "content_hash": {"amazon_jobs:h1"},
        "version_times": {"amazon_jobs:v1"},
        "current_version": {"amazon_jobs:c1", "amazon_jobs:c2", "amazon_jobs:c3"},
        "version_ends": {f"amazon_jobs:e{i}@v1" for i in range(1, 4)},
        "orphan_versions": {
            "amazon_hourly:9@v1",
            "amazon_jobs:2500@v1",
            "zzz:1@v1",
            "nobody@v1",
        },
        "stale_runs": {"crashed"},
    }


def counts(report: VerifyReport) -> dict[str, int]:
    return {kind: v.count for kind, v in report.violations.items() if v.count}


# -- the documented queries ------------------------------------------------------------------


def documented_queries() -> dict[str, str]:
    """``{kind: mongo shell code}`` from docs/store.md's "Checking the store" section."""
    text = (ROOT / "docs" / "store.md").read_text()
    section = text.split("## Checking the store: `jobtracker verify`", 1)[1]
    found = re.findall(r"^### `(\w+)`.*?```js\n(.*?)```", section, flags=re.MULTILINE | re.DOTALL)
    return dict(found)


def shell_to_python(code: str, now: datetime) -> tuple[str, str, list[Any]]:
    """One mongo shell query -> (collection, method, arguments), the JavaScript object syntax
    of the docs turned into extended JSON (unquoted keys, trailing commas, comments, the
    ``cutoff`` constant of the stale-runs query)."""
    code = re.sub(r"//[^\n]*", "", code)
    cutoff = re.search(r"const cutoff = new Date\(Date\.now\(\) - (\d+) \* 3600 \* 1000\)", code)
    if cutoff:
        moment = now - timedelta(hours=int(cutoff.group(1)))
        code = code[cutoff.end() :].replace("cutoff", json_util.dumps(moment))
    call = re.fullmatch(r"\s*db\.(\w+)\.(find|aggregate)\((.*)\)\s*", code, flags=re.DOTALL)
    assert call, code
    body = re.sub(r"([{,]\s*)(\$?[A-Za-z_]\w*)\s*:", r'\1"\2":', call.group(3))
    body = re.sub(r",(\s*[}\]])", r"\1", body)
    return call.group(1), call.group(2), json_util.loads(f"[{body}]")


def run_documented(db: Database, kind: str, code: str, now: datetime) -> set[str]:
    collection, method, arguments = shell_to_python(code, now)
    if method == "find":
        docs = db[collection].find(*arguments)
    else:
        pipeline, *options = arguments
        docs = db[collection].aggregate(pipeline, **(options[0] if options else {}))
    return {str(doc["_id"]) for doc in docs}


# -- a store the crawler's own code wrote ----------------------------------------------------


def job_item(source_id: str, seen_at: datetime, description: str) -> dict[str, Any]:
    job = json.loads((FIXTURES / "search_sample_1_facets_hits10000.json").read_text())["jobs"][0]
    return {
        "source": "amazon_jobs",
        "source_id": source_id,
        "url": f"https://www.amazon.jobs/en/jobs/{source_id}/x",
        "title": job["title"],
        "seen_at": seen_at,
        "raw": {**job, "id_icims": source_id, "description": description},
    }


def crawl_day(store: PostingStore, day: int, seen: dict[str, str]) -> None:
    """One complete run of the whole board on day ``day`` that saw ``seen`` (id -> text)."""
    started = T0 + day * DAY
    run_id = f"day{day}"
    store.start_run({"_id": run_id, "source": "amazon_jobs", "started_at": started})
    items = [job_item(key, started + timedelta(minutes=5), text) for key, text in seen.items()]
    store.save_page(items, run_id)
    outcome = RunOutcome(
        run_id=run_id,
        finish_reason="finished",
        keyword_run=False,
        partitions=[{"key": "all", "split_by": "business_category", "complete": True}],
        started_at=started,
        source="amazon_jobs",
    )
    plan = store.apply_closures(outcome, {"source": "amazon_jobs"})
    store.finish_run(
        run_id,
        {
            "finish_reason": "finished",
            "complete": True,
            "closure": plan.as_dict(),
            "finished_at": started + timedelta(minutes=30),
        },
    )


def test_a_store_written_by_the_store_code_verifies_clean(mongo_db) -> None:
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    board = {"1001": "Build things.", "1002": "Run things.", "1003": "Sell things."}
    crawl_day(store, 0, board)
    crawl_day(store, 1, {"1001": "Build better things.", "1002": "Run things."})  # 1003 missed
    crawl_day(store, 2, {"1001": "Build better things.", "1002": "Run things."})  # 1003 closed
    assert mongo_db.postings.find_one({"_id": "amazon_jobs:1003"})["status"] == "closed"
    assert verify_store(mongo_db, now=T0 + 2 * DAY + STALE, stale_after=STALE).clean
    crawl_day(store, 3, {**board, "1002": "Run other things."})  # 1003 reopened, 1002 edited
    pids = [doc["_id"] for doc in mongo_db.postings.find({}, {"_id": 1})]
    assert len(pids) == 3 and mongo_db.posting_versions.count_documents({}) == 6
    assert len(mongo_db.postings.find_one({"_id": "amazon_jobs:1003"})["spans"]) == 2

    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert report.clean, report.lines()
    assert (report.postings, report.versions, report.runs) == (3, 6, 4)
    assert report.verdict() == "verdict: clean (every invariant holds)"
    assert repair_store(mongo_db, report, now=NOW, stale_after=STALE).changed == 0


def test_a_posting_reopened_unchanged_on_a_page_without_new_versions_is_current(mongo_db) -> None:
    """Its version is current again (``last_seen_at: null``) even when the page it was seen
    on wrote no version at all."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    board = {"1001": "Build things.", "1002": "Run things."}
    crawl_day(store, 0, board)
    crawl_day(store, 1, {"1001": "Build things."})  # 1002 missed
    crawl_day(store, 2, {"1001": "Build things."})  # 1002 closed
    assert mongo_db.posting_versions.find_one({"_id": "amazon_jobs:1002@v1"})["last_seen_at"]
    crawl_day(store, 3, board)  # 1002 reopened, nothing edited
    assert mongo_db.postings.find_one({"_id": "amazon_jobs:1002"})["status"] == "open"
    version = mongo_db.posting_versions.find_one({"_id": "amazon_jobs:1002@v1"})
    assert version["last_seen_at"] is None
    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert report.clean, report.lines()


def test_a_posting_reopened_with_new_content_keeps_its_old_version_ended_at_the_closure(
    mongo_db,
) -> None:
    """The closure ends version 1 at the last sighting; the reopening sighting brings version 2
    and leaves version 1 so (not at version 2's first sighting): verify derives the same, and
    puts it back when version 1 is given the next version's first sighting instead."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    board = {"1001": "Build things.", "1002": "Run things."}
    crawl_day(store, 0, board)
    crawl_day(store, 1, {"1001": "Build things."})  # 1002 missed
    crawl_day(store, 2, {"1001": "Build things."})  # 1002 closed
    crawl_day(store, 3, {**board, "1002": "Run other things."})  # reopened, edited
    pid = "amazon_jobs:1002"
    posting_doc = mongo_db.postings.find_one({"_id": pid})
    v1, v2 = (mongo_db.posting_versions.find_one({"_id": f"{pid}@v{n}"}) for n in (1, 2))
    assert posting_doc["status"] == "open" and len(posting_doc["spans"]) == 2
    assert v1["last_seen_at"] == posting_doc["spans"][0]["to"] < v2["first_seen_at"]
    assert v2["first_seen_at"] == posting_doc["spans"][1]["from"]
    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert report.clean, report.lines()

    closure_end = v1["last_seen_at"]
    mongo_db.posting_versions.update_one(
        {"_id": v1["_id"]}, {"$set": {"last_seen_at": v2["first_seen_at"]}}
    )
    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert counts(report) == {"version_ends": 1}
    assert report.violations["version_ends"].examples == [v1["_id"]]
    assert repair_store(mongo_db, report, now=NOW, stale_after=STALE).ended_versions == 1
    assert mongo_db.posting_versions.find_one({"_id": v1["_id"]})["last_seen_at"] == closure_end
    assert verify_store(mongo_db, now=NOW, stale_after=STALE).clean


def test_what_a_closure_racing_a_sighting_once_left_is_reported_and_repaired(mongo_db) -> None:
    """Before the store code ended only the versions of postings its closure did close, a
    closure that lost to a sighting (the posting stays open: its update no longer matched)
    still ended the current version, and an edit later left that version ended at the last
    sighting before the closure that never came. Both states are made by hand here (the store
    code no longer writes them: test_store_races.py races them for real); verify reports them
    and --repair puts them back."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    crawl_day(store, 0, {"1001": "Build things."})
    pid = "amazon_jobs:1001"
    day0 = mongo_db.postings.find_one({"_id": pid})["last_seen_at"]
    # The closure's version write, without its posting update.
    mongo_db.posting_versions.update_one({"_id": f"{pid}@v1"}, {"$set": {"last_seen_at": day0}})
    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert counts(report) == {"current_version": 1}, report.lines()
    assert repair_store(mongo_db, report, now=NOW, stale_after=STALE).made_current == 1
    assert mongo_db.posting_versions.find_one({"_id": f"{pid}@v1"})["last_seen_at"] is None
    assert verify_store(mongo_db, now=NOW, stale_after=STALE).clean

    crawl_day(store, 2, {"1001": "Build better things."})  # edited: version 2
    assert verify_store(mongo_db, now=NOW, stale_after=STALE).clean
    v2 = mongo_db.posting_versions.find_one({"_id": f"{pid}@v2"})
    # What the edit left after such a race: version 1 ended at the closure's time.
    mongo_db.posting_versions.update_one({"_id": f"{pid}@v1"}, {"$set": {"last_seen_at": day0}})
    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert counts(report) == {"version_ends": 1}, report.lines()
    assert report.violations["version_ends"].examples == [f"{pid}@v1"]
    repair_store(mongo_db, report, now=NOW, stale_after=STALE)
    v1 = mongo_db.posting_versions.find_one({"_id": f"{pid}@v1"})
    assert v1["last_seen_at"] == v2["first_seen_at"]
    assert verify_store(mongo_db, now=NOW, stale_after=STALE).clean


# -- broken stores ---------------------------------------------------------------------------


def test_each_violation_kind_is_counted_with_example_ids(mongo_db, mongo_uri) -> None:
    expected = broken(mongo_db)
    assert set(expected) == set(KINDS)
    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert counts(report) == {kind: len(ids) for kind, ids in expected.items()}
    for kind, ids in expected.items():
        examples = report.violations[kind].examples
        assert len(examples) == min(3, len(ids)) and set(examples) <= ids, kind
    assert (report.postings, report.versions, report.runs) == (26, 38, 3)
    assert report.running == ["running"]
    assert not report.clean
    # streaks left over, observed_at raised, content hash, current versions, version ends,
    # orphans, run
    assert report.repairable == 2 + 2 + 1 + 3 + 3 + 4 + 1
    repairable = {kind: v.repairable for kind, v in report.violations.items() if v.repairable}
    assert repairable == {
        "missing_streak": 2,
        "observed_at": 2,
        "content_hash": 1,
        "current_version": 3,
        "version_ends": 3,
        "orphan_versions": 4,
        "stale_runs": 1,
    }
    lines = report.lines()
    assert [line.split()[0] for line in lines[1 : 1 + len(KINDS)]] == list(KINDS)
    assert "amazon_jobs:c1, amazon_jobs:c2, amazon_jobs:c3" in lines[10]
    assert "amazon_jobs:e1@v1, amazon_jobs:e2@v1, amazon_jobs:e3@v1" in lines[11]
    assert lines[-2].startswith("note: 1 crawl run is still running (running)")
    # Hand-made versions carry no normalizer stamp: derived by rules nobody recorded.
    assert lines[-1].startswith("note: ") and "derived by older rules (unrecorded: " in lines[-1]
    assert report.verdict().startswith("verdict: 33 violations of 15 kinds; 16 repairable")

    # A client without tz_aware reads naive UTC times: the same findings.
    from pymongo import MongoClient

    with MongoClient(mongo_uri) as naive:
        again = verify_store(naive[mongo_db.name], now=NOW, stale_after=STALE)
    assert counts(again) == counts(report)
    # A longer --stale-after: the crashed run (8 days old) is not stale yet.
    patient = verify_store(mongo_db, now=NOW, stale_after=timedelta(days=9))
    assert patient.violations["stale_runs"].count == 0
    assert patient.running == ["crashed", "running"]
    assert patient.lines()[-2] == (
        "note: 2 crawl runs are still running (crashed, running): what they write may look "
        "broken until they finish"
    )


def test_the_documented_queries_find_what_verify_finds(mongo_db) -> None:
    expected = broken(mongo_db)
    queries = documented_queries()
    assert set(queries) == set(KINDS)
    for kind, code in queries.items():
        assert run_documented(mongo_db, kind, code, NOW) == expected[kind], kind


def test_repair_fixes_what_is_derivable_and_reports_the_rest(mongo_db) -> None:
    expected = broken(mongo_db)
    before = verify_store(mongo_db, now=NOW, stale_after=STALE)

    # A run is still running: only the stale run is repaired.
    held = repair_store(mongo_db, before, now=NOW, stale_after=STALE)
    assert held.abandoned_runs == ["crashed"] and held.changed == 1
    assert "while crawl runs are running (running)" in (held.skipped or "")
    assert mongo_db.posting_versions.count_documents({}) == 38
    crashed = mongo_db.crawl_runs.find_one({"_id": "crashed"})
    assert crashed["finish_reason"] == "abandoned" and crashed["complete"] is False
    assert crashed["finished_at"] == NOW
    assert crashed["closure"] == {
        "applied": False,
        "blocked_reason": "the run never finished (abandoned)",
    }

    mongo_db.crawl_runs.update_one({"_id": "running"}, {"$set": {"finished_at": NOW}})
    repaired = repair_store(mongo_db, now=NOW, stale_after=STALE)
    assert repaired.skipped is None and repaired.abandoned_runs == []
    assert (repaired.removed_versions, repaired.made_current) == (4, 1)
    assert (repaired.ended_current, repaired.content_hashes) == (2, 1)
    cleared, raised = repaired.cleared_missing, repaired.raised_observed
    assert (cleared, raised, repaired.ended_versions) == (2, 2, 3)
    assert repaired.lines() == [
        "Repaired: 4 orphan versions removed; 1 open posting: version n made current; "
        "2 versions no longer current; 1 content hash set from version n; 2 postings: "
        "left-over missing-streak fields cleared; 2 postings: observed_at raised to the latest "
        "observation; 3 ended versions: last_seen_at set where the next begins (or at the "
        "closure)"
    ]
    versions = {doc["_id"]: doc for doc in mongo_db.posting_versions.find()}
    assert versions["amazon_jobs:c1@v2"]["last_seen_at"] is None
    assert versions["amazon_jobs:c2@v1"]["last_seen_at"] == T0 + DAY
    assert versions["amazon_jobs:c3@v1"]["last_seen_at"] == T0 + DAY
    assert mongo_db.postings.find_one({"_id": "amazon_jobs:h1"})["content_hash"] == "h1-h2"
    postings = {doc["source_id"]: doc for doc in mongo_db.postings.find()}
    for key in ("m1", "m3"):
        assert not set(postings[key]) & {"missing_since", "missing_count", "closure_held"}, key
    assert postings["m2"]["missing_count"] == 0  # a streak that contradicts itself stays
    assert (postings["o1"]["observed_at"], postings["o2"]["observed_at"]) == (
        T0 + 3 * DAY,
        T0 + 4 * DAY,
    )
    assert versions["amazon_jobs:e1@v1"]["last_seen_at"] == T0 + 2 * DAY  # the next's first
    assert versions["amazon_jobs:e2@v1"]["last_seen_at"] == T0 + DAY  # the closure's
    assert versions["amazon_jobs:e3@v1"]["last_seen_at"] == T0 + 2 * DAY  # the posting's last

    after = verify_store(mongo_db, now=NOW, stale_after=STALE)
    underivable = ("spans", "seen_times", "last_seen", "status", "version_numbers", "version_times",
                   "archive_sightings", "archive_captures")  # fmt: skip
    assert counts(after) == {
        **{kind: len(expected[kind]) for kind in underivable},
        "missing_streak": 2,  # m2, m4
        "observed_at": 1,  # o3
    }
    assert after.repairable == 0
    assert repair_store(mongo_db, after, now=NOW, stale_after=STALE).changed == 0


def test_a_crash_between_a_version_and_its_posting_is_repaired(mongo_db) -> None:
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    crawl_day(store, 0, {"1001": "Build things."})
    # Day 1 crashed after writing version 2 (and superseding version 1), before the posting.
    pid = "amazon_jobs:1001"
    v1 = mongo_db.posting_versions.find_one({"_id": f"{pid}@v1"})
    crashed = {**v1, "_id": f"{pid}@v2", "version": 2, "content_hash": "new", "run_id": "day1"}
    mongo_db.posting_versions.insert_one({**crashed, "first_seen_at": T0 + DAY})
    mongo_db.posting_versions.update_one({"_id": v1["_id"]}, {"$set": {"last_seen_at": T0 + DAY}})
    mongo_db.crawl_runs.insert_one(run("day1", T0 + DAY, None))

    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert counts(report) == {"current_version": 1, "orphan_versions": 1, "stale_runs": 1}
    assert report.violations["orphan_versions"].examples == [f"{pid}@v2"]
    repaired = repair_store(mongo_db, report, now=NOW, stale_after=STALE)
    assert repaired.abandoned_runs == ["day1"]
    assert (repaired.removed_versions, repaired.made_current) == (1, 1)
    assert verify_store(mongo_db, now=NOW, stale_after=STALE).clean

    # The next crawl stores the edit as version 2 again, and the store stays clean.
    crawl_day(store, 2, {"1001": "Build better things."})
    assert mongo_db.postings.find_one({"_id": pid})["version"] == 2
    assert verify_store(mongo_db, now=NOW, stale_after=STALE).clean


def test_a_crashed_runs_version_replaced_by_other_content_ends_where_the_new_one_begins(
    mongo_db,
) -> None:
    """Day 1 crashed after writing version 2 and ending version 1 at its sighting; day 2 sees
    other content and replaces the orphan (rule 7), and ends version 1 where the version 2
    that stands begins: the store verifies clean. Left at the crashed run's sighting (as the
    store code once left it; made by hand here), version_ends reports it and --repair fixes
    it."""
    store = PostingStore(mongo_db)
    store.ensure_indexes()
    crawl_day(store, 0, {"1001": "Build things."})
    pid = "amazon_jobs:1001"
    v1 = mongo_db.posting_versions.find_one({"_id": f"{pid}@v1"})
    crashed = {**v1, "_id": f"{pid}@v2", "version": 2, "content_hash": "new", "run_id": "day1"}
    mongo_db.posting_versions.insert_one({**crashed, "first_seen_at": T0 + DAY})
    mongo_db.posting_versions.update_one({"_id": v1["_id"]}, {"$set": {"last_seen_at": T0 + DAY}})
    mongo_db.crawl_runs.insert_one(run("day1", T0 + DAY, T0 + DAY + timedelta(hours=1)))

    crawl_day(store, 2, {"1001": "Build other things."})
    v2 = mongo_db.posting_versions.find_one({"_id": f"{pid}@v2"})
    assert v2["run_id"] == "day2" and mongo_db.postings.find_one({"_id": pid})["version"] == 2
    ended = mongo_db.posting_versions.find_one({"_id": v1["_id"]})["last_seen_at"]
    assert ended == v2["first_seen_at"]
    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert report.clean, report.lines()

    # Version 1 left at the crashed run's sighting.
    mongo_db.posting_versions.update_one({"_id": v1["_id"]}, {"$set": {"last_seen_at": T0 + DAY}})
    report = verify_store(mongo_db, now=NOW, stale_after=STALE)
    assert counts(report) == {"version_ends": 1}, report.lines()
    assert report.violations["version_ends"].examples == [v1["_id"]]
    repair_store(mongo_db, report, now=NOW, stale_after=STALE)
    ended = mongo_db.posting_versions.find_one({"_id": v1["_id"]})["last_seen_at"]
    assert ended == v2["first_seen_at"]
    assert verify_store(mongo_db, now=NOW, stale_after=STALE).clean


# -- runs ------------------------------------------------------------------------------------


def test_abandon_stale_runs_touches_only_old_unfinished_runs(mongo_db) -> None:
    finished_at = T0 + timedelta(hours=1)
    mongo_db.crawl_runs.insert_many(
        [
            run("old-finished", T0, finished_at),
            run("old-a", T0 + timedelta(hours=2), None),
            run("old-b", T0 + timedelta(hours=3), None),
            run("recent", NOW - timedelta(hours=11), None),
        ]
    )
    assert abandon_stale_runs(mongo_db, now=NOW, older_than=STALE) == ["old-a", "old-b"]
    runs = {doc["_id"]: doc for doc in mongo_db.crawl_runs.find()}
    assert runs["old-finished"]["finished_at"] == finished_at
    assert runs["old-finished"]["finish_reason"] == "finished"
    assert runs["recent"]["finished_at"] is None
    assert {runs[r]["finish_reason"] for r in ("old-a", "old-b")} == {"abandoned"}
    assert abandon_stale_runs(mongo_db, now=NOW, older_than=STALE) == []


def test_a_run_that_finishes_while_being_abandoned_keeps_its_record(mongo_db, mongo_uri) -> None:
    """The run finishes between abandon_stale_runs' read and its update (done by hand from a
    command listener, on another connection): the update matches nothing."""
    from pymongo import MongoClient, monitoring

    mongo_db.crawl_runs.insert_one(run("slow", T0, None))

    class FinishAfterTheRead(monitoring.CommandListener):
        def started(self, event: monitoring.CommandStartedEvent) -> None:
            pass

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            if event.command_name == "find":
                mongo_db.crawl_runs.update_one(
                    {"_id": "slow"},
                    {"$set": {"finished_at": NOW, "finish_reason": "finished", "complete": True}},
                )

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    with MongoClient(mongo_uri, tz_aware=True, event_listeners=[FinishAfterTheRead()]) as client:
        assert abandon_stale_runs(client[mongo_db.name], now=NOW, older_than=STALE) == []
    slow = mongo_db.crawl_runs.find_one({"_id": "slow"})
    assert (slow["finish_reason"], slow["complete"], slow["finished_at"]) == ("finished", True, NOW)
    assert "closure" not in slow


def test_verify_refuses_a_stale_after_that_is_not_positive(mongo_db) -> None:
    with pytest.raises(ValueError, match="stale_after"):
        verify_store(mongo_db, now=NOW, stale_after=timedelta(0))


# -- the command -----------------------------------------------------------------------------


def jobtracker(*args: str, uri: str | None = None, db: str | None = None, **env: str):
    """``python -m jobtracker.cli verify ...`` as a child process, its clock at NOW."""
    import os

    command = [sys.executable, "-m", "jobtracker.cli", "verify", *args]
    if uri:
        command += ["--mongo-uri", uri]
    if db:
        command += ["--database", db]
    environment = {**os.environ, "JOBTRACKER_CLOCK_START": NOW.isoformat(), **env}
    environment.pop("MONGO_URI", None)
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_the_command_exit_status_and_output(mongo_db, mongo_uri) -> None:
    healthy(mongo_db)
    clean = jobtracker(uri=mongo_uri, db=mongo_db.name)
    assert clean.returncode == 0, clean.stderr
    lines = clean.stdout.splitlines()
    assert lines[0].startswith(f"Verified database {mongo_db.name}: 3 postings, 4 versions")
    assert [line.split()[:2] for line in lines[1 : 1 + len(KINDS)]] == [
        [kind, "0"] for kind in KINDS
    ]
    assert lines[-1] == "verdict: clean (every invariant holds)"

    # Only derivable damage: --repair leaves a clean store and exits 0.
    mongo_db.postings.update_one({"_id": "amazon_jobs:1000"}, {"$set": {"content_hash": "x"}})
    mongo_db.crawl_runs.insert_one(run("crashed", T0 + DAY, None))
    found = jobtracker("--json", uri=mongo_uri, db=mongo_db.name)
    assert found.returncode == 1, found.stderr
    result = json.loads(found.stdout)
    assert result["clean"] is False and result["total"] == 2
    assert result["violations"]["content_hash"]["examples"] == ["amazon_jobs:1000"]
    assert result["violations"]["stale_runs"] == {
        "check": KINDS["stale_runs"],
        "count": 1,
        "repairable": 1,
        "examples": ["crashed"],
    }
    fixed = jobtracker("--repair", uri=mongo_uri, db=mongo_db.name)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    out = [line for line in fixed.stdout.splitlines() if "derived by older rules" not in line]
    found_counts = {line.split()[0]: line.split()[1] for line in out[1 : 1 + len(KINDS)]}
    assert found_counts == {kind: "0" for kind in KINDS} | {"content_hash": "1", "stale_runs": "1"}
    after = 1 + len(KINDS)
    assert out[after] == (
        "Repaired: 1 stale run abandoned (crashed); 1 content hash set from version n"
    )
    assert out[after + 1] == "After repair:"
    assert out[after + 2].startswith(f"Verified database {mongo_db.name}: 3 postings, 4 versions")
    assert out[-1] == "verdict: clean (every invariant holds)"

    # Damage that is not derivable remains: exit 1 after --repair.
    mongo_db.postings.update_one({"_id": "amazon_jobs:1000"}, {"$set": {"spans": []}})
    left = jobtracker("--repair", "--json", uri=mongo_uri, db=mongo_db.name)
    assert left.returncode == 1, left.stderr
    result = json.loads(left.stdout)
    assert result["clean"] is False and result["after"]["violations"]["spans"]["count"] == 1
    assert result["repaired"]["abandoned_runs"] == []


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--stale-after", "0"], {}, "--stale-after 0: give hours"),
        (["--stale-after", "nan"], {}, "--stale-after nan: give hours"),
        (["--stale-after", "soon"], {}, "argument --stale-after: invalid float value"),
        ([], {"JOBTRACKER_CLOCK_START": "yesterday"}, "JOBTRACKER_CLOCK_START='yesterday'"),
        (["--mongo-uri", "http://nowhere"], {}, "bad MongoDB URI"),
    ],
)
def test_the_command_refuses_bad_input_with_exit_2(args, env, message) -> None:
    done = jobtracker(*args, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_the_command_says_in_one_line_that_mongodb_is_unreachable() -> None:
    done = jobtracker(uri="mongodb://127.0.0.1:9/")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "jobtracker verify: error: cannot reach MongoDB at mongodb://127.0.0.1:9/" in done.stderr
