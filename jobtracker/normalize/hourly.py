"""Normalization of hourly-jobs cards (``searchJobCardsByLocation``): location and pay.

A card names its place in separate fields (``city``, ``state``, ``postalCode``,
``locationName``) and its pay as numbers (``totalPayRateMin``/``Max``, ``currencyCode``,
``payFrequency``), so nothing is parsed out of prose here; the site the card was listed on
gives the country. Same contract as the rest of :mod:`jobtracker.normalize`: total functions,
empty results for malformed input, frozen results.
"""

from __future__ import annotations

import math
from typing import Any

from jobtracker.normalize.location import Location, _build, _text
from jobtracker.normalize.pay import PayRange, _currency

__all__ = ["card_locations", "card_pay"]

#: ``payFrequency`` / ``advertisedPayFrequency`` values -> the pay periods of ``parse_pay``.
PAY_FREQUENCIES = {
    "HOURLY": "hour",
    "HOUR": "hour",
    "WEEKLY": "week",
    "MONTHLY": "month",
    "YEARLY": "year",
    "ANNUALLY": "year",
}


def card_locations(card: object, country: str) -> list[Location]:
    """The card's one location, resolved with pycountry; ``country`` is the site's ISO code."""
    if not isinstance(card, dict):
        return []
    state = _text(card.get("state"))
    location = _build(
        city=_text(card.get("city")),
        region_code=state,
        region_name=None,
        country_tokens=(country,),
        virtual_type=card.get("virtualLocation") is True,
        raw=_text(card.get("locationName")),
    )
    return [location] if location is not None else []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _pay_range(
    card: dict[str, Any], low_key: str, high_key: str, period: str | None
) -> PayRange | None:
    low, high = _number(card.get(low_key)), _number(card.get(high_key))
    currency = card.get("currencyCode")
    currency = _currency(currency) if isinstance(currency, str) and currency else None
    if low is None or high is None or currency is None or period is None or low > high:
        return None
    shown = [card.get(f"{low_key}L10N"), card.get(f"{high_key}L10N")]
    raw = " - ".join(text for text in shown if isinstance(text, str) and text)
    return PayRange(
        min=low,
        max=high,
        currency=currency,
        period=period,
        location=_text(card.get("locationName")) or "",
        raw=raw or f"{low:g} - {high:g} {currency}",
    )


def card_pay(card: object) -> list[PayRange]:
    """The card's hourly pay range, and its monthly base pay where the site gives one."""
    if not isinstance(card, dict):
        return []
    frequency = card.get("payFrequency")
    period = PAY_FREQUENCIES.get(frequency.upper() if isinstance(frequency, str) else "HOURLY")
    ranges = [
        _pay_range(card, "totalPayRateMin", "totalPayRateMax", period),
        _pay_range(card, "monthlyBasePayMin", "monthlyBasePayMax", "month"),
    ]
    return [pay for pay in ranges if pay is not None]
