"""Is the site there, and is it letting us in? (pure; shared by the spider and ``jobtracker
probe``)

Three outcomes must never look like an empty board (docs: README, "Exit status"):

- **unreachable**: no answer at all (DNS failure, connection refused, timeouts; the spiders
  tell it from the download error, :func:`jobtracker.spiders.base.unreachable_reason`);
- **blocked**: an answer that refuses the client: HTTP 403, or the HTML block page a CDN or
  WAF serves with status 200 (CloudFront's "The request could not be satisfied", AWS WAF's
  "Request blocked", Amazon's robot check);
- anything else is an ordinary answer (a soft error, a 5xx, malformed JSON), retried as usual.
"""

from __future__ import annotations

import re

#: Statuses that refuse the client (never retried: asking again does not help).
BLOCK_STATUSES = (403,)

#: Phrases of the block pages CDNs and WAFs serve, with status 200 or 403.
_BLOCK_PAGE_RE = re.compile(
    r"request blocked|the request could not be satisfied|access denied|robot check|"
    r"not a robot|captcha|automated access",
    re.IGNORECASE,
)


def block_reason(status: int, content_type: str, body: bytes) -> str | None:
    """Why this answer refuses the client ("HTTP 403", "HTML block page (HTTP 200)"), or None.

    A 403 always does. A 200 does when it is an HTML page with a block page's wording where
    JSON was asked for (a transient HTML error page, "Service Unavailable", does not)."""
    if status in BLOCK_STATUSES:
        return f"HTTP {status}"
    if status != 200 or "html" not in content_type.lower():
        return None
    text = body[:20_000].decode("utf-8", errors="replace")
    if _BLOCK_PAGE_RE.search(text):
        return f"HTML block page (HTTP {status})"
    return None


def user_agent(browser: str, suffix: str) -> str:
    """The User-Agent the crawl sends: a browser-like part (the site refuses clients without
    one) and a suffix saying who crawls (``JOBTRACKER_USER_AGENT_SUFFIX``; empty drops it)."""
    return f"{browser.strip()} {suffix.strip()}".strip()


#: Chromium's network errors that mean no answer at all, and how the run names them.
_BROWSER_UNREACHABLE = {
    "ERR_NAME_NOT_RESOLVED": "DNS lookup failed",
    "ERR_NAME_RESOLUTION_FAILED": "DNS lookup failed",
    "ERR_CONNECTION_REFUSED": "connection refused",
    "ERR_CONNECTION_TIMED_OUT": "timed out",
    "ERR_TIMED_OUT": "timed out",
    "ERR_ADDRESS_UNREACHABLE": "address unreachable",
    "ERR_INTERNET_DISCONNECTED": "no network",
    "ERR_CONNECTION_RESET": "connection reset",
    "ERR_EMPTY_RESPONSE": "empty response",
}


def browser_unreachable_reason(message: str) -> str | None:
    """Why a browser's navigation error (``net::ERR_CONNECTION_REFUSED at http://...``) means
    the site gave no answer at all, or None for any other error."""
    for code, reason in _BROWSER_UNREACHABLE.items():
        if f"net::{code}" in message:
            return reason
    return None
