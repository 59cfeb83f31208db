"""``jobtracker probe --hourly``: the hourly sites' contract, checked in Chromium as the
``amazon_hourly`` spider reads it (docs: README, "amazon_hourly").

Per country site, one page load and at most four calls from inside the page: the page loads
(no 403), the page fetched an anonymous token and a new one can be had, the page made its own
search call (or the documented request is used), a country-wide query answers with job cards of
the expected shape (or is refused, and a tile is accepted instead), and ``nextToken`` leads to a
second page. A DRIFT that would make a crawl of the site unsafe (blocked, no token, another
answer shape, ``nextToken`` not honoured) is marked so.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jobtracker.browser import (
    PageCallError,
    PageWatch,
    SiteSession,
    chromium,
    close_page,
    context_options,
    open_session,
)
from jobtracker.probe import Check, ProbeReport
from jobtracker.site_status import block_reason, browser_unreachable_reason
from jobtracker.sources.amazon_hourly import (
    HOURLY_SITES,
    CardsPayloadError,
    HourlySite,
    JobCardsPage,
    around,
    card_job_id,
    country_wide,
    parse_job_cards_payload,
)

#: Card fields the spider and the store read (a card without them is another shape).
CARD_FIELDS = (
    "jobId",
    "jobTitle",
    "city",
    "state",
    "locationName",
    "totalPayRateMin",
    "totalPayRateMax",
    "currencyCode",
)


def cards_problem(page: JobCardsPage) -> str | None:
    """What is wrong with an answer's cards for the crawler, or None."""
    if page.errors:
        return f"errors: {'; '.join(page.errors)}"
    for card in page.cards:
        missing = [name for name in CARD_FIELDS if name not in card]
        if card_job_id(card) is None or missing:
            return f"a card without {', '.join(missing) or 'jobId'}"
    return None


async def ask_page(session: SiteSession, variables: dict[str, Any], token: str | None) -> Any:
    """One listing page from inside the page: a decoded page or a one-line problem."""
    body = session.template.with_variables(variables).page(token)
    try:
        text = await session.ask(body, "the probe's query")
    except PageCallError as exc:
        return str(exc)
    try:
        return parse_job_cards_payload(text)
    except CardsPayloadError as exc:
        return f"not a listing answer: {exc}"


async def probe_site(
    browser: Any, site: HourlySite, origin: str, user_agent: str, timeout: float
) -> list[Check]:
    """The checks of one country site (each row named after it: ``US token``, ...)."""
    checks: list[Check] = []

    def add(name: str, expected: str, seen: str, ok: bool, unsafe: bool = False) -> None:
        checks.append(Check(f"{site.key} {name}", expected, seen, ok, unsafe))

    context = await browser.new_context(**context_options(site, user_agent))
    page = await context.new_page()
    watch = PageWatch()
    page.on("request", watch.on_request)
    try:
        try:
            response = await page.goto(
                site.search_url(origin), wait_until="domcontentloaded", timeout=timeout * 1000
            )
        except Exception as exc:
            why = browser_unreachable_reason(str(exc)) or str(exc).splitlines()[0][:120]
            add("page", "the job search loads", f"no answer: {why}", False, True)
            return checks
        status = response.status if response is not None else 0
        body = await response.body() if response is not None else b""
        blocked = block_reason(
            status, response.headers.get("content-type", "") if response else "", body
        )
        add("page", "HTTP 200, not blocked", blocked or f"HTTP {status}", blocked is None, True)
        if blocked is not None:
            return checks
        try:
            session = await open_session(
                site,
                page,
                watch,
                f"{origin}/graphql",
                first_call_timeout=min(10.0, timeout),
                timeout=timeout,
            )
            await session.renew_token()
        except PageCallError as exc:
            add("token", "GET /api/csrf answers a token", str(exc), False, True)
            return checks
        add("token", "GET /api/csrf answers a token", "a token, renewed once", True)
        taken = session.template.taken_from
        add(
            "search call",
            "the page's own searchJobCardsByLocation",
            "captured" if taken == "page" else "none: the documented request is used",
            True,
        )
        variables = country_wide(session.template.variables)
        expected, shape = "a query without geo clause answers", "jobCards {jobId, jobTitle, ...}"
        first = await ask_page(session, variables, None)
        if isinstance(first, str):
            add("whole country", expected, first, False, True)
            return checks
        if first.errors:  # the spider tiles such a site: a drift it copes with
            add("whole country", expected, "; ".join(first.errors), False)
            box = site.boxes[0]
            point = ((box[0] + box[1]) / 2, (box[2] + box[3]) / 2)
            variables = around(variables, point, 100.0)
            first = await ask_page(session, variables, None)
        else:
            add("whole country", expected, "answered", True)
        problem = first if isinstance(first, str) else cards_problem(first)
        if isinstance(first, str) or problem is not None:
            add("answer shape", shape, str(problem), False, True)
            return checks
        add("answer shape", shape, f"{len(first.cards)} cards", True)
        if first.next_token is None:
            add("nextToken", "leads to the next page", f"null after {len(first.cards)} cards", True)
            return checks
        second = await ask_page(session, variables, first.next_token)
        problem = second if isinstance(second, str) else cards_problem(second)
        if problem is None and not second.cards:
            problem = "an empty page"
        add(
            "nextToken",
            "leads to the next page",
            problem or f"{len(second.cards)} more cards",
            problem is None,
            True,
        )
        return checks
    finally:
        await close_page(page)


async def probe_hourly(
    sites: list[str],
    origins: dict[str, str],
    *,
    launch: dict[str, Any],
    user_agent: str,
    timeout: float,
) -> ProbeReport:
    """Probe each of ``sites`` in one Chromium (``launch``: Playwright's launch options)."""
    report = ProbeReport("each of the hourly sites " + ", ".join(sites), "-")
    async with chromium(launch) as browser:
        for key in sites:
            site = HOURLY_SITES[key]
            origin = origins.get(key, site.origin).rstrip("/")
            report.checks.extend(await probe_site(browser, site, origin, user_agent, timeout))
    return report


def run_hourly_probe(sites: list[str], origins: dict[str, str], timeout: float) -> ProbeReport:
    """Probe with the crawler's browser and User-Agent (``jobtracker.settings``)."""
    from jobtracker.settings import PLAYWRIGHT_LAUNCH_OPTIONS, USER_AGENT

    return asyncio.run(
        probe_hourly(
            sites, origins, launch=PLAYWRIGHT_LAUNCH_OPTIONS, user_agent=USER_AGENT, timeout=timeout
        )
    )
