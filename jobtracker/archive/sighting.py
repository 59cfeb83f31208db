"""A parsed job page's normalized fields, as stored on a sighting: the same site-neutral rules
the live pipelines use (clean text, locations through pycountry, role family from the title),
so that a crawl and `jobtracker backfill reparse` derive the same fields."""

from __future__ import annotations

from typing import Any

from jobtracker.archive.page import (
    PARSER_NAME,
    PARSER_VERSION,
    ParsedPage,
    Rejection,
    parse_job_page,
)
from jobtracker.normalize import (
    NORMALIZER_VERSION,
    classify_role,
    html_to_text,
    normalize_locations,
    primary_location,
)
from jobtracker.normalize.text import clean_title


def parser_stamp() -> dict[str, str]:
    """The ``parser`` field of a sighting: which rules read it."""
    return {"name": PARSER_NAME, "version": PARSER_VERSION, "normalizer": NORMALIZER_VERSION}


def normalized_fields(page: ParsedPage) -> dict[str, Any]:
    """The parsed page's fields with their normalized forms (never a posted date)."""
    locations = []
    for text in page.locations:
        for location in normalize_locations({"location": text}):
            if location not in locations:
                locations.append(location)
    primary = primary_location(locations)
    title = clean_title(page.title)
    return {
        "era": page.era,
        "title": title,
        "legal_entity": page.legal_entity,
        "site_code": page.site_code,
        "location_raw": list(page.locations),
        "locations": [location.as_dict() for location in locations],
        "country_codes": list(
            dict.fromkeys(loc.country_alpha3 for loc in locations if loc.country_alpha3)
        ),
        "country_code": primary.country_alpha3 if primary else None,
        "description_text": html_to_text(page.description),
        "basic_qualifications_text": html_to_text(page.basic_qualifications),
        "preferred_qualifications_text": html_to_text(page.preferred_qualifications),
        "role_family": classify_role(None, None, None, title).as_dict(),
        "parser": parser_stamp(),
    }


def judge_payload(
    *,
    posting_id: str,
    status: int,
    payload: bytes,
    content_type: str | None,
) -> dict[str, Any] | Rejection:
    """A fetched capture's payload: the sighting's parsed, normalized fields, or why it is not
    a sighting (the archived status first: only a 200 page can be one)."""
    if status != 200:
        return Rejection(f"archived_{status}")
    expected = posting_id.rsplit(":", 1)[-1]
    parsed = parse_job_page(payload, expected_id=expected, content_type=content_type)
    if isinstance(parsed, Rejection):
        return parsed
    return normalized_fields(parsed)
