"""Groupings and filters over a version's snapshot, and their labels (pure).

``--by country`` groups by the then-current version's primary country (``country_code``,
ISO alpha-3), ``role_family`` by the standard role family slug, ``job_category`` and
``business_category`` by Amazon's own labels. A missing value is the group ``"unknown"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jobtracker.sources import SOURCE_NAMES

GROUPINGS = ("country", "role_family", "job_category", "business_category")
UNKNOWN = "unknown"
#: The snapshot fields a light version projection needs for groupings and filters.
LIGHT_VERSION_FIELDS = {
    "posting_id": 1,
    "version": 1,
    "first_seen_at": 1,
    "snapshot.country_code": 1,
    "snapshot.job_category": 1,
    "snapshot.business_category": 1,
    "snapshot.role_family.role_family": 1,
    "snapshot.source": 1,
}
#: The crawled sources (``jobtracker.sources``).
SOURCES = SOURCE_NAMES


def source_of(version: Mapping[str, Any]) -> str:
    """The source of a version: its snapshot's ``source``, else (a snapshot stored before every
    snapshot carried one) the prefix of its ``posting_id``, ``"<source>:<source_id>"``."""
    snapshot = version.get("snapshot") or {}
    return str(snapshot.get("source") or str(version.get("posting_id") or "").partition(":")[0])


def role_family_of(snapshot: Mapping[str, Any]) -> str | None:
    family = snapshot.get("role_family")
    if isinstance(family, Mapping):
        return family.get("role_family")
    return family if isinstance(family, str) else None


def group_value(snapshot: Mapping[str, Any], by: str) -> str:
    """The group of a snapshot under the grouping ``by``."""
    if by == "country":
        value = snapshot.get("country_code")
    elif by == "role_family":
        value = role_family_of(snapshot)
    elif by in ("job_category", "business_category"):
        value = snapshot.get(by)
    else:
        raise ValueError(f"unknown grouping {by!r} (choose from {', '.join(GROUPINGS)})")
    return str(value) if value else UNKNOWN


@lru_cache(maxsize=512)
def country_name(alpha3: str) -> str:
    """English name of an ISO alpha-3 code (``""`` when unknown)."""
    import pycountry

    country = pycountry.countries.get(alpha_3=alpha3) if alpha3 else None
    if country is None:
        return ""
    return str(getattr(country, "common_name", None) or country.name)


def resolve_countries(values: Iterable[str] | None) -> frozenset[str]:
    """``["JP", "Germany,USA"]`` -> alpha-3 codes; raises ``ValueError`` naming a bad one."""
    from jobtracker.arguments import resolve_country

    codes = set()
    for item in values or ():
        for value in str(item).split(","):
            if not value.strip():
                continue
            try:
                codes.add(resolve_country(value))
            except LookupError:
                raise ValueError(f"unknown country {value.strip()!r}") from None
    return frozenset(codes)


def _labels(values: Iterable[str] | None) -> frozenset[str]:
    out = set()
    for item in values or ():
        out.update(v.strip() for v in str(item).split(",") if v.strip())
    return frozenset(out)


@dataclass(frozen=True)
class VersionFilter:
    """Keeps a version whose snapshot is in every given set (an empty set keeps all)."""

    countries: frozenset[str] = frozenset()
    job_categories: frozenset[str] = frozenset()
    business_categories: frozenset[str] = frozenset()
    role_families: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        countries: Iterable[str] | None = None,
        job_categories: Iterable[str] | None = None,
        business_categories: Iterable[str] | None = None,
        role_families: Iterable[str] | None = None,
        sources: Iterable[str] | None = None,
    ) -> VersionFilter:
        """From user input: countries in any ISO form or English names, lists comma-separated.

        Raises ``ValueError`` naming an unknown country or source."""
        chosen = _labels(sources)
        unknown = sorted(chosen - set(SOURCES))
        if unknown:
            raise ValueError(f"unknown source {unknown[0]!r} (choose from {', '.join(SOURCES)})")
        return cls(
            resolve_countries(countries),
            _labels(job_categories),
            _labels(business_categories),
            _labels(role_families),
            chosen,
        )

    @property
    def active(self) -> bool:
        return bool(
            self.countries
            or self.job_categories
            or self.business_categories
            or self.role_families
            or self.sources
        )

    def __call__(self, version: Mapping[str, Any]) -> bool:
        snapshot = version.get("snapshot") or {}
        if self.sources and source_of(version) not in self.sources:
            return False
        if self.countries and snapshot.get("country_code") not in self.countries:
            return False
        if self.job_categories and snapshot.get("job_category") not in self.job_categories:
            return False
        if (
            self.business_categories
            and snapshot.get("business_category") not in self.business_categories
        ):
            return False
        return not (self.role_families and role_family_of(snapshot) not in self.role_families)

    def describe(self) -> str:
        parts = []
        for name, values in (
            ("countries", self.countries),
            ("job categories", self.job_categories),
            ("business categories", self.business_categories),
            ("role families", self.role_families),
            ("sources", self.sources),
        ):
            if values:
                parts.append(f"{name} {', '.join(sorted(values))}")
        return "; ".join(parts)
