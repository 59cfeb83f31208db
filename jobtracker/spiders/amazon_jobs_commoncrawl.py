"""``amazon_jobs_commoncrawl``: backfill from Common Crawl (docs/backfill.md).

List: ``collinfo.json`` (the crawls and each one's ``cdx-api``, the archive's own answer),
then each crawl's index per URL prefix: ``showNumPages`` first, then page by page (the cursor is
the next page). A 404 "No Captures" is an empty crawl; a 400 past the last page ends it. Fetch:
each record by byte range from the data host (a 206, read with warcio).

    scrapy crawl amazon_jobs_commoncrawl -a from=2019-01-01
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from jobtracker.archive import COMMONCRAWL
from jobtracker.archive.canonical import listing_prefixes
from jobtracker.archive.cdx import (
    Capture,
    ListingError,
    cc_crawls,
    cc_listing_query,
    cc_page_count,
    crawl_overlaps,
    parse_cc_index,
)
from jobtracker.archive.warc import WarcError, read_record
from jobtracker.spiders.archive_base import ArchiveSpider


class AmazonJobsCommonCrawlSpider(ArchiveSpider):
    name = "amazon_jobs_commoncrawl"
    archive = COMMONCRAWL

    def setting_url(self, name: str) -> str:
        return self.settings.get(name).rstrip("/")

    async def start(self) -> AsyncIterator[Any]:
        self.open_store()
        yield scrapy.Request(
            f"{self.setting_url('JOBTRACKER_ARCHIVE_CC_INDEX_URL')}/collinfo.json",
            callback=self.parse_collinfo,
            meta={"archive_pool": "cc_index", "handle_httpstatus_all": True},
            dont_filter=True,
            priority=10,
        )
        for request in self.pending_requests():
            yield request

    def parse_collinfo(self, response: Response) -> Any:
        assert self.store is not None
        if response.status != 200:
            self.stop("unreachable", f"Common Crawl's collinfo.json answered {response.status}")
        try:
            crawls = cc_crawls(response.body)
        except ListingError as exc:
            self.stop("unreachable", f"Common Crawl's collinfo.json: {exc}")
        for crawl in crawls:
            if not crawl_overlaps(crawl, self.start_ts, self.end_ts):
                continue
            for prefix in listing_prefixes():
                listing = self.listing_name(crawl["id"], prefix)
                cursor = self.store.cursor(COMMONCRAWL, listing)
                if cursor and cursor.get("done"):
                    continue
                page = cursor.get("next") if cursor else None
                yield self.index_request(
                    crawl["cdx-api"], prefix, listing, page, cursor.get("pages") if cursor else None
                )

    def index_request(
        self, api: str, prefix: str, listing: str, page: int | None, pages: int | None
    ) -> scrapy.Request:
        count = page is None or pages is None
        query = cc_listing_query(
            prefix,
            start=self.start_ts,
            end=self.end_ts,
            page=None if count else page,
            num_pages=count,
        )
        return scrapy.Request(
            f"{api}?{query}",
            callback=self.parse_num_pages if count else self.parse_index,
            cb_kwargs={
                "api": api,
                "prefix": prefix,
                "listing": listing,
                "page": page or 0,
                "pages": pages,
            },
            meta={"archive_pool": "cc_index", "handle_httpstatus_all": True},
            dont_filter=True,
            priority=10,
        )

    def parse_num_pages(
        self, response: Response, api: str, prefix: str, listing: str, page: int, pages: int | None
    ) -> Any:
        if response.status == 404:  # "No Captures found": an empty crawl for this prefix
            yield from self.listing_page(listing, [], next_key=None, done=True, counts={})
            return
        if response.status != 200:
            self.index_error(response, prefix)
            return
        try:
            total = cc_page_count(response.body)
        except ListingError as exc:
            self.logger.error("index page count for %s unreadable: %s", prefix, exc)
            return
        if total <= 0:
            yield from self.listing_page(listing, [], next_key=None, done=True, counts={})
            return
        yield self.index_request(api, prefix, listing, page, total)

    def parse_index(
        self, response: Response, api: str, prefix: str, listing: str, page: int, pages: int
    ) -> Any:
        stats = self.crawler.stats
        if response.status in (404, 400):  # no captures / past the last page: the end
            yield from self.listing_page(listing, [], next_key=None, done=True, counts={})
            return
        if response.status != 200:
            self.index_error(response, prefix)
            return
        listed = parse_cc_index(response.body)
        stats.inc_value("jobtracker/archive/commoncrawl/index_pages")
        stats.inc_value("jobtracker/archive/commoncrawl/malformed", listed.malformed)
        stats.inc_value("jobtracker/archive/commoncrawl/duplicates", listed.duplicates)
        done = page + 1 >= pages
        counts = {
            "captures": len(listed.captures),
            "duplicates": listed.duplicates,
            "malformed": listed.malformed,
        }
        yield from self.listing_page(
            listing, listed.captures, next_key=None if done else page + 1, done=done, counts=counts
        )
        if not done:
            yield self.index_request(api, prefix, listing, page + 1, pages)

    def index_error(self, response: Response, prefix: str) -> None:
        self.crawler.stats.inc_value(
            f"jobtracker/archive/commoncrawl/index_errors/{response.status}"
        )
        self.logger.error(
            "the index answered %d for %s: left for the next run", response.status, prefix
        )

    def fetch_request(self, capture: Capture) -> scrapy.Request:
        assert capture.offset is not None and capture.length is not None
        end = capture.offset + capture.length - 1
        return scrapy.Request(
            f"{self.setting_url('JOBTRACKER_ARCHIVE_CC_DATA_URL')}/{capture.filename}",
            headers={"Range": f"bytes={capture.offset}-{end}", "Accept-Encoding": "identity"},
            callback=self.parse_record,
            errback=self.fetch_failed,
            cb_kwargs={"capture": capture},
            meta={
                "archive_pool": "cc_data",
                "handle_httpstatus_all": True,
                "capture": capture,
                "dont_redirect": True,
            },
            dont_filter=True,
        )

    def parse_record(self, response: Response, capture: Capture) -> Any:
        if response.status == 200:
            yield self.fetched(
                capture,
                0,
                b"",
                None,
                [],
                reason="range_ignored",
                detail="the data host sent the whole file, not the record",
            )
            return
        if response.status != 206:
            self.crawler.stats.inc_value("jobtracker/archive/commoncrawl/fetch_errors")
            self.store_failure(capture, f"HTTP {response.status}")
            return
        try:
            record = read_record(response.body)
        except WarcError as exc:
            yield self.fetched(
                capture,
                0,
                response.body,
                "application/warc",
                [],
                reason="bad_record",
                detail=str(exc),
            )
            return
        yield self.fetched(
            capture,
            record.status,
            record.payload,
            record.content_type,
            header_pairs_from_record(record),
            truncated=record.truncated,
        )


def header_pairs_from_record(record: Any) -> list[tuple[str, str]]:
    return [("Content-Type", record.content_type)] if record.content_type else []
