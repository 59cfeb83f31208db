"""What every jobtracker spider shares: validated arguments, the run's clock and id, and the
partition ledger that the store, the crawl summary and the ``crawl`` command read at the end."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import scrapy
from pydantic import BaseModel
from scrapy import signals
from scrapy.exceptions import CloseSpider

from jobtracker.arguments import ArgumentError, parse_args
from jobtracker.clock import Clock
from jobtracker.partitions import CrawlLedger

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def new_run_id(started_at: datetime | None = None) -> str:
    """A sortable, unique run id for runs not started by scrapyd."""
    return f"{started_at or datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class TrackedSpider(scrapy.Spider):
    """A spider whose run is accounted for partition by partition.

    Subclasses set ``args_model`` (a pydantic model with an ``_job`` alias) and implement
    ``scope`` and ``is_keyword_run``.
    """

    args_model: ClassVar[type[BaseModel]]

    #: Set from the settings in :meth:`configure` (``from_crawler``).
    clock: Clock
    started_at: datetime
    run_id: str
    ledger: CrawlLedger

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.argument_error: ArgumentError | None = None
        try:
            self.args: Any = parse_args(self.args_model, kwargs)
        except ArgumentError as exc:
            self.argument_error = exc
            self.args = self.args_model()
        self.seen_ids: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler.settings)
        crawler.signals.connect(spider.finish_accounting, signal=signals.spider_closed)
        return spider

    def configure(self, settings: BaseSettings) -> None:
        """Clock, run id and completeness tolerance, from the settings."""
        try:
            self.clock = Clock.from_setting(settings.get("JOBTRACKER_CLOCK_START"))
        except ValueError as exc:
            self.clock = Clock()
            self.argument_error = ArgumentError("JOBTRACKER_CLOCK_START", str(exc))
        self.started_at = self.clock.now()
        self.run_id = self.args.job or new_run_id(self.started_at)
        self.ledger = CrawlLedger(
            tolerance_abs=settings.getint("JOBTRACKER_PARTITION_TOLERANCE_ABS", 2),
            tolerance_rel=settings.getfloat("JOBTRACKER_PARTITION_TOLERANCE_REL", 0.005),
        )

    def stop_on_bad_argument(self) -> None:
        """At start: a bad argument stops the run cleanly (exit status 2), before any request."""
        if self.argument_error is not None:
            logger.error("%s; nothing was crawled.", self.argument_error)
            raise CloseSpider(f"bad_argument:{self.argument_error.argument}")

    # -- what the rest of the project reads ---------------------------------------------
    @property
    def is_keyword_run(self) -> bool:
        """Keyword runs cannot see non-matching postings, so they never close anything."""
        return False

    @property
    def scope(self) -> dict[str, Any]:
        """What this run claims to cover (used for closures and in ``crawl_runs``)."""
        raise NotImplementedError

    def keep_first_sighting(self, source_id: str) -> bool:
        """Count a posting; True the first time this run sees it, False for a repeat."""
        if source_id in self.seen_ids:
            self.crawler.stats.inc_value("jobtracker/postings/duplicate")
            return False
        self.seen_ids.add(source_id)
        self.crawler.stats.inc_value("jobtracker/postings/unique")
        return True

    def finish_accounting(self) -> None:
        """Decide partition completeness once, and publish it in the stats."""
        if self.ledger.finalized:
            return
        self.ledger.finalize()
        stats = self.crawler.stats
        states = list(self.ledger.states.values())
        stats.set_value("jobtracker/run_id", self.run_id)
        stats.set_value("jobtracker/partitions/count", len(states))
        stats.set_value("jobtracker/partitions/complete", sum(bool(s.complete) for s in states))
        stats.set_value("jobtracker/partitions/incomplete", sum(not s.complete for s in states))
        stats.set_value("jobtracker/run_complete", self.ledger.complete())
        stats.set_value(
            "jobtracker/partitions",
            {
                s.key: f"promised={s.promised} fetched={len(s.ids)} "
                f"{'complete' if s.complete else 'INCOMPLETE'}"
                for s in states
            },
        )
