"""Pure code of the archive backfill (issue #21): CDX listings, job-page URLs, page parsing by
era markers and WARC records. No Scrapy, no pymongo: the spiders (``jobtracker.spiders``) and
the store (``jobtracker.store.archive``) call these."""

from __future__ import annotations

#: The two archives a backfill reads.
WAYBACK = "wayback"
COMMONCRAWL = "commoncrawl"
ARCHIVES = (WAYBACK, COMMONCRAWL)
