"""Locations of an amazon.jobs posting, resolved against ISO 3166 with pycountry.

Sources, in order: the JSON strings in ``job["locations"]`` (one per location of a
multi-location posting); if none of them decodes, ``job["location"]`` (``"US, TX, Austin"``)
merged with ``job["normalized_location"]`` (``"Austin, Texas, USA"``); if both are missing,
the job's ``country_code`` / ``state`` / ``city`` fields.

Conventions:

* ``country_name`` is pycountry's ``common_name`` where it has one, else its ``name``
  ("United States", "United Kingdom", "South Korea", "Taiwan", "Vietnam", "Türkiye").
* ``subdivision_code`` is set only when pycountry resolves it: from ``<alpha2>-<region code>``
  (or, for a former ISO code such as Telangana's "TG" or Poland's "MZ", the current code from
  the small :data:`LEGACY_SUBDIVISION_CODES` map); when the code does not resolve, from the
  region NAME if it names exactly one subdivision (accent/case-insensitive: "Telangana" ==
  "Telangāna"). A resolving code wins over the name, which is often ambiguous.
* ``region_name`` is the posting's own name (``normalizedStateName``, or the middle part of
  ``normalized_location``); if the posting has none it is pycountry's subdivision name.
* Virtual locations (``type == "VIRTUAL"`` or a city/location that says "Virtual") have
  ``is_virtual=True`` and ``city=None``; "Virtual Location - California" still yields the
  region when it names one.
* ``raw`` is the ``location`` string of the entry (``"US, TX, Austin"``); for an entry without
  one, the undecoded JSON string / ``normalized_location``.
* A location is only emitted when its country resolves (every amazon.jobs country is in
  ISO 3166-1); unresolvable strings give no location, the raw fields stay on the item.
* Coordinates outside [-90, 90] x [-180, 180], non-finite, or exactly (0, 0) are dropped.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry

__all__ = ["Location", "normalize_locations", "primary_location"]

#: Version of these rules; part of the normalizer version stored with every version.
LOCATION_RULES_VERSION = "location/1"

#: Country tokens that are not ISO codes or pycountry names.
COUNTRY_ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR"}

#: Former ISO 3166-2 subdivision codes (changed by ISO, still seen in postings) -> current code.
#: Used only when ``<alpha2>-<code>`` is not a current code; the region name is tried as well.
LEGACY_SUBDIVISION_CODES: dict[str, dict[str, str]] = {
    # India: Telangana IN-TG -> IN-TS (2023), Odisha, Uttarakhand, Chhattisgarh, and the
    # Dadra and Nagar Haveli / Daman and Diu merger.
    "IN": {"TG": "TS", "OR": "OD", "UT": "UK", "CT": "CG", "DD": "DH", "DN": "DH"},
    # Poland: letter codes replaced by numbers (ISO 3166-2 newsletter, 2018).
    "PL": {
        "DS": "02", "KP": "04", "LU": "06", "LB": "08", "LD": "10", "MA": "12", "MZ": "14",
        "OP": "16", "PK": "18", "PD": "20", "PM": "22", "SL": "24", "SK": "26", "WN": "28",
        "WP": "30", "ZP": "32",
    },
}  # fmt: skip

_VIRTUAL_RE = re.compile(r"\bvirtual\b", re.IGNORECASE)
_VIRTUAL_SUFFIX_RE = re.compile(r"\bvirtual(?:\s+location)?\s*[-\u2013:]\s*(.+)$", re.IGNORECASE)
_REGION_CODE_RE = re.compile(r"[A-Za-z0-9]{1,3}")


@dataclass(frozen=True, slots=True)
class Location:
    """One location of a posting, resolved to ISO 3166 where possible."""

    city: str | None
    region_code: str | None
    region_name: str | None
    country_alpha2: str | None
    country_alpha3: str | None
    country_name: str | None
    subdivision_code: str | None
    latitude: float | None
    longitude: float | None
    is_virtual: bool
    raw: str | None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON/BSON friendly)."""
        return {
            "city": self.city,
            "region_code": self.region_code,
            "region_name": self.region_name,
            "country_alpha2": self.country_alpha2,
            "country_alpha3": self.country_alpha3,
            "country_name": self.country_name,
            "subdivision_code": self.subdivision_code,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "is_virtual": self.is_virtual,
            "raw": self.raw,
        }


# --- pycountry lookups (cached) --------------------------------------------------------------


def _fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive key ("Telangāna" == "telangana")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.casefold()).split())


@lru_cache(maxsize=1024)
def _country(token: str) -> tuple[str, str, str] | None:
    """(alpha2, alpha3, name) for an alpha-2/alpha-3 code or a country name."""
    token = token.strip()
    if not token:
        return None
    token = COUNTRY_ALIASES.get(token.upper(), token)
    found: Any = None
    try:
        if len(token) == 2 and token.isalpha():
            found = pycountry.countries.get(alpha_2=token.upper())
        elif len(token) == 3 and token.isalpha():
            found = pycountry.countries.get(alpha_3=token.upper())
        if found is None and len(token) > 3:
            found = pycountry.countries.lookup(token)
    except (LookupError, KeyError):
        found = None
    if found is None:
        return None
    name = getattr(found, "common_name", None) or found.name
    return found.alpha_2, found.alpha_3, name


@lru_cache(maxsize=256)
def _subdivisions_by_name(alpha2: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """Folded subdivision name -> ((code, name), ...) for one country, codes sorted."""
    table: dict[str, list[tuple[str, str]]] = {}
    subdivisions = pycountry.subdivisions.get(country_code=alpha2) or ()
    for sub in sorted(subdivisions, key=lambda s: s.code):
        table.setdefault(_fold(sub.name), []).append((sub.code, sub.name))
    return {key: tuple(value) for key, value in table.items()}


@lru_cache(maxsize=4096)
def _subdivision(
    alpha2: str, region_code: str | None, region_name: str | None
) -> tuple[str, str] | None:
    """(ISO 3166-2 code, pycountry name) from a region code and/or name, if unambiguous."""
    by_code: tuple[str, str] | None = None
    if region_code and _REGION_CODE_RE.fullmatch(region_code):
        code = region_code.upper()
        sub = pycountry.subdivisions.get(code=f"{alpha2}-{code}")
        if sub is None and code in LEGACY_SUBDIVISION_CODES.get(alpha2, {}):
            sub = pycountry.subdivisions.get(
                code=f"{alpha2}-{LEGACY_SUBDIVISION_CODES[alpha2][code]}"
            )
        if sub is not None:
            by_code = (sub.code, sub.name)
    if by_code is not None:
        # The code wins over the name: names are ambiguous ("Buenos Aires" is AR-C, the city,
        # and AR-B, the province; "Lima" is PE-LMA and PE-LIM), codes are not.
        return by_code
    if region_name:
        by_name = _subdivisions_by_name(alpha2).get(_fold(region_name), ())
        if len(by_name) == 1:
            return by_name[0]
    return None


# --- parsing ---------------------------------------------------------------------------------


def compact_text(value: object) -> str | None:
    """A string with its whitespace runs collapsed to one space, or None if empty or no string."""
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _coordinates(value: object) -> tuple[float | None, float | None]:
    if not isinstance(value, str) or value.count(",") != 1:
        return None, None
    try:
        lat, lng = (float(part) for part in value.split(","))
    except ValueError:
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None, None
    return lat, lng


def _split_location(text: str | None) -> tuple[str | None, str | None, str | None]:
    """ "US, TX, Austin" -> ("US", "TX", "Austin"); "IT, Turin" -> ("IT", None, "Turin")."""
    if not text:
        return None, None, None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) == 1:
        return (parts[0] or None), None, None
    if len(parts) == 2:
        return (parts[0] or None), None, (parts[1] or None)
    return (parts[0] or None), (parts[1] or None), (", ".join(parts[2:]).strip() or None)


def _split_normalized(text: str | None) -> tuple[str | None, str | None, str | None]:
    """ "Austin, Texas, USA" -> ("Austin", "Texas", "USA"): city, region name, country."""
    if not text:
        return None, None, None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) == 1:
        if _country(parts[0]) is not None:
            return None, None, parts[0]
        return (parts[0] or None), None, None
    country = parts[-1] or None
    region = ", ".join(parts[1:-1]).strip() or None
    return (parts[0] or None), region, country


def build_location(
    *,
    city: str | None,
    region_code: str | None,
    region_name: str | None,
    country_tokens: Iterable[str | None],
    coordinates: object = None,
    virtual_type: bool = False,
    raw: str | None,
) -> Location | None:
    """One location from its parts, resolved with pycountry: the first of ``country_tokens``
    that names a country (ISO codes or an English name) gives the country, a region code or
    name the ISO 3166-2 subdivision where resolvable; None without a country. Each site's
    module (``jobtracker.sources``) reads its own payload's fields and calls this."""
    country = None
    for token in country_tokens:
        if token and (country := _country(token)) is not None:
            break
    if country is None:  # a location always has a country; the raw strings stay on the item
        return None
    is_virtual = virtual_type or bool(city and _VIRTUAL_RE.search(city))
    if region_code is not None and not _REGION_CODE_RE.fullmatch(region_code):
        # Not a code: a region written out ("US, California, ...") is a name.
        region_name = region_name or region_code
        region_code = None
    subdivision = _subdivision(country[0], region_code, region_name)
    if subdivision is None and is_virtual and city and not region_code and not region_name:
        # "Virtual Location - California": the suffix may name a region.
        suffix = _VIRTUAL_SUFFIX_RE.search(city)
        if suffix and _country(suffix[1]) is None:
            subdivision = _subdivision(country[0], None, suffix[1])
    if subdivision is not None and region_name is None:
        region_name = subdivision[1]
    if is_virtual and city and _VIRTUAL_RE.search(city):
        city = None
    lat, lng = _coordinates(coordinates)
    location = Location(
        city=city,
        region_code=region_code.upper() if region_code else None,
        region_name=region_name,
        country_alpha2=country[0],
        country_alpha3=country[1],
        country_name=country[2],
        subdivision_code=subdivision[0] if subdivision else None,
        latitude=lat,
        longitude=lng,
        is_virtual=is_virtual,
        raw=raw,
    )
    return location


def _from_entry(entry: Mapping[str, Any], undecoded: str | None) -> Location | None:
    """One decoded ``locations`` element."""
    location_text = compact_text(entry.get("location"))
    prefix, code_from_text, city_from_text = _split_location(location_text)
    virtual_type = str(entry.get("type") or "").strip().upper() == "VIRTUAL"
    city = (
        compact_text(entry.get("normalizedCityName"))
        or compact_text(entry.get("city"))
        or city_from_text
    )
    if city_from_text and _VIRTUAL_RE.search(city_from_text):
        virtual_type = True
    return build_location(
        city=city,
        region_code=compact_text(entry.get("region")) or code_from_text,
        region_name=compact_text(entry.get("normalizedStateName")),
        country_tokens=(
            compact_text(entry.get("countryIso2a")),
            compact_text(entry.get("countryIso3a")),
            prefix,
            compact_text(entry.get("normalizedCountryCode")),
            compact_text(entry.get("normalizedCountryName")),
        ),
        coordinates=entry.get("coordinates"),
        virtual_type=virtual_type,
        raw=location_text or compact_text(entry.get("normalizedLocation")) or undecoded,
    )


@lru_cache(maxsize=8192)
def _from_json_string(text: str) -> Location | None:
    try:
        entry = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(entry, dict):
        return None
    return _from_entry(entry, text)


@lru_cache(maxsize=8192)
def _from_strings(
    location: str | None,
    normalized: str | None,
    city: str | None,
    state: str | None,
    country_code: str | None,
) -> Location | None:
    """``location`` + ``normalized_location`` (+ the job's city/state/country_code)."""
    prefix, region_code, loc_city = _split_location(location)
    n_city, n_region, n_country = _split_normalized(normalized)
    # Only merge the normalized form if it is about the same country.
    first = _country(prefix) if prefix else None
    second = _country(n_country) if n_country else None
    if first and second and first != second:
        n_city = n_region = None
    return build_location(
        city=loc_city or n_city or city,
        region_code=region_code or (state if not location else None),
        region_name=n_region,
        country_tokens=(prefix, n_country, country_code),
        raw=location or normalized or None,
    )


def normalize_locations(job: object) -> list[Location]:
    """Every location of a raw amazon.jobs job object, in order, duplicates removed.

    Never raises: a malformed job or location gives fewer (or no) locations.
    """
    if not isinstance(job, Mapping):
        return []
    found: list[Location] = []
    entries = job.get("locations")
    if isinstance(entries, str):  # a whole array serialized once more
        try:
            entries = json.loads(entries)
        except (ValueError, RecursionError):
            entries = None
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, str):
                location = _from_json_string(entry)
            elif isinstance(entry, Mapping):
                location = _from_entry(entry, None)
            else:
                location = None
            if location is not None and location not in found:
                found.append(location)
    if found:
        return found
    location = _from_strings(
        compact_text(job.get("location")),
        compact_text(job.get("normalized_location")),
        compact_text(job.get("city")),
        compact_text(job.get("state")),
        compact_text(job.get("country_code")),
    )
    return [location] if location is not None else []


def primary_location(locations: object) -> Location | None:
    """The first location (the posting's primary one), or None."""
    if isinstance(locations, list | tuple) and locations:
        first = locations[0]
        return first if isinstance(first, Location) else None
    return None
