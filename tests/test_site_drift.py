"""Crawls of a simulated www.amazon.jobs whose contract drifted (issue 14), over real HTTP and,
where the store matters, the MongoDB wire protocol: a blocked client is a failed run that
closes nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.commands.crawl import exit_code_for
from tests.support.crawling import CrawlResult, run_crawl
from tests.support.history import day_clock


async def stored_crawl(
    sim: Any, db: Database, mongo_uri: str, *, day: int, job: str, **kwargs: Any
) -> CrawlResult:
    """Crawl the simulator's ``day`` into ``db``, dated like that day."""
    sim.set_day(day)
    settings = {
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": db.name,
        "JOBTRACKER_CLOCK_START": day_clock(day),
        **kwargs.pop("settings", {}),
    }
    return await run_crawl(settings=settings, base_url=sim.url, _job=job, **kwargs)


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.name.startswith("jobtracker")
    ]


# -- blocked is not empty ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("knobs", "status"),
    [
        ({"blocked_user_agents": ["research crawler"]}, "HTTP 403"),
        ({"block_everyone": True, "block_with_200": True}, "HTML block page (HTTP 200)"),
    ],
)
@deferred_f_from_coro_f
async def test_a_blocked_crawl_fails_in_one_line_and_closes_nothing(
    start_sim, mongo_db, mongo_uri, caplog, knobs: dict[str, Any], status: str
) -> None:
    sim = start_sim(size=1500, seed=41)
    first = await stored_crawl(sim, mongo_db, mongo_uri, day=0, job="d0")
    assert first.stats["jobtracker/run_complete"] is True
    open_before = mongo_db.postings.count_documents({"status": "open"})
    gone = {t["id_icims"] for t in sim.truth(day=0)} - {t["id_icims"] for t in sim.truth(day=3)}
    assert gone, "the board must lose postings between the days for the test to mean anything"
    sim.set_faults(**knobs)
    caplog.clear()

    with caplog.at_level(logging.INFO):
        blocked = await stored_crawl(sim, mongo_db, mongo_uri, day=3, job="d3")

    assert blocked.finish_reason == "blocked"
    assert exit_code_for(blocked.finish_reason, False) == 1
    assert blocked.items == []
    (line,) = error_lines(caplog)
    assert line.startswith(f"blocked: {status} from {sim.url}/en/search.json?"), line
    assert line == f"blocked: {blocked.stats['jobtracker/finish_detail']}"
    run = mongo_db.crawl_runs.find_one({"_id": "d3"})
    assert run["finish_reason"] == "blocked"
    assert run["complete"] is False
    assert run["closure"]["applied"] is False
    assert run["changes"]["closed"] == run["changes"]["marked_missing"] == 0
    assert mongo_db.postings.count_documents({"status": "open"}) == open_before
    assert mongo_db.postings.count_documents({"missing_since": {"$ne": None}}) == 0


@deferred_f_from_coro_f
async def test_the_user_agent_suffix_is_a_setting(sim) -> None:
    sim.set_faults(blocked_user_agents=["research crawler"])

    result = await run_crawl(
        base_url=sim.url,
        query="Rekognition",
        settings={"JOBTRACKER_USER_AGENT_SUFFIX": " (university study)"},
    )

    assert result.finish_reason == "finished"
    assert result.items and result.stats["jobtracker/run_complete"] is True
    assert sim.state()["requests"].get("blocked", 0) == 0
