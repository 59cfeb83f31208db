"""``amazon_hourly``: the hourly-jobs sites (hiring.amazon.com, .ca, jobsatamazon.co.uk,
jobs.amazon.ie) in Chromium through scrapy-playwright.

The sites serve no data without JavaScript: the page obtains an anonymous token and POSTs the
GraphQL query ``searchJobCardsByLocation`` itself. The spider opens each country site's job
search in its own browser context, lets the page make its calls, captures the GraphQL
responses (never the rendered HTML), and clicks "more results" until ``nextToken`` is empty.

Each country site is one partition of the run (``site=US``, ...): it is
complete when every page came back and the listing ended with an empty ``nextToken``; a failed
or silent GraphQL call, or a page limit, leaves it incomplete, and the store closes postings
only inside complete partitions, exactly as for the corporate board.
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
from jobtracker.items import JobPosting
from jobtracker.partitions import ROOT_KEY, Partition, PartitionState
from jobtracker.sources.amazon_hourly import (
    HOURLY_SITES,
    NAME,
    OPERATION,
    PARTITION_DIMENSION,
    CardsPayloadError,
    HourlySite,
    card_to_item,
    parse_job_cards_payload,
)
from jobtracker.spiders.base import TrackedSpider

if TYPE_CHECKING:
    from playwright.async_api import Page
    from playwright.async_api import Request as BrowserRequest
    from playwright.async_api import Response as BrowserResponse
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

LOAD_MORE = 'body[data-search-state="ready"] #load-more'
PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def abort_unneeded_request(request: BrowserRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: images, media and fonts are never needed for the data."""
    return request.resource_type in ("image", "media", "font")


@dataclass
class GraphQLCapture:
    """Collects the page's own ``searchJobCardsByLocation`` calls, answered or failed, in order.

    Registered as the page's ``response`` and ``requestfailed`` handlers before navigation.
    """

    queue: asyncio.Queue[tuple[BrowserResponse | None, str | None]] = field(
        default_factory=asyncio.Queue
    )

    @staticmethod
    def is_search_call(request: BrowserRequest) -> bool:
        return (
            request.method == "POST"
            and request.url.split("?", 1)[0].endswith("/graphql")
            and OPERATION in (request.post_data or "")
        )

    def on_response(self, response: BrowserResponse) -> None:
        if self.is_search_call(response.request):
            self.queue.put_nowait((response, None))

    def on_request_failed(self, request: BrowserRequest) -> None:
        if self.is_search_call(request):
            self.queue.put_nowait((None, request.failure or "request failed"))

    async def next_body(self, timeout: float) -> bytes:
        """The body of the next search call's answer; raises ``ListingError`` when the call
        failed, answered an HTTP error, or nothing came within ``timeout`` seconds."""
        try:
            response, failure = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            raise ListingError("timeout", f"no GraphQL answer within {timeout:g} s") from None
        if response is None:
            raise ListingError("graphql_failed", f"GraphQL request failed: {failure}")
        if response.status != 200:
            raise ListingError("graphql_failed", f"GraphQL answered HTTP {response.status}")
        return await response.body()


class ListingError(Exception):
    """A page of a site's listing could not be obtained; ``kind`` names the stats counter."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


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
        """The browser timeouts and page limits."""
        super().configure(settings)
        self.response_timeout = settings.getfloat("JOBTRACKER_HOURLY_RESPONSE_TIMEOUT", 30.0)
        self.page_delay = settings.getfloat("JOBTRACKER_HOURLY_PAGE_DELAY", 1.0)
        options = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
        self.browser_path = options.get("executable_path")

    @property
    def sites(self) -> list[HourlySite]:
        return [HOURLY_SITES[key] for key in self.args.countries]

    def origin(self, site: HourlySite) -> str:
        """The site's origin: the real one, or its ``base_urls`` replacement."""
        return self.args.base_urls.get(site.key, site.origin)

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
        """Open the site's job search in a fresh browser context, capturing its GraphQL calls."""
        capture = GraphQLCapture()
        return scrapy.Request(
            site.search_url(self.origin(site)),
            callback=self.parse_site,
            errback=self.site_failed,
            dont_filter=True,
            meta={
                "site": site,
                "capture": capture,
                "playwright": True,
                "playwright_include_page": True,
                "playwright_context": f"hourly-{site.key}-{self.run.run_id}",
                "playwright_page_event_handlers": {
                    "response": capture.on_response,
                    "requestfailed": capture.on_request_failed,
                },
                "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
            },
        )

    def partition_of(self, site: HourlySite) -> PartitionState:
        return self.run.ledger.get(Partition().child(PARTITION_DIMENSION, site.key).key)

    # -- responses ----------------------------------------------------------------------
    async def parse_site(self, response: scrapy.http.Response) -> AsyncIterator[JobPosting]:
        """Read the site's listing page by page; the browser context is closed in any case."""
        site: HourlySite = response.meta["site"]
        page: Page = response.meta["playwright_page"]
        try:
            async for item in self.read_listing(site, page, response.meta["capture"]):
                yield item
        finally:
            await close_page(page)

    async def read_listing(
        self, site: HourlySite, page: Page, capture: GraphQLCapture
    ) -> AsyncIterator[JobPosting]:
        state = self.partition_of(site)
        stats = self.crawler.stats
        listed = 0
        while True:
            state.pages_planned += 1
            number = state.pages_planned
            try:
                result = parse_job_cards_payload(await capture.next_body(self.response_timeout))
            except (ListingError, CardsPayloadError) as exc:
                kind = exc.kind if isinstance(exc, ListingError) else "malformed_json"
                self.fail_site(state, site, kind, f"{exc} (page {number})")
                return
            if result.errors:
                self.fail_site(
                    state, site, "graphql_errors", f"{'; '.join(result.errors)} (page {number})"
                )
                return
            seen_at = self.run.clock.now()
            ids = []
            for card in result.cards:
                item = card_to_item(
                    card,
                    site=site,
                    origin=self.origin(site),
                    run_id=self.run.run_id,
                    partition=state.key,
                    seen_at=seen_at,
                )
                if item is None:
                    stats.inc_value("jobtracker/postings/without_id")
                    continue
                ids.append(item.source_id)
                if self.keep_first_sighting(item.source_id):
                    yield item
            listed += len(result.cards)
            # What the site listed so far; the ids must reconcile with it at the end. The whole
            # run promised what its sites listed.
            self.run.ledger.record_page(state.key, ids, listed)
            root = self.run.ledger.get(ROOT_KEY)
            root.promised = sum(self.run.ledger.get(key).latest_hits or 0 for key in root.children)
            stats.inc_value("jobtracker/pages/ok")
            if result.next_token is None:
                logger.info("Site %s: %d postings in %d pages", site.key, len(state.ids), number)
                return
            if self.args.max_pages is not None and number >= self.args.max_pages:
                self.run.ledger.mark_incomplete(
                    state.key, f"max_pages={self.args.max_pages} stopped it early"
                )
                return
            if self.page_delay:
                await asyncio.sleep(self.page_delay)
            try:
                await page.click(LOAD_MORE, timeout=self.response_timeout * 1000)
            except Exception as exc:  # Playwright's TimeoutError or a closed page
                self.fail_site(
                    state, site, "timeout", f"no 'more results' control: {type(exc).__name__}"
                )
                return

    def fail_site(self, state: PartitionState, site: HourlySite, kind: str, reason: str) -> None:
        """Count and log a page that could not be read; the site's partition is incomplete."""
        logger.error("Site %s is incomplete: %s", site.key, reason)
        self.crawler.stats.inc_value(f"jobtracker/hourly/{kind}")
        self.crawler.stats.inc_value("jobtracker/pages/failed")
        self.run.ledger.record_failure(state.key, reason)

    async def site_failed(self, failure: Failure) -> None:
        """The job-search page itself could not be loaded (navigation error or timeout)."""
        request = failure.request  # type: ignore[attr-defined]
        site: HourlySite = request.meta["site"]
        self.fail_site(
            self.partition_of(site),
            site,
            "navigation_failed",
            f"{request.url} could not be loaded ({failure.value.__class__.__name__})",
        )
        page = request.meta.get("playwright_page")
        if page is not None:
            await close_page(page)


async def close_page(page: Page) -> None:
    """Close a page and its browser context (one context per site and run)."""
    try:
        await page.close()
        await page.context.close()
    except Exception as exc:  # the browser may already be gone at shutdown
        logger.debug("Closing a browser page failed: %s", exc)
