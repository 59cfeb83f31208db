"""Hostile posting text stays inert (docs/security.md): crawled from the simulator into MongoDB,
it reaches spreadsheets (CSV exports, ``trend --csv``) and terminals (tables) without a live
formula or a control character, and the stored titles and labels carry no control characters
while the raw payload keeps them as served.

The simulator's ``hostile_postings`` knob (``jobsim.hostile``) makes the postings with
the smallest ids hostile; the crawl is a real ``scrapy crawl`` against it, storing in the MongoDB
test server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from pymongo import MongoClient

from jobsim import hostile
from jobtracker.cli import main
from jobtracker.deploy.schedule import DIMENSIONS, Decision, Scope
from jobtracker.items import JobPosting
from jobtracker.normalize.text import strip_controls
from jobtracker.pipelines import CleanTextPipeline
from jobtracker.research.output import format_table, write_csv_rows
from jobtracker.store.content import content_hash, posting_snapshot
from tests.support.sim import SimProcess

ROOT = Path(__file__).resolve().parents[1]


def test_the_simulator_serves_hostile_postings_on_request(start_sim) -> None:
    sim = start_sim(size=200, seed=5, faults={"hostile_postings": 2})
    truth = {t["id_icims"]: t["job"] for t in sim.truth(jobs=True)}
    first_two = sorted(truth, key=int)[:2]
    served = {
        job["id_icims"]: job
        for job in sim.search({"result_limit": 100, "offset": 0, "sort": "recent"})["jobs"]
    }
    served.update(
        (job["id_icims"], job)
        for job in sim.search({"result_limit": 100, "offset": 100, "sort": "recent"})["jobs"]
    )
    assert set(served) == set(truth)
    for icims, job in served.items():
        if icims not in first_two:
            assert job == {**truth[icims], "updated_time": job["updated_time"]}
            continue
        assert job["title"].startswith(hostile.TITLE_PREFIX)
        assert truth[icims]["title"] in job["title"]
        assert job["job_category"] == "Sales\r@SUM(1+1)"
        assert job["team"]["label"] == " =cmd|' /C calc'!A0"
        assert job["job_family"].startswith("\uff1d")
        assert job["id"] == truth[icims]["id"]
    # The detail page of a hostile posting carries the same text; the ground truth does not.
    page = sim.get(f"/en/jobs/{first_two[0]}/x").body.decode()
    assert "\x1b]0;OWNED" in page
    assert "\x1b" not in json.dumps(truth[first_two[0]], ensure_ascii=False)


# -- a hostile posting crawled into MongoDB ----------------------------------------------------


@dataclass
class HostileStore:
    """A small simulated board with two hostile postings, crawled into its own database."""

    uri: str
    database: str
    day: str
    hostile_ids: list[str]
    titles: dict[str, str]
    feed: Path
    log: str

    def cli(self, *args: str) -> list[str]:
        return [*args, "--mongo-uri", self.uri, "--database", self.database]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``jobtracker ARGS`` as a subprocess: the bytes a terminal would get."""
        return subprocess.run(
            [sys.executable, "-m", "jobtracker.cli", *self.cli(*args)], cwd=ROOT,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip


@pytest.fixture(scope="module")
def store(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileStore]:
    folder = tmp_path_factory.mktemp("hostile")
    sim = SimProcess("--size", "300", "--seed", "9", "--faults", '{"hostile_postings": 2}')
    database = f"hostile_{uuid.uuid4().hex[:8]}"
    client: MongoClient = MongoClient(mongo_uri)
    try:
        state = sim.control.state()
        truth = sim.control.truth()
        hostile_ids = sorted((t["id_icims"] for t in truth), key=int)[:2]
        titles = {t["id_icims"]: t["title"] for t in truth if t["id_icims"] in hostile_ids}
        feed = folder / "feed.jsonl"
        env = {
            **os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": database,
            "JOBTRACKER_VAR_DIR": str(folder / "var"),
            "JOBTRACKER_CLOCK_START": f"{state['date']}T06:00:00Z",
        }  # fmt: skip
        crawl = subprocess.run(
            [
                sys.executable, "-m", "scrapy", "crawl", "amazon_jobs",
                "-a", f"base_url={sim.url}", "-a", "_job=hostile-day0",
                "-O", f"{feed}:jsonlines",
                *FAST,
            ],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        yield HostileStore(
            mongo_uri, database, state["date"], hostile_ids, titles, feed, crawl.stderr
        )
    finally:
        client.drop_database(database)
        client.close()
        sim.stop()


FAST = [
    option
    for name, value in {
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS": "16",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "LOG_LEVEL": "INFO",
    }.items()
    for option in ("-s", f"{name}={value}")
]
#: First characters that make a spreadsheet cell a formula (ASCII, full-width, small forms).
FORMULA_START = "=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def live(cell: str) -> bool:
    """Would a spreadsheet run this cell? Its first non-blank character starts a formula (a
    number such as -3 is a number)."""
    text = cell.lstrip(" \t\r\n")
    return bool(text) and text[0] in FORMULA_START and not NUMBER.fullmatch(text)


def live_line(line: str) -> bool:
    """Would a tool that reads the file line by line (and cuts at commas) see a formula first?
    A list bullet ("- item") is prose."""
    first = line.rstrip("\r\n").split(",", 1)[0].lstrip('"')
    return live(first) and not re.match(r"\s*[-+\u2022] ", first)


def check_csv(path: Path, rows: int | None = None) -> list[dict[str, str]]:
    """Read a CSV with csv, pandas and line by line: same rows, no live formula anywhere."""
    with path.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    header, body = records[0], records[1:]
    assert all(len(record) == len(header) for record in body), "a row was split"
    if rows is not None:
        assert len(body) == rows
    formulas = [cell for record in body for cell in record if live(cell)]
    assert not formulas, formulas[:5]

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(frame) == len(body) and list(frame.columns) == header
    formulas = [cell for cell in frame.to_numpy().ravel() if live(cell)]
    assert not formulas, formulas[:5]

    with path.open(encoding="utf-8") as handle:  # universal newlines: \r, \n and \r\n end lines
        lines = [line for line in handle if live_line(line)]
    assert not lines, lines[:5]
    return [dict(zip(header, record, strict=True)) for record in body]


@pytest.mark.parametrize("what", ["postings", "versions", "panel"])
def test_csv_exports_of_hostile_postings_hold_no_live_formula(
    store: HostileStore, tmp_path: Path, what: str
) -> None:
    path = tmp_path / f"{what}.csv"
    assert main(store.cli("export", "--what", what, "-o", str(path))) == 0
    rows = check_csv(path, rows=300)
    mine = [row for row in rows if row["posting_id"].split(":")[1] in store.hostile_ids]
    assert len(mine) == 2
    for row in mine:  # still there, readable, only made inert
        assert "SUM(1+1)" in row["job_category"]
        if what != "panel":
            assert row["team"].lstrip("' ").startswith("=cmd")
            assert "HYPERLINK" in row["job_family"] and "HYPERLINK" in row["description_text"]


def test_trend_csv_by_a_hostile_category_holds_no_live_formula(
    store: HostileStore, tmp_path: Path
) -> None:
    done = store.run("trend", "HYPERLINK", "--by", "job_category", "--freq", "day", "--csv")
    assert done.returncode == 0, done.stderr
    path = tmp_path / "trend.csv"
    path.write_bytes(done.stdout.encode())  # as `> trend.csv` would keep it
    rows = check_csv(path)
    assert rows and all("SUM(1+1)" in row["job_category"] for row in rows), rows


def test_csv_cells_are_quoted_and_neutralized_whatever_the_store_holds() -> None:
    """Values stored before titles and labels were cleaned still reach a spreadsheet inert."""
    hostile = [
        "Sales\r@SUM(1+1)", " =cmd|' /C calc'!A0", "\n=1+1", "\t=1+1", "\r=1+1",
        "\uff1dSUM(1+1)", "\uff0b1", "\uff20SUM(1)", "\ufe66SUM(1)", "  +1+1", "-2+3+cmd",
        "@SUM(1)", "ok\n=HYPERLINK(1)", "ok\r\n@SUM(1)", "a,b", 'say "hi"',
    ]  # fmt: skip
    buffer = io.StringIO(newline="")
    columns = [f"c{i}" for i in range(len(hostile))]
    write_csv_rows(
        [dict(zip(columns, hostile, strict=True)), {"c0": -3, "c1": 1.5}], columns, buffer
    )
    text = buffer.getvalue()
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert len(records) == 3 and all(len(r) == len(columns) for r in records)
    assert not [cell for cell in records[1] if live(cell)]
    assert records[2][:2] == ["-3", "1.5"], "numbers stay numbers"
    assert records[1][0] == "Sales\r'@SUM(1+1)", "a bare CR stays inside its quoted cell"
    assert records[1][1] == "' =cmd|' /C calc'!A0"
    assert records[1][12] == "ok\n'=HYPERLINK(1)"
    assert records[1][14:] == ["a,b", 'say "hi"']
    assert not [line for line in io.StringIO(text) if live_line(line)]


# -- tables on a terminal ----------------------------------------------------------------------

#: What a terminal must never get from stored text: C0 controls but LF, DEL, C1 controls, and
#: the bidirectional overrides that reorder what is shown.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_tables_print_hostile_postings_without_control_characters(store: HostileStore) -> None:
    first, second = store.hostile_ids
    runs = {
        "active": store.run("active", "--on", store.day, "--limit", "0"),
        "active --phrase": store.run("active", "--on", store.day, "--phrase", "HYPERLINK"),
        "history": store.run("history", f"amazon_jobs:{first}"),
        "first-seen": store.run("first-seen", "HYPERLINK"),
        "trend": store.run("trend", "HYPERLINK", "--by", "job_category", "--freq", "day"),
        "trend --long": store.run("trend", "HYPERLINK", "--by", "job_category", "--long"),
    }
    for name, done in runs.items():
        assert done.returncode == 0, (name, done.stderr)
        shown = CONTROL.findall(done.stdout + done.stderr)
        assert not shown, (name, shown[:10], done.stdout[:2000])
    # Still readable: the real titles and the category, minus the escapes.
    assert store.titles[first] in runs["history"].stdout
    assert all(store.titles[pid] in runs["active --phrase"].stdout for pid in (first, second))
    assert "SUM(1+1)" in runs["trend"].stdout and "SUM(1+1)" in runs["first-seen"].stdout
    assert "OWNED" not in runs["history"].stdout, "an OSC sequence goes whole, not byte by byte"


def test_format_table_strips_control_characters_from_cells_and_headers() -> None:
    frame = pd.DataFrame(
        {
            "title": [f"{hostile.TITLE_PREFIX}Data Engineer{hostile.TITLE_SUFFIX}"],
            "Sales\r@SUM(1+1)": [3],
            "note": ["right\u202eto-left \x1bPpayload\x1b\\ok\x9d0;x\x9c!"],
        }
    )
    text = format_table(frame)
    assert not CONTROL.findall(text), text
    assert "Data Engineer =1+1" in text and "Sales @SUM(1+1)" in text
    assert "rightto-left ok!" in text


def test_schedule_lines_show_site_values_without_control_characters() -> None:
    scope = Scope(DIMENSIONS["category"], ("Sales\r\x1b[2J@SUM(1+1)",), "x", 3)
    line = Decision(scope, "batch.category.x", skipped="job \x1b]0;t\x07 is running").line()
    assert not CONTROL.findall(line) and "Sales @SUM(1+1)" in line


# -- what the store keeps ----------------------------------------------------------------------


def test_titles_and_labels_are_stored_without_control_characters(store: HostileStore) -> None:
    client: MongoClient = MongoClient(store.uri)
    try:
        db = client[store.database]
        for icims in store.hostile_ids:
            posting = db.postings.find_one({"_id": f"amazon_jobs:{icims}"})
            (version,) = db.posting_versions.find({"posting_id": f"amazon_jobs:{icims}"})
            for doc in (posting, version["snapshot"]):
                assert doc["title"] == f"{store.titles[icims]} =1+1"
                assert doc["job_category"] == "Sales @SUM(1+1)"
                assert doc["team"] == hostile.TEAM_LABEL  # no control character: as served
                assert doc["job_family"] == hostile.JOB_FAMILY
        for field in ("title", "job_category", "job_family", "business_category", "team"):
            dirty = db.postings.count_documents({field: {"$regex": "[\\x00-\\x1f\\x7f-\\x9f]"}})
            assert dirty == 0, field
    finally:
        client.close()
    # The raw payload (the feed) keeps every byte as served.
    raw = {}
    for line in store.feed.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        raw[item["source_id"]] = item["raw"]
    for icims in store.hostile_ids:
        assert (
            raw[icims]["title"]
            == f"{hostile.TITLE_PREFIX}{store.titles[icims]}{hostile.TITLE_SUFFIX}"
        )
        assert raw[icims]["job_category"] == hostile.JOB_CATEGORY


def test_cleaning_keeps_ordinary_titles_and_their_content_hash(store: HostileStore) -> None:
    """Titles and labels without control characters are stored (and hashed) exactly as before."""
    pipeline = CleanTextPipeline(crawler=None)  # type: ignore[arg-type]
    checked = 0
    for line in store.feed.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["source_id"] in store.hostile_ids:
            continue
        raw = item["raw"]
        posting = JobPosting(
            source="amazon_jobs", source_id=item["source_id"], url=item["url"],
            title=raw["title"].strip(), run_id="r", partition="p",
            seen_at=datetime(2026, 7, 1, tzinfo=UTC), raw=raw,
        )  # fmt: skip
        before = content_hash(posting_snapshot(dict(vars(posting))))
        cleaned = pipeline.process_item(posting)
        assert cleaned.title == raw["title"].strip()
        assert content_hash(posting_snapshot(dict(vars(cleaned)))) == before
        checked += 1
    assert checked == 298


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Software Development Engineer", "Software Development Engineer"),
        (
            "Caf\u00e9\u00a0Engineer \u2013 Z\u00fcrich",
            "Caf\u00e9\u00a0Engineer \u2013 Z\u00fcrich",
        ),
        ("Sales\r@SUM(1+1)", "Sales @SUM(1+1)"),
        ("a\r\n\tb", "a b"),
        ("\x1b]0;OWNED\x07Title", "Title"),
        ("\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1b[2J\x1b[1;31mRed\x1b[0m", "Red"),
        ("\x9b2JC1\x9d0;t\x9c", "C1"),
        ("nul\x00del\x7fbell\x07", "nuldelbell"),
        ("\x1bPdcs\x1b\\x", "x"),
    ],
)
def test_strip_controls(text: str, expected: str) -> None:
    assert strip_controls(text) == expected
    ordinary = "Senior Data Engineer, AWS"
    assert strip_controls(ordinary) is ordinary
