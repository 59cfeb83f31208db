"""What every jobtracker spider shares: validated arguments, what the run covers, and the run
itself (:class:`~jobtracker.run.CrawlRun`: id, clock, partition ledger), which the
:class:`~jobtracker.extensions.CrawlRunExtension` owns and the spider fills while it crawls."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import scrapy
from pydantic import BaseModel
from scrapy.exceptions import (
    CannotResolveHostError,
    CloseSpider,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)
from twisted.internet import error as twisted_errors

from jobtracker.arguments import ArgumentError, parse_args

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from jobtracker.run import CrawlRun

logger = logging.getLogger(__name__)


class TrackedSpider(scrapy.Spider):
    """A spider whose run is accounted for partition by partition.

    Subclasses set ``args_model`` (a pydantic model with an ``_job`` alias) and implement
    ``scope`` and ``is_keyword_run``; the run extension builds the run from them.
    """

    args_model: ClassVar[type[BaseModel]]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.argument_error: ArgumentError | None = None
        try:
            self.args: Any = parse_args(self.args_model, kwargs)
        except ArgumentError as exc:
            self.argument_error = exc
            self.args = self.args_model()
        self.seen_ids: set[str] = set()
        self._run: CrawlRun | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler.settings)
        return spider

    def configure(self, settings: BaseSettings) -> None:
        """Spider-specific settings (``from_crawler``); nothing by default."""

    @property
    def run(self) -> CrawlRun:
        """The run this spider crawls for (owned by the run extension; set up before any
        request)."""
        if self._run is None:
            from jobtracker.extensions import crawl_run

            self._run = crawl_run(self.crawler)
        return self._run

    def stop_on_bad_argument(self) -> None:
        """At start: a bad argument or setting stops the run cleanly (exit status 2), before any
        request."""
        error = self.argument_error or self.run.setting_error
        if error is not None:
            logger.error("%s; nothing was crawled.", error)
            raise CloseSpider(f"bad_argument:{error.argument}")

    def stop_run(self, finish_reason: str, what: str) -> NoReturn:
        """Stop the run now with ``finish_reason``, saying in one line what failed (also kept
        in the stats, for the ``crawl`` command's last line)."""
        if not self.crawler.stats.get_value("jobtracker/finish_detail"):  # said once
            detail = f"{what}; nothing was crawled" if not self.seen_ids else what
            logger.error("%s: %s", finish_reason, detail)
            self.crawler.stats.set_value("jobtracker/finish_detail", detail)
        raise CloseSpider(finish_reason)

    # -- what the run extension reads ----------------------------------------------------
    @property
    def is_keyword_run(self) -> bool:
        """Keyword runs cannot see non-matching postings, so they never close anything."""
        return False

    @property
    def scope(self) -> dict[str, Any]:
        """What this run claims to cover (used for closures and in ``crawl_runs``)."""
        raise NotImplementedError

    @property
    def arguments(self) -> dict[str, Any]:
        """The validated arguments, as recorded in ``crawl_runs``."""
        return self.args.model_dump(by_alias=True, exclude_none=True)

    def before_finalize(self) -> None:
        """Called by the run extension just before the run decides completeness."""

    def after_finalize(self) -> None:
        """Called by the run extension just after the run decided completeness."""

    def keep_first_sighting(self, source_id: str) -> bool:
        """Count a posting; True the first time this run sees it, False for a repeat."""
        if source_id in self.seen_ids:
            self.crawler.stats.inc_value("jobtracker/postings/duplicate")
            return False
        self.seen_ids.add(source_id)
        self.crawler.stats.inc_value("jobtracker/postings/unique")
        return True


def unreachable_reason(exc: BaseException) -> str | None:
    """Why ``exc`` means the site gave no answer at all ("connection refused", "DNS lookup
    failed", ...), or None for any other failure."""
    if isinstance(exc, DownloadConnectionRefusedError | twisted_errors.ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, CannotResolveHostError | twisted_errors.DNSLookupError):
        return "DNS lookup failed"
    if isinstance(exc, DownloadTimeoutError | twisted_errors.TimeoutError):
        return "timed out"
    if isinstance(exc, twisted_errors.ConnectError):
        return f"cannot connect: {exc.__class__.__name__}"
    return None
