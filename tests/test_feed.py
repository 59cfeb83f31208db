"""The feed: one line per posting, each text once (the cleaned text) unless
``JOBTRACKER_FEED_RAW=1``; everything else exactly what the items hold.

"Before" is what Scrapy's own JSON Lines exporter writes for the same items (which is what
jobtracker's feed wrote until it dropped the duplicated HTML): each crawl's feed is compared
with it line by line and field by field.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.exporters import JsonLinesItemExporter
from scrapy.utils.defer import deferred_f_from_coro_f

from tests.support.crawling import run_crawl

HTML_FIELDS = {"description", "basic_qualifications", "preferred_qualifications"}


def scrapy_lines(items: list[Any]) -> list[dict[str, Any]]:
    """The items as Scrapy's standard JSON Lines exporter writes them (the feed before)."""
    buffer = io.BytesIO()
    exporter = JsonLinesItemExporter(buffer, encoding="utf-8")
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


async def crawl_to_feed(sim, path: Path, **settings: Any) -> tuple[list[Any], list[dict]]:
    feeds = {str(path): {"format": "jsonlines"}}
    result = await run_crawl({"FEEDS": feeds, **settings}, base_url=sim.url, categories="aws")
    assert result.finish_reason == "finished" and result.items
    return result.items, [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_the_feed_writes_each_text_once_and_everything_else_unchanged(
    sim, tmp_path: Path
) -> None:
    items, feed = await crawl_to_feed(sim, tmp_path / "feed.jsonl")
    before = scrapy_lines(items)
    assert len(feed) == len(before) == len({line["source_id"] for line in feed})
    with_text = 0
    for line, old in zip(feed, before, strict=True):
        assert line.keys() == old.keys()
        for name in old:
            if name != "raw":
                assert line[name] == old[name], name
        assert line["raw"] == {k: v for k, v in old["raw"].items() if k not in HTML_FIELDS}
        assert old["raw"].keys() >= HTML_FIELDS
        with_text += bool(line["description_text"])
    assert with_text == len(feed)  # the cleaned text is there: nothing is lost but the HTML
    size = (tmp_path / "feed.jsonl").stat().st_size
    old_size = sum(len(json.dumps(old, ensure_ascii=False)) + 1 for old in before)
    assert size < 0.75 * old_size  # the share of the HTML varies by board: make bench has it


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_jobtracker_feed_raw_writes_the_items_as_they_are(sim, tmp_path: Path) -> None:
    items, feed = await crawl_to_feed(sim, tmp_path / "raw.jsonl", JOBTRACKER_FEED_RAW=True)
    assert feed == scrapy_lines(items)
