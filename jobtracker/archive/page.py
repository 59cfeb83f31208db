"""A job page of www.amazon.jobs as an archive kept it, parsed by its markers (never by the
capture's date), for every era the site has shown (docs/backfill.md):

- ``2026``: ``<title>{title} - Job ID: {id} | Amazon.jobs</title>``, ``h1.title`` (its
  ``title`` attribute holds the unclipped title), ``.meta`` "Job ID: {id} | {legal entity} -
  {site code}", ``#job-detail-body .section`` with ``<h2>Description</h2>``, ``<h2>Basic
  Qualifications</h2>``, ``<h2>Preferred Qualifications</h2>`` each followed by a ``<p>``,
  locations in ``div.association.location-icon ul.association-content li``;
- ``2025``: the same skeleton with upper-case headings (``<h2>DESCRIPTION</h2>``) and a
  ``#job-detail`` container;
- ``older``: ``h1.title``, ``div.association.location-icon``, ``<h3>BASIC QUALIFICATIONS</h3>``
  followed by the text.

No era shows a posted date, and none is ever made up here. A page that is not a job page of the
URL's posting is a :class:`Rejection` with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

#: The parser's name and version, stored on every sighting (``parser``): `jobtracker backfill
#: reparse` re-parses captures parsed by an older version.
PARSER_NAME = "amazon_jobs_page"
PARSER_VERSION = "1"

#: Rejection reasons of a fetched payload (each a capture's ``reason`` in the store).
UNPARSED = "unparsed"
NO_JOB_ID = "no_job_id"
ID_MISMATCH = "id_mismatch"
NOT_HTML = "not_html"
NO_LONGER_AVAILABLE = "no_longer_available"
SEARCH_PAGE = "search_page"

_JOB_ID = re.compile(r"Job\s+ID:\s*([0-9]{1,12})", re.IGNORECASE)
_META = re.compile(
    r"Job\s+ID:\s*(?P<id>[0-9]{1,12})\s*(?:\|\s*(?P<entity>.*?)(?:\s+-\s+(?P<site>[A-Z0-9]{2,12}))?)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_TITLE_TAG = re.compile(r"^(?P<title>.*?)\s+-\s+Job\s+ID:\s*[0-9]+", re.IGNORECASE | re.DOTALL)
_DIMENSION8 = re.compile(r"""dimension8["']?\s*:\s*["']([^"']+)["']""")
_NO_LONGER = re.compile(r"no\s+longer\s+(?:available|accepting)", re.IGNORECASE)
_SECTIONS = {
    "description": "description",
    "basic qualifications": "basic_qualifications",
    "preferred qualifications": "preferred_qualifications",
}


@dataclass(frozen=True)
class ParsedPage:
    """What a job page says, as served (HTML fragments; the pipelines clean them)."""

    era: str
    job_id: str
    title: str | None
    locations: list[str] = field(default_factory=list)
    legal_entity: str | None = None
    site_code: str | None = None
    description: str | None = None
    basic_qualifications: str | None = None
    preferred_qualifications: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "era": self.era,
            "job_id": self.job_id,
            "title": self.title,
            "locations": list(self.locations),
            "legal_entity": self.legal_entity,
            "site_code": self.site_code,
            "description": self.description,
            "basic_qualifications": self.basic_qualifications,
            "preferred_qualifications": self.preferred_qualifications,
        }


@dataclass(frozen=True)
class Rejection:
    """Why a payload is not a sighting of the URL's posting."""

    reason: str
    detail: str = ""


def parse_job_page(
    payload: bytes, *, expected_id: str, content_type: str | None = None
) -> ParsedPage | Rejection:
    """Parse a job page by its markers; a :class:`Rejection` if it is not a page of posting
    ``expected_id`` (never an exception, whatever the bytes)."""
    if content_type and "html" not in content_type.lower():
        return Rejection(NOT_HTML, content_type.split(";")[0].strip())
    head = payload[:2048].lstrip().lower()
    if (
        not payload.strip()
        or head.startswith((b"{", b"[", b"%pdf", b"\x1f\x8b"))
        or b"<" not in head
    ):
        return Rejection(NOT_HTML, "the payload is not HTML")
    try:
        root = lxml.html.document_fromstring(payload)
    except (etree.ParserError, ValueError) as exc:
        return Rejection(NOT_HTML, str(exc)[:100])
    if root.xpath('//*[@data-react-class="SearchContent"]'):
        return Rejection(SEARCH_PAGE)
    page_title = _text(root.find(".//title"))
    h1 = _first(root.xpath('//h1[contains(concat(" ", normalize-space(@class), " "), " title ")]'))
    sections, era = _sections(root)
    if h1 is None and not sections:
        body_text = _text(root.find(".//body"))
        if _NO_LONGER.search(body_text) or _NO_LONGER.search(page_title):
            return Rejection(NO_LONGER_AVAILABLE)
        return Rejection(UNPARSED, "no job-page marker (h1.title, qualification headings)")
    job_id, legal_entity, site_code = _job_id(root, page_title)
    if job_id is None:
        if _NO_LONGER.search(_text(root.find(".//body"))):
            return Rejection(NO_LONGER_AVAILABLE)
        return Rejection(NO_JOB_ID)
    if job_id != str(int(expected_id)):
        return Rejection(ID_MISMATCH, f"the page says Job ID {job_id}")
    title = None
    if h1 is not None:
        title = (h1.get("title") or "").strip() or _text(h1)
    if not title:
        match = _TITLE_TAG.match(page_title)
        title = match["title"].strip() if match else None
    return ParsedPage(
        era=era,
        job_id=job_id,
        title=title or None,
        locations=_locations(root),
        legal_entity=legal_entity,
        site_code=site_code,
        description=sections.get("description"),
        basic_qualifications=sections.get("basic_qualifications"),
        preferred_qualifications=sections.get("preferred_qualifications"),
    )


def _first(elements: list[Any]) -> Any:
    return elements[0] if elements else None


def _text(element: Any) -> str:
    if element is None:
        return ""
    return " ".join(element.text_content().split())


def _job_id(root: Any, page_title: str) -> tuple[str | None, str | None, str | None]:
    """The page's Job ID, legal entity and site code: the ``.meta`` line, else the title tag,
    else any "Job ID:" text."""
    for meta in root.xpath(
        '//*[self::div or self::p][contains(concat(" ", normalize-space(@class), " "), " meta ")]'
    ):
        match = _META.search(_text(meta))
        if match:
            entity = (match["entity"] or "").strip() or None
            return str(int(match["id"])), entity, match["site"]
    for text in (page_title, _text(root.find(".//body"))):
        match = _JOB_ID.search(text)
        if match:
            return str(int(match[1])), None, None
    return None, None, None


def _heading_key(element: Any) -> str | None:
    return _SECTIONS.get(" ".join(_text(element).lower().split()))


def _sections(root: Any) -> tuple[dict[str, str], str]:
    """The description and qualification sections (HTML after each heading up to the next),
    and the era their headings show."""
    found: dict[str, str] = {}
    era = "unknown"
    for heading in root.xpath("//h2 | //h3"):
        key = _heading_key(heading)
        if key is None or key in found:
            continue
        label = _text(heading)
        if heading.tag == "h3":
            era = "older"
        elif era == "unknown":
            era = "2025" if label.isupper() else "2026"
        found[key] = _html_after(heading)
    return found, era


def _html_after(heading: Any) -> str:
    parts = [heading.tail or ""]
    for sibling in heading.itersiblings():
        if sibling.tag in ("h1", "h2", "h3"):
            break
        parts.append(lxml.html.tostring(sibling, encoding="unicode", with_tail=True))
    return "".join(parts).strip()


def _locations(root: Any) -> list[str]:
    icon = root.xpath(
        '//div[contains(concat(" ", normalize-space(@class), " "), " location-icon ")]'
    )
    found: list[str] = []
    for block in icon:
        items = block.xpath('.//ul[contains(@class, "association-content")]/li') or block.xpath(
            ".//li"
        )
        texts = [_text(item) for item in items] if items else [_location_block_text(block)]
        for text in texts:
            if text and text not in found:
                found.append(text)
    if not found:
        for script in root.xpath("//script"):
            match = _DIMENSION8.search(script.text or "")
            if match:
                found.append(match[1].strip())
                break
    return found


def _location_block_text(block: Any) -> str:
    content = block.xpath('.//*[contains(@class, "association-content")]')
    return _text(content[0] if content else block)
