"""``jobtracker verify`` over a year of history: verify time and peak memory.

Writes a year of daily crawls of a board the size of the simulated one (about 22,000 open
postings at a time) straight into a fresh database, in bulk and in the documented schema
(docs/store.md): about 51,000 postings (some closed, some reopened in a second span) and
71,000 versions (edits), with realistic texts, and 365 finished runs. Then runs
``jobtracker verify --json`` on it as a child process and prints its wall time, the time of the
check itself, and the child's peak RSS, beside that of a verify of an empty store (the check
streams: memory must not grow with the store). The store is valid: the verdict must be clean.

Uses the MongoDB test server (started here and stopped after) unless ``--mongo-uri`` is given;
mongo-java-server figures say nothing about real MongoDB. On a shared 2-core box run it twice.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

from jobsim.mongo_test_server import ensure_jar, start
from jobtracker.store import PostingStore

ROOT = Path(__file__).resolve().parents[1]
YEAR_START = datetime(2025, 7, 1, 6, 0, tzinfo=UTC)
DAYS = 365
BOARD = 22_000
BATCH = 2_000
WORDS = ("build", "scale", "service", "customer", "data", "team", "design", "operate", "deliver",
         "secure", "model", "cloud", "warehouse", "logistics", "analyze", "improve", "launch",
         "mentor", "own", "experience")  # fmt: skip
CATEGORIES = ("aws", "retail", "operations", "devices", "advertising", "pxt", "legal", "finance")
COUNTRIES = ("USA", "JPN", "DEU", "IND", "GBR", "CAN", "FRA", "ESP", "IRL", "AUS")


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def sighting(day: int, minute: int) -> datetime:
    """When the run of ``day`` saw a posting (runs start at 06:00 and take under an hour)."""
    return YEAR_START + timedelta(days=day, minutes=minute)


def lifetimes(rng: random.Random) -> Iterator[tuple[int, list[tuple[int, int | None]]]]:
    """``(posting number, spans in days)``: the board of day 0, then about 80 new postings a
    day; each lives about 275 days (so about 22,000 are open at a time); 5% come back after a
    pause. A posting last seen in the year's last three days is still open (its closure would
    not be confirmed yet)."""
    arrivals = [0] * BOARD + [day for day in range(1, DAYS) for _ in range(rng.randint(60, 100))]
    for number, first in enumerate(arrivals, start=1):
        last = first + int(rng.expovariate(1 / 275))
        spans: list[tuple[int, int | None]] = []
        if last >= DAYS - 3:
            spans.append((first, None))
        else:
            spans.append((first, last))
            back = last + 3 + int(rng.expovariate(1 / 20))
            if rng.random() < 0.05 and back < DAYS - 1:
                end = back + int(rng.expovariate(1 / 60))
                spans.append((back, None if end >= DAYS - 3 else end))
        yield number, spans


Spans = list[tuple[int, int | None]]


def history(
    rng: random.Random, number: int, spans: Spans
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One posting and its versions, as the crawler would have written them."""
    source_id = str(10_000_000 + number)
    pid = f"amazon_jobs:{source_id}"
    minute = rng.randrange(50)
    seen_days = [
        day for start, end in spans for day in range(start, (DAYS - 1 if end is None else end) + 1)
    ]
    edits = sorted(rng.sample(seen_days[1:], min(len(seen_days) - 1, _edits(rng))))
    starts = [seen_days[0], *edits]
    category, country = rng.choice(CATEGORIES), rng.choice(COUNTRIES)
    title = f"{text(rng, 3).title()} ({category})"
    is_open = spans[-1][1] is None
    last_day = DAYS - 1 if is_open else spans[-1][1]
    assert last_day is not None
    # A version replaced on the day its posting reopened kept the end its closure gave it.
    closed_until = {b_start: a_end for (_, a_end), (b_start, _) in itertools.pairwise(spans)}
    versions = []
    for index, day in enumerate(starts):
        description = text(rng, 260)
        digest = hashlib.sha256(f"{pid}:{index}:{description}".encode()).hexdigest()
        following = starts[index + 1] if index + 1 < len(starts) else None
        ended = None
        if following is not None:
            ended = sighting(closed_until.get(following, following), minute)
        if following is None and not is_open:
            ended = sighting(last_day, minute)
        snapshot = {
            "title": title,
            "description_html": f"<p>{description}</p>",
            "description_text": description,
            "basic_qualifications_text": text(rng, 40),
            "preferred_qualifications_text": text(rng, 40),
            "business_category": category,
            "country_code": country,
            "location_raw": f"{country[:2]}, City",
        }
        versions.append(
            {
                "_id": f"{pid}@v{index + 1}",
                "posting_id": pid,
                "version": index + 1,
                "content_hash": digest,
                "first_seen_at": sighting(day, minute),
                "last_seen_at": ended,
                "run_id": f"day{day}",
                "changed_fields": ["description_text"] if index else ["title", "description_text"],
                "snapshot": snapshot,
            }
        )
    current = versions[-1]
    posting = {
        "_id": pid,
        "source": "amazon_jobs",
        "source_id": source_id,
        "url": f"https://www.amazon.jobs/en/jobs/{source_id}/x",
        **{k: v for k, v in current["snapshot"].items() if k != "description_html"},
        "first_seen_at": sighting(spans[0][0], minute),
        "last_seen_at": sighting(last_day, minute),
        "status": "open" if is_open else "closed",
        "spans": [
            {"from": sighting(a, minute), "to": None if b is None else sighting(b, minute)}
            for a, b in spans
        ],
        "version": current["version"],
        "content_hash": current["content_hash"],
        "last_run_id": f"day{last_day}",
    }
    if not is_open:
        posting["closed_at"] = YEAR_START + timedelta(days=last_day + 1)  # the run that missed it
        posting["closed_run_id"] = f"day{last_day + 2}"
    return posting, versions


def _edits(rng: random.Random) -> int:
    """Edits of one posting: none for most, a few for some (about 0.4 on average)."""
    roll = rng.random()
    return 0 if roll < 0.72 else 1 if roll < 0.9 else 2 if roll < 0.97 else 3


def write_year(db: Database, seed: int) -> tuple[int, int, float]:
    """Write the year in bulk; return (postings, versions, seconds)."""
    started = time.perf_counter()
    PostingStore(db).ensure_indexes()
    rng = random.Random(seed)
    postings: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    counts = [0, 0]

    def flush(force: bool = False) -> None:
        for slot, (collection, docs) in enumerate(
            ((db.postings, postings), (db.posting_versions, versions))
        ):
            if docs and (force or len(docs) >= BATCH):
                collection.insert_many(docs, ordered=False)
                counts[slot] += len(docs)
                docs.clear()

    for number, spans in lifetimes(rng):
        posting, its_versions = history(rng, number, spans)
        postings.append(posting)
        versions.extend(its_versions)
        flush()
    flush(force=True)
    db.crawl_runs.insert_many(
        [
            {
                "_id": f"day{day}",
                "source": "amazon_jobs",
                "spider": "amazon_jobs",
                "started_at": YEAR_START + timedelta(days=day),
                "finished_at": YEAR_START + timedelta(days=day, minutes=55),
                "finish_reason": "finished",
                "complete": True,
            }
            for day in range(DAYS)
        ]
    )
    return counts[0], counts[1], time.perf_counter() - started


def verify(uri: str, database: str) -> dict[str, Any]:
    """``jobtracker verify --json`` as a child process: its report, wall time and peak RSS."""
    now = YEAR_START + timedelta(days=DAYS)
    env = {**os.environ, "JOBTRACKER_CLOCK_START": now.isoformat()}
    command = [sys.executable, "-m", "jobtracker.cli", "verify", "--json",
               "--mongo-uri", uri, "--database", database]  # fmt: skip
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        report = json.loads(out.read())
    return {"report": report, "wall": wall, "exit": proc.returncode,
            "peak_rss_mb": usage.ru_maxrss / 1024}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="history seed")
    parser.add_argument("--rounds", type=int, default=2, help="verify runs on the same store")
    parser.add_argument("--mongo-uri", help="use this MongoDB instead of a test server")
    args = parser.parse_args(argv)

    mongo = None if args.mongo_uri else start(port=0, jar=ensure_jar())
    uri = args.mongo_uri or mongo.uri  # type: ignore[union-attr]
    database = f"bench_verify_{os.getpid()}"
    client: MongoClient = MongoClient(uri, tz_aware=True)
    try:
        postings, versions, seconds = write_year(client[database], args.seed)
        closed = client[database].postings.count_documents({"status": "closed"})
        reopened = client[database].postings.count_documents({"spans.1": {"$exists": True}})
        print(f"A year of history ({DAYS} daily runs), written in bulk in {seconds:.0f} s:")
        print(f"  {postings:,} postings ({closed:,} closed, {reopened:,} reopened), "
              f"{versions:,} versions")  # fmt: skip
        print("jobtracker verify (child process; mongo-java-server unless --mongo-uri):")
        empty = verify(uri, f"{database}_empty")
        print(
            f"  an empty store: {empty['wall']:.1f} s wall, peak RSS {empty['peak_rss_mb']:.0f} MiB"
        )
        for round_ in range(args.rounds):
            result = verify(uri, database)
            report = result["report"]
            verdict = "clean" if report["clean"] else f"NOT clean ({report['total']} violations)"
            print(f"  round {round_ + 1}: {result['wall']:.1f} s wall, {report['seconds']:.1f} s "
                  f"checking, peak RSS {result['peak_rss_mb']:.0f} MiB, {verdict}, "
                  f"exit {result['exit']}")  # fmt: skip
    finally:
        client.drop_database(database)
        client.close()
        if mongo is not None:
            mongo.stop()


if __name__ == "__main__":
    main()
