"""posted_date (space-padded English, localized forms) and relative updated_time."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from jobtracker.normalize.dates import UpdatedTime, parse_posted_date, parse_updated_time

FIXTURES = Path(__file__).parent / "fixtures"
SEEN_AT = datetime(2026, 7, 30, 12, 0, tzinfo=UTC)
JULY_2 = date(2026, 7, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("July  2, 2026", JULY_2),  # the real space-padded day ("%B %e, %Y")
        ("July 2, 2026", JULY_2),
        ("July 24, 2026", date(2026, 7, 24)),
        ("July 28, 2026", date(2026, 7, 28)),
        ("May  6, 2026", date(2026, 5, 6)),
        ("January 2, 2006", date(2006, 1, 2)),
        (" July  2, 2026 ", JULY_2),
        ("July\t2,\n2026", JULY_2),
        ("Jul 2, 2026", JULY_2),
        ("Sept 9, 2026", date(2026, 9, 9)),
        ("february 29, 2028", date(2028, 2, 29)),
    ],
)
def test_english_posted_dates(text: str, expected: date) -> None:
    assert parse_posted_date(text) == expected


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("2. Juli 2026", "de"),
        ("2 juillet 2026", "fr"),
        ("2 de julio de 2026", "es"),
        ("2 luglio 2026", "it"),
        ("2026年7月2日", "jp"),
        ("2026年7月2日", "zh"),
        ("2 lipca 2026", "pl"),
        ("2 de julho de 2026", "pt"),
        ("2. července 2026", "cs"),
        ("02/07/2026", "en-gb"),
        ("2 July 2026", "en-gb"),
        ("July  2, 2026", "de"),  # English month names are read in every locale
        ("July  2, 2026", "jp"),
        ("2. Juli 2026", "DE"),
        ("2026年7月2日", "ja"),
        ("02/07/2026", "en_GB"),
    ],
)
def test_localized_posted_dates(text: str, locale: str) -> None:
    assert parse_posted_date(text, locale) == JULY_2


def test_day_month_order_follows_the_locale() -> None:
    assert parse_posted_date("02/07/2026", "en-gb") == date(2026, 7, 2)
    assert parse_posted_date("02/07/2026", "en") == date(2026, 2, 7)


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        (None, "en"),
        ("", "en"),
        ("   ", "en"),
        ("garbage", "en"),
        ("garbage", "de"),
        (20260702, "en"),
        (2.5, "en"),
        (["July 2, 2026"], "en"),
        ("Februar 30, 2026", "de"),
        ("Februar 30, 2026", "en"),
        ("30. Februar 2026", "de"),
        ("February 30, 2026", "en"),
        ("Smarch 2, 2026", "en"),
        ("July 2026", "en"),  # no day: not guessed
        ("July 2", "en"),  # no year: not guessed
        ("2 days ago", "en"),  # relative: not a posting date
        ("today", "en"),
        ("1700000000", "en"),  # timestamp: refused
        ("July 2, 1066", "en"),  # outside the sanity window
        ("July 2, 2026" * 10, "en"),
    ],
)
def test_unreadable_posted_dates_give_none(text: object, locale: str) -> None:
    assert parse_posted_date(text, locale) is None


@pytest.mark.parametrize("locale", [None, 5, "", "xx", "klingon", "en-xx"])
def test_unknown_locales_fall_back_to_english(locale: object) -> None:
    assert parse_posted_date("July  2, 2026", locale) == JULY_2  # type: ignore[arg-type]


MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("19 minutes", 19 * MINUTE),
        ("2 minutes", 2 * MINUTE),
        ("about 21 hours", 21 * HOUR),
        ("1 hour", HOUR),
        ("28 days", 28 * DAY),
        ("1 day", DAY),
        ("2 months", 60 * DAY),  # a month is 30 days
        ("10 months", 300 * DAY),
        ("about 1 year", 365 * DAY),  # a year is 365 days
        ("over 2 years", 730 * DAY),
        ("almost 3 years", 1095 * DAY),
        ("less than a minute", timedelta(0)),
        ("a month", 30 * DAY),
        ("about 1 month", 30 * DAY),
        ("an hour", HOUR),
        ("half a minute", timedelta(seconds=30)),
        ("less than 5 seconds", timedelta(0)),
        ("3 weeks", 21 * DAY),
        ("About 21 Hours", 21 * HOUR),
        ("  2   months ", 60 * DAY),
        ("2 months ago", 60 * DAY),
    ],
)
def test_relative_updated_time(text: str, span: timedelta) -> None:
    result = parse_updated_time(text, SEEN_AT)
    assert result == UpdatedTime(SEEN_AT - span, True, text)
    assert result.at is not None and result.at.tzinfo is UTC


def test_real_sample_updated_times() -> None:
    for name, minutes in [
        ("search_sample_1_facets_hits10000.json", 2),
        ("search_sample_3_base_query_software_engineer_pretty.json", 19),
    ]:
        job = json.loads((FIXTURES / name).read_text("utf-8"))["jobs"][0]
        assert parse_updated_time(job["updated_time"], SEEN_AT).at == SEEN_AT - minutes * MINUTE
        assert parse_posted_date(job["posted_date"]) in (date(2026, 7, 28), date(2026, 7, 24))


def test_seen_at_in_another_zone_or_naive_is_read_as_utc() -> None:
    naive = datetime(2026, 7, 30, 12, 0)
    assert parse_updated_time("1 hour", naive).at == datetime(2026, 7, 30, 11, 0, tzinfo=UTC)
    plus_two = datetime(2026, 7, 30, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    result = parse_updated_time("1 hour", plus_two)
    assert result.at == datetime(2026, 7, 30, 11, 0, tzinfo=UTC)
    assert result.at is not None and result.at.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "5 fortnights", "minutes", "-2 days", "2.5 days", "999999999 years",
     "about", "ago", "2 days 3 hours", "x" * 500],
)  # fmt: skip
def test_unreadable_updated_time(text: str) -> None:
    assert parse_updated_time(text, SEEN_AT) == UpdatedTime(None, False, text)


@pytest.mark.parametrize("text", [None, 5, 2.0, ["2 days"], {"a": 1}])
def test_non_string_updated_time(text: object) -> None:
    assert parse_updated_time(text, SEEN_AT) == UpdatedTime(None, False, None)


@pytest.mark.parametrize("seen_at", [None, "2026-07-30", 0, date(2026, 7, 30)])
def test_bad_seen_at(seen_at: object) -> None:
    result = parse_updated_time("2 days", seen_at)  # type: ignore[arg-type]
    assert (result.at, result.approximate, result.raw) == (None, False, "2 days")


def test_overflowing_span_gives_none() -> None:
    early = datetime(1, 1, 2, tzinfo=UTC)
    assert parse_updated_time("10 years", early).at is None


def test_as_dict() -> None:
    result = parse_updated_time("2 days", SEEN_AT)
    assert result.as_dict() == {"at": SEEN_AT - 2 * DAY, "approximate": True, "raw": "2 days"}
    data = result.as_dict(json_safe=True)
    assert json.loads(json.dumps(data)) == {
        "at": "2026-07-28T12:00:00+00:00",
        "approximate": True,
        "raw": "2 days",
    }
    assert parse_updated_time("nope", SEEN_AT).as_dict(json_safe=True)["at"] is None


# --- memoized parsing --------------------------------------------------------------------------


def test_memoized_updated_time_follows_each_seen_at() -> None:
    first = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    later = first + timedelta(hours=5)
    assert parse_updated_time("about 2 hours", first).at == first - timedelta(hours=2)
    assert parse_updated_time("about 2 hours", later).at == later - timedelta(hours=2)


def test_memoized_posted_date_is_per_locale() -> None:
    assert parse_posted_date("02/07/2026", "de") == date(2026, 7, 2)
    assert parse_posted_date("02/07/2026", "en") == date(2026, 2, 7)
    assert parse_posted_date("July  2, 2026", None) == date(2026, 7, 2)  # type: ignore[arg-type]


def test_long_strings_are_refused_without_caching() -> None:
    long_text = "July 2, 2026 " * 100
    assert parse_posted_date(long_text) is None
    assert parse_updated_time("2 months " * 100, datetime(2026, 7, 1, tzinfo=UTC)).at is None


# --- every form a job page or board shows, on real strings (tests/fixtures/real_dates.csv) ----


def _real_date_rows() -> list[dict[str, str]]:
    import csv
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "real_dates.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("row", _real_date_rows(), ids=lambda row: row["text"])
def test_real_date_forms(row: dict[str, str]) -> None:
    expected = date.fromisoformat(row["expected"]) if row["expected"] else None
    assert parse_posted_date(row["text"], row["locale"]) == expected


def test_epoch_milliseconds_as_a_number() -> None:
    assert parse_posted_date(1754255680000) == date(2025, 8, 3)
    assert parse_posted_date(1754255680000.0) is None  # a float is not a timestamp the site sends
    assert parse_posted_date(True) is None


def test_iso_date_is_the_date_as_written_not_shifted_to_utc() -> None:
    """The board shows its own calendar day: 23:50 at -04:00 is still September 9."""
    assert parse_posted_date("2026-09-09T23:50:29-04:00") == date(2026, 9, 9)
    assert parse_posted_date("2026-09-09T23:50:29Z") == date(2026, 9, 9)
    assert parse_posted_date("2026-02-30T10:00:00Z") is None


def test_numeric_dates_follow_the_site_locale_order() -> None:
    assert parse_posted_date("Updated: 3/28/2025", "en") == date(2025, 3, 28)
    assert parse_posted_date("Updated: 3/28/2025", "en-gb") is None  # month 28: refused
    assert parse_posted_date("Posted 7/2/2026", "de") == date(2026, 2, 7)


def test_localized_prefixed_dates() -> None:
    assert parse_posted_date("2. Juli 2026", "de") == JULY_2
    assert parse_posted_date("Posted 2. Juli 2026", "de") == JULY_2
