"""``make bench``: crawl the default simulated board over loopback and print figures.

1. Crawl: requests (and the minimum possible), wall time, postings per second and peak memory
   of a full crawl, politeness off, without MongoDB; then the same board crawled with the
   discovered plan (the simulator's ``facets_missing``: no facet counts), side by side.
2. Normalization: the same crawl with and without the normalization pipelines, alternated,
   politeness off (CPU-bound) and at the project's default politeness (as crawls really run);
   wall time (the figure that counts), and the crawl process's CPU time beside it.
0. Issue #25's targets, in one table at the end: on the 22k board at 4 requests at a time
   (``CONCURRENT_REQUESTS_PER_DOMAIN=4``, ``CONCURRENT_REQUESTS=16``) and no delay, the most
   requests in flight (the simulator's counter), wall time against the simulator's floor (the
   seconds during which it was answering a request), CPU per posting (and split by phase,
   measured in-process on the same postings), peak memory, feed bytes per posting; the request
   count at the default politeness; a full crawl into a year of history in which most postings
   changed against the same crawl into an empty store.
3. Store: a first full crawl into the MongoDB test server and an unchanged re-crawl (postings
   per second spent in the store's page writes), then the same documents written by the store
   alone (``save_page``, no crawl competing for the interpreter) and by a raw pymongo bulk
   upsert on the same server (the physical limit of the store); the unchanged re-crawl's
   target (at most 2x the raw upsert) is judged on the store alone. Then the normalization
   comparison again for crawls that store, as deployed crawls do.
4. History: a store holding a year of the simulated board (its postings seen every 30 days,
   written with ``save_page``), most of whose postings then changed, and a full crawl of day 365
   into it, against the same crawl into an empty store.

Every crawl is a ``scrapy crawl`` child process. Figures depend on the machine: on a shared
2-core box run it twice and quote both.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from pymongo import MongoClient, UpdateOne

from jobsim.mongo_test_server import ensure_jar, start
from jobtracker.exporters import PostingJsonLinesExporter
from jobtracker.partitions import page_offsets
from jobtracker.pipelines import (
    CleanTextPipeline,
    DatesAndPayPipeline,
    LocationPipeline,
    RoleFamilyPipeline,
    ValidatePostingPipeline,
)
from jobtracker.sources.amazon_jobs import job_to_item, parse_search_payload
from jobtracker.store import PostingStore
from jobtracker.store.content import content_hash, posting_id, posting_snapshot

ROOT = Path(__file__).resolve().parents[1]
CAP = 4
FAST = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": str(CAP),
    "LOG_LEVEL": "WARNING",
    "MONGO_URI": "",
}
NO_NORMALIZATION = json.dumps({"jobtracker.pipelines.ValidatePostingPipeline": 100})
STORE_WITHOUT_NORMALIZATION = json.dumps(
    {
        "jobtracker.pipelines.ValidatePostingPipeline": 100,
        "jobtracker.pipelines.MongoStorePipeline": 900,
    }
)


def start_simulator(size: int, seed: int) -> tuple[subprocess.Popen[str], str]:
    """Start ``jobsim`` on a free port; return the process and its base URL."""
    command = [sys.executable, "-m", "jobsim", "serve", "--port", "0", "--seed",
               str(seed), "--size", str(size)]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://[\w.\-]+:\d+", line)
    if not match:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, match.group(0)


def minimum_requests(truth: list[dict], window: int = 10_000, page_size: int = 100) -> int:
    """robots.txt + root facet call + the pages of every partition + one facet call per
    category that reaches the window (then split by country). Pages overlap by one row (a
    board that moves during the crawl cannot hide a skipped posting), so a partition of n
    postings needs ``len(page_offsets(n, ...))`` pages: 1 up to 100, then one per 99 more."""
    total = 2
    for category, count in Counter(t["business_category"] for t in truth).items():
        if count < window:
            total += len(page_offsets(count, page_size, window))
            continue
        countries = Counter(t["country_code"] for t in truth if t["business_category"] == category)
        total += 1 + sum(len(page_offsets(n, page_size, window)) for n in countries.values())
    return total


def crawl(
    url: str, workdir: Path, name: str, settings: dict[str, str], *, polite: bool = False
) -> dict[str, Any]:
    """Run one crawl in a child process; return wall and CPU time, peak RSS and its summary.

    ``polite`` keeps the project's default politeness (AutoThrottle, delay, concurrency)."""
    summary_path = workdir / f"{name}.summary.json"
    feed = workdir / f"{name}.jsonl"
    command = [sys.executable, "-m", "scrapy", "crawl", "amazon_jobs", "-a", f"base_url={url}",
               "-O", str(feed), "-s", f"JOBTRACKER_SUMMARY_FILE={summary_path}"]  # fmt: skip
    base = {"LOG_LEVEL": "WARNING", "MONGO_URI": ""} if polite else FAST
    for key, value in {**base, **settings}.items():
        command += ["-s", f"{key}={value}"]
    control(url, {"reset_counters": True})
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"crawl {name} failed with status {status}")
    summary = json.loads(summary_path.read_text())
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "summary": summary,
        "feed": feed,
        "feed_bytes": feed.stat().st_size if feed.exists() else 0,
        "in_flight": control(url, None)["in_flight"],
    }


def control(url: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """The simulator's state (``GET /_sim/state``), after applying ``body`` if given."""
    if body is None:
        with urlopen(f"{url}/_sim/state") as response:
            return json.loads(response.read())
    request = Request(f"{url}/_sim/control", json.dumps(body).encode(),
                      {"Content-Type": "application/json"})  # fmt: skip
    with urlopen(request) as response:
        return json.loads(response.read())


def raw_bulk_upserts(uri: str, feed: Path) -> tuple[float, float, int]:
    """Upsert the crawl's documents with plain pymongo, 100 per bulk write, twice (new, then
    unchanged); return the seconds of each pass and the number of documents."""
    documents = []
    with feed.open() as handle:
        for line in handle:
            item = json.loads(line)
            snapshot = posting_snapshot(item)
            documents.append(
                {
                    "_id": posting_id(item["source"], item["source_id"]),
                    **snapshot,
                    "content_hash": content_hash(snapshot),
                }
            )
    client = MongoClient(uri, tz_aware=True)
    collection = client["bench_raw"]["postings"]
    collection.drop()
    passes = []
    for _ in range(2):
        started = time.perf_counter()
        for offset in range(0, len(documents), 100):
            batch = documents[offset : offset + 100]
            collection.bulk_write(
                [UpdateOne({"_id": d["_id"]}, {"$set": d}, upsert=True) for d in batch],
                ordered=False,
            )
        passes.append(time.perf_counter() - started)
    client.drop_database("bench_raw")
    client.close()
    return passes[0], passes[1], len(documents)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=22_000, help="simulated board size")
    parser.add_argument("--seed", type=int, default=1, help="simulator seed")
    parser.add_argument("--rounds", type=int, default=2, help="alternated rounds per variant")
    parser.add_argument(
        "--polite-rounds",
        type=int,
        default=1,
        help="rounds at the project's default politeness (slow: about a minute each; 0 skips)",
    )
    parser.add_argument(
        "--history-only",
        action="store_true",
        help="only the history case (4.): a year of history against an empty store",
    )
    parser.add_argument(
        "--store-only",
        action="store_true",
        help="only the store figures (3.): a first crawl, an unchanged re-crawl, raw upserts",
    )
    args = parser.parse_args(argv)

    proc, url = start_simulator(args.size, args.seed)
    mongo = None
    try:
        with urlopen(f"{url}/_sim/truth") as response:
            truth = [json.loads(line) for line in response.read().splitlines() if line.strip()]
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            if args.store_only or args.history_only:
                mongo = start(port=0, jar=ensure_jar())
                if args.store_only:
                    report_store(*store_figures(url, work, mongo.uri, None))
                else:
                    report_history(history_figures(url, work, mongo.uri))
                return
            crawl(url, work, "warm-up", {"ITEM_PIPELINES": NO_NORMALIZATION})
            runs: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
            for round_ in range(args.rounds):
                plain = crawl(url, work, f"without-{round_}", {"ITEM_PIPELINES": NO_NORMALIZATION})
                full = crawl(url, work, f"with-{round_}", {})
                runs["without"].append(plain)
                runs["with"].append(full)
            report_crawl(truth, args.seed, full)
            set_faults(url, {"facets_missing": True})
            try:
                discovered = crawl(url, work, "discovered", {})
            finally:
                set_faults(url, {})
            report_plans(truth, full, discovered)
            report_normalization(runs, "politeness off")
            polite: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
            for round_ in range(args.polite_rounds):
                plain = crawl(url, work, f"polite-without-{round_}",
                              {"ITEM_PIPELINES": NO_NORMALIZATION}, polite=True)  # fmt: skip
                full_polite = crawl(url, work, f"polite-with-{round_}", {}, polite=True)
                polite["without"].append(plain)
                polite["with"].append(full_polite)
            if args.polite_rounds:
                report_normalization(polite, "the project's default politeness")
            phases = phase_costs(url)
            report_phases(phases, runs["with"])

            mongo = start(port=0, jar=ensure_jar())
            store = store_settings(work, mongo.uri)
            report_store(*store_figures(url, work, mongo.uri, None))
            stored = normalization_with_store(url, work, store, mongo.uri, args.rounds)
            report_normalization(
                stored, "politeness off, each crawl storing into an empty MongoDB test server"
            )
            history = history_figures(url, work, mongo.uri)
            report_history(history)
            report_targets(truth, runs["with"], polite["with"], history)
    finally:
        if mongo is not None:
            mongo.stop()
        proc.terminate()
        proc.wait(timeout=30)


def store_settings(work: Path, uri: str) -> dict[str, str]:
    return {"MONGO_URI": uri, "MONGO_DATABASE": "bench", "JOBTRACKER_VAR_DIR": str(work / "var")}


def store_figures(
    url: str, work: Path, uri: str, feed: Path | None
) -> tuple[dict, dict, tuple[float, float, int], tuple[float, float, int]]:
    """A first crawl and an unchanged re-crawl into the store; then, on the same documents (of
    ``feed``, else of the first crawl's), the store's page writes alone (``save_page``, 100
    a page, no crawl beside them) and raw bulk upserts."""
    store = store_settings(work, uri)
    # The replays build the stored documents from the feed: with the raw HTML, as the store has.
    first = crawl(url, work, "store-first", {**store, "JOBTRACKER_FEED_RAW": "1"})
    again = crawl(url, work, "store-again", store)
    documents = feed or first["feed"]
    return first, again, store_replay(uri, documents), raw_bulk_upserts(uri, documents)


def store_replay(uri: str, feed: Path) -> tuple[float, float, int]:
    """The crawl's items written with ``PostingStore.save_page``, 100 a page, twice (new, then
    the same content an hour later: an unchanged re-crawl); the seconds of each pass. No crawl
    runs beside it, so this is the store's own cost, without the crawl's Python competing for
    the interpreter."""
    items = []
    with feed.open() as handle:
        for line in handle:
            item = json.loads(line)
            item["seen_at"] = datetime.fromisoformat(item["seen_at"])
            items.append(item)
    client = MongoClient(uri, tz_aware=True)
    try:
        client.drop_database("bench_replay")
        store = PostingStore(client["bench_replay"])
        store.ensure_indexes()
        passes = []
        for number in range(2):
            started = time.perf_counter()
            for offset in range(0, len(items), 100):
                store.save_page(items[offset : offset + 100], f"replay-{number}")
            passes.append(time.perf_counter() - started)
            for item in items:
                item["seen_at"] += timedelta(hours=1)
        client.drop_database("bench_replay")
    finally:
        client.close()
    return passes[0], passes[1], len(items)


def normalization_with_store(
    url: str, work: Path, store: dict[str, str], uri: str, rounds: int
) -> dict[str, list[dict[str, Any]]]:
    """The normalization comparison for crawls that store (as deployed crawls run): every
    crawl is a first crawl into a database of its own, dropped afterwards."""
    runs: dict[str, list[dict[str, Any]]] = {"without": [], "with": []}
    client = MongoClient(uri)
    try:
        for round_ in range(rounds):
            for variant, pipelines in (("without", STORE_WITHOUT_NORMALIZATION), ("with", None)):
                database = f"bench_{variant}_{round_}"
                settings = {**store, "MONGO_DATABASE": database}
                if pipelines is not None:
                    settings["ITEM_PIPELINES"] = pipelines
                runs[variant].append(crawl(url, work, f"stored-{variant}-{round_}", settings))
                client.drop_database(database)
    finally:
        client.close()
    return runs


def report_crawl(truth: list[dict], seed: int, result: dict[str, Any]) -> None:
    stats = result["summary"]["stats"]
    postings = stats["jobtracker/postings/unique"] or 0
    partitions = result["summary"]["partitions"]
    print(f"Full crawl of the simulated board ({len(truth)} live postings, seed {seed}),")
    print(f"loopback, politeness off (no AutoThrottle, no delay, {CAP} requests at a time):")
    print(f"  postings collected    {postings} ({'all' if postings == len(truth) else 'NOT all'})")
    print(f"  partitions complete   {sum(p['complete'] for p in partitions)}/{len(partitions)}")
    print(
        f"  requests              {stats['downloader/request_count']} "
        f"(minimum possible {minimum_requests(truth)})"
    )
    print(f"  wall time             {result['wall']:.1f} s (child process, incl. start-up)")
    print(f"  postings per second   {postings / result['wall']:.0f}")
    print(f"  peak memory (crawl)   {result['peak_rss_mb']:.0f} MiB RSS")
    for name, figure in result["summary"].get("coverage", {}).items():
        print(f"  coverage: {name:<28} {figure['percent']:.2f}%")


def set_faults(url: str, knobs: dict[str, Any]) -> None:
    """The simulator's fault knobs (``POST /_sim/control``)."""
    body = json.dumps({"faults": knobs}).encode()
    request = Request(f"{url}/_sim/control", body, {"Content-Type": "application/json"})
    with urlopen(request) as response:
        response.read()


def report_plans(truth: list[dict], facets: dict[str, Any], discovered: dict[str, Any]) -> None:
    """The facet plan and the discovered plan (no facet counts) on the same board."""
    print("The same board without facet counts (facets_missing): the discovered plan")
    print(f"  {'':<22}{'facet plan':>14}{'discovered plan':>18}")
    rows = []
    for result in (facets, discovered):
        summary = result["summary"]
        postings = summary["stats"]["jobtracker/postings/unique"] or 0
        rows.append(
            (
                str(summary["stats"]["downloader/request_count"]),
                f"{result['wall']:.1f} s",
                f"{postings}{' (all)' if postings == len(truth) else ' (NOT all)'}",
                "COMPLETE" if summary["complete"] else "INCOMPLETE",
                summary.get("plan") or "",
            )
        )
    labels = ("requests", "wall time", "postings collected", "run verdict", "plan")
    for label, (left, right) in zip(labels, zip(*rows, strict=True), strict=True):
        print(f"  {label:<22}{left:>14}{right:>18}")
    print(
        f"  (minimum possible with facets: {minimum_requests(truth)} requests; over the "
        "10,000-row window the discovered plan cannot prove it saw every category, so it says "
        "INCOMPLETE and closes nothing)"
    )


def report_normalization(runs: dict[str, list[dict[str, Any]]], mode: str) -> None:
    """Wall time (the figure that counts), then the crawl process's CPU time (user + system),
    which other load on a shared box disturbs less."""
    print(f"Normalization pipelines (text, location, role family, dates, pay), {mode}:")
    for measure, label in (("wall", "wall"), ("cpu", "CPU")):
        without = statistics.median(run[measure] for run in runs["without"])
        with_ = statistics.median(run[measure] for run in runs["with"])
        for variant, median in (("without", without), ("with", with_)):
            figures = ", ".join(f"{run[measure]:.1f}" for run in runs[variant])
            print(f"  {label:<5} {variant:<8} {figures} s (median {median:.1f})")
        added = 100 * (with_ - without) / without
        print(f"  {label:<5} added    {added:+.0f}% of the {label} time")
    print("  (CPU: user + system time of the crawl process, less disturbed by other load)")


def report_store(
    first: dict,
    again: dict,
    replay: tuple[float, float, int],
    raw: tuple[float, float, int],
) -> None:
    print("MongoDB store (mongo-java-server: correctness only, says nothing of real MongoDB):")
    for label, result in (("first crawl", first), ("unchanged re-crawl", again)):
        stats = result["summary"]["stats"]
        stored, seconds = stats["jobtracker/store/postings"], stats["jobtracker/store/seconds"]
        print(
            f"  {label:<20} {stored / seconds:>8.0f} postings/s in page writes during the crawl "
            f"({stored} in {seconds:.1f} s; crawl wall {result['wall']:.1f} s)"
        )
    replay_first, replay_again, n = replay
    raw_first, raw_again, _ = raw
    print(
        f"  {'store alone':<20} {n / replay_first:>8.0f} postings/s new, "
        f"{n / replay_again:.0f} postings/s unchanged (save_page, 100 a page, no crawl beside)"
    )
    print(
        f"  {'raw bulk upsert':<20} {n / raw_first:>8.0f} postings/s new, "
        f"{n / raw_again:.0f} postings/s unchanged ({n} documents, 100 per bulk write)"
    )
    stats = again["summary"]["stats"]
    per_posting = stats["jobtracker/store/seconds"] / stats["jobtracker/store/postings"]
    in_crawl = per_posting * n / raw_again
    ratio = replay_again / raw_again
    verdict = "holds" if ratio <= 2 else f"MISSED by {ratio - 2:.2f}x"
    print(f"  unchanged re-crawl, store alone: {ratio:.2f}x the raw upsert's time (target <= 2x) "
          f"{verdict}")  # fmt: skip
    print(f"  (during the crawl its page writes take {in_crawl:.2f}x: they share the "
          "interpreter with the crawl's parsing and pipelines)")  # fmt: skip


PHASES = ("parse", "validate", "text", "location", "role family", "dates and pay", "export",
          "store content")  # fmt: skip


def truth_records(url: str, day: int | None = None) -> list[dict[str, Any]]:
    """The ground truth of a day with each job as the simulator serves it (``job``)."""
    query = "jobs=1" if day is None else f"jobs=1&day={day}"
    with urlopen(f"{url}/_sim/truth?{query}") as response:
        return [json.loads(line) for line in response.read().splitlines() if line.strip()]


def truth_jobs(url: str, day: int | None = None) -> list[dict[str, Any]]:
    """The jobs of a day as the simulator serves them."""
    return [record["job"] for record in truth_records(url, day)]


def normalized_items(
    jobs: list[dict[str, Any]], url: str, run_id: str, seen_at: datetime
) -> list[Any]:
    """The jobs through the crawl's item ladder (validate to dates and pay), in process."""
    ladder = [cls(None) for cls in (ValidatePostingPipeline, CleanTextPipeline, LocationPipeline,
                                    RoleFamilyPipeline, DatesAndPayPipeline)]  # fmt: skip
    items = []
    for job in jobs:
        item = job_to_item(job, base_url=url, run_id=run_id, partition="bench", seen_at=seen_at)
        if item is None:
            continue
        for step in ladder:
            item = step.process_item(item)
        items.append(item)
    return items


def phase_costs(url: str) -> dict[str, float]:
    """CPU seconds of each phase of the work per posting, measured in this process on the
    board's postings (pages of 100 as served): parsing a page to items, each normalization
    pipeline, the feed export and the store's content (snapshot and hash)."""
    jobs = truth_jobs(url)
    pages = [json.dumps({"error": None, "hits": len(jobs), "facets": {},
                         "jobs": jobs[n : n + 100]}).encode()
             for n in range(0, len(jobs), 100)]  # fmt: skip
    seen_at = datetime.now(UTC)
    costs = dict.fromkeys(PHASES, 0.0)
    costs["postings"] = float(len(jobs))
    started = time.process_time()
    items = []
    for body in pages:
        for job in parse_search_payload(body).jobs:
            item = job_to_item(job, base_url=url, run_id="bench", partition="p", seen_at=seen_at)
            if item is not None:
                items.append(item)
    costs["parse"] = time.process_time() - started
    ladder = zip(PHASES[1:6], (ValidatePostingPipeline, CleanTextPipeline, LocationPipeline,
                               RoleFamilyPipeline, DatesAndPayPipeline), strict=True)  # fmt: skip
    for phase, cls in ladder:
        step = cls(None)  # type: ignore[arg-type]
        started = time.process_time()
        items = [step.process_item(item) for item in items]
        costs[phase] = time.process_time() - started
    exporter = PostingJsonLinesExporter(io.BytesIO())
    started = time.process_time()
    for item in items:
        exporter.export_item(item)
    costs["export"] = time.process_time() - started
    started = time.process_time()
    for item in items:
        content_hash(posting_snapshot(vars(item)))
    costs["store content"] = time.process_time() - started
    return costs


def report_phases(costs: dict[str, float], crawls: list[dict[str, Any]]) -> None:
    n = costs["postings"]
    cpu = statistics.median(run["cpu"] for run in crawls) / n * 1e6
    print(f"CPU per posting by phase (in process, {n:.0f} postings; the crawl's own total "
          f"beside it, median of {len(crawls)}):")  # fmt: skip
    measured = 0.0
    for phase in PHASES:
        micros = costs[phase] / n * 1e6
        measured += micros if phase != "store content" else 0
        print(f"  {phase:<16} {micros:6.0f} µs")
    print(f"  {'Scrapy and start-up':<16} {cpu - measured:6.0f} µs  (the crawl's CPU less the "
          "phases above but the store's, which a crawl without MongoDB does not do)")  # fmt: skip
    print(f"  {'crawl total':<16} {cpu:6.0f} µs")


HISTORY_DAY = 365
HISTORY_EVERY = 60
CHANGED_SHARE = 0.8


def history_figures(url: str, work: Path, uri: str) -> dict[str, Any]:
    """A year of history, then a full crawl of day 365 into it and into an empty store.

    The history is the simulated board every ``HISTORY_EVERY`` days from day 0 (each posting
    written when it first appears and whenever its content changed), then seen whole 30 days
    before the crawl, with an earlier text for ``CHANGED_SHARE`` of its postings (so that most
    postings change in the crawl); written with ``save_page``, 100 a page, as crawls write."""
    state = control(url, None)
    start = datetime.fromisoformat(state["date"]).replace(tzinfo=UTC) - timedelta(days=state["day"])
    client = MongoClient(uri, tz_aware=True)
    client.drop_database("bench_history")
    client.drop_database("bench_history_empty")
    store = PostingStore(client["bench_history"])
    store.ensure_indexes()
    built = time.perf_counter()
    days = [*range(0, HISTORY_DAY - 30, HISTORY_EVERY), HISTORY_DAY - 30]
    revisions: dict[str, Any] = {}
    for day in days:
        records = truth_records(url, day)
        if day == days[-1]:
            step = round(1 / (1 - CHANGED_SHARE))
            jobs = [r["job"] if n % step == 0 else {**r["job"], "description":
                    r["job"]["description"] + "<p>An earlier text.</p>"}
                    for n, r in enumerate(records)]  # fmt: skip
        else:
            jobs = [r["job"] for r in records if revisions.get(r["id_icims"]) != r["revision"]]
            revisions.update((r["id_icims"], r["revision"]) for r in records)
        seen_at = start + timedelta(days=day, hours=6)
        items = [vars(item) for item in normalized_items(jobs, url, f"history-{day}", seen_at)]
        for offset in range(0, len(items), 100):
            store.save_page(items[offset : offset + 100], f"history-{day}")
        print(f"  (history: day {day}, {len(items)} postings written)", file=sys.stderr)
    history = {
        "build_seconds": time.perf_counter() - built,
        "postings": store.postings.estimated_document_count(),
        "versions": store.versions.estimated_document_count(),
        "days": days,
    }
    crawl_day = start + timedelta(days=HISTORY_DAY, hours=6)
    control(url, {"day": HISTORY_DAY})
    try:
        truth_jobs(url)  # the simulator renders the day once, before either crawl
        for name, database in (("empty", "bench_history_empty"), ("history", "bench_history")):
            settings = {**store_settings(work, uri), "MONGO_DATABASE": database,
                        "JOBTRACKER_CLOCK_START": crawl_day.isoformat()}  # fmt: skip
            history[name] = crawl(url, work, f"history-{name}", settings)
            run = client[database].crawl_runs.find_one({}, sort=[("started_at", -1)])
            history[name]["changes"] = (run or {}).get("changes", {})
    finally:
        control(url, {"day": 0})
        client.drop_database("bench_history")
        client.drop_database("bench_history_empty")
        client.close()
    return history


def report_history(history: dict[str, Any]) -> None:
    print(f"A full crawl of day {HISTORY_DAY} into a year of history (MongoDB test server):")
    print(f"  history: {history['postings']} postings, {history['versions']} versions (the "
          f"board seen on days {', '.join(map(str, history['days']))}; written in "
          f"{history['build_seconds']:.0f} s)")  # fmt: skip
    for name in ("empty", "history"):
        result = history[name]
        stats = result["summary"]["stats"]
        changes = ", ".join(f"{k} {v}" for k, v in result["changes"].items() if v)
        print(f"  into {'an empty store' if name == 'empty' else 'the history':<15} wall "
              f"{result['wall']:5.1f} s, page writes {stats['jobtracker/store/seconds']:5.1f} s "
              f"({changes})")  # fmt: skip
    ratio = history["history"]["wall"] / history["empty"]["wall"]
    print(f"  into the history: {ratio:.2f}x the empty store's wall (target <= 2x)")


def report_targets(
    truth: list[dict],
    fast: list[dict[str, Any]],
    polite: list[dict[str, Any]],
    history: dict[str, Any],
) -> None:
    """Issue #25's "Done when", one line per target: figure, target, holds or not."""
    postings = len(truth)
    rows = []
    peak = max(run["in_flight"]["max"] for run in fast)
    rows.append(("requests in flight (most)", f"{peak}", f"<= {CAP}", peak <= CAP))
    for run in fast:
        floor = run["in_flight"]["busy_seconds"]
        ratio = run["wall"] / floor if floor else float("inf")
        rows.append(("wall / simulator's floor", f"{run['wall']:.1f} s / {floor:.1f} s = "
                     f"{ratio:.1f}x", "<= 1.2x", ratio <= 1.2))  # fmt: skip
    cpu = statistics.median(run["cpu"] for run in fast) / postings * 1e6
    rows.append(("CPU per posting (median)", f"{cpu:.0f} µs", "<= 200 µs", cpu <= 200))
    rss = max(run["peak_rss_mb"] for run in fast)
    rows.append(("peak memory (most)", f"{rss:.0f} MiB", "<= 100 MiB", rss <= 100))
    feed = max(run["feed_bytes"] for run in fast) / postings / 1000
    rows.append(("feed per posting", f"{feed:.1f} KB", "<= 7 KB", feed <= 7))
    minimum = minimum_requests(truth)
    for run in polite:
        count = run["summary"]["stats"]["downloader/request_count"]
        rows.append(("requests, default politeness", f"{count} (minimum {minimum})",
                     f"= {minimum}", count == minimum))  # fmt: skip
    ratio = history["history"]["wall"] / history["empty"]["wall"]
    rows.append(("crawl into a year / empty", f"{ratio:.2f}x", "<= 2x", ratio <= 2))
    print(f"Issue #25 targets (22k board, {CAP} requests at a time, no delay; one run):")
    for label, figure, target, holds in rows:
        print(f"  {label:<30} {figure:<28} {target:<10} {'holds' if holds else 'MISSED'}")


if __name__ == "__main__":
    main()
