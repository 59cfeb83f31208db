"""The simulated hourly sites (hiring.amazon.com family) over real HTTP, per the contract of
docs/simulator_hourly.md: the shell and its cookies, the auth origin's JWT with CORS, the WAF,
searchJobCardsByLocation honouring its variables against the ground truth, nextToken chains,
searchScheduleCards, the AppSync-like origin, the faults, the command line; plus the pure
filter functions of ``jobsim.hourly``. The page itself is driven in test_sim_hourly_ui.py."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from jobsim.hourly import (
    SITES,
    Facts,
    GeoClause,
    HourlyWorld,
    QueryError,
    SearchFilter,
    great_circle_km,
    matches,
    parse_filter,
)
from jobsim.hourly_http import AUTH_PREFIX, encode_next_token
from jobsim.hourly_spa import SEARCH_QUERY
from jobsim.server import SimServer, make_server
from tests.support.sim import HttpResponse, SimControl, reset_around

QUERY_FIELDS = re.findall(r"^\s+(\w+)$", SEARCH_QUERY.split("jobCards {")[1], re.M)
LATER_FIELDS = [
    "payFrequency",
    "jobLocationType",
    "internalStaffingOrgId",
    "agencyName",
    "advertisedBasePay",
    "advertisedBasePayL10N",
    "advertisedPayFrequency",
    "advertisedPayFrequencyL10N",
]
SYMBOL = {"US": "$", "CA": "$", "UK": "£", "IE": "€"}
LOCALES = {"US": "en-US", "CA": "en-CA", "UK": "en-GB", "IE": "en-IE"}
REAL_TITLES = {
    "Warehouse Associate",
    "Fulfillment Center Associate",
    "Sortation Associate",
    "Delivery Station Associate",
    "Amazon Air Associate",
    "Grocery Shopper",
    "Fresh Shopper",
    "Seasonal Associate",
    "Customer Service Associate",
    "Delivery Driver (DSP)",
    "Yard Associate",
}
SCHEDULE_QUERY = (
    "query searchScheduleCards($searchScheduleRequest: SearchScheduleRequest!) "
    "{ searchScheduleCards(searchScheduleRequest: $searchScheduleRequest) "
    "{ nextToken scheduleCards { scheduleId jobId scheduleText } } }"
)
KM_PER_MILE = 1.609344


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    """An in-process simulator: a small corporate board, the default hourly board."""
    srv = make_server(size=300, horizon=60).start_in_thread()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def hs(server: SimServer) -> Iterator[SimControl]:
    """The corporate origin's client, reset to day 0 without faults around the test."""
    with reset_around(SimControl(server.url)) as ctl:
        yield ctl


class Client:
    """What a browser holds for one site: the WAF cookie from the shell and a csrf token."""

    def __init__(self, server: SimServer, key: str, user_agent: str = "Mozilla/5.0") -> None:
        self.key = key
        self.site = SimControl(server.hourly_urls[key])
        self.auth = SimControl(server.hourly.auth_urls[key])
        self.appsync = SimControl(server.hourly.appsync_urls[key])
        self.user_agent = user_agent
        waf = [c for c in shell_cookies(self.site.url, user_agent) if c.startswith("aws-waf")]
        self.cookie = waf[0].split(";")[0]
        self.token = self.new_token()

    def new_token(self) -> str:
        resp = self.auth.get("/api/csrf", {"countryCode": self.key})
        assert resp.status == 200, resp.body
        return resp.json()["token"]

    def headers(self, **changes: str | None) -> dict[str, str]:
        out = {
            "authorization": AUTH_PREFIX + self.token,
            "country": SITES[self.key].country,
            "iscanary": "false",
            "content-type": "application/json",
            "cookie": self.cookie,
            "user-agent": self.user_agent,
        }
        out.update(changes)  # type: ignore[arg-type]
        return {k: v for k, v in out.items() if v is not None}

    def post(
        self, body: Any, origin: SimControl | None = None, timeout: float = 60.0, **changes: Any
    ) -> HttpResponse:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return (origin or self.site).request(
            "POST", "/graphql", raw, self.headers(**changes), timeout=timeout
        )

    def page(self, **request: Any) -> dict[str, Any]:
        """One search page (asserts 200): ``{"nextToken", "jobCards"}``."""
        resp = self.post(search_body(self.key, **request))
        assert resp.status == 200, resp.body[:300]
        body = resp.json()
        assert list(body["data"]["searchJobCardsByLocation"]) == ["nextToken", "jobCards"]
        return body["data"]["searchJobCardsByLocation"]

    def crawl(self, **request: Any) -> tuple[list[dict[str, Any]], int]:
        """Every card of a query through the nextToken chain; returns (cards, pages)."""
        cards: list[dict[str, Any]] = []
        nxt, pages = None, 0
        while True:
            result = self.page(next_token=nxt, **request)
            cards += result["jobCards"]
            pages += 1
            nxt = result["nextToken"]
            if nxt is None:
                return cards, pages


def shell_cookies(origin: str, user_agent: str = "Mozilla/5.0", query: str = "") -> list[str]:
    """The ``Set-Cookie`` headers of ``GET /app`` (each one; ``HttpResponse`` keeps the last)."""
    parts = urlsplit(origin)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", "/app" + query, headers={"user-agent": user_agent})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
        return resp.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()


def search_body(
    key: str,
    page_size: int = 100,
    next_token: str | None = None,
    geo: dict[str, Any] | None = None,
    key_words: str = "",
    private: list[str] | None = None,
    start_date: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``searchJobCardsByLocation`` body with the page's full variables (neutral by default)."""
    s = SITES[key]
    req: dict[str, Any] = {
        "locale": s.locale,
        "country": s.country,
        "keyWords": key_words,
        "equalFilters": [],
        "containFilters": [{"key": "isPrivateSchedule", "val": private or ["true", "false"]}],
        "rangeFilters": [{"key": "hoursPerWeek", "range": {"minimum": 0, "maximum": 80}}],
        "orFilters": [],
        "dateFilters": (
            [{"key": "firstDayOnSite", "range": {"startDate": start_date}}] if start_date else []
        ),
        "sorters": [{"fieldName": "totalPayRateMax", "ascending": "false"}],
        "pageSize": page_size,
        "consolidateSchedule": True,
        **extra,
    }
    if geo is not None:
        req["geoQueryClause"] = geo
    if next_token is not None:
        req["nextToken"] = next_token
    return {
        "operationName": "searchJobCardsByLocation",
        "variables": {"searchJobRequest": req},
        "query": SEARCH_QUERY,
    }


def schedule_body(key: str, job_id: str) -> dict[str, Any]:
    s = SITES[key]
    req = {
        "locale": s.locale,
        "country": s.country,
        "jobId": job_id,
        "pageSize": 1000,
        "consolidateSchedule": True,
    }
    return {
        "operationName": "searchScheduleCards",
        "variables": {"searchScheduleRequest": req},
        "query": SCHEDULE_QUERY,
    }


def errors_of(resp: HttpResponse) -> list[dict[str, Any]]:
    body = resp.json()
    assert list(body) == ["errors"] and body["errors"], body
    return body["errors"]


def truth_of(hs: SimControl, key: str, jobs: bool = False) -> list[dict[str, Any]]:
    return [r for r in hs.truth(source="amazon_hourly", jobs=jobs) if r["site"] == key]


def miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    return great_circle_km(a, b) / KM_PER_MILE


def jwt_payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# -- origins, shell, csrf ------------------------------------------------------------------------


def test_shell_sets_the_waf_and_site_cookies(server: SimServer, hs: SimControl) -> None:
    state = hs.state()["hourly"]
    assert state["urls"] == server.hourly_urls and set(state["urls"]) == set(SITES)
    origins = [*state["urls"].values(), *state["auth_urls"].values()]
    assert len(set(origins + list(state["appsync_urls"].values()))) == 12  # own port each
    uk = SimControl(server.hourly_urls["UK"])
    resp = uk.get("/app", {"locale": "en-GB", "country": "GBR"})
    assert resp.status == 200 and resp.headers["content-type"].startswith("text/html")
    html = resp.body.decode()
    assert '<div id="root"></div>' in html and '<script src="/app.js">' in html
    assert "JOB-" not in html
    cookies = "\n".join(shell_cookies(uk.url, query="?locale=en-GB&country=GBR"))
    assert re.search(r"aws-waf-token=[\w-]{20,}; Path=/; SameSite=Lax", cookies)
    assert "hvh-country-code=UK" in cookies and "hvh-locale=en-GB" in cookies
    js = uk.get("/app.js").body.decode()
    assert state["auth_urls"]["UK"] in js and '"graphqlUrl": "/graphql"' in js
    assert '"pageSize": 100' in js and "JOB-" not in js and "load-more" not in js
    assert "Allow: /graphql" in uk.get("/robots.txt").body.decode()
    assert uk.get("/graphql").status == 404 and uk.get("/api/csrf").status == 404


def test_csrf_answers_a_jwt_with_cors_for_the_site_origin(
    server: SimServer, hs: SimControl
) -> None:
    auth = SimControl(server.hourly.auth_urls["CA"])
    before = time.time()
    resp = auth.get("/api/csrf", {"countryCode": "CA"})
    assert resp.status == 200 and list(resp.json()) == ["token"]
    assert resp.headers["access-control-allow-origin"] == server.hourly_urls["CA"]
    assert resp.headers["access-control-allow-credentials"] == "true"
    token = resp.json()["token"]
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", token)
    claims = jwt_payload(token)
    assert claims["countryCode"] == "CA" and claims["exp"] - claims["iat"] == 3600
    assert before - 1 <= claims["iat"] <= time.time()
    assert auth.get("/api/csrf", {"countryCode": "CA"}).json()["token"] != token
    preflight = auth.request("OPTIONS", "/api/csrf?countryCode=CA")
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == server.hourly_urls["CA"]
    for bad in ({"countryCode": "US"}, {"countryCode": "XX"}, {}):
        refused = auth.get("/api/csrf", bad)
        assert refused.status == 400 and errors_of(refused)[0]["message"]
    assert hs.state()["hourly"]["requests"]["CA"]["csrf"] == 5


def test_an_expired_token_answers_401_expired(server: SimServer, hs: SimControl) -> None:
    hs.set_faults(hourly_token_ttl=1)
    ie = Client(server, "IE")
    assert jwt_payload(ie.token)["exp"] - jwt_payload(ie.token)["iat"] == 1
    time.sleep(2.1)
    resp = ie.post(search_body("IE"))
    assert resp.status == 401
    error = errors_of(resp)[0]
    assert error["errorType"] == "UnauthorizedException" and "expired" in error["message"]
    hs.set_faults()
    ie.token = ie.new_token()
    assert ie.post(search_body("IE")).status == 200
    assert hs.state()["hourly"]["requests"]["IE"]["graphql_401"] == 1


def test_missing_bad_or_foreign_tokens_answer_401(server: SimServer, hs: SimControl) -> None:
    us, ca = Client(server, "US"), Client(server, "CA")
    forged = us.token.rsplit(".", 1)[0] + ".AAAA"
    for auth in (
        None,
        AUTH_PREFIX,
        AUTH_PREFIX + "not-a-token",
        AUTH_PREFIX + forged,
        "Bearer " + us.token,
        AUTH_PREFIX + ca.token,  # another site's token
    ):
        resp = us.post(search_body("US"), authorization=auth)
        assert resp.status == 401, auth
        assert errors_of(resp)[0]["errorType"] == "UnauthorizedException"
    assert us.post(search_body("US")).status == 200


# -- the WAF --------------------------------------------------------------------------------------


def test_waf_refuses_graphql_without_the_cookie(server: SimServer, hs: SimControl) -> None:
    uk = Client(server, "UK")
    for cookie in (None, "aws-waf-token=made-up", "hvh-country-code=UK"):
        resp = uk.post(search_body("UK"), cookie=cookie)
        assert resp.status == 403 and resp.headers["content-type"].startswith("text/html")
        assert b"Request blocked" in resp.body
    ok = uk.post(search_body("UK"), cookie=f"hvh-locale=en-GB; {uk.cookie}; hvh-country-code=UK")
    assert ok.status == 200
    assert hs.state()["hourly"]["requests"]["UK"]["graphql_403"] == 3


def test_waf_refuses_a_headless_chrome_user_agent(server: SimServer, hs: SimControl) -> None:
    headless = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/131.0.0.0 Safari/537.36"
    )
    ca = Client(server, "CA", user_agent=headless)  # the shell itself still loads
    resp = ca.post(search_body("CA"))
    assert resp.status == 403 and b"<html>" in resp.body
    assert ca.post(
        search_body("CA"), **{"user-agent": headless.replace("Headless", "")}
    ).status == (200)


def test_hourly_block_fault_answers_403_whatever_the_cookie(
    server: SimServer, hs: SimControl
) -> None:
    us, ie = Client(server, "US"), Client(server, "IE")
    hs.set_faults(hourly_block=["US"])
    resp = us.post(search_body("US"))
    assert resp.status == 403 and resp.headers["content-type"].startswith("text/html")
    assert us.post(schedule_body("US", "JOB-US-0000030003")).status == 403
    assert ie.post(search_body("IE")).status == 200  # other sites are served
    with pytest.raises(ValueError):
        hs.control(faults={"hourly_block": ["FR"]})


# -- bad requests ---------------------------------------------------------------------------------


def test_bad_requests_answer_400_with_errors(server: SimServer, hs: SimControl) -> None:
    uk = Client(server, "UK")
    ok = search_body("UK")
    wrong_country = search_body("UK")
    wrong_country["variables"]["searchJobRequest"]["country"] = "Ireland"
    bodies: list[Any] = [
        b"{not json",
        b"[]",
        dict(ok, operationName="deleteJobs", query="mutation deleteJobs(x)"),
        dict(ok, variables={}),
        wrong_country,
        search_body("UK", page_size=0),
        search_body("UK", geo={"lat": 52, "lng": -1, "unit": "furlong", "distance": 9}),
        search_body("UK", geo={"lat": 52, "lng": -1, "unit": "mi", "distance": -5}),
        search_body("UK", start_date="yesterday"),
        search_body("UK", private=["maybe"]),
    ]
    for body in bodies:
        resp = uk.post(body)
        assert resp.status == 400, body
        error = errors_of(resp)[0]
        assert error["message"] and error["errorType"] in (
            "BadRequestException",
            "ValidationError",
            "MalformedHttpRequestException",
        )
    assert uk.post(ok, country="United States").status == 400
    assert uk.post(ok, iscanary=None).status == 400
    assert uk.post(ok).status == 200
    assert hs.state()["hourly"]["requests"]["UK"]["graphql_400"] == len(bodies) + 2


def test_page_size_above_100_is_an_error_not_clamped(server: SimServer, hs: SimControl) -> None:
    us = Client(server, "US")
    for size in (101, 500, 1000):
        resp = us.post(search_body("US", page_size=size))
        assert resp.status == 400
        assert "pageSize" in errors_of(resp)[0]["message"]
    assert len(us.page(page_size=100)["jobCards"]) == 100


# -- the query is honoured ------------------------------------------------------------------------


def test_country_wide_paging_equals_the_truth(server: SimServer, hs: SimControl) -> None:
    truth = hs.truth(source="amazon_hourly", jobs=True)
    assert [r["job_id"] for r in truth] == sorted(r["job_id"] for r in truth)
    assert hs.state()["hourly"]["live"] == {k: sum(r["site"] == k for r in truth) for k in SITES}
    for key in SITES:
        cards, pages = Client(server, key).crawl(page_size=37)
        expected = {r["job_id"]: r for r in truth if r["site"] == key}
        ids = [c["jobId"] for c in cards]
        assert len(ids) == len(set(ids)) == len(expected) > 0
        assert {c["jobId"]: c for c in cards} == {k: r["card"] for k, r in expected.items()}
        assert ids == sorted(ids, key=lambda j: (-expected[j]["card"]["totalPayRateMax"], j))
        assert pages == -(-len(ids) // 37)


def test_geo_clause_is_honoured_in_miles_and_km(server: SimServer, hs: SimControl) -> None:
    truth = truth_of(hs, "US")
    kent = (47.3809, -122.2348)
    us = Client(server, "US")
    for unit, distance in (("mi", 30), ("km", 48.28), ("mi", 1000)):
        geo = {"lat": kent[0], "lng": kent[1], "unit": unit, "distance": distance}
        cards, _ = us.crawl(geo=geo)
        radius_mi = distance if unit == "mi" else distance / KM_PER_MILE
        near = {r["job_id"] for r in truth if miles(kent, (r["lat"], r["lng"])) <= radius_mi}
        assert {c["jobId"] for c in cards} == near
        assert 0 < len(near) < len(truth)
    nowhere = {"lat": 0.0, "lng": 0.0, "unit": "mi", "distance": 30}
    assert us.page(geo=nowhere) == {"nextToken": None, "jobCards": []}
    assert len(us.crawl(geo=None)[0]) == len(truth)  # null: country-wide


def test_keywords_private_and_first_day_filters_are_honoured(
    server: SimServer, hs: SimControl
) -> None:
    truth = truth_of(hs, "US")
    today = hs.state()["date"]
    us = Client(server, "US")

    def ids(**request: Any) -> set[str]:
        return {c["jobId"] for c in us.crawl(**request)[0]}

    assert ids(key_words="  ShOpPeR ") == {
        r["job_id"] for r in truth if "shopper" in r["title"].lower()
    }
    public = {r["job_id"] for r in truth if not r["private_schedule"]}
    assert ids(private=["false"]) == public and len(public) < len(truth)
    assert ids(private=["true"]) == {r["job_id"] for r in truth} - public
    upcoming = {r["job_id"] for r in truth if r["first_day_on_site"] >= today}
    assert ids(start_date=today) == upcoming and len(upcoming) < len(truth)
    page_like = ids(private=["false"], start_date=today)
    assert page_like == public & upcoming
    assert ids() == {r["job_id"] for r in truth}  # neutral: everything


def test_next_token_is_tied_to_its_variables(server: SimServer, hs: SimControl) -> None:
    ca, other = Client(server, "CA"), Client(server, "CA")
    first = ca.page(page_size=20)
    nxt = first["nextToken"]
    assert nxt and ca.page(page_size=20, next_token=nxt)["jobCards"]
    assert other.page(page_size=20, next_token=nxt)["jobCards"]  # not tied to a session
    for changed in (
        {"key_words": "Yard"},
        {"private": ["false"]},
        {"geo": {"lat": 43.73, "lng": -79.76, "unit": "mi", "distance": 30}},
        {"page_size": 50},
    ):
        request: dict[str, Any] = {"page_size": 20, **changed}
        resp = ca.post(search_body("CA", next_token=nxt, **request))
        assert resp.status == 400 and "nextToken" in errors_of(resp)[0]["message"], changed
    for bad in ("%%%", "bm9wZQ", encode_next_token("IE", 0, 20, 2, "0" * 16)):
        resp = ca.post(search_body("CA", page_size=20, next_token=bad))
        assert resp.status == 400 and "nextToken" in errors_of(resp)[0]["message"]


def test_next_token_pages_the_day_the_chain_began(server: SimServer, hs: SimControl) -> None:
    ca = Client(server, "CA")
    first = ca.page(page_size=30)
    hs.set_day(15)  # the board moves mid-pagination
    cards, nxt = first["jobCards"], first["nextToken"]
    while nxt:
        result = ca.page(page_size=30, next_token=nxt)
        cards += result["jobCards"]
        nxt = result["nextToken"]
    day0 = [r["job_id"] for r in hs.truth(day=0, source="amazon_hourly") if r["site"] == "CA"]
    assert sorted(c["jobId"] for c in cards) == day0


def test_require_geo_fault_refuses_country_wide_and_wide_queries(
    server: SimServer, hs: SimControl
) -> None:
    hs.set_faults(hourly_require_geo={"IE": 100})
    ie = Client(server, "IE")
    resp = ie.post(search_body("IE"))
    assert resp.status == 400 and errors_of(resp)[0]["message"] == "geoQueryClause is required"
    dublin = {"lat": 53.35, "lng": -6.26}
    for geo in (
        {**dublin, "unit": "mi", "distance": 101},
        {**dublin, "unit": "km", "distance": 170},
    ):
        resp = ie.post(search_body("IE", geo=geo))
        assert resp.status == 400
        assert errors_of(resp)[0]["message"] == "distance must be at most 100 mi"
    within = ie.crawl(geo={**dublin, "unit": "km", "distance": 160})[0]
    expected = {
        r["job_id"]
        for r in truth_of(hs, "IE")
        if miles((53.35, -6.26), (r["lat"], r["lng"])) <= 160 / KM_PER_MILE
    }
    assert {c["jobId"] for c in within} == expected and expected
    assert Client(server, "UK").post(search_body("UK")).status == 200  # only IE requires it


def test_schedule_cards_match_the_schedule_count(server: SimServer, hs: SimControl) -> None:
    truth = truth_of(hs, "UK", jobs=True)
    uk = Client(server, "UK")
    for r in truth[:5]:
        resp = uk.post(schedule_body("UK", r["job_id"]))
        assert resp.status == 200
        result = resp.json()["data"]["searchScheduleCards"]
        cards = result["scheduleCards"]
        assert result["nextToken"] is None and len(cards) == r["card"]["scheduleCount"]
        assert {c["jobId"] for c in cards} == {r["job_id"]}
        assert len({c["scheduleId"] for c in cards}) == len(cards)
        for c in cards:
            assert {"scheduleText", "hireStartDate", "address", "basePay", "basePayL10N"} <= set(c)
            assert c["totalPayRateL10N"].startswith("£") and c["currencyCode"] == "GBP"
            assert c["hoursPerWeek"] > 0
        again = uk.post(schedule_body("UK", r["job_id"])).json()
        assert again["data"]["searchScheduleCards"]["scheduleCards"] == cards  # deterministic
    for unknown in ("JOB-UK-9999999999", truth_of(hs, "IE")[0]["job_id"]):
        empty = uk.post(schedule_body("UK", unknown)).json()["data"]["searchScheduleCards"]
        assert empty == {"nextToken": None, "scheduleCards": []}
    assert uk.post(schedule_body("UK", truth[0]["job_id"]), cookie=None).status == 403
    assert hs.state()["hourly"]["requests"]["UK"]["schedules"] == 12


def test_appsync_origin_answers_cors_and_preflight(server: SimServer, hs: SimControl) -> None:
    uk = Client(server, "UK")
    site_origin = server.hourly_urls["UK"]
    assert uk.post(search_body("UK"), origin=uk.appsync).status == 404  # off by default
    hs.set_faults(hourly_appsync=["UK"])
    assert f'"graphqlUrl": "{server.hourly.appsync_urls["UK"]}/graphql"' in (
        uk.site.get("/app.js").body.decode()
    )
    preflight = uk.appsync.request(
        "OPTIONS",
        "/graphql",
        headers={
            "origin": site_origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type,country,iscanary",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == site_origin
    allowed = {h.strip() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "country", "iscanary"} <= allowed
    assert "POST" in preflight.headers["access-control-allow-methods"]
    resp = uk.post(search_body("UK"), origin=uk.appsync, cookie=None)
    assert resp.status == 200 and resp.headers["access-control-allow-origin"] == site_origin
    assert resp.json()["data"]["searchJobCardsByLocation"]["jobCards"]
    refused = uk.post(search_body("UK"), origin=uk.appsync, authorization=None)
    assert refused.status == 401 and refused.headers["access-control-allow-origin"] == site_origin
    assert uk.post(search_body("UK")).status == 404  # the site origin's /graphql is gone


# -- cards, titles, truth, evolution --------------------------------------------------------------


def test_cards_carry_the_reference_fields(hs: SimControl) -> None:
    truth = hs.truth(source="amazon_hourly", jobs=True)
    assert len(QUERY_FIELDS) == 39
    for r in truth:
        card, key = r["card"], r["site"]
        assert list(card) == QUERY_FIELDS + LATER_FIELDS
        assert re.fullmatch(rf"JOB-{key}-\d{{10}}", card["jobId"])
        assert card["language"] == LOCALES[key] and card["currencyCode"] == SITES[key].currency
        assert card["jobType"] in ("Full Time", "Part Time", "Flex Time", "Reduced Time")
        assert 0 < card["totalPayRateMin"] <= card["totalPayRateMax"]
        for f in ("totalPayRateMin", "totalPayRateMax"):
            assert card[f + "L10N"] == f"{SYMBOL[key]}{card[f]:,.2f}"
        assert card["scheduleCount"] >= 1 and card["payFrequency"] == "HOURLY"
        assert r["title"] == card["jobTitle"]


def test_truth_lines_carry_filter_facts_and_real_titles(hs: SimControl) -> None:
    truth = hs.truth(source="amazon_hourly")
    today = dt.date.fromisoformat(hs.state()["date"])
    for r in truth:
        place = [p for p in SITES[r["site"]].places if (p.lat, p.lng) == (r["lat"], r["lng"])]
        assert place, r
        assert isinstance(r["private_schedule"], bool)
        dt.date.fromisoformat(r["first_day_on_site"])
    private = sum(r["private_schedule"] for r in truth) / len(truth)
    past = sum(dt.date.fromisoformat(r["first_day_on_site"]) < today for r in truth) / len(truth)
    assert 0.02 < private < 0.09 and 0.06 < past < 0.15
    assert {r["title"] for r in truth} >= REAL_TITLES


def test_the_world_is_deterministic_per_seed() -> None:
    a, b, c = (
        HourlyWorld(seed=3, size=200),
        HourlyWorld(seed=3, size=200),
        HourlyWorld(seed=4, size=200),
    )

    def snapshot(w: HourlyWorld, day: int) -> list[Any]:
        out = []
        for r in w.truth(day):
            idx = w.index_of(r["job_id"])
            out.append((r, w.card_json(idx, r["revision"]), w.schedule_cards(idx, r["revision"])))
        return out

    for day in (0, 5, 40):
        assert snapshot(a, day) == snapshot(b, day)
    assert snapshot(a, 5) != snapshot(c, 5)


def test_the_board_evolves_day_by_day(server: SimServer, hs: SimControl) -> None:
    world = server.hourly.world
    seen = {"new": 0, "removed": 0, "relisted": 0, "edited": 0}
    prev = {r["job_id"]: r for r in hs.truth(day=0, source="amazon_hourly", jobs=True)}
    for day in range(1, 16):
        cur = {r["job_id"]: r for r in hs.truth(day=day, source="amazon_hourly", jobs=True)}
        events: dict[str, set[str]] = {k: set() for k in seen}
        for key in SITES:
            for kind, ids in world.events(key, day).items():
                events[kind] |= set(ids)
        assert set(cur) - set(prev) == events["new"] | events["relisted"]
        assert set(prev) - set(cur) == events["removed"]
        for j in events["edited"]:
            assert cur[j]["revision"] == prev[j]["revision"] + 1
            assert cur[j]["card"] != prev[j]["card"]
        for kind in seen:
            seen[kind] += len(events[kind])
        prev = cur
    assert all(seen.values()), seen
    hs.set_day(15)
    cards, _ = Client(server, "IE").crawl()
    assert {c["jobId"] for c in cards} == {j for j, r in prev.items() if r["site"] == "IE"}


def test_corporate_truth_is_unchanged_by_the_source_parameter(hs: SimControl) -> None:
    plain = hs.get("/_sim/truth", {"day": 2}).body
    assert hs.get("/_sim/truth", {"day": 2, "source": "amazon_jobs"}).body == plain
    assert b"JOB-" not in plain
    assert hs.get("/_sim/truth", {"source": "nope"}).status == 400


# -- pure filter functions ------------------------------------------------------------------------


def test_filter_functions_are_pure_and_exact() -> None:
    assert great_circle_km((0, 0), (0, 1)) == pytest.approx(111.195, rel=1e-4)
    assert great_circle_km((47.38, -122.23), (47.38, -122.23)) == 0
    facts = Facts("Yard Associate", 47.3809, -122.2348, False, dt.date(2026, 7, 10))
    near = GeoClause(47.0968, -122.6313, "mi", 30)  # DuPont, ~27 mi from Kent
    assert matches(SearchFilter(geo=near), facts)
    assert not matches(SearchFilter(geo=GeoClause(47.0968, -122.6313, "km", 30)), facts)
    assert matches(SearchFilter(keywords="yard"), facts)
    assert not matches(SearchFilter(keywords="shopper"), facts)
    assert not matches(SearchFilter(private=frozenset({True})), facts)
    assert matches(SearchFilter(start_date=dt.date(2026, 7, 10)), facts)
    assert not matches(SearchFilter(start_date=dt.date(2026, 7, 11)), facts)
    parsed = parse_filter(
        {
            "keyWords": None,
            "containFilters": [{"key": "isPrivateSchedule", "val": ["false"]}],
            "dateFilters": [{"key": "firstDayOnSite", "range": {"startDate": "2026-07-01"}}],
            "geoQueryClause": {"lat": 1, "lng": 2, "unit": "km", "distance": 10},
        }
    )
    assert parsed == SearchFilter(
        GeoClause(1.0, 2.0, "km", 10.0), "", frozenset({False}), dt.date(2026, 7, 1), None
    )
    for bad in ({"keyWords": 3}, {"containFilters": "x"}, {"geoQueryClause": {"lat": "1"}}):
        with pytest.raises(QueryError):
            parse_filter(bad)


# -- faults --------------------------------------------------------------------------------------


def test_graphql_error_fault_after_some_pages(server: SimServer, hs: SimControl) -> None:
    hs.set_faults(hourly_graphql_error=["UK"], hourly_error_after_pages=2)
    uk = Client(server, "UK")
    nxt = None
    for _ in range(2):  # pages 1 and 2 answer
        nxt = uk.page(page_size=20, next_token=nxt)["nextToken"]
    for _ in range(2):  # page 3 fails, also when retried
        resp = uk.post(search_body("UK", page_size=20, next_token=nxt))
        assert resp.status == 500 and errors_of(resp)[0]["errorType"] == "InternalFailure"
    assert Client(server, "US").post(search_body("US")).status == 200
    hourly = hs.state()["hourly"]
    assert hourly["injected"] == {"graphql_error": 2, "graphql_hang": 0}
    assert hourly["requests"]["UK"]["graphql_500"] == 2


def test_graphql_hang_fault_holds_only_that_site(server: SimServer, hs: SimControl) -> None:
    hs.set_faults(hourly_graphql_hang=["CA"])
    ca, ie = Client(server, "CA"), Client(server, "IE")
    with pytest.raises((TimeoutError, socket.timeout)):
        ca.post(search_body("CA"), timeout=1.0)
    assert ie.post(search_body("IE")).status == 200
    assert ca.site.get("/app").status == 200
    assert hs.state()["hourly"]["injected"]["graphql_hang"] == 1


def test_stop_releases_hanging_requests() -> None:
    srv = make_server(size=50, horizon=5, hourly_size=40, faults={"hourly_graphql_hang": ["US"]})
    srv.start_in_thread()
    us = Client(srv, "US")
    with pytest.raises((TimeoutError, socket.timeout)):
        us.post(search_body("US"), timeout=0.5)
    srv.stop()  # returns although a handler is still waiting
    assert srv.hourly._stopping.is_set()


def test_cli_serves_the_hourly_origins(start_sim: Any) -> None:
    sim = start_sim(size=200, horizon=10, hourly_size=80, hourly_page_size=7)
    state = sim.state()["hourly"]
    assert set(state["urls"]) == set(state["auth_urls"]) == set(SITES)
    ie = SimControl(state["urls"]["IE"])
    assert '"pageSize": 7' in ie.get("/app.js").body.decode()
    assert (
        SimControl(state["auth_urls"]["IE"]).get("/api/csrf", {"countryCode": "IE"}).status == 200
    )
