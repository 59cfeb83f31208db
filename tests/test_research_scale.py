"""The research answers at scale, cell by cell, against a brute-force count from the truth.

A simulated history (``jobsim.history``: about 3,500 postings over 60 daily runs,
written in bulk in the documented schema into the MongoDB test server) has postings edited to
add or drop a tracked phrase, postings that move to another country or job category (so role
family), postings missed by one run (still open), closed and reopened postings. The brute
force never reads the store: it replays the lifecycle rules over the days each posting was
seen, takes the content current on each day from the truth, matches phrases with its own
tokenizer, and counts day by day. ``trend`` (every frequency, by country, role family and
none), ``active``, the panel and ``first-seen`` must equal it in every cell.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import pandas as pd
import pytest
from pymongo import MongoClient

from jobsim.history import (
    START,
    Content,
    PostingTruth,
    generate,
    run_start,
    sighting,
    write_history,
)
from jobtracker.normalize import classify_role
from jobtracker.research import active, export, first_seen, panel, trend
from jobtracker.store.verify import verify_store

DAYS, BOARD, SEED = 60, 3000, 7
PHRASES = ("rekognition", "computer vision")


def day_date(day: int) -> date:
    return (START + timedelta(days=day)).date()


# -- the brute force -----------------------------------------------------------------------------

_SEPARATORS = re.compile("([^0-9A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+)")


@cache
def _tokens(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    parts = _SEPARATORS.split(text)
    return tuple(p.lower() for p in parts[0::2]), tuple(parts[1::2])


def mentions_text(text: str, phrase: str) -> bool:
    """Whole words, case-insensitive, separated by whitespace only: by tokenizing."""
    words = phrase.lower().split()
    tokens, seps = _tokens(text)
    for i in range(len(tokens) - len(words) + 1):
        if list(tokens[i : i + len(words)]) == words and all(
            not seps[i + k].strip() for k in range(len(words) - 1)
        ):
            return True
    return False


@cache
def mentions(content: Content, phrase: str) -> bool:
    texts = (content.title, content.description, content.basic, content.preferred)
    return any(mentions_text(text, phrase) for text in texts)


@cache
def role_family(content: Content) -> str | None:
    return classify_role(
        content.job_category, content.job_family, content.business_category, content.title
    ).role_family


def open_days(posting: PostingTruth) -> list[int]:
    """The lifecycle rules, day by day: one missed run keeps a posting open (the missed day is
    an open day once it is seen again); a second miss closes it after its last sighting."""
    seen = set(posting.seen)
    days: list[int] = []
    pending: list[int] = []  # missed days of a span still open
    is_open = False
    for day in range(DAYS):
        if day in seen:
            days.extend(pending)
            days.append(day)
            pending, is_open = [], True
        elif is_open:
            pending.append(day)
            if len(pending) == 2:
                pending, is_open = [], False
    return days


def group(content: Content, by: str | None) -> str | None:
    if by is None:
        return None
    value = content.country_code if by == "country" else role_family(content)
    return value or "unknown"


def period_of(day: date, freq: str) -> date:
    if freq == "week":
        return day - timedelta(days=day.weekday())
    if freq == "month":
        return day.replace(day=1)
    return day


@dataclass
class Truth:
    postings: list[PostingTruth]

    def __post_init__(self) -> None:
        self.open = {p.pid: open_days(p) for p in self.postings}

    def version_on(self, posting: PostingTruth, day: int) -> tuple[int, Content]:
        number = sum(1 for first, _ in posting.revisions if first <= day)
        return number, posting.revisions[number - 1][1]

    def trend(self, phrase: str, freq: str, by: str | None) -> Counter:
        counts: Counter = Counter()
        for posting in self.postings:
            first_mention = min(
                (first for first, c in posting.revisions if mentions(c, phrase)), default=None
            )
            keys = set()
            for day in self.open[posting.pid]:
                _, content = self.version_on(posting, day)
                period = period_of(day_date(day), freq)
                if mentions(content, phrase):
                    keys.add(("mentioned_while_open", period, group(content, by)))
                if first_mention is not None and first_mention <= day:
                    keys.add(("ever_mentioned", period, group(content, by)))
            counts.update(keys)
        return counts

    def panel(self, phrase: str) -> dict[tuple[date, str], tuple]:
        rows = {}
        for posting in self.postings:
            for day in self.open[posting.pid]:
                number, content = self.version_on(posting, day)
                rows[(day_date(day), posting.pid)] = (
                    number,
                    content.country_code,
                    role_family(content),
                    mentions(content, phrase),
                )
        return rows

    def first_seen(self, phrase: str) -> dict[str, tuple]:
        """Per posting that ever mentioned the phrase: its first mentioning version (number,
        first sighting, title, country), whether its last version still mentions it, the
        posting's first sighting and status."""
        rows = {}
        for posting in self.postings:
            number = next(
                (n for n, (_, c) in enumerate(posting.revisions, 1) if mentions(c, phrase)), None
            )
            if number is None:
                continue
            day, content = posting.revisions[number - 1]
            rows[posting.pid] = (
                number,
                sighting(day, posting.minute),
                content.title,
                content.country_code,
                mentions(posting.revisions[-1][1], phrase),
                sighting(posting.seen[0], posting.minute),
                "closed" if posting.seen[-1] < DAYS - 2 else "open",
            )
        return rows


@pytest.fixture(scope="module")
def scale(mongo_uri: str) -> Iterator[tuple[object, Truth]]:
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=10_000)
    name = "test_research_scale"
    client.drop_database(name)
    try:
        db = client[name]
        write_history(db, DAYS, BOARD, SEED)
        yield db, Truth(list(generate(DAYS, BOARD, SEED)))
    finally:
        client.drop_database(name)
        client.close()


def frame_counts(frame: pd.DataFrame, by: str | None) -> Counter:
    counts: Counter = Counter()
    for row in frame.to_dict("records"):
        for metric in ("mentioned_while_open", "ever_mentioned"):
            if row[metric]:
                counts[(metric, row["period"].date(), row[by] if by else None)] = row[metric]
    return counts


# -- the history has what the comparisons need ---------------------------------------------------


def test_the_history_has_edits_moves_misses_and_reopenings(scale) -> None:
    db, truth = scale
    changed: Counter = Counter()
    for posting in truth.postings:
        contents = [c for _, c in posting.revisions]
        for old, new in itertools.pairwise(contents):
            for phrase in PHRASES:
                if mentions(old, phrase) != mentions(new, phrase):
                    changed[(phrase, "added" if mentions(new, phrase) else "dropped")] += 1
            changed["country"] += old.country_code != new.country_code
            changed["role family"] += role_family(old) != role_family(new)
        days = truth.open[posting.pid]
        changed["missed once, still open"] += len(days) > len(posting.seen)
        changed["reopened"] += any(b - a > 2 for a, b in itertools.pairwise(posting.seen))
        changed["closed"] += posting.seen[-1] < DAYS - 2
    for phrase in PHRASES:
        assert changed[(phrase, "added")] >= 3 and changed[(phrase, "dropped")] >= 3, changed
    for what in ("country", "role family", "missed once, still open", "reopened", "closed"):
        assert changed[what] >= 3, (what, changed)
    assert db.postings.count_documents({}) == len(truth.postings) >= BOARD
    # The documents are what the store's own code would have written: its invariants hold.
    report = verify_store(db, now=run_start(DAYS), stale_after=timedelta(hours=12))
    assert report.clean, report.lines()


# -- the comparisons ----------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", PHRASES)
def test_trend_equals_the_brute_force_in_every_cell(scale, phrase: str) -> None:
    db, truth = scale
    for freq in ("day", "week", "month"):
        for by in (None, "country", "role_family"):
            want = truth.trend(phrase, freq, by)
            got = frame_counts(trend(db, phrase, freq=freq, by=by), by)
            assert want, (freq, by)
            assert got == want, (freq, by, set(got.items()) ^ set(want.items()))


def test_active_equals_the_brute_force(scale) -> None:
    db, truth = scale
    missed = next(
        day
        for p in truth.postings
        for day in truth.open[p.pid]
        if day not in set(p.seen) and day > 0
    )
    for day in sorted({0, 17, missed, DAYS - 1}):
        want = {}
        for posting in truth.postings:
            if day in truth.open[posting.pid]:
                number, content = truth.version_on(posting, day)
                want[posting.pid] = (number, content.country_code, role_family(content))
        frame = active(db, day_date(day))
        got = {
            row["posting_id"]: (row["version"], row["country_code"], row["role_family"])
            for row in frame.to_dict("records")
        }
        assert got == want, day


def test_panel_equals_the_brute_force(scale, tmp_path) -> None:
    db, truth = scale
    phrase = "computer vision"
    want = truth.panel(phrase)
    path = tmp_path / "panel.parquet"
    result = export(db, "panel", "parquet", path, phrase=phrase)
    frame = pd.read_parquet(path)
    assert result.rows == len(frame) == len(want)
    got = {
        (row["date"], row["posting_id"]): (
            row["version"],
            row["country_code"],
            row["role_family"] or None,
            bool(row["mentions"]),
        )
        for row in frame.to_dict("records")
    }
    assert got == want
    # A range inside the history: only its days, the same rows.
    since, until = day_date(20), day_date(33)
    part = panel(db, since=since, until=until, phrase=phrase)
    assert {(d.date(), pid) for d, pid in zip(part["date"], part["posting_id"], strict=True)} == {
        key for key in want if since <= key[0] <= until
    }


def test_first_seen_equals_the_brute_force(scale) -> None:
    db, truth = scale
    by_pid = {p.pid: p for p in truth.postings}
    covered: Counter = Counter()
    for phrase in (*PHRASES, "manager"):
        want = truth.first_seen(phrase)
        # What could go wrong: the phrase added by a later edit (the first mentioning version
        # is not version 1), dropped again (mentions_now false), a posting closed and reopened.
        covered["added later"] += sum(row[0] > 1 for row in want.values())
        covered["dropped"] += sum(not row[4] for row in want.values())
        covered["reopened"] += sum(
            any(b - a > 2 for a, b in itertools.pairwise(by_pid[pid].seen)) for pid in want
        )
        frame = first_seen(db, phrase)
        got = {
            row["posting_id"]: (
                row["version"],
                row["first_seen"].to_pydatetime(),
                row["title"],
                row["country_code"],
                bool(row["mentions_now"]),
                row["posting_first_seen"].to_pydatetime(),
                row["status"],
            )
            for row in frame.to_dict("records")
        }
        assert want and len(got) == len(frame), phrase
        wrong = sorted(pid for pid in set(got) | set(want) if got.get(pid) != want.get(pid))
        assert got == want, (phrase, [(pid, got.get(pid), want.get(pid)) for pid in wrong[:5]])
        # Earliest first, and each snippet shows the phrase.
        order = list(zip(frame["first_seen"], frame["posting_id"], strict=True))
        assert order == sorted(order), phrase
        assert all(mentions_text(text, phrase) for text in frame["snippet"]), phrase
        # since/until keep the postings whose first mention falls in the range.
        since, until = day_date(20), day_date(33)
        part = first_seen(db, phrase, since=since, until=until)
        assert set(part["posting_id"]) == {
            pid for pid, row in want.items() if since <= row[1].date() <= until
        }, phrase
    for what in ("added later", "dropped", "reopened"):
        assert covered[what] >= 3, covered
