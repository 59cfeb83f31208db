"""Pure normalization of raw amazon.jobs job objects (no Scrapy imports).

Every function is total: malformed input gives empty values (``None``, ``[]``, ``""``), never
an exception. Results are frozen dataclasses with ``as_dict()`` for JSON/BSON.
"""

from __future__ import annotations

from jobtracker.normalize.dates import (
    DATE_RULES_VERSION,
    UpdatedTime,
    parse_posted_date,
    parse_updated_time,
)
from jobtracker.normalize.location import (
    LOCATION_RULES_VERSION,
    Location,
    normalize_locations,
    primary_location,
)
from jobtracker.normalize.pay import PAY_RULES_VERSION, PayRange, parse_pay
from jobtracker.normalize.role_family import (
    CLASSIFIER_VERSION,
    ROLE_FAMILIES,
    RoleClassification,
    classify_role,
)
from jobtracker.normalize.text import html_to_text

#: The rules that derived a posting's fields, stored on every version (``normalizer``):
#: ``jobtracker renormalize`` brings versions derived by older rules up to these.
NORMALIZER_VERSION = "+".join(
    (CLASSIFIER_VERSION, LOCATION_RULES_VERSION, PAY_RULES_VERSION, DATE_RULES_VERSION)
)

__all__ = [
    "CLASSIFIER_VERSION",
    "NORMALIZER_VERSION",
    "ROLE_FAMILIES",
    "Location",
    "PayRange",
    "RoleClassification",
    "UpdatedTime",
    "classify_role",
    "html_to_text",
    "normalize_locations",
    "parse_pay",
    "parse_posted_date",
    "parse_updated_time",
    "primary_location",
]
