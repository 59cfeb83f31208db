"""Pay ranges from the prose lines amazon.jobs appends to ``preferred_qualifications``.

A pay line is ``"<location> - <min> - <max> <ISO 4217 code> <period>"``, e.g.
``"USA, TX, Austin - 143,700.00 - 194,400.00 USD annually"``; a posting may carry several.
A line that looks like pay but does not parse exactly gives nothing: never a wrong number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry

from jobtracker.normalize.text import html_to_text

__all__ = ["PayRange", "parse_pay"]

#: Version of these rules; part of the normalizer version stored with every version.
PAY_RULES_VERSION = "pay/1"

PERIODS: dict[str, str] = {
    "annually": "year",
    "annual": "year",
    "yearly": "year",
    "per year": "year",
    "a year": "year",
    "per annum": "year",
    "hourly": "hour",
    "per hour": "hour",
    "an hour": "hour",
    "monthly": "month",
    "per month": "month",
    "a month": "month",
    "weekly": "week",
    "per week": "week",
    "a week": "week",
    "daily": "day",
    "per day": "day",
    "a day": "day",
}

_DASH = r"\s+[-\u2013\u2014]\s+"
_AMOUNT = r"\d[\d,]*(?:\.\d+)?"
# Anchored at the end, so a location that itself contains " - " ("USA, CA, Virtual Location -
# California") stays whole: the location is everything before the "<min> - <max> ..." tail.
_PAY_LINE_RE = re.compile(
    rf"^(?:[-\u2022*]\s*)?(?P<location>\S.*?){_DASH}(?P<min>{_AMOUNT}){_DASH}(?P<max>{_AMOUNT})"
    rf"\s+(?P<currency>[A-Za-z]{{3}})\s+(?P<period>{'|'.join(sorted(PERIODS, key=len)[::-1])})"
    r"\s*\.?$",
    re.IGNORECASE,
)
# Amounts as the site writes them: US thousands separators, at most two decimals. "60.000" or
# "60.000,00" (continental style) do not match, so they are refused instead of misread as 60.
_STRICT_AMOUNT_RE = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?")
_MAX_LOCATION_CHARS = 120
# HTML hints: a tag or an entity. Two patterns, each with a literal first character, scan about
# twice as fast as one alternation.
_TAG_HINT_RE = re.compile(r"<[A-Za-z/!]")
_ENTITY_HINT_RE = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
# Cheap pre-filter on the end of a line: "<digit> <3 letters> <period words>".
_TAIL_RE = re.compile(r"\d\s+[A-Za-z]{3}\s+[A-Za-z][A-Za-z ]{3,11}\.?\s*$")


@dataclass(frozen=True, slots=True)
class PayRange:
    """One pay range: ``min <= max`` in ``currency`` (ISO 4217) per ``period``."""

    min: float
    max: float
    currency: str
    period: str  # "year" | "hour" | "month" | "week" | "day"
    location: str  # the text before the amounts, e.g. "USA, TX, Austin"
    raw: str  # the whole line as found (after HTML -> text)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON/BSON friendly)."""
        return {
            "min": self.min,
            "max": self.max,
            "currency": self.currency,
            "period": self.period,
            "location": self.location,
            "raw": self.raw,
        }


@lru_cache(maxsize=512)
def currency_code(code: str) -> str | None:
    """The ISO 4217 alpha-3 code if pycountry knows it."""
    code = code.upper()
    try:
        found = pycountry.currencies.get(alpha_3=code)
    except (KeyError, LookupError):
        return None
    return found.alpha_3 if found is not None else None


def _amount(text: str) -> float | None:
    if not _STRICT_AMOUNT_RE.fullmatch(text):
        return None
    return float(text.replace(",", ""))


def _parse_line(line: str) -> PayRange | None:
    match = _PAY_LINE_RE.match(line)
    if match is None:
        return None
    low, high = _amount(match["min"]), _amount(match["max"])
    currency = currency_code(match["currency"])
    period = PERIODS.get(match["period"].lower())
    location = match["location"].strip()
    if low is None or high is None or currency is None or period is None:
        return None
    if not 0 < low <= high or not location or len(location) > _MAX_LOCATION_CHARS:
        return None
    if not any(char.isalpha() for char in location):
        return None
    return PayRange(low, high, currency, period, location, line)


def parse_pay(text_or_html: object) -> list[PayRange]:
    """Every pay range in a text or HTML fragment, in document order (``[]`` if none)."""
    if not isinstance(text_or_html, str) or not text_or_html:
        return []
    text = text_or_html
    if _TAG_HINT_RE.search(text) is not None or _ENTITY_HINT_RE.search(text) is not None:
        text = html_to_text(text)
    ranges: list[PayRange] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if len(line) < 12 or _TAIL_RE.search(line[-40:]) is None:
            continue
        found = _parse_line(line)
        if found is not None and found not in ranges:
            ranges.append(found)
    return ranges
