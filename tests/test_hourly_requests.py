"""The hourly listing request, built without the UI: the page's own call made neutral and
country-wide, the documented request, the tiling that covers a country, schedules."""

from __future__ import annotations

import json
import random

import pytest

from jobtracker.site_status import browser_unreachable_reason
from jobtracker.sources.amazon_hourly import (
    AUTH_PREFIX,
    HOURLY_SITES,
    OPERATION,
    CardsPayloadError,
    around,
    country_wide,
    distance_mi,
    parse_schedule_cards_payload,
    replay_headers,
    schedule_request,
    template_from_capture,
    template_from_contract,
    tiling_points,
    token_of,
)

#: What the US page sends first (the shape of public captures, docs/sites.md).
PAGE_VARIABLES = {
    "locale": "en-US",
    "country": "United States",
    "keyWords": "",
    "equalFilters": [{"key": "scheduleRequiredLanguage", "val": "en-US"}],
    "containFilters": [{"key": "isPrivateSchedule", "val": ["false"]}],
    "rangeFilters": [{"key": "hoursPerWeek", "range": {"minimum": 0, "maximum": 80}}],
    "orFilters": [],
    "dateFilters": [{"key": "firstDayOnSite", "range": {"startDate": "2026-12-01"}}],
    "sorters": [{"fieldName": "totalPayRateMax", "ascending": "false"}],
    "pageSize": 20,
    "consolidateSchedule": True,
    "geoQueryClause": {"lat": 47.38, "lng": -122.23, "unit": "mi", "distance": 30},
}
PAGE_HEADERS = {
    "authorization": AUTH_PREFIX + "tok1",
    "country": "United States",
    "iscanary": "false",
    "content-type": "application/json",
    "user-agent": "Mozilla/5.0",
    "referer": "https://hiring.amazon.com/app",
    "sec-ch-ua": '"Chromium";v="120"',
    "origin": "https://hiring.amazon.com",
    "cookie": "aws-waf-token=x",
}


def page_body(**variables: object) -> str:
    body = {
        "operationName": OPERATION,
        "variables": {"searchJobRequest": {**PAGE_VARIABLES, **variables}},
        "query": "query searchJobCardsByLocation { ... }",
    }
    return json.dumps(body)


def test_the_page_call_becomes_a_neutral_country_wide_query() -> None:
    template = template_from_capture("https://x/graphql", PAGE_HEADERS, page_body())
    assert template is not None and template.taken_from == "page"
    assert template.headers == {
        "authorization": AUTH_PREFIX + "tok1",
        "country": "United States",
        "iscanary": "false",
        "content-type": "application/json",
    }
    neutral = country_wide(template.variables)
    assert "geoQueryClause" not in neutral and "nextToken" not in neutral
    assert neutral["keyWords"] == "" and neutral["pageSize"] == 100
    assert neutral["dateFilters"] == neutral["rangeFilters"] == neutral["equalFilters"] == []
    assert neutral["containFilters"] == [{"key": "isPrivateSchedule", "val": ["true", "false"]}]
    # what the page sent otherwise stays as sent
    for key in ("locale", "country", "sorters", "consolidateSchedule"):
        assert neutral[key] == PAGE_VARIABLES[key]


def test_pages_follow_the_token_and_a_renewed_token_replaces_the_old() -> None:
    template = template_from_capture("https://x/graphql", PAGE_HEADERS, page_body(nextToken="a"))
    assert template is not None
    first, later = template.page(None), template.page("abc")
    assert "nextToken" not in first["variables"]["searchJobRequest"]
    assert later["variables"]["searchJobRequest"]["nextToken"] == "abc"
    assert later["query"] == first["query"] and later["operationName"] == OPERATION
    renewed = template.with_token("tok2")
    assert token_of(renewed.headers["authorization"]) == "tok2"
    assert token_of(template.headers["authorization"]) == "tok1"


@pytest.mark.parametrize(
    "post_data", [None, "", "not json", "[]", '{"variables": {}}', '{"variables": {"x": 1}}']
)
def test_an_unreadable_page_call_gives_no_template(post_data: str | None) -> None:
    assert template_from_capture("https://x/graphql", PAGE_HEADERS, post_data) is None


def test_the_documented_request_needs_only_the_site_and_a_token() -> None:
    site = HOURLY_SITES["CA"]
    template = template_from_contract(site, "https://hiring.amazon.ca/graphql", "t")
    assert template.taken_from == "contract"
    assert template.headers["authorization"] == AUTH_PREFIX + "t"
    assert template.headers["country"] == "Canada" and template.headers["iscanary"] == "false"
    assert template.variables == country_wide(template.variables)
    assert OPERATION in template.body["query"] and "nextToken" in template.body["query"]


def test_replayed_headers_leave_what_the_browser_sets_to_the_browser() -> None:
    kept = replay_headers({"Authorization": "a", ":method": "POST", "Sec-Fetch-Mode": "cors",
                           "Cookie": "c", "Country": "Canada", "X-Custom": "1"})  # fmt: skip
    assert kept == {"authorization": "a", "country": "Canada", "x-custom": "1"}


def test_a_tile_is_the_query_around_a_point() -> None:
    tile = around(country_wide(PAGE_VARIABLES), (53.35, -6.26), 100)
    assert tile["geoQueryClause"] == {"lat": 53.35, "lng": -6.26, "unit": "mi", "distance": 100}


@pytest.mark.parametrize("key", sorted(HOURLY_SITES))
@pytest.mark.parametrize("radius", [100.0, 60.0])
def test_the_tiles_cover_every_point_of_the_country(key: str, radius: float) -> None:
    site = HOURLY_SITES[key]
    points = tiling_points(site.boxes, radius)
    rng = random.Random(f"{key}{radius}")
    for lat_min, lat_max, lng_min, lng_max in site.boxes:
        corners = [(lat, lng) for lat in (lat_min, lat_max) for lng in (lng_min, lng_max)]
        samples = [(rng.uniform(lat_min, lat_max), rng.uniform(lng_min, lng_max))
                   for _ in range(400)]  # fmt: skip
        for sample in corners + samples:
            nearest = min(distance_mi(sample, point) for point in points)
            assert nearest <= radius, (key, sample, nearest)


def test_fewer_tiles_would_not_cover() -> None:
    """The grid is not wastefully dense: circles half as wide leave gaps in it."""
    site = HOURLY_SITES["IE"]
    points = tiling_points(site.boxes, 100)
    lat_min, lat_max, lng_min, lng_max = site.boxes[0]
    grid = [(lat_min + (lat_max - lat_min) * i / 40, lng_min + (lng_max - lng_min) * j / 40)
            for i in range(41) for j in range(41)]  # fmt: skip
    worst = max(min(distance_mi(p, point) for point in points) for p in grid)
    assert 50 < worst <= 100


def test_distance_is_great_circle_miles() -> None:
    dublin, cork = (53.3498, -6.2603), (51.8985, -8.4756)
    assert distance_mi(dublin, cork) == pytest.approx(136.0, abs=2)
    assert distance_mi(dublin, dublin) == 0


def test_schedules_request_and_answer() -> None:
    body = schedule_request(HOURLY_SITES["UK"], "JOB-UK-0000000001")
    request = body["variables"]["searchScheduleRequest"]
    assert request["jobId"] == "JOB-UK-0000000001" and request["country"] == "United Kingdom"
    cards = [{"scheduleId": "SCH-1", "scheduleText": "Mon-Fri 07:00-17:30"}]
    answer = {"data": {"searchScheduleCards": {"nextToken": None, "scheduleCards": cards}}}
    assert parse_schedule_cards_payload(json.dumps(answer)) == cards
    for bad in ('{"errors": [{"message": "no"}]}', "[]", "x", '{"data": {}}'):
        with pytest.raises(CardsPayloadError):
            parse_schedule_cards_payload(bad)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("net::ERR_CONNECTION_REFUSED at http://127.0.0.1:9/app", "connection refused"),
        ("net::ERR_NAME_NOT_RESOLVED at https://hiring.amazon.invalid/app", "DNS lookup failed"),
        ("Timeout 30000ms exceeded.", None),
        ("net::ERR_ABORTED", None),
    ],
)
def test_browser_errors_that_mean_no_answer(message: str, reason: str | None) -> None:
    assert browser_unreachable_reason(message) == reason
