"""``jobtracker runs``: what the store records about a run beyond its counts.

The formatting functions are pure and tested on their own; the closure texts they read come
from the lifecycle's own :func:`plan_closures`, so a change of its wording fails here. The last
test writes a series of runs through the store's own functions (``save_page``, ``finish_run``,
``recover``: the documents exactly as a crawl leaves them) into a real MongoDB and reads them
back through the command line.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database

from jobtracker.cli import main
from jobtracker.partitions import ROOT_KEY, CrawlLedger, Partition
from jobtracker.research import export
from jobtracker.research.exports import RUN_SCHEMA
from jobtracker.research.run_report import (
    RUN_COLUMNS,
    finish_text,
    held_by,
    notes_text,
    run_notes,
    run_row,
    tiled_sites,
)
from jobtracker.sources.amazon_hourly import PARTITION_DIMENSION
from jobtracker.store import spool
from jobtracker.store.lifecycle import BoardCounts, GuardSettings, RunOutcome, plan_closures
from jobtracker.store.mongo import PageResult, PostingStore
from jobtracker.store.recovery import recover
from jobtracker.store.runs import RunEnd, finish_run

DAY0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
CATEGORY_PARTITIONS = [
    {"key": ROOT_KEY, "split_by": "business_category", "complete": True},
    {"key": "business_category=legal", "split_by": None, "complete": True},
]


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


# -- pure formatting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "text"),
    [
        ({"finish_reason": "finished"}, "finished"),
        ({"finish_reason": "abandoned"}, "abandoned (never finished)"),
        ({"finish_reason": "blocked"}, "blocked by the site"),
        ({"finish_reason": "unreachable"}, "site unreachable"),
        ({"finish_reason": "store_unavailable"}, "store unavailable"),
        ({"finish_reason": "duplicate_run_id"}, "refused: run id reused"),
        ({"finish_reason": "bad_argument:countries"}, "bad argument: countries"),
        ({"finish_reason": "closespider_timeout"}, "closespider_timeout"),
        ({"finish_reason": None, "finished_at": None}, "running"),
    ],
)
def test_finish_reasons_in_words(run: dict, text: str) -> None:
    assert finish_text(run) == text


def held_run(plan_args: dict[str, Any]) -> dict[str, Any]:
    """A run document's ``closure`` and ``changes`` as :func:`finish_run` writes them."""
    plan = plan_closures(**plan_args)
    return {
        "_id": "r",
        "closure": plan.as_dict(),
        "changes": {"held": len(plan.hold), "closed": len(plan.close)},
    }


def missing(n: int, category: str, country: str = "USA") -> dict[str, Any]:
    return {
        "_id": f"amazon_jobs:{category}-{n}",
        "business_category": category,
        "country_code": country,
        "missing_since": day(1),
        "missing_last_at": day(1),
        "missing_count": 1,
    }


def test_held_closures_name_their_guard() -> None:
    run = RunOutcome(
        "r", "finished", False, CATEGORY_PARTITIONS, started_at=day(2), source="amazon_jobs"
    )
    # The whole category goes at once: the scope guard holds it.
    scope = held_run(
        {
            "run": run,
            "unseen": [missing(n, "legal") for n in range(10)],
            "board": BoardCounts(
                10, {"business_category=legal": 10, "country_code=USA": 10}, 10, 0
            ),
        }
    )
    assert held_by(scope["closure"]) == ["scope"]
    assert run_notes(scope) == [
        "10 closures held by the scope guard (business_category=legal, country_code=USA, scope)"
    ]
    # 30 of a 200-posting board in a day: the day guard (10%) holds them.
    board = BoardCounts(200, {"business_category=legal": 200, "country_code=USA": 200}, 200, 0)
    day_guard = held_run(
        {
            "run": run,
            "unseen": [missing(n, "legal") for n in range(30)],
            "board": board,
            "guards": GuardSettings(floor=25, max_fraction=0.5),
        }
    )
    assert held_by(day_guard["closure"]) == ["day"]
    assert run_notes(day_guard) == ["30 closures held by the day guard"]
    # Both at once: a country that loses everything, on a day that closes too much.
    unseen = [missing(n, "legal", "JPN") for n in range(6)] + [missing(n, "aws") for n in range(40)]
    board = BoardCounts(
        300,
        {
            "business_category=legal": 6,
            "business_category=aws": 294,
            "country_code=JPN": 6,
            "country_code=USA": 294,
        },
        300,
        0,
    )
    both = held_run(
        {
            "run": run,
            "unseen": unseen,
            "board": board,
            "guards": GuardSettings(floor=25, max_fraction=0.5),
        }
    )
    assert held_by(both["closure"]) == ["scope", "day"]
    assert run_notes(both) == [
        "46 closures held by the scope guard (business_category=legal, country_code=JPN) "
        "and the day guard"
    ]
    assert run_row(both)["held"] == 46 and run_row(both)["held_by"] == ["scope", "day"]


def hourly_partitions(queries: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``crawl_runs.partitions`` of an hourly run, built by the crawl's own ledger."""
    ledger = CrawlLedger()
    root = Partition()
    ledger.add(root, parent=None, promised=None).split_by = PARTITION_DIMENSION
    ledger.root_ok = True
    for site, query in queries.items():
        state = ledger.add(root.child(PARTITION_DIMENSION, site), parent=ROOT_KEY, promised=None)
        state.query = query
        if query.get("covered") is False:
            ledger.mark_incomplete(state.key, "the country is not covered")
        else:
            ledger.record_page(state.key, [f"{site}-1", f"{site}-2"], 2)
    ledger.finalize()
    return ledger.summary()


COUNTRY_QUERY = {"mode": "country", "taken_from": "page", "endpoint": "/graphql", "variables": {}}
TILED = {**COUNTRY_QUERY, "mode": "tiles", "refused": "too wide", "radius_mi": 50.0, "tiles": 9}


def test_tiled_hourly_sites_and_whether_the_tiles_covered() -> None:
    run = {
        "_id": "h",
        "partitions": hourly_partitions(
            {
                "US": COUNTRY_QUERY,
                "CA": {**TILED, "covered": True},
                "UK": {**TILED, "covered": False},
            }
        ),
    }
    assert tiled_sites(run) == {"CA": True, "UK": False}
    assert run_notes(run) == ["tiled: CA covered, UK NOT covered"]
    row = run_row(run)
    assert (row["tiled_sites"], row["tiling_covered"]) == (["CA", "UK"], False)
    only_country = {"_id": "h", "partitions": hourly_partitions({"US": COUNTRY_QUERY})}
    assert run_notes(only_country) == [] and run_row(only_country)["tiling_covered"] is None


def test_late_spill_and_plan_notes() -> None:
    run = {
        "_id": "r",
        "plan": "discovered",
        "plan_reason": "the facet call returned no business_category facet",
        "changes": {"late": 1, "unsaved": 7},
        "spill_imported": {"postings": 7, "new": 5, "updated": 0, "unchanged": 2, "late": 0},
    }
    assert run_notes(run) == [
        "1 late sighting ignored (older than what the store had)",
        "7 spilled postings stored later from its spill file (new 5, unchanged 2), "
        "not in the counts",
        "discovered plan (the facet call returned no business_category facet)",
    ]
    row = run_row(run)
    assert (row["late"], row["spill_imported"], row["plan"]) == (1, 7, "discovered")
    assert row["spill_changes"] == {"new": 5, "updated": 0, "unchanged": 2, "late": 0}
    not_yet = {"_id": "r", "plan": "facets", "changes": {"unsaved": 3}}
    assert run_notes(not_yet) == ["3 postings unsaved, spill not imported yet"]
    assert run_row(not_yet)["spill_imported"] is None


def test_notes_are_cleaned_for_the_terminal() -> None:
    reason = "no facet\x1b]0;owned\x07 counts\u202e\n"  # a title, a bidi override, a line break
    rows = [
        run_row({"_id": "quiet", "plan": "facets"}),
        run_row({"_id": "r\x1b[2J1", "plan": "discovered", "plan_reason": reason}),
    ]
    text = notes_text(rows)
    assert text == "Notes:\n  r1: discovered plan (no facet counts )"
    assert notes_text(rows[:1]) == ""


def test_the_runs_export_has_the_columns_of_runs() -> None:
    assert [name for name, _ in RUN_SCHEMA] == RUN_COLUMNS


# -- over a real MongoDB ---------------------------------------------------------------------


def posting_item(n: int, category: str, seen_at: datetime) -> dict[str, Any]:
    return {
        "source": "amazon_jobs",
        "source_id": f"{category}-{n}",
        "url": f"https://www.amazon.jobs/en/jobs/{category}-{n}",
        "title": f"Job {n}",
        "seen_at": seen_at,
        "raw": {"business_category": category, "country_code": "USA", "description": f"{n}"},
    }


class Runs:
    """Runs recorded as a crawl records them: ``start_run``, ``save_page``, ``finish_run``."""

    def __init__(self, db: Database, var_dir: Path) -> None:
        self.store = PostingStore(db)
        self.store.ensure_indexes()
        self.var_dir = var_dir

    def start(self, run_id: str, started: datetime, scope: dict[str, Any]) -> None:
        self.store.start_run(
            {
                "_id": run_id,
                "source": scope["source"],
                "spider": scope["source"],
                "arguments": {},
                "scope": scope,
                "keyword_run": False,
                "started_at": started,
            }
        )

    def run(
        self,
        run_id: str,
        started: datetime,
        scope: dict[str, Any],
        *,
        items: list[dict[str, Any]] = (),
        partitions: list[dict[str, Any]] = CATEGORY_PARTITIONS,
        finish_reason: str = "finished",
        plan: str | None = "facets",
        plan_reason: str | None = None,
        spilled: list[dict[str, Any]] = (),
    ) -> None:
        self.start(run_id, started, scope)
        changes = PageResult()
        if items:
            changes.add(self.store.save_page(list(items), run_id))
        if spilled:  # the store went away: the postings go to the run's spill file
            spool.append_unsaved(spool.unsaved_path(self.var_dir, run_id), list(spilled))
        outcome = RunOutcome(
            run_id,
            finish_reason,
            False,
            partitions,
            store_failed=bool(spilled),
            started_at=started,
            source=scope["source"],
        )
        end = RunEnd(
            finished_at=started + timedelta(minutes=5),
            complete=all(p["complete"] for p in partitions) and bool(partitions),
            scope=scope,
            changes=changes,
            unsaved=len(spilled),
            plan=plan,
            plan_reason=plan_reason,
        )
        _, recorded = finish_run(self.store, self.var_dir, outcome, end, GuardSettings())
        assert recorded


def test_runs_show_late_held_spill_plan_tiles_and_finish_over_mongodb(
    mongo_db: Database, mongo_uri: str, tmp_path: Path, capsys
) -> None:
    runs = Runs(mongo_db, tmp_path / "var")
    legal = {"source": "amazon_jobs", "categories": ["legal"]}
    postings = range(20)
    runs.run("d0", day(0), legal, items=[posting_item(n, "legal", day(0)) for n in postings])
    runs.start("killed", day(0) + timedelta(hours=1), legal)  # never finishes
    runs.run("d1", day(1), legal)  # the category is gone: 20 marked missing
    runs.run(
        "d2",
        day(2),
        legal,
        plan="discovered",
        plan_reason="the facet call returned no business_category facet",
    )
    # A queued run dated before d1 comes in last: everything it saw is older than the store's.
    runs.run(
        "replay",
        day(0.5),
        legal,
        partitions=[],
        items=[posting_item(n, "legal", day(0.5)) for n in postings],
    )
    aws = {"source": "amazon_jobs", "categories": ["aws"]}
    runs.run(
        "outage",
        day(3),
        aws,
        finish_reason="store_unavailable",
        spilled=[posting_item(n, "aws", day(3)) for n in range(5)],
    )
    # The next run starts by storing the spill and abandoning the killed run.
    recovery = recover(runs.store, runs.var_dir, day(3) + timedelta(hours=1), timedelta(hours=12))
    assert recovery.imported == {"outage": 5} and recovery.abandoned == ["killed"]
    hourly = {
        "source": "amazon_hourly",
        "countries": ["USA", "CAN", "GBR"],
        "sites": {"US": "http://us", "CA": "http://ca", "UK": "http://uk"},
    }
    partitions = hourly_partitions(
        {
            "US": COUNTRY_QUERY,
            "CA": {**TILED, "covered": True},
            "UK": {**TILED, "covered": False},
        }
    )
    runs.run("hourly", day(3) + timedelta(hours=2), hourly, partitions=partitions, plan=None)

    base = ["--limit", "0", "--mongo-uri", mongo_uri, "--database", mongo_db.name]
    assert main(["runs", *base, "--json"]) == 0
    rows = {row["run_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert list(rows) == ["hourly", "outage", "d2", "d1", "replay", "killed", "d0"]
    assert all(not rows[r]["notes"] for r in ("d0", "d1")), rows
    assert rows["d1"]["marked_missing"] == 20 and rows["d1"]["held"] == 0
    d2 = rows["d2"]
    assert (d2["held"], d2["held_by"], d2["closed"]) == (20, ["scope"], 0)
    assert d2["held_reason"].startswith("scope guard: business_category=legal")
    assert (d2["plan"], d2["plan_reason"]) == (
        "discovered",
        "the facet call returned no business_category facet",
    )
    assert (rows["replay"]["late"], rows["replay"]["new"]) == (20, 0)
    outage = rows["outage"]
    assert (outage["finish_reason"], outage["finish"]) == ("store_unavailable", "store unavailable")
    assert (outage["unsaved"], outage["spill_imported"], outage["new"]) == (5, 5, 0)
    assert outage["spill_changes"] == {
        "new": 5,
        "updated": 0,
        "unchanged": 0,
        "reopened": 0,
        "late": 0,
    }
    killed = rows["killed"]
    assert (killed["finish_reason"], killed["finish"]) == (
        "abandoned",
        "abandoned (never finished)",
    )
    assert killed["closure"] == "not applied: the run never finished (abandoned)"
    assert (rows["hourly"]["tiled_sites"], rows["hourly"]["tiling_covered"]) == (
        ["CA", "UK"],
        False,
    )
    assert rows["d0"]["tiled_sites"] == [] and rows["d0"]["tiling_covered"] is None

    assert main(["runs", *base]) == 0
    table = capsys.readouterr().out
    assert "abandoned (never finished)" in table and "store unavailable" in table
    notes = table[table.index("\nNotes:\n") + 1 :].splitlines()
    assert notes == [
        "Notes:",
        "  hourly: tiled: CA covered, UK NOT covered",
        "  outage: 5 spilled postings stored later from its spill file (new 5), not in the counts",
        "  d2: 20 closures held by the scope guard (business_category=legal, country_code=USA, "
        "scope); discovered plan (the facet call returned no business_category facet)",
        "  replay: 20 late sightings ignored (older than what the store had)",
    ]

    assert main(["runs", *base, "--csv"]) == 0
    rows = {row["run_id"]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (rows["d2"]["held"], rows["d2"]["held_by"]) == ("20", "scope")
    assert (rows["replay"]["late"], rows["outage"]["spill_imported"]) == ("20", "5")
    assert (rows["hourly"]["tiled_sites"], rows["hourly"]["tiling_covered"]) == ("CA; UK", "false")

    path = tmp_path / "runs.jsonl"
    assert export(mongo_db, "runs", "jsonl", path).rows == 7
    exported = {row["run_id"]: row for row in map(json.loads, path.read_text().splitlines())}
    assert exported["d2"]["held_by"] == ["scope"] and exported["replay"]["late"] == 20
    assert exported["outage"]["spill_changes"]["new"] == 5
    assert exported["hourly"]["notes"] == ["tiled: CA covered, UK NOT covered"]
