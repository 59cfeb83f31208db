"""The discovered plan's requests, for ``amazon_jobs`` (the decisions are in
:mod:`jobtracker.plan_discovery`).

When the root facet call answers no usable counts, the spider pages the scope's own listing,
then, each time the crawl goes idle, asks :class:`~jobtracker.plan_discovery.Discovery` for the
next phase (the partitions it found, the country cross-check, the country listings) until
there is none. Partitions are recorded in the same ledger as the facet plan's, so the summary,
``crawl_runs`` and the closure rules read them the same way; the root's ``facet_consistent``
says whether the discovered split is proven to cover the scope (else nothing closes).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import DontCloseSpider

from jobtracker.partitions import ROOT_KEY, Partition, PartitionState, page_offsets
from jobtracker.plan_discovery import CATEGORY, COUNTRY, Discovery
from jobtracker.sources.amazon_jobs import SearchPage, job_source_id

if TYPE_CHECKING:
    from jobtracker.partitions import CrawlLedger

logger = logging.getLogger(__name__)

PAGE_SIZE = 100


class DiscoveredPlan:
    """Mixed into :class:`~jobtracker.spiders.amazon_jobs.AmazonJobsSpider`."""

    discovery: Discovery | None = None
    store_categories: frozenset[str] = frozenset()
    """Categories of open postings in the store (set by the store pipeline when it opens)."""

    # provided by the spider
    ledger: CrawlLedger
    window: int
    planned: dict[str, list[int]]
    args: Any
    crawler: Any

    def search_request(self, partition: Partition, **kwargs: Any) -> scrapy.Request:
        raise NotImplementedError

    def read_page(self, response: scrapy.http.Response) -> SearchPage | scrapy.Request | None:
        raise NotImplementedError

    def plan_pages(self, state: PartitionState, count: int) -> list[int]:
        raise NotImplementedError

    # -- start ------------------------------------------------------------------------------
    def start_discovery(self, page: SearchPage, reason: str) -> Iterator[scrapy.Request]:
        """The root facet call answered no usable counts: plan from the data."""
        self.run.ledger.root_ok = True
        self.run.ledger.plan, self.run.ledger.plan_reason = "discovered", reason
        self.discovery = Discovery(
            reason=reason,
            window=self.window,
            root_hits=page.hits,
            scope_categories=tuple(self.args.categories),
            known_categories=self.store_categories,
        )
        self.crawler.stats.set_value("jobtracker/plan", "discovered")
        logger.warning(
            "No usable facet counts (%s): planning the crawl from the data (discovered plan)",
            reason,
        )
        root = self.run.ledger.get(ROOT_KEY)
        if self.discovery.large and self.args.categories:
            return  # the categories are known; the root listing would show nothing more
        offsets = self.plan_pages(root, page.hits)
        root.promised = page.hits
        root.pages_planned = len(offsets)
        root.listed = True
        for offset in offsets:
            yield self.search_request(root.partition, offset=offset, omit=frozenset({CATEGORY}))

    def discovery_sees(self, page: SearchPage) -> None:
        if self.discovery is not None:
            self.discovery.see(
                (source_id, str(job.get(CATEGORY) or ""), str(job.get("country_code") or ""))
                for job in page.jobs
                if (source_id := job_source_id(job)) is not None
            )

    # -- the phases -----------------------------------------------------------------------
    def discovery_idle(self) -> None:
        """The crawl went idle: send the next phase's requests, if there is one."""
        if self.discovery is None or self.discovery.phase == "done":
            return
        requests = self.next_phase()
        if requests:
            for request in requests:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def next_phase(self) -> list[scrapy.Request]:
        discovery = self.discovery
        assert discovery is not None
        while discovery.phase != "done":
            requests: list[scrapy.Request] = []
            if discovery.phase in ("root", "country_pages"):
                requests = list(self.discovered_partitions())
                if requests or discovery.phase == "root":
                    discovery.phase = "partitions"
                else:
                    discovery.phase = "done"
            elif discovery.phase == "partitions":
                discovery.phase = "splits"
                requests = list(self.discovered_splits())
            elif discovery.phase == "splits":
                discovery.phase = "countries"
                requests = [
                    self.search_request(
                        Partition(((COUNTRY, country),)),
                        offset=0,
                        limit=1,
                        omit=frozenset({CATEGORY}),
                        callback=self.parse_country_count,
                        account=Partition(),
                    )
                    for country in discovery.countries_to_count()
                ]
            elif discovery.phase == "countries":
                discovery.phase = "country_pages"
                requests = list(self.country_listings())
            if requests:
                return requests
        return []

    def discovered_partitions(self) -> Iterator[scrapy.Request]:
        """One partition per category not planned yet: a count call under the window (the
        root listing holds its postings), its own listing over it."""
        discovery = self.discovery
        assert discovery is not None
        root = self.run.ledger.get(ROOT_KEY)
        root.split_by = CATEGORY
        for category in discovery.categories_to_plan():
            discovery.planned.add(category)
            state = self.run.ledger.add(
                root.partition.child(CATEGORY, category), parent=ROOT_KEY, promised=None
            )
            state.pages_planned = 1
            if not discovery.large:
                state.ids = discovery.ids_of(category)
                yield self.search_request(
                    state.partition, offset=0, limit=1, callback=self.parse_count
                )
            else:
                self.planned[state.key] = [0]
                yield self.search_request(state.partition, offset=0)

    def country_listings(self) -> Iterator[scrapy.Request]:
        """The listings of the countries whose postings the crawl has not all seen."""
        discovery = self.discovery
        assert discovery is not None
        for country in discovery.countries_to_list():
            discovery.listed_countries.add(country)
            hits = discovery.country_hits[country]
            logger.info(
                "Discovered plan: %s has %d postings, %d seen so far: listing it",
                country,
                hits,
                sum(seen == country for _, seen in discovery.rows.values()),
            )
            for offset in page_offsets(hits, PAGE_SIZE, self.window):
                yield self.search_request(
                    Partition(((COUNTRY, country),)),
                    offset=offset,
                    omit=frozenset({CATEGORY}),
                    callback=self.parse_country_page,
                    account=Partition(),
                )

    # -- responses --------------------------------------------------------------------------
    def parse_count(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        """A category's count call (under the window): its ``hits`` are its promise."""
        result = self.read_page(response)
        if not isinstance(result, SearchPage):
            if result is not None:
                yield result
            return
        key = response.meta["partition"].key
        self.run.ledger.record_page(key, [], result.hits)
        self.run.ledger.get(key).promised = result.hits

    def parse_country_count(self, response: scrapy.http.Response) -> Iterator[scrapy.Request]:
        result = self.read_page(response)
        if not isinstance(result, SearchPage):
            if result is not None:
                yield result
            return
        assert self.discovery is not None
        country = response.meta["url_partition"].as_dict()[COUNTRY]
        self.discovery.country_hits[country] = result.hits

    def parse_country_page(self, response: scrapy.http.Response) -> Iterator[Any]:
        """A page of a country's listing (cross-check): its postings count as found, and the
        categories it shows are crawled next."""
        result = self.read_page(response)
        if not isinstance(result, SearchPage):
            if result is not None:
                yield result
            return
        self.discovery_sees(result)
        yield from self.emit_postings(result, ROOT_KEY)  # type: ignore[attr-defined]

    def discovered_first_page(self, state: PartitionState, page: SearchPage) -> None:
        """A discovered partition's first page: its ``hits`` are its promise. A category that
        reaches the window is read to the window (its countries are seen there) and split by
        every country seen once the other categories are read too."""
        if self.discovery is None or state.promised is not None or state.key == ROOT_KEY:
            return
        state.promised = page.hits
        if page.hits >= self.window and state.partition.depth == 1:
            self.discovery.to_split.append(state.key)

    def discovered_splits(self) -> Iterator[scrapy.Request]:
        """The categories over the window, each split by every country seen so far."""
        discovery = self.discovery
        assert discovery is not None
        countries = discovery.countries_seen()
        for key in discovery.to_split:
            state = self.run.ledger.get(key)
            self.run.ledger.mark_incomplete(
                key,
                f"{state.promised} hits reach the {self.window}-row window and no facet counts "
                f"its countries: the {len(countries)} countries seen cannot be shown to cover it",
            )
            state.split_by, state.pages_planned = COUNTRY, 0
            for country in countries:
                child = self.run.ledger.add(
                    state.partition.child(COUNTRY, country), parent=key, promised=None
                )
                child.pages_planned = 1
                self.planned[child.key] = [0]
                yield self.search_request(child.partition, offset=0)
        discovery.to_split = []

    # -- the verdict ------------------------------------------------------------------------
    def discovery_verdict(self) -> None:
        """Before the ledger decides completeness: the plan's own reasons to doubt the run."""
        discovery = self.discovery
        if discovery is None:
            return
        root = self.run.ledger.get(ROOT_KEY)
        children = [self.run.ledger.get(key) for key in root.children]
        if discovery.phase != "done":
            self.run.ledger.mark_incomplete(
                ROOT_KEY, f"the discovered plan stopped before it finished ({discovery.phase})"
            )
        if discovery.large:
            for child in children:
                if child.split_by is not None:  # over the window: what its countries hold
                    grandchildren = [self.run.ledger.get(key) for key in child.children]
                    child.promised = sum(g.promised or 0 for g in grandchildren)
                    child.ids = set().union(*(g.ids for g in grandchildren))
            root.promised = sum(child.promised or 0 for child in children)
            root.ids = set().union(*(child.ids for child in children))
            self.run.ledger.mark_incomplete(ROOT_KEY, discovery.over_window_problem())
            return
        if self.args.categories:
            root.promised = sum(child.promised or 0 for child in children)
            return
        problem = discovery.reconcile(
            {child.key: child.latest_hits for child in children},
            root.latest_hits or 0,
            tolerance_abs=self.run.ledger.tolerance_abs,
            tolerance_rel=self.run.ledger.tolerance_rel,
        )
        if problem is not None:
            self.run.ledger.mark_incomplete(ROOT_KEY, problem)

    def discovery_vouches(self) -> None:
        """After the verdict: the discovered split vouches for the categories it did not find
        (absent, complete and empty) only when the whole root is complete."""
        if self.discovery is not None:
            root = self.run.ledger.get(ROOT_KEY)
            root.facet_consistent = bool(root.complete)
