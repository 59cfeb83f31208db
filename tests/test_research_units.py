"""The research interface's pure parts, and edge cases on small hand-written stores.

Phrase matching, open days and current versions, periods, diffs, CSV neutralization, plots,
and the command line's help and errors. The hand-written stores go through a real MongoDB
(the ``mongo_db`` fixture) so the queries run on the server, not on mocks.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import subprocess
import sys
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from pymongo.database import Database

from jobtracker.cli import main
from jobtracker.research import active, export, first_seen, history, neutralize, plot_trend, trend
from jobtracker.research.diff import field_diff, text_diff, word_diff
from jobtracker.research.output import write_csv_rows
from jobtracker.research.text import (
    WORD_CHARS,
    compile_phrase,
    phrase_pattern,
    resolve_fields,
    snippet,
)
from jobtracker.research.timeline import (
    current_version,
    join_versions,
    next_period,
    open_intervals,
    period_of,
    period_range,
    segments,
    version_starts,
)

PNG = b"\x89PNG\r\n\x1a\n"


def at(day: int, hour: int = 6) -> datetime:
    return datetime(2026, 7, day, hour, tzinfo=UTC)


# -- phrases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("Rekognition", "Amazon Rekognition, the service", True),
        ("rekognition", "AMAZON REKOGNITION", True),
        ("image", "analyze images at scale", False),
        ("image", "image analysis", True),
        ("computer vision", "computer\n  vision models", True),
        ("computer vision", "computer-vision models", False),
        ("vision", "vision-based", True),
        ("C++", "C++ developer", True),
        ("C++", "C+++ developer", True),  # '+' is not a word character
        ("go", "good", False),
        ("Zürich", "office in Zürich.", True),
        ("Zür", "Zürich", False),
        ("sql", "MySQL and T-SQL", True),
        ("my sql", "MySQL", False),
        ("rekognition", "Rekognition at the start", True),
        ("ekognition", "Rekognition", False),
        (".NET", "we use .NET daily", True),
        (".NET", "ASP.NET", False),
        ("zürich", "ZÜRICH", True),
    ],
)
def test_phrase_matching_is_whole_words_case_insensitive(phrase, text, found) -> None:
    assert bool(compile_phrase(phrase).search(text)) is found


def test_the_pattern_matches_where_a_leading_look_behind_would() -> None:
    """The look-behind moved after the first character (for speed) changes no match."""
    rng = random.Random(5)
    alphabet = ["r", "R", "e", "k", " ", "\n", "-", "_", "1", "ü", "+", ".", "x"]
    for phrase in ("rek", "r", "re k", "+r", ".e", "ü_1"):
        words = phrase.split()
        body = r"\s+".join(re.escape(word) for word in words)
        leading = re.compile(f"(?<![{WORD_CHARS}]){body}(?![{WORD_CHARS}])", re.IGNORECASE)
        ours = compile_phrase(phrase)
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            got = [m.span() for m in ours.finditer(text)]
            assert got == [m.span() for m in leading.finditer(text)], (phrase, text)


def test_phrase_pattern_rejects_empty_phrases_and_fields_resolve() -> None:
    with pytest.raises(ValueError, match="empty"):
        phrase_pattern("  ")
    assert resolve_fields(None) == (
        "title",
        "description_text",
        "basic_qualifications_text",
        "preferred_qualifications_text",
    )
    assert resolve_fields(["qualifications,title"]) == (
        "title",
        "basic_qualifications_text",
        "preferred_qualifications_text",
    )
    with pytest.raises(ValueError, match="unknown field 'body'"):
        resolve_fields(["body"])


def test_snippet_shows_the_phrase_in_context() -> None:
    text = "word " * 40 + "Amazon Rekognition helps " + "more " * 40
    got = snippet({"title": "x", "description_text": text}, compile_phrase("rekognition"))
    assert got.startswith("…") and got.endswith("…") and "Amazon Rekognition helps" in got
    assert snippet({"title": "nothing"}, compile_phrase("rekognition")) == ""


# -- open days, versions, periods -------------------------------------------------------------


def test_open_days_use_spans_and_never_pass_the_last_sighting() -> None:
    posting = {
        "first_seen_at": at(1),
        "last_seen_at": at(9),
        "spans": [{"from": at(1), "to": at(3)}, {"from": at(6), "to": None}],
    }
    assert open_intervals(posting) == [
        (date(2026, 7, 1), date(2026, 7, 3)),
        (date(2026, 7, 6), date(2026, 7, 9)),
    ]
    # Touching spans merge; no spans: first..last seen.
    touching = {
        "last_seen_at": at(5),
        "spans": [{"from": at(1), "to": at(2)}, {"from": at(3), "to": None}],
    }
    assert open_intervals(touching) == [(date(2026, 7, 1), date(2026, 7, 5))]
    assert open_intervals({"first_seen_at": at(2), "last_seen_at": at(4)}) == [
        (date(2026, 7, 2), date(2026, 7, 4))
    ]


def test_the_last_version_of_a_day_is_current_that_day() -> None:
    versions = [
        {"version": 1, "first_seen_at": at(1, 6)},
        {"version": 2, "first_seen_at": at(3, 6)},
        {"version": 3, "first_seen_at": at(3, 20)},
        {"version": 4, "first_seen_at": at(5, 6)},
    ]
    assert [v["version"] for _, v in version_starts(versions)] == [1, 3, 4]
    assert current_version(versions, date(2026, 7, 2))["version"] == 1
    assert current_version(versions, date(2026, 7, 3))["version"] == 3
    assert current_version(versions, date(2026, 6, 30)) is None
    posting = {
        "last_seen_at": at(6),
        "spans": [{"from": at(1), "to": at(2)}, {"from": at(4), "to": None}],
    }
    got = [(s.start.day, s.end.day, s.version["version"]) for s in segments(posting, versions)]
    assert got == [(1, 2, 1), (4, 4, 3), (5, 6, 4)]
    clipped = segments(posting, versions, since=date(2026, 7, 2), until=date(2026, 7, 5))
    assert [(s.start.day, s.end.day) for s in clipped] == [(2, 2), (4, 4), (5, 5)]


def test_periods() -> None:
    wednesday = date(2026, 7, 1)
    assert period_of(wednesday, "day") == wednesday
    assert period_of(wednesday, "week") == date(2026, 6, 29)  # Monday
    assert period_of(wednesday, "month") == date(2026, 7, 1)
    assert next_period(date(2026, 12, 1), "month") == date(2027, 1, 1)
    assert period_range(date(2026, 6, 30), date(2026, 9, 2), "month") == [
        date(2026, 6, 1),
        date(2026, 7, 1),
        date(2026, 8, 1),
        date(2026, 9, 1),
    ]
    assert len(period_range(wednesday, date(2026, 7, 13), "week")) == 3
    with pytest.raises(ValueError, match="unknown frequency"):
        period_of(wednesday, "year")


def test_join_versions_pairs_sorted_streams() -> None:
    postings = [{"_id": "a"}, {"_id": "c"}, {"_id": "d"}]
    versions = [
        {"posting_id": p, "version": v} for p, v in [("a", 1), ("a", 2), ("b", 1), ("c", 1)]
    ]
    got = [(p["_id"], [v["version"] for v in vs]) for p, vs in join_versions(postings, versions)]
    assert got == [("a", [1, 2]), ("c", [1]), ("d", [])]


# -- diffs -----------------------------------------------------------------------------------


def test_diffs_are_readable() -> None:
    assert word_diff("You will build models.", "You will train models.") == (
        "You will [-build-]{+train+} models."
    )
    lines = text_diff("intro\nkeep\nold line here\nend", "intro\nkeep\nnew line here\nend\nadded")
    assert "~ [-old-]{+new+} line here" in lines
    assert "+ added" in lines
    assert lines[0].startswith("@@")
    assert text_diff("same", "same") == []
    rewritten = text_diff("Work backwards from customers", "Mentor junior engineers daily")
    assert rewritten[1:] == ["- Work backwards from customers", "+ Mentor junior engineers daily"]
    assert word_diff("a b c d e", "a x y d e") == "a [-b c-]{+x y+} d e"
    assert field_diff("title", "Engineer", "Senior Engineer") == "'Engineer' -> 'Senior Engineer'"
    locations = ['{"location": "US, WA, Seattle"}']
    assert field_diff("locations_raw", locations, ['{"location": "US, TX, Austin"}']) == (
        "'US, WA, Seattle' -> 'US, TX, Austin'"
    )


# -- CSV and formula injection ---------------------------------------------------------------


def test_formula_cells_are_neutralized_and_numbers_kept() -> None:
    for text in ("=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"):
        assert neutralize(text) == "'" + text
    assert neutralize("plain - text") == "plain - text"
    buffer = io.StringIO()
    write_csv_rows(
        [{"a": '=HYPERLINK("http://evil")', "b": -3, "c": 1.5, "d": ["-x", "y"], "e": None}],
        ["a", "b", "c", "d", "e"],
        buffer,
    )
    row = list(csv.reader(io.StringIO(buffer.getvalue())))[1]
    assert row == ['\'=HYPERLINK("http://evil")', "-3", "1.5", "'-x; y", ""]


def _posting(pid: str, title: str, **extra) -> dict:
    return {
        "_id": f"amazon_jobs:{pid}",
        "source": "amazon_jobs",
        "source_id": pid,
        "title": title,
        "status": "open",
        "first_seen_at": at(1),
        "last_seen_at": at(3),
        "spans": [{"from": at(1), "to": None}],
        "version": 1,
        **extra,
    }


def _version(pid: str, number: int, seen: datetime, **snapshot) -> dict:
    return {
        "_id": f"amazon_jobs:{pid}@v{number}",
        "posting_id": f"amazon_jobs:{pid}",
        "version": number,
        "first_seen_at": seen,
        "last_seen_at": None,
        "changed_fields": [],
        "snapshot": snapshot,
    }


def test_csv_export_neutralizes_a_crafted_posting(mongo_db: Database, tmp_path) -> None:
    mongo_db.postings.insert_one(
        _posting(
            "1",
            '=HYPERLINK("http://evil.example","click")',
            team="@team",
            company_name="+Amazon",
            description_text="- bullet first",
            country_code="USA",
        )
    )
    mongo_db.posting_versions.insert_one(
        _version("1", 1, at(1), title="=1+1", description_text="-2", country_code="USA")
    )
    path = tmp_path / "postings.csv"
    assert export(mongo_db, "postings", "csv", path).rows == 1
    row = next(csv.DictReader(path.open(newline="")))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert (row["team"], row["company_name"], row["description_text"]) == (
        "'@team",
        "'+Amazon",
        "'- bullet first",
    )
    assert row["days_open"] == "3" and row["version"] == "1"
    path = tmp_path / "versions.csv"
    export(mongo_db, "versions", "csv", path)
    row = next(csv.DictReader(path.open(newline="")))
    assert (row["title"], row["description_text"]) == ("'=1+1", "'-2")
    # JSON Lines and Parquet keep the text as it is.
    path = tmp_path / "versions.jsonl"
    export(mongo_db, "versions", "jsonl", path)
    assert json.loads(path.read_text())["title"] == "=1+1"


def test_same_day_versions_and_recategorization_on_the_server(mongo_db: Database) -> None:
    """Versions 2 and 3 are first seen on the same day: 3 is current that day (2 never is).
    Version 3 also moves the posting from the USA to Japan: that week it counts once in each
    country and once in total."""
    mongo_db.postings.insert_one(
        _posting("7", "ML", last_seen_at=at(4), spans=[{"from": at(1), "to": None}], version=4)
    )
    text = "We use Amazon Rekognition."
    mongo_db.posting_versions.insert_many(
        [
            _version("7", 1, at(1), title="ML", description_text=text, country_code="USA"),
            _version("7", 2, at(2, 6), title="ML", description_text="no", country_code="USA"),
            _version("7", 3, at(2, 18), title="ML", description_text=text, country_code="JPN"),
            _version("7", 4, at(3), title="ML", description_text="none", country_code="JPN"),
        ]
    )
    daily = trend(mongo_db, "Rekognition", freq="day")
    assert [str(p.date()) for p in daily["period"]] == [
        "2026-07-01",
        "2026-07-02",
        "2026-07-03",
        "2026-07-04",
    ]
    assert list(daily["mentioned_while_open"]) == [1, 1, 0, 0]
    assert list(daily["ever_mentioned"]) == [1, 1, 1, 1]
    weekly = trend(mongo_db, "Rekognition", freq="week", by="country")
    rows = {
        (r["country"], r["mentioned_while_open"], r["ever_mentioned"]) for _, r in weekly.iterrows()
    }
    assert rows == {("JPN", 1, 1), ("USA", 1, 1)}
    assert set(weekly["country_name"]) == {"Japan", "United States"}
    assert list(trend(mongo_db, "Rekognition", freq="week")["mentioned_while_open"]) == [1]
    assert list(active(mongo_db, date(2026, 7, 2))["version"]) == [3]
    assert list(active(mongo_db, date(2026, 7, 2), phrase="rekognition")["version"]) == [3]
    assert active(mongo_db, date(2026, 7, 4), phrase="rekognition").empty
    assert active(mongo_db, date(2026, 7, 5)).empty, "never past the last sighting"
    firsts = first_seen(mongo_db, "rekognition")
    assert firsts.iloc[0]["version"] == 1 and not firsts.iloc[0]["mentions_now"]
    result = history(mongo_db, "7")
    assert list(result.diffs["field"]) == ["description_text"] * 3


def test_versions_count_by_first_seen_whatever_their_last_seen_says(
    mongo_db: Database, tmp_path
) -> None:
    """Stores written before a posting reopened unchanged made its version current again
    kept the closure's ``last_seen_at`` on that version (also once a later edit superseded
    it). Which version is current on a day follows from ``first_seen_at`` alone."""
    spans = [{"from": at(1), "to": at(2)}, {"from": at(6), "to": None}]
    mongo_db.postings.insert_many(
        [
            _posting("1", "A", last_seen_at=at(9), spans=spans, country_code="USA"),
            _posting("2", "B", last_seen_at=at(9), spans=spans, version=2, country_code="JPN"),
        ]
    )
    stale = {"last_seen_at": at(2)}  # the closure's last sighting, never cleared
    mongo_db.posting_versions.insert_many(
        [
            {**_version("1", 1, at(1), title="A", country_code="USA"), **stale},
            {**_version("2", 1, at(1), title="B", country_code="JPN"), **stale},
            _version("2", 2, at(8), title="B2", country_code="JPN"),
        ]
    )
    on_7 = active(mongo_db, date(2026, 7, 7))
    assert dict(zip(on_7["posting_id"], on_7["version"], strict=True)) == {
        "amazon_jobs:1": 1,
        "amazon_jobs:2": 1,
    }
    on_8 = active(mongo_db, date(2026, 7, 8))
    assert list(on_8["version"]) == [1, 2]
    path = tmp_path / "panel.csv"
    assert export(mongo_db, "panel", "csv", path, since=date(2026, 7, 5)).rows == 2 * 4
    rows = list(csv.DictReader(path.open(newline="")))
    assert {(r["posting_id"][-1], r["date"][-2:], r["version"]) for r in rows} == {
        *{("1", f"0{d}", "1") for d in range(6, 10)},
        ("2", "06", "1"),
        ("2", "07", "1"),
        ("2", "08", "2"),
        ("2", "09", "2"),
    }


def test_the_source_filter_separates_hourly_from_corporate_postings(
    mongo_db: Database, tmp_path
) -> None:
    """An hourly card's snapshot says ``source: amazon_hourly``; a corporate one says nothing."""
    mongo_db.postings.insert_many(
        [_posting("1", "Warehouse Associate"), _posting("2", "Warehouse Manager")]
    )
    mongo_db.posting_versions.insert_many(
        [
            _version("1", 1, at(1), title="Warehouse Associate", source="amazon_hourly",
                     country_code="USA"),
            _version("2", 1, at(1), title="Warehouse Manager", country_code="USA"),
        ]
    )  # fmt: skip
    both = active(mongo_db, date(2026, 7, 2), phrase="warehouse")
    hourly = active(mongo_db, date(2026, 7, 2), phrase="warehouse", sources=["amazon_hourly"])
    corporate = trend(mongo_db, "warehouse", freq="week", sources=["amazon_jobs"])
    assert sorted(both["title"]) == ["Warehouse Associate", "Warehouse Manager"]
    assert list(hourly["title"]) == ["Warehouse Associate"]
    assert list(corporate["mentioned_while_open"]) == [1]
    with pytest.raises(ValueError, match="unknown source 'hourly'"):
        trend(mongo_db, "warehouse", sources=["hourly"])


def test_an_empty_store_gives_empty_answers(mongo_db: Database, tmp_path) -> None:
    assert trend(mongo_db, "anything").empty
    empty = trend(mongo_db, "anything", by="country")
    assert plot_trend(empty, tmp_path / "empty.png").read_bytes()[:8] == PNG
    assert first_seen(mongo_db, "anything").empty
    assert active(mongo_db, date(2026, 7, 1)).empty
    with pytest.raises(LookupError):
        history(mongo_db, "amazon_jobs:1")


# -- plots -----------------------------------------------------------------------------------


def test_plot_of_a_grouped_trend_with_many_groups(tmp_path) -> None:
    periods = pd.to_datetime([f"2026-07-{d:02d}" for d in range(1, 21)])
    rows = [
        {"period": p, "country": c, "mentioned_while_open": i % 5 + k, "ever_mentioned": i % 5 + k}
        for i, p in enumerate(periods)
        for k, c in enumerate(
            ["USA", "JPN", "DEU", "GBR", "IND", "FRA", "CAN", "ITA", "ESP", "BRA"]
        )
    ]
    frame = pd.DataFrame(rows)
    frame.attrs.update(
        {
            "phrase": "vision",
            "freq": "day",
            "by": "country",
            "since": "2026-07-01",
            "until": "2026-07-20",
        }
    )
    path = plot_trend(frame, tmp_path / "plots" / "vision.png", top=5)
    data = path.read_bytes()
    assert data[:8] == PNG and len(data) > 10_000


# -- command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["trend", "first-seen", "active", "history", "export", "runs", "demo"]
)
def test_every_command_has_help(command, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: jobtracker {command}")
    if command != "demo":
        assert "--mongo-uri" in out


def test_help_does_not_import_pandas_or_matplotlib() -> None:
    code = (
        "import sys, jobtracker.cli as c; c.build_parser(); "
        "print(any(m in sys.modules for m in ('pandas', 'matplotlib', 'pyarrow')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_bad_dates_fail_before_connecting(capsys) -> None:
    assert main(["active", "--on", "2026-7-1x", "--mongo-uri", "mongodb://127.0.0.1:9/"]) == 2
    err = capsys.readouterr().err
    assert err == "jobtracker active: error: --on: '2026-7-1x' is not a date (use YYYY-MM-DD)\n"
