"""What the two archive backfill spiders share (docs/backfill.md): arguments (``from``,
``to``), settings (archive pipelines and politeness only: nothing of the live ladder touches
``postings``), the store's cursors and fetch queue, and the end of a run."""

from __future__ import annotations

import contextlib
import gzip
import logging
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Any

import scrapy
from pymongo.errors import PyMongoError

from jobtracker.archive.cdx import Capture, format_timestamp
from jobtracker.archive_crawl import FetchedItem, ListingItem, new_run_id
from jobtracker.store.archive import (
    LISTED,
    ArchiveStore,
    counts_by_state,
    listing_rejection,
    settled_keys,
)
from jobtracker.store.connection import open_database

logger = logging.getLogger(__name__)

#: Settings of every archive spider: the archive pipelines and middleware, no robots.txt
#: (these are the archives' APIs, not pages), one request at a time.
ARCHIVE_SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    # One request at a time: none can be in flight (or queued past the politeness gate) when a
    # 429 starts a pause (the Wayback counts a request inside its pause as ignoring the 429).
    # The rates (1 replay a second) need no more.
    "CONCURRENT_REQUESTS": 1,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "DOWNLOAD_TIMEOUT": 30,
    "RETRY_HTTP_CODES": [500, 502, 522, 524, 408],
    "ITEM_PIPELINES": {
        "jobtracker.archive_crawl.ArchiveNormalizePipeline": 300,
        "jobtracker.archive_crawl.ArchiveStorePipeline": 900,
    },
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
        "jobtracker.middlewares.RetryAfterMiddleware": None,
        # Raw bytes as the archive holds them: a replayed original may carry a wrong
        # Content-Encoding (docs/backfill.md), which this middleware would fail on;
        # decoded_payload() inflates a gzip payload itself.
        "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
        "jobtracker.archive_crawl.ArchivePolitenessMiddleware": 590,
    },
    "EXTENSIONS": {"jobtracker.extensions.SafeLogs": 0},
}


class ArgumentError(ValueError):
    pass


def parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentError(f"{name} {value!r}: give a day as YYYY-MM-DD") from None


class ArchiveSpider(scrapy.Spider):
    """Base of ``amazon_jobs_wayback`` and ``amazon_jobs_commoncrawl``."""

    archive = ""
    custom_settings = ARCHIVE_SETTINGS

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        # Our own User-Agent with a contact URL, never the browser-like one of the live crawl.
        settings.set("USER_AGENT", settings.get("JOBTRACKER_ARCHIVE_USER_AGENT"), priority="spider")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        start = kwargs.pop("from", None) or kwargs.pop("from_", None)
        end = kwargs.pop("to", None)
        super().__init__(*args, **kwargs)
        self.argument_error: str | None = None
        try:
            self.start_day = parse_day(start, "from")
            self.end_day = parse_day(end, "to")
            if self.start_day and self.end_day and self.start_day > self.end_day:
                raise ArgumentError(f"from {start} is after to {end}")
        except ArgumentError as exc:
            self.argument_error = str(exc)
            self.start_day = self.end_day = None
        self.run_id = new_run_id(self.archive)
        self.store: ArchiveStore | None = None
        self.queued = 0

    # -- window --------------------------------------------------------------------------

    def window(self) -> dict[str, Any]:
        return {
            "from": self.start_day.isoformat() if self.start_day else None,
            "to": self.end_day.isoformat() if self.end_day else None,
        }

    @property
    def start_ts(self) -> str | None:
        if not self.start_day:
            return None
        return format_timestamp(datetime.combine(self.start_day, time(), tzinfo=UTC))

    @property
    def end_ts(self) -> str | None:
        if not self.end_day:
            return None
        return format_timestamp(datetime.combine(self.end_day, time(23, 59, 59), tzinfo=UTC))

    def listing_name(self, *parts: str) -> str:
        return "|".join([*parts, self.start_ts or "", self.end_ts or ""])

    # -- the store -----------------------------------------------------------------------

    def stop(self, reason: str, detail: str) -> None:
        stats = self.crawler.stats
        if not stats.get_value("jobtracker/finish_detail"):
            stats.set_value("jobtracker/finish_detail", detail)
        logger.error(detail)
        raise scrapy.exceptions.CloseSpider(reason)

    def open_store(self) -> ArchiveStore:
        if self.argument_error:
            self.stop("bad_argument", self.argument_error)
        uri = self.settings.get("MONGO_URI")
        if not uri:
            self.stop(
                "no_store",
                "a backfill needs the store: set MONGO_URI (or give --mongo-uri)",
            )
        try:
            db = open_database(
                uri,
                self.settings.get("MONGO_DATABASE"),
                timeout_ms=self.settings.getint("JOBTRACKER_STORE_TIMEOUT_MS", 3000),
                appname="jobtracker-backfill",
            )
        except PyMongoError as exc:
            self.stop("store_unavailable", f"MongoDB unreachable: {exc.__class__.__name__}")
        self.store = ArchiveStore(db)
        return self.store

    def pending_requests(self) -> list[scrapy.Request]:
        """Captures a previous run listed but did not fetch (the persisted fetch queue)."""
        assert self.store is not None
        start = datetime.combine(self.start_day, time(), tzinfo=UTC) if self.start_day else None
        end = datetime.combine(self.end_day, time(23, 59, 59), tzinfo=UTC) if self.end_day else None
        requests = [
            self.fetch_request(c) for c in self.store.pending(self.archive, start=start, end=end)
        ]
        self.queued += len(requests)
        return requests

    def listing_page(
        self,
        listing: str,
        captures: list[Capture],
        *,
        next_key: str | int | None,
        done: bool,
        counts: dict[str, int],
    ) -> list[Any]:
        """The listing item, then a fetch request for each capture that may be a sighting and
        is not already fetched."""
        assert self.store is not None
        out: list[Any] = [ListingItem(self.archive, listing, captures, next_key, done, counts)]
        candidates = [c for c in captures if listing_rejection(c) is None]
        if candidates:
            done_keys = settled_keys(self.store.db, [c.key for c in candidates])
            for capture in candidates:
                if capture.key not in done_keys:
                    out.append(self.fetch_request(capture))
                    self.queued += 1
        return out

    def left(self) -> int:
        if self.store is None:
            return 0
        try:
            return counts_by_state(self.store.db, self.archive)[LISTED]
        except PyMongoError:
            return 0

    def fetch_request(self, capture: Capture) -> scrapy.Request:  # pragma: no cover - abstract
        raise NotImplementedError

    async def start(self) -> AsyncIterator[Any]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield

    def fetch_failed(self, failure: Any) -> None:
        """A fetch that failed for good (timeouts, resets): the capture stays queued, and is
        given up after a few runs' attempts."""
        capture = failure.request.meta.get("capture")
        if capture is not None:
            self.crawler.stats.inc_value(f"jobtracker/archive/{self.archive}/fetch_errors")
            self.store_failure(capture, failure.getErrorMessage()[:200] or "fetch failed")

    def store_failure(self, capture: Capture, reason: str) -> None:
        if self.store is not None:
            with contextlib.suppress(PyMongoError):  # the capture stays queued either way
                self.store.record_failure(capture, reason, now=datetime.now(UTC))

    def fetched(
        self,
        capture: Capture,
        status: int,
        payload: bytes,
        content_type: str | None,
        headers: list[tuple[str, str]],
        **extra: Any,
    ) -> FetchedItem:
        return FetchedItem(capture, status, payload, content_type, headers, **extra)


def decoded_payload(body: bytes) -> bytes:
    """A payload as the page was: an original served gzip-encoded may come back still gzipped
    (with a wrong Content-Encoding); anything that does not inflate stays as it is."""
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            return body
    return body


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs
