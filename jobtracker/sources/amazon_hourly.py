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
from dataclasses import dataclass, replace
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


#: ``(lat_min, lat_max, lng_min, lng_max)``: a box of the country, for tiling.
Box = tuple[float, float, float, float]


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
    timezone: str
    """The browser context's time zone: the site's own, as a visitor's would be."""
    boxes: tuple[Box, ...]
    """Boxes that hold the whole country (territories included): what a tiling must cover."""

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
        HourlySite(
            "US", "USA", "United States", "en-US", "https://hiring.amazon.com",
            "America/New_York",
            (
                (24.3, 49.5, -125.0, -66.8),  # the contiguous states
                (51.0, 71.5, -180.0, -129.5),  # Alaska
                (18.8, 22.4, -160.5, -154.6),  # Hawaii
                (17.8, 18.6, -67.4, -65.1),  # Puerto Rico
            ),
        ),
        HourlySite(
            "CA", "CAN", "Canada", "en-CA", "https://hiring.amazon.ca",
            "America/Toronto", ((41.6, 83.2, -141.1, -52.5),),
        ),
        HourlySite(
            "UK", "GBR", "United Kingdom", "en-GB", "https://www.jobsatamazon.co.uk",
            "Europe/London", ((49.8, 60.9, -8.7, 1.8),),
        ),
        HourlySite(
            "IE", "IRL", "Ireland", "en-IE", "https://jobs.amazon.ie",
            "Europe/Dublin", ((51.4, 55.4, -10.7, -5.9),),
        ),
    )
}  # fmt: skip
#: ISO alpha-3 -> site key (the arguments accept any spelling of the country).
SITE_BY_ALPHA3 = {site.country_alpha3: key for key, site in HOURLY_SITES.items()}


# -- the listing request -----------------------------------------------------------------------

#: The ``authorization`` value the sites' pages send with their anonymous token.
AUTH_PREFIX = "Bearer Status|unauthenticated|Session|"
#: The most cards one request may ask for (the sites refuse more).
MAX_PAGE_SIZE = 100
#: Both values of the private-schedule filter: public and private schedules alike.
EVERY_SCHEDULE = {"key": "isPrivateSchedule", "val": ["true", "false"]}
#: Miles per degree of latitude, and the Earth's mean radius in miles.
MILES_PER_DEGREE = 69.05
EARTH_RADIUS_MI = 3958.8
#: Headers the browser sets itself on a page's ``fetch`` (or refuses to let it set).
BROWSER_HEADERS = frozenset(
    {"host", "cookie", "origin", "referer", "content-length", "user-agent", "accept-encoding",
     "connection", "accept-language"}
)  # fmt: skip

#: The listing operation with the card fields public captures select (docs/sites.md).
SEARCH_QUERY = (
    "query searchJobCardsByLocation($searchJobRequest: SearchJobRequest!) {"
    " searchJobCardsByLocation(searchJobRequest: $searchJobRequest) { nextToken jobCards {"
    " jobId language dataSource requisitionType jobTitle jobType employmentType city state"
    " postalCode locationName totalPayRateMin totalPayRateMax tagLine bannerText image"
    " jobPreviewVideo distance featuredJob bonusJob bonusPay scheduleCount currencyCode"
    " geoClusterDescription surgePay jobTypeL10N employmentTypeL10N bonusPayL10N surgePayL10N"
    " totalPayRateMinL10N totalPayRateMaxL10N distanceL10N monthlyBasePayMin"
    " monthlyBasePayMinL10N monthlyBasePayMax monthlyBasePayMaxL10N jobContainerJobMetaL1"
    " virtualLocation poolingEnabled payFrequency jobLocationType internalStaffingOrgId"
    " agencyName __typename } } }"
)
SCHEDULE_OPERATION = "searchScheduleCards"
#: A job's shift schedules: their text and pay (docs/sites.md).
SCHEDULE_QUERY = (
    "query searchScheduleCards($searchScheduleRequest: SearchScheduleRequest!) {"
    " searchScheduleCards(searchScheduleRequest: $searchScheduleRequest) { nextToken"
    " scheduleCards { scheduleId jobId scheduleText hireStartDate address basePay basePayL10N"
    " totalPayRate totalPayRateL10N hoursPerWeek currencyCode } } }"
)


@dataclass(frozen=True)
class SearchTemplate:
    """A listing request to replay from inside a site's page: where, with which headers, and
    the GraphQL body (``operationName``, ``variables.searchJobRequest``, ``query``)."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    taken_from: str
    """``page`` (the page's own first search call) or ``contract`` (built from the documented
    request shape, when the page made no search call)."""

    @property
    def variables(self) -> dict[str, Any]:
        return self.body["variables"]["searchJobRequest"]

    def with_variables(self, variables: Mapping[str, Any]) -> SearchTemplate:
        body = {**self.body, "variables": {"searchJobRequest": dict(variables)}}
        return replace(self, body=body)

    def with_token(self, token: str) -> SearchTemplate:
        """The same request under a renewed anonymous token."""
        return replace(self, headers={**self.headers, "authorization": AUTH_PREFIX + token})

    def page(self, next_token: str | None) -> dict[str, Any]:
        """The body asking for the page that ``next_token`` points at (the first if None)."""
        variables = {k: v for k, v in self.variables.items() if k != "nextToken"}
        if next_token is not None:
            variables["nextToken"] = next_token
        return {**self.body, "variables": {"searchJobRequest": variables}}


def replay_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers of a captured call that a page's ``fetch`` must send again (the token,
    ``country``, ``iscanary``, the content type), without those the browser sets itself."""
    return {
        name.lower(): value
        for name, value in headers.items()
        if name.lower() not in BROWSER_HEADERS
        and not name.lower().startswith("sec-")
        and not name.startswith(":")
    }


def template_from_capture(
    url: str, headers: Mapping[str, str], post_data: str | None
) -> SearchTemplate | None:
    """The page's own search call as a template; None if its body is not a
    ``searchJobCardsByLocation`` request with variables."""
    try:
        body = json.loads(post_data or "")
        variables = body["variables"]["searchJobRequest"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(variables, dict) or not isinstance(body.get("query"), str):
        return None
    body = {"operationName": body.get("operationName") or OPERATION, **body}
    return SearchTemplate(url, replay_headers(headers), body, "page")


def template_from_contract(site: HourlySite, graphql_url: str, token: str) -> SearchTemplate:
    """The documented listing request (docs/sites.md), for a page that made no search call of
    its own (the US site's guided-location modal holds it back)."""
    headers = {
        "authorization": AUTH_PREFIX + token,
        "country": site.country_name,
        "iscanary": "false",
        "content-type": "application/json",
    }
    variables = {
        "locale": site.locale,
        "country": site.country_name,
        "keyWords": "",
        "equalFilters": [],
        "containFilters": [EVERY_SCHEDULE],
        "rangeFilters": [],
        "orFilters": [],
        "dateFilters": [],
        "sorters": [{"fieldName": "totalPayRateMax", "ascending": "false"}],
        "pageSize": MAX_PAGE_SIZE,
        "consolidateSchedule": True,
    }
    body = {
        "operationName": OPERATION,
        "variables": {"searchJobRequest": variables},
        "query": SEARCH_QUERY,
    }
    return SearchTemplate(graphql_url, headers, body, "contract")


def token_of(authorization: str | None) -> str | None:
    """The anonymous token inside an ``authorization`` header value, or None."""
    if not authorization or not authorization.startswith(AUTH_PREFIX):
        return None
    return authorization[len(AUTH_PREFIX) :] or None


def country_wide(variables: Mapping[str, Any]) -> dict[str, Any]:
    """The page's query made neutral and country-wide: no keywords, no date, range, equality
    or "or" filters, both private-schedule values, no geo clause, the largest page; the
    locale, country, sort order and the rest of what the page sent stay as sent."""
    neutral = {
        key: value for key, value in variables.items() if key not in ("geoQueryClause", "nextToken")
    }
    neutral.update(
        keyWords="",
        equalFilters=[],
        containFilters=[EVERY_SCHEDULE],
        rangeFilters=[],
        orFilters=[],
        dateFilters=[],
        pageSize=MAX_PAGE_SIZE,
    )
    return neutral


def around(
    variables: Mapping[str, Any], point: tuple[float, float], radius_mi: float
) -> dict[str, Any]:
    """``variables`` limited to ``radius_mi`` miles around ``point`` (one tile)."""
    lat, lng = point
    clause = {"lat": round(lat, 4), "lng": round(lng, 4), "unit": "mi", "distance": radius_mi}
    return {**variables, "geoQueryClause": clause}


def distance_mi(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in miles between two ``(lat, lng)`` points."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MI * math.asin(min(1.0, math.sqrt(h)))


def tiling_points(boxes: tuple[Box, ...], radius_mi: float) -> list[tuple[float, float]]:
    """Centres of circles of ``radius_mi`` that together cover every box.

    Each box is cut into rows, each row into cells whose diagonal is 0.9 of the circle's
    diameter where the row is widest (nearest the equator), so the circle on a cell's centre
    holds the whole cell, with room for the Earth's curvature."""
    side = radius_mi * math.sqrt(2) * 0.9  # miles
    points = []
    for lat_min, lat_max, lng_min, lng_max in boxes:
        rows = max(1, math.ceil((lat_max - lat_min) * MILES_PER_DEGREE / side))
        row_height = (lat_max - lat_min) / rows
        for row in range(rows):
            low, high = lat_min + row * row_height, lat_min + (row + 1) * row_height
            nearest_equator = 0.0 if low <= 0 <= high else min(abs(low), abs(high))
            row_miles = (
                (lng_max - lng_min) * MILES_PER_DEGREE * math.cos(math.radians(nearest_equator))
            )
            cells = max(1, math.ceil(row_miles / side))
            cell_width = (lng_max - lng_min) / cells
            points.extend(
                ((low + high) / 2, lng_min + (cell + 0.5) * cell_width) for cell in range(cells)
            )
    return points


class CardsPayloadError(ValueError):
    """A GraphQL body that is not a ``searchJobCardsByLocation`` answer."""


@dataclass(frozen=True)
class JobCardsPage:
    """One decoded ``searchJobCardsByLocation`` answer (or its GraphQL errors)."""

    cards: list[dict[str, Any]]
    next_token: str | None
    errors: list[str]


def _json_object(body: bytes | str) -> dict[str, Any]:
    """A GraphQL body as a JSON object; :class:`CardsPayloadError` for anything else."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CardsPayloadError(f"not JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise CardsPayloadError(f"expected a JSON object, got {type(data).__name__}")
    return data


def parse_job_cards_payload(body: bytes | str) -> JobCardsPage:
    """Decode a GraphQL body; raise :class:`CardsPayloadError` if it has neither data nor errors.

    ``{"errors": [...]}`` (AppSync's failure shape) gives a page with ``errors`` set.
    """
    data = _json_object(body)
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


def parse_schedule_cards_payload(body: bytes | str) -> list[dict[str, Any]]:
    """The ``scheduleCards`` of a ``searchScheduleCards`` answer; raise
    :class:`CardsPayloadError` for anything else (errors included)."""
    data = _json_object(body)
    if data.get("errors"):
        raise CardsPayloadError("; ".join(_error_message(e) for e in data["errors"]))
    result = (
        (data.get("data") or {}).get(SCHEDULE_OPERATION)
        if isinstance(data.get("data"), dict)
        else None
    )
    cards = result.get("scheduleCards") if isinstance(result, dict) else None
    if not isinstance(cards, list) or not all(isinstance(card, dict) for card in cards):
        raise CardsPayloadError(f"no {SCHEDULE_OPERATION} schedule cards")
    return cards


def schedule_request(site: HourlySite, job_id: str) -> dict[str, Any]:
    """The GraphQL body asking for every shift schedule of one job (docs/sites.md)."""
    request = {
        "locale": site.locale,
        "country": site.country_name,
        "jobId": job_id,
        "pageSize": 1000,
        "consolidateSchedule": True,
    }
    return {
        "operationName": SCHEDULE_OPERATION,
        "variables": {"searchScheduleRequest": request},
        "query": SCHEDULE_QUERY,
    }


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
    #: The whole card, and the schedule cards of a run that asked for them, are kept in each
    #: version only (schedules alone never make a new version).
    version_only_fields = ("card", "schedules")

    def snapshot(self, item: Mapping[str, Any]) -> dict[str, Any]:
        card = item.get("raw") or {}
        site = site_of_job_id(str(item.get("source_id") or ""))
        codes = item.get("country_codes") or [None]
        pay = [card.get(key) for key in ("totalPayRateMin", "totalPayRateMax", "currencyCode")]
        snapshot = {
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
        schedules = item.get("schedules")
        if schedules is not None:
            snapshot["schedules"] = [dict(schedule) for schedule in schedules]
        return snapshot

    def item_from_snapshot(
        self, snapshot: Mapping[str, Any], *, source_id: str, seen_at: datetime
    ) -> JobPosting | None:
        """The whole card kept with the version; None for a version stored without it."""
        card = snapshot.get("card")
        site = site_of_job_id(source_id)
        if not isinstance(card, Mapping):
            return None
        return JobPosting(
            source=NAME,
            source_id=source_id,
            url=snapshot.get("url") or "",
            title=snapshot.get("title"),
            run_id="",
            partition="",
            seen_at=seen_at,
            locale=site.locale if site is not None else "en",
            raw=dict(card),
        )

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
