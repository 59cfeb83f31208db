"""Item pipelines: thin Scrapy wrappers over the pure functions of the project.

The ladder (see ``ITEM_PIPELINES`` in settings): validate (100) -> ... -> store (900).
An unknown value never drops an item; only a posting without identity is dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

REQUIRED_FIELDS = ("source", "source_id", "url", "run_id", "seen_at")


class ValidatePostingPipeline:
    """Drop only items that cannot be identified; count every missing optional field."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        missing = [name for name in REQUIRED_FIELDS if not adapter.get(name)]
        if missing:
            self.crawler.stats.inc_value("jobtracker/validate/dropped")
            raise DropItem(f"posting without {', '.join(missing)}")
        if not adapter.get("title"):
            self.crawler.stats.inc_value("jobtracker/validate/missing_title")
        return item


class StorageNotImplementedPipeline:
    """Placeholder for the MongoDB store: it stores nothing, and says so.

    Without ``MONGO_URI`` it switches itself off and logs that history tracking is off. With
    ``MONGO_URI`` set it logs, loudly, that this build does not store postings yet.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("MONGO_URI"):
            logger.warning(
                "MONGO_URI is not set: history tracking is OFF. Postings go only to the feed "
                "(-O FILE); nothing records first seen / last seen / closures."
            )
            raise NotConfigured("MONGO_URI is not set")
        logger.warning(
            "MONGO_URI is set, but this build has no MongoDB store yet: postings are NOT "
            "stored (StorageNotImplementedPipeline is a no-op)."
        )
        return cls()

    def process_item(self, item: object) -> object:
        return item
