"""The item model: one observation of one posting.

A :class:`JobPosting` is what a spider saw at ``seen_at``: identity, crawl context, every raw
field exactly as the site served it (``raw``), and normalized fields that the pipelines fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
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
    """The title with surrounding whitespace removed, and control characters removed by the
    text-cleaning pipeline (the raw value stays in ``raw``)."""

    run_id: str
    """The crawl run that saw it (scrapyd's ``_job`` when run under scrapyd)."""

    partition: str
    """Key of the search partition the posting was fetched from (see ``jobtracker.partitions``)."""

    seen_at: datetime
    """When the response carrying it was received, timezone-aware UTC."""

    locale: str = "en"
    """The site locale it was fetched in (``en``, ``de``, ``jp``, ...): how to read its dates."""

    raw: dict[str, Any] = field(default_factory=dict)
    """Every field of the job object exactly as served, in the site's key order."""

    schedules: list[dict[str, Any]] | None = None
    """The posting's shift schedules as served (hourly sites, when the run asked for them with
    ``-a schedules=1``); None when not asked."""

    # -- normalized fields, filled by the pipelines (empty when a value could not be read) --

    labels: dict[str, Any] = field(default_factory=dict)
    """Amazon's own labels (``job_category``, ``job_family``, ``business_category``, ``team``)
    as stored: control characters removed (``raw`` keeps them as served); empty for hourly
    cards."""

    description_text: str | None = None
    """``description`` as plain text (the HTML stays in ``raw``)."""

    basic_qualifications_text: str | None = None
    preferred_qualifications_text: str | None = None

    locations: list[dict[str, Any]] = field(default_factory=list)
    """Every location, primary first: city, region, ISO 3166-1 alpha-2/alpha-3, country name,
    ISO 3166-2 subdivision, coordinates, virtual flag (``jobtracker.normalize.location``)."""

    country_codes: list[str] = field(default_factory=list)
    """Distinct ISO alpha-3 codes of all locations, primary first."""

    role_family: dict[str, Any] | None = None
    """Standard role family, SOC 2018 code and classifier version (``docs/role_families.md``)."""

    posted_date: date | None = None
    """``posted_date`` parsed (``"July  2, 2026"`` and localized forms)."""

    updated_at: datetime | None = None
    """``updated_time`` ("2 months") as an approximate UTC time relative to ``seen_at``."""

    updated_at_approximate: bool = False

    pay: list[dict[str, Any]] = field(default_factory=list)
    """Pay ranges read from the qualifications: min, max, currency, period, location."""
