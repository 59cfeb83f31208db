"""The item model: one observation of one posting.

A :class:`JobPosting` is what a spider saw at ``seen_at``: identity, crawl context, every raw
field exactly as the site served it (``raw``), and normalized fields that the pipelines fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(kw_only=True)
class JobPosting:
    """One posting as observed by one crawl."""

    source: str
    """Which site family: ``"amazon_jobs"`` (www.amazon.jobs) or ``"amazon_hourly"``."""

    source_id: str
    """The site's stable posting id: ``id_icims`` for amazon.jobs, ``JOB-..`` for hourly jobs."""

    url: str
    """Canonical public URL of the posting (``{base_url}{job_path}``)."""

    title: str | None = None
    """The title with surrounding whitespace removed (the raw value stays in ``raw``)."""

    run_id: str
    """The crawl run that saw it (scrapyd's ``_job`` when run under scrapyd)."""

    partition: str
    """Key of the search partition the posting was fetched from (see ``jobtracker.partitions``)."""

    seen_at: datetime
    """When the response carrying it was received, timezone-aware UTC."""

    raw: dict[str, Any] = field(default_factory=dict)
    """Every field of the job object exactly as served, in the site's key order."""
