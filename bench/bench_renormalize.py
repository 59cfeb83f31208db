"""``jobtracker renormalize`` over a simulated year: seconds, memory, and what stayed put.

A history of daily complete runs of a board of the default size (22,000 open postings) is
written in bulk in the documented schema by :mod:`jobsim.history` (as ``bench_research`` does);
its versions carry no normalizer stamp, as a store written before the stamp existed. Then
``jobtracker renormalize`` runs in a child process (wall time, CPU, peak RSS), and once more
over the renormalized store (nothing left to change). Before and after, the content hashes,
the version count and every posting's spans are fingerprinted: renormalize may change derived
fields only.

Uses the MongoDB test server (started here and stopped after) unless ``--mongo-uri`` is given;
mongo-java-server figures say nothing about real MongoDB. On a shared 2-core box run it twice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def fingerprint(db: Any) -> tuple[int, int, str]:
    """(postings, versions, digest of every content hash, version number and span)."""
    digest = hashlib.sha256()
    postings = versions = 0
    for doc in db.postings.find({}, {"content_hash": 1, "version": 1, "spans": 1}).sort("_id"):
        postings += 1
        digest.update(json.dumps([doc["_id"], doc["content_hash"], doc["version"],
                                  doc.get("spans")], default=str).encode())  # fmt: skip
    for doc in db.posting_versions.find({}, {"content_hash": 1, "version": 1}).sort("_id"):
        versions += 1
        digest.update(f"{doc['_id']}\t{doc['content_hash']}\t{doc['version']}".encode())
    return postings, versions, digest.hexdigest()


def renormalize(uri: str, database: str) -> dict[str, Any]:
    """Run ``jobtracker renormalize --json`` in a child; its report and resource use."""
    command = [sys.executable, "-m", "jobtracker", "renormalize", "--mongo-uri", uri,
               "--database", database, "--json", "--progress-every", "30"]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    out = child.stdout.read() if child.stdout else ""
    if status != 0:
        raise SystemExit(f"renormalize failed with status {status}")
    report = json.loads(out)
    return {
        "report": report,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="history length (default 365)")
    parser.add_argument("--board", type=int, default=22_000, help="open postings at a time")
    parser.add_argument("--seed", type=int, default=1, help="history seed")
    parser.add_argument("--mongo-uri", help="use this MongoDB instead of a test server")
    args = parser.parse_args(argv)

    from pymongo import MongoClient

    from jobsim.history import write_history
    from jobsim.mongo_test_server import ensure_jar, start

    mongo = None if args.mongo_uri else start(port=0, jar=ensure_jar())
    uri = args.mongo_uri or mongo.uri  # type: ignore[union-attr]
    client: MongoClient = MongoClient(uri, tz_aware=True)
    database = f"bench_renormalize_{os.getpid()}"
    db = client[database]
    try:
        started = time.perf_counter()
        counts = write_history(db, args.days, args.board, args.seed)
        print(f"jobtracker renormalize over a simulated history of {args.days} days "
              f"(board of {args.board:,}, seed {args.seed}; mongo-java-server unless "
              f"--mongo-uri): {counts['postings']:,} postings, {counts['versions']:,} "
              f"versions, written in {time.perf_counter() - started:.0f} s")  # fmt: skip
        before = fingerprint(db)
        for label in ("first run (every version by unrecorded rules)", "second run (up to date)"):
            figures = renormalize(uri, database)
            report = figures["report"]
            rate = report["examined"] / figures["wall"] if figures["wall"] else 0.0
            print(f"  {label}: {figures['wall']:.1f} s wall, {figures['cpu']:.1f} s CPU, "
                  f"peak RSS {figures['rss_mib']:.0f} MiB; {report['examined']:,} versions "
                  f"({rate:,.0f}/s), derived fields changed in {report['changed']:,}, "
                  f"stamped only {report['stamped']:,}, postings updated "
                  f"{report['postings_updated']:,}")  # fmt: skip
        after = fingerprint(db)
        same = "yes" if before == after else "NO"
        print(f"  content hashes, version counts and spans equal before and after: {same} "
              f"({after[0]:,} postings, {after[1]:,} versions)")  # fmt: skip
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  (this process, history generation included: peak RSS {peak:.0f} MiB)")
        if before != after:
            raise SystemExit("renormalize changed content, versions or spans")
    finally:
        client.drop_database(database)
        client.close()
        if mongo is not None:
            mongo.stop()


if __name__ == "__main__":
    main()
