"""``posted_date`` (a calendar date, maybe localized) and ``updated_time`` (relative prose).

``posted_date`` is US English ``"%B %e, %Y"`` -- ``"July  2, 2026"``, space-padded day -- and is
read by a locale-independent fast path (no dateparser, no ``strptime``, whose ``%B`` follows the
process locale). The fast path also reads, without dateparser:

* the job page's words around the date: ``"Posted November 7, 2025"``, ``"Updated: 3/28/2025"``,
  ``"Posted: December 15, 2024 (Updated 6 days ago)"`` (a trailing parenthesis is dropped);
* numeric dates in the site locale's order (``3/28/2025`` is M/D/Y on ``en``, D/M/Y on
  ``en-gb``/``de``/...; a month over 12 is refused, never swapped);
* ISO 8601 dates and date-times with or without an offset (``2026-09-09T10:50:29-04:00``): the
  date as written, not shifted to UTC (the board's own calendar day);
* epoch milliseconds (13 digits, as a number or a string): the UTC date.

Other forms go to dateparser restricted to the site locale's language, with relative dates,
bare timestamps of other lengths and incomplete dates switched off.

``updated_time`` is Rails ``distance_of_time_in_words`` without "ago" (``"2 months"``,
``"about 21 hours"``) and becomes ``seen_at - span``: always approximate. Conventions: a month
is 30 days, a year 365 days, a week 7 days; "less than a minute" / "less than N ..." is a
span of 0 (the text only bounds it from above); "half a minute" is 30 seconds; the qualifiers
"about", "over", "almost" do not change the span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

__all__ = [
    "SITE_LOCALES",
    "UpdatedTime",
    "parse_posted_date",
    "parse_updated_time",
]

#: Version of these rules; part of the normalizer version stored with every version.
DATE_RULES_VERSION = "dates/2"

#: The site's locales (footer switcher) -> (dateparser language, DATE_ORDER).
SITE_LOCALES: dict[str, tuple[str, str]] = {
    "en": ("en", "MDY"),
    "en-gb": ("en", "DMY"),
    "de": ("de", "DMY"),
    "fr": ("fr", "DMY"),
    "es": ("es", "DMY"),
    "it": ("it", "DMY"),
    "jp": ("ja", "YMD"),
    "zh": ("zh", "YMD"),
    "pl": ("pl", "DMY"),
    "pt": ("pt", "DMY"),
    "cs": ("cs", "DMY"),
}
_LOCALE_ALIASES = {"ja": "jp", "en-us": "en", "en-uk": "en-gb", "zh-cn": "zh", "pt-br": "pt"}

# Calendar sanity bounds: amazon.jobs postings are from this century; anything outside is a
# misparse, and a wrong date is worse than none.
_MIN_YEAR, _MAX_YEAR = 1990, 2100

_EN_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_EN_DATE_RE = re.compile(r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})")
# "Posted", "Posted on", "Posted:", "Updated:", "Date posted" before the date; "(Updated 6 days
# ago)" after it.
_PREFIX_RE = re.compile(r"^(?:date posted|posted(?: on)?|updated)\s*:?\s*", re.IGNORECASE)
_SUFFIX_RE = re.compile(r"\s*\([^()]*\)$")
_NUMERIC_RE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_EPOCH_MS_RE = re.compile(r"\d{13}")
_WS_RE = re.compile(r"\s+")

_DATEPARSER_SETTINGS: dict[str, Any] = {
    # Absolute dates only: "2 days ago", "today" and bare timestamps are not posting dates.
    "PARSERS": ["custom-formats", "absolute-time"],
    # Day, month and year must all be in the text: no filling in from "today".
    "REQUIRE_PARTS": ["day", "month", "year"],
    "STRICT_PARSING": True,
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def _site_locale(locale: object) -> str:
    if not isinstance(locale, str):
        return "en"
    key = locale.strip().lower().replace("_", "-")
    key = _LOCALE_ALIASES.get(key, key)
    if key not in SITE_LOCALES:
        key = _LOCALE_ALIASES.get(key.split("-")[0], key.split("-")[0])
    return key if key in SITE_LOCALES else "en"


def _english_date(text: str) -> date | None:
    match = _EN_DATE_RE.fullmatch(text)
    if match is None:
        return None
    month = _EN_MONTHS.get(match[1].lower())
    if month is None:
        return None
    return _checked_date(int(match[3]), month, int(match[2]))


def _checked_date(year: int, month: int, day: int) -> date | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # "February 30, 2026"
        return None


@lru_cache(maxsize=4096)
def _localized_date(text: str, site_locale: str) -> date | None:
    try:
        import dateparser  # imported lazily: slow import, only needed off the fast path
    except ImportError:  # pragma: no cover - dateparser is a declared dependency
        return None
    language, order = SITE_LOCALES[site_locale]
    try:
        parsed = dateparser.parse(
            text, languages=[language], settings={**_DATEPARSER_SETTINGS, "DATE_ORDER": order}
        )
    except Exception:  # dateparser raises assorted errors on odd input; never propagate
        return None
    if parsed is None:
        return None
    return _checked_date(parsed.year, parsed.month, parsed.day)


def _epoch_ms_date(milliseconds: int) -> date | None:
    try:
        moment = datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return _checked_date(moment.year, moment.month, moment.day)


def _numeric_date(match: re.Match[str], site_locale: str) -> date | None:
    order = SITE_LOCALES[site_locale][1]
    first, second, year = int(match[1]), int(match[2]), int(match[3])
    if order == "MDY":
        return _checked_date(year, first, second)
    return _checked_date(year, second, first)


def _fast_date(text: str, site_locale: str) -> tuple[bool, date | None]:
    """(recognised, date) for the forms read without dateparser; a recognised form that is not
    a real date gives (True, None) and goes no further."""
    if (match := _ISO_RE.fullmatch(text)) is not None:
        return True, _checked_date(int(match[1]), int(match[2]), int(match[3]))
    if _EPOCH_MS_RE.fullmatch(text) is not None:
        return True, _epoch_ms_date(int(text))
    if (match := _NUMERIC_RE.fullmatch(text)) is not None and SITE_LOCALES[site_locale][1] in (
        "MDY",
        "DMY",
    ):
        return True, _numeric_date(match, site_locale)
    found = _english_date(text)
    return found is not None, found


def parse_posted_date(text: object, locale: str = "en") -> date | None:
    """The calendar date of ``posted_date`` (``"July  2, 2026"``, ``"2. Juli 2026"`` ...) or of
    a job page's line (``"Posted November 7, 2025"``, ``"Updated: 3/28/2025"``), an ISO 8601
    date-time, or epoch milliseconds (an ``int`` too).

    ``locale`` is the site locale the page was fetched with (``en``, ``en-gb``, ``de``, ``fr``,
    ``es``, ``it``, ``jp``, ``zh``, ``pl``, ``pt``, ``cs``); it picks the dateparser language
    and day/month order. English month names are read in every locale. Unreadable -> None.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return _epoch_ms_date(text) if 10**12 <= text < 10**13 else None
    if not isinstance(text, str):
        return None
    locale = locale if isinstance(locale, str) else "en"
    if len(text) > _MAX_CACHED_CHARS:
        return _read_posted_date(text, locale)
    return _cached_posted_date(text, locale)


def _read_posted_date(text: str, locale: str) -> date | None:
    cleaned = _WS_RE.sub(" ", text).strip()
    if not cleaned or len(cleaned) > 80:
        return None
    cleaned = _SUFFIX_RE.sub("", _PREFIX_RE.sub("", cleaned, count=1), count=1)
    if not cleaned or len(cleaned) > 64:
        return None
    site_locale = _site_locale(locale)
    recognised, found = _fast_date(cleaned, site_locale)
    if recognised:
        return found
    return _localized_date(cleaned, site_locale)


# Memoized: a crawl of 22,000 postings sees ~1,100 distinct posted_date strings (a date is
# immutable, so a cached result cannot be changed by a caller).
_cached_posted_date = lru_cache(maxsize=8192)(_read_posted_date)
# Longer strings are never dates; they are read (and refused) without entering a cache.
_MAX_CACHED_CHARS = 256


# --- updated_time ----------------------------------------------------------------------------

_UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86_400,
    "week": 7 * 86_400,
    "month": 30 * 86_400,
    "year": 365 * 86_400,
}
_UNIT_ALIASES = {"sec": "second", "min": "minute", "hr": "hour", "yr": "year"}
_RELATIVE_RE = re.compile(
    r"(?:(?P<qualifier>about|around|approximately|over|more than|almost|nearly|less than|under)"
    r" )?(?P<count>\d{1,6}|an?|one|half an?) "
    r"(?P<unit>sec|second|min|minute|hr|hour|day|week|month|yr|year)s?(?: ago)?",
)


@dataclass(frozen=True, slots=True)
class UpdatedTime:
    """``updated_time`` read against the crawl time: ``at`` is UTC or None if unreadable."""

    at: datetime | None
    approximate: bool
    raw: str | None

    def as_dict(self, json_safe: bool = False) -> dict[str, Any]:
        """Plain dict; ``at`` stays a datetime (BSON) unless ``json_safe`` (ISO 8601 text)."""
        at: datetime | str | None = self.at
        if json_safe and self.at is not None:
            at = self.at.isoformat()
        return {"at": at, "approximate": self.approximate, "raw": self.raw}


def _span_seconds(text: str) -> int | None:
    match = _RELATIVE_RE.fullmatch(text)
    if match is None:
        return None
    unit = _UNIT_ALIASES.get(match["unit"], match["unit"])
    if match["qualifier"] in ("less than", "under"):
        return 0
    count = match["count"]
    if count.startswith("half"):
        return _UNIT_SECONDS[unit] // 2
    number = 1 if count in ("a", "an", "one") else int(count)
    return number * _UNIT_SECONDS[unit]


def _raw_span_seconds(raw: str) -> int | None:
    cleaned = _WS_RE.sub(" ", raw).strip().lower()
    return _span_seconds(cleaned) if len(cleaned) <= 64 else None


# The prose repeats (~130 distinct values in a 22,000-posting crawl): the span is memoized, the
# time is not (it depends on each posting's seen_at).
_cached_span_seconds = lru_cache(maxsize=4096)(_raw_span_seconds)


def parse_updated_time(text: object, seen_at: datetime) -> UpdatedTime:
    """``seen_at`` minus the span in ``text`` (``"2 months"``, ``"about 21 hours"``), in UTC.

    A naive ``seen_at`` is taken as UTC. Unreadable text or a bad ``seen_at`` gives
    ``at=None, approximate=False``; never raises.
    """
    raw = text if isinstance(text, str) else None
    if raw is None or not isinstance(seen_at, datetime):
        return UpdatedTime(None, False, raw)
    read = _raw_span_seconds if len(raw) > _MAX_CACHED_CHARS else _cached_span_seconds
    seconds = read(raw)
    if seconds is None:
        return UpdatedTime(None, False, raw)
    try:
        base = seen_at.replace(tzinfo=UTC) if seen_at.tzinfo is None else seen_at.astimezone(UTC)
        return UpdatedTime(base - timedelta(seconds=seconds), True, raw)
    except (OverflowError, ValueError, TypeError):
        return UpdatedTime(None, False, raw)
