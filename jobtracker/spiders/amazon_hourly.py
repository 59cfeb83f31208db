"""``amazon_hourly``: the hourly-jobs sites (hiring.amazon.com, .ca, jobsatamazon.co.uk,
jobs.amazon.ie) in Chromium through scrapy-playwright, without the UI's help.

The sites serve no data without JavaScript, and their UI asks only near a place (30 miles
around a default or guided location) and pages by infinite scroll. So the spider does not drive
the UI. It opens each country site's job search in its own browser context (a real user agent,
the site's locale and time zone), lets the page obtain its anonymous token and WAF cookie,
captures the page's own first ``searchJobCardsByLocation`` call (URL, headers, body) and then
issues the listing itself, from inside the page with ``fetch`` (same origin, cookies and token
as the page): neutral filters, no geo clause, 100 cards a page, following ``nextToken`` until
it is null. A site that refuses a query without a geo clause is tiled: a grid of large-radius
queries covering the country, deduplicated by ``jobId``.

Each country site is one partition of the run (``site=US``, ...). It is complete only when its
country-wide chain (or every tile of a covering tiling) ended with a null ``nextToken``, every
page answered and the ids reconcile; the query used is recorded in the partition. A 403 is a
site that blocks this client (``blocked``), never an empty one; an expired token is renewed
once and the page asked again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import scrapy
from twisted.python.failure import Failure

from jobtracker.arguments import AmazonHourlyArgs
from jobtracker.browser import (
    PageCallError,
    PageWatch,
    SiteSession,
    accept_consent,
    close_page,
    context_options,
    open_session,
)
from jobtracker.items import JobPosting
from jobtracker.partitions import ROOT_KEY, Partition, PartitionState
from jobtracker.site_status import block_reason, browser_unreachable_reason
from jobtracker.sources.amazon_hourly import (
    HOURLY_SITES,
    NAME,
    PARTITION_DIMENSION,
    CardsPayloadError,
    HourlySite,
    JobCardsPage,
    around,
    card_to_item,
    country_wide,
    parse_job_cards_payload,
    parse_schedule_cards_payload,
    schedule_request,
    tiling_points,
)
from jobtracker.spiders.base import TrackedSpider

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as BrowserRequest
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def abort_unneeded_request(request: BrowserRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: images, media and fonts are never needed for the data."""
    return request.resource_type in ("image", "media", "font")


class GeoRefused(Exception):
    """The site refused a query for its whole country (it wants a geo clause)."""


@dataclass
class SiteListing:
    """The accounting of one site's listing: the chain or tiles read so far."""

    site: HourlySite
    state: PartitionState
    listed: int = 0
    ids: set[str] = field(default_factory=set)


class AmazonHourlySpider(TrackedSpider):
    """Crawl the hourly-jobs country sites in Chromium, one browser context per site."""

    name = "amazon_hourly"
    args_model = AmazonHourlyArgs
    args: AmazonHourlyArgs
    custom_settings = {
        "DOWNLOAD_HANDLERS": {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER},
        "PLAYWRIGHT_ABORT_REQUEST": abort_unneeded_request,
    }

    def configure(self, settings: BaseSettings) -> None:
        """The browser's timeouts, the pause between pages, the tiling's radius and limit."""
        super().configure(settings)
        self.response_timeout = settings.getfloat("JOBTRACKER_HOURLY_RESPONSE_TIMEOUT", 30.0)
        self.page_delay = settings.getfloat("JOBTRACKER_HOURLY_PAGE_DELAY", 1.0)
        self.first_call_timeout = settings.getfloat("JOBTRACKER_HOURLY_FIRST_CALL_TIMEOUT", 15.0)
        self.schedule_delay = settings.getfloat("JOBTRACKER_HOURLY_SCHEDULE_DELAY", 0.25)
        self.tile_radius_mi = settings.getfloat("JOBTRACKER_HOURLY_TILE_RADIUS_MI", 100.0)
        self.max_tiles = settings.getint("JOBTRACKER_HOURLY_MAX_TILES", 2000)
        self.browser_user_agent = settings.get("USER_AGENT")
        options = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
        self.browser_path = options.get("executable_path")
        self.sites_failed: dict[str, str] = {}  # site key -> "blocked" / "unreachable"

    @property
    def sites(self) -> list[HourlySite]:
        return [HOURLY_SITES[key] for key in self.args.countries]

    def origin(self, site: HourlySite) -> str:
        """The site's origin: the real one, or its ``base_urls`` replacement."""
        return self.args.base_urls.get(site.key, site.origin).rstrip("/")

    @property
    def scope(self) -> dict[str, Any]:
        """What this run covers: the listed country sites, as ISO alpha-3 codes."""
        return {
            "source": NAME,
            "countries": [site.country_alpha3 for site in self.sites],
            "sites": {site.key: self.origin(site) for site in self.sites},
            "max_pages": self.args.max_pages,
        }

    # -- requests -----------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.stop_on_bad_argument()
        if self.browser_path and not os.path.exists(self.browser_path):
            logger.error(
                "Chromium not found at %s: install Debian's chromium package or set "
                "JOBTRACKER_CHROMIUM to the browser's path; nothing was crawled.",
                self.browser_path,
            )
            raise scrapy.exceptions.CloseSpider("browser_missing")
        sites = ", ".join(self.scope["sites"].values())
        logger.info("Run %s: hourly sites %s", self.run.run_id, sites)
        root = Partition()
        root_state = self.run.ledger.add(root, parent=None, promised=None)
        root_state.split_by = PARTITION_DIMENSION
        self.run.ledger.root_ok = True  # the sites to list are known without asking any of them
        for site in self.sites:
            self.run.ledger.add(
                root.child(PARTITION_DIMENSION, site.key), parent=ROOT_KEY, promised=None
            )
            yield self.site_request(site)

    def site_request(self, site: HourlySite) -> scrapy.Request:
        """Open the site's job search in a fresh browser context that looks like a visitor's
        (user agent, locale, time zone), watching the calls the page makes."""
        watch = PageWatch()
        return scrapy.Request(
            site.search_url(self.origin(site)),
            callback=self.parse_site,
            errback=self.site_failed,
            dont_filter=True,
            meta={
                "site": site,
                "watch": watch,
                "playwright": True,
                "playwright_include_page": True,
                "playwright_context": f"hourly-{site.key}-{self.run.run_id}",
                "playwright_context_kwargs": context_options(site, self.browser_user_agent),
                "playwright_page_event_handlers": {"request": watch.on_request},
                "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
            },
        )

    def partition_of(self, site: HourlySite) -> PartitionState:
        return self.run.ledger.get(Partition().child(PARTITION_DIMENSION, site.key).key)

    # -- responses ----------------------------------------------------------------------
    async def parse_site(self, response: scrapy.http.Response) -> AsyncIterator[JobPosting]:
        """Read the site's whole listing; the browser context is closed in any case."""
        site: HourlySite = response.meta["site"]
        page: Page = response.meta["playwright_page"]
        listing = SiteListing(site, self.partition_of(site))
        try:
            async for item in self.read_site(listing, page, response.meta["watch"]):
                yield item
        except PageCallError as exc:
            self.fail_site(listing, exc.kind, str(exc))
        finally:
            await close_page(page)
        self.stop_if_every_site_failed()

    async def read_site(
        self, listing: SiteListing, page: Page, watch: PageWatch
    ) -> AsyncIterator[JobPosting]:
        session = await open_session(
            listing.site,
            page,
            watch,
            f"{self.origin(listing.site)}/graphql",
            first_call_timeout=self.first_call_timeout,
            timeout=self.response_timeout,
        )
        if session.template.taken_from == "contract":
            self.crawler.stats.inc_value("jobtracker/hourly/contract_requests")
        if await accept_consent(page):
            self.crawler.stats.inc_value("jobtracker/hourly/consent_accepted")
        variables = country_wide(session.template.variables)
        query = {
            "mode": "country",
            "taken_from": session.template.taken_from,
            "endpoint": session.template.url,
            "variables": variables,
        }
        listing.state.query = query
        try:
            async for item in self.read_chain(listing, session, variables, "the country"):
                yield item
            return
        except GeoRefused as exc:
            logger.warning(
                "Site %s refuses a query for the whole country (%s): tiling it",
                listing.site.key,
                exc,
            )
            query["refused"] = str(exc)
            self.crawler.stats.inc_value("jobtracker/hourly/tiled_sites")
        async for item in self.read_tiles(listing, session, variables, query):
            yield item

    async def read_chain(
        self,
        listing: SiteListing,
        session: SiteSession,
        variables: dict[str, Any],
        what: str,
        *,
        tile: bool = False,
    ) -> AsyncIterator[JobPosting]:
        """Follow one query's ``nextToken`` chain to its end, yielding the new postings."""
        state, stats = listing.state, self.crawler.stats
        template = session.template.with_variables(variables)
        next_token: str | None = None
        chain_ids: list[str] = []
        while True:
            if state.pages_planned and self.page_delay:
                await asyncio.sleep(self.page_delay)
            state.pages_planned += 1
            number = state.pages_planned
            body = template.page(next_token)
            text = await session.ask(body, f"{what}, page {number}")
            result = parse_page(text, number)
            if result.errors:
                if next_token is None and state.pages_ok == 0:
                    state.pages_planned -= 1  # a refused query, not a lost page
                    raise GeoRefused("; ".join(result.errors))
                raise PageCallError("graphql_errors", f"{'; '.join(result.errors)} (page {number})")
            seen_at = self.run.clock.now()
            ids = []
            for card in result.cards:
                item = card_to_item(
                    card,
                    site=listing.site,
                    origin=self.origin(listing.site),
                    run_id=self.run.run_id,
                    partition=state.key,
                    seen_at=seen_at,
                )
                if item is None:
                    stats.inc_value("jobtracker/postings/without_id")
                    continue
                ids.append(item.source_id)
                if item.source_id in listing.ids:
                    continue  # another tile's, already yielded
                listing.ids.add(item.source_id)
                if self.args.schedules:
                    item.schedules = await self.schedules_of(listing.site, session, item)
                if self.keep_first_sighting(item.source_id):
                    yield item
            chain_ids.extend(ids)
            if tile:
                listed = len(listing.ids)  # tiles overlap: the union is what was listed
            else:
                listing.listed += len(result.cards)
                listed = listing.listed
            self.run.ledger.record_page(state.key, ids, listed)
            root = self.run.ledger.get(ROOT_KEY)
            root.promised = sum(self.run.ledger.get(key).latest_hits or 0 for key in root.children)
            stats.inc_value("jobtracker/pages/ok")
            next_token = result.next_token
            if next_token is None:
                if tile and len(chain_ids) != len(set(chain_ids)):
                    self.run.ledger.mark_incomplete(
                        state.key, f"{what} listed a posting twice: the board moved under it"
                    )
                logger.debug("Site %s: %s listed %d postings", listing.site.key, what, len(ids))
                return
            if self.args.max_pages is not None and number >= self.args.max_pages:
                self.run.ledger.mark_incomplete(
                    state.key, f"max_pages={self.args.max_pages} stopped it early"
                )
                return

    async def read_tiles(
        self,
        listing: SiteListing,
        session: SiteSession,
        variables: dict[str, Any],
        query: dict[str, Any],
    ) -> AsyncIterator[JobPosting]:
        """List the country tile by tile: circles of the largest radius the site accepts
        (halved while it refuses, within ``JOBTRACKER_HOURLY_MAX_TILES``) that together
        cover every box of the country."""
        site, state = listing.site, listing.state
        radius = self.tile_radius_mi
        while True:
            points = tiling_points(site.boxes, radius)
            query.update(mode="tiles", radius_mi=radius, tiles=len(points), covered=False)
            if len(points) > self.max_tiles:
                reason = (
                    f"the site refused the country-wide query ({query.get('refused')}) and "
                    f"tiles of {2 * radius:g} mi; {len(points)} tiles of {radius:g} mi exceed "
                    f"JOBTRACKER_HOURLY_MAX_TILES={self.max_tiles}: the country is not covered"
                )
                self.run.ledger.mark_incomplete(state.key, reason)
                logger.error("Site %s is incomplete: %s", site.key, reason)
                return
            try:
                for number, point in enumerate(points, 1):
                    what = f"tile {number}/{len(points)} ({radius:g} mi)"
                    tile = around(variables, point, radius)
                    async for item in self.read_chain(listing, session, tile, what, tile=True):
                        yield item
                    if state.problems:
                        return  # max_pages stopped it: the tiling does not cover
            except GeoRefused as exc:
                if state.pages_ok:
                    raise PageCallError("graphql_errors", f"a tile was refused: {exc}") from None
                logger.warning("Site %s refuses tiles of %g mi (%s)", site.key, radius, exc)
                radius /= 2
                continue
            query["covered"] = True
            logger.info(
                "Site %s: %d postings from %d tiles of %g mi covering the country",
                site.key,
                len(listing.ids),
                len(points),
                radius,
            )
            return

    async def schedules_of(
        self, site: HourlySite, session: SiteSession, item: JobPosting
    ) -> list[dict[str, Any]] | None:
        """The posting's shift schedules; None (and a warning) when they could not be read:
        the listing stays complete, the schedules are extra."""
        if self.schedule_delay:
            await asyncio.sleep(self.schedule_delay)
        try:
            text = await session.ask(schedule_request(site, item.source_id), item.source_id)
            schedules = parse_schedule_cards_payload(text)
        except (PageCallError, CardsPayloadError) as exc:
            logger.warning("Schedules of %s not read: %s", item.source_id, exc)
            self.crawler.stats.inc_value("jobtracker/hourly/schedules_failed")
            return None
        self.crawler.stats.inc_value("jobtracker/hourly/schedules")
        return schedules

    # -- failures -----------------------------------------------------------------------
    def fail_site(self, listing: SiteListing, kind: str, reason: str) -> None:
        """Count and log a site whose listing could not be read; its partition is
        incomplete (a blocked site too: never an empty one)."""
        logger.error("Site %s is incomplete: %s", listing.site.key, reason)
        stats = self.crawler.stats
        stats.inc_value(f"jobtracker/hourly/{kind}")
        stats.inc_value("jobtracker/pages/failed")
        if kind == "blocked":
            stats.inc_value("jobtracker/blocked")
            self.sites_failed[listing.site.key] = "blocked"
        self.run.ledger.record_failure(listing.state.key, reason)

    async def site_failed(self, failure: Failure) -> None:
        """The job-search page itself could not be loaded: a refused page (403) is a blocked
        site, no answer at all an unreachable one, anything else a failed one."""
        request = failure.request  # type: ignore[attr-defined]
        site: HourlySite = request.meta["site"]
        listing = SiteListing(site, self.partition_of(site))
        response = getattr(failure.value, "response", None)
        blocked = None
        if response is not None:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            blocked = block_reason(response.status, content_type, response.body)
        unreachable = browser_unreachable_reason(str(failure.value))
        if blocked is not None:
            self.fail_site(listing, "blocked", f"blocked: {blocked} for {request.url}")
        elif unreachable is not None:
            self.sites_failed[site.key] = "unreachable"
            self.fail_site(listing, "unreachable", f"{request.url} is unreachable ({unreachable})")
        else:
            self.fail_site(
                listing,
                "navigation_failed",
                f"{request.url} could not be loaded ({failure.value.__class__.__name__})",
            )
        page = request.meta.get("playwright_page")
        if page is not None:
            await close_page(page)
        self.stop_if_every_site_failed()

    def stop_if_every_site_failed(self) -> None:
        """When no site let us in (each blocked or unreachable), the run stops as ``blocked``
        (if any site refused us) or ``unreachable`` (exit status 1), never as a finished
        run."""
        if len(self.sites_failed) < len(self.sites):
            return
        outcomes = set(self.sites_failed.values())
        keys = ", ".join(self.sites_failed)
        if outcomes == {"blocked"}:
            self.stop_run("blocked", f"the hourly sites {keys} refuse this client (HTTP 403)")
        if outcomes == {"unreachable"}:
            self.stop_run("unreachable", f"the hourly sites {keys} cannot be reached")
        each = ", ".join(f"{key}: {outcome}" for key, outcome in self.sites_failed.items())
        self.stop_run("blocked", f"no hourly site let this client in ({each})")


def parse_page(text: str, number: int) -> JobCardsPage:
    """A listing answer, decoded; a body that is not one fails the page."""
    try:
        return parse_job_cards_payload(text)
    except CardsPayloadError as exc:
        raise PageCallError("malformed_json", f"{exc} (page {number})") from None
