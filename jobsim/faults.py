"""Fault injection for the simulated ``search.json`` and hourly ``/graphql`` (all knobs off by
default).

Decisions are deterministic per (``fault_seed``, canonical URL, attempt number of that URL), so a
retry of the same URL gets a fresh roll and a rerun of the same request sequence gets the same
faults. Burst and ``advance_day_after`` knobs count search requests since the config was set.
The site-misbehaviour knobs (``hide_fraction``, ``empty_listing_categories``,
``vanish_categories``, ``vanish_all``) change what the corporate site shows, never the ground
truth (``/_sim/truth``). The ``hourly_*`` knobs are applied by ``hourly_http`` (deterministic per
site and page number). The contract-drift knobs (``facets_missing`` ... ``window_error_400``, at
the end of :class:`FaultConfig`) change how the site answers, never what it holds.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jobsim.hourly import SITE_KEYS

#: Names of the injected-fault counters (``/_sim/state`` -> ``injected``).
KINDS = (
    "429",
    "burst_503",
    "5xx",
    "fail_pattern",
    "malformed",
    "truncated",
    "soft_error",
    "empty_page",
    "slow",
    "advance_day",
    "empty_listing",
)

SOFT_ERROR = "An error occurred while processing your request. Please try again later."
MALFORMED_HTML = (
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    "<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    "request. Please try again later.</p></body></html>\n"
)
MALFORMED_JSON = '{"error":null,"hits":'
#: What CloudFront serves a client it refuses (403, or 200 with ``block_with_200``).
BLOCK_PAGE = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" '
    '"http://www.w3.org/TR/html4/loose.dtd">\n<HTML><HEAD><META HTTP-EQUIV="Content-Type" '
    'CONTENT="text/html; charset=iso-8859-1">\n<TITLE>ERROR: The request could not be '
    "satisfied</TITLE>\n</HEAD><BODY>\n<H1>403 ERROR</H1>\n<H2>The request could not be "
    'satisfied.</H2>\n<HR noshade size="1px">\nRequest blocked.\nWe can\'t connect to the '
    "server for this app or website at this time. There might be too much traffic or a "
    "configuration error. Try again later, or contact the app or website owner.\n</BODY></HTML>\n"
)


class FaultConfig(BaseModel):
    """Fault knobs; every one is off by default. Rates are probabilities per attempt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate_429: float = Field(0.0, ge=0, le=1, description="answer 429 with Retry-After")
    retry_after: int = Field(1, ge=0, description="Retry-After seconds of a 429")
    burst_5xx_every: int = Field(0, ge=0, description="every N-th search request starts a burst")
    burst_5xx_len: int = Field(3, ge=1, description="consecutive 503s in a burst")
    rate_5xx: float = Field(0.0, ge=0, le=1, description="answer a 500/502/503/504")
    rate_malformed: float = Field(0.0, ge=0, le=1, description="200 with an invalid JSON body")
    rate_truncated: float = Field(0.0, ge=0, le=1, description="200 with the body cut in half")
    rate_soft_error: float = Field(0.0, ge=0, le=1, description="200, jobs [] and an error string")
    rate_empty_page: float = Field(0.0, ge=0, le=1, description="200, valid, normal hits, jobs []")
    slow_ms: int = Field(0, ge=0, le=120_000, description="delay of a slow response")
    rate_slow: float = Field(1.0, ge=0, le=1, description="share of responses delayed by slow_ms")
    fail_pattern: str | None = Field(
        None,
        min_length=1,
        description="query substring: such requests with offset > 0 always answer 500",
    )
    advance_day_after: int | None = Field(
        None, ge=1, description="after N search requests the served day advances by one, once"
    )
    hide_fraction: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of the live postings the corporate site stops showing, chosen per "
        "posting by (fault_seed, id_icims) alone, so the same postings stay hidden on every day "
        "they are live (sustained partial hiding); listings, hits, facets, id lookups and detail "
        "pages agree, as after a site change or a silent failure; the ground truth is unaffected",
    )
    empty_listing_categories: list[str] = Field(
        default_factory=list,
        description="business_category values whose search filter is broken: a search.json "
        "request filtered by one of them (business_category[]=value) answers a valid page for "
        "that value (error null, hits 0, jobs [], facets counted over nothing; the real "
        "response shape), while requests not filtered by it (the facet call of a full crawl) "
        "still count its postings and detail pages and id lookups still find them; the ground "
        "truth is unaffected (counted as injected 'empty_listing')",
    )
    vanish_categories: list[str] = Field(
        default_factory=list,
        description="business_category values that disappear from the corporate site "
        "altogether (facets, hits, listings, keyword search, detail pages), as if Amazon had "
        "removed them, while the ground truth still has them live",
    )
    vanish_all: bool = Field(
        False,
        description="the whole corporate board vanishes: every search answers a valid page "
        "with hits 0, jobs [] and empty facets, detail pages answer 404 (a silent site "
        "failure); the ground truth is unaffected",
    )
    fault_seed: int = Field(0, description="seed of the fault rolls")
    hourly_graphql_error: list[str] = Field(
        default_factory=list,
        description="hourly sites (US, CA, UK, IE) whose POST /graphql answers HTTP 500 with an "
        "AppSync errors body",
    )
    hourly_graphql_hang: list[str] = Field(
        default_factory=list,
        description="hourly sites whose POST /graphql never answers (held open until the "
        "simulator stops, at most 600 s, then 504)",
    )
    hourly_error_after_pages: int | None = Field(
        None,
        ge=0,
        description="with the two knobs above: pages 1..N of a search answer normally and only "
        "page N+1 on fails or hangs (page = position in the nextToken chain; None or 0: all)",
    )
    hourly_token_ttl: int | None = Field(
        None,
        ge=0,
        description="lifetime in seconds of the anonymous tokens the hourly auth origins issue "
        "while set (exp = iat + ttl, whole seconds); None: 3600",
    )
    hourly_block: list[str] = Field(
        default_factory=list,
        description="hourly sites whose every GraphQL call answers the WAF's 403 HTML page (a "
        "blocked client or IP), whatever the cookie",
    )
    hourly_appsync: list[str] = Field(
        default_factory=list,
        description="hourly sites whose page posts GraphQL to their cross-origin AppSync-like "
        "origin (CORS, preflight); their own /graphql then answers 404",
    )
    hourly_require_geo: dict[str, float] = Field(
        default_factory=dict,
        description="per hourly site, the largest geoQueryClause distance in miles it accepts; "
        "such a site answers 400 to a search without geoQueryClause or with a larger distance",
    )
    # -- hostile content (security tests; jobsim/hostile.py, docs/security.md) -----
    hostile_postings: int = Field(
        0,
        ge=0,
        description="the N live postings with the smallest id_icims are served with hostile "
        "text: terminal escapes in the title, CSV formulas in labels and the description",
    )
    # -- contract drift of the corporate site (issue 14; docs: README "jobtracker probe") ---
    facets_missing: bool = Field(
        False,
        description="search.json answers 'facets': {} even when facets[] are asked (as one "
        "collector saw on 2026-07-25); hits and listings are unchanged",
    )
    facets_lie_categories: list[str] = Field(
        default_factory=list,
        description="business_category values the business_category facet leaves out (facets "
        "that lie): their postings are still counted by hits and the country facet, listed, "
        "and found by their own category filter",
    )
    category_filter_zero: bool = Field(
        False,
        description="every search.json request filtered by business_category[] answers a "
        "valid page with hits 0 and no jobs (as one collector reported), whatever the value; "
        "requests not filtered by category are unchanged",
    )
    blocked_user_agents: list[str] = Field(
        default_factory=list,
        description="User-Agent substrings (case-insensitive) the site refuses on every path: "
        "HTTP 403 with a CDN block page (or 200, see block_with_200)",
    )
    block_everyone: bool = Field(False, description="every client is refused like that")
    block_with_200: bool = Field(
        False,
        description="refused clients get the CDN's HTML block page with status 200, not 403",
    )
    window_error_400: bool = Field(
        False,
        description="past the result window: HTTP 400 (same JSON body) instead of HTTP 200 "
        "with the soft error (as one collector reported)",
    )

    def blocks(self, user_agent: str) -> bool:
        """Whether the site refuses a client with this User-Agent (``blocked_user_agents``,
        ``block_everyone``)."""
        agent = user_agent.lower()
        return self.block_everyone or any(
            part.lower() in agent for part in self.blocked_user_agents if part
        )

    @field_validator(
        "hourly_graphql_error",
        "hourly_graphql_hang",
        "hourly_block",
        "hourly_appsync",
        "hourly_require_geo",
    )
    @classmethod
    def _known_sites(cls, sites: Any) -> Any:
        unknown = sorted(set(sites) - set(SITE_KEYS))
        if unknown:
            raise ValueError(f"unknown hourly sites {unknown}; known: {list(SITE_KEYS)}")
        return sites

    @field_validator("hourly_require_geo")
    @classmethod
    def _positive_distances(cls, limits: dict[str, float]) -> dict[str, float]:
        if any(not v > 0 for v in limits.values()):
            raise ValueError("hourly_require_geo distances must be positive (miles)")
        return limits

    def hides(self, id_icims: str) -> bool:
        """Whether ``hide_fraction`` hides this posting (stable per fault_seed and id)."""
        if not self.hide_fraction:
            return False
        raw = f"{self.fault_seed}|hide|{id_icims}".encode()
        unit = int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big") / 2.0**64
        return unit < self.hide_fraction

    def shows(self, id_icims: str, business_category: str) -> bool:
        """Whether the site shows this live posting at all (``vanish_all``,
        ``vanish_categories`` and ``hide_fraction``; the same answer every day)."""
        if self.vanish_all or business_category in self.vanish_categories:
            return False
        return not self.hides(id_icims)

    def changes_the_board(self) -> bool:
        """Whether any knob removes live postings from what the site shows."""
        return bool(self.hide_fraction or self.vanish_all or self.vanish_categories)

    def active(self) -> dict[str, Any]:
        """The knobs that differ from the defaults."""
        return self.model_dump(exclude_defaults=True)


@dataclass(slots=True)
class Decision:
    """What to do with one search request."""

    kind: str | None = None  # one of KINDS except "slow"/"advance_day"; None = serve normally
    status: int = 200
    delay_s: float = 0.0
    advance_day: bool = False
    variant: float = 0.0  # a roll to choose among variants (e.g. which malformed body)


def canonical_url(path: str, params: list[tuple[str, str]]) -> str:
    """Path plus the query pairs sorted: the identity of a request for fault rolls."""
    return path + "?" + urlencode(sorted(params))


class FaultInjector:
    """Holds the fault config and its counters (thread-safe)."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.config = config or FaultConfig()
        self.injected: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._reset_sequence()

    def _reset_sequence(self) -> None:
        self._attempts: dict[str, int] = {}
        self._served = 0
        self._burst_left = 0
        self._advanced = False

    def configure(self, config: FaultConfig) -> None:
        """Replace the config; attempt, burst and advance counters start again."""
        with self._lock:
            self.config = config
            self._reset_sequence()

    def reset_counters(self) -> None:
        """Zero the injected counts and the request sequence."""
        with self._lock:
            self.injected = dict.fromkeys(KINDS, 0)
            self._reset_sequence()

    def _roll(self, canon: str, attempt: int, kind: str) -> float:
        raw = f"{self.config.fault_seed}|{canon}|{attempt}|{kind}".encode()
        return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big") / 2.0**64

    def count(self, kind: str) -> None:
        """Count one injected fault decided outside ``decide`` (e.g. ``empty_listing``)."""
        with self._lock:
            self.injected[kind] += 1

    def decide(self, canon: str, query_text: str, offset: int) -> Decision:
        """Decide the fate of one search request (and count it)."""
        with self._lock:
            cfg = self.config
            self._served += 1
            attempt = self._attempts.get(canon, 0) + 1
            self._attempts[canon] = attempt
            d = Decision(variant=self._roll(canon, attempt, "variant"))
            if cfg.slow_ms and self._roll(canon, attempt, "slow") < cfg.rate_slow:
                d.delay_s = cfg.slow_ms / 1000.0
                self.injected["slow"] += 1
            due = cfg.advance_day_after is not None and self._served >= cfg.advance_day_after
            if due and not self._advanced:
                self._advanced = True
                d.advance_day = True
                self.injected["advance_day"] += 1
            if cfg.fail_pattern and offset > 0 and cfg.fail_pattern in query_text:
                d.kind, d.status = "fail_pattern", 500
            elif self._burst_left > 0:
                self._burst_left -= 1
                d.kind, d.status = "burst_503", 503
            elif cfg.burst_5xx_every and self._served % cfg.burst_5xx_every == 0:
                self._burst_left = cfg.burst_5xx_len - 1
                d.kind, d.status = "burst_503", 503
            elif self._roll(canon, attempt, "429") < cfg.rate_429:
                d.kind, d.status = "429", 429
            elif self._roll(canon, attempt, "5xx") < cfg.rate_5xx:
                d.kind = "5xx"
                d.status = (500, 502, 503, 504)[int(d.variant * 4)]
            elif self._roll(canon, attempt, "soft_error") < cfg.rate_soft_error:
                d.kind = "soft_error"
            elif self._roll(canon, attempt, "empty_page") < cfg.rate_empty_page:
                d.kind = "empty_page"
            elif self._roll(canon, attempt, "malformed") < cfg.rate_malformed:
                d.kind = "malformed"
            elif self._roll(canon, attempt, "truncated") < cfg.rate_truncated:
                d.kind = "truncated"
            if d.kind:
                self.injected[d.kind] += 1
            return d
