"""The simulated hourly sites (hiring.amazon.com family) over real HTTP: the JS-only shell, the
anonymous token, searchJobCardsByLocation paging against the ground truth, evolution of the
hourly board, fault knobs, the command line, and one real Chromium run of the page's script."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobsim.hourly import SITES, HourlyWorld
from jobsim.hourly_http import AUTH_PREFIX, encode_next_token
from jobsim.hourly_spa import SEARCH_QUERY
from jobsim.server import SimServer, make_server
from tests.support.sim import HttpResponse, SimControl

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
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
    ctl = SimControl(server.url)
    ctl.reset()
    try:
        yield ctl
    finally:
        ctl.reset()


def site(server: SimServer, key: str) -> SimControl:
    return SimControl(server.hourly_urls[key])


def post_json(
    ctl: SimControl, path: str, body: Any, headers: dict[str, str] | None = None, **kw: Any
) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ctl.request(
        "POST", path, raw, {"content-type": "application/json", **(headers or {})}, **kw
    )


def new_token(ctl: SimControl) -> str:
    resp = post_json(ctl, "/api/anonymous-session", {})
    assert resp.status == 200
    body = resp.json()
    assert body["expiresIn"] == 3600
    return body["token"]


def search_body(key: str, page_size: int = 50, next_token: str | None = None) -> dict[str, Any]:
    s = SITES[key]
    req: dict[str, Any] = {
        "locale": s.locale,
        "country": s.country,
        "keyWords": "",
        "geoQueryClause": {"lat": s.center[0], "lng": s.center[1], "unit": "mi", "distance": 200},
        "equalFilters": [],
        "consolidateSchedule": True,
        "containFilters": [{"key": "isPrivateSchedule", "val": ["true", "false"]}],
        "dateFilters": [],
        "orFilters": [],
        "pageSize": page_size,
        "rangeFilters": [],
        "sorters": [{"fieldName": "totalPayRateMax", "ascending": False}],
    }
    if next_token is not None:
        req["nextToken"] = next_token
    return {
        "operationName": "searchJobCardsByLocation",
        "variables": {"searchJobRequest": req},
        "query": SEARCH_QUERY,
    }


def gql(
    ctl: SimControl,
    key: str,
    token: str,
    body: Any,
    country: str | None = None,
    timeout: float = 60.0,
) -> HttpResponse:
    headers = {
        "authorization": AUTH_PREFIX + token,
        "country": SITES[key].country if country is None else country,
        "iscanary": "false",
    }
    return post_json(ctl, "/graphql", body, headers, timeout=timeout)


def crawl(
    ctl: SimControl, key: str, page_size: int = 50
) -> tuple[list[dict[str, Any]], list[str | None]]:
    """Every card of a site through GraphQL paging; returns (cards, nextTokens seen)."""
    token = new_token(ctl)
    cards: list[dict[str, Any]] = []
    tokens: list[str | None] = []
    nxt = None
    while True:
        resp = gql(ctl, key, token, search_body(key, page_size, nxt))
        assert resp.status == 200, resp.body[:300]
        result = resp.json()["data"]["searchJobCardsByLocation"]
        assert list(resp.json()["data"]["searchJobCardsByLocation"]) == ["nextToken", "jobCards"]
        cards += result["jobCards"]
        nxt = result["nextToken"]
        tokens.append(nxt)
        if nxt is None:
            return cards, tokens
        assert len(result["jobCards"]) == page_size


def errors_of(resp: HttpResponse) -> list[dict[str, Any]]:
    body = resp.json()
    assert list(body) == ["errors"] and body["errors"], body
    return body["errors"]


# -- shell, script, token ------------------------------------------------------------------------


def test_shell_and_script_carry_no_job_data(server: SimServer, hs: SimControl) -> None:
    assert set(server.hourly_urls) == {"US", "CA", "UK", "IE"}
    assert hs.hourly_urls() == server.hourly_urls
    assert len(set(server.hourly_urls.values())) == 4  # one origin per site
    for key in SITES:
        ctl = site(server, key)
        for path in ("/app", "/app/"):
            resp = ctl.get(path)
            assert resp.status == 200 and resp.headers["content-type"].startswith("text/html")
            html = resp.body.decode()
            assert '<div id="root"></div>' in html and '<script src="/app.js">' in html
            assert "JOB-" not in html and "job-card" not in html
        js = ctl.get("/app.js")
        assert js.status == 200 and "javascript" in js.headers["content-type"]
        text = js.body.decode()
        assert "JOB-" not in text
        assert '"pageSize": 20' in text and f'"country": "{SITES[key].country}"' in text
        assert "http://" not in text and "https://" not in text  # own origin only
        robots = ctl.get("/robots.txt").body.decode()
        assert "Allow: /app" in robots and "Allow: /graphql" in robots
        assert ctl.get("/app/jobSearch.json").status == 404
        assert ctl.get("/graphql").status == 404


def test_graphql_needs_the_sites_own_token(server: SimServer, hs: SimControl) -> None:
    us, ca = site(server, "US"), site(server, "CA")
    body = search_body("US")
    for headers in (
        {},
        {"authorization": AUTH_PREFIX},
        {"authorization": AUTH_PREFIX + "not-a-token"},
        {"authorization": "Bearer " + new_token(us)},
        {"authorization": AUTH_PREFIX + new_token(ca)},  # another site's token
    ):
        resp = post_json(us, "/graphql", body, {"country": "United States", **headers})
        assert resp.status == 401
        assert errors_of(resp)[0]["errorType"] == "UnauthorizedException"
    token = new_token(us)
    assert token != new_token(us)  # random per call
    assert gql(us, "US", token, body).status == 200


def test_graphql_refuses_bad_requests(server: SimServer, hs: SimControl) -> None:
    uk = site(server, "UK")
    token = new_token(uk)
    ok = search_body("UK")
    unknown_op = dict(ok, operationName="searchScheduleCards", query="query searchScheduleCards(")
    no_vars = dict(ok, variables={})
    wrong_country = search_body("UK")
    wrong_country["variables"]["searchJobRequest"]["country"] = "Ireland"
    bad_size = search_body("UK", page_size=0)
    for body in (b"{not json", b"[]", unknown_op, no_vars, wrong_country, bad_size):
        resp = gql(uk, "UK", token, body)
        assert resp.status == 400, body
        assert errors_of(resp)[0]["message"]
    assert gql(uk, "UK", token, ok, country="United States").status == 400
    assert gql(uk, "UK", token, ok, country="").status == 400
    for nxt in ("%%%", "bm9wZQ", encode_next_token("IE", 0, 20, 2)):
        resp = gql(uk, "UK", token, search_body("UK", next_token=nxt))
        assert resp.status == 400 and "nextToken" in errors_of(resp)[0]["message"]
    big = gql(uk, "UK", token, search_body("UK", page_size=500)).json()
    assert len(big["data"]["searchJobCardsByLocation"]["jobCards"]) == 100  # capped


# -- the board against the truth -----------------------------------------------------------------


def test_paging_through_each_site_equals_the_truth(server: SimServer, hs: SimControl) -> None:
    truth = hs.truth(source="amazon_hourly", jobs=True)
    assert [r["job_id"] for r in truth] == sorted(r["job_id"] for r in truth)
    assert hs.state()["hourly"]["live"] == {k: sum(r["site"] == k for r in truth) for k in SITES}
    for key in SITES:
        cards, tokens = crawl(site(server, key), key, page_size=37)
        expected = {r["job_id"]: r for r in truth if r["site"] == key}
        ids = [c["jobId"] for c in cards]
        assert len(ids) == len(set(ids)) == len(expected) > 0
        assert {c["jobId"]: c for c in cards} == {k: r["card"] for k, r in expected.items()}
        assert ids == sorted(ids, key=lambda j: (-expected[j]["card"]["totalPayRateMax"], j))
        assert len(tokens) == -(-len(ids) // 37) and tokens[-1] is None
        for r in expected.values():
            assert r["country_code"] == SITES[key].alpha3
            assert r["title"] == r["card"]["jobTitle"]
            assert r["first_day"] <= r["span_start_day"] <= 0
    sizes = hs.state()["hourly"]["live"]
    assert 550 <= sum(sizes.values()) <= 650
    assert sizes["US"] > sizes["UK"] > sizes["CA"] > sizes["IE"]


def test_cards_carry_the_reference_fields(hs: SimControl) -> None:
    truth = hs.truth(source="amazon_hourly", jobs=True)
    assert len(QUERY_FIELDS) == 39
    for r in truth:
        card, key = r["card"], r["site"]
        assert list(card) == QUERY_FIELDS + LATER_FIELDS
        assert re.fullmatch(rf"JOB-{key}-\d{{10}}", card["jobId"])
        assert card["language"] == LOCALES[key]
        assert card["currencyCode"] == SITES[key].currency
        assert card["jobType"] in ("Full Time", "Part Time", "Flex Time", "Reduced Time")
        assert card["employmentType"] in ("Regular", "Seasonal")
        assert card["jobTypeL10N"] == card["jobType"]
        assert 0 < card["totalPayRateMin"] <= card["totalPayRateMax"]
        for f in ("totalPayRateMin", "totalPayRateMax"):
            assert card[f + "L10N"] == f"{SYMBOL[key]}{card[f]:,.2f}"
        assert (
            (card["bonusPay"] is None) == (card["bonusPayL10N"] is None) == (not card["bonusJob"])
        )
        assert card["scheduleCount"] >= 1
        assert card["virtualLocation"] is False and card["payFrequency"] == "HOURLY"
        assert card["monthlyBasePayMin"] is None and card["monthlyBasePayMaxL10N"] is None
        if key in ("US", "CA"):
            assert re.fullmatch(r"[A-Z]{2}", card["state"])
        else:
            assert len(card["state"]) > 3  # a county or region name
        assert card["postalCode"] and card["city"] in card["locationName"]


def test_the_world_is_deterministic_per_seed() -> None:
    a, b, c = (
        HourlyWorld(seed=3, size=200),
        HourlyWorld(seed=3, size=200),
        HourlyWorld(seed=4, size=200),
    )

    def snapshot(w: HourlyWorld, day: int) -> list[Any]:
        return [(r, w.card_json(w.index_of(r["job_id"]), r["revision"])) for r in w.truth(day)]

    for day in (0, 5, 40):
        assert snapshot(a, day) == snapshot(b, day)
    assert snapshot(a, 5) != snapshot(c, 5)


def test_the_board_evolves_day_by_day(server: SimServer, hs: SimControl) -> None:
    world = server.hourly.world
    seen = {"new": 0, "removed": 0, "relisted": 0, "edited": 0}
    edit_kinds: set[str] = set()
    prev = {r["job_id"]: r for r in hs.truth(day=0, source="amazon_hourly", jobs=True)}
    for day in range(1, 21):
        cur = {r["job_id"]: r for r in hs.truth(day=day, source="amazon_hourly", jobs=True)}
        events = {k: set() for k in seen}
        for key in SITES:
            for kind, ids in world.events(key, day).items():
                events[kind] |= set(ids)
        assert set(cur) - set(prev) == events["new"] | events["relisted"]
        assert set(prev) - set(cur) == events["removed"]
        for j in events["new"]:
            assert cur[j]["first_day"] == cur[j]["span_start_day"] == day
        for j in events["relisted"]:
            assert cur[j]["span_start_day"] == day and cur[j]["first_day"] < day
        for j in events["edited"]:
            assert cur[j]["revision"] == prev[j]["revision"] + 1
            assert cur[j]["card"] != prev[j]["card"]  # a real content change
            changed = {f for f in cur[j]["card"] if cur[j]["card"][f] != prev[j]["card"][f]}
            edit_kinds |= changed
        for j in set(cur) & set(prev) - events["edited"]:
            assert cur[j]["card"] == prev[j]["card"]
        for kind in seen:
            seen[kind] += len(events[kind])
        prev = cur
    assert all(seen.values()), seen
    assert {"totalPayRateMax", "scheduleCount", "jobTitle", "jobType"} <= edit_kinds

    # The served board follows the served day.
    hs.set_day(20)
    cards, _ = crawl(site(server, "IE"), "IE")
    assert {c["jobId"] for c in cards} == {j for j, r in prev.items() if r["site"] == "IE"}


def test_next_token_pages_the_day_it_started_on(server: SimServer, hs: SimControl) -> None:
    ca = site(server, "CA")
    token = new_token(ca)
    first = gql(ca, "CA", token, search_body("CA", 30)).json()["data"]["searchJobCardsByLocation"]
    hs.set_day(15)  # the board moves mid-pagination
    cards = first["jobCards"]
    nxt = first["nextToken"]
    while nxt:
        page = gql(ca, "CA", token, search_body("CA", 30, nxt)).json()
        cards += page["data"]["searchJobCardsByLocation"]["jobCards"]
        nxt = page["data"]["searchJobCardsByLocation"]["nextToken"]
    day0 = [r["job_id"] for r in hs.truth(day=0, source="amazon_hourly") if r["site"] == "CA"]
    assert sorted(c["jobId"] for c in cards) == day0


def test_corporate_truth_is_unchanged_by_the_source_parameter(hs: SimControl) -> None:
    plain = hs.get("/_sim/truth", {"day": 2}).body
    assert hs.get("/_sim/truth", {"day": 2, "source": "amazon_jobs"}).body == plain
    assert b"JOB-" not in plain
    assert hs.get("/_sim/truth", {"source": "nope"}).status == 400


# -- faults --------------------------------------------------------------------------------------


def test_graphql_error_fault_after_some_pages(server: SimServer, hs: SimControl) -> None:
    state = hs.set_faults(hourly_graphql_error=["UK"], hourly_error_after_pages=2)
    assert state["faults"]["hourly_graphql_error"] == ["UK"]
    uk = site(server, "UK")
    token = new_token(uk)
    nxt = None
    for _ in range(2):  # pages 1 and 2 answer
        resp = gql(uk, "UK", token, search_body("UK", 20, nxt))
        assert resp.status == 200
        nxt = resp.json()["data"]["searchJobCardsByLocation"]["nextToken"]
    for _ in range(2):  # page 3 fails, also when retried
        resp = gql(uk, "UK", token, search_body("UK", 20, nxt))
        assert resp.status == 500 and errors_of(resp)[0]["errorType"] == "InternalFailure"
    us = site(server, "US")
    assert gql(us, "US", new_token(us), search_body("US", 20)).status == 200  # other sites fine
    hourly = hs.state()["hourly"]
    assert hourly["injected"] == {"graphql_error": 2, "graphql_hang": 0}
    assert hourly["requests"]["UK"]["graphql_500"] == 2

    hs.set_faults(hourly_graphql_error=["UK"])  # from the first page on
    assert gql(uk, "UK", token, search_body("UK", 20)).status == 500
    for bad in ({"hourly_graphql_error": ["FR"]}, {"hourly_error_after_pages": -1}):
        with pytest.raises(ValueError):
            hs.control(faults=bad)


def test_graphql_hang_fault_holds_only_that_site(server: SimServer, hs: SimControl) -> None:
    hs.set_faults(hourly_graphql_hang=["CA"])
    ca, ie = site(server, "CA"), site(server, "IE")
    token = new_token(ca)
    with pytest.raises((TimeoutError, socket.timeout)):
        gql(ca, "CA", token, search_body("CA"), timeout=1.0)
    assert gql(ie, "IE", new_token(ie), search_body("IE")).status == 200
    assert ca.get("/app").status == 200  # the origin still answers other requests
    assert hs.state()["hourly"]["injected"]["graphql_hang"] == 1


def test_stop_releases_hanging_requests() -> None:
    srv = make_server(size=50, horizon=5, hourly_size=40, faults={"hourly_graphql_hang": ["US"]})
    srv.start_in_thread()
    us = SimControl(srv.hourly_urls["US"])
    with pytest.raises((TimeoutError, socket.timeout)):
        gql(us, "US", new_token(us), search_body("US"), timeout=0.5)
    srv.stop()  # returns although a handler is still waiting
    assert srv.hourly._stopping.is_set()


# -- command line --------------------------------------------------------------------------------


def test_cli_prints_the_hourly_origins(start_sim: Any) -> None:
    sim = start_sim(size=200, horizon=10, hourly_size=80, hourly_page_size=7)
    urls = sim.hourly_urls()
    assert set(urls) == set(SITES)
    ie = SimControl(urls["IE"])
    assert '"pageSize": 7' in ie.get("/app.js").body.decode()
    truth = sim.truth(source="amazon_hourly")
    assert sum(r["site"] == "IE" for r in truth) == sim.state()["hourly"]["live"]["IE"]
    cards, _ = crawl(ie, "IE", page_size=100)
    assert sorted(c["jobId"] for c in cards) == [r["job_id"] for r in truth if r["site"] == "IE"]


# -- the page's own script in Chromium -----------------------------------------------------------


@pytest.fixture
def in_browser() -> Callable[[Callable[[Any], None]], None]:
    """Run ``scenario(page)`` in a fresh Chromium page, in a worker thread: the test session's
    asyncio reactor already runs a loop in this thread, which Playwright's sync API refuses."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")

    def run(scenario: Callable[[Any], None]) -> None:
        failure: list[BaseException] = []

        def target() -> None:
            try:
                with sync_api.sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    try:
                        scenario(browser.new_page())
                    finally:
                        browser.close()
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=target, name="browser-test")
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive(), "browser scenario did not finish"
        if failure:
            raise failure[0]

    return run


def rendered_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all("li.job-card", "els => els.map(e => e.dataset.jobId)")


def test_browser_renders_every_card_by_clicking_more_results(
    server: SimServer, hs: SimControl, in_browser: Callable[[Callable[[Any], None]], None]
) -> None:
    truth = [r["job_id"] for r in hs.truth(source="amazon_hourly") if r["site"] == "IE"]
    seen: dict[str, Any] = {}

    def scenario(page: Any) -> None:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        origin = server.hourly_urls["IE"]
        page.goto(origin + "/app#/other")
        page.wait_for_selector("body[data-search-state=idle]", state="attached", timeout=20_000)
        assert rendered_ids(page) == []
        page.goto(origin + "/app#/jobSearch")
        clicks = 0
        while True:
            page.wait_for_selector(
                "body[data-search-state=ready] #load-more, body[data-search-state=done], "
                "body[data-search-state=error]",
                timeout=20_000,
            )
            state = page.evaluate("document.body.dataset.searchState")
            if state != "ready":
                break
            page.click("#load-more")
            clicks += 1
        assert state == "done" and page.query_selector("#load-more") is None
        seen.update(ids=rendered_ids(page), clicks=clicks, requests=requests, origin=origin)

    in_browser(scenario)
    ids, clicks = seen["ids"], seen["clicks"]
    assert len(ids) == len(set(ids)) and sorted(ids) == truth
    assert clicks == -(-len(truth) // 20) - 1 >= 1
    assert all(u.startswith(seen["origin"]) for u in seen["requests"])  # its own origin only
    assert hs.state()["hourly"]["requests"]["IE"]["graphql"] == clicks + 1


def test_browser_shows_no_data_when_graphql_fails_or_hangs(
    server: SimServer, hs: SimControl, in_browser: Callable[[Callable[[Any], None]], None]
) -> None:
    def scenario(page: Any) -> None:
        hs.set_faults(hourly_graphql_hang=["IE"])
        page.goto(server.hourly_urls["IE"] + "/app#/jobSearch")
        page.wait_for_selector("body[data-search-state=loading]", state="attached", timeout=20_000)
        page.wait_for_timeout(1500)
        assert page.evaluate("document.body.dataset.searchState") == "loading"
        assert rendered_ids(page) == [] and page.query_selector("#load-more") is None

        hs.set_faults(hourly_graphql_error=["UK"], hourly_error_after_pages=1)
        page.goto(server.hourly_urls["UK"] + "/app#/jobSearch")
        page.wait_for_selector("body[data-search-state=ready] #load-more", timeout=20_000)
        assert len(rendered_ids(page)) == 20
        page.click("#load-more")
        page.wait_for_selector("body[data-search-state=error] #search-error", timeout=20_000)
        assert len(rendered_ids(page)) == 20 and page.query_selector("#load-more") is None

    in_browser(scenario)
