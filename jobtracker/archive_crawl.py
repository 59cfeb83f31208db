"""The Scrapy side of the archive backfill (docs/backfill.md): its items, the politeness
middleware that every request to an archive goes through, and the pipelines that judge a
fetched payload and store it (``jobtracker.store.archive``), apart from live history.

Politeness, per archive (Wayback, Common Crawl): each pool of requests (Wayback CDX, Wayback
replay, Common Crawl index, Common Crawl data) is spaced to its rate; a rate-limit answer (a 429
or a 503/504 without ``Memento-Datetime``, i.e. the archive speaking, not an archived page)
pauses EVERY request to that archive for ``JOBTRACKER_ARCHIVE_PAUSE_SECONDS``, then the pool
resumes at half its rate and recovers by a tenth a success, never above its setting. Refused
connections after a 429 (the firewall block) stop the run with one line saying when to retry;
a 403 Blocked Site answer stops it too (``scrapy crawl`` exits 1 for both).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from pymongo.errors import PyMongoError
from scrapy import signals
from scrapy.exceptions import (
    DownloadConnectionRefusedError,
    DownloadFailedError,
    IgnoreRequest,
)
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.error import ConnectionDone, ConnectionLost, ConnectionRefusedError
from twisted.web._newclient import ResponseNeverReceived

from jobtracker.archive.canonical import posting_id_of
from jobtracker.archive.cdx import Capture
from jobtracker.archive.page import Rejection
from jobtracker.archive.sighting import judge_payload
from jobtracker.archive.warc import PayloadKeeper, sha256_hex
from jobtracker.store.archive import ArchiveStore, ensure_indexes, sighting_document
from jobtracker.store.connection import open_database

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

#: Request pools: pool -> (archive, the setting giving its rate, per second or per minute).
POOLS = {
    "wayback_cdx": ("wayback", "JOBTRACKER_ARCHIVE_CDX_PER_MINUTE", 60.0),
    "wayback_replay": ("wayback", "JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND", 1.0),
    "cc_index": ("commoncrawl", "JOBTRACKER_ARCHIVE_CC_INDEX_PER_SECOND", 1.0),
    "cc_data": ("commoncrawl", "JOBTRACKER_ARCHIVE_CC_DATA_PER_SECOND", 1.0),
}
#: Rate-limit retries of one request before it is given up (the capture stays queued).
MAX_LIMIT_RETRIES = 8
#: No connection, or one dropped before an answer: after a 429, the firewall block.
CONNECTION_FAILURES = (
    ConnectionRefusedError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    ConnectionLost,
    ConnectionDone,
    ResponseNeverReceived,
)
#: How long the Wayback firewall refuses an IP that ignored 429s (archive staff: an hour).
FIREWALL_HOURS = 1


def new_run_id(archive: str) -> str:
    return f"{archive}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


class BackfillSpider(Protocol):
    """What the pipelines need of an archive spider (``spiders/archive_base.py``)."""

    name: str
    archive: str
    run_id: str

    def window(self) -> dict[str, Any]: ...
    def left(self) -> int: ...


# -- items ----------------------------------------------------------------------------------


@dataclass
class ListingItem:
    """One page of a listing: its captures and where the listing goes on."""

    archive: str
    listing: str
    captures: list[Capture]
    next_key: str | int | None
    done: bool
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class FetchedItem:
    """A capture's fetch: what the archive answered (``reason`` set when the answer is no
    sighting whatever the payload, e.g. a closest-capture redirect)."""

    capture: Capture
    status: int
    payload: bytes
    content_type: str | None
    headers: list[tuple[str, str]]
    replay_url: str | None = None
    reason: str | None = None
    detail: str = ""
    truncated: str | None = None
    outcome: dict[str, Any] | Rejection | None = None


# -- politeness ------------------------------------------------------------------------------


@dataclass
class Pool:
    archive: str
    max_rate: float  # requests per second
    rate: float
    next_at: float = 0.0


class ArchivePolitenessMiddleware:
    """Spacing, pauses, recovery and the two stops (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.pause = settings.getfloat("JOBTRACKER_ARCHIVE_PAUSE_SECONDS", 60.0)
        self.pools: dict[str, Pool] = {}
        for name, (archive, setting, per) in POOLS.items():
            rate = settings.getfloat(setting, 1.0) / per
            self.pools[name] = Pool(archive, rate, rate)
        self.pause_until: dict[str, float] = {}
        self.limited: dict[str, int] = {}  # archive -> rate-limit answers seen

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        pool = self.pools.get(request.meta.get("archive_pool", ""))
        if pool is None:
            return
        while True:
            now = time.monotonic()
            at = max(now, self.pause_until.get(pool.archive, 0.0), pool.next_at)
            pool.next_at = at + 1.0 / pool.rate
            if at > now:
                await sleep(at - now)
            if self.pause_until.get(pool.archive, 0.0) <= time.monotonic():
                return

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        name = request.meta.get("archive_pool", "")
        pool = self.pools.get(name)
        if pool is None:
            return response
        stats = self.crawler.stats
        if _blocked(response):
            self._stop(
                "archive_blocked",
                f"{pool.archive} answers 403 Blocked Site for {request.url.split('?')[0]}: the "
                "archive refuses this site; nothing to retry",
            )
            raise IgnoreRequest("blocked site")
        if _rate_limited(response):
            self.limited[pool.archive] = self.limited.get(pool.archive, 0) + 1
            until = time.monotonic() + self.pause
            self.pause_until[pool.archive] = max(self.pause_until.get(pool.archive, 0.0), until)
            for other in self.pools.values():
                if other.archive == pool.archive:
                    other.rate = max(other.rate / 2, other.max_rate / 64)
                    other.next_at = max(other.next_at, until)
            stats.inc_value(f"jobtracker/archive/{pool.archive}/rate_limited")
            logger.warning(
                "%s answered %d (slow down): pausing every request to it for %.0f s, then at "
                "half the rate",
                pool.archive,
                response.status,
                self.pause,
            )
            tries = request.meta.get("archive_limit_retries", 0) + 1
            if tries > MAX_LIMIT_RETRIES:
                return response
            retry = request.replace(dont_filter=True)
            retry.meta["archive_limit_retries"] = tries
            return retry
        if time.monotonic() > self.pause_until.get(pool.archive, 0.0):
            pool.rate = min(pool.max_rate, pool.rate * 1.1)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        pool = self.pools.get(request.meta.get("archive_pool", ""))
        if pool is None or not isinstance(exception, CONNECTION_FAILURES):
            return
        if self.limited.get(pool.archive):
            retry_at = datetime.now(UTC) + timedelta(hours=FIREWALL_HOURS)
            self._stop(
                "archive_refused",
                f"{pool.archive} refuses connections after rate limiting (its firewall block): "
                f"retry after {retry_at:%Y-%m-%d %H:%M} UTC; `jobtracker backfill run` resumes "
                "where this run stopped",
            )
            raise IgnoreRequest("refused after rate limiting")

    def _stop(self, reason: str, detail: str) -> None:
        stats = self.crawler.stats
        if not stats.get_value("jobtracker/finish_detail"):
            stats.set_value("jobtracker/finish_detail", detail)
            logger.error(detail)
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))


def _has_memento(response: Response) -> bool:
    return b"Memento-Datetime" in response.headers


def _rate_limited(response: Response) -> bool:
    return response.status in (429, 503, 504) and not _has_memento(response)


def _blocked(response: Response) -> bool:
    if response.status != 403 or _has_memento(response):
        return False
    header = response.headers.get(b"X-Archive-Wayback-Runtime-Error") or b""
    return b"Blocked Site" in header or b"Blocked Site Error" in response.body[:2000]


# -- pipelines -------------------------------------------------------------------------------


class ArchiveNormalizePipeline:
    """A fetched payload -> the sighting's parsed and normalized fields (the site-neutral rules
    of ``jobtracker.normalize``: clean text, locations, role family), or a rejection."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchedItem) and item.reason is None:
            item.outcome = judge_payload(
                posting_id=_posting_id(item.capture),
                status=item.status,
                payload=item.payload,
                content_type=item.content_type,
            )
        return item


def _posting_id(capture: Capture) -> str:
    return posting_id_of(capture.original) or ""


class ArchiveStorePipeline:
    """Keep every fetched payload (a WARC file per run under ``JOBTRACKER_ARCHIVE_DIR``), then
    store the listing pages, sightings and rejections (``jobtracker.store.archive``). MongoDB
    unavailable: the run stops (``store_unavailable``); what was not stored is fetched again
    by the next run."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.store: ArchiveStore | None = None
        self.failed = False
        self.keeper: PayloadKeeper | None = None
        self.directory = Path(self.settings.get("JOBTRACKER_ARCHIVE_DIR") or "var/archive")
        self.started = time.monotonic()
        self.last_progress = self.started
        self.counts: dict[str, int] = {
            "listed": 0,
            "new": 0,
            "fetched": 0,
            "sightings": 0,
            "rejected": 0,
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = cast(BackfillSpider, self.crawler.spider)
        uri = self.settings.get("MONGO_URI")
        if not uri:
            return  # the spider refuses to start without a store (see ArchiveSpider)
        db = open_database(
            uri,
            self.settings.get("MONGO_DATABASE"),
            timeout_ms=self.settings.getint("JOBTRACKER_STORE_TIMEOUT_MS", 3000),
            socket_timeout_ms=10_000,  # a stalled server fails the write, never hangs the run
            appname="jobtracker-backfill",
        )
        ensure_indexes(db)
        self.store = ArchiveStore(db)
        run_id = spider.run_id
        self.keeper = PayloadKeeper(self.directory, f"{spider.name}-{run_id}")
        self.store.start_run(
            run_id,
            spider.archive,
            now=datetime.now(UTC),
            window=spider.window(),
        )

    def close_spider(self) -> None:
        if self.keeper is not None:
            self.keeper.close()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """The run's record: how it ended (the finish reason Scrapy closes it with)."""
        if self.store is None:
            return
        try:
            self.store.finish_run(
                spider.run_id,
                now=datetime.now(UTC),
                reason=reason,
                detail=self.crawler.stats.get_value("jobtracker/finish_detail"),
                counts=dict(self.counts),
            )
        except PyMongoError as exc:
            logger.error("could not record the end of the backfill run: %s", exc)

    def process_item(self, item: Any) -> Any:
        spider = cast(BackfillSpider, self.crawler.spider)
        if self.store is None or self.failed:
            return None  # after a store failure: left for the next run (nothing is lost)
        now = datetime.now(UTC)
        try:
            if isinstance(item, ListingItem):
                new = self.store.save_listing_page(
                    item.archive,
                    item.listing,
                    item.captures,
                    next_key=item.next_key,
                    done=item.done,
                    counts=item.counts,
                    run_id=spider.run_id,
                    now=now,
                )
                self.counts["listed"] += len(item.captures)
                self.counts["new"] += new
            elif isinstance(item, FetchedItem):
                self._settle(item, spider.run_id, now)
        except PyMongoError as exc:
            self.failed = True
            detail = f"MongoDB failed ({exc.__class__.__name__}): run again to resume"
            stats = self.crawler.stats
            if not stats.get_value("jobtracker/finish_detail"):
                stats.set_value("jobtracker/finish_detail", detail)
                logger.error(detail)
                assert self.crawler.engine is not None
                deferred_from_coro(
                    self.crawler.engine.close_spider_async(reason="store_unavailable")
                )
            return None
        self._progress(spider)
        return None  # nothing for feeds: the store is the output

    def _settle(self, item: FetchedItem, run_id: str, now: datetime) -> None:
        assert self.store is not None and self.keeper is not None
        capture = item.capture
        kept = None
        sha = sha256_hex(item.payload) if item.payload else None
        if item.payload:
            record = self.keeper.keep(
                target_uri=capture.original,
                captured_at=capture.captured_at,
                status=item.status,
                headers=item.headers,
                payload=item.payload,
            )
            kept = {"file": record.file, "offset": record.offset, "length": record.length}
        self.counts["fetched"] += 1
        outcome = item.outcome
        if item.reason is not None or isinstance(outcome, Rejection) or outcome is None:
            reason = item.reason or (outcome.reason if isinstance(outcome, Rejection) else "")
            detail = item.detail or (outcome.detail if isinstance(outcome, Rejection) else "")
            self.store.record_rejection(
                capture, reason or "unknown", detail, kept=kept, sha256=sha, now=now
            )
            self.counts["rejected"] += 1
            self.crawler.stats.inc_value(f"jobtracker/archive/rejected/{reason}")
            return
        document = sighting_document(
            capture,
            outcome,
            sha256=sha or "",
            kept=kept,
            replay_url=item.replay_url,
            run_id=run_id,
            fetched_at=now,
            truncated=item.truncated,
        )
        self.store.record_sighting(capture, document, kept or {}, now=now)
        self.counts["sightings"] += 1
        self.crawler.stats.inc_value("jobtracker/archive/sightings")

    def _progress(self, spider: BackfillSpider) -> None:
        now = time.monotonic()
        every = self.settings.getfloat("JOBTRACKER_ARCHIVE_PROGRESS_SECONDS", 60.0)
        if now - self.last_progress < every:
            return
        self.last_progress = now
        minutes = max((now - self.started) / 60, 1e-9)
        left = spider.left()
        rate = self.counts["fetched"] / minutes
        eta = f"about {left / rate:,.0f} min left at this rate" if rate else "no fetch yet"
        logger.info(
            "backfill %s: listed %s (%.0f/min), fetched %s (%.1f/min), %s sightings, %s queued; %s",
            spider.archive,
            f"{self.counts['listed']:,}",
            self.counts["listed"] / minutes,
            f"{self.counts['fetched']:,}",
            rate,
            f"{self.counts['sightings']:,}",
            f"{left:,}",
            eta,
        )
