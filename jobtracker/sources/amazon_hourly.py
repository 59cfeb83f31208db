"""``amazon_hourly``: the hourly-jobs sites (hiring.amazon.com and its country siblings).

The sites are JavaScript-only: the page obtains an anonymous token and POSTs the GraphQL query
``searchJobCardsByLocation`` itself, paging with ``nextToken`` (the evidence:
docs/simulator_hourly.md). The ``amazon_hourly`` spider lets the page do that in Chromium and
hands the captured GraphQL bodies to :func:`parse_job_cards_payload`; :func:`card_to_item`
turns one job card into a :class:`~jobtracker.items.JobPosting`.

A card names its place in separate fields (``city``, ``state``, ``postalCode``,
``locationName``) and its pay as numbers (``totalPayRateMin``/``Max``, ``currencyCode``,
``payFrequency``), so nothing is parsed out of prose (:func:`card_locations`,
:func:`card_pay`); the site the card was listed on gives the country. Each country site is one
partition of a run (``site=US``, ...). Nothing here knows about Scrapy or Playwright.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from jobtracker.items import JobPosting
from jobtracker.normalize.location import Location, build_location, compact_text
from jobtracker.normalize.pay import PayRange, currency_code
from jobtracker.sources.base import Source

NAME = "amazon_hourly"
OPERATION = "searchJobCardsByLocation"
#: A run's partitions: one per country site (``site=US``), under the root.
PARTITION_DIMENSION = "site"


@dataclass(frozen=True)
class HourlySite:
    """One country site of the hourly-jobs family."""

    key: str
    """The site key used in arguments: ``US``, ``CA``, ``UK``, ``IE``."""
    country_alpha3: str
    country_name: str
    """What the site sends in its ``country`` header and GraphQL variables."""
    locale: str
    origin: str
    """The real site's origin; ``base_urls`` replaces it (the simulator, tests)."""

    def search_url(self, origin: str | None = None) -> str:
        """The job-search page: the SPA's hash route."""
        return f"{(origin or self.origin).rstrip('/')}/app#/jobSearch"

    def job_url(self, job_id: str, origin: str | None = None) -> str:
        """The posting's public page: ``/app#/jobDetail?jobId=...&locale=...``."""
        query = urlencode({"jobId": job_id, "locale": self.locale})
        return f"{(origin or self.origin).rstrip('/')}/app#/jobDetail?{query}"


HOURLY_SITES: dict[str, HourlySite] = {
    site.key: site
    for site in (
        HourlySite("US", "USA", "United States", "en-US", "https://hiring.amazon.com"),
        HourlySite("CA", "CAN", "Canada", "en-CA", "https://hiring.amazon.ca"),
        HourlySite("UK", "GBR", "United Kingdom", "en-GB", "https://www.jobsatamazon.co.uk"),
        HourlySite("IE", "IRL", "Ireland", "en-IE", "https://jobs.amazon.ie"),
    )
}
#: ISO alpha-3 -> site key (the arguments accept any spelling of the country).
SITE_BY_ALPHA3 = {site.country_alpha3: key for key, site in HOURLY_SITES.items()}


class CardsPayloadError(ValueError):
    """A GraphQL body that is not a ``searchJobCardsByLocation`` answer."""


@dataclass(frozen=True)
class JobCardsPage:
    """One decoded ``searchJobCardsByLocation`` answer (or its GraphQL errors)."""

    cards: list[dict[str, Any]]
    next_token: str | None
    errors: list[str]


def parse_job_cards_payload(body: bytes | str) -> JobCardsPage:
    """Decode a GraphQL body; raise :class:`CardsPayloadError` if it has neither data nor errors.

    ``{"errors": [...]}`` (AppSync's failure shape) gives a page with ``errors`` set.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CardsPayloadError(f"not JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise CardsPayloadError(f"expected a JSON object, got {type(data).__name__}")
    errors = [_error_message(error) for error in data.get("errors") or []]
    result = (data.get("data") or {}).get(OPERATION) if isinstance(data.get("data"), dict) else None
    if errors or result is None:
        return JobCardsPage(cards=[], next_token=None, errors=errors or [f"no {OPERATION} data"])
    if not isinstance(result, dict):
        raise CardsPayloadError(f"{OPERATION} is not an object")
    cards = result.get("jobCards")
    if cards is None:
        cards = []
    if not isinstance(cards, list) or not all(isinstance(card, dict) for card in cards):
        raise CardsPayloadError("'jobCards' is not a list of objects")
    token = result.get("nextToken")
    if token is not None and not isinstance(token, str):
        raise CardsPayloadError(f"'nextToken' is neither null nor a string: {token!r}")
    return JobCardsPage(cards=cards, next_token=token or None, errors=[])


def _error_message(error: Any) -> str:
    if isinstance(error, dict):
        kind, message = error.get("errorType"), error.get("message")
        return ": ".join(str(part) for part in (kind, message) if part) or json.dumps(error)
    return str(error)


def card_job_id(card: dict[str, Any]) -> str | None:
    """The card's ``jobId`` (``JOB-US-0000012345``), or None if absent."""
    value = card.get("jobId")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def card_to_item(
    card: dict[str, Any],
    *,
    site: HourlySite,
    origin: str,
    run_id: str,
    partition: str,
    seen_at: datetime,
) -> JobPosting | None:
    """Build a :class:`JobPosting` from one job card; None if it has no ``jobId``."""
    job_id = card_job_id(card)
    if job_id is None:
        return None
    title = card.get("jobTitle")
    return JobPosting(
        source=NAME,
        source_id=job_id,
        url=site.job_url(job_id, origin),
        title=title.strip() if isinstance(title, str) else None,
        run_id=run_id,
        partition=partition,
        seen_at=seen_at,
        locale=site.locale,
        raw=dict(card),
    )


def site_of_job_id(job_id: str) -> HourlySite | None:
    """The site a ``JOB-<CC>-...`` id belongs to (``GB`` is read as the UK site)."""
    parts = job_id.split("-")
    if len(parts) < 3 or parts[0] != "JOB":
        return None
    return HOURLY_SITES.get("UK" if parts[1] == "GB" else parts[1])


# -- normalization of a card ------------------------------------------------------------------

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
    """The card's one location, resolved with pycountry; ``country`` is the site's ISO code.
    Total: a malformed card gives no location."""
    if not isinstance(card, dict):
        return []
    state = compact_text(card.get("state"))
    location = build_location(
        city=compact_text(card.get("city")),
        region_code=state,
        region_name=None,
        country_tokens=(country,),
        virtual_type=card.get("virtualLocation") is True,
        raw=compact_text(card.get("locationName")),
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
    currency = currency_code(currency) if isinstance(currency, str) and currency else None
    if low is None or high is None or currency is None or period is None or low > high:
        return None
    shown = [card.get(f"{low_key}L10N"), card.get(f"{high_key}L10N")]
    raw = " - ".join(text for text in shown if isinstance(text, str) and text)
    return PayRange(
        min=low,
        max=high,
        currency=currency,
        period=period,
        location=compact_text(card.get("locationName")) or "",
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


# -- the source ---------------------------------------------------------------------------------


class AmazonHourly(Source):
    """The hourly-jobs sites: GraphQL job cards, one partition per country site."""

    name = NAME
    #: The content of a job card: what it offers, where and for what pay. ``scheduleCount``
    #: is the number of open shift schedules, part of the offer.
    content_fields = (
        "title",
        "schedule_type",
        "employment_type",
        "location_raw",
        "postal_code",
        "pay_raw",
        "schedule_count",
    )
    #: The whole card is kept in each version only.
    version_only_fields = ("card",)

    def snapshot(self, item: Mapping[str, Any]) -> dict[str, Any]:
        card = item.get("raw") or {}
        site = site_of_job_id(str(item.get("source_id") or ""))
        codes = item.get("country_codes") or [None]
        pay = [card.get(key) for key in ("totalPayRateMin", "totalPayRateMax", "currencyCode")]
        return {
            "title": item.get("title"),
            "url": item.get("url"),
            "schedule_type": card.get("jobType"),
            "employment_type": card.get("employmentType"),
            "location_raw": card.get("locationName"),
            "city": card.get("city"),
            "state": card.get("state"),
            "postal_code": card.get("postalCode"),
            "pay_raw": " ".join(str(part) for part in [*pay, card.get("payFrequency")] if part),
            "schedule_count": card.get("scheduleCount"),
            "country_code": site.country_alpha3 if site is not None else codes[0],
            "card": dict(card),
        }

    def locations(self, item: JobPosting) -> list[Location]:
        site = site_of_job_id(item.source_id)
        return card_locations(item.raw, site.country_alpha3) if site else []

    def pay(self, item: JobPosting) -> list[PayRange]:
        return card_pay(item.raw)

    def partition_values(self, posting: Mapping[str, Any]) -> dict[str, str]:
        """A posting was listed by the site of its country."""
        return {PARTITION_DIMENSION: SITE_BY_ALPHA3.get(posting.get("country_code") or "", "")}

    def scope_fields(self, scope: Mapping[str, Any]) -> dict[str, list[str]]:
        """A run of some country sites covers the postings of their countries."""
        sites = [HOURLY_SITES[key] for key in scope.get("sites") or {} if key in HOURLY_SITES]
        return {"country_code": [site.country_alpha3 for site in sites]}


SOURCE = AmazonHourly()
