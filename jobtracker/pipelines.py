"""Item pipelines: thin Scrapy wrappers over the pure functions of the project.

The ladder (``ITEM_PIPELINES`` in settings): validate (100) -> clean text (200) -> location
(300) -> role family (400) -> dates and pay (500) -> store (900). An unknown value never drops
an item: the field stays empty and a ``jobtracker/...`` stats counter records it. Only a
posting without identity is dropped. What each step reads of a raw object is its source's
business (``jobtracker.sources``): the pipelines ask the item's source and never branch on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import is_dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from pymongo.errors import PyMongoError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, DropItem, NotConfigured
from scrapy.utils.asyncio import run_in_thread, sleep
from scrapy.utils.defer import deferred_from_coro

from jobtracker.extensions import ROLE_FAMILY_BY_SOURCE, crawl_run, run_finalized
from jobtracker.items import JobPosting
from jobtracker.normalize import classify_role, html_to_text, primary_location
from jobtracker.normalize.text import clean_title
from jobtracker.redaction import redact
from jobtracker.run import key_stats
from jobtracker.sources import source_named
from jobtracker.store import PageResult, PostingStore, RunOutcome, spool
from jobtracker.store.connection import DEFAULT_DATABASE
from jobtracker.store.lifecycle import GuardSettings
from jobtracker.store.mongo import RunIdTaken
from jobtracker.store.recovery import recover
from jobtracker.store.runs import RunEnd, finish_run

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from jobtracker.run import CrawlRun

logger = logging.getLogger(__name__)

REQUIRED_FIELDS = ("source", "source_id", "url", "run_id", "seen_at")


class _ItemPipeline:
    """Base of the normalization pipelines: counts outcomes into the crawl's stats.

    Counts are kept in a plain :class:`~collections.Counter` and added to the stats when the
    spider closes (before the crawl summary and the stats dump read them): Scrapy's
    ``inc_value`` costs about 1 µs a call, ~4 calls per posting.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.counts: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def count(self, key: str) -> None:
        self.counts[key] += 1

    def close_spider(self) -> None:
        counts, self.counts = self.counts, Counter()
        for key, value in counts.items():
            self.crawler.stats.inc_value(f"jobtracker/{key}", value)


class ValidatePostingPipeline(_ItemPipeline):
    """Drop only postings that cannot be identified; count every missing title."""

    def process_item(self, item: JobPosting) -> JobPosting:
        missing = [name for name in REQUIRED_FIELDS if not getattr(item, name, None)]
        if missing:
            self.count("validate/dropped")
            raise DropItem(f"posting without {', '.join(missing)}")
        if not item.title:
            self.count("validate/missing_title")
        return item


class CleanTextPipeline(_ItemPipeline):
    """HTML description and qualifications -> plain text (the HTML stays in ``raw``); the title
    and Amazon's labels without control characters (``raw`` keeps them as served)."""

    def process_item(self, item: JobPosting) -> JobPosting:
        raw = item.raw
        source = source_named(item.source)
        item.title = clean_title(item.title)
        item.labels = source.labels(raw)
        for name, html_field in source.html_fields.items():
            setattr(item, name, html_to_text(raw.get(html_field)))
        return item


class LocationPipeline(_ItemPipeline):
    """Every location of the posting, resolved with pycountry; the primary one first."""

    def process_item(self, item: JobPosting) -> JobPosting:
        locations = source_named(item.source).locations(item)
        item.locations = [location.as_dict() for location in locations]
        item.country_codes = list(
            dict.fromkeys(
                location.country_alpha3 for location in locations if location.country_alpha3
            )
        )
        primary = primary_location(locations)
        if primary is not None and primary.country_alpha2 and primary.country_alpha3:
            self.count("location/resolved")
        else:
            self.count("location/unresolved")
        return item


class RoleFamilyPipeline(_ItemPipeline):
    """A standard role family and SOC code beside Amazon's own labels (kept verbatim).

    Counts mapped/unmapped postings in all and per source (the crawl summary prints each
    source's coverage on its own line)."""

    def process_item(self, item: JobPosting) -> JobPosting:
        labels = source_named(item.source).role_labels(item.raw)
        classification = classify_role(*labels, item.title)
        item.role_family = classification.as_dict()
        outcome = "mapped" if classification.role_family else "unmapped"
        self.count(f"role_family/{outcome}")
        self.count(f"{ROLE_FAMILY_BY_SOURCE}{item.source}/{outcome}")
        return item


class DatesAndPayPipeline(_ItemPipeline):
    """``posted_date`` to a date, ``updated_time`` to an approximate time, pay lines to ranges."""

    def process_item(self, item: JobPosting) -> JobPosting:
        source = source_named(item.source)
        dates = source.dates(item)
        if dates is not None:  # a site that states no dates counts nothing
            item.posted_date = dates.posted_date
            self.count("posted_date/parsed" if item.posted_date else "posted_date/unparsed")
            item.updated_at = dates.updated.at
            item.updated_at_approximate = dates.updated.approximate
            if dates.updated.at is None:
                self.count("updated_time/unparsed")
        item.pay = [pay.as_dict() for pay in source.pay(item)]
        if item.pay:
            self.count("pay/found")
        return item


class PageBuffer:
    """Postings grouped by response page (partition and sighting time), at most ``size`` a
    batch: :meth:`add` returns the batches a posting completed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.batch: list[dict[str, Any]] = []
        self.key: tuple[Any, ...] | None = None

    def add(self, data: dict[str, Any]) -> list[list[dict[str, Any]]]:
        done = []
        key = (data.get("partition"), data.get("seen_at"))
        if self.batch and key != self.key:
            done.append(self.take())
        self.batch.append(data)
        self.key = key
        if len(self.batch) >= self.size:
            done.append(self.take())
        return done

    def take(self) -> list[dict[str, Any]]:
        batch, self.batch, self.key = self.batch, [], None
        return batch


class MongoStorePipeline:
    """Store every posting in MongoDB with its history (see ``jobtracker.store``).

    Postings are buffered per response page and written with one query and bulk writes per
    page, in a thread, one page after another: the reactor keeps crawling while MongoDB
    answers, and a posting's processing ends when its page is stored. The run
    (:class:`~jobtracker.run.CrawlRun`) is recorded in ``crawl_runs`` from start to finish, and
    its closures are applied once the run extension finalized it. If MongoDB goes away, the
    page is retried after pauses that wait on the reactor's clock (nothing sleeps); then the
    run fails loudly: it stops with finish reason ``store_unavailable`` (``scrapy crawl`` exits
    1), closes nothing, and writes the postings it could not store to
    ``JOBTRACKER_VAR_DIR/unsaved/<run id>.jsonl`` (its run record waits in
    ``JOBTRACKER_VAR_DIR/pending_runs/`` if the store is still down when the run ends).

    Without ``MONGO_URI`` the pipeline switches itself off and says that history tracking is off.
    """

    def __init__(self, crawler: Crawler, run: CrawlRun) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.run = run
        self.uri: str = settings["MONGO_URI"]
        self.database: str = settings.get("MONGO_DATABASE") or DEFAULT_DATABASE
        self.retries = settings.getint("JOBTRACKER_STORE_RETRIES", 2)
        self.retry_delay = settings.getfloat("JOBTRACKER_STORE_RETRY_DELAY", 1.0)
        self.timeout_ms = settings.getint("JOBTRACKER_STORE_TIMEOUT_MS", 3000)
        self.guards = guard_settings(settings)
        self.abandon_after = timedelta(
            hours=settings.getfloat("JOBTRACKER_ABANDON_AFTER_HOURS", 12)
        )
        self.var_dir = Path(settings.get("JOBTRACKER_VAR_DIR", "var"))
        self.store: PostingStore | None = None
        self.pages = PageBuffer(settings.getint("JOBTRACKER_STORE_BATCH_SIZE", 100))
        self.writing = asyncio.Lock()
        """Pages are written one at a time, in the order they were completed."""
        self.retrying: Deferred[None] | None = None
        """The retries of the last page, when its first write at idle failed."""
        self.changes = PageResult()
        self.failed = False
        self.unsaved = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("MONGO_URI"):
            logger.warning(
                "MONGO_URI is not set: history tracking is OFF. Postings go only to the feed "
                "(-O FILE); nothing records first seen / last seen / closures."
            )
            raise NotConfigured("MONGO_URI is not set")
        try:
            run = crawl_run(crawler)
        except RuntimeError as exc:  # not a jobtracker spider: no run to record
            logger.warning("History tracking is OFF: %s", exc)
            raise NotConfigured(str(exc)) from None
        pipeline = cls(crawler, run)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(pipeline.run_finalized, signal=run_finalized)
        return pipeline

    # -- lifecycle -------------------------------------------------------------------------
    def open_spider(self) -> None:
        run = self.run
        try:
            self.store = PostingStore.connect(self.uri, self.database, timeout_ms=self.timeout_ms)
            self.store.ensure_indexes()
            recovery = recover(self.store, self.var_dir, run.clock.now(), self.abandon_after)
            if recovery.abandoned:  # told about by the notifications (RunNotifications)
                self.crawler.stats.set_value("jobtracker/store/abandoned_runs", recovery.abandoned)
            self.store.start_run(run.start_record())
            spider = self.crawler.spider
            if hasattr(spider, "store_categories") and not run.keyword_run:
                # The discovered plan also asks for categories only the store still knows.
                spider.store_categories = frozenset(self.store.open_categories(run.scope))
        except RunIdTaken:
            self.store.close()
            self.store = None
            logger.error(
                "Run id %r is already recorded in crawl_runs, and a run id is used once: "
                "nothing was crawled (give another _job).",
                run.run_id,
            )
            raise CloseSpider("duplicate_run_id") from None
        except PyMongoError as exc:
            self.failed = True
            self.crawler.stats.set_value("jobtracker/store/failed", True)
            logger.error(
                "MongoDB at %s is unavailable (%s): nothing was crawled.", redact(self.uri), exc
            )
            raise CloseSpider("store_unavailable") from None
        logger.info(
            "Storing postings with history in MongoDB %s/%s", redact(self.uri), self.database
        )

    async def process_item(self, item: Any) -> Any:
        # A shallow view is enough: the store reads the posting and never changes it.
        data = vars(item) if is_dataclass(item) else ItemAdapter(item).asdict()
        if self.failed:
            self.spill([data])
            return item
        for batch in self.pages.add(data):
            await self.write(batch)
        return item

    def spider_idle(self) -> None:
        """Write the last buffered page before the engine decides how the run ended.

        Nothing else is left to do, so its first write happens right here; should it fail, its
        retries run like any page's, and the run waits for them."""
        if self.retrying is not None:
            if not self.retrying.called:
                raise DontCloseSpider
            self.retrying = None
        batch = self.pages.take()
        if not batch:
            return
        if self.failed:
            self.spill(batch)
            return
        assert self.store is not None
        started = time.perf_counter()
        try:
            result = self.store.save_page(batch, self.run.run_id)
        except PyMongoError as exc:
            self.write_failed(exc, 0)
            self.retrying = deferred_from_coro(self.write(batch, attempts_made=1))
            raise DontCloseSpider from None
        self.saved(batch, result, time.perf_counter() - started)

    async def close_spider(self) -> None:
        """Write what is still buffered (the run is recorded when it is finalized, after this)."""
        batch = self.pages.take()
        if batch:
            await self.write(batch)

    def run_finalized(self, run: CrawlRun) -> None:
        """Record the run's end; apply closures only after a normal, fully stored run."""
        if self.store is None:
            return
        try:
            self.record_finish(run)
        finally:
            self.store.close()
            self.store = None

    # -- writes ----------------------------------------------------------------------------
    def saved(self, batch: list[dict[str, Any]], result: PageResult, seconds: float) -> None:
        """Count a stored page (on the reactor thread)."""
        stats = self.crawler.stats
        stats.inc_value("jobtracker/store/seconds", seconds)
        self.changes.add(result)
        stats.inc_value("jobtracker/store/pages")
        stats.inc_value("jobtracker/store/postings", len(batch))

    async def write(self, batch: list[dict[str, Any]], attempts_made: int = 0) -> None:
        """Write a page off the reactor thread, retrying after growing pauses; after the last
        attempt the run fails (:meth:`fail`)."""
        async with self.writing:
            if self.failed or self.store is None:
                self.spill(batch)
                return
            error: Exception | None = None
            for attempt in range(attempts_made, self.retries + 1):
                if attempt:
                    await sleep(self.retry_delay * attempt)
                started = time.perf_counter()
                try:
                    result = await run_in_thread(self.store.save_page, batch, self.run.run_id)
                except PyMongoError as exc:
                    error = exc
                    self.write_failed(exc, attempt)
                    continue
                self.saved(batch, result, time.perf_counter() - started)
                return
            assert error is not None
            self.fail(batch, error)

    def write_failed(self, error: Exception, attempt: int) -> None:
        logger.warning(
            "MongoDB write failed (attempt %d of %d): %s", attempt + 1, self.retries + 1, error
        )
        self.crawler.stats.inc_value("jobtracker/store/retries")

    def fail(self, batch: list[dict[str, Any]], error: Exception) -> None:
        """The store is gone: stop the run loudly and keep what could not be stored."""
        self.failed = True
        self.crawler.stats.set_value("jobtracker/store/failed", True)
        self.spill(batch)
        logger.error(
            "MongoDB is unreachable (%s). Stopping the run: it will be recorded as "
            "store_unavailable and close nothing; unsaved postings go to %s",
            error,
            self.unsaved_path(),
        )
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_unavailable"))

    def unsaved_path(self) -> Path:
        return spool.unsaved_path(self.var_dir, self.run.run_id)

    def spill(self, batch: list[dict[str, Any]]) -> None:
        spool.append_unsaved(self.unsaved_path(), batch)
        self.unsaved += len(batch)
        self.crawler.stats.set_value("jobtracker/store/unsaved", self.unsaved)

    # -- the run's end ---------------------------------------------------------------------
    def record_finish(self, run: CrawlRun) -> None:
        assert self.store is not None and run.finish_reason is not None
        outcome = RunOutcome(
            run_id=run.run_id,
            finish_reason="store_unavailable" if self.failed else run.finish_reason,
            keyword_run=run.keyword_run,
            partitions=run.ledger.summary(),
            store_failed=self.failed,
            started_at=run.started_at,
            source=run.source,
        )
        end = RunEnd(
            finished_at=run.clock.now(),
            complete=run.complete,
            scope=run.scope,
            changes=self.changes,
            unsaved=self.unsaved,
            stats=key_stats(self.crawler.stats.get_stats()),
            plan=run.ledger.plan,
            plan_reason=run.ledger.plan_reason,
            finish_detail=self.crawler.stats.get_value("jobtracker/finish_detail"),
        )
        update, recorded = finish_run(self.store, self.var_dir, outcome, end, self.guards)
        guarded = (update.get("closure") or {}).get("guarded")
        if guarded:  # a guard kept closures back (strict exit status 3)
            self.crawler.stats.set_value("jobtracker/closures/guarded", guarded)
        if not recorded:
            self.crawler.stats.set_value("jobtracker/store/failed", True)
        self.crawler.stats.set_value("jobtracker/store/changes", update["changes"])


def guard_settings(settings: Any) -> GuardSettings:
    """The closure guards from the ``JOBTRACKER_*`` settings."""
    gap = settings.getfloat("JOBTRACKER_CONFIRM_GAP_HOURS", 0)
    return GuardSettings(
        max_fraction=settings.getfloat("JOBTRACKER_MAX_CLOSE_FRACTION", 0.2),
        floor=settings.getint("JOBTRACKER_MIN_CLOSE_GUARD", 25),
        scope_loss_fraction=settings.getfloat("JOBTRACKER_SCOPE_LOSS_FRACTION", 0.9),
        scope_loss_min=settings.getint("JOBTRACKER_SCOPE_LOSS_MIN", 5),
        max_daily_fraction=settings.getfloat("JOBTRACKER_MAX_DAILY_CLOSE_FRACTION", 0.1),
        confirm_gap=timedelta(hours=gap) if gap > 0 else None,
    )
