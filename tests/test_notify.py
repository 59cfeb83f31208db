"""Notifications end to end: real crawls against the simulator, a real MongoDB wire-protocol
server, and Apprise posting to a JSON webhook receiver on loopback (``json://127.0.0.1:PORT/``).

For each kind of bad run (blocked, unreachable, incomplete, guard-held): exactly one failure
message, then exactly one recovery message from the next complete run, then none."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from tests.support.crawling import CrawlResult, run_crawl
from tests.support.history import day_clock
from tests.support.webhook import Receiver

ROOT = Path(__file__).resolve().parents[1]


class World:
    """Crawls of one simulator into one database, each dated on its simulated day, telling one
    receiver."""

    def __init__(self, db: Database, mongo_uri: str, receiver: Receiver, **settings: Any):
        self.db = db
        self.receiver = receiver
        self.settings = {
            "MONGO_URI": mongo_uri,
            "MONGO_DATABASE": db.name,
            "JOBTRACKER_NOTIFY": receiver.url,
            **settings,
        }

    async def crawl(self, base_url: str, day: float, job: str, **kwargs: Any) -> CrawlResult:
        settings = {**self.settings, "JOBTRACKER_CLOCK_START": day_clock(day)}
        return await run_crawl(settings=settings, base_url=base_url, _job=job, **kwargs)


def one_message(receiver: Receiver, notify_type: str) -> dict[str, Any]:
    messages = receiver.take()
    assert [m["type"] for m in messages] == [notify_type], messages
    return messages[0]


async def bad_then_recovered(
    world: World, bad: CrawlResult, base_url: str, first_day: float
) -> dict[str, Any]:
    """After a bad run: the next complete run says it recovered (returned), the one after is
    silent."""
    recovered = await world.crawl(base_url, first_day + 1, "recovers")
    assert recovered.stats["jobtracker/verdict"] == "healthy", recovered.stats
    message = one_message(world.receiver, "success")
    assert message["title"] == "jobtracker amazon_jobs: recovered"
    assert "Run recovers of amazon_jobs" in message["message"]
    assert f"Missed: 1 bad run ({bad.run.run_id}: " in message["message"]
    quiet = await world.crawl(base_url, first_day + 2, "quiet")
    assert quiet.stats["jobtracker/verdict"] == "healthy"
    assert world.receiver.take() == []
    return message


@deferred_f_from_coro_f
async def test_a_blocked_run_says_so_once_and_the_next_complete_run_says_it_recovered(
    start_sim, mongo_db, mongo_uri, receiver
) -> None:
    sim = start_sim(size=300, seed=61)
    world = World(mongo_db, mongo_uri, receiver)
    sim.set_faults(blocked_user_agents=["research crawler"])
    blocked = await world.crawl(sim.url, 0, "blocked")
    assert blocked.finish_reason == "blocked"
    message = one_message(receiver, "failure")
    assert message["title"] == "jobtracker amazon_jobs: blocked by the site"
    body = message["message"]
    assert f"What happened: HTTP 403 from {sim.url}/" in body
    assert "Run blocked of amazon_jobs, scope all" in body
    assert "Look closer: jobtracker runs --since 2026-07-01 --limit 20" in body
    assert blocked.stats["jobtracker/verdict"] == "blocked"
    assert blocked.stats["jobtracker/verdict_type"] == "failure"
    assert blocked.stats["jobtracker/verdict_ok"] is False

    sim.set_faults()
    recovered = await bad_then_recovered(world, blocked, sim.url, 0)
    assert (
        "Out for 1 day 0 h: no complete run since before 2026-07-01 06:00 UTC"
        in recovered["message"]
    )


@deferred_f_from_coro_f
async def test_an_unreachable_site_says_so_once_then_recovers(
    start_sim, mongo_db, mongo_uri, receiver
) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    port = sock.getsockname()[1]
    world = World(mongo_db, mongo_uri, receiver)
    try:
        down = await world.crawl(f"http://127.0.0.1:{port}", 0, "down")
    finally:
        sock.close()
    assert down.finish_reason == "unreachable"
    message = one_message(receiver, "failure")
    assert message["title"] == "jobtracker amazon_jobs: site unreachable"
    assert f"http://127.0.0.1:{port} is unreachable (connection refused)" in message["message"]

    sim = start_sim(size=300, seed=62, port=port)  # the site is back, at the same address
    await bad_then_recovered(world, down, sim.url, 0)


@deferred_f_from_coro_f
async def test_an_incomplete_run_that_closed_nothing_is_a_warning_then_recovers(
    start_sim, mongo_db, mongo_uri, receiver
) -> None:
    sim = start_sim(size=300, seed=63)
    category = Counter(t["business_category"] for t in sim.truth()).most_common(1)[0][0]
    world = World(mongo_db, mongo_uri, receiver)
    sim.set_faults(empty_listing_categories=[category])
    incomplete = await world.crawl(sim.url, 0, "incomplete")
    assert incomplete.stats["jobtracker/run_complete"] is False
    message = one_message(receiver, "warning")
    assert message["title"] == "jobtracker amazon_jobs: incomplete"
    assert f"business_category={category}" in message["message"]
    assert "partitions incomplete" in message["message"]

    sim.set_faults()
    await bad_then_recovered(world, incomplete, sim.url, 0)


@deferred_f_from_coro_f
async def test_a_day_whose_closures_a_guard_held_says_so_then_recovers(
    start_sim, mongo_db, mongo_uri, receiver
) -> None:
    sim = start_sim(size=300, seed=64)
    world = World(mongo_db, mongo_uri, receiver)
    first = await world.crawl(sim.url, 0, "first")
    assert first.stats["jobtracker/verdict"] == "healthy"
    assert receiver.take() == [], "a first complete run has nothing to say"
    sim.set_faults(hide_fraction=0.7)  # most of the board vanishes at once
    held = await world.crawl(sim.url, 1, "held")
    assert held.stats["jobtracker/run_complete"] is True
    message = one_message(receiver, "failure")
    assert message["title"] == "jobtracker amazon_jobs: closures held by a guard"
    assert "mass-closure guard" in message["message"]

    sim.set_faults()
    recovered = await bad_then_recovered(world, held, sim.url, 1)
    assert re.search(
        r"Out for (1 day 23 h|2 days 0 h): no complete run since 2026-07-01 06:0\d UTC",
        recovered["message"],
    ), recovered["message"]


@deferred_f_from_coro_f
async def test_two_complete_runs_finishing_at_once_say_the_recovery_once(
    start_sim, mongo_db, mongo_uri, receiver
) -> None:
    sim = start_sim(size=300, seed=65)
    world = World(mongo_db, mongo_uri, receiver)
    sim.set_faults(blocked_user_agents=["research crawler"])
    await world.crawl(sim.url, 0, "blocked")
    one_message(receiver, "failure")
    sim.set_faults()
    both = await asyncio.gather(world.crawl(sim.url, 1, "a"), world.crawl(sim.url, 1, "b"))
    assert [r.stats["jobtracker/verdict"] for r in both] == ["healthy", "healthy"]
    one_message(receiver, "success")
    assert mongo_db.notifications.count_documents({}) == 1


@deferred_f_from_coro_f
async def test_a_run_found_abandoned_at_the_next_start_is_told_once(
    start_sim, mongo_db, mongo_uri, receiver
) -> None:
    sim = start_sim(size=300, seed=66)
    world = World(mongo_db, mongo_uri, receiver)
    first = await world.crawl(sim.url, 0, "first")
    receiver.take()
    killed = {**first.run.start_record(), "_id": "killed"}
    killed["started_at"] = first.run.started_at + timedelta(hours=1)
    mongo_db.crawl_runs.insert_one({**killed, "finished_at": None, "finish_reason": None})
    await world.crawl(sim.url, 1, "next")
    messages = receiver.take()
    assert [m["title"] for m in messages] == [
        "jobtracker amazon_jobs: abandoned (never finished)",
        "jobtracker amazon_jobs: recovered",
    ]
    assert "Run killed of amazon_jobs" in messages[0]["message"]
    await world.crawl(sim.url, 2, "after")
    assert receiver.take() == []


@deferred_f_from_coro_f
async def test_every_run_sends_a_short_note_when_asked(start_sim, mongo_db, mongo_uri, receiver):
    sim = start_sim(size=300, seed=67)
    world = World(mongo_db, mongo_uri, receiver, JOBTRACKER_NOTIFY_EVERY_RUN="1")
    await world.crawl(sim.url, 0, "one")
    await world.crawl(sim.url, 1, "two")
    titles = [(m["type"], m["title"]) for m in receiver.take()]
    assert titles == [("info", "jobtracker amazon_jobs: complete")] * 2


@deferred_f_from_coro_f
async def test_mongodb_down_at_the_start_is_one_failure_message(start_sim, receiver) -> None:
    sim = start_sim(size=300, seed=68)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        uri = f"mongodb://admin:s3cret@127.0.0.1:{sock.getsockname()[1]}/"
        settings = {"MONGO_URI": uri, "JOBTRACKER_NOTIFY": receiver.url,
                    "JOBTRACKER_STORE_TIMEOUT_MS": 300}  # fmt: skip
        result = await run_crawl(settings=settings, base_url=sim.url)
    finally:
        sock.close()
    assert result.finish_reason == "store_unavailable"
    message = one_message(receiver, "failure")
    assert message["title"] == "jobtracker amazon_jobs: MongoDB unavailable, pages spilled"
    assert "s3cret" not in str(message)


# -- the command a user types: faulty receivers change nothing --------------------------------


def crawl_command(
    base_url: str, notify: str, **env: str
) -> tuple[subprocess.CompletedProcess, float]:
    command = [sys.executable, "-m", "scrapy", "crawl", "amazon_jobs", "-a",
               f"base_url={base_url}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s",
               "DOWNLOAD_DELAY=0", "-s", "MONGO_URI="]  # fmt: skip
    environment = {**os.environ, "JOBTRACKER_NOTIFY": notify, **env}
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False, env=environment)  # fmt: skip
    return done, time.monotonic() - started


def notify_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "jobtracker.notify" in line]


def test_receivers_that_fail_hang_or_refuse_change_no_exit_code(sim, start_receiver) -> None:
    failing, hanging = start_receiver("error"), start_receiver("hang")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    refusing = f"json://127.0.0.1:{sock.getsockname()[1]}/"
    try:
        sim.set_faults(blocked_user_agents=["research crawler"])
        targets = f"{failing.url} {hanging.url},{refusing}"
        blocked, seconds = crawl_command(sim.url, targets)
    finally:
        sock.close()
    assert blocked.returncode == 1, blocked.stderr[-3000:]
    assert "Traceback" not in blocked.stderr
    assert (
        blocked.stderr.strip()
        .splitlines()[-1]
        .startswith(f"scrapy crawl amazon_jobs: blocked: HTTP 403 from {sim.url}/")
    )
    lines = notify_lines(blocked.stderr)
    assert len(lines) == 1, lines
    # The hanging one fails when Apprise's read timeout (4 s) expires, within the 10 s bound.
    delivery = re.search(r"not delivered \(after ([\d.]+) s\) to (.*)$", lines[0])
    assert delivery, lines[0]
    assert float(delivery.group(1)) <= 10.5
    assert delivery.group(2) == "; ".join(
        f"target {n} of 3 (json://***): failed or refused" for n in (1, 2, 3)
    )
    assert str(failing.port) not in blocked.stderr and str(hanging.port) not in blocked.stderr
    assert len(failing.messages) == len(hanging.messages) == 1
    assert seconds < 60, seconds


def test_a_malformed_target_is_named_once_and_the_crawl_still_runs(sim, receiver) -> None:
    done, _ = crawl_command(sim.url, f"slak://T0KEN/B0T/s3cret {receiver.url}",
                            JOBTRACKER_NOTIFY_EVERY_RUN="1")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = notify_lines(done.stderr)
    assert len(lines) == 1, lines
    assert lines[0].endswith(
        "JOBTRACKER_NOTIFY: target 1 of 2 (slak://***) is not a URL Apprise can send to; "
        "it is skipped"
    )
    assert "T0KEN" not in done.stderr and "s3cret" not in done.stderr
    assert [m["type"] for m in receiver.messages] == ["info"]


@deferred_f_from_coro_f
async def test_the_hourly_spider_in_chromium_is_told_about_too(
    start_sim, mongo_db, mongo_uri, receiver
) -> None:
    from jobtracker.spiders.amazon_hourly import AmazonHourlySpider

    sim = start_sim(size=300, seed=69, hourly_size=200)
    pairs = ",".join(f"{site}={url}" for site, url in sim.hourly_urls().items())
    settings = {"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_db.name,
                "JOBTRACKER_NOTIFY": receiver.url, "JOBTRACKER_HOURLY_PAGE_DELAY": 0,
                "JOBTRACKER_HOURLY_RESPONSE_TIMEOUT": 10}  # fmt: skip

    async def crawl(day: int, job: str) -> CrawlResult:
        return await run_crawl(
            settings={**settings, "JOBTRACKER_CLOCK_START": day_clock(day)},
            spider_cls=AmazonHourlySpider,
            base_urls=pairs,
            countries="IE",
            _job=job,
        )

    sim.set_faults(hourly_block=["IE"])
    blocked = await crawl(0, "h-blocked")
    assert blocked.finish_reason == "blocked"
    message = one_message(receiver, "failure")
    assert message["title"] == "jobtracker amazon_hourly: blocked by the site"
    assert "Run h-blocked of amazon_hourly, scope countries IRL" in message["message"]
    sim.set_faults()
    assert (await crawl(1, "h-back")).stats["jobtracker/verdict"] == "healthy"
    assert one_message(receiver, "success")["title"] == "jobtracker amazon_hourly: recovered"
    await crawl(2, "h-quiet")
    assert receiver.take() == []
