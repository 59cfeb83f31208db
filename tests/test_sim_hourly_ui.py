"""The simulated hourly sites' page, driven in Chromium as a person would (Playwright directly, not
the jobtracker spider): the consent dialog covers the page, the US guided-location modal holds the
search back, more jobs come by scrolling (there is no "more results" button), and a person who
accepts, closes or answers the modal and scrolls to the end sees only the jobs near a place on US
and CA, but the whole country (less past first days) on UK. Every browser context is closed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobsim.hourly import SITES, great_circle_km
from jobsim.server import SimServer, make_server
from tests.support.sim import SimControl, reset_around

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PAGE_SIZE = 10
KM_PER_MILE = 1.609344
WAIT_MS = 20_000
CONSENT = '[data-test-id="consentDialog"]'
MODAL = '[data-test-id="guidedSearchModal"]'

Scenario = Callable[[Any], None]


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    """An in-process simulator whose pages ask for 10 jobs a page (so scrolling matters)."""
    srv = make_server(size=300, horizon=60, hourly_page_size=PAGE_SIZE).start_in_thread()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def hs(server: SimServer) -> Iterator[SimControl]:
    """The corporate origin's client, reset (day 0, no faults, counters zeroed) around the test."""
    with reset_around(SimControl(server.url)) as ctl:
        yield ctl


@pytest.fixture
def browse() -> Callable[..., None]:
    """``browse(scenario, user_agent=...)``: run ``scenario(context)`` in a fresh Chromium
    context (locale, time zone and a non-headless agent set), closed afterwards, in a worker
    thread: the session's asyncio reactor runs a loop in this thread, which Playwright's sync
    API refuses."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")

    def run(scenario: Scenario, user_agent: str | None = USER_AGENT) -> None:
        failure: list[BaseException] = []

        def target() -> None:
            try:
                with sync_api.sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    try:
                        options: dict[str, Any] = {
                            "locale": "en-US",
                            "timezone_id": "America/New_York",
                            "viewport": {"width": 1280, "height": 720},
                        }
                        if user_agent is not None:
                            options["user_agent"] = user_agent
                        context = browser.new_context(**options)
                        try:
                            scenario(context)
                        finally:
                            context.close()
                    finally:
                        browser.close()
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=target, name="browser-test")
        worker.start()
        worker.join(timeout=240)
        assert not worker.is_alive(), "browser scenario did not finish"
        if failure:
            raise failure[0]

    return run


# -- what a person does ---------------------------------------------------------------------------


def state(page: Any) -> str:
    return page.evaluate("document.body.dataset.searchState || ''")


def rendered_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all("li.job-card", "els => els.map(e => e.dataset.jobId)")


def accept_consent(page: Any) -> None:
    page.wait_for_selector(CONSENT, timeout=WAIT_MS)
    page.click('[data-test-id="consentBtn"]')
    page.wait_for_selector(CONSENT, state="detached", timeout=WAIT_MS)


def scroll_to_end(page: Any, max_rounds: int = 400) -> str:
    """Scroll with the mouse wheel until the list says it is done (or failed)."""
    page.mouse.move(640, 360)
    for _ in range(max_rounds):
        now = state(page)
        if now in ("done", "error"):
            return now
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(100)
    return state(page)


def graphql_calls(hs: SimControl, key: str) -> int:
    return hs.state()["hourly"]["requests"][key].get("graphql", 0)


def nearby(
    truth: list[dict[str, Any]], point: tuple[float, float], miles: float = 30
) -> list[dict[str, Any]]:
    return [
        r
        for r in truth
        if great_circle_km(point, (r["lat"], r["lng"])) <= miles * KM_PER_MILE + 1e-9
    ]


def as_the_page_filters(truth: list[dict[str, Any]], key: str, today: str) -> set[str]:
    """The postings the page's own filters let through (private schedules on US/CA only)."""
    return {
        r["job_id"]
        for r in truth
        if r["first_day_on_site"] >= today and (key in ("UK", "IE") or not r["private_schedule"])
    }


def no_more_button(page: Any) -> None:
    assert page.query_selector("#load-more") is None
    labels = page.eval_on_selector_all("button", "bs => bs.map(b => b.textContent)")
    assert not [t for t in labels if "more" in t.lower()], labels


# -- tests ----------------------------------------------------------------------------------------


def test_consent_dialog_covers_the_page_until_accepted(
    server: SimServer, hs: SimControl, browse: Callable[..., None]
) -> None:
    def scenario(context: Any) -> None:
        page = context.new_page()
        page.goto(server.hourly_urls["UK"] + "/app?locale=en-GB&country=GBR#/jobSearch")
        page.wait_for_selector(CONSENT, timeout=WAIT_MS)
        page.wait_for_function(
            "document.body.dataset.searchState === 'ready'", timeout=WAIT_MS
        )  # the script loads jobs behind the dialog
        assert len(rendered_ids(page)) == PAGE_SIZE
        on_top = page.evaluate(
            "(() => { const e = document.elementFromPoint(640, 360);"
            " return !!e.closest('[data-test-id=\"consentDialog\"]'); })()"
        )
        assert on_top
        with pytest.raises(Exception, match=r"intercepts pointer events|Timeout"):
            page.click("li.job-card", timeout=1500)
        page.mouse.move(640, 360)
        page.mouse.wheel(0, 5000)
        page.wait_for_timeout(500)
        assert page.evaluate("window.scrollY") == 0  # the wheel lands on the overlay
        assert graphql_calls(hs, "UK") == 1
        accept_consent(page)
        assert page.evaluate("localStorage.getItem('hvhCookieConsent')") == "accepted"
        page.reload()
        page.wait_for_function("document.body.dataset.searchState === 'ready'", timeout=WAIT_MS)
        assert page.query_selector(CONSENT) is None  # remembered

    browse(scenario)


def test_us_guided_modal_holds_the_search_until_a_place_is_given(
    server: SimServer, hs: SimControl, browse: Callable[..., None]
) -> None:
    truth = [r for r in hs.truth(source="amazon_hourly") if r["site"] == "US"]
    today = hs.state()["date"]
    joliet = next(p for p in SITES["US"].places if p.city == "Joliet")
    bodies: list[dict[str, Any]] = []

    def scenario(context: Any) -> None:
        page = context.new_page()
        page.on(
            "request",
            lambda r: (
                bodies.append(json.loads(r.post_data)) if r.url.endswith("/graphql") else None
            ),
        )
        page.goto(server.hourly_urls["US"] + "/app#/jobSearch")
        accept_consent(page)
        page.wait_for_selector(MODAL, timeout=WAIT_MS)
        page.wait_for_timeout(1000)
        assert graphql_calls(hs, "US") == 0 and not bodies and rendered_ids(page) == []
        assert state(page) == "idle" and page.query_selector("#job-cards") is None
        page.fill('[data-test-id="guidedSearchInput"]', "Atlantis")
        page.click('[data-test-id="guidedSearchSubmit"]')
        page.wait_for_selector('[data-test-id="guidedSearchError"]:visible', timeout=WAIT_MS)
        assert graphql_calls(hs, "US") == 0
        page.fill('[data-test-id="guidedSearchInput"]', "60436")  # Joliet's zipcode
        page.click('[data-test-id="guidedSearchSubmit"]')
        assert scroll_to_end(page) == "done"
        seen = set(rendered_ids(page))
        expected = as_the_page_filters(nearby(truth, (joliet.lat, joliet.lng)), "US", today)
        assert seen == expected and 0 < len(seen) < len(truth)
        geo_info = json.loads(page.evaluate("localStorage.getItem('geoInfo')"))
        assert (geo_info["lat"], geo_info["lng"]) == (joliet.lat, joliet.lng)

        other = context.new_page()  # same context: geoInfo is remembered, no modal
        other.goto(server.hourly_urls["US"] + "/app#/jobSearch")
        other.wait_for_selector("li.job-card", timeout=WAIT_MS)
        assert other.query_selector(MODAL) is None
        other.close()

    browse(scenario)
    first = bodies[0]["variables"]["searchJobRequest"]
    assert first["geoQueryClause"] == {
        "lat": joliet.lat,
        "lng": joliet.lng,
        "unit": "mi",
        "distance": 30,
    }
    assert first["containFilters"] == [{"key": "isPrivateSchedule", "val": ["false"]}]
    assert first["dateFilters"] == [{"key": "firstDayOnSite", "range": {"startDate": today}}]
    assert first["pageSize"] == PAGE_SIZE and first["keyWords"] == ""
    assert first["sorters"] == [{"fieldName": "totalPayRateMax", "ascending": "false"}]
    assert "nextToken" not in first and bodies[1]["variables"]["searchJobRequest"]["nextToken"]


def test_infinite_scroll_loads_more_and_there_is_no_button(
    server: SimServer, hs: SimControl, browse: Callable[..., None]
) -> None:
    def scenario(context: Any) -> None:
        page = context.new_page()
        page.goto(server.hourly_urls["UK"] + "/app#/jobSearch")
        accept_consent(page)
        page.wait_for_function("document.body.dataset.searchState === 'ready'", timeout=WAIT_MS)
        page.wait_for_timeout(500)
        assert len(rendered_ids(page)) == PAGE_SIZE and graphql_calls(hs, "UK") == 1
        no_more_button(page)
        page.mouse.move(640, 360)
        page.mouse.wheel(0, 20_000)
        page.wait_for_function(
            f"document.querySelectorAll('li.job-card').length > {PAGE_SIZE}", timeout=WAIT_MS
        )
        assert graphql_calls(hs, "UK") >= 2
        no_more_button(page)

    browse(scenario)


def test_a_person_sees_only_nearby_jobs_on_us_and_ca_but_the_country_on_uk(
    server: SimServer, hs: SimControl, browse: Callable[..., None]
) -> None:
    truth = hs.truth(source="amazon_hourly")
    today = hs.state()["date"]
    seen: dict[str, set[str]] = {}

    def scenario(context: Any) -> None:
        for key in ("US", "CA", "UK"):
            page = context.new_page()
            page.goto(server.hourly_urls[key] + "/app#/jobSearch")
            accept_consent(page)  # consent is kept per origin: each site asks
            if key == "US":
                page.click('[data-test-id="guidedSearchClose"]')  # → the default place
            assert scroll_to_end(page) == "done"
            no_more_button(page)
            ids = rendered_ids(page)
            assert len(ids) == len(set(ids))
            seen[key] = set(ids)
            page.close()

    browse(scenario)
    for key in ("US", "CA"):
        site_truth = [r for r in truth if r["site"] == key]
        home = SITES[key].places[SITES[key].default_place]
        expected = as_the_page_filters(nearby(site_truth, (home.lat, home.lng)), key, today)
        assert seen[key] == expected, key
        assert 0 < len(seen[key]) < len(site_truth) / 2, key  # a fraction of the country
    uk_truth = [r for r in truth if r["site"] == "UK"]
    assert seen["UK"] == as_the_page_filters(uk_truth, "UK", today)
    assert len(seen["UK"]) > 0.8 * len(uk_truth)


def test_a_headless_chrome_agent_gets_no_job_list(
    server: SimServer, hs: SimControl, browse: Callable[..., None]
) -> None:
    def scenario(context: Any) -> None:
        page = context.new_page()
        assert "HeadlessChrome" in page.evaluate("navigator.userAgent")
        page.goto(server.hourly_urls["IE"] + "/app#/jobSearch")
        page.wait_for_selector("body[data-search-state=error] #search-error", timeout=WAIT_MS)
        assert rendered_ids(page) == []

    browse(scenario, user_agent=None)
    assert hs.state()["hourly"]["requests"]["IE"]["graphql_403"] == 1


def test_the_page_uses_the_appsync_origin_across_origins(
    server: SimServer, hs: SimControl, browse: Callable[..., None]
) -> None:
    hs.set_faults(hourly_appsync=["IE"])
    urls: list[str] = []

    def scenario(context: Any) -> None:
        page = context.new_page()
        page.on("request", lambda r: urls.append(r.url) if "/graphql" in r.url else None)
        page.goto(server.hourly_urls["IE"] + "/app#/jobSearch")
        accept_consent(page)
        assert scroll_to_end(page) == "done"
        assert rendered_ids(page)

    browse(scenario)
    assert urls and all(u.startswith(server.hourly.appsync_urls["IE"]) for u in urls)
    assert hs.state()["hourly"]["requests"]["IE"]["preflight"] >= 1


def test_the_page_renews_an_expired_token_once(
    server: SimServer, hs: SimControl, browse: Callable[..., None]
) -> None:
    hs.set_faults(hourly_token_ttl=1)

    def scenario(context: Any) -> None:
        page = context.new_page()
        page.goto(server.hourly_urls["UK"] + "/app#/jobSearch")
        accept_consent(page)
        page.wait_for_function("document.body.dataset.searchState === 'ready'", timeout=WAIT_MS)
        hs.set_faults()  # tokens issued from now on live an hour
        page.wait_for_timeout(2100)  # the page's token has expired
        assert scroll_to_end(page) == "done"

    browse(scenario)
    requests = hs.state()["hourly"]["requests"]["UK"]
    assert requests["graphql_401"] >= 1 and requests["csrf"] >= 2
