"""Research over archive evidence (docs/research.md, "Archive evidence"): a backfill from the
simulated archive over real HTTP into a real MongoDB, then ``trend --evidence archive`` and
``first-seen --evidence archive`` against what the simulator's truth implies.

The expected figures are computed here from ``truth()`` (which captures are valid sightings,
when) and the texts the simulator renders in those pages (its model, built in this process with
the same seed: ``ArchiveModel.job`` of the posting on the capture's day), never from the store.
"""

from __future__ import annotations

import csv
import io
import math
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from jobsim.archive.model import ArchiveModel
from jobtracker.research.archive_evidence import wilson_interval
from jobtracker.research.text import compile_phrase
from jobtracker.research.timeline import period_of, period_range, periods_overlapping
from tests.support.archive import ArchiveProcess
from tests.test_backfill_archive import environment

SEED, CAPTURES, YEARS = 7, 900, (2022, 2026)
PHRASES = ("Rekognition", "computer vision")
JOBTRACKER = (sys.executable, "-m", "jobtracker")
TEXTS = ("title", "description", "basic_qualifications", "preferred_qualifications")


class Backfilled:
    """A store backfilled from a private simulated archive, and the simulator's model."""

    def __init__(self, uri: str, db: Any, sim: Any, tmp: Path) -> None:
        self.uri, self.db, self.sim, self.tmp = uri, db, sim, tmp
        self.model = ArchiveModel(seed=SEED, captures=CAPTURES, years=YEARS)
        self.live_phrase: str | None = None

    def cli(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*JOBTRACKER, *argv, "--mongo-uri", self.uri, "--database", self.db.name],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=self.tmp,
        )

    def csv_rows(self, *argv: str) -> list[dict[str, str]]:
        result = self.cli(*argv, "--csv")
        assert result.returncode == 0, result.stderr[-3000:]
        return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture(scope="module")
def backfilled(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    proc = ArchiveProcess("--seed", str(SEED), "--captures", str(CAPTURES), "--years", "2022-2026")
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=10_000)
    db = client["test_tiers_" + str(SEED)]
    client.drop_database(db.name)
    tmp = tmp_path_factory.mktemp("tiers")
    try:
        store = ("--mongo-uri", mongo_uri, "--database", db.name)
        result = subprocess.run(
            [*JOBTRACKER, "backfill", "run", "--archive", "all", *store],
            env=environment(proc.sim, tmp),
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        yield Backfilled(mongo_uri, db, proc.sim, tmp)
    finally:
        client.drop_database(db.name)
        client.close()
        proc.stop()


# -- what the truth implies --------------------------------------------------------------------


def page_text(job: dict[str, Any]) -> str:
    """The searched texts of a rendered job page: tags are breaks between words."""
    return "\n".join(re.sub(r"<[^>]+>", " ", str(job.get(name) or "")) for name in TEXTS)


def expected_sightings(bf: Backfilled, phrase: str) -> list[tuple[str, str, datetime, bool]]:
    """(posting id, archive, captured at, mentions) of every valid sighting in the truth."""
    regex = compile_phrase(phrase)
    captures = {(c.archive, c.original, c.ts): c for c in bf.model.captures}
    out = []
    for row in bf.sim.truth():
        cap = captures[(row["archive"], row["original_url"], row["timestamp"])]
        shown = bf.model.captures[cap.revisit_of] if cap.revisit_of is not None else cap
        assert shown.idx is not None
        job = bf.model.job(shown.idx, shown.day)
        when = datetime.fromisoformat(row["captured_at"].replace("Z", "+00:00"))
        out.append((row["posting_id"], row["archive"], when, bool(regex.search(page_text(job)))))
    return out


def expected_tiers(
    sightings: list[tuple[str, str, datetime, bool]], freq: str
) -> dict[date, dict[str, int]]:
    days = [when.date() for _pid, _a, when, _m in sightings]
    since, until = min(days), max(days)
    sighted: defaultdict[date, set[str]] = defaultdict(set)
    mentioning: defaultdict[date, set[str]] = defaultdict(set)
    brackets: dict[str, tuple[date, date]] = {}
    for pid, _archive, when, mentions in sightings:
        period = period_of(when.date(), freq)
        sighted[period].add(pid)
        if mentions:
            mentioning[period].add(pid)
            first, last = brackets.get(pid, (when.date(), when.date()))
            brackets[pid] = (min(first, when.date()), max(last, when.date()))
    bracketed: defaultdict[date, int] = defaultdict(int)
    for first, last in brackets.values():
        for period in periods_overlapping(first, last, freq):
            bracketed[period] += 1
    return {
        period: {
            "observed": len(mentioning[period]),
            "share_k": len(mentioning[period]),
            "share_n": len(sighted[period]),
            "bracketed": bracketed[period],
        }
        for period in period_range(since, until, freq)
    }


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "freq"), [("Rekognition", "month"), ("computer vision", "week")]
)
def test_archive_trend_equals_what_the_truth_implies(
    backfilled: Backfilled, phrase: str, freq: str
) -> None:
    sightings = expected_sightings(backfilled, phrase)
    expected = expected_tiers(sightings, freq)
    assert sum(row["observed"] for row in expected.values()) > 0, "the phrase is sighted"
    assert any(0 < row["share_k"] < row["share_n"] for row in expected.values())
    rows = backfilled.csv_rows("trend", phrase, "--evidence", "archive", "--freq", freq)
    assert list(rows[0]) == [
        "period",
        "observed",
        "bracketed",
        "captures",
        "share_k",
        "share_n",
        "share_low",
        "share_high",
    ]
    got = {
        date.fromisoformat(row["period"][:10]): {
            name: int(row[name]) for name in ("observed", "share_k", "share_n", "bracketed")
        }
        for row in rows
    }
    assert got == expected
    for row in rows:
        k, n = int(row["share_k"]), int(row["share_n"])
        if n == 0:
            assert row["share_low"] == row["share_high"] == ""
            continue
        low, high = wilson_interval(k, n)
        assert float(row["share_low"]) == pytest.approx(low, abs=1e-4)
        assert float(row["share_high"]) == pytest.approx(high, abs=1e-4)
        assert int(row["captures"]) >= n  # every sighting is a fetched capture


def test_archive_captures_count_every_fetched_capture_whatever_its_outcome(
    backfilled: Backfilled,
) -> None:
    rows = backfilled.csv_rows("trend", "Rekognition", "--evidence", "archive", "--freq", "month")
    fetched = backfilled.db.archive_captures.count_documents(
        {"$or": [{"fetched_at": {"$ne": None}}, {"state": "failed"}]}
    )
    sightings = backfilled.db.archive_sightings.count_documents({})
    total = sum(int(row["captures"]) for row in rows)
    assert total == fetched
    assert total > sightings, "rejected captures count too"


def test_archive_trend_by_country_sums_to_the_ungrouped_observed_when_countries_are_stable(
    backfilled: Backfilled,
) -> None:
    flat = backfilled.csv_rows("trend", "Rekognition", "--evidence", "archive", "--freq", "month")
    grouped = backfilled.csv_rows(
        "trend", "Rekognition", "--evidence", "archive", "--freq", "month", "--by", "country"
    )
    assert list(grouped[0])[:2] == ["period", "country"]
    by_period: defaultdict[str, int] = defaultdict(int)
    for row in grouped:
        by_period[row["period"]] += int(row["share_n"])
    assert {row["period"]: int(row["share_n"]) for row in flat} == dict(by_period)


def test_archive_first_seen_equals_the_first_mentioning_sighting_of_the_truth(
    backfilled: Backfilled,
) -> None:
    phrase = "Rekognition"
    firsts: dict[str, tuple[datetime, str]] = {}
    for pid, archive, when, mentions in sorted(
        expected_sightings(backfilled, phrase), key=lambda s: (s[2], s[0])
    ):
        if mentions and pid not in firsts:
            firsts[pid] = (when, archive)
    assert firsts
    rows = backfilled.csv_rows("first-seen", phrase, "--evidence", "archive")
    assert list(rows[0])[-2:] == ["evidence", "capture_url"]
    got = {
        row["posting_id"]: (
            datetime.fromisoformat(row["first_seen"]).astimezone(UTC),
            row["evidence"],
            row["capture_url"],
        )
        for row in rows
    }
    assert set(got) == set(firsts)
    for pid, (when, archive) in firsts.items():
        seen, evidence, url = got[pid]
        assert seen == when and evidence == f"archive:{archive}"
        if archive == "wayback":
            assert when.strftime("%Y%m%d%H%M%S") in url and url.startswith("http")
        else:
            assert url.startswith("crawl-data/CC-MAIN-") and "#offset=" in url
    assert [row["posting_id"] for row in rows] == sorted(firsts, key=lambda p: (firsts[p][0], p))


def test_live_evidence_is_the_default_and_ignores_the_archive(backfilled: Backfilled) -> None:
    default = backfilled.cli("trend", "Rekognition", "--csv")
    live = backfilled.cli("trend", "Rekognition", "--csv", "--evidence", "live")
    assert default.returncode == live.returncode == 0, default.stderr
    assert default.stdout == live.stdout == "period,mentioned_while_open,ever_mentioned\n"


def test_both_puts_live_and_archive_side_by_side_and_says_live_never_started(
    backfilled: Backfilled,
) -> None:
    rows = backfilled.csv_rows("trend", "Rekognition", "--evidence", "both", "--freq", "month")
    archive = backfilled.csv_rows(
        "trend", "Rekognition", "--evidence", "archive", "--freq", "month"
    )
    assert list(rows[0])[:3] == ["period", "live_mentioned_while_open", "live_ever_mentioned"]
    assert [row["archive_observed"] for row in rows] == [row["observed"] for row in archive]
    assert all(row["live_mentioned_while_open"] == "" for row in rows)  # not observed live
    result = backfilled.cli("trend", "Rekognition", "--evidence", "both", "--csv")
    assert "No live crawl yet" in result.stderr


def test_history_with_archive_evidence_lists_each_sighting_with_its_provenance(
    backfilled: Backfilled,
) -> None:
    truth = backfilled.sim.truth()
    pid = truth[0]["posting_id"]
    rows = backfilled.csv_rows("history", pid, "--evidence", "archive", "--part", "sightings")
    expected = sorted(t["timestamp"] for t in truth if t["posting_id"] == pid)
    got = sorted(
        datetime.fromisoformat(row["captured_at"]).strftime("%Y%m%d%H%M%S") for row in rows
    )
    assert got == expected
    assert all(row["archive"] in ("wayback", "commoncrawl") and row["capture_url"] for row in rows)
    both = backfilled.cli("history", pid, "--evidence", "both")
    assert both.returncode == 0, both.stderr
    assert "not seen by a live crawl" in both.stdout and "Archive sightings" in both.stdout


def test_archive_tables_say_what_each_tier_proves_and_filters_keep_their_countries(
    backfilled: Backfilled,
) -> None:
    table = backfilled.cli("trend", "Rekognition", "--evidence", "archive", "--freq", "month")
    assert table.returncode == 0, table.stderr
    assert "a lower bound" in table.stdout and "inferred" in table.stdout
    assert "95% Wilson interval" in table.stdout
    first = backfilled.cli("first-seen", "Rekognition", "--evidence", "archive", "--limit", "1")
    assert first.returncode == 0, first.stderr
    assert "archive:" in first.stdout and "showing 1" in first.stdout
    grouped = backfilled.csv_rows(
        "trend", "Rekognition", "--evidence", "archive", "--freq", "month", "--by", "country"
    )
    country = max(
        {row["country"] for row in grouped},
        key=lambda c: sum(int(r["share_n"]) for r in grouped if r["country"] == c),
    )
    only = backfilled.csv_rows(
        "trend", "Rekognition", "--evidence", "archive", "--freq", "month", "--countries", country
    )
    expected = {r["period"]: r["share_n"] for r in grouped if r["country"] == country}
    assert {r["period"]: r["share_n"] for r in only} == expected


def test_active_with_archive_evidence_is_what_the_truth_shows_on_that_day(
    backfilled: Backfilled,
) -> None:
    truth = [
        (t["posting_id"], datetime.fromisoformat(t["captured_at"].replace("Z", "+00:00")).date())
        for t in backfilled.sim.truth()
    ]

    def open_on(day: date) -> tuple[set[str], set[str]]:
        seen = {pid for pid, d in truth if d == day}
        before = {pid for pid, d in truth if d < day}
        after = {pid for pid, d in truth if d > day}
        return seen, (before & after) - seen

    # The day with the most of both tiers (so that neither is trivially empty).
    busiest = max(sorted({day for _pid, day in truth}), key=lambda d: min(map(len, open_on(d))))
    on_day, bracketed = open_on(busiest)
    rows = backfilled.csv_rows("active", "--on", busiest.isoformat(), "--evidence", "archive")
    got = {row["posting_id"]: row["tier"] for row in rows}
    assert got == {pid: "observed" for pid in on_day} | {pid: "bracketed" for pid in bracketed}
    assert on_day and bracketed
    for row in rows:
        assert row["sighted_before"][:10] <= busiest.isoformat() <= row["sighted_after"][:10]
        assert row["evidence"].startswith("archive:") and row["capture_url"]


def test_bad_archive_options_are_one_line_and_exit_2(backfilled: Backfilled) -> None:
    for argv in (
        ("trend", "Rekognition", "--evidence", "archive", "--by", "job_category"),
        ("trend", "Rekognition", "--evidence", "archive", "--job-category", "Software"),
        ("history", "amazon_jobs:1", "--part", "sightings"),
        ("history", "amazon_jobs:1", "--evidence", "archive"),
        ("active", "--on", "2026-01-05", "--evidence", "archive", "--by", "job_category"),
    ):
        result = backfilled.cli(*argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# -- the Wilson interval -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, table I, method 3 (score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (5, 10, 0.2366, 0.7634),
    ],
)
def test_wilson_interval_known_values(k: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 1)[0] == 0.0 and wilson_interval(1, 1)[1] == 1.0
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and math.isclose(low, 1 - wilson_interval(0, 10)[1])
    for bad in ((0, 0), (3, 2), (-1, 4)):
        with pytest.raises(ValueError):
            wilson_interval(*bad)


# -- live and archive evidence together (these run last: they add live crawls to the store) ---

LIVE_DAYS = (date(2026, 11, 2), date(2026, 11, 9))


@pytest.fixture(scope="module")
def mixed(backfilled: Backfilled) -> Backfilled:
    """The backfilled store plus two live crawls of the simulated site (seed 31, 600 postings)
    in November 2026, inside the archive's years."""
    import pytest_twisted
    from scrapy.utils.defer import deferred_f_from_coro_f

    from tests.support.crawling import run_crawl
    from tests.support.sim import SimProcess

    sim = SimProcess("--size", "600", "--seed", "31", "--no-warm")
    try:
        for n, day in enumerate(LIVE_DAYS):
            sim.control.set_day(n * 7)
            result = pytest_twisted.blockon(
                deferred_f_from_coro_f(run_crawl)(
                    settings={
                        "MONGO_URI": backfilled.uri,
                        "MONGO_DATABASE": backfilled.db.name,
                        "JOBTRACKER_CLOCK_START": f"{day.isoformat()}T06:00:00Z",
                        "LOG_LEVEL": "WARNING",
                    },
                    base_url=sim.url,
                    _job=f"day{n}",
                )
            )
            assert result.finish_reason == "finished"
    finally:
        sim.stop()
    return backfilled


def mentioned_live(bf: Backfilled) -> str:
    """A tracked phrase that both the live crawls and the archive sightings mention."""
    if bf.live_phrase:
        return bf.live_phrase
    for phrase in (*PHRASES, "facial recognition"):
        live = bf.csv_rows("first-seen", phrase)
        archive = bf.csv_rows("first-seen", phrase, "--evidence", "archive")
        if live and archive:
            bf.live_phrase = phrase
            return phrase
    raise AssertionError("no tracked phrase is mentioned both live and in the archive")


def test_both_labels_the_series_and_leaves_live_empty_before_live_crawling(
    mixed: Backfilled, tmp_path: Path
) -> None:
    phrase = mentioned_live(mixed)
    live = mixed.csv_rows("trend", phrase, "--freq", "week")
    archive = mixed.csv_rows("trend", phrase, "--evidence", "archive", "--freq", "week")
    chart = tmp_path / "both.png"
    result = mixed.cli(
        "trend",
        phrase,
        "--evidence",
        "both",
        "--freq",
        "week",
        "--csv",
        "--plot",
        str(chart),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Live crawling started on {LIVE_DAYS[0]}" in result.stderr
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by_period = {row["period"]: row for row in rows}
    live_by_period = {row["period"]: row for row in live}
    assert sum(int(row["mentioned_while_open"]) for row in live) > 0, "live mentions exist"
    for row in archive:
        assert by_period[row["period"]]["archive_observed"] == row["observed"]
        assert by_period[row["period"]]["archive_share_n"] == row["share_n"]
    for period, row in by_period.items():
        if not period_of(LIVE_DAYS[0], "week") <= date.fromisoformat(period[:10]) <= LIVE_DAYS[-1]:
            assert row["live_mentioned_while_open"] == row["live_ever_mentioned"] == ""
        else:
            assert (
                row["live_mentioned_while_open"] == (live_by_period[period]["mentioned_while_open"])
            )


def test_first_seen_both_keeps_the_earlier_evidence_of_each_posting(mixed: Backfilled) -> None:
    phrase = mentioned_live(mixed)
    live = {r["posting_id"]: r for r in mixed.csv_rows("first-seen", phrase)}
    archive = {
        r["posting_id"]: r for r in mixed.csv_rows("first-seen", phrase, "--evidence", "archive")
    }
    rows = mixed.csv_rows("first-seen", phrase, "--evidence", "both")
    assert live and archive
    assert [r["posting_id"] for r in rows] == sorted(
        {r["posting_id"] for r in rows}, key=lambda p: (stamp(rows, p), p)
    )
    assert {r["posting_id"] for r in rows} == set(live) | set(archive)
    for row in rows:
        pid = row["posting_id"]
        candidates = [
            (datetime.fromisoformat(r["first_seen"]), kind)
            for kind, r in (("live", live.get(pid)), ("archive", archive.get(pid)))
            if r is not None
        ]
        when, kind = min(candidates)
        assert datetime.fromisoformat(row["first_seen"]) == when
        assert row["evidence"].split(":")[0] == kind
        if pid in live:  # the posting's live state stays
            assert row["status"] == live[pid]["status"]


def stamp(rows: list[dict[str, str]], pid: str) -> datetime:
    return next(datetime.fromisoformat(r["first_seen"]) for r in rows if r["posting_id"] == pid)


def test_live_output_is_the_same_with_an_archive_in_the_store(mixed: Backfilled) -> None:
    phrase = mentioned_live(mixed)
    plain = mixed.cli("first-seen", phrase, "--csv")
    live = mixed.cli("first-seen", phrase, "--csv", "--evidence", "live")
    assert plain.returncode == live.returncode == 0
    assert plain.stdout == live.stdout and "evidence" not in plain.stdout.splitlines()[0]
