"""``amazon_jobs``: www.amazon.jobs, the corporate board, read through its ``search.json`` API.

Pure functions that turn ``search.json`` payloads into typed values and items, and the
:class:`AmazonJobs` source: what a corporate posting's content is, what the normalization
pipelines read of a job object, and how a crawl's partitions and scope name the board.
Nothing here knows about Scrapy: the spider hands in bytes or dicts and gets back plain values,
so every branch is testable with the real samples in ``tests/fixtures``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from jobtracker.items import JobPosting
from jobtracker.normalize import (
    Location,
    PayRange,
    html_to_text,
    normalize_locations,
    parse_pay,
    parse_posted_date,
    parse_updated_time,
)
from jobtracker.normalize.text import clean_labels
from jobtracker.sources.base import PostingDates, Source

NAME = "amazon_jobs"
TOP_LEVEL_KEYS = ("error", "hits", "facets", "content", "jobs", "job_posting_search_request")


class PayloadError(ValueError):
    """The body is not a ``search.json`` payload (malformed, truncated or of another shape)."""


@dataclass(frozen=True)
class SearchPage:
    """One decoded ``search.json`` response."""

    error: str | None
    hits: int
    facets: dict[str, dict[str, int]]
    jobs: list[dict[str, Any]]


def parse_search_payload(body: bytes | str) -> SearchPage:
    """Decode and check a ``search.json`` body; raise :class:`PayloadError` if it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"not JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise PayloadError(f"expected a JSON object, got {type(data).__name__}")
    missing = [key for key in ("error", "hits", "jobs") if key not in data]
    if missing:
        raise PayloadError(f"missing keys: {', '.join(missing)}")
    hits, jobs, error = data["hits"], data["jobs"], data["error"]
    if not isinstance(hits, int) or isinstance(hits, bool) or hits < 0:
        raise PayloadError(f"'hits' is not a count: {hits!r}")
    if not isinstance(jobs, list) or not all(isinstance(job, dict) for job in jobs):
        raise PayloadError("'jobs' is not a list of objects")
    if error is not None and not isinstance(error, str):
        raise PayloadError(f"'error' is neither null nor a string: {error!r}")
    return SearchPage(
        error=error or None,
        hits=hits,
        facets=parse_facets(data.get("facets") or {}),
        jobs=jobs,
    )


def parse_facets(facets: Any) -> dict[str, dict[str, int]]:
    """Turn ``{"x_facet": [{"value": n}, ...]}`` into ``{"x": {"value": n}}``.

    The site sends each facet as a list of one-key objects; malformed entries raise
    :class:`PayloadError` because a facet we cannot read would make a partition plan wrong.
    """
    if not isinstance(facets, dict):
        raise PayloadError(f"'facets' is not an object: {type(facets).__name__}")
    parsed: dict[str, dict[str, int]] = {}
    for name, entries in facets.items():
        dimension = name.removesuffix("_facet")
        if not isinstance(entries, list):
            raise PayloadError(f"facet {name!r} is not a list")
        counts: dict[str, int] = {}
        for entry in entries:
            if not isinstance(entry, dict) or len(entry) != 1:
                raise PayloadError(f"facet {name!r} has an entry that is not a one-key object")
            ((value, count),) = entry.items()
            if not isinstance(count, int) or count < 0:
                raise PayloadError(f"facet {name!r} has a bad count for {value!r}: {count!r}")
            counts[str(value)] = counts.get(str(value), 0) + count
        parsed[dimension] = counts
    return parsed


def job_source_id(job: dict[str, Any]) -> str | None:
    """The posting's stable id: ``id_icims`` (a numeric string), or None if absent."""
    value = job.get("id_icims")
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def job_url(job: dict[str, Any], base_url: str, source_id: str, locale: str = "en") -> str:
    """The canonical posting URL, ``base_url + job_path`` (``url_next_step`` is a login wall)."""
    path = job.get("job_path")
    if not isinstance(path, str) or not path.startswith("/"):
        path = f"/{locale}/jobs/{source_id}"
    return urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))


def locale_of_url(url: str) -> str:
    """The locale of a posting URL (``https://www.amazon.jobs/de/jobs/1`` -> ``de``); ``en``
    when the path names none."""
    first = urlsplit(url).path.strip("/").split("/", 1)[0]
    return first if first and first != "jobs" and len(first) <= 5 else "en"


def job_to_item(
    job: dict[str, Any],
    *,
    base_url: str,
    run_id: str,
    partition: str,
    seen_at: datetime,
    locale: str = "en",
) -> JobPosting | None:
    """Build a :class:`JobPosting` from one raw job object; None if it has no usable id."""
    source_id = job_source_id(job)
    if source_id is None:
        return None
    title = job.get("title")
    return JobPosting(
        source=NAME,
        source_id=source_id,
        url=job_url(job, base_url, source_id, locale),
        title=title.strip() if isinstance(title, str) else None,
        run_id=run_id,
        partition=partition,
        seen_at=seen_at,
        locale=locale,
        raw=dict(job),
    )


#: ``country_code`` (alpha-3) -> the currency a bare ``$`` means in that country's postings.
DOLLAR_CURRENCIES = {"USA": "USD", "CAN": "CAD", "MEX": "MXN"}


class AmazonJobs(Source):
    """www.amazon.jobs: job objects of ``search.json``, partitioned by its facets."""

    name = NAME
    #: Fields whose change makes a new version, compared after whitespace normalization. The
    #: three texts are compared as plain text, so a markup-only change is not an edit.
    content_fields = (
        "title",
        "description_text",
        "basic_qualifications_text",
        "preferred_qualifications_text",
        "job_category",
        "job_family",
        "business_category",
        "team",
        "company_name",
        "schedule_type",
        "location_raw",
        "locations_raw",
        "posted_date_raw",
    )
    #: The HTML and the raw location strings stay in ``posting_versions`` only (``postings``
    #: holds the plain text and the normalized locations).
    version_only_fields = (
        "description_html",
        "basic_qualifications_html",
        "preferred_qualifications_html",
        "locations_raw",
    )
    html_fields = {
        "description_text": "description",
        "basic_qualifications_text": "basic_qualifications",
        "preferred_qualifications_text": "preferred_qualifications",
    }

    def snapshot(self, item: Mapping[str, Any]) -> dict[str, Any]:
        raw = item.get("raw") or {}
        team = raw.get("team")
        # The labels as the text-cleaning pipeline left them (no control characters), else as
        # served.
        labels = item.get("labels") or {
            "job_category": raw.get("job_category"),
            "job_family": raw.get("job_family"),
            "business_category": raw.get("business_category"),
            "team": team.get("label") if isinstance(team, dict) else None,
        }
        snapshot: dict[str, Any] = {
            "title": item.get("title"),
            "url": item.get("url"),
            "description_html": raw.get("description"),
            "basic_qualifications_html": raw.get("basic_qualifications"),
            "preferred_qualifications_html": raw.get("preferred_qualifications"),
            "job_category": labels.get("job_category"),
            "job_family": labels.get("job_family"),
            "business_category": labels.get("business_category"),
            "team": labels.get("team"),
            "company_name": raw.get("company_name"),
            "schedule_type": raw.get("job_schedule_type"),
            "location_raw": raw.get("location"),
            "locations_raw": list(raw.get("locations") or []),
            "posted_date_raw": raw.get("posted_date"),
            "country_code": raw.get("country_code"),
        }
        for name, html_field in self.html_fields.items():
            text = item.get(name)  # computed here if the pipelines did not
            snapshot[name] = text if text is not None else html_to_text(raw.get(html_field))
        return snapshot

    def item_from_snapshot(
        self, snapshot: Mapping[str, Any], *, source_id: str, seen_at: datetime
    ) -> JobPosting | None:
        """The job object's fields that the rules read, as the snapshot kept them."""
        url = snapshot.get("url") or ""
        raw = {
            "title": snapshot.get("title"),
            "job_category": snapshot.get("job_category"),
            "job_family": snapshot.get("job_family"),
            "business_category": snapshot.get("business_category"),
            "location": snapshot.get("location_raw"),
            "locations": list(snapshot.get("locations_raw") or []),
            "country_code": snapshot.get("country_code"),
            "posted_date": snapshot.get("posted_date_raw"),
            "preferred_qualifications": snapshot.get("preferred_qualifications_html"),
        }
        return JobPosting(
            source=NAME,
            source_id=source_id,
            url=url,
            title=snapshot.get("title"),
            run_id="",
            partition="",
            seen_at=seen_at,
            locale=locale_of_url(url),
            raw=raw,
            preferred_qualifications_text=snapshot.get("preferred_qualifications_text"),
        )

    def labels(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return clean_labels(raw)

    def role_labels(self, raw: Mapping[str, Any]) -> tuple[Any, Any, Any]:
        return raw.get("job_category"), raw.get("job_family"), raw.get("business_category")

    def locations(self, item: JobPosting) -> list[Location]:
        return normalize_locations(item.raw)

    def dates(self, item: JobPosting) -> PostingDates:
        raw = item.raw
        return PostingDates(
            posted_date=parse_posted_date(raw.get("posted_date"), item.locale),
            updated=parse_updated_time(raw.get("updated_time"), item.seen_at),
        )

    def pay(self, item: JobPosting) -> list[PayRange]:
        """Pay as the posting states it: per-location lines or the geographic-market sentence
        in the preferred qualifications, else in the description. A bare ``$`` is the posting
        country's dollar (USD, CAD, MXN); elsewhere it is refused."""
        dollar = DOLLAR_CURRENCIES.get(str(item.raw.get("country_code") or "").upper())
        text = item.preferred_qualifications_text
        if text is None:
            text = html_to_text(item.raw.get("preferred_qualifications"))
        found = parse_pay(text, dollar_currency=dollar)
        return found or parse_pay(item.raw.get("description"), dollar_currency=dollar)

    def partition_values(self, posting: Mapping[str, Any]) -> dict[str, str]:
        """A posting is counted by the site's single-valued facets under its own category and
        its primary country (state and city are multi-valued: their splits vouch for their
        postings as a whole, see ``jobtracker.store.lifecycle``)."""
        return {
            "business_category": posting.get("business_category") or "",
            "normalized_country_code": posting.get("country_code") or "",
        }

    def scope_fields(self, scope: Mapping[str, Any]) -> dict[str, list[str]]:
        """A run of some countries (ISO alpha-3) and/or some business categories."""
        fields = {}
        if scope.get("countries"):
            fields["country_code"] = list(scope["countries"])
        if scope.get("categories"):
            fields["business_category"] = list(scope["categories"])
        return fields


SOURCE = AmazonJobs()
