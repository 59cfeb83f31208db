"""Is the site there, and is it letting us in? (pure; shared by the spider and ``jobtracker
probe``)

Three outcomes must never look like an empty board (docs: README, "Exit status"):

- **unreachable**: no answer at all (DNS failure, connection refused, timeouts);
- **blocked**: an answer that refuses the client: HTTP 403, or the HTML block page a CDN or
  WAF serves with status 200 (CloudFront's "The request could not be satisfied", AWS WAF's
  "Request blocked", Amazon's robot check);
- anything else is an ordinary answer (a soft error, a 5xx, malformed JSON), retried as usual.
"""

from __future__ import annotations

import re

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)
from twisted.internet import error as twisted_errors

#: Statuses that refuse the client (never retried: asking again does not help).
BLOCK_STATUSES = (403,)

#: Phrases of the block pages CDNs and WAFs serve, with status 200 or 403.
_BLOCK_PAGE_RE = re.compile(
    r"request blocked|the request could not be satisfied|access denied|robot check|"
    r"not a robot|captcha|automated access",
    re.IGNORECASE,
)


def unreachable_reason(exc: BaseException) -> str | None:
    """Why ``exc`` means the site gave no answer at all ("connection refused", "DNS lookup
    failed", ...), or None for any other failure."""
    if isinstance(exc, DownloadConnectionRefusedError | twisted_errors.ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, CannotResolveHostError | twisted_errors.DNSLookupError):
        return "DNS lookup failed"
    if isinstance(exc, DownloadTimeoutError | twisted_errors.TimeoutError):
        return "timed out"
    if isinstance(exc, twisted_errors.ConnectError):
        return f"cannot connect: {exc.__class__.__name__}"
    return None


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
