"""Seven simulated days with every fault at once; the store must end equal to the truth.

Empty listings for a category the facets count, a small category that vanishes for two days,
two parallel runs, a run killed with SIGKILL, a MongoDB outage with a spill, a replayed older
run and a reused run id, on top of the simulator's real churn (new, edited, removed and relisted
postings). Afterwards every posting's status, first and last sighting, spans, closure and
versions equal what the truth implies (days a fault hid a posting count as not observed), and
``jobtracker verify`` finds nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.store.verify import verify_store
from tests.support.crawling import CrawlResult, run_crawl
from tests.support.history import content_of, day_clock, day_of, expected_history, store_mismatches

ROOT = Path(__file__).resolve().parents[1]
DAYS = range(7)


class Scenario:
    """One simulator, one MongoDB of the test's own, one var/ folder, runs dated by day."""

    def __init__(self, sim: Any, server: Any, var_dir: Path) -> None:
        self.sim, self.server, self.var_dir = sim, server, var_dir
        self.client: MongoClient = MongoClient(
            server.uri, tz_aware=True, serverSelectionTimeoutMS=5000
        )
        self.db: Database = self.client["scenario"]

    def settings(self, clock: float) -> dict[str, Any]:
        return {
            "MONGO_URI": self.server.uri,
            "MONGO_DATABASE": self.db.name,
            "JOBTRACKER_VAR_DIR": str(self.var_dir),
            "JOBTRACKER_CLOCK_START": day_clock(clock),
        }

    async def crawl(self, job: str, clock: float, **arguments: Any) -> CrawlResult:
        return await run_crawl(settings=self.settings(clock), base_url=self.sim.url, _job=job,
                               **arguments)  # fmt: skip

    def start_subprocess_crawl(self, job: str, clock: float) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "scrapy", "crawl", "amazon_jobs",
                   "-a", f"base_url={self.sim.url}", "-a", f"_job={job}",
                   "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
                   "-s", "JOBTRACKER_STORE_TIMEOUT_MS=300", "-s", "JOBTRACKER_STORE_RETRIES=1",
                   "-s", "JOBTRACKER_STORE_RETRY_DELAY=0.2"]  # fmt: skip
        for name, value in self.settings(clock).items():
            command += ["-s", f"{name}={value}"]
        return subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def wait_for_sightings(self, process: subprocess.Popen[str], job: str, count: int) -> None:
        """Wait until run ``job`` has stored ``count`` sightings (it is then mid-crawl)."""
        deadline = time.monotonic() + 90
        while self.db.postings.count_documents({"last_run_id": job}) < count:
            assert process.poll() is None, "the crawl ended too early"
            assert time.monotonic() < deadline, "the crawl stored nothing"
            time.sleep(0.05)


def pick_categories(truth: list[dict[str, Any]]) -> tuple[str, str]:
    """A mid-size category for empty listings, a small one to vanish."""
    sizes = Counter(t["business_category"] for t in truth)
    mid = next(c for c, n in sorted(sizes.items(), key=lambda kv: kv[1]) if 40 <= n <= 150)
    small = next(c for c, n in sorted(sizes.items(), key=lambda kv: kv[1]) if 8 <= n <= 25)
    return mid, small


def category_of_store(db: Database, category: str) -> set[str]:
    return set(db.postings.distinct("source_id", {"business_category": category}))


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_seven_faulty_days_end_equal_to_the_truth(
    start_sim, frozen_store, tmp_path: Path
) -> None:
    sim = start_sim(size=1500, seed=47)
    world = Scenario(sim, frozen_store, tmp_path / "var")
    db = world.db
    truth = {day: {t["id_icims"]: t for t in sim.truth(day=day, jobs=True)} for day in DAYS}
    empty_category, vanishing = pick_categories(list(truth[0].values()))
    seen: dict[int, dict[str, tuple]] = {}
    blind: dict[int, set[str]] = {day: set() for day in DAYS}

    def observe(day: int, result: CrawlResult) -> None:
        assert result.finish_reason == "finished", result.stats
        seen.setdefault(day, {})
        for pid in result.ids:
            seen[day][pid] = content_of(truth[day][pid]["job"])

    def in_category(day: int, category: str) -> set[str]:
        live = {pid for pid, t in truth[day].items() if t["business_category"] == category}
        return live | category_of_store(db, category)

    # Day 0: a clean full crawl.
    sim.set_day(0)
    observe(0, await world.crawl("day0", 0))

    # Day 1: empty listings for one category while its facet counts it, and a category-scoped
    # run in parallel with the full one.
    sim.set_day(1)
    sim.set_faults(empty_listing_categories=[empty_category])
    blind[1] = in_category(1, empty_category)
    full, scoped = await asyncio.gather(
        world.crawl("day1", 1), world.crawl("day1.scoped", 1.01, categories=vanishing)
    )
    assert full.stats["jobtracker/run_complete"] is False
    observe(1, full)
    observe(1, scoped)

    # Day 2: the small category vanishes; a first run is killed mid-crawl (SIGKILL).
    sim.set_day(2)
    blind[2] = in_category(2, vanishing) & set(truth[2])
    sim.set_faults(vanish_categories=[vanishing], slow_ms=60, rate_slow=1.0)
    killed = world.start_subprocess_crawl("day2.killed", 2)
    try:
        world.wait_for_sightings(killed, "day2.killed", 300)
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.communicate(timeout=60)
    sim.set_faults(vanish_categories=[vanishing])
    observe(2, await world.crawl("day2", 2.05))

    # Day 3: still vanished; a run loses MongoDB mid-crawl and spills what it cannot store.
    sim.set_day(3)
    blind[3] = in_category(3, vanishing) & set(truth[3])
    sim.set_faults(vanish_categories=[vanishing], slow_ms=60, rate_slow=1.0)
    outage = world.start_subprocess_crawl("day3.outage", 3)
    try:
        world.wait_for_sightings(outage, "day3.outage", 300)
        os.kill(frozen_store.pid, signal.SIGSTOP)
        output, _ = outage.communicate(timeout=120)
    finally:
        os.kill(frozen_store.pid, signal.SIGCONT)
    assert outage.returncode == 1 and "Traceback" not in output, output[-2000:]
    assert (world.var_dir / "unsaved" / "day3.outage.jsonl").exists()
    sim.set_faults(vanish_categories=[vanishing])
    observe(3, await world.crawl("day3", 3.05))

    # Day 4: the category is back; a replay dated day 2 runs late; the day's id is reused.
    sim.set_day(4)
    sim.set_faults()
    observe(4, await world.crawl("day4", 4))
    late = await world.crawl("replay", 2.5)
    assert late.finish_reason == "finished"
    reused = await world.crawl("day4", 4.1)
    assert reused.finish_reason == "duplicate_run_id"

    # Days 5 and 6: clean runs confirm the real removals.
    for day in (5, 6):
        sim.set_day(day)
        observe(day, await world.crawl(f"day{day}", day))

    expected = expected_history(seen, blind)
    closed = [pid for pid, e in expected.items() if e.status == "closed"]
    assert len(closed) >= 20, "the days must close postings"
    assert sum(e.versions > 1 for e in expected.values()) >= 10, "and edit some"
    mismatches = store_mismatches(db, expected, day_of)
    assert not mismatches, f"{len(mismatches)} postings differ, e.g. {mismatches[:3]}"

    runs: dict[str, dict[str, Any]] = {run["_id"]: run for run in db.crawl_runs.find()}
    assert runs["day2.killed"]["finish_reason"] == "abandoned"
    assert runs["day3.outage"]["finish_reason"] == "store_unavailable"
    assert runs["day3.outage"]["spill_imported"]["postings"] > 0
    assert runs["day3"]["closure"]["held"] > 0, "the vanished category was held, not closed"
    assert runs["replay"]["changes"]["late"] > 1000
    assert runs["day1"]["complete"] is False
    held_now = db.postings.count_documents({"closure_held": True})
    assert held_now == 0
    report = verify_store(db, now=datetime.fromisoformat(day_clock(7)))
    assert report.clean, report
    world.client.close()
