"""``amazon_jobs``: the corporate board of www.amazon.jobs through its ``search.json`` API.

A full crawl asks for facet counts first, then pages through every ``business_category[]``
partition, splitting a partition too large for the 10,000-row window by country (then state,
then city). A keyword crawl (``query``) pages through the matches directly. Pages of 100 rows
overlap by one row (offsets 0, 99, 198, ...), so that a board moving during the crawl cannot
hide a skipped posting (:func:`~jobtracker.partitions.board_moves`). Every partition is
accounted for in the ledger of the run (:class:`~jobtracker.run.CrawlRun`), which the run
extension finalizes when the spider closes, before the crawl summary and the store read it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from twisted.python.failure import Failure

from jobtracker.arguments import AmazonJobsArgs
from jobtracker.items import JobPosting
from jobtracker.partitions import (
    ROOT_KEY,
    Partition,
    PartitionState,
    page_offsets,
    pages_reach,
)
from jobtracker.sources.amazon_jobs import (
    NAME,
    PayloadError,
    SearchPage,
    job_to_item,
    parse_search_payload,
)
from jobtracker.spiders.base import TrackedSpider

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
ROOT_FACETS = ("business_category", "normalized_country_code")


class AmazonJobsSpider(TrackedSpider):
    """Crawl www.amazon.jobs ``search.json``: the whole board, a scope, or a keyword."""

    name = "amazon_jobs"
    args_model = AmazonJobsArgs
    args: AmazonJobsArgs
    window: int
    planned: dict[str, list[int]]
    """Per partition key, the offsets of the listing pages requested so far."""

    def configure(self, settings: BaseSettings) -> None:
        """The site's result window."""
        super().configure(settings)
        self.window = settings.getint("AMAZON_JOBS_RESULT_WINDOW", 10_000)
        self.planned = {}

    # -- what the rest of the project reads ---------------------------------------------
    @property
    def is_keyword_run(self) -> bool:
        """Keyword runs cannot see non-matching postings, so they never close anything."""
        return self.args.query is not None

    @property
    def scope(self) -> dict[str, Any]:
        """What this run claims to cover (used for closures and in ``crawl_runs``)."""
        return {
            "source": NAME,
            "query": self.args.query,
            "countries": list(self.args.countries),
            "categories": list(self.args.categories),
            "locale": self.args.locale,
            "base_url": self.args.base_url,
            "max_pages": self.args.max_pages,
        }

    # -- requests -----------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.stop_on_bad_argument()
        logger.info(
            "Run %s: %s crawl of %s (scope %s)",
            self.run.run_id,
            "keyword" if self.is_keyword_run else "full",
            self.args.base_url,
            {k: v for k, v in self.scope.items() if v and k not in ("source", "base_url")},
        )
        root = Partition()
        self.run.ledger.add(root, parent=None, promised=None)
        if self.is_keyword_run:
            # The first page doubles as the facet call; most keywords fit in one partition.
            state = self.run.ledger.get(ROOT_KEY)
            state.pages_planned = 1
            yield self.search_request(root, offset=0, facets=ROOT_FACETS, root_page=True)
        else:
            # The category counts come from a call not filtered by the run's categories: a
            # site whose category filter answers ``hits: 0`` must contradict them, never look
            # like "absent, complete and empty" (scheduled jobs crawl a few categories each).
            yield self.search_request(
                root,
                offset=0,
                limit=1,
                facets=ROOT_FACETS,
                split_by="business_category",
                scope_categories=False,
            )

    def search_url(
        self,
        partition: Partition,
        *,
        offset: int,
        limit: int,
        facets: tuple[str, ...],
        scope_categories: bool = True,
    ) -> str:
        """The ``search.json`` URL for one page of one partition within the run's scope
        (``scope_categories=False``: without the run's category filter)."""
        filters: dict[str, list[str]] = {}
        if self.args.countries:
            filters["normalized_country_code"] = list(self.args.countries)
        if self.args.categories and scope_categories:
            filters["business_category"] = list(self.args.categories)
        for dimension, value in partition.filters:
            filters[dimension] = [value]  # a partition narrows the scope's values
        params: list[tuple[str, str | int]] = [
            ("base_query", self.args.query or ""),
            ("offset", offset),
            ("result_limit", limit),
            ("sort", "recent"),
        ]
        for dimension, values in filters.items():
            params.extend((f"{dimension}[]", value) for value in values)
        params.extend(("facets[]", facet) for facet in facets)
        return f"{self.args.base_url}/{self.args.locale}/search.json?{urlencode(params)}"

    def search_request(
        self,
        partition: Partition,
        *,
        offset: int,
        limit: int = PAGE_SIZE,
        facets: tuple[str, ...] = (),
        split_by: str | None = None,
        root_page: bool = False,
        scope_categories: bool = True,
    ) -> scrapy.Request:
        url = self.search_url(
            partition, offset=offset, limit=limit, facets=facets, scope_categories=scope_categories
        )
        return scrapy.Request(
            url,
            callback=self.parse_facets if split_by else self.parse_page,
            errback=self.on_error,
            headers={"Accept": "application/json"},
            meta={
                "partition": partition,
                "offset": offset,
                "limit": limit,
                "split_by": split_by,
                "root_page": root_page,
            },
        )

    # -- responses ----------------------------------------------------------------------
    def read_page(self, response: scrapy.http.Response) -> SearchPage | scrapy.Request | None:
        """Decode a response; on a malformed body or a soft error retry, then give up."""
        key = response.meta["partition"].key
        try:
            page = parse_search_payload(response.body)
        except PayloadError as exc:
            reason = "malformed_json"
            logger.warning("Malformed search.json from %s: %s", response.url, exc)
        else:
            if page.error is None:
                return page
            reason = "soft_error"
            logger.warning("Soft error from %s: %s", response.url, page.error)
        self.crawler.stats.inc_value(f"jobtracker/{reason}")
        return self.retry_or_fail(response.request, key, reason)

    def retry_or_fail(
        self, request: scrapy.Request, key: str, reason: str
    ) -> scrapy.Request | None:
        retry = get_retry_request(request, spider=self, reason=reason)
        if retry is None:
            self.run.ledger.record_failure(key, f"{reason} at offset {request.meta['offset']}")
            self.crawler.stats.inc_value("jobtracker/pages/failed")
        return retry

    def parse_facets(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        """A facet call: split its partition into children by the requested dimension."""
        result = self.read_page(response)
        if not isinstance(result, SearchPage):
            if result is not None:
                yield result
            return
        partition: Partition = response.meta["partition"]
        yield from self.split(partition, response.meta["split_by"], result)

    def split(
        self, partition: Partition, dimension: str, page: SearchPage
    ) -> Iterator[scrapy.Request]:
        ledger = self.run.ledger
        state = ledger.get(partition.key)
        facet = page.facets.get(dimension)
        if facet is None and page.hits == 0:
            facet = {}  # nothing to count
        if not ledger.record_facets(partition.key, dimension, facet, page.hits, self.window):
            logger.warning(
                "Partition %s is incomplete: its facet call is inconsistent (%s)",
                partition.key,
                state.problems[-1],
            )
            if facet is None:
                return
        counts = dict(facet or {})
        if partition.key == ROOT_KEY:
            ledger.root_ok = True
            if self.args.categories and not self.is_keyword_run:
                # The counts are of the whole board: keep the run's categories; one absent
                # from the board is a complete, empty partition.
                counts = {category: counts.get(category, 0) for category in self.args.categories}
            if state.promised is None:
                state.promised = sum(counts.values())
        logger.info(
            "Partition %s: %s postings, split by %s into %d partitions",
            partition.key,
            state.promised,
            dimension,
            len(counts),
        )
        for value, count in sorted(counts.items()):
            child = partition.child(dimension, value)
            yield from self.plan(ledger.add(child, parent=partition.key, promised=count))

    def plan(self, state: PartitionState) -> Iterator[scrapy.Request]:
        """Requests for one partition: its pages if it fits the window, else a finer split.

        ``hits`` saturate at the window, so a partition that reaches it is split too."""
        partition, count = state.partition, state.promised or 0
        if count >= self.window:
            dimension = partition.next_dimension()
            if dimension is not None:
                yield self.search_request(
                    partition, offset=0, limit=1, facets=(dimension,), split_by=dimension
                )
                return
            self.run.ledger.mark_incomplete(
                state.key, f"{count} postings reach the {self.window}-row window"
            )
        offsets = self.plan_pages(state, count)
        if count == 0:
            return  # complete and empty: the facet no longer lists it
        state.pages_planned = len(offsets)
        for offset in offsets:
            yield self.search_request(partition, offset=offset)

    def plan_pages(self, state: PartitionState, count: int) -> list[int]:
        """The overlapping page offsets that read ``count`` rows of this partition (recorded as
        planned); a partition that ``max_pages`` cuts short is incomplete."""
        offsets = page_offsets(count, PAGE_SIZE, self.window, self.args.max_pages)
        self.planned[state.key] = offsets
        if pages_reach(offsets, PAGE_SIZE) < min(count, self.window):
            self.run.ledger.mark_incomplete(
                state.key, f"max_pages={self.args.max_pages} stopped it early"
            )
        return offsets

    def parse_page(self, response: scrapy.http.Response) -> Iterator[JobPosting | scrapy.Request]:
        """One page of one partition: emit new postings, account for every id."""
        result = self.read_page(response)
        if not isinstance(result, SearchPage):
            if result is not None:
                yield result
            return
        page = result
        partition: Partition = response.meta["partition"]
        offset: int = response.meta["offset"]
        key = partition.key
        if not page.jobs and offset < page.hits:
            self.crawler.stats.inc_value("jobtracker/empty_page")
            logger.warning("Empty page at offset %d of %d in %s", offset, page.hits, key)
            retry = self.retry_or_fail(response.request, key, "empty_page")
            if retry is not None:
                yield retry
            return
        if response.meta["root_page"]:
            yield from self.plan_keyword_root(page)
        seen_at = self.run.clock.now()
        ids: list[str] = []
        for job in page.jobs:
            item = job_to_item(
                job,
                base_url=self.args.base_url,
                run_id=self.run.run_id,
                partition=key,
                seen_at=seen_at,
                locale=self.args.locale,
            )
            if item is None:
                self.crawler.stats.inc_value("jobtracker/postings/without_id")
                continue
            ids.append(item.source_id)
            if self.keep_first_sighting(item.source_id):
                yield item
        full = len(page.jobs) >= response.meta["limit"]
        self.run.ledger.record_page(key, ids, page.hits, offset=offset, full=full)
        self.crawler.stats.inc_value("jobtracker/pages/ok")
        if not response.meta["root_page"]:
            yield from self.extend_if_grown(self.run.ledger.get(key), page.hits)

    def plan_keyword_root(self, page: SearchPage) -> Iterator[scrapy.Request]:
        """A keyword run's first page: page on, or split by category if it fills the window."""
        root = self.run.ledger.get(ROOT_KEY)
        self.run.ledger.root_ok = True
        if page.hits >= self.window:
            root.pages_planned = 0
            root.promised = sum(page.facets.get("business_category", {}).values())
            yield from self.split(root.partition, "business_category", page)
            return
        root.promised = page.hits
        offsets = self.plan_pages(root, page.hits)
        root.pages_planned = len(offsets)
        for offset in offsets[1:]:
            yield self.search_request(root.partition, offset=offset)

    def extend_if_grown(self, state: PartitionState, hits: int) -> Iterator[scrapy.Request]:
        """A page reports more ``hits`` than the planned pages reach (the board grew since the
        count the plan used): fetch the pages that read the rest, whichever page saw it."""
        if state.split_by is not None:
            return
        if hits >= self.window:
            self.run.ledger.mark_incomplete(
                state.key,
                f"the listing reached the {self.window}-row window: rows past it cannot be read",
            )
        planned = self.planned.setdefault(state.key, [])
        if hits <= pages_reach(planned, PAGE_SIZE):
            return
        wanted = page_offsets(hits, PAGE_SIZE, self.window, self.args.max_pages)
        extra = [offset for offset in wanted if offset not in planned]
        if pages_reach(planned + extra, PAGE_SIZE) < min(hits, self.window):
            self.run.ledger.mark_incomplete(
                state.key, f"max_pages={self.args.max_pages} stopped it early"
            )
        if extra:
            logger.info(
                "Partition %s grew to %d postings; adding %d pages", state.key, hits, len(extra)
            )
            planned.extend(extra)
            state.pages_planned += len(extra)
            for offset in extra:
                yield self.search_request(state.partition, offset=offset)

    def on_error(self, failure: Failure) -> None:
        """A request that failed for good (HTTP error after retries, timeout, robots.txt)."""
        request = failure.request  # type: ignore[attr-defined]
        key = request.meta["partition"].key
        reason = failure.value.__class__.__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        logger.error("Giving up on %s (%s): partition %s is incomplete", request.url, reason, key)
        self.crawler.stats.inc_value("jobtracker/pages/failed")
        self.run.ledger.record_failure(key, f"{reason} at offset {request.meta['offset']}")
