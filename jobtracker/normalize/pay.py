"""Pay ranges in the forms Amazon states pay, from a posting's text or HTML.

Three forms, each read only when the whole statement matches exactly:

1. Per-location lines (2025-): ``"<location> - <min> - <max> <ISO 4217 code> <period>"``, e.g.
   ``"USA, TX, Austin - 143,700.00 - 194,400.00 USD annually"``; a posting may carry several.
2. The 2023-25 sentence, a range with no location (``location == ""``): "The base pay for this
   position ranges from $129,300/year in our lowest geographic market up to $223,600/year in
   our highest geographic market." (also ``/hr``). It names US markets: the dollar is USD.
3. A pay field or a line that is nothing but pay: ``"$18.00/hour"``, ``"$20.50 - $23.00/hour"``,
   ``"$72,000-$96,000 per year"`` (any dash), ``"€14.10 - €15.60/hr"``, ``"Starting at $18.50/hr"``,
   optionally followed by words without figures (``"+ overtime"``, ``"plus tips"``).

Never a wrong number: a statement with other figures beside it (overtime, bonuses, a day rate,
"after 60 days"), an open range ("$19.75+/hour", "up to $70k/yr or more"), alternatives ("or"),
"k" amounts, continental separators or words saying the figure is a benefit (tuition,
relocation, stipend, allowance, reimbursement, sign-on, referral) gives nothing. ``$`` is
``dollar_currency`` (the site's currency; USD by default), ``£`` GBP, ``€`` EUR, ``C$``/``CA$``
CAD, ``MX$`` MXN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry

from jobtracker.normalize.text import html_to_text

__all__ = ["PayRange", "parse_pay", "parse_pay_field"]

#: Version of these rules; part of the normalizer version stored with every version.
PAY_RULES_VERSION = "pay/2"

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


# --- forms 2 and 3: amounts with a currency symbol and a unit ---------------------------------

#: Currency symbols -> ISO 4217; ``$`` alone is the caller's ``dollar_currency``.
CURRENCY_SYMBOLS: dict[str, str | None] = {
    "US$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "MX$": "MXN",
    "£": "GBP",
    "€": "EUR",
    "$": None,
}
#: Unit words after ``/``, "per", "a"/"an" -> period.
UNITS: dict[str, str] = {
    "hour": "hour",
    "hr": "hour",
    "hora": "hour",  # Spanish, as on the Mexican and US Spanish pages
    "year": "year",
    "yr": "year",
    "annum": "year",
    "month": "month",
    "mo": "month",
    "mes": "month",
    "week": "week",
    "wk": "week",
    "day": "day",
}
_SYMBOL = "|".join(re.escape(symbol) for symbol in sorted(CURRENCY_SYMBOLS, key=len)[::-1])
_UNIT = rf"(?:\s*/\s*|\s+per\s+|\s+an?\s+)(?:{'|'.join(sorted(UNITS, key=len)[::-1])})s?\b"
_FIELD_RE = re.compile(
    rf"(?:starting\s+at\s+)?(?P<c1>{_SYMBOL})\s?(?P<a1>{_AMOUNT})(?P<u1>{_UNIT})?"
    rf"(?:\s*(?:-|\u2013|\u2014|\bto\b)\s*(?P<c2>{_SYMBOL})?\s?(?P<a2>{_AMOUNT}))?"
    rf"(?P<u2>{_UNIT})\.?(?P<tail>.*)",
    re.IGNORECASE | re.DOTALL,
)
# Words in a tail that make the figure ambiguous (an alternative, an open upper end).
_AMBIGUOUS_TAIL_RE = re.compile(r"\bor\b|\bup\s+to\b|\bmore\b", re.IGNORECASE)
# Words saying the figure is a benefit, not pay ("$5,250 per year tuition assistance").
_BENEFIT_TAIL_RE = re.compile(
    r"tuition|relocat|stipend|allowance|reimburs|sign[- ]?on|signing|referral|voucher|discount",
    re.IGNORECASE,
)
_SENTENCE_RE = re.compile(
    rf"ranges?\s+from\s+(?P<c1>{_SYMBOL})\s?(?P<a1>{_AMOUNT})(?P<u1>{_UNIT})?\s+in\s+our\s+"
    rf"lowest\s+geographic\s+market\s+up\s+to\s+(?P<c2>{_SYMBOL})\s?(?P<a2>{_AMOUNT})"
    rf"(?P<u2>{_UNIT})?\s+in\s+our\s+highest\s+geographic\s+market",
    re.IGNORECASE,
)
_SENTENCE_HINT = "geographic market"


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


def _currency(symbol: str | None, dollar_currency: str | None) -> str | None:
    if symbol is None:
        return None
    code = CURRENCY_SYMBOLS.get(symbol.upper(), CURRENCY_SYMBOLS.get(symbol))
    return code if code is not None else dollar_currency


def _unit(match: str | None) -> str | None:
    if match is None:
        return None
    word = re.sub(r"^(?:\s*/\s*|\s+per\s+|\s+an?\s+)", "", match, flags=re.IGNORECASE)
    return UNITS.get(word.lower().rstrip("s")) or UNITS.get(word.lower())


def _symbols_agree(first: str, second: str | None) -> bool:
    return second is None or second.upper() == first.upper()


def _range(
    match: re.Match[str], dollar_currency: str | None, location: str, raw: str
) -> PayRange | None:
    """A PayRange from a field/sentence match, or None if any part is not exact."""
    units = {_unit(match["u1"]), _unit(match["u2"])} - {None}
    if len(units) != 1 or not _symbols_agree(match["c1"], match["c2"]):
        return None
    low = _amount(match["a1"])
    high = _amount(match["a2"]) if match["a2"] is not None else low
    currency = _currency(match["c1"], dollar_currency)
    if low is None or high is None or currency is None or not 0 < low <= high:
        return None
    return PayRange(low, high, currency, units.pop(), location, raw)


@lru_cache(maxsize=4096)
def _parse_field(text: str, dollar_currency: str | None) -> PayRange | None:
    match = _FIELD_RE.fullmatch(text)
    if match is None:
        return None
    tail = match["tail"]
    if tail and (
        (not tail[0].isspace() and tail[0] not in ",;(.")
        or any(char.isdigit() for char in tail)
        or any(symbol in tail for symbol in CURRENCY_SYMBOLS)
        or _AMBIGUOUS_TAIL_RE.search(tail)
        or _BENEFIT_TAIL_RE.search(tail)
    ):
        return None  # figures or an alternative beside the pay: ambiguous
    if match["u1"] is not None and match["a2"] is None:
        return None
    return _range(match, dollar_currency, "", text)


def _parse_sentence(line: str) -> list[PayRange]:
    """The geographic-market sentence(s) of a line: US markets, so ``$`` is USD."""
    found = []
    for match in _SENTENCE_RE.finditer(line):
        pay = _range(match, "USD", "", line)
        if pay is not None:
            found.append(pay)
    return found


def parse_pay_field(text: object, *, dollar_currency: str | None = "USD") -> list[PayRange]:
    """A pay field that is nothing but pay (``"$20.50 - $23.00/hour"``, ``"$18.00/hour + tips"``),
    as boards and the hourly sites give it: one range, or ``[]`` if it is ambiguous."""
    if not isinstance(text, str):
        return []
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > 300:
        return []
    found = _parse_field(cleaned, dollar_currency)
    return [found] if found is not None else []


def parse_pay(text_or_html: object, *, dollar_currency: str | None = "USD") -> list[PayRange]:
    """Every pay range in a text or HTML fragment, in document order (``[]`` if none).

    ``dollar_currency`` is what a bare ``$`` means on the page's site (``"CAD"`` on a
    Canadian one); ``None`` refuses bare dollars.
    """
    if not isinstance(text_or_html, str) or not text_or_html:
        return []
    text = text_or_html
    if _TAG_HINT_RE.search(text) is not None or _ENTITY_HINT_RE.search(text) is not None:
        text = html_to_text(text)
    ranges: list[PayRange] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if len(line) < 4:
            continue
        found: list[PayRange | None] = []
        if len(line) >= 12 and _TAIL_RE.search(line[-40:]) is not None:
            found = [_parse_line(line)]
        if not any(found):
            if _SENTENCE_HINT in line:
                found = list(_parse_sentence(line))
            else:
                found = list(parse_pay_field(line, dollar_currency=dollar_currency))
        for pay in found:
            if pay is not None and pay not in ranges:
                ranges.append(pay)
    return ranges
