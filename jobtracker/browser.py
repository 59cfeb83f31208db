"""The hourly sites' pages, driven as little as a visitor would: what a page asks for by itself
(its token endpoint, its first search call) and calls made from inside it with ``fetch``, so the
page's origin, cookies (the WAF's) and token go with them. No Scrapy here: the
``amazon_hourly`` spider and ``jobtracker probe --hourly`` share it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jobtracker.site_status import block_reason
from jobtracker.sources.amazon_hourly import (
    OPERATION,
    HourlySite,
    SearchTemplate,
    template_from_capture,
    template_from_contract,
    token_of,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page
    from playwright.async_api import Request as BrowserRequest

logger = logging.getLogger(__name__)

#: The consent dialog's "Accept all" button (docs/sites.md).
CONSENT_BUTTON = 'button[data-test-id="consentBtn"]'
#: Seconds a page that went quiet without a search call is still given to make one.
QUIET_GRACE = 1.5
#: Where the page keeps its anonymous token.
TOKEN_STORAGE_KEY = "sessionToken"

#: Runs inside the page: one HTTP call with the page's cookies, aborted after ``timeout`` ms;
#: resolves to ``{status, type, text}`` (status 0 and ``error`` when no answer came).
FETCH_JS = """
async ({url, method, headers, body, timeout}) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    const response = await fetch(url, {method, headers, body, credentials: "include",
                                       cache: "no-store", signal: controller.signal});
    return {status: response.status, type: response.headers.get("content-type") || "",
            text: await response.text()};
  } catch (error) {
    return {status: 0, type: "", text: "",
            error: controller.signal.aborted ? "timeout" : String(error)};
  } finally {
    clearTimeout(timer);
  }
}
"""


class PageCallError(Exception):
    """A call made from a site's page got no usable answer; ``kind`` names it for the stats
    (``timeout``, ``blocked``, ``token``, ``graphql_failed``, ...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class PageWatch:
    """What the page asks for by itself: its first search call and its token endpoint.

    Registered as the page's ``request`` handler before navigation."""

    search: asyncio.Future[BrowserRequest] = field(
        default_factory=lambda: asyncio.get_event_loop().create_future()
    )
    token_url: str | None = None

    def on_request(self, request: BrowserRequest) -> None:
        path = request.url.split("?", 1)[0]
        if request.method == "GET" and path.endswith("/api/csrf"):
            self.token_url = request.url
        elif (
            request.method == "POST"
            and path.endswith("/graphql")
            and OPERATION in (request.post_data or "")
            and not self.search.done()
        ):
            self.search.set_result(request)


@dataclass
class SiteSession:
    """Calls made from inside one site's page, under its token (renewed once when refused)."""

    page: Page
    template: SearchTemplate
    token_url: str | None
    timeout: float

    async def call(self, url: str, method: str, headers: dict[str, str], body: Any) -> Any:
        """One ``fetch`` from the page; ``{status, type, text[, error]}``."""
        arguments = {
            "url": url,
            "method": method,
            "headers": headers,
            "body": None if body is None else json.dumps(body),
            "timeout": int(self.timeout * 1000),
        }
        try:
            return await asyncio.wait_for(
                self.page.evaluate(FETCH_JS, arguments), self.timeout + 10
            )
        except Exception as exc:  # the page crashed or closed, or the browser is gone
            raise PageCallError("graphql_failed", f"the page could not call: {exc}") from None

    async def renew_token(self) -> str:
        """A new anonymous token from the endpoint the page took its own from."""
        if self.token_url is None:
            raise PageCallError("token", "the page fetched no anonymous token to renew")
        answer = await self.call(self.token_url, "GET", {}, None)
        try:
            token = json.loads(answer["text"])["token"]
        except (ValueError, KeyError, TypeError):
            token = None
        blocked = block_reason(answer["status"], answer["type"], answer["text"].encode())
        if blocked is not None:
            raise PageCallError("blocked", f"blocked: {blocked} for the token endpoint")
        if answer["status"] != 200 or not isinstance(token, str) or not token:
            raise PageCallError("token", f"token endpoint answered HTTP {answer['status']}")
        self.template = self.template.with_token(token)
        return token

    async def ask(self, body: dict[str, Any], what: str) -> str:
        """POST ``body`` to the site's GraphQL endpoint and return the answer's text; a refused
        token (401, or a 403 that may be one) is renewed once and the call made again."""
        renewed = False
        while True:
            answer = await self.call(self.template.url, "POST", self.template.headers, body)
            status = answer["status"]
            if status == 0:
                kind = "timeout" if answer.get("error") == "timeout" else "graphql_failed"
                raise PageCallError(kind, f"no answer to {what}: {answer.get('error')}")
            if status in (401, 403) and not renewed:
                logger.info("%s answered HTTP %d: renewing the token once", what, status)
                await self.renew_token()
                renewed = True
                continue
            blocked = block_reason(status, answer["type"], answer["text"].encode())
            if blocked is not None:
                raise PageCallError("blocked", f"blocked: {blocked} for {what}")
            if status == 401:
                raise PageCallError("token", f"{what}: the renewed token was refused too")
            if status not in (200, 400):
                said = error_messages(answer["text"])
                message = f"{what} answered HTTP {status}" + (f": {said}" if said else "")
                raise PageCallError("graphql_failed", message)
            return answer["text"]


async def first_search_call(page: Page, watch: PageWatch, timeout: float) -> BrowserRequest | None:
    """The page's first search call; None once the page has gone quiet without making one
    (no network activity for half a second, then ``QUIET_GRACE`` s more), or after
    ``timeout`` s."""

    async def quiet() -> None:
        with contextlib.suppress(Exception):  # a closed page: the grace still applies
            await page.wait_for_load_state("networkidle", timeout=timeout * 1000)
        await asyncio.sleep(QUIET_GRACE)

    waiting = asyncio.ensure_future(quiet())
    try:
        await asyncio.wait(
            {asyncio.shield(watch.search), waiting},
            timeout=timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
    finally:
        waiting.cancel()
    return watch.search.result() if watch.search.done() else None


def context_options(site: HourlySite, user_agent: str | None) -> dict[str, Any]:
    """A browser context that looks like a visitor's of ``site``: its locale and time zone, and
    a real browser's user agent (the sites refuse HeadlessChrome's)."""
    options: dict[str, Any] = {"locale": site.locale, "timezone_id": site.timezone}
    if user_agent:
        options["user_agent"] = user_agent
    return options


async def open_session(
    site: HourlySite,
    page: Page,
    watch: PageWatch,
    graphql_url: str,
    *,
    first_call_timeout: float,
    timeout: float,
) -> SiteSession:
    """The listing request to replay: the page's own first search call, or, when the page makes
    none (the US site's location modal holds it back), the documented one to ``graphql_url``
    under the page's token."""
    request = await first_search_call(page, watch, first_call_timeout)
    if request is not None:
        template = template_from_capture(
            request.url, await request.all_headers(), request.post_data
        )
        if template is not None:
            return SiteSession(page, template, watch.token_url, timeout)
        logger.warning("Site %s: the page's search call is not readable", site.key)
    logger.info(
        "Site %s: the page made no search call within %g s; using the documented request",
        site.key,
        first_call_timeout,
    )
    token = await stored_token(page)
    template = template_from_contract(site, graphql_url, token or "")
    session = SiteSession(page, template, watch.token_url, timeout)
    if token is None:
        await session.renew_token()
    return session


def error_messages(text: str) -> str:
    """The ``errors`` of a GraphQL answer, in one line ("" if the text has none)."""
    try:
        errors = json.loads(text).get("errors") or []
    except (ValueError, AttributeError):
        return ""
    messages = [str(e.get("message") if isinstance(e, dict) else e) for e in errors]
    return "; ".join(messages)[:300]


async def stored_token(page: Page) -> str | None:
    """The anonymous token the page keeps in ``localStorage``, if any."""
    try:
        value = await page.evaluate(f"() => localStorage.getItem({TOKEN_STORAGE_KEY!r})")
    except Exception:  # a page without storage access
        return None
    return token_of(value) or (value if isinstance(value, str) and value else None)


async def accept_consent(page: Page) -> bool:
    """Accept the consent dialog if it covers the page, as a visitor would; False if the site
    shows none (or it went away meanwhile)."""
    button = page.locator(CONSENT_BUTTON)
    try:
        if await button.count() and await button.first.is_visible():
            await button.first.click(timeout=5000)
            return True
    except Exception as exc:  # the dialog went away meanwhile
        logger.debug("The consent dialog could not be accepted: %s", exc)
    return False


async def close_page(page: Page) -> None:
    """Close a page and its browser context (one context per site and run)."""
    try:
        await page.close()
        await page.context.close()
    except Exception as exc:  # the browser may already be gone at shutdown
        logger.debug("Closing a browser page failed: %s", exc)


@asynccontextmanager
async def chromium(launch: dict[str, Any]) -> AsyncIterator[Browser]:
    """A Chromium launched with Playwright's ``launch`` options, closed on the way out (for a
    caller without Scrapy: the probe)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch)
        try:
            yield browser
        finally:
            await browser.close()
