"""Job-detail URLs of www.amazon.jobs as archives hold them, and their posting ids.

Every variant of one posting's page (``http``/``https``, with or without ``www.``, ``:80`` or
``:443``, any locale, any slug, a query or fragment) is the same posting,
``amazon_jobs:<id_icims>``, the id live postings use (docs/backfill.md). Anything else (search
pages, ``/en/jobs/<id>.json`` redirects, other paths) is not a job-detail URL.
"""

from __future__ import annotations

import re

#: Locales of the site's pages (docs/backfill.md).
LOCALES = ("en", "en-gb", "de", "fr", "es", "it", "jp", "zh", "cs", "pl", "pt")
#: The source part of a posting id.
SOURCE_PREFIX = "amazon_jobs"

_JOB_URL = re.compile(
    r"""^(?:https?://)?(?:www\.)?amazon\.jobs(?::(?:80|443))?
        /(?P<locale>[a-z]{2}(?:-[a-z]{2})?)/jobs/(?P<id>[0-9]{1,12})
        (?:/[^?#]*)?(?:[?#].*)?$""",
    re.IGNORECASE | re.VERBOSE,
)


def job_id_of(url: str) -> str | None:
    """The ``id_icims`` of a job-detail URL, or None for any other URL."""
    match = _JOB_URL.match(url.strip())
    if match is None or match["locale"].lower() not in LOCALES:
        return None
    return str(int(match["id"]))


def posting_id_of(url: str) -> str | None:
    """``amazon_jobs:<id_icims>`` of a job-detail URL, or None."""
    job_id = job_id_of(url)
    return f"{SOURCE_PREFIX}:{job_id}" if job_id else None


def is_job_detail(url: str) -> bool:
    """Whether ``url`` is a job-detail page of www.amazon.jobs (any variant)."""
    return job_id_of(url) is not None


def listing_prefixes() -> list[str]:
    """The URL prefixes a listing asks an archive for: one per locale, ``matchType=prefix``
    (an archive's SURT key folds scheme, ``www.`` and ports, so these cover every host)."""
    return [f"amazon.jobs/{locale}/jobs/" for locale in LOCALES]
