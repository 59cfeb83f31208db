"""``jobtracker publish`` over simulated histories of 90, 365 and 730 days: time and memory.

For each history length, a history of daily complete runs of a board of the default size
(22,000 open postings) is written into a fresh database in bulk, in the documented schema
(:mod:`jobsim.history`, as ``bench_research.py`` does). Then, each in a child process (its
peak RSS is the publish's, imports included):

- ``jobtracker publish --output FILE.db``: wall time, peak RSS, file size;
- the canned queries of ``jobtracker serve`` on the file (the SQL Datasette runs, with the
  same ``jt_mentions`` function): ``trend_by_country`` (Rekognition, computer vision),
  ``first_seen`` (computer vision), ``open_on`` (30 days before the end);
- an incremental refresh of one day (365 days only, unless ``--incremental-days``): the store
  as it was the day before is published, then the last day's runs are written (the postings and
  versions of that day replaced), then ``publish --incremental``.

Targets (issue 24): a 365-day history published in under 60 s with memory flat in history
length; ``trend_by_country`` under 5 s; an incremental refresh of one day under 10 s.
Uses the MongoDB test server (started here and stopped after) unless ``--mongo-uri``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAYS = (90, 365, 730)
TARGETS = {"publish 365": 60.0, "trend": 5.0, "incremental": 10.0}
RSS_SPREAD = 0.25


def child(argv: list[str]) -> None:
    """Run ``jobtracker ARGV`` here; print wall time and peak RSS as JSON."""
    from jobtracker.cli import main

    started = time.perf_counter()
    status = main(argv)
    figures = {
        "status": status,
        "wall": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(figures), file=sys.stderr)


def run_publish(argv: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stderr.strip().splitlines()
    try:
        figures = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise SystemExit(f"publish failed:\n{done.stderr[-2000:]}") from None
    if figures["status"] != 0:
        raise SystemExit(f"publish exited {figures['status']}:\n{done.stderr[-2000:]}")
    return figures


def canned_queries(path: Path, last_day: str) -> list[tuple[str, float, int]]:
    """(label, seconds, rows) of each canned query, as Datasette runs it."""
    from jobtracker.research.serve import FIRST_SEEN, OPEN_ON, TREND_BY_COUNTRY, register_functions

    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    register_functions(conn)
    out = []
    for label, sql, params in (
        ("trend_by_country Rekognition", TREND_BY_COUNTRY, {"phrase": "Rekognition"}),
        ("trend_by_country computer vision", TREND_BY_COUNTRY, {"phrase": "computer vision"}),
        ("first_seen computer vision", FIRST_SEEN, {"phrase": "computer vision"}),
        ("open_on", OPEN_ON, {"day": last_day}),
    ):
        started = time.perf_counter()
        rows = conn.execute(sql, params).fetchall()
        out.append((label, time.perf_counter() - started, len(rows)))
    conn.close()
    return out


def write_day(db: Any, truths: list, days: int) -> int:
    """Make the store what the runs of days ``0 .. days - 1`` left (only the postings the last
    day touched are rewritten when the store already holds ``days - 1``)."""
    from jobsim.history import _run, documents

    changed = 0
    postings, versions = [], []
    for truth in truths:
        seen = [d for d in truth.seen if d < days]
        if not seen:
            continue
        if seen[-1] < days - 3 and db.postings.find_one({"_id": truth.pid}, {"_id": 1}):
            continue  # closed before the day before: unchanged
        cut = replace(truth, seen=seen, revisions=[r for r in truth.revisions if r[0] < days])
        doc, its_versions = documents(cut, days)
        postings.append(doc)
        versions.extend(its_versions)
    ids = [doc["_id"] for doc in postings]
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        db.postings.delete_many({"_id": {"$in": chunk}})
        db.posting_versions.delete_many(
            {"_id": {"$in": [v["_id"] for v in versions if v["posting_id"] in set(chunk)]}}
        )
    for start in range(0, len(postings), 2000):
        db.postings.insert_many(postings[start : start + 2000])
        changed += len(postings[start : start + 2000])
    for start in range(0, len(versions), 2000):
        db.posting_versions.insert_many(versions[start : start + 2000])
    db.crawl_runs.delete_many({})
    db.crawl_runs.insert_many([_run(day) for day in range(days)])
    return changed


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default=",".join(map(str, DAYS)), help="history lengths")
    parser.add_argument("--board", type=int, default=22_000, help="open postings at a time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--incremental-days", default="365", help="histories refreshed by a day")
    parser.add_argument("--mongo-uri", help="use this MongoDB instead of a test server")
    args = parser.parse_args(argv)

    from pymongo import MongoClient

    from jobsim.history import START, generate, write_history
    from jobsim.mongo_test_server import ensure_jar, start

    mongo = None if args.mongo_uri else start(port=0, jar=ensure_jar())
    uri = args.mongo_uri or mongo.uri  # type: ignore[union-attr]
    client: MongoClient = MongoClient(uri, tz_aware=True)
    incremental_days = {int(d) for d in args.incremental_days.split(",") if d}
    print(f"jobtracker publish over simulated histories (board of {args.board:,} open postings, "
          f"seed {args.seed}; mongo-java-server unless --mongo-uri)")  # fmt: skip
    lines, rss = [], {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for days in (int(d) for d in args.days.split(",")):
                name = f"bench_publish_{days}_{os.getpid()}"
                db = client[name]
                started = time.perf_counter()
                counts = write_history(db, days, args.board, args.seed)
                print(f"  {days:>4} days: {counts['postings']:,} postings, "
                      f"{counts['versions']:,} versions, written in "
                      f"{time.perf_counter() - started:.0f} s")  # fmt: skip
                path = Path(tmp) / f"history-{days}.db"
                db_args = ["--mongo-uri", uri, "--database", name]
                figures = run_publish(["publish", "--output", str(path), *db_args])
                rss[days] = figures["peak_rss_mb"]
                size = path.stat().st_size / 2**20
                lines.append(f"  publish {days:>4} days: {figures['wall']:6.1f} s, peak RSS "
                             f"{figures['peak_rss_mb']:.0f} MiB, file {size:.0f} MiB")  # fmt: skip
                print(lines[-1])
                if days == 365:
                    verdict = "holds" if figures["wall"] < TARGETS["publish 365"] else "MISSED"
                    lines.append(f"    target: 365 days under 60 s: {verdict}")
                last = (START + timedelta(days=days - 1)).date()
                for label, seconds, count in canned_queries(path, str(last - timedelta(30))):
                    verdict = ""
                    if label.startswith("trend"):
                        verdict = " (target < 5 s: " + (
                            "holds)" if seconds < TARGETS["trend"] else "MISSED)"
                        )
                    lines.append(f"    {label:<34} {seconds:6.2f} s, {count:,} rows{verdict}")
                    print(lines[-1])
                if days in incremental_days:
                    truths = list(generate(days, args.board, args.seed))
                    client.drop_database(name)
                    db = client[name]
                    write_day(db, truths, days - 1)
                    run_publish(["publish", "--output", str(path), *db_args])
                    changed = write_day(db, truths, days)
                    figures = run_publish(["publish", "--output", str(path), "--incremental",
                                           *db_args])  # fmt: skip
                    verdict = "holds" if figures["wall"] < TARGETS["incremental"] else "MISSED"
                    lines.append(f"    incremental refresh of one day ({changed:,} postings "
                                 f"rewritten in the store): {figures['wall']:.1f} s, peak RSS "
                                 f"{figures['peak_rss_mb']:.0f} MiB "
                                 f"(target < 10 s: {verdict})")  # fmt: skip
                    print(lines[-1])
                client.drop_database(name)
        if len(rss) > 1:
            low, high = min(rss.values()), max(rss.values())
            spread = (high - low) / low
            verdict = "holds" if spread <= RSS_SPREAD else "MISSED"
            figures_text = ", ".join(f"{d} d {mb:.0f} MiB" for d, mb in rss.items())
            print(f"Peak RSS of publish: {figures_text}: spread {spread:.0%} "
                  f"(flat: within {RSS_SPREAD:.0%}) {verdict}")  # fmt: skip
    finally:
        client.close()
        if mongo is not None:
            mongo.stop()


if __name__ == "__main__":
    main()
