"""What a posting's content is, and when it changed (pure).

``posting_snapshot`` turns an item (a plain dict) into the document fields a version stores;
``content_hash`` fingerprints only the content fields, never volatile ones such as
``updated_time``, rank, ``seen_at`` or run metadata, so an unchanged posting hashes the same on
every crawl and a version is written only when the content really changed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from jobtracker.normalize.text import html_to_text

#: Fields whose change makes a new version, compared after whitespace normalization. The three
#: texts are compared as plain text, so a markup-only change is not an edit.
CONTENT_FIELDS = (
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
#: Normalized fields copied into the snapshot when the pipelines filled them (never hashed:
#: they are functions of the content, and a classifier upgrade must not fake an edit).
DERIVED_FIELDS = ("locations", "country_codes", "role_family", "posted_date", "pay")
#: Plain-text fields and the HTML they come from (computed here if the pipelines did not).
TEXT_FIELDS = {
    "description_text": "description",
    "basic_qualifications_text": "basic_qualifications",
    "preferred_qualifications_text": "preferred_qualifications",
}


def posting_id(source: str, source_id: str) -> str:
    """The ``_id`` of a posting: ``"<source>:<source_id>"``."""
    return f"{source}:{source_id}"


def posting_snapshot(item: dict[str, Any]) -> dict[str, Any]:
    """The posting's content as stored in ``postings`` and ``posting_versions``."""
    raw = item.get("raw") or {}
    team = raw.get("team")
    snapshot: dict[str, Any] = {
        "title": item.get("title"),
        "url": item.get("url"),
        "description_html": raw.get("description"),
        "basic_qualifications_html": raw.get("basic_qualifications"),
        "preferred_qualifications_html": raw.get("preferred_qualifications"),
        "job_category": raw.get("job_category"),
        "job_family": raw.get("job_family"),
        "business_category": raw.get("business_category"),
        "team": team.get("label") if isinstance(team, dict) else None,
        "company_name": raw.get("company_name"),
        "schedule_type": raw.get("job_schedule_type"),
        "location_raw": raw.get("location"),
        "locations_raw": list(raw.get("locations") or []),
        "posted_date_raw": raw.get("posted_date"),
        "country_code": raw.get("country_code"),
    }
    for name, source in TEXT_FIELDS.items():
        text = item.get(name)
        snapshot[name] = text if text is not None else html_to_text(raw.get(source))
    for name in DERIVED_FIELDS:
        value = item.get(name)
        if value is not None:
            snapshot[name] = _bson_friendly(value)
    return snapshot


def _bson_friendly(value: Any) -> Any:
    """A date becomes midnight UTC (BSON has no date type); the normalized containers hold
    only JSON types."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


def _normalized(value: Any) -> Any:
    """Whitespace runs to one space, ends stripped (``str.split`` knows every Unicode space)."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


#: Snapshot fields kept in ``posting_versions`` only: the HTML and the raw location strings
#: (``postings`` holds the plain text and the normalized locations).
VERSION_ONLY_FIELDS = (
    "description_html",
    "basic_qualifications_html",
    "preferred_qualifications_html",
    "locations_raw",
)


def current_fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The part of a snapshot that the ``postings`` document carries."""
    return {key: value for key, value in snapshot.items() if key not in VERSION_ONLY_FIELDS}


def content_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 over the content fields (whitespace-normalized), stable across runs."""
    digest = hashlib.sha256()
    for name in CONTENT_FIELDS:
        value = _normalized(snapshot.get(name))
        if isinstance(value, list):
            value = "\x1f".join(map(str, value))
        digest.update(f"{name}\x1e{'' if value is None else value}\x1d".encode())
    return digest.hexdigest()


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Content fields that differ between two snapshots (all of them for a first version)."""
    if old is None:
        return list(CONTENT_FIELDS)
    return [
        name for name in CONTENT_FIELDS if _normalized(old.get(name)) != _normalized(new.get(name))
    ]
