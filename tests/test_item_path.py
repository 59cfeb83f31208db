"""The per-posting path costs no work nobody reads: each distinct text is cleaned once, and no
per-posting log record is built unless the crawl logs at DEBUG (figures: ``make bench``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from scrapy.crawler import Crawler

from jobtracker.middlewares import QuietLogFormatter
from jobtracker.normalize import html_to_text
from jobtracker.pipelines import TextCache
from jobtracker.spiders.amazon_jobs import AmazonJobsSpider
from tests.support.crawling import project_settings

FIXTURES = Path(__file__).parent / "fixtures"


def real_texts() -> list[str]:
    """The HTML fields of the recorded search answers (real postings)."""
    texts = []
    for path in sorted(FIXTURES.glob("search_sample_*.json")):
        for job in json.loads(path.read_text()).get("jobs", []):
            for name in ("description", "basic_qualifications", "preferred_qualifications"):
                if isinstance(job.get(name), str):
                    texts.append(job[name])
    return texts


def test_a_cached_text_is_the_text_cleaning_gives() -> None:
    texts = real_texts()
    assert len(set(texts)) == len(texts) >= 6
    cache = TextCache(size=len(texts), trial=10_000)
    for html in texts + texts[:3] + texts[:3] + [None, b"<p>x</p>", ""]:  # type: ignore[list-item]
        assert cache.text(html) == html_to_text(html)
    assert cache.hits == 6  # the repeats were not cleaned again
    cache.text("<p>one more</p>")
    assert len(cache.texts) == len(texts)  # the oldest went


def test_a_field_whose_texts_do_not_repeat_stops_caching() -> None:
    cache = TextCache(size=100, trial=20, min_hit_rate=0.1)
    for number in range(20):
        assert cache.text(f"<p>posting {number}</p>") == f"posting {number}"
    assert not cache.enabled and cache.texts == {}
    assert cache.text("<p>posting 3</p>") == "posting 3"
    repeating = TextCache(size=100, trial=20, min_hit_rate=0.1)
    for number in range(20):
        repeating.text(f"<p>{number % 5}</p>")
    assert repeating.enabled and repeating.hits == 15


@pytest.mark.parametrize(
    ("level", "logged"), [("INFO", False), ("WARNING", False), ("DEBUG", True)]
)
def test_the_scraped_record_is_built_only_at_debug(level: str, logged: bool) -> None:
    crawler = Crawler(AmazonJobsSpider, project_settings({"LOG_LEVEL": level}))
    formatter = QuietLogFormatter.from_crawler(crawler)
    spider = AmazonJobsSpider()
    record = formatter.scraped({"title": "x"}, None, spider)
    assert (record is not None) is logged
    if logged:
        assert record["level"] == logging.DEBUG
    assert crawler.settings["LOGFORMATTER"] == "jobtracker.middlewares.QuietLogFormatter"
