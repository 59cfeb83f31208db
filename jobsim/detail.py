"""Job detail pages ``/{locale}/jobs/<id_icims>[/<slug>]`` (pure: job object -> HTML).

Server-rendered like the real Rails page: ``#job-detail``, ``h1.title``, ``p.meta`` with the
"Job ID", and ``#job-detail-body .section`` blocks with ``<h2>DESCRIPTION</h2>``,
``<h2>BASIC QUALIFICATIONS</h2>`` and ``<h2>PREFERRED QUALIFICATIONS</h2>`` each followed by one
``<p>``. Like the real pages it shows no posted date (that is in the search JSON only). Unknown or
closed ids are answered 404 by the server (``not_found_page``).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from jobsim.catalog import slugify

_PATH = re.compile(
    r"^/(?P<locale>[a-z]{2}(?:-[a-z]{2})?)/jobs/(?P<id>\d+)(?P<rest>/[^/]*|\.json)?/?$"
)


def parse_detail_path(path: str) -> tuple[str, str, bool] | None:
    """``(locale, id_icims, is_json)`` for a detail path, else None."""
    m = _PATH.match(path)
    if not m:
        return None
    return m.group("locale"), m.group("id"), m.group("rest") == ".json"


def _body(text: str | None) -> str:
    return (text or "").replace("<br/>", "<br>")


def detail_page(job: dict[str, Any], locale: str = "en") -> str:
    """The HTML detail page of one job object."""
    title = html.escape(job["title"])
    locations = "".join(
        f'<li class="location">{html.escape(loc)}</li>'
        for loc in [json.loads(x)["normalizedLocation"] for x in job["locations"]]
    )
    category = html.escape(job["job_category"])
    category_url = f"/{locale}/search?category%5B%5D={slugify(job['job_category'])}"
    team = html.escape(job["team"]["label"] or "")
    apply_url = html.escape(job["url_next_step"])
    return f"""<!DOCTYPE html>
<html lang="{locale}">
<head>
<meta charset="utf-8">
<meta id="a2z:mons_app_name" content="JobsWebsiteLegacy">
<title>{title} - Job ID: {job["id_icims"]} | Amazon.jobs</title>
<link rel="canonical" href="https://www.amazon.jobs{html.escape(job["job_path"])}">
</head>
<body>
<div id="job-detail" class="job-detail" data-job-id="{job["id_icims"]}">
  <div class="container">
    <div class="row">
      <div class="col-12">
        <h1 class="title">{title}</h1>
        <div class="details-line">
          <p class="meta">Job ID: {job["id_icims"]} | {html.escape(job["company_name"])}</p>
          <ul class="list-unstyled locations">{locations}</ul>
        </div>
      </div>
    </div>
    <div class="row">
      <div class="col-12 col-md-5 col-lg-4 col-xl-3">
        <div class="association job-category-icon col-12">
          <a href="{category_url}">{category}</a>
        </div>
        <div class="association team-icon col-12">{team}</div>
        <a id="apply-button" class="btn btn-primary" href="{apply_url}">Apply now</a>
      </div>
      <div id="job-detail-body" class="col-12 col-md-7 col-lg-8 col-xl-9">
        <div class="content">
          <div class="section description"></div>
          <div class="section">
            <h2>DESCRIPTION</h2>
            <p>{_body(job["description"])}</p>
          </div>
          <div class="section">
            <h2>BASIC QUALIFICATIONS</h2>
            <p>{_body(job["basic_qualifications"])}</p>
          </div>
          <div class="section">
            <h2>PREFERRED QUALIFICATIONS</h2>
            <p>{_body(job["preferred_qualifications"])}</p>
          </div>
        </div>
      </div>
    </div>
  </div>
</div>
</body>
</html>
"""


def not_found_page(locale: str = "en") -> str:
    """The 404 page."""
    return (
        f'<!DOCTYPE html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        '<title>Page not found | Amazon.jobs</title></head><body><div id="not-found">'
        "<h1>Sorry, we couldn't find that page.</h1></div></body></html>\n"
    )
