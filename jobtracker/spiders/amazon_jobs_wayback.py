"""``amazon_jobs_wayback``: backfill from the Wayback Machine (docs/backfill.md).

List: the CDX server, one URL prefix per locale (``amazon.jobs/<locale>/jobs/``), JSON, paged
with resume keys (the cursor is stored after each page). Fetch: the raw ``id_`` replay of each
listed capture, redirects not followed; a capture counts only when its ``Memento-Datetime`` is
the listed timestamp.

    scrapy crawl amazon_jobs_wayback -a from=2019-01-01 -a to=2024-12-31
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from scrapy.http import Response

from jobtracker.archive import WAYBACK
from jobtracker.archive.canonical import listing_prefixes
from jobtracker.archive.cdx import (
    Capture,
    ListingError,
    parse_wayback_cdx,
    wayback_listing_query,
)
from jobtracker.spiders.archive_base import ArchiveSpider, decoded_payload, header_pairs


class AmazonJobsWaybackSpider(ArchiveSpider):
    name = "amazon_jobs_wayback"
    archive = WAYBACK

    @property
    def base(self) -> str:
        return self.settings.get("JOBTRACKER_ARCHIVE_WAYBACK_URL").rstrip("/")

    async def start(self) -> AsyncIterator[Any]:
        store = self.open_store()
        for prefix in listing_prefixes():
            listing = self.listing_name(prefix)
            cursor = store.cursor(WAYBACK, listing)
            if cursor and cursor.get("done"):
                continue
            yield self.cdx_request(prefix, listing, cursor.get("next") if cursor else None)
        for request in self.pending_requests():
            yield request

    def cdx_request(
        self, prefix: str, listing: str, key: str | None, *, restart: bool = False
    ) -> scrapy.Request:
        limit = self.settings.getint("JOBTRACKER_ARCHIVE_CDX_LIMIT", 5000)
        query = wayback_listing_query(
            prefix, start=self.start_ts, end=self.end_ts, limit=limit, resume_key=key
        )
        return scrapy.Request(
            f"{self.base}/cdx/search/cdx?{query}",
            callback=self.parse_cdx,
            cb_kwargs={"prefix": prefix, "listing": listing, "key": key, "restart": restart},
            meta={"archive_pool": "wayback_cdx", "handle_httpstatus_all": True},
            dont_filter=True,
            priority=10,
        )

    def parse_cdx(
        self, response: Response, prefix: str, listing: str, key: str | None, restart: bool
    ) -> Any:
        stats = self.crawler.stats
        if response.status == 400 and key and not restart:
            # The archive rejects the saved resume key (it expired): list this prefix again
            # from its start; captures already stored are not fetched again.
            self.logger.warning(
                "the archive rejected the resume key of %s: listing it again", prefix
            )
            stats.inc_value("jobtracker/archive/wayback/resume_key_rejected")
            yield self.cdx_request(prefix, listing, None, restart=True)
            return
        if response.status != 200:
            stats.inc_value(f"jobtracker/archive/wayback/cdx_errors/{response.status}")
            self.logger.error(
                "CDX answered %d for %s: this prefix is left for the next run",
                response.status,
                prefix,
            )
            return
        try:
            page = parse_wayback_cdx(response.body)
        except ListingError as exc:
            stats.inc_value("jobtracker/archive/wayback/cdx_errors/unreadable")
            self.logger.error("CDX page for %s unreadable (%s): left for the next run", prefix, exc)
            return
        stats.inc_value("jobtracker/archive/wayback/cdx_pages")
        stats.inc_value("jobtracker/archive/wayback/duplicates", page.duplicates)
        stats.inc_value("jobtracker/archive/wayback/malformed", page.malformed)
        counts = {
            "captures": len(page.captures),
            "duplicates": page.duplicates,
            "malformed": page.malformed,
        }
        yield from self.listing_page(
            listing,
            page.captures,
            next_key=page.resume_key,
            done=page.resume_key is None,
            counts=counts,
        )
        if page.resume_key:
            yield self.cdx_request(prefix, listing, page.resume_key)

    def fetch_request(self, capture: Capture) -> scrapy.Request:
        url = f"{self.base}/web/{capture.timestamp}id_/{capture.original}"
        return scrapy.Request(
            url,
            callback=self.parse_replay,
            errback=self.fetch_failed,
            cb_kwargs={"capture": capture},
            meta={
                "archive_pool": "wayback_replay",
                "dont_redirect": True,
                "handle_httpstatus_all": True,
                "capture": capture,
            },
            dont_filter=True,
        )

    def parse_replay(self, response: Response, capture: Capture) -> Any:
        memento = response.headers.get(b"Memento-Datetime")
        headers = header_pairs(response.headers)
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None
        payload = decoded_payload(response.body)
        common = {"replay_url": response.url}
        if memento is None:
            if 300 <= response.status < 400:
                where = (response.headers.get(b"Location") or b"").decode("latin-1")
                reason, detail = "closest_capture_redirect", where
            elif response.status == 404:
                reason, detail = "not_archived", ""
            else:
                reason, detail = "no_memento", f"HTTP {response.status}"
            if response.status >= 500 or response.status == 429:
                self.crawler.stats.inc_value("jobtracker/archive/wayback/replay_errors")
                self.store_failure(capture, f"HTTP {response.status}")
                return
            yield self.fetched(
                capture,
                response.status,
                payload,
                content_type,
                headers,
                reason=reason,
                detail=detail,
                **common,
            )
            return
        try:
            moment = parsedate_to_datetime(memento.decode("latin-1"))
        except (TypeError, ValueError):
            moment = None
        if moment is None or moment != capture.captured_at:
            yield self.fetched(
                capture,
                response.status,
                payload,
                content_type,
                headers,
                reason="memento_mismatch",
                detail=memento.decode("latin-1"),
                **common,
            )
            return
        yield self.fetched(capture, response.status, payload, content_type, headers, **common)
