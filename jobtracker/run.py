"""One crawl run: its id, clock, scope, arguments and partition ledger (pure; no Scrapy).

A :class:`CrawlRun` is built once per crawl by the extension that owns it
(:class:`jobtracker.extensions.CrawlRunExtension`) from the spider's validated arguments and
the settings; the spider fills its ledger while it crawls; the owner finalizes it exactly once
when the spider closes (the completeness verdict), then the crawl summary and the store read it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jobtracker.arguments import ArgumentError
from jobtracker.clock import Clock
from jobtracker.partitions import CrawlLedger

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scrapy.settings import BaseSettings

#: The stats that describe a run, in its crawl summary and its ``crawl_runs`` record.
RUN_STAT_KEYS = (
    "downloader/request_count",
    "downloader/response_count",
    "item_scraped_count",
    "retry/count",
    "jobtracker/postings/unique",
    "jobtracker/postings/duplicate",
    "jobtracker/pages/ok",
    "jobtracker/pages/failed",
    "jobtracker/soft_error",
    "jobtracker/malformed_json",
    "jobtracker/empty_page",
    "jobtracker/store/postings",
    "jobtracker/store/seconds",
    "elapsed_time_seconds",
)


def new_run_id(started_at: datetime | None = None) -> str:
    """A sortable, unique run id for runs not started by scrapyd."""
    return f"{started_at or datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class CrawlRun:
    """What one crawl claims to cover, and (once finalized) whether it did."""

    run_id: str
    """scrapyd's ``_job`` when run under scrapyd, else :func:`new_run_id`."""
    spider: str
    source: str
    """The source crawled (``jobtracker.sources``): its partitions speak that site's terms."""
    clock: Clock
    started_at: datetime
    arguments: dict[str, Any]
    """The spider arguments, validated (``crawl_runs.arguments``)."""
    scope: dict[str, Any]
    """What the run claims to cover: closures stay inside it (``crawl_runs.scope``)."""
    keyword_run: bool
    """Keyword runs cannot see non-matching postings, so they never close anything."""
    ledger: CrawlLedger
    setting_error: ArgumentError | None = None
    """A setting the run cannot start with (``JOBTRACKER_CLOCK_START``): it stops at start."""
    finish_reason: str | None = field(default=None, init=False)
    """Set once, when the run is finalized."""

    @classmethod
    def from_settings(
        cls,
        settings: BaseSettings,
        *,
        spider: str,
        job: str | None,
        arguments: dict[str, Any],
        scope: dict[str, Any],
        keyword_run: bool,
    ) -> CrawlRun:
        """The run's clock (``JOBTRACKER_CLOCK_START``), id (``job`` if given) and ledger
        tolerance (``JOBTRACKER_PARTITION_TOLERANCE_*``) from the settings."""
        error = None
        try:
            clock = Clock.from_setting(settings.get("JOBTRACKER_CLOCK_START"))
        except ValueError as exc:
            clock = Clock()
            error = ArgumentError("JOBTRACKER_CLOCK_START", str(exc))
        started_at = clock.now()
        return cls(
            run_id=job or new_run_id(started_at),
            spider=spider,
            source=scope["source"],
            clock=clock,
            started_at=started_at,
            arguments=arguments,
            scope=scope,
            keyword_run=keyword_run,
            ledger=CrawlLedger(
                tolerance_abs=settings.getint("JOBTRACKER_PARTITION_TOLERANCE_ABS", 2),
                tolerance_rel=settings.getfloat("JOBTRACKER_PARTITION_TOLERANCE_REL", 0.005),
            ),
            setting_error=error,
        )

    @property
    def finalized(self) -> bool:
        return self.finish_reason is not None

    def finalize(self, finish_reason: str) -> None:
        """Decide the completeness of every partition; once, when the spider has closed."""
        if self.finalized:
            raise RuntimeError(f"run {self.run_id} is finalized twice")
        self.ledger.finalize()
        self.finish_reason = finish_reason

    @property
    def complete(self) -> bool:
        """Whole-run verdict (False until finalized): every partition complete."""
        return self.finalized and self.ledger.complete()

    def start_record(self) -> dict[str, Any]:
        """The ``crawl_runs`` document recorded when the run starts."""
        return {
            "_id": self.run_id,
            "source": self.source,
            "spider": self.spider,
            "arguments": self.arguments,
            "scope": self.scope,
            "keyword_run": self.keyword_run,
            "started_at": self.started_at,
        }

    def partition_stats(self) -> dict[str, Any]:
        """The completeness verdict as crawl stats (``jobtracker/partitions/...``)."""
        states = list(self.ledger.states.values())
        return {
            "jobtracker/run_id": self.run_id,
            "jobtracker/partitions/count": len(states),
            "jobtracker/partitions/complete": sum(bool(s.complete) for s in states),
            "jobtracker/partitions/incomplete": sum(not s.complete for s in states),
            "jobtracker/run_complete": self.complete,
            "jobtracker/partitions": {
                s.key: f"promised={s.promised} fetched={len(s.ids)} "
                f"{'complete' if s.complete else 'INCOMPLETE'}"
                for s in states
            },
        }


def key_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The :data:`RUN_STAT_KEYS` of a crawl's stats."""
    return {key: stats.get(key) for key in RUN_STAT_KEYS}
