"""Run a real Scrapy crawl in the test process and collect what it produced."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from jobtracker.extensions import crawl_run
from jobtracker.run import CrawlRun
from jobtracker.spiders.amazon_jobs import AmazonJobsSpider

#: Politeness off: the simulator runs on loopback.
FAST_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "RETRY_AFTER_MAX_SECONDS": 2,
    "LOG_LEVEL": "INFO",
    "MONGO_URI": None,
    # Unsaved postings and pending run records of tests go to a scratch folder.
    "JOBTRACKER_VAR_DIR": tempfile.mkdtemp(prefix="jobtracker-test-var-"),
}


@dataclass
class CrawlResult:
    items: list[Any] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    spider: Spider | None = None
    run: CrawlRun | None = None
    open_browser_contexts: int | None = None
    """Browser contexts still open in Chromium when the spider closed (None: no browser)."""

    @property
    def ids(self) -> list[str]:
        return [item.source_id for item in self.items]

    @property
    def requests(self) -> int:
        return int(self.stats.get("downloader/request_count", 0))

    @property
    def finish_reason(self) -> str | None:
        return self.stats.get("finish_reason")


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    settings = get_project_settings()
    settings.setdict({**FAST_SETTINGS, **(overrides or {})}, priority="cmdline")
    return settings


async def run_crawl(
    settings: dict[str, Any] | None = None,
    spider_cls: type[Spider] = AmazonJobsSpider,
    **spider_kwargs: Any,
) -> CrawlResult:
    """Crawl with the project's settings (plus ``settings``) and return items and stats."""
    crawler = Crawler(spider_cls, project_settings(settings))
    result = CrawlResult()

    def collect(item: Any) -> None:
        result.items.append(item)

    def count_open_contexts() -> None:
        result.open_browser_contexts = open_browser_contexts(crawler)

    crawler.signals.connect(collect, signal=signals.item_scraped)
    crawler.signals.connect(count_open_contexts, signal=signals.spider_closed)
    await crawler.crawl_async(**spider_kwargs)
    result.stats = crawler.stats.get_stats()
    result.spider = crawler.spider
    result.run = crawl_run(crawler)
    return result


def open_browser_contexts(crawler: Crawler) -> int | None:
    """How many contexts Chromium has open now, asked of the browser that scrapy-playwright's
    download handler launched (None when the crawl launched none)."""
    handlers = crawler.engine.downloader.handlers._handlers if crawler.engine else {}
    browser = getattr(handlers.get("http"), "browser", None)
    return None if browser is None else len(browser.contexts)
