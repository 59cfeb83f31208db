"""The derived fields of a posting, computed in one place (pure).

Locations, country codes, role family (with its SOC code), the posted date and pay are
functions of a posting's raw content and of today's rules. The normalization pipelines fill them
on every crawled item; ``jobtracker renormalize`` recomputes them from each stored version's
snapshot (rebuilt into an item by the version's source) with the same functions, so a stored
history and a new crawl always agree on what the rules say. Derived fields are not content:
they are never hashed, and a change of rules never makes a new version (docs/store.md).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from jobtracker.items import JobPosting
from jobtracker.normalize import NORMALIZER_VERSION, classify_role
from jobtracker.sources import source_named

__all__ = ["DERIVED_FIELDS", "NORMALIZER_VERSION", "derived_fields", "role_family_of"]

#: The snapshot fields that the rules derive (copied into the snapshot when filled).
DERIVED_FIELDS = ("locations", "country_codes", "role_family", "posted_date", "pay")


def role_family_of(item: JobPosting) -> dict[str, Any]:
    """The item's role family as stored: its source's labels first, then its title."""
    labels = source_named(item.source).role_labels(item.raw)
    return classify_role(*labels, item.title).as_dict()


def derived_fields(item: JobPosting) -> dict[str, Any]:
    """Every derived field of ``item``, as the store keeps it in a snapshot (a date as
    midnight UTC; a field the site does not state is absent)."""
    source = source_named(item.source)
    locations = source.locations(item)
    fields: dict[str, Any] = {
        "locations": [location.as_dict() for location in locations],
        "country_codes": list(
            dict.fromkeys(loc.country_alpha3 for loc in locations if loc.country_alpha3)
        ),
        "role_family": role_family_of(item),
        "pay": [pay.as_dict() for pay in source.pay(item)],
    }
    dates = source.dates(item)
    if dates is not None and dates.posted_date is not None:
        fields["posted_date"] = as_stored(dates.posted_date)
    return fields


def as_stored(value: Any) -> Any:
    """A date becomes midnight UTC (BSON has no date type)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value
