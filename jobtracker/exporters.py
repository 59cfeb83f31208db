"""Feed exporters."""

from __future__ import annotations

from dataclasses import is_dataclass
from typing import IO, TYPE_CHECKING, Any

from scrapy.exporters import JsonLinesItemExporter
from scrapy.utils.python import to_bytes

from jobtracker.sources import source_named

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler


class PostingJsonLinesExporter(JsonLinesItemExporter):
    """JSON Lines, one posting per line, encoded straight from the item's fields.

    Each text is written once: the raw HTML fields a source cleans into text fields
    (``Source.html_fields``: ``description`` -> ``description_text``, ...) are left out of
    ``raw`` in the feed, where they were three quarters of a line; the store keeps them in its
    snapshots. ``-s JOBTRACKER_FEED_RAW=1`` writes ``raw`` whole.

    jobtracker's items declare no per-field serializers, so Scrapy's per-field hooks only cost
    time (about a quarter of a full crawl's CPU for 20-field postings). Anything else, or a feed
    with ``fields``/``FEED_EXPORT_FIELDS``, goes through the standard exporter.
    """

    def __init__(self, file: IO[bytes], *, raw_html: bool = False, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self.raw_html = raw_html
        self._html_keys: dict[str, frozenset[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: IO[bytes], **kwargs: Any) -> Self:
        return cls(file, raw_html=crawler.settings.getbool("JOBTRACKER_FEED_RAW"), **kwargs)

    def export_item(self, item: Any) -> None:
        if self.fields_to_export is not None or not is_dataclass(item):
            super().export_item(item)
            return
        fields = vars(item)
        if not self.raw_html:
            fields = self.without_raw_html(fields)
        self.file.write(to_bytes(self.encoder.encode(fields) + "\n", self.encoding))

    def without_raw_html(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The item's fields with ``raw`` minus the HTML its text fields were cleaned from."""
        raw = fields.get("raw")
        source = fields.get("source")
        if not raw or not isinstance(source, str):
            return fields
        dropped = self._html_keys.get(source)
        if dropped is None:
            try:
                dropped = frozenset(source_named(source).html_fields.values())
            except LookupError:  # not a jobtracker source: written as it is
                dropped = frozenset()
            self._html_keys[source] = dropped
        if dropped.isdisjoint(raw):
            return fields
        return {**fields, "raw": {k: v for k, v in raw.items() if k not in dropped}}
