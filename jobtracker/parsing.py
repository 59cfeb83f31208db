"""Pure functions that turn ``search.json`` payloads into typed values and items.

Nothing here knows about Scrapy: the spider hands in bytes or dicts and gets back plain values,
so every branch is testable with the real samples in ``tests/fixtures``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from jobtracker.items import JobPosting

SOURCE = "amazon_jobs"
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
        source=SOURCE,
        source_id=source_id,
        url=job_url(job, base_url, source_id, locale),
        title=title.strip() if isinstance(title, str) else None,
        run_id=run_id,
        partition=partition,
        seen_at=seen_at,
        locale=locale,
        raw=dict(job),
    )
