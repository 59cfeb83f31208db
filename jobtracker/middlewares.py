"""Downloader and spider middlewares, the downloader that keeps the per-domain cap, and the log
formatter that writes no per-posting record nobody reads."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader import Downloader, Slot
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


def parse_retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent
    or unreadable. Never negative."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, plus: a 429 or 503 with ``Retry-After`` waits that long
    (capped by ``RETRY_AFTER_MAX_SECONDS``) before its retry is scheduled."""

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if (
            response.status in (429, 503)
            and response.status in self.retry_http_codes
            and not request.meta.get("dont_retry", False)
        ):
            delay = parse_retry_after(response.headers.get(b"Retry-After"))
            if delay:
                cap = self.crawler.settings.getfloat("RETRY_AFTER_MAX_SECONDS", 120.0)
                delay = min(delay, cap)
                stats = self.crawler.stats
                stats.inc_value("retry/retry_after/count")
                stats.inc_value("retry/retry_after/seconds", delay)
                logger.info(
                    "HTTP %d for %s: waiting %.1fs (Retry-After)",
                    response.status,
                    request.url,
                    delay,
                )
                await asyncio.sleep(delay)
        return super().process_response(request, response)


class UrlLengthAccountingMiddleware(UrlLengthMiddleware):
    """Scrapy's URL length limit (``URLLENGTH_LIMIT``), plus: a request it refuses is reported
    to the spider (``request_refused(request, reason)``), so that the partition it belonged to
    is incomplete with the reason instead of silently short of a page."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        processed = super().get_processed_request(request, response)
        refused = getattr(self.crawler.spider, "request_refused", None)
        if processed is None and refused is not None:
            refused(
                request,
                f"not sent: its URL of {len(request.url)} characters is over "
                f"URLLENGTH_LIMIT={self.maxlength}",
            )
        return processed


class CappedDownloader(Downloader):
    """Scrapy's downloader, with ``CONCURRENT_REQUESTS_PER_DOMAIN`` holding when
    ``DOWNLOAD_DELAY`` is 0 (the ``DOWNLOADER`` setting).

    Scrapy 2.19's ``Downloader._process_queue`` sends queued requests while
    ``slot.free_transfer_slots() > 0``, but a request counts as transferring only once the task
    that downloads it first runs (``_download``, scheduled with ``loop.create_task``): the loop
    therefore empties the whole slot queue at once, up to ``CONCURRENT_REQUESTS``. With a delay
    it sends one request per call and the cap holds. Here a request takes its transfer slot
    when it leaves the queue (``_download`` adds it again and frees it when done), so the cap
    holds with any delay (docs/crawling.md; ``tests/test_concurrency_cap.py``).
    """

    def _wait_for_download(
        self, slot: Slot, request: Request, queue_dfd: Deferred[Response]
    ) -> Coroutine[Any, Any, None]:
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)


class QuietLogFormatter(LogFormatter):
    """Scrapy's log formatter, without the per-posting "Scraped from" record unless the crawl
    logs at DEBUG (the ``LOGFORMATTER`` setting).

    Scrapy builds that DEBUG record (a ``LogRecord`` with the whole item) for every item and
    the handler then drops it at any other ``LOG_LEVEL``: about 5% of a crawl's CPU for 22,000
    postings. Returning None skips it (Scrapy's documented way to silence one message)."""

    def __init__(self, *, debug: bool = False) -> None:
        super().__init__()
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        level = crawler.settings.get("LOG_LEVEL") or "DEBUG"
        numeric = logging.getLevelName(level) if isinstance(level, str) else level
        return cls(debug=not isinstance(numeric, int) or numeric <= logging.DEBUG)

    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult | None:
        if not self.debug:
            return None
        return super().scraped(item, response, spider)
