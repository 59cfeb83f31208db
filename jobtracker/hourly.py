"""The hourly-jobs sites (hiring.amazon.com and its country siblings), as pure values.

The sites are JavaScript-only: the page obtains an anonymous token and POSTs the GraphQL query
``searchJobCardsByLocation`` itself, paging with ``nextToken`` (reference notes §7). The
``amazon_hourly`` spider lets the page do that in Chromium and hands the captured GraphQL
bodies to :func:`parse_job_cards_payload`; :func:`card_to_item` turns one job card into a
:class:`~jobtracker.items.JobPosting`. Nothing here knows about Scrapy or Playwright.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from jobtracker.items import JobPosting

SOURCE = "amazon_hourly"
OPERATION = "searchJobCardsByLocation"


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
        source=SOURCE,
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
