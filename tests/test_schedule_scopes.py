"""Scoped runs as ``jobtracker schedule`` plans them add up to the whole board.

Three simulated days are crawled as the scheduler would split them: by country groups, and by
category groups (with the values that only the store still knows), every scope its own run,
all of a day's runs at once. Afterwards the store holds exactly the live board: open and not
awaiting confirmation = live on the last day; awaiting confirmation = gone only on the last
day; closed = gone on both later days. Every run is complete.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.deploy.schedule import DIMENSIONS, Scope, board_counts, plan_scopes
from tests.support.crawling import run_crawl
from tests.support.history import day_clock

DAYS = (0, 1, 2)
WINDOW = 400


def scopes_for_day(sim: Any, db: Database, by: str, groups: int) -> list[Scope]:
    """The scopes ``jobtracker schedule --by BY --groups N`` would post today."""
    dimension = DIMENSIONS[by]
    counts = board_counts(sim.url, dimension, user_agent="jobtracker-test")
    stored = db.postings.distinct(dimension.stored_field, {"status": "open"})
    counts.update({value: 0 for value in stored if value and value not in counts})
    return plan_scopes(counts, dimension, groups)


async def crawl_scopes(sim: Any, db: Database, mongo_uri: str, day: int, scopes: list[Scope]):
    settings = {
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": db.name,
        "AMAZON_JOBS_RESULT_WINDOW": WINDOW,
        "JOBTRACKER_CLOCK_START": day_clock(day),
    }
    runs = [
        run_crawl(
            settings=settings, base_url=sim.url, _job=scope.job_id(f"day{day}"),
            **dict(scope.arguments()),
        )
        for scope in scopes
    ]  # fmt: skip
    return await asyncio.gather(*runs)


@pytest.mark.parametrize(("by", "groups"), [("country", 3), ("category", 3)])
@deferred_f_from_coro_f
async def test_scoped_runs_keep_exactly_the_live_board(
    by: str, groups: int, start_sim, mongo_db: Database, mongo_uri: str
) -> None:
    sim = start_sim(size=1200, result_window=WINDOW, seed=31)
    live: dict[int, set[str]] = {}
    scheduled = 0
    for day in DAYS:
        sim.set_day(day)
        live[day] = {t["id_icims"] for t in sim.truth()}
        scopes = scopes_for_day(sim, mongo_db, by, groups)
        assert sum(len(scope.values) for scope in scopes) == len(
            {value for scope in scopes for value in scope.values}
        ), "every value in one scope only"
        results = await crawl_scopes(sim, mongo_db, mongo_uri, day, scopes)
        scheduled += len(scopes)
        for scope, result in zip(scopes, results, strict=True):
            assert result.finish_reason == "finished", scope
            assert result.stats["jobtracker/run_complete"] is True, (scope, result.stats)
    runs = list(mongo_db.crawl_runs.find())
    assert len(runs) == scheduled and all(run["complete"] for run in runs)
    splits = {p["split_by"] for run in runs for p in run["partitions"]}
    assert "normalized_country_code" in splits, "a category too large for the window was split"

    postings = {doc["source_id"]: doc for doc in mongo_db.postings.find()}
    last, before = live[DAYS[-1]], live[DAYS[-2]]
    waiting = {pid for pid, doc in postings.items() if doc.get("missing_since") is not None}
    open_now = {pid for pid, doc in postings.items() if doc["status"] == "open"} - waiting
    closed = {pid for pid, doc in postings.items() if doc["status"] == "closed"}
    assert open_now == last, {
        pid: (postings.get(pid), [t for t in sim.truth() if t["id_icims"] == pid])
        for pid in open_now ^ last
    }
    assert waiting == before - last
    assert closed == set(postings) - last - before
    assert closed, "the test should see closures"
