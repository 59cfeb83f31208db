"""Locations of real amazon.jobs postings resolve to ISO 3166 (pycountry), and never raise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pycountry
import pytest

from jobtracker.normalize.location import (
    LEGACY_SUBDIVISION_CODES,
    Location,
    normalize_locations,
    primary_location,
)

FIXTURES = Path(__file__).parent / "fixtures"

# Verbatim `locations[0]` of sample 3 (the Austin posting), as served.
AUSTIN_JSON = (
    '{"normalizedStateName":"Texas","normalizedCountryCode":"USA","city":"Austin",'
    '"countryIso3a":"USA","countryIso2a":"US","locationNonStemming":"United States, TX, Austin",'
    '"coordinates":"30.26759,-97.74299","normalizedCountyName":"Travis","type":"ONSITE",'
    '"normalizedCountryName":"United States","normalizedLocation":"Austin, Texas, USA",'
    '"location":"US, TX, Austin","region":"TX","buildingCodeList":["AUS16"],'
    '"normalizedCityName":"Austin"}'
)


def location_json(
    *,
    state_name: str | None,
    iso3: str,
    iso2: str,
    city: str,
    non_stemming: str,
    coordinates: str,
    county: str | None,
    type_: str,
    country_name: str,
    normalized: str,
    location: str,
    region: str | None,
    buildings: list[str],
) -> str:
    """A `locations` element with the real key order (sample 3), compact like the server's."""
    entry = {
        "normalizedStateName": state_name,
        "normalizedCountryCode": iso3,
        "city": city,
        "countryIso3a": iso3,
        "countryIso2a": iso2,
        "locationNonStemming": non_stemming,
        "coordinates": coordinates,
        "normalizedCountyName": county,
        "type": type_,
        "normalizedCountryName": country_name,
        "normalizedLocation": normalized,
        "location": location,
        "region": region,
        "buildingCodeList": buildings,
        "normalizedCityName": city,
    }
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False)


BENGALURU_JSON = location_json(
    state_name="Karnataka",
    iso3="IND",
    iso2="IN",
    city="Bengaluru",
    non_stemming="India, KA, Bengaluru",
    coordinates="12.97194,77.59369",
    county="Bangalore Urban",
    type_="ONSITE",
    country_name="India",
    normalized="Bengaluru, Karnataka, IND",
    location="IN, KA, Bengaluru",
    region="KA",
    buildings=["BLR13"],
)
HYDERABAD_JSON = location_json(
    state_name="Telangana",
    iso3="IND",
    iso2="IN",
    city="Hyderabad",
    non_stemming="India, TS, Hyderabad",
    coordinates="17.38504,78.48667",
    county="Hyderabad",
    type_="ONSITE",
    country_name="India",
    normalized="Hyderabad, Telangana, IND",
    location="IN, TS, Hyderabad",
    region="TS",
    buildings=["HYD13"],
)


def load_job(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["jobs"][0]


# --- the real samples ------------------------------------------------------------------------


def test_real_sample_austin_resolves_to_us_tx() -> None:
    job = load_job("search_sample_3_base_query_software_engineer_pretty.json")
    assert job["locations"] == [AUSTIN_JSON]  # the literal above is the served string
    assert normalize_locations(job) == [
        Location(
            city="Austin",
            region_code="TX",
            region_name="Texas",
            country_alpha2="US",
            country_alpha3="USA",
            country_name="United States",
            subdivision_code="US-TX",
            latitude=30.26759,
            longitude=-97.74299,
            is_virtual=False,
            raw="US, TX, Austin",
        )
    ]


def test_real_sample_durham_resolves_to_us_nc() -> None:
    job = load_job("search_sample_1_facets_hits10000.json")
    [durham] = normalize_locations(job)
    assert durham.city == "Durham"
    assert (durham.region_code, durham.region_name) == ("NC", "North Carolina")
    assert (durham.country_alpha2, durham.country_alpha3) == ("US", "USA")
    assert durham.subdivision_code == "US-NC"
    assert (durham.latitude, durham.longitude) == (35.99544, -78.8965)
    assert durham.is_virtual is False
    assert durham.raw == "US, NC, Durham"


@pytest.mark.parametrize(
    "name",
    [
        "search_sample_1_facets_hits10000.json",
        "search_sample_3_base_query_software_engineer_pretty.json",
    ],
)
def test_fallback_strings_of_real_samples_agree_with_locations(name: str) -> None:
    job = load_job(name)
    [from_json] = normalize_locations(job)
    [from_strings] = normalize_locations({**job, "locations": []})
    assert from_strings.subdivision_code == from_json.subdivision_code
    assert from_strings.city == from_json.city
    assert from_strings.region_code == from_json.region_code
    assert from_strings.region_name == from_json.region_name
    assert from_strings.country_alpha3 == from_json.country_alpha3
    assert from_strings.latitude is None  # the strings carry no coordinates


# --- location strings: virtual forms, 2- and 3-letter prefixes --------------------------------

# (location, alpha2, alpha3, country name, region code, subdivision, is_virtual, city)
LOCATION_STRINGS = [
    ("US, Virtual", "US", "USA", "United States", None, None, True, None),
    ("USA, Virtual", "US", "USA", "United States", None, None, True, None),
    ("JPN, Virtual", "JP", "JPN", "Japan", None, None, True, None),
    ("DEU, Virtual", "DE", "DEU", "Germany", None, None, True, None),
    ("GB, Virtual Location - UK", "GB", "GBR", "United Kingdom", None, None, True, None),
    ("IT, Virtual Location - Italy", "IT", "ITA", "Italy", None, None, True, None),
    (
        "US, CA, Virtual Location - California",
        "US",
        "USA",
        "United States",
        "CA",
        "US-CA",
        True,
        None,
    ),
    ("IT, Turin", "IT", "ITA", "Italy", None, None, False, "Turin"),
    ("IN, KA, Bengaluru", "IN", "IND", "India", "KA", "IN-KA", False, "Bengaluru"),
    ("IN, TS, Hyderabad", "IN", "IND", "India", "TS", "IN-TS", False, "Hyderabad"),
    ("US, NC, Durham", "US", "USA", "United States", "NC", "US-NC", False, "Durham"),
    ("US, TX, Austin", "US", "USA", "United States", "TX", "US-TX", False, "Austin"),
    ("UK, London", "GB", "GBR", "United Kingdom", None, None, False, "London"),
    ("GB, London", "GB", "GBR", "United Kingdom", None, None, False, "London"),
    ("GBR, London", "GB", "GBR", "United Kingdom", None, None, False, "London"),
    ("JP, 13, Tokyo", "JP", "JPN", "Japan", "13", "JP-13", False, "Tokyo"),
    ("KR, 11, Seoul", "KR", "KOR", "South Korea", "11", "KR-11", False, "Seoul"),
    ("TW, TPE, Taipei", "TW", "TWN", "Taiwan", "TPE", "TW-TPE", False, "Taipei"),
]


@pytest.mark.parametrize(
    ("text", "alpha2", "alpha3", "country", "region", "subdivision", "virtual", "city"),
    LOCATION_STRINGS,
    ids=[row[0] for row in LOCATION_STRINGS],
)
def test_location_string(
    text: str,
    alpha2: str,
    alpha3: str,
    country: str,
    region: str | None,
    subdivision: str | None,
    virtual: bool,
    city: str | None,
) -> None:
    [loc] = normalize_locations({"location": text})
    assert (loc.country_alpha2, loc.country_alpha3, loc.country_name) == (alpha2, alpha3, country)
    assert loc.region_code == region
    assert loc.subdivision_code == subdivision
    assert loc.is_virtual is virtual
    assert loc.city == city
    assert loc.raw == text


@pytest.mark.parametrize(
    ("text", "alpha2", "alpha3", "country", "region", "subdivision", "virtual", "city"),
    [row for row in LOCATION_STRINGS if row[6]],
    ids=[row[0] for row in LOCATION_STRINGS if row[6]],
)
@pytest.mark.parametrize("type_", ["VIRTUAL", "ONSITE"])
def test_virtual_forms_inside_locations_json(
    text: str,
    alpha2: str,
    alpha3: str,
    country: str,
    region: str | None,
    subdivision: str | None,
    virtual: bool,
    city: str | None,
    type_: str,
) -> None:
    entry = location_json(
        state_name=None,
        iso3=alpha3,
        iso2=alpha2,
        city=text.split(", ")[-1],
        non_stemming=text,
        coordinates="",
        county=None,
        type_=type_,
        country_name=country,
        normalized=text,
        location=text,
        region=region,
        buildings=[],
    )
    [loc] = normalize_locations({"locations": [entry], "location": "US, TX, Austin"})
    assert loc.is_virtual is True
    assert loc.city is None
    assert (loc.country_alpha2, loc.country_alpha3) == (alpha2, alpha3)
    assert loc.subdivision_code == subdivision
    assert loc.raw == text
    assert (loc.latitude, loc.longitude) == (None, None)


def test_virtual_type_keeps_a_real_city() -> None:
    entry = json.loads(AUSTIN_JSON)
    entry["type"] = "VIRTUAL"
    [loc] = normalize_locations({"locations": [json.dumps(entry)]})
    assert loc.is_virtual is True
    assert loc.city == "Austin"
    assert loc.subdivision_code == "US-TX"


def test_virtual_location_suffix_names_the_region() -> None:
    [loc] = normalize_locations({"location": "US, Virtual Location - Arizona"})
    assert loc.is_virtual is True
    assert loc.city is None
    assert loc.subdivision_code == "US-AZ"
    assert loc.region_name == "Arizona"
    assert loc.region_code is None


# --- multi-location postings and region names ------------------------------------------------


def test_multi_location_posting_keeps_order_and_resolves_each() -> None:
    job = {
        "location": "US, TX, Austin",
        "locations": [AUSTIN_JSON, BENGALURU_JSON, HYDERABAD_JSON],
        "normalized_location": "Austin, Texas, USA",
    }
    locations = normalize_locations(job)
    assert [loc.city for loc in locations] == ["Austin", "Bengaluru", "Hyderabad"]
    assert [loc.subdivision_code for loc in locations] == ["US-TX", "IN-KA", "IN-TS"]
    assert [loc.region_name for loc in locations] == ["Texas", "Karnataka", "Telangana"]
    assert [loc.country_alpha3 for loc in locations] == ["USA", "IND", "IND"]
    assert [loc.raw for loc in locations] == [
        "US, TX, Austin",
        "IN, KA, Bengaluru",
        "IN, TS, Hyderabad",
    ]
    assert locations[1].latitude == 12.97194
    assert primary_location(locations) == locations[0]


def test_duplicate_entries_are_listed_once() -> None:
    assert len(normalize_locations({"locations": [AUSTIN_JSON, AUSTIN_JSON]})) == 1


def test_legacy_region_code_resolves_through_the_region_name() -> None:
    # Telangana was IN-TG before ISO 3166-2 moved it to IN-TS (pycountry 26 has IN-TS only).
    job = {"location": "IN, TG, Hyderabad", "normalized_location": "Hyderabad, Telangana, IND"}
    [loc] = normalize_locations(job)
    assert loc.region_code == "TG"
    assert loc.region_name == "Telangana"
    assert loc.subdivision_code == "IN-TS"


@pytest.mark.parametrize(
    ("text", "subdivision"),
    [
        ("IN, TG, Hyderabad", "IN-TS"),  # no region name at all: the legacy map decides
        ("PL, MZ, Warsaw", "PL-14"),
        ("PL, PM, Gdansk", "PL-22"),
        ("PL, DS, Wroclaw", "PL-02"),
        ("PL, 14, Warsaw", "PL-14"),  # the current code works directly
    ],
)
def test_former_iso_region_codes(text: str, subdivision: str) -> None:
    [loc] = normalize_locations({"location": text})
    assert loc.subdivision_code == subdivision
    assert loc.region_code == text.split(", ")[1]


def test_legacy_map_only_names_current_codes() -> None:
    for alpha2, codes in LEGACY_SUBDIVISION_CODES.items():
        for old, new in codes.items():
            assert pycountry.subdivisions.get(code=f"{alpha2}-{old}") is None
            assert pycountry.subdivisions.get(code=f"{alpha2}-{new}") is not None


@pytest.mark.parametrize(
    ("text", "normalized", "subdivision"),
    [
        # A resolving code wins over an ambiguous name: the city, not the province.
        ("AR, C, Buenos Aires", "Buenos Aires, Buenos Aires, ARG", "AR-C"),
        ("PE, LMA, Lima", "Lima, Lima, PER", "PE-LMA"),
        # A code that does not resolve falls back to the name, if it names one subdivision.
        ("IN, XX, Hyderabad", "Hyderabad, Telangana, IND", "IN-TS"),
        ("US, ZZ, Austin", "Austin, Texas, USA", "US-TX"),
        # "Madrid" names the province ES-M and, in German and Italian, the community ES-MD.
        ("ES, ZZ, Madrid", "Madrid, Madrid, ESP", None),
        ("IN, XX, Somewhere", "Somewhere, Atlantis, IND", None),
    ],
)
def test_region_code_first_then_region_name(
    text: str, normalized: str, subdivision: str | None
) -> None:
    [loc] = normalize_locations({"location": text, "normalized_location": normalized})
    assert loc.subdivision_code == subdivision


def test_region_code_is_kept_when_the_name_is_in_another_language() -> None:
    entry = json.loads(AUSTIN_JSON)
    entry.update(
        countryIso2a="DE", countryIso3a="DEU", region="BY", normalizedStateName="Bavaria",
        location="DE, BY, Munich", city="Munich", normalizedCityName="Munich",
    )  # fmt: skip
    [loc] = normalize_locations({"locations": [json.dumps(entry)]})
    assert loc.subdivision_code == "DE-BY"  # pycountry says "Bayern"
    assert loc.region_name == "Bavaria"  # the posting's own name is kept


def test_unknown_region_code_gives_no_subdivision() -> None:
    [loc] = normalize_locations({"location": "US, ZZ, Springfield"})
    assert loc.country_alpha2 == "US"
    assert loc.region_code == "ZZ"
    assert loc.subdivision_code is None


def test_normalized_location_alone_is_enough() -> None:
    [loc] = normalize_locations({"normalized_location": "Austin, Texas, USA"})
    assert (loc.city, loc.region_name, loc.subdivision_code) == ("Austin", "Texas", "US-TX")
    assert loc.country_name == "United States"


def test_job_level_fields_are_the_last_fallback() -> None:
    [loc] = normalize_locations({"country_code": "IND", "state": "KA", "city": "Bengaluru"})
    assert (loc.country_alpha2, loc.subdivision_code, loc.city) == ("IN", "IN-KA", "Bengaluru")


# --- malformed input never raises ------------------------------------------------------------


@pytest.mark.parametrize(
    "job",
    [None, "", "garbage", 42, 4.2, [], ["US, TX, Austin"], {}, {"locations": None},
     {"locations": []}, {"locations": "garbage"}, {"locations": ["{not json"]},
     {"locations": [None, 5, [], "", "null", "[]", "\"US, TX, Austin\""]},
     {"location": None}, {"location": ""}, {"location": "garbage"}, {"location": 5},
     {"location": ",,,"}, {"normalized_location": "Nowhere"}],
    ids=repr,
)  # fmt: skip
def test_malformed_jobs_give_no_locations(job: object) -> None:
    assert normalize_locations(job) == []


def test_undecodable_locations_fall_back_to_location_strings() -> None:
    job = {
        "locations": ["{broken", '{"city": '],
        "location": "US, NC, Durham",
        "normalized_location": "Durham, North Carolina, USA",
    }
    [loc] = normalize_locations(job)
    assert (loc.city, loc.subdivision_code, loc.raw) == ("Durham", "US-NC", "US, NC, Durham")


def test_one_broken_entry_does_not_hide_the_good_ones() -> None:
    locations = normalize_locations({"locations": ["{broken", BENGALURU_JSON, 7]})
    assert [loc.subdivision_code for loc in locations] == ["IN-KA"]


@pytest.mark.parametrize(
    "coordinates", ["", "abc", "30.1", "30.1,-97.7,1", "91,0", "0,181", "nan,1", "inf,2", "0,0", 5]
)
def test_bad_coordinates_are_dropped(coordinates: object) -> None:
    entry = json.loads(AUSTIN_JSON)
    entry["coordinates"] = coordinates
    [loc] = normalize_locations({"locations": [json.dumps(entry)]})
    assert (loc.latitude, loc.longitude) == (None, None)
    assert loc.subdivision_code == "US-TX"


def test_wrong_types_inside_an_entry_are_ignored() -> None:
    entry = json.loads(AUSTIN_JSON)
    entry.update(region=13, city=["Austin"], normalizedCityName=None, countryIso2a=None)
    [loc] = normalize_locations({"locations": [json.dumps(entry)]})
    assert loc.city == "Austin"  # from the `location` string
    assert loc.region_code == "TX"
    assert loc.country_alpha2 == "US"


@pytest.mark.parametrize("text", ["XX, YY, Foo", "Virtual", "Nowhere, Texas", "ZZZ, Virtual"])
def test_a_location_without_a_resolvable_country_is_not_emitted(text: str) -> None:
    assert normalize_locations({"location": text}) == []
    assert normalize_locations({"normalized_location": text}) == []


@pytest.mark.parametrize("value", [None, [], (), "garbage", 5, ["not a location"]])
def test_primary_location_of_nothing_is_none(value: object) -> None:
    assert primary_location(value) is None


def test_as_dict_is_plain_json() -> None:
    [loc] = normalize_locations({"locations": [AUSTIN_JSON]})
    data = loc.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "city": "Austin",
        "region_code": "TX",
        "region_name": "Texas",
        "country_alpha2": "US",
        "country_alpha3": "USA",
        "country_name": "United States",
        "subdivision_code": "US-TX",
        "latitude": 30.26759,
        "longitude": -97.74299,
        "is_virtual": False,
        "raw": "US, TX, Austin",
        "subdivision_unresolved": False,
    }


# --- Amazon's own region codes, the tile form, region names in the site's languages ----------
# Real strings: the (#20, measured on 5,345 real postings) and the real-strings fixture
# tests/fixtures/real_locations.csv (one source per row).

REAL_LOCATIONS = FIXTURES / "real_locations.csv"


@pytest.mark.parametrize(
    ("text", "alpha2", "subdivision", "city"),
    [
        ("UK, CAMBS, Cambridge", "GB", "GB-CAM", "Cambridge"),
        ("UK, N YORK, Heslington", "GB", "GB-NYK", "Heslington"),
        ("UK, BRIST, Bristol", "GB", "GB-BST", "Bristol"),
        ("TW, TP, Taipei", "TW", "TW-TPE", "Taipei"),
        ("MX, EMEX, Mexico City", "MX", "MX-MEX", "Mexico City"),
        ("IN, KA, Bangalore", "IN", "IN-KA", "Bangalore"),
        ("DE, BE, Berlin", "DE", "DE-BE", "Berlin"),
        ("US, WA, Seattle", "US", "US-WA", "Seattle"),
        ("USA, TX, Austin", "US", "US-TX", "Austin"),
        ("JP, 13, Tokyo", "JP", "JP-13", "Tokyo"),
        ("CN, 31, Shanghai", "CN", "CN-SH", "Shanghai"),
    ],
)
def test_amazon_region_codes(text: str, alpha2: str, subdivision: str, city: str) -> None:
    (loc,) = normalize_locations({"location": text})
    assert (loc.country_alpha2, loc.subdivision_code, loc.city) == (alpha2, subdivision, city)
    assert loc.subdivision_unresolved is False


@pytest.mark.parametrize(
    ("text", "alpha2", "subdivision", "city", "region_name"),
    [
        ("Seattle, WA, USA", "US", "US-WA", "Seattle", "Washington"),
        ("Madrid, Community of Madrid, ESP", "ES", "ES-MD", "Madrid", "Community of Madrid"),
        ("Hyderabad, Telangana, IND", "IN", "IN-TS", "Hyderabad", "Telangana"),
    ],
)
def test_tile_form_city_region_country(
    text: str, alpha2: str, subdivision: str, city: str, region_name: str
) -> None:
    """The rendered tile ("City, ST, CCC" / "City, Region, CCC") in either string field."""
    for job in ({"location": text}, {"normalized_location": text}):
        (loc,) = normalize_locations(job)
        assert (loc.country_alpha2, loc.subdivision_code, loc.city) == (alpha2, subdivision, city)
        assert loc.region_name == region_name


@pytest.mark.parametrize(
    ("normalized", "subdivision"),
    [
        # Region names as pycountry's ISO 3166-2 translations give them in the site's languages.
        ("München, Bavière, DEU", "DE-BY"),  # fr
        ("München, Baviera, DEU", "DE-BY"),  # it
        ("München, Bawaria, DEU", "DE-BY"),  # pl
        ("Madrid, Comunidad de Madrid, ESP", "ES-MD"),  # es, pycountry's "Madrid, Comunidad de"
        ("München, Bavaria, DEU", "DE-BY"),  # en
        ("ミュンヘン, バイエルン, DEU", "DE-BY"),  # ja: names in other scripts fold as well
        ("慕尼黑, 巴伐利亚, DEU", "DE-BY"),  # zh
    ],
)
def test_region_names_in_the_site_languages(normalized: str, subdivision: str) -> None:
    (loc,) = normalize_locations({"normalized_location": normalized})
    assert loc.subdivision_code == subdivision


def test_a_name_two_subdivisions_share_resolves_to_neither() -> None:
    """German and Italian call the Community of Madrid (ES-MD) just "Madrid", the name of the
    province (ES-M): a bare "Madrid" region is ambiguous, so no subdivision, and it says so."""
    (loc,) = normalize_locations({"normalized_location": "Madrid, Madrid, ESP"})
    assert (loc.country_alpha2, loc.subdivision_code) == ("ES", None)
    assert loc.subdivision_unresolved is True


def test_unresolvable_region_keeps_the_country_and_says_so() -> None:
    (loc,) = normalize_locations({"location": "UK, WXYZ, Nowhere"})
    assert (loc.country_alpha2, loc.subdivision_code, loc.city) == ("GB", None, "Nowhere")
    assert loc.region_name == "WXYZ"  # 4 characters and no Amazon code: kept as a name
    assert loc.subdivision_unresolved is True
    assert loc.as_dict()["subdivision_unresolved"] is True


def test_no_region_named_is_not_unresolved() -> None:
    for text in ("IN, Hyderabad", "GB, Cambridge", "ARE, Dubai", "IN"):
        (loc,) = normalize_locations({"location": text})
        assert loc.subdivision_code is None
        assert loc.subdivision_unresolved is False


def test_amazon_region_table_names_only_pycountry_codes() -> None:
    """Every entry of the shipped table (package data) is a current pycountry subdivision of its
    country and is not itself an ISO code (those need no entry)."""
    from importlib.resources import files

    table = json.loads(
        files("jobtracker.normalize").joinpath("amazon_regions.json").read_text("utf-8")
    )
    for kind in ("codes", "names"):
        for alpha2, entries in table[kind].items():
            for token, entry in entries.items():
                sub = pycountry.subdivisions.get(code=entry["iso"])
                assert sub is not None and sub.country_code == alpha2, (token, entry)
                assert token in entry["seen"]
                if kind == "codes":
                    assert pycountry.subdivisions.get(code=f"{alpha2}-{token}") is None


def _resolve_fixture_row(row: dict[str, str]) -> Location | None:
    from jobtracker.sources.amazon_hourly import card_locations

    if row["field"] == "card_state":
        found = card_locations({"state": row["raw"], "city": "X"}, "USA")
    elif row["field"] == "normalized_location":
        found = normalize_locations({"normalized_location": row["raw"]})
    else:  # "location" and the tile text, as a page or an archive shows them
        found = normalize_locations({"location": row["raw"]})
    return found[0] if found else None


def test_real_location_strings_resolve_to_iso_3166_2() -> None:
    """Over the real-strings fixture, weighted by how often each string was seen: every country
    right, at least 99.9% of the strings naming a region resolve to the right ISO 3166-2 code,
    and none to a wrong one."""
    import csv

    with REAL_LOCATIONS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 80
    naming = resolved = 0
    wrong: list[tuple[str, str | None]] = []
    for row in rows:
        loc = _resolve_fixture_row(row)
        assert loc is not None and loc.country_alpha2 == row["country"], row
        count = int(row["count"])
        if row["subdivision"]:
            naming += count
            if loc.subdivision_code == row["subdivision"]:
                resolved += count
        if loc.subdivision_code not in (None, row["subdivision"] or None):
            wrong.append((row["raw"], loc.subdivision_code))
    assert wrong == []
    assert naming >= 6000
    assert resolved / naming >= 0.999, resolved / naming


@pytest.mark.parametrize(
    ("state", "subdivision"),
    [("County Dublin", "IE-D"), ("County Cork", "IE-CO"), ("County Louth", "IE-LH")],
)
def test_irish_hourly_cards_name_the_county(state: str, subdivision: str) -> None:
    """jobs.amazon.ie cards say "County Dublin" where ISO 3166-2 says "Dublin"."""
    from jobtracker.sources.amazon_hourly import card_locations

    (loc,) = card_locations({"state": state, "city": "X"}, "IRL")
    assert loc.subdivision_code == subdivision


@pytest.mark.parametrize(
    "state", ["Bedfordshire", "West Midlands", "Greater Manchester", "Cheshire", "West Glamorgan"]
)
def test_uk_hourly_cards_traditional_counties_are_flagged_not_guessed(state: str) -> None:
    """Ceremonial counties are no ISO 3166-2 subdivision (Cheshire is two unitary authorities,
    Greater Manchester ten boroughs): the card keeps GB and says the region did not resolve."""
    from jobtracker.sources.amazon_hourly import card_locations

    (loc,) = card_locations({"state": state, "city": "X"}, "GBR")
    assert (loc.country_alpha2, loc.subdivision_code) == ("GB", None)
    assert loc.subdivision_unresolved is True


@pytest.mark.parametrize(
    ("normalized", "subdivision", "region_name"),
    [("Panaji, Goa, IND", "IN-GA", "Goa"), ("Seattle, WA, USA", "US-WA", "Washington")],
)
def test_a_short_region_name_is_a_name_unless_only_the_code_resolves(
    normalized: str, subdivision: str, region_name: str
) -> None:
    """ "Goa" has three letters like a code, but it is the name of IN-GA (IN-GOA is no code)."""
    (loc,) = normalize_locations({"normalized_location": normalized})
    assert (loc.subdivision_code, loc.region_name) == (subdivision, region_name)
