"""The research interface against a brute-force reading of the simulator's ground truth.

One multi-day history is built once for the module: a private simulator (3,000 postings,
seed 31) is crawled on 12 simulated days into a real MongoDB (the test server, or
``$MONGO_URI``), each crawl's clock set to its simulated day. The ground truth of every day
(the live postings and their full job objects) is kept beside it.

The brute force never reads the store: it replays the lifecycle rules of docs/store.md over the
daily truth (a posting missed by two complete runs in a row is closed at the first miss; one
missed run keeps it open), matches phrases with its own tokenizer (not the regex of
``jobtracker.research.text``), and counts postings per period, group and day directly. Every
command's numbers are compared with it exactly.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
import pytest_twisted
from pymongo import MongoClient
from pymongo.database import Database
from scrapy.utils.defer import deferred_f_from_coro_f

from jobtracker.cli import main
from jobtracker.normalize import classify_role, html_to_text
from jobtracker.research import (
    active,
    export,
    first_seen,
    history,
    panel,
    plot_trend,
    runs,
    trend,
)
from tests.support.crawling import run_crawl
from tests.support.sim import SimProcess

DAYS = range(12)
SIZE, SEED = 3000, 31
TEXTS = ("title", "description_text", "basic_qualifications_text", "preferred_qualifications_text")
FIELD_TEXTS = {
    "title": ("title",),
    "description": ("description_text",),
    "qualifications": ("basic_qualifications_text", "preferred_qualifications_text"),
}
GROUPINGS = (None, "country", "role_family", "job_category", "business_category")
FREQS = ("day", "week", "month")
#: Content fields of a version (what the store hashes), for version numbers and diffs.
CONTENT = (
    *TEXTS,
    "job_category",
    "job_family",
    "business_category",
    "team",
    "company_name",
    "schedule_type",
    "location_raw",
    "locations_raw",
    "posted_date_raw",
)


# -- the ground truth ------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """What the site served for one revision of a posting."""

    fields: dict[str, Any]
    country: str
    job_category: str
    business_category: str
    role_family: str | None
    posted_date: date

    @property
    def key(self) -> tuple:
        """Content identity: fields with whitespace runs collapsed (a trailing space is no edit)."""
        return tuple(_norm(self.fields[name]) for name in CONTENT)

    def group(self, by: str | None) -> str | None:
        if by is None:
            return None
        value = {
            "country": self.country,
            "role_family": self.role_family,
            "job_category": self.job_category,
            "business_category": self.business_category,
        }[by]
        return value or "unknown"


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_norm(v) for v in value)
    return " ".join(str(value or "").split())


def content_of(job: dict[str, Any]) -> Content:
    team = job.get("team")
    fields = {
        "title": (job.get("title") or "").strip(),
        "description_text": html_to_text(job.get("description")),
        "basic_qualifications_text": html_to_text(job.get("basic_qualifications")),
        "preferred_qualifications_text": html_to_text(job.get("preferred_qualifications")),
        "job_category": job.get("job_category"),
        "job_family": job.get("job_family"),
        "business_category": job.get("business_category"),
        "team": team.get("label") if isinstance(team, dict) else None,
        "company_name": job.get("company_name"),
        "schedule_type": job.get("job_schedule_type"),
        "location_raw": job.get("location"),
        "locations_raw": list(job.get("locations") or []),
        "posted_date_raw": job.get("posted_date"),
    }
    family = classify_role(
        job.get("job_category"), job.get("job_family"), job.get("business_category"), job["title"]
    ).role_family
    return Content(
        fields=fields,
        country=job["country_code"],
        job_category=job["job_category"],
        business_category=job["business_category"],
        role_family=family,
        posted_date=pd.Timestamp(" ".join(job["posted_date"].split())).date(),
    )


@dataclass
class Life:
    """One posting as the lifecycle rules imply it, in simulated days."""

    first: int
    last: int
    status: str = "open"
    closed: int | None = None
    missing: int | None = None
    spans: list[list[int | None]] = field(default_factory=list)

    def open_days(self) -> list[int]:
        days: list[int] = []
        for start, end in self.spans:
            days.extend(range(start, (self.last if end is None else end) + 1))
        return days


@dataclass
class Truth:
    dates: dict[int, date]
    live: dict[int, dict[str, int]]  # day -> {id_icims: revision}
    contents: dict[tuple[str, int], Content]
    lives: dict[str, Life] = field(default_factory=dict)
    runs: dict[int, Counter] = field(default_factory=dict)  # what each day's run changed

    def __post_init__(self) -> None:
        self.lives, self.runs = replay(self.live, self.content_key)
        self._versions: dict[str, list[tuple[int, Content]]] = {}
        self._at: dict[tuple[str, int], Content] = {}

    def content_key(self, pid: str, day: int) -> tuple:
        return self.contents[(pid, self.live[day][pid])].key

    def content_at(self, pid: str, day: int) -> Content:
        """The content current on ``day``: from the last day on or before it the posting was
        live (a day inside a span the posting was missed on keeps the earlier content)."""
        got = self._at.get((pid, day))
        if got is None:
            for d in range(day, -1, -1):
                rev = self.live[d].get(pid)
                if rev is not None:
                    got = self._at[(pid, day)] = self.contents[(pid, rev)]
                    break
            else:
                raise AssertionError(f"{pid} not seen by day {day}")
        return got

    def versions(self, pid: str) -> list[tuple[int, Content]]:
        """(first day, content) of each version: a new one whenever the content changes."""
        if pid in self._versions:
            return self._versions[pid]
        out: list[tuple[int, Content]] = []
        self._versions[pid] = out
        for day in DAYS:
            rev = self.live[day].get(pid)
            if rev is None:
                continue
            content = self.contents[(pid, rev)]
            if not out or out[-1][1].key != content.key:
                out.append((day, content))
        return out

    def version_at(self, pid: str, day: int) -> int:
        return sum(1 for first, _ in self.versions(pid) if first <= day)

    def open_on(self, day: int) -> set[str]:
        return {pid for pid, life in self.lives.items() if day in life.open_days()}


def replay(
    live: dict[int, dict[str, int]], key: Callable[[str, int], tuple]
) -> tuple[dict[str, Life], dict[int, Counter]]:
    """The lifecycle rules of docs/store.md over complete daily runs."""
    lives: dict[str, Life] = {}
    previous: dict[str, tuple] = {}
    changes: dict[int, Counter] = {}
    for day in DAYS:
        counter: Counter = Counter()
        for pid in live[day]:
            life = lives.get(pid)
            content = key(pid, day)
            if life is None:
                lives[pid] = Life(first=day, last=day, spans=[[day, None]])
                counter["new"] += 1
            else:
                if life.status == "closed":
                    life.status, life.closed = "open", None
                    life.spans.append([day, None])
                    counter["reopened"] += 1
                if previous[pid] != content:
                    counter["updated"] += 1
                life.missing = None
                life.last = day
            previous[pid] = content
        for pid, life in lives.items():
            if pid in live[day] or life.status == "closed":
                continue
            if life.missing is None:
                life.missing = day
                counter["marked_missing"] += 1
            else:
                life.status, life.closed = "closed", life.missing
                life.spans[-1][1] = life.last
                life.missing = None
                counter["closed"] += 1
        changes[day] = counter
    return lives, changes


# -- phrase matching, written independently of jobtracker.research.text ------------------------

_WORD = "0-9A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_SPLIT = re.compile(f"([^{_WORD}]+)")


@functools.cache
def _tokens(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    parts = _SPLIT.split(text or "")
    return tuple(p.lower() for p in parts[0::2]), tuple(parts[1::2])


def mentions_text(text: str, phrase: str) -> bool:
    """Whole words, case-insensitive, words separated by whitespace only: by tokenizing."""
    words = [w.lower() for w in phrase.split()]
    tokens, seps = _tokens(text)
    if words[0] not in tokens:
        return False
    for i in range(len(tokens) - len(words) + 1):
        if tokens[i] != words[0] or list(tokens[i : i + len(words)]) != words:
            continue
        if all(not seps[i + k].strip() for k in range(len(words) - 1)):
            return True
    return False


_MENTIONS: dict[tuple[int, str, tuple[str, ...]], bool] = {}


def mentions(content: Content, phrase: str, fields: tuple[str, ...] = TEXTS) -> bool:
    key = (id(content), phrase, fields)
    if key not in _MENTIONS:
        _MENTIONS[key] = any(mentions_text(content.fields[name], phrase) for name in fields)
    return _MENTIONS[key]


def period_of(day: date, freq: str) -> date:
    if freq == "week":
        return day - timedelta(days=day.weekday())
    if freq == "month":
        return day.replace(day=1)
    return day


def expected_trend(
    truth: Truth,
    phrase: str,
    *,
    freq: str,
    by: str | None,
    fields: tuple[str, ...] = TEXTS,
    since: int | None = None,
    until: int | None = None,
    keep: Callable[[Content], bool] = lambda c: True,
) -> Counter:
    """(metric, period, group) -> distinct postings, counted day by day."""
    lo = DAYS[0] if since is None else since
    hi = DAYS[-1] if until is None else until
    counts: Counter = Counter()
    for pid, life in truth.lives.items():
        keys = set()
        mentioned_on = [first for first, c in truth.versions(pid) if mentions(c, phrase, fields)]
        for day in life.open_days():
            if not lo <= day <= hi:
                continue
            content = truth.content_at(pid, day)
            if not keep(content):
                continue
            now = mentions(content, phrase, fields)
            ever = bool(mentioned_on) and mentioned_on[0] <= day  # seen by then
            period = period_of(truth.dates[day], freq)
            if now:
                keys.add(("mentioned_while_open", period, content.group(by)))
            if ever:
                keys.add(("ever_mentioned", period, content.group(by)))
        counts.update(keys)
    return counts


def frame_counts(frame: pd.DataFrame, by: str | None) -> Counter:
    counts: Counter = Counter()
    for row in frame.to_dict("records"):
        group = row[by] if by else None
        for metric in ("mentioned_while_open", "ever_mentioned"):
            if row[metric]:
                counts[(metric, row["period"].date(), group)] = row[metric]
    return counts


# -- the module's history ---------------------------------------------------------------------


@dataclass
class History:
    db: Database
    uri: str
    truth: Truth

    def cli(self, *argv: str) -> list[str]:
        return [*argv, "--mongo-uri", self.uri, "--database", self.db.name]


def crawl(**kwargs: Any) -> Any:
    """``run_crawl`` from synchronous code (a module fixture), on the test reactor."""
    return pytest_twisted.blockon(deferred_f_from_coro_f(run_crawl)(**kwargs))


@pytest.fixture(scope="module")
def hist(mongo_uri: str) -> Iterator[History]:
    sim = SimProcess("--size", str(SIZE), "--seed", str(SEED), "--no-warm")
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=10_000)
    name = f"test_research_{uuid.uuid4().hex[:8]}"
    db = client[name]
    try:
        dates: dict[int, date] = {}
        live: dict[int, dict[str, int]] = {}
        contents: dict[tuple[str, int], Content] = {}
        for day in DAYS:
            state = sim.control.set_day(day)
            dates[day] = date.fromisoformat(state["date"])
            live[day] = {}
            for record in sim.control.truth(day, jobs=True):
                pid = f"amazon_jobs:{record['id_icims']}"
                live[day][pid] = record["revision"]
                if (pid, record["revision"]) not in contents:
                    contents[(pid, record["revision"])] = content_of(record["job"])
            result = crawl(
                settings={
                    "MONGO_URI": mongo_uri,
                    "MONGO_DATABASE": name,
                    "JOBTRACKER_CLOCK_START": f"{dates[day].isoformat()}T06:00:00Z",
                    "LOG_LEVEL": "WARNING",
                },
                base_url=sim.url,
                _job=f"day{day}",
            )
            assert result.finish_reason == "finished"
            assert result.stats["jobtracker/run_complete"] is True
        yield History(db, mongo_uri, Truth(dates, live, contents))
    finally:
        try:
            client.drop_database(name)
        finally:
            client.close()
            sim.stop()


# -- sanity of the history itself --------------------------------------------------------------


def test_the_history_has_what_the_comparisons_need(hist: History) -> None:
    truth = hist.truth
    lives = truth.lives.values()
    assert sum(life.status == "closed" for life in lives) >= 20
    assert sum(len(life.spans) > 1 for life in lives) >= 1, "a reopened posting"
    missed_once = [
        pid
        for pid, life in truth.lives.items()
        if any(pid not in truth.live[d] for d in life.open_days())
    ]
    assert missed_once, "a posting missed by one run (open by the rules, not live that day)"
    assert sum(len(truth.versions(pid)) > 1 for pid in truth.lives) >= 20, "edited postings"
    assert hist.db.postings.count_documents({}) == len(truth.lives)


# -- trend -----------------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", ["rekognition", "computer vision", "manager"])
def test_trend_matches_brute_force_for_every_grouping_and_frequency(
    hist: History, phrase: str
) -> None:
    truth = hist.truth
    first, last = truth.dates[DAYS[0]], truth.dates[DAYS[-1]]
    for freq in FREQS:
        for by in GROUPINGS:
            frame = trend(hist.db, phrase, freq=freq, by=by)
            want = expected_trend(truth, phrase, freq=freq, by=by)
            assert frame_counts(frame, by) == want, (phrase, freq, by)
            # A continuous index of periods, zeros included, from the first to the last day.
            periods = sorted({p.date() for p in frame["period"]})
            expected_periods = sorted(
                {period_of(first + timedelta(days=k), freq) for k in range((last - first).days + 1)}
            )
            if by is None or want:
                assert periods == expected_periods, (freq, by)
            if by is not None:
                groups = {g for (_m, _p, g) in want}
                assert set(frame[by]) == groups
                assert len(frame) == len(groups) * len(expected_periods)
    assert frame.attrs["phrase"] == phrase


def test_trend_distinguishes_mentioned_while_open_from_ever_mentioned(hist: History) -> None:
    frame = trend(hist.db, "manager", freq="day")
    assert (frame["ever_mentioned"] >= frame["mentioned_while_open"]).all()
    assert (frame["ever_mentioned"] > frame["mentioned_while_open"]).any(), (
        "a posting whose edit removed the phrase still counts as ever mentioned"
    )


def test_trend_fields_range_and_filters(hist: History) -> None:
    truth = hist.truth
    cases = [
        ("manager", ("title",)),
        ("manager", ("description", "qualifications")),
        ("SQL", ("qualifications",)),
    ]
    for phrase, names in cases:
        fields = tuple(f for name in names for f in FIELD_TEXTS[name])
        frame = trend(hist.db, phrase, freq="day", by="country", fields=list(names))
        assert frame_counts(frame, "country") == expected_trend(
            truth, phrase, freq="day", by="country", fields=fields
        )
    # A range inside the history: edge weeks count only the days inside it.
    since, until = 3, 9
    frame = trend(
        hist.db, "computer vision", freq="week", since=truth.dates[since], until=truth.dates[until]
    )
    assert frame_counts(frame, None) == expected_trend(
        truth, "computer vision", freq="week", by=None, since=since, until=until
    )
    assert frame["period"].iloc[0].date() == period_of(truth.dates[since], "week")
    # Filters on the then-current version.
    frame = trend(
        hist.db,
        "manager",
        freq="week",
        by="role_family",
        countries=["US", "Japan"],
        job_categories=["Software Development"],
    )
    want = expected_trend(
        truth,
        "manager",
        freq="week",
        by="role_family",
        keep=lambda c: c.country in {"USA", "JPN"} and c.job_category == "Software Development",
    )
    assert want and frame_counts(frame, "role_family") == want


def test_trend_of_a_phrase_nobody_uses_is_all_zeros(hist: History) -> None:
    frame = trend(hist.db, "zyzzyva quux", freq="day")
    assert len(frame) == len(DAYS)
    assert frame["mentioned_while_open"].sum() == frame["ever_mentioned"].sum() == 0
    assert trend(hist.db, "zyzzyva", by="country").empty


# -- first seen ------------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", ["Rekognition", "computer vision"])
def test_first_seen_matches_brute_force(hist: History, phrase: str) -> None:
    truth = hist.truth
    want = {}
    for pid, life in truth.lives.items():
        for day in DAYS:
            if pid in truth.live[day] and mentions(truth.content_at(pid, day), phrase):
                content = truth.content_at(pid, day)
                want[pid] = {
                    "first_seen": truth.dates[day],
                    "status": life.status,
                    "closed_at": truth.dates[life.closed] if life.closed is not None else None,
                    "mentions_now": mentions(truth.content_at(pid, life.last), phrase),
                    "country_code": content.country,
                    "business_category": content.business_category,
                    "posted_date": content.posted_date,
                    "version": truth.version_at(pid, day),
                }
                break
    frame = first_seen(hist.db, phrase)
    assert len(want) >= 5
    got = {}
    for row in frame.to_dict("records"):
        got[row["posting_id"]] = {
            "first_seen": row["first_seen"].date(),
            "status": row["status"],
            "closed_at": None if pd.isna(row["closed_at"]) else row["closed_at"].date(),
            "mentions_now": row["mentions_now"],
            "country_code": row["country_code"],
            "business_category": row["business_category"],
            "posted_date": row["posted_date"],
            "version": row["version"],
        }
        assert phrase.lower() in " ".join(row["snippet"].lower().split()), row["snippet"]
    assert got == want
    assert frame["first_seen"].is_monotonic_increasing, "earliest first"


# -- active on a date ------------------------------------------------------------------------


def test_active_on_a_date_matches_brute_force(hist: History) -> None:
    truth = hist.truth
    missed = next(
        (pid, d)
        for pid, life in sorted(truth.lives.items())
        for d in life.open_days()
        if pid not in truth.live[d]
    )
    for day in sorted({0, 5, DAYS[-1], missed[1]}):
        frame = active(hist.db, truth.dates[day])
        want = {
            pid: (
                truth.version_at(pid, day),
                truth.content_at(pid, day).fields["title"],
                truth.content_at(pid, day).country,
                truth.content_at(pid, day).job_category,
                truth.content_at(pid, day).role_family,
            )
            for pid in truth.open_on(day)
        }
        got = {
            row["posting_id"]: (
                row["version"],
                row["title"],
                row["country_code"],
                row["job_category"],
                row["role_family"],
            )
            for row in frame.to_dict("records")
        }
        assert got == want, day
    assert missed[0] in set(active(hist.db, truth.dates[missed[1]])["posting_id"])
    # Filters and a phrase apply to the version current that day.
    day = 7
    frame = active(hist.db, truth.dates[day], phrase="computer vision", countries=["USA"])
    want_ids = {
        pid
        for pid in truth.open_on(day)
        if truth.content_at(pid, day).country == "USA"
        and mentions(truth.content_at(pid, day), "computer vision")
    }
    assert want_ids and set(frame["posting_id"]) == want_ids
    before = truth.dates[0] - timedelta(days=1)
    assert active(hist.db, before).empty


# -- history ---------------------------------------------------------------------------------


def test_history_spans_versions_and_diffs_match_brute_force(hist: History) -> None:
    truth = hist.truth
    edited = sorted(pid for pid in truth.lives if len(truth.versions(pid)) > 1)
    reopened = sorted(pid for pid, life in truth.lives.items() if len(life.spans) > 1)
    sample = edited[:12] + reopened[:3]
    checked_fields: Counter = Counter()
    for pid in sample:
        result = history(hist.db, pid)
        life = truth.lives[pid]
        spans = [
            (
                row["from"].date(),
                None if pd.isna(row["to"]) else row["to"].date(),
                row["open_through"].date(),
            )
            for row in result.spans.to_dict("records")
        ]
        assert spans == [
            (
                truth.dates[s],
                truth.dates[e] if e is not None else None,
                truth.dates[e if e is not None else life.last],
            )
            for s, e in life.spans
        ]
        versions = truth.versions(pid)
        assert [v.date() for v in result.versions["first_seen_at"]] == [
            truth.dates[first] for first, _ in versions
        ]
        assert list(result.versions["version"]) == list(range(1, len(versions) + 1))
        want_diffs = {}
        for k in range(1, len(versions)):
            old, new = versions[k - 1][1], versions[k][1]
            for name in CONTENT:
                if _norm(old.fields[name]) != _norm(new.fields[name]):
                    want_diffs[(k, k + 1, name)] = (old.fields[name], new.fields[name])
        got_diffs = {
            (row["from_version"], row["to_version"], row["field"]): row
            for row in result.diffs.to_dict("records")
        }
        assert set(got_diffs) == set(want_diffs), pid
        for key, (old, new) in want_diffs.items():
            row = got_diffs[key]
            if key[2] in TEXTS or key[2] in ("job_category", "business_category"):
                assert (row["old"], row["new"]) == (old, new)
                checked_fields[key[2]] += 1
            assert row["diff"]
        text = result.render()
        assert f"Posting {pid}" in text
        for k in range(1, len(versions)):
            assert f"v{k} -> v{k + 1}" in text
    assert checked_fields["description_text"] and checked_fields["title"]


def test_history_accepts_the_site_id_and_rejects_unknown_ids(hist: History) -> None:
    pid = sorted(hist.truth.lives)[0]
    assert history(hist.db, pid.split(":", 1)[1]).posting["_id"] == pid
    with pytest.raises(LookupError, match="no posting"):
        history(hist.db, "amazon_jobs:0")


# -- runs ------------------------------------------------------------------------------------


def test_runs_report_what_each_run_changed(hist: History) -> None:
    truth = hist.truth
    frame = runs(hist.db, limit=None)
    assert list(frame["run_id"]) == [f"day{d}" for d in reversed(DAYS)], "newest first"
    for row in frame.to_dict("records"):
        day = int(row["run_id"].removeprefix("day"))
        want = truth.runs[day]
        assert row["started_at"].date() == truth.dates[day]
        assert row["postings_seen"] == len(truth.live[day])
        assert row["complete"] is True and row["finish_reason"] == "finished"
        assert row["partitions"] == row["partitions_complete"] > 1
        for name in ("new", "updated", "reopened", "marked_missing", "closed"):
            assert row[name] == want[name], (day, name)
        assert row["scope"] == "all" and row["closure"] == "applied"
    assert len(runs(hist.db, limit=3)) == 3
    only = runs(hist.db, since=truth.dates[2], until=truth.dates[4], limit=None)
    assert list(only["run_id"]) == ["day4", "day3", "day2"]


# -- exports ---------------------------------------------------------------------------------


def expected_panel(truth: Truth, phrase: str | None = None) -> dict[tuple[str, str], tuple]:
    rows = {}
    for pid, life in truth.lives.items():
        for day in life.open_days():
            content = truth.content_at(pid, day)
            value = (truth.version_at(pid, day), content.country, content.role_family)
            if phrase:
                value = (*value, mentions(content, phrase))
            rows[(truth.dates[day].isoformat(), pid)] = value
    return rows


def _panel_key(row: dict[str, Any], phrase: bool) -> tuple[tuple[str, str], tuple]:
    day = row["date"]
    day = day.isoformat() if isinstance(day, date) else str(day)[:10]
    value = (int(row["version"]), row["country_code"], row["role_family"] or None)
    if phrase:
        mention = row["mentions"]
        value = (*value, mention if isinstance(mention, bool) else mention == "true")
    return (day, row["posting_id"]), value


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_panel_export_matches_brute_force(hist: History, tmp_path, fmt: str) -> None:
    truth = hist.truth
    path = tmp_path / f"panel.{fmt}"
    phrase = "computer vision" if fmt == "jsonl" else None
    result = export(hist.db, "panel", fmt, path, phrase=phrase)
    want = expected_panel(truth, phrase)
    assert result.rows == len(want) and path.exists()
    if fmt == "csv":
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    elif fmt == "parquet":
        table = pq.read_table(path)
        assert str(table.schema.field("date").type) == "date32[day]"
        rows = table.to_pylist()
    else:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
    got = dict(_panel_key(row, bool(phrase)) for row in rows)
    assert len(got) == len(rows), "one row per posting per day"
    assert got == want
    # A sub-range through the function.
    frame = panel(hist.db, since=truth.dates[4], until=truth.dates[6])
    assert len(frame) == sum(1 for (day, _pid) in want if "2026-07-05" <= day <= "2026-07-07")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_postings_versions_and_runs_exports(hist: History, tmp_path, fmt: str) -> None:
    truth = hist.truth
    counts = {}
    for what in ("postings", "versions", "runs"):
        path = tmp_path / f"{what}.{fmt}"
        counts[what] = export(hist.db, what, fmt, path).rows
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        elif fmt == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_json(path, lines=True, dtype=False)
        assert len(frame) == counts[what]
        if what == "postings":
            for row in frame.head(300).to_dict("records"):
                life = truth.lives[row["posting_id"]]
                assert row["status"] == life.status
                assert int(row["days_open"]) == len(life.open_days())
                assert str(row["first_seen_at"])[:10] == truth.dates[life.first].isoformat()
    assert counts["postings"] == len(truth.lives)
    assert counts["versions"] == sum(len(truth.versions(pid)) for pid in truth.lives)
    assert counts["runs"] == len(DAYS)


# -- the command line ------------------------------------------------------------------------


def test_cli_trend_table_csv_json_and_plot(hist: History, capsys, tmp_path) -> None:
    truth = hist.truth
    want = expected_trend(truth, "computer vision", freq="day", by="country")
    assert (
        main(hist.cli("trend", "computer vision", "--by", "country", "--freq", "day", "--csv")) == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    got = Counter()
    for row in rows:
        for metric in ("mentioned_while_open", "ever_mentioned"):
            if int(row[metric]):
                got[(metric, date.fromisoformat(row["period"]), row["country"])] = int(row[metric])
    assert got == want

    assert main(hist.cli("trend", "Computer Vision", "--freq", "week", "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    weekly = expected_trend(truth, "computer vision", freq="week", by=None)
    assert {(r["period"], r["mentioned_while_open"]) for r in data} == {
        (p.isoformat(), n) for (m, p, _g), n in weekly.items() if m == "mentioned_while_open"
    }

    png = tmp_path / "trend.png"
    code = main(hist.cli("trend", "computer vision", "--by", "country", "--plot", str(png)))
    out = capsys.readouterr().out
    assert code == 0
    assert "USA" in out and "period" in out and "Open postings mentioning" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_cli_first_seen_active_history_runs_export(hist: History, capsys, tmp_path) -> None:
    truth = hist.truth
    assert main(hist.cli("first-seen", "Rekognition", "--csv")) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["posting_id"] for r in rows} == set(first_seen(hist.db, "Rekognition")["posting_id"])
    assert main(hist.cli("first-seen", "Rekognition")) == 0
    assert "Rekognition" in capsys.readouterr().out

    day = truth.dates[5]
    assert main(hist.cli("active", "--on", day.isoformat(), "--by", "country", "--json")) == 0
    counts = {r["country_code"]: r["postings"] for r in json.loads(capsys.readouterr().out)}
    want = Counter(truth.content_at(pid, 5).country for pid in truth.open_on(5))
    assert counts == dict(want)
    assert main(hist.cli("active", "--on", day.isoformat())) == 0
    out = capsys.readouterr().out
    assert f"{len(truth.open_on(5))} postings open on {day}" in out

    pid = sorted(pid for pid in truth.lives if len(truth.versions(pid)) > 1)[0]
    assert main(hist.cli("history", pid)) == 0
    assert "v1 -> v2" in capsys.readouterr().out
    assert main(hist.cli("history", pid, "--json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["posting"]["_id"] == pid and len(data["versions"]) == len(truth.versions(pid))

    assert main(hist.cli("runs", "--limit", "0", "--csv")) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [int(r["new"]) for r in rows] == [truth.runs[d]["new"] for d in reversed(DAYS)]
    assert main(hist.cli("runs")) == 0
    assert "day11" in capsys.readouterr().out

    path = tmp_path / "postings.parquet"
    assert main(hist.cli("export", "--what", "postings", "-o", str(path))) == 0
    assert f"Wrote {len(truth.lives):,} postings rows as parquet" in capsys.readouterr().out
    assert pq.read_metadata(path).num_rows == len(truth.lives)


def test_cli_bad_input_is_one_line_and_exit_2(hist: History, capsys) -> None:
    cases = [
        ("trend", "vision", "--since", "2026-02-30"),
        ("trend", "vision", "--since", "2026-07-09", "--until", "2026-07-01"),
        ("trend", "   "),
        ("trend", "vision", "--countries", "Atlantis"),
        ("trend", "vision", "--source", "amazon_jobs,linkedin"),
        ("trend", "vision", "--field", "body"),
        ("active", "--on", "yesterday"),
        ("history", "amazon_jobs:0"),
        ("export", "--what", "runs", "--format", "parquet", "-o", "-"),
        ("export", "--what", "postings", "--since", "2026-07-01", "-o", "x.csv"),
    ]
    for argv in cases:
        assert main(hist.cli(*argv)) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err, (argv, err)


def test_cli_unreachable_mongodb_exits_1(capsys, monkeypatch) -> None:
    monkeypatch.setattr("jobtracker.research.connection.TIMEOUT_MS", 500)
    assert main(["runs", "--mongo-uri", "mongodb://127.0.0.1:9/"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach MongoDB at mongodb://127.0.0.1:9/" in err


def test_plot_of_an_ungrouped_trend(hist: History, tmp_path) -> None:
    frame = trend(hist.db, "manager", freq="day")
    path = plot_trend(frame, tmp_path / "sub" / "manager.png", metric="ever_mentioned")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_research_answer_says_which_rules_derived_its_fields(hist: History, capsys) -> None:
    from jobtracker.derived import NORMALIZER_VERSION

    assert main(hist.cli("trend", "computer vision", "--csv")) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == f"Derived fields by the rules {NORMALIZER_VERSION}."
    assert "Derived" not in captured.out, "CSV stays CSV"

    oldest = hist.db.posting_versions.find_one(sort=[("_id", 1)])
    hist.db.posting_versions.update_one({"_id": oldest["_id"]}, {"$set": {"normalizer": "x/1"}})
    try:
        assert main(hist.cli("first-seen", "Rekognition")) == 0
        err = capsys.readouterr().err
        assert "except 1 version derived by older rules" in err and "renormalize" in err
    finally:
        hist.db.posting_versions.update_one(
            {"_id": oldest["_id"]}, {"$set": {"normalizer": NORMALIZER_VERSION}}
        )
