# ruff: noqa: E501 (HTML templates read best one element a line)
"""Archived amazon.jobs pages (pure: job object -> HTML bytes), one renderer per page era.

Eras (docs/simulator_archive.md): ``2026`` (``<h2>Description</h2>``, ``div.meta``, sidebar
``div.association.location-icon``), ``2025`` (``#job-detail``, upper-case ``<h2>DESCRIPTION</h2>``,
``p.meta``), ``older`` (``h1.title``, ``div.team-icon``, ``<h3>BASIC QUALIFICATIONS</h3>`` followed
by the text) and ``unknown`` (a layout with none of those markers). No page shows a posted date.
Each page embeds per-capture values (``csrf-token``, ``a2z:request_id``) like the real site.
"""

from __future__ import annotations

import html
import json
from typing import Any

ERAS = ("2026", "2025", "older", "unknown")


def _lines(text: str | None) -> str:
    return text or ""


def _head(job: dict[str, Any], locale: str, token: str, extra: str = "") -> str:
    title = html.escape(job["title"])
    return (
        f'<!DOCTYPE html>\n<html lang="{locale}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="csrf-token" content="{token}">\n'
        f'<meta id="a2z:request_id" content="{token[:20].upper()}">\n'
        f"<title>{title} - Job ID: {job['id_icims']} | Amazon.jobs</title>\n{extra}</head>\n"
    )


def _country_first(location_json: str) -> str:
    """``"IND, KA, Bengaluru"``: country (alpha-3) first, as the sidebar shows it."""
    loc = json.loads(location_json)
    return ", ".join(x for x in (loc["countryIso3a"], loc["region"], loc["city"]) if x)


def _sidebar_locations(job: dict[str, Any]) -> str:
    return "".join(f"<li>{html.escape(_country_first(x))}</li>" for x in job["locations"])


def _meta(job: dict[str, Any]) -> str:
    site = json.loads(job["locations"][0]).get("buildingCodeList") or []
    code = f" - {site[0]}" if site else ""
    return f"Job ID: {job['id_icims']} | {html.escape(job['company_name'])}{code}"


def page_2026(job: dict[str, Any], locale: str, token: str) -> str:
    """The 2026 layout (title case headings, ``div.meta``, no JSON-LD)."""
    title = html.escape(job["title"])
    shown = title if len(job["title"]) <= 60 else html.escape(job["title"][:57]) + "…"
    dim8 = json.loads(job["locations"][0])
    dim8 = ", ".join(x for x in (dim8["countryIso2a"], dim8["city"]) if x)
    return (
        _head(job, locale, token)
        + f"""<body>
<div class="job-detail-page">
  <h1 class="title" title="{title}">{shown}</h1>
  <div class="meta">{_meta(job)}</div>
  <div class="row">
    <div class="col-md-4 sidebar">
      <div class="association location-icon"><ul class="association-content">{_sidebar_locations(job)}</ul></div>
      <div class="association team-icon"><ul class="association-content"><li>{html.escape(job["team"]["label"] or "")}</li></ul></div>
    </div>
    <div id="job-detail-body" class="col-md-8">
      <div class="section"><h2>Description</h2><p>{_lines(job["description"])}</p></div>
      <div class="section"><h2>Basic Qualifications</h2><p>{_lines(job["basic_qualifications"])}</p></div>
      <div class="section"><h2>Preferred Qualifications</h2><p>{_lines(job["preferred_qualifications"])}</p></div>
    </div>
  </div>
</div>
<script>ga('set', {{dimension8: "{html.escape(dim8)}"}});</script>
</body>
</html>
"""
    )


def page_2025(job: dict[str, Any], locale: str, token: str) -> str:
    """The 2025 layout (``#job-detail``, upper-case headings, ``p.meta``)."""
    title = html.escape(job["title"])
    return (
        _head(job, locale, token)
        + f"""<body>
<div id="job-detail" class="job-detail">
  <div class="container">
    <h1 class="title">{title}</h1>
    <div class="details-line"><p class="meta">{_meta(job)}</p></div>
    <div class="row">
      <div class="col-md-4">
        <div class="association location-icon"><ul class="association-content">{_sidebar_locations(job)}</ul></div>
        <div class="association team-icon">{html.escape(job["team"]["label"] or "")}</div>
      </div>
      <div id="job-detail-body" class="col-md-8">
        <div class="content">
          <div class="section"><h2>DESCRIPTION</h2><p>{_lines(job["description"])}</p></div>
          <div class="section"><h2>BASIC QUALIFICATIONS</h2><p>{_lines(job["basic_qualifications"])}</p></div>
          <div class="section"><h2>PREFERRED QUALIFICATIONS</h2><p>{_lines(job["preferred_qualifications"])}</p></div>
        </div>
      </div>
    </div>
  </div>
</div>
</body>
</html>
"""
    )


def page_older(job: dict[str, Any], locale: str, token: str) -> str:
    """The older layout (``h1.title``, ``div.team-icon``, ``<h3>`` headings then bare text)."""
    title = html.escape(job["title"])
    return (
        _head(job, locale, token)
        + f"""<body>
<div class="job-detail">
  <h1 class="title">{title}</h1>
  <p class="meta">{_meta(job)}</p>
  <div class="association location-icon"><p>{html.escape(_country_first(job["locations"][0]))}</p></div>
  <div class="association team-icon"><p>{html.escape(job["team"]["label"] or "")}</p></div>
  <div class="content">
    <h3>DESCRIPTION</h3>
    {_lines(job["description"])}
    <h3>BASIC QUALIFICATIONS</h3>
    {_lines(job["basic_qualifications"])}
    <h3>PREFERRED QUALIFICATIONS</h3>
    {_lines(job["preferred_qualifications"])}
  </div>
</div>
</body>
</html>
"""
    )


def page_unknown(job: dict[str, Any], locale: str, token: str) -> str:
    """A layout of no known era: none of the markers, no ``Job ID:`` line."""
    return (
        f'<!DOCTYPE html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        f'<meta name="csrf-token" content="{token}"><title>Amazon.jobs</title></head>\n'
        f'<body><div data-react-class="JobDetail" data-react-props="{{}}"></div>'
        f"<noscript>{html.escape(job['title'])}</noscript></body></html>\n"
    )


RENDERERS = {"2026": page_2026, "2025": page_2025, "older": page_older, "unknown": page_unknown}


def job_page(job: dict[str, Any], era: str, locale: str, token: str) -> bytes:
    """The archived job page of ``job`` in ``era``."""
    return RENDERERS[era](job, locale, token).encode("utf-8")


def no_longer_available_page(locale: str, token: str) -> bytes:
    """The 200 soft-404: "no longer available", without a Job ID line."""
    return (
        f'<!DOCTYPE html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        f'<meta name="csrf-token" content="{token}">'
        '<title>Amazon.jobs</title></head><body><div class="job-detail">'
        "<h1>This job is no longer available</h1>"
        '<p>Browse <a href="/en/search">open jobs</a>.</p></div></body></html>\n'
    ).encode()


def not_found_page(locale: str, token: str) -> bytes:
    """The archived 404 page."""
    return (
        f'<!DOCTYPE html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        f'<meta name="csrf-token" content="{token}">'
        '<title>Page not found | Amazon.jobs</title></head><body><div id="not-found">'
        "<h1>Sorry, we couldn't find that page.</h1></div></body></html>\n"
    ).encode()


def search_page(locale: str, token: str) -> bytes:
    """The search page: a React shell listing no postings."""
    return (
        f'<!DOCTYPE html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        f'<meta name="csrf-token" content="{token}"><title>Search Jobs | Amazon.jobs</title>'
        '</head><body><div data-react-class="SearchContent" data-react-props="{&quot;locale&quot;:'
        f'&quot;{locale}&quot;}}"></div></body></html>\n'
    ).encode()


def too_many_requests_page(token: str) -> bytes:
    """An archived 429 answer of the site."""
    return b"<html><body><h1>429 Too Many Requests</h1></body></html>\n"
