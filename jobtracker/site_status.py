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

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)
from twisted.internet import error as twisted_errors


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
