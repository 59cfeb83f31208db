"""``amazon_jobs``: the corporate board of www.amazon.jobs through its ``search.json`` API.

A full crawl asks for facet counts first, then pages through every ``business_category[]``
partition, splitting a partition too large for the 10,000-row window by country (then state,
then city). A keyword crawl (``query``) pages through the matches directly. Pages of 100 rows
overlap by one row (offsets 0, 99, 198, ...), so that a board moving during the crawl cannot
hide a skipped posting (:func:`~jobtracker.partitions.board_moves`). Every partition is
accounted for in the ledger of the run (:class:`~jobtracker.run.CrawlRun`), which the run
extension finalizes when the spider closes, before the crawl summary and the store read it.
When the facet call answers no usable counts, the run is planned from the data instead
(:mod:`jobtracker.spiders.discovered`). A client the site refuses (403, a CDN block page) stops
the run as ``blocked``, a site that never answers as ``unreachable``
(:mod:`jobtracker.site_status`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import scrapy
from scrapy import signals
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
from jobtracker.plan_discovery import facet_plan_problem
from jobtracker.site_status import block_reason, user_agent
from jobtracker.sources.amazon_jobs import (
    NAME,
    PayloadError,
    SearchPage,
    job_to_item,
    parse_search_payload,
)
from jobtracker.spiders.base import TrackedSpider, unreachable_reason
from jobtracker.spiders.discovered import DiscoveredPlan

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
ROOT_FACETS = ("business_category", "normalized_country_code")
#: Dimensions the run's scope lists (``countries``, ``categories``) filter.
SCOPE_DIMENSIONS = ("normalized_country_code", "business_category")


class AmazonJobsSpider(DiscoveredPlan, TrackedSpider):
    """Crawl www.amazon.jobs ``search.json``: the whole board, a scope, or a keyword."""

    name = "amazon_jobs"
    args_model = AmazonJobsArgs
    args: AmazonJobsArgs
    window: int
    planned: dict[str, list[int]]
    """Per partition key, the offsets of the listing pages requested so far."""
    url_limit: int
    unscoped: dict[str, frozenset[str]]
    """Per partition key, scope dimensions its count was taken without (split by them first)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.discovery_idle, signal=signals.spider_idle)
        return spider

    def on_request_dropped(self, request: scrapy.Request) -> None:
        self.request_refused(request, "dropped by the scheduler")

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """``USER_AGENT`` from ``JOBTRACKER_USER_AGENT`` and ``JOBTRACKER_USER_AGENT_SUFFIX`` as
        this run's settings have them (an explicit ``-s USER_AGENT=...`` still wins)."""
        super().update_settings(settings)
        agent = user_agent(
            settings.get("JOBTRACKER_USER_AGENT", ""),
            settings.get("JOBTRACKER_USER_AGENT_SUFFIX", ""),
        )
        if agent:
            settings.set("USER_AGENT", agent, priority="spider")

    def configure(self, settings: BaseSettings) -> None:
        """The shared run set-up, plus the site's result window."""
        super().configure(settings)
        self.window = settings.getint("AMAZON_JOBS_RESULT_WINDOW", 10_000)
        self.url_limit = settings.getint("URLLENGTH_LIMIT") or 1_000_000
        self.planned = {}
        self.unscoped = {}

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
        self.run.ledger.plan = "facets"
        if self.is_keyword_run and self.long_list(root) is None:
            # The first page doubles as the facet call; most keywords fit in one partition.
            state = self.run.ledger.get(ROOT_KEY)
            state.pages_planned = 1
            yield self.search_request(root, offset=0, facets=ROOT_FACETS, root_page=True)
        else:
            # The category counts come from a call not filtered by the run's categories: a
            # site whose category filter answers ``hits: 0`` must contradict them, never look
            # like "absent, complete and empty" (scheduled jobs crawl a few categories each).
            # A scope list too long for a URL splits the root first, value by value.
            always = frozenset({"business_category"})
            dimension = self.long_list(root, always) or "business_category"
            yield self.search_request(
                root,
                offset=0,
                limit=1,
                facets=ROOT_FACETS,
                split_by=dimension,
                omit=self.root_omit(always | {dimension}),
            )

    def search_url(
        self,
        partition: Partition,
        *,
        offset: int,
        limit: int,
        facets: tuple[str, ...],
        omit: frozenset[str] = frozenset(),
    ) -> str:
        """The ``search.json`` URL for one page of one partition within the run's scope
        (without the scope's lists of the dimensions in ``omit``)."""
        filters: dict[str, list[str]] = {}
        for dimension in SCOPE_DIMENSIONS:
            if self.scope_values(dimension) and dimension not in omit:
                filters[dimension] = list(self.scope_values(dimension))
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
        omit: frozenset[str] = frozenset(),
        callback: Any = None,
        account: Partition | None = None,
    ) -> scrapy.Request:
        """A request for one page (or count, or facet call) of ``partition``, accounted to
        ``account`` when that is another ledger partition (the discovered plan's country
        cross-check); ``callback`` replaces the usual one."""
        url = self.search_url(partition, offset=offset, limit=limit, facets=facets, omit=omit)
        return scrapy.Request(
            url,
            callback=callback or (self.parse_facets if split_by else self.parse_page),
            errback=self.on_error,
            headers={"Accept": "application/json"},
            meta={
                "partition": account or partition,
                "url_partition": partition,
                "offset": offset,
                "limit": limit,
                "split_by": split_by,
                "root_page": root_page,
                "omit": omit,
            },
        )

    # -- URLs that fit ---------------------------------------------------------------------
    def scope_values(self, dimension: str) -> tuple[str, ...]:
        """The run's own list of values of a dimension (``countries``, ``categories``)."""
        if dimension == "normalized_country_code":
            return tuple(self.args.countries)
        if dimension == "business_category":
            return tuple(self.args.categories)
        return ()

    def long_list(self, partition: Partition, omit: frozenset[str] = frozenset()) -> str | None:
        """The scope dimension whose list makes this partition's URLs longer than Scrapy sends
        (``URLLENGTH_LIMIT``; the longest list first), to split it by value by value; None
        when its URLs fit."""
        url = self.search_url(
            partition, offset=self.window, limit=PAGE_SIZE, facets=ROOT_FACETS, omit=omit
        )
        if len(url) <= self.url_limit:
            return None
        used = {name for name, _ in partition.filters} | omit
        lists = [d for d in SCOPE_DIMENSIONS if d not in used and self.scope_values(d)]
        return max(lists, key=lambda d: len(urlencode({d: self.scope_values(d)})), default=None)

    def root_omit(self, omit: frozenset[str]) -> frozenset[str]:
        """The scope lists the root's facet call leaves out: ``omit`` (the split dimension's,
        whose counts are kept to the scope's values afterwards), and more, longest first,
        until the URL fits. The children's counts then cover more than the scope for each
        extra one, so they are split by it before being listed."""
        while (extra := self.long_list(Partition(), omit)) is not None:
            omit |= {extra}
        return omit

    # -- responses ----------------------------------------------------------------------
    def read_page(self, response: scrapy.http.Response) -> SearchPage | scrapy.Request | None:
        """Decode a response; on a malformed body or a soft error retry, then give up."""
        key = response.meta["partition"].key
        try:
            page = parse_search_payload(response.body)
        except PayloadError as exc:
            self.stop_if_blocked(response)
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
        yield from self.split(partition, response.meta["split_by"], result, response.meta["omit"])

    def split(
        self,
        partition: Partition,
        dimension: str,
        page: SearchPage,
        omit: frozenset[str] = frozenset(),
    ) -> Iterator[scrapy.Request]:
        state = self.run.ledger.get(partition.key)
        full_root = partition.key == ROOT_KEY and not self.is_keyword_run
        if full_root and dimension == "business_category":
            unusable = facet_plan_problem(
                page.facets,
                page.hits,
                self.window,
                tolerance_abs=self.run.ledger.tolerance_abs,
                tolerance_rel=self.run.ledger.tolerance_rel,
            )
            if unusable is not None:
                yield from self.start_discovery(page, unusable)
                return
        facet = page.facets.get(dimension)
        if facet is None and page.hits == 0:
            facet = {}  # nothing to count
        restricted = dimension in omit and bool(self.scope_values(dimension))
        # Was the partition's own count taken without the scope's list of this dimension too?
        broad = partition.key == ROOT_KEY or dimension in self.unscoped.get(partition.key, ())
        within = self.scope_values(dimension) if restricted and not broad else None
        if not self.run.ledger.record_facets(
            partition.key, dimension, facet, page.hits, self.window, within=within
        ):
            logger.warning(
                "Partition %s is incomplete: its facet call is inconsistent (%s)",
                partition.key,
                state.problems[-1],
            )
            if facet is None:
                return
        counts = dict(facet or {})
        if restricted:
            # The counts are not filtered by the run's values of this dimension: keep those;
            # one absent from the board is a complete, empty partition.
            counts = {value: counts.get(value, 0) for value in self.scope_values(dimension)}
            if broad and partition.key != ROOT_KEY:
                self.restate_promise(state, sum(counts.values()))
        if partition.key == ROOT_KEY:
            self.run.ledger.root_ok = True
            if state.promised is None:
                state.promised = sum(counts.values())
        logger.info(
            "Partition %s: %s postings, split by %s into %d partitions",
            partition.key,
            state.promised,
            dimension,
            len(counts),
        )
        unscoped = frozenset(d for d in omit - {dimension} if self.scope_values(d))
        for value, count in sorted(counts.items()):
            child = self.run.ledger.add(
                partition.child(dimension, value), parent=partition.key, promised=count
            )
            if unscoped:
                self.unscoped[child.key] = unscoped
            yield from self.plan(child)

    def restate_promise(self, state: PartitionState, promised: int) -> None:
        """A partition counted over more than the run's scope (a facet call that left a scope
        list out) now knows its count within the scope: so do its ancestors."""
        delta = promised - (state.promised or 0)
        node: PartitionState | None = state
        while node is not None:
            node.promised = (node.promised or 0) + delta
            node = self.run.ledger.get(node.parent) if node.parent is not None else None

    def plan(self, state: PartitionState) -> Iterator[scrapy.Request]:
        """Requests for one partition: its pages if it fits the window, else a finer split.

        ``hits`` saturate at the window, so a partition that reaches it is split too."""
        partition, count = state.partition, state.promised or 0
        # First by a scope list that the count did not apply, or too long for a URL (the
        # facet call leaves that list out); then by the next facet if it reaches the window.
        first = sorted(self.unscoped.get(state.key, ())) if count else []
        dimension = first[0] if first else (self.long_list(partition) if count else None)
        omit = frozenset({dimension}) if dimension is not None else frozenset()
        if dimension is None and count >= self.window:
            dimension = partition.next_dimension()
        if dimension is not None:
            yield self.search_request(
                partition, offset=0, limit=1, facets=(dimension,), split_by=dimension, omit=omit
            )
            return
        if count >= self.window:
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
        ids: list[str] = []
        yield from self.emit_postings(page, key, ids)
        full = len(page.jobs) >= response.meta["limit"]
        self.run.ledger.record_page(key, ids, page.hits, offset=offset, full=full)
        self.crawler.stats.inc_value("jobtracker/pages/ok")
        self.discovery_sees(page)
        if not response.meta["root_page"]:
            state = self.run.ledger.get(key)
            self.discovered_first_page(state, page)
            yield from self.extend_if_grown(state, page.hits)

    def emit_postings(
        self, page: SearchPage, key: str, ids: list[str] | None = None
    ) -> Iterator[JobPosting]:
        """The page's postings as items (each once per run); their ids go to ``ids``."""
        seen_at = self.run.clock.now()
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
            if ids is not None:
                ids.append(item.source_id)
            if self.keep_first_sighting(item.source_id):
                yield item

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
        if hits >= self.window and not (self.discovery is not None and state.key == ROOT_KEY):
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
        """A request that failed for good (HTTP error after retries, timeout, robots.txt).

        A request failing without any answer (DNS, connection refused, timeout) before the
        site answered anything at all means the site is unreachable: the run stops as
        ``unreachable`` (exit status 1), never as a finished run over an empty board."""
        request = failure.request  # type: ignore[attr-defined]
        key = request.meta["partition"].key
        unreachable = unreachable_reason(failure.value)
        if unreachable is not None and not self.crawler.stats.get_value(
            "downloader/response_count"
        ):
            self.run.ledger.record_failure(key, f"{unreachable} at offset {request.meta['offset']}")
            self.stop_run("unreachable", f"{self.args.base_url} is unreachable ({unreachable})")
        reason = failure.value.__class__.__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            self.stop_if_blocked(response)
            reason = f"HTTP {response.status}"
        logger.error("Giving up on %s (%s): partition %s is incomplete", request.url, reason, key)
        self.crawler.stats.inc_value("jobtracker/pages/failed")
        self.run.ledger.record_failure(key, f"{reason} at offset {request.meta['offset']}")

    def request_refused(self, request: scrapy.Request, reason: str) -> None:
        """Scrapy refused to send or schedule one of this run's requests (a URL too long, a
        duplicate): its partition is incomplete, with the reason."""
        partition = request.meta.get("partition")
        if partition is None:
            return
        logger.warning("Partition %s is incomplete: a request was %s", partition.key, reason)
        self.crawler.stats.inc_value("jobtracker/requests/refused")
        self.run.ledger.record_failure(partition.key, f"{reason} (offset {request.meta['offset']})")

    def stop_if_blocked(self, response: scrapy.http.Response) -> None:
        """A 403, or a CDN's HTML block page served with 200, refuses this client: the run
        stops as ``blocked`` (exit status 1, closes nothing), never as an empty board."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        blocked = block_reason(response.status, content_type, response.body)
        if blocked is not None:
            self.crawler.stats.inc_value("jobtracker/blocked")
            self.stop_run(
                "blocked",
                f"{blocked} from {response.url}; the site refuses this client "
                "(User-Agent, address or rate)",
            )

    def before_finalize(self) -> None:
        """The discovered plan's verdict, before the run decides completeness."""
        self.discovery_verdict()

    def after_finalize(self) -> None:
        """What the discovered plan's partitions vouch for, once completeness is decided."""
        self.discovery_vouches()
