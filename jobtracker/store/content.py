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

from jobtracker.hourly import SOURCE as HOURLY_SOURCE
from jobtracker.hourly import site_of_job_id
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
#: The content of an hourly job card (``amazon_hourly``): what the card offers, where and for
#: what pay. ``scheduleCount`` is the number of open shift schedules, part of the offer.
HOURLY_CONTENT_FIELDS = (
    "title",
    "schedule_type",
    "employment_type",
    "location_raw",
    "postal_code",
    "pay_raw",
    "schedule_count",
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


def content_fields_of(snapshot: dict[str, Any]) -> tuple[str, ...]:
    """The fields whose change makes a new version of this snapshot's posting."""
    if snapshot.get("source") == HOURLY_SOURCE:
        return HOURLY_CONTENT_FIELDS
    return CONTENT_FIELDS


def posting_snapshot(item: dict[str, Any]) -> dict[str, Any]:
    """The posting's content as stored in ``postings`` and ``posting_versions``."""
    if item.get("source") == HOURLY_SOURCE:
        return hourly_snapshot(item)
    raw = item.get("raw") or {}
    team = raw.get("team")
    # The labels as the text-cleaning pipeline left them (no control characters), else as served.
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
    for name, source in TEXT_FIELDS.items():
        text = item.get(name)
        snapshot[name] = text if text is not None else html_to_text(raw.get(source))
    return _with_derived(snapshot, item)


def hourly_snapshot(item: dict[str, Any]) -> dict[str, Any]:
    """An hourly job card's content; the whole card is kept in ``posting_versions``."""
    card = item.get("raw") or {}
    site = site_of_job_id(str(item.get("source_id") or ""))
    codes = item.get("country_codes") or [None]
    pay = [card.get(key) for key in ("totalPayRateMin", "totalPayRateMax", "currencyCode")]
    snapshot: dict[str, Any] = {
        "source": HOURLY_SOURCE,
        "title": item.get("title"),
        "url": item.get("url"),
        "schedule_type": card.get("jobType"),
        "employment_type": card.get("employmentType"),
        "location_raw": card.get("locationName"),
        "city": card.get("city"),
        "state": card.get("state"),
        "postal_code": card.get("postalCode"),
        "pay_raw": " ".join(str(part) for part in [*pay, card.get("payFrequency")] if part),
        "schedule_count": card.get("scheduleCount"),
        "country_code": site.country_alpha3 if site is not None else codes[0],
        "card": dict(card),
    }
    return _with_derived(snapshot, item)


def _with_derived(snapshot: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
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


#: Snapshot fields kept in ``posting_versions`` only: the HTML, the raw location strings and
#: an hourly job's whole card (``postings`` holds the plain text and the normalized fields).
VERSION_ONLY_FIELDS = (
    "description_html",
    "basic_qualifications_html",
    "preferred_qualifications_html",
    "locations_raw",
    "card",
)


def current_fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The part of a snapshot that the ``postings`` document carries."""
    return {key: value for key, value in snapshot.items() if key not in VERSION_ONLY_FIELDS}


def content_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 over the content fields (whitespace-normalized), stable across runs."""
    digest = hashlib.sha256()
    for name in content_fields_of(snapshot):
        value = _normalized(snapshot.get(name))
        if isinstance(value, list):
            value = "\x1f".join(map(str, value))
        digest.update(f"{name}\x1e{'' if value is None else value}\x1d".encode())
    return digest.hexdigest()


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Content fields that differ between two snapshots (all of them for a first version)."""
    fields = content_fields_of(new)
    if old is None:
        return list(fields)
    return [name for name in fields if _normalized(old.get(name)) != _normalized(new.get(name))]
