"""Locations of an amazon.jobs posting, resolved against ISO 3166 with pycountry.

Sources, in order: the JSON strings in ``job["locations"]`` (one per location of a
multi-location posting); if none of them decodes, ``job["location"]`` (``"US, TX, Austin"``)
merged with ``job["normalized_location"]`` (``"Austin, Texas, USA"``); if both are missing,
the job's ``country_code`` / ``state`` / ``city`` fields.

Conventions:

* ``country_name`` is pycountry's ``common_name`` where it has one, else its ``name``
  ("United States", "United Kingdom", "South Korea", "Taiwan", "Vietnam", "Türkiye").
* ``subdivision_code`` is set only when pycountry resolves it. A region CODE first: Amazon's own
  codes that are not ISO codes ("UK, CAMBS, Cambridge", "TW, TP, Taipei", "MX, EMEX, ...") from
  the shipped table ``amazon_regions.json`` (each entry checked against pycountry), then
  ``<alpha2>-<code>`` (``US-WA``, ``IN-KA``, ``JP-13``), then a former ISO code (Telangana's
  "TG", Poland's "MZ", China's "31") through :data:`LEGACY_SUBDIVISION_CODES`. Else the region
  NAME, if it names exactly one subdivision: pycountry's name (accent/case-insensitive,
  "Telangana" == "Telangāna"; "Madrid, Comunidad de" also as "Comunidad de Madrid"; "County
  Dublin" as "Dublin"), its
  ISO 3166-2 translations in the site's languages ("Bavière", "Bawaria", "Bavaria"), or an
  Amazon name of the table ("Community of Madrid"). A name two subdivisions share ("Madrid":
  ES-M, and ES-MD in German) resolves to neither. A resolving code wins over the name.
* ``subdivision_unresolved`` says that the string named a region (a code or a name) that did
  not resolve: the location keeps its country and no subdivision, never a guessed one.
* The tile form "City, ST, CCC" / "City, Region, CCC" ("Seattle, WA, USA", "Madrid, Community
  of Madrid, ESP") is read in ``location`` as well as in ``normalized_location``.
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

import gettext
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import pycountry

__all__ = ["Location", "normalize_locations", "primary_location"]

#: Version of these rules; part of the normalizer version stored with every version.
LOCATION_RULES_VERSION = "location/2"

#: Country tokens that are not ISO codes or pycountry names.
COUNTRY_ALIASES: dict[str, str] = {"UK": "GB", "EL": "GR"}

#: Former ISO 3166-2 subdivision codes (changed by ISO, still seen in postings) -> current code.
#: Used only when ``<alpha2>-<code>`` is not a current code; the region name is tried as well.
LEGACY_SUBDIVISION_CODES: dict[str, dict[str, str]] = {
    # India: Telangana IN-TG -> IN-TS (2023), Odisha, Uttarakhand, Chhattisgarh, and the
    # Dadra and Nagar Haveli / Daman and Diu merger.
    "IN": {"TG": "TS", "OR": "OD", "UT": "UK", "CT": "CG", "DD": "DH", "DN": "DH"},
    # Poland: letter codes replaced by numbers (ISO 3166-2 newsletter, 2018).
    # China: the numeric codes (GB/T 2260) ISO used until 2017 ("CN, 31, Shanghai").
    "CN": {
        "11": "BJ", "12": "TJ", "13": "HE", "14": "SX", "15": "NM", "21": "LN", "22": "JL",
        "23": "HL", "31": "SH", "32": "JS", "33": "ZJ", "34": "AH", "35": "FJ", "36": "JX",
        "37": "SD", "41": "HA", "42": "HB", "43": "HN", "44": "GD", "45": "GX", "46": "HI",
        "50": "CQ", "51": "SC", "52": "GZ", "53": "YN", "54": "XZ", "61": "SN", "62": "GS",
        "63": "QH", "64": "NX", "65": "XJ", "71": "TW", "91": "HK", "92": "MO",
    },
    "PL": {
        "DS": "02", "KP": "04", "LU": "06", "LB": "08", "LD": "10", "MA": "12", "MZ": "14",
        "OP": "16", "PK": "18", "PD": "20", "PM": "22", "SL": "24", "SK": "26", "WN": "28",
        "WP": "30", "ZP": "32",
    },
}  # fmt: skip

#: Languages of the site's locales whose ISO 3166-2 translations (pycountry's gettext catalogues)
#: name regions, English first.
NAME_LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh_CN", "pl", "pt", "cs")

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
    subdivision_unresolved: bool = False

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
            "subdivision_unresolved": self.subdivision_unresolved,
        }


# --- pycountry lookups (cached) --------------------------------------------------------------


def _fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive key in any script ("Telangāna" == "telangana",
    "バイエルン" stays letters)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", plain.casefold()).split())


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


def _code_key(token: str) -> str:
    """ "n york" -> "N YORK": Amazon's codes, upper case, single spaces."""
    return " ".join(token.upper().split())


@lru_cache(maxsize=1)
def _amazon_tables() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """(codes, names): alpha2 -> Amazon code / folded Amazon name -> ISO 3166-2 code."""
    data = json.loads(
        files("jobtracker.normalize").joinpath("amazon_regions.json").read_text("utf-8")
    )
    codes = {
        alpha2: {_code_key(code): entry["iso"] for code, entry in entries.items()}
        for alpha2, entries in data["codes"].items()
    }
    names = {
        alpha2: {_fold(name): entry["iso"] for name, entry in entries.items()}
        for alpha2, entries in data["names"].items()
    }
    return codes, names


@lru_cache(maxsize=len(NAME_LANGUAGES))
def _translation(language: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language])
    except OSError:  # a catalogue missing from this pycountry: that language adds no names
        return gettext.NullTranslations()


def _name_variants(name: str) -> set[str]:
    """pycountry's name, its inverted form ("Madrid, Comunidad de" -> "Comunidad de Madrid")
    and its translations in :data:`NAME_LANGUAGES`."""
    found = {name}
    for language in NAME_LANGUAGES:
        found.add(_translation(language).gettext(name))
    for variant in list(found):
        head, comma, tail = variant.partition(", ")
        if comma and tail and "," not in tail:
            found.add(f"{tail} {head}")
    return found


@lru_cache(maxsize=256)
def _subdivisions_by_name(alpha2: str) -> dict[str, frozenset[str]]:
    """Folded region name -> the ISO 3166-2 codes it names, for one country."""
    table: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions.get(country_code=alpha2) or ():
        for variant in _name_variants(sub.name):
            if key := _fold(variant):
                table.setdefault(key, set()).add(sub.code)
    for key, code in _amazon_tables()[1].get(alpha2, {}).items():
        table.setdefault(key, set()).add(code)
    return {key: frozenset(codes) for key, codes in table.items()}


def _is_region_code(alpha2: str, token: str) -> bool:
    """A token written as a code: one of Amazon's for this country, or 1-3 letters/digits."""
    return (
        _code_key(token) in _amazon_tables()[0].get(alpha2, {})
        or _REGION_CODE_RE.fullmatch(token) is not None
    )


def _sub(code: str) -> tuple[str, str] | None:
    sub = pycountry.subdivisions.get(code=code)
    return (sub.code, sub.name) if sub is not None else None


def _by_code(alpha2: str, region_code: str) -> tuple[str, str] | None:
    key = _code_key(region_code)
    amazon = _amazon_tables()[0].get(alpha2, {})
    if key in amazon:
        return _sub(amazon[key])
    if _REGION_CODE_RE.fullmatch(key) is None:
        return None
    found = _sub(f"{alpha2}-{key}")
    if found is None and key in LEGACY_SUBDIVISION_CODES.get(alpha2, {}):
        found = _sub(f"{alpha2}-{LEGACY_SUBDIVISION_CODES[alpha2][key]}")
    return found


_COUNTY_PREFIX_RE = re.compile(r"^(?:county|co) ")


def _by_name(alpha2: str, region_name: str) -> tuple[str, str] | None:
    table = _subdivisions_by_name(alpha2)
    key = _fold(region_name)
    codes = table.get(key) or table.get(_COUNTY_PREFIX_RE.sub("", key), frozenset())
    return _sub(next(iter(codes))) if len(codes) == 1 else None


@lru_cache(maxsize=4096)
def _subdivision(
    alpha2: str, region_code: str | None, region_name: str | None
) -> tuple[str, str] | None:
    """(ISO 3166-2 code, pycountry name) from a region code and/or name, if unambiguous."""
    if region_code:
        # The code wins over the name: names are ambiguous ("Buenos Aires" is AR-C, the city,
        # and AR-B, the province; "Lima" is PE-LMA and PE-LIM), codes are not.
        found = _by_code(alpha2, region_code)
        if found is not None:
            return found
    if region_name:
        found = _by_name(alpha2, region_name)
        if found is None and not region_code and _is_region_code(alpha2, region_name):
            found = _by_code(alpha2, region_name)  # the tile's "WA" in "Seattle, WA, USA"
        return found
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


def _is_tile(text: str) -> bool:
    """ "Seattle, WA, USA": city first, country last, and the first part names no country."""
    parts = [part.strip() for part in text.split(",")]
    return len(parts) >= 2 and _country(parts[0]) is None and _country(parts[-1]) is not None


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
    if region_code is not None and not _is_region_code(country[0], region_code):
        # Not a code: a region written out ("US, California, ...") is a name.
        region_name = region_name or region_code
        region_code = None
    if (
        region_name is not None
        and region_code is None
        and _is_region_code(country[0], region_name)
        and _by_name(country[0], region_name) is None
        and _by_code(country[0], region_name) is not None
    ):
        # A code in the name's place ("Seattle, WA, USA"): it is the code, the name is pycountry's.
        # "Goa" looks like a code too, but it is a name.
        region_code, region_name = region_name, None
    named_region = bool(region_code or region_name)
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
        region_code=_code_key(region_code) if region_code else None,
        region_name=region_name,
        country_alpha2=country[0],
        country_alpha3=country[1],
        country_name=country[2],
        subdivision_code=subdivision[0] if subdivision else None,
        latitude=lat,
        longitude=lng,
        is_virtual=is_virtual,
        raw=raw,
        subdivision_unresolved=named_region and subdivision is None,
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
    if location and not normalized and _is_tile(location):
        location, normalized = None, location  # "Seattle, WA, USA": the tile's order
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
