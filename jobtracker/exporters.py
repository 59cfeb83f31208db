"""Feed exporters."""

from __future__ import annotations

from dataclasses import is_dataclass
from typing import Any

from scrapy.exporters import JsonLinesItemExporter
from scrapy.utils.python import to_bytes


class PostingJsonLinesExporter(JsonLinesItemExporter):
    """JSON Lines, one posting per line, encoded straight from the item's fields.

    jobtracker's items declare no per-field serializers, so Scrapy's per-field hooks only cost
    time (about a quarter of a full crawl's CPU for 20-field postings). Anything else, or a feed
    with ``fields``/``FEED_EXPORT_FIELDS``, goes through the standard exporter.
    """

    def export_item(self, item: Any) -> None:
        if self.fields_to_export is not None or not is_dataclass(item):
            super().export_item(item)
            return
        self.file.write(to_bytes(self.encoder.encode(vars(item)) + "\n", self.encoding))
