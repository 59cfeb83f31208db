"""HTTP layer of the simulated hourly sites (docs/simulator_hourly.md): per country site three
loopback origins, each on its own port:

* the **site origin**: ``/robots.txt``, the shell ``/app`` (sets the ``aws-waf-token``,
  ``hvh-country-code`` and ``hvh-locale`` cookies), ``/app.js`` (``hourly_spa``) and the
  same-origin ``POST /graphql`` (``searchJobCardsByLocation``, ``searchScheduleCards``);
* the **auth origin**: ``GET /api/csrf?countryCode=K`` → ``{"token": <JWT>}`` with CORS for the
  site origin;
* the **AppSync-like origin**: ``POST /graphql`` with CORS and preflight, used by the page
  instead of the site origin's ``/graphql`` while the site is in the fault ``hourly_appsync``.

``HourlySites`` owns the origins, the tokens, the WAF cookies and the counters; ``SimServer``
starts and stops it and hands it the served day and the fault config. The search semantics
(filters, geo distance) are pure functions of ``jobsim.hourly``; this module only checks the
request (WAF → 403, token → 401, shape → 400) and pages the filtered board.

``nextToken`` is opaque to clients: base64url of ``v2|<site>|<day>|<offset>|<page>|<digest of
the variables>``. Later pages are served from the day the chain began (a cursor over that
day's snapshot) and only for the variables the chain began with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jobsim.faults import FaultConfig
from jobsim.hourly import SITES, HourlyWorld, QueryError, SearchFilter, Site, parse_filter
from jobsim.hourly_spa import app_js, shell_html
from jobsim.httpbase import QuietThreadingServer, SimRequestHandler

log = logging.getLogger("jobsim.hourly")

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
JS_TYPE = "application/javascript; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

ROBOTS_TXT = "User-agent: *\nAllow: /app\nAllow: /graphql\nDisallow: /application/\n"
AUTH_PREFIX = "Bearer Status|unauthenticated|Session|"
TOKEN_TTL_S = 3600
WAF_COOKIE = "aws-waf-token"
MAX_WAF_TOKENS = 50000
MAX_PAGE_SIZE = 100
DEFAULT_REQUEST_PAGE_SIZE = 10
DEFAULT_PAGE_SIZE = 100  # what the page asks for
HANG_CAP_S = 600.0
SEARCH_OP = "searchJobCardsByLocation"
SCHEDULE_OP = "searchScheduleCards"
OPERATIONS = (SEARCH_OP, SCHEDULE_OP)
CORS_HEADERS = "authorization, content-type, country, iscanary"
_LOCALE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
_NOT_FOUND = (
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    "<body><h1>404 Not Found</h1></body></html>\n"
)
#: What AWS WAF answers a request it blocks (an HTML page, not JSON).
WAF_BLOCK_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body>"
    "<h1>403 Forbidden</h1><p>Request blocked.</p><p>Your request has been blocked by AWS WAF. "
    "If you think this is a mistake, contact the site owner.</p></body></html>\n"
)


class GraphQLError(Exception):
    """A request the GraphQL endpoint refuses: HTTP status plus an AppSync error entry."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message

    def body(self) -> bytes:
        """``{"errors":[{"errorType":...,"message":...}]}``."""
        return _compact({"errors": [{"errorType": self.error_type, "message": self.message}]})


class WafBlocked(Exception):
    """A request the WAF refuses (403 HTML)."""


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- nextToken ------------------------------------------------------------------------------------


def variables_digest(req: dict[str, Any]) -> str:
    """Digest of a ``searchJobRequest`` without its ``nextToken`` (ties a chain to its query)."""
    rest = {k: v for k, v in req.items() if k != "nextToken"}
    canon = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(canon.encode(), digest_size=8).hexdigest()


def encode_next_token(site: str, day: int, offset: int, page: int, digest: str) -> str:
    """The opaque ``nextToken`` of the page starting at ``offset`` (``page`` is 1-based)."""
    return _b64(f"v2|{site}|{day}|{offset}|{page}|{digest}".encode())


def decode_next_token(token: str, site: str, digest: str) -> tuple[int, int, int]:
    """(day, offset, page) of a ``nextToken``; GraphQLError 400 if malformed, foreign, or
    issued for other variables."""
    bad = GraphQLError(400, "BadRequestException", "Invalid nextToken")
    try:
        version, tsite, day, offset, page, tdigest = _unb64(token).decode().split("|")
        values = int(day), int(offset), int(page)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if version != "v2" or tsite != site or min(values) < 0 or values[2] < 2:
        raise bad
    if tdigest != digest:
        raise GraphQLError(
            400, "BadRequestException", "Invalid nextToken: the variables changed in this chain"
        )
    return values


# -- the origins ----------------------------------------------------------------------------------


class HourlySites:
    """The hourly origins (site, auth, AppSync per country): servers, tokens, counters."""

    def __init__(
        self,
        world: HourlyWorld,
        host: str,
        day: Callable[[], int],
        faults: Callable[[], FaultConfig],
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"hourly page size must be between 1 and {MAX_PAGE_SIZE}")
        self.world = world
        self.page_size = page_size
        self._day = day
        self._faults = faults
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._board_lock = threading.Lock()
        self._stopping = threading.Event()
        self._waf: dict[str, None] = {}
        self.requests: dict[str, Counter[str]] = {k: Counter() for k in SITES}
        self.injected: Counter[str] = Counter()
        self.servers: dict[str, _HourlyHTTPServer] = {}
        self.auth_servers: dict[str, _HourlyHTTPServer] = {}
        self.appsync_servers: dict[str, _HourlyHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        try:
            for key in SITES:
                for role, table in (
                    ("site", self.servers),
                    ("auth", self.auth_servers),
                    ("appsync", self.appsync_servers),
                ):
                    httpd = _HourlyHTTPServer((host, 0), _HourlyHandler)
                    httpd.sites, httpd.site, httpd.role = self, SITES[key], role
                    table[key] = httpd
        except OSError:
            self.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    @staticmethod
    def _urls(table: dict[str, _HourlyHTTPServer]) -> dict[str, str]:
        out = {}
        for key, httpd in table.items():
            host, port = httpd.server_address[:2]
            out[key] = f"http://{host}:{port}"
        return out

    @property
    def urls(self) -> dict[str, str]:
        """Site origins: ``{"US": "http://127.0.0.1:PORT", ...}``."""
        return self._urls(self.servers)

    @property
    def auth_urls(self) -> dict[str, str]:
        """Auth origins (``/api/csrf``)."""
        return self._urls(self.auth_servers)

    @property
    def appsync_urls(self) -> dict[str, str]:
        """AppSync-like origins (``/graphql`` with CORS)."""
        return self._urls(self.appsync_servers)

    def _all(self) -> list[tuple[str, _HourlyHTTPServer]]:
        return [
            (f"{role}-{key}", httpd)
            for role, table in (
                ("site", self.servers),
                ("auth", self.auth_servers),
                ("appsync", self.appsync_servers),
            )
            for key, httpd in table.items()
        ]

    def start(self) -> None:
        """Serve every origin from a daemon thread."""
        if self._threads:
            return
        for name, httpd in self._all():
            t = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.2},
                name=f"sim-hourly-{name}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)

    def close(self) -> None:
        """Stop serving (releases hanging requests) and close the sockets."""
        self._stopping.set()
        if self._threads:
            for _, httpd in self._all():
                httpd.shutdown()
        for _, httpd in self._all():
            httpd.server_close()
        for t in self._threads:
            t.join(timeout=10)
        self._threads = []

    # -- state -------------------------------------------------------------------------------

    def live(self, day: int) -> dict[str, int]:
        """Live postings per site on ``day``."""
        return {k: len(self.board(k, day)) for k in SITES}

    def state(self) -> dict[str, Any]:
        """The ``hourly`` part of ``/_sim/state``."""
        with self._lock:
            requests = {k: dict(c) for k, c in self.requests.items()}
            injected = {k: self.injected[k] for k in ("graphql_error", "graphql_hang")}
        return {
            "urls": self.urls,
            "auth_urls": self.auth_urls,
            "appsync_urls": self.appsync_urls,
            "live": self.live(self._day()),
            "size": self.world.size,
            "page_size": self.page_size,
            "requests": requests,
            "injected": injected,
        }

    def reset_counters(self) -> None:
        """Zero the request and injected-fault counters."""
        with self._lock:
            for c in self.requests.values():
                c.clear()
            self.injected.clear()

    def count(self, site: str, kind: str) -> None:
        """Count one served request of a kind on a site."""
        with self._lock:
            self.requests[site][kind] += 1

    def board(self, site: str, day: int) -> list[tuple[int, int]]:
        """The served order of a site's board on ``day``."""
        with self._board_lock:
            return self.world.board(site, day)

    def truth_lines(self, day: int, jobs: bool) -> str:
        """JSON Lines ground truth of ``day`` (``card`` added with ``jobs``)."""
        with self._board_lock:
            records = self.world.truth(day)
            lines = []
            for rec in records:
                line = _compact(rec).decode()
                if jobs:
                    idx = self.world.index_of(rec["job_id"])
                    card = self.world.card_json(idx, rec["revision"])
                    line = f'{line[:-1]},"card":{card}}}'
                lines.append(line)
        return "\n".join(lines) + ("\n" if lines else "")

    def app_config(self, site: Site) -> dict[str, Any]:
        """What the page's script needs to know: its endpoints, the served date, page size."""
        appsync = site.key in self._faults().hourly_appsync
        return {
            "authUrl": self.auth_urls[site.key],
            "graphqlUrl": (self.appsync_urls[site.key] + "/graphql") if appsync else "/graphql",
            "today": self.world.date_of(self._day()).isoformat(),
            "pageSize": self.page_size,
        }

    # -- WAF ---------------------------------------------------------------------------------

    def new_waf_token(self) -> str:
        """A fresh ``aws-waf-token`` (valid on every site: loopback cookies ignore the port)."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._waf[token] = None
            while len(self._waf) > MAX_WAF_TOKENS:
                self._waf.pop(next(iter(self._waf)))
        return token

    def waf_check(self, site: Site, headers: Any, need_cookie: bool) -> None:
        """WafBlocked for a blocked site, a HeadlessChrome agent or (``need_cookie``) a missing
        or unknown ``aws-waf-token`` cookie."""
        if site.key in self._faults().hourly_block:
            raise WafBlocked("blocked")
        if "headlesschrome" in (headers.get("user-agent") or "").lower():
            raise WafBlocked("headless")
        if not need_cookie:
            return
        jar: SimpleCookie = SimpleCookie()
        for raw in headers.get_all("cookie") or []:
            try:
                jar.load(raw)
            except CookieError:
                continue
        morsel = jar.get(WAF_COOKIE)
        with self._lock:
            known = morsel is not None and morsel.value in self._waf
        if not known:
            raise WafBlocked("no waf token")

    # -- tokens ------------------------------------------------------------------------------

    def new_token(self, site: str) -> str:
        """An anonymous session token for a site: a JWT (HS256) with iat, exp, countryCode."""
        cfg = self._faults()
        ttl = TOKEN_TTL_S if cfg.hourly_token_ttl is None else cfg.hourly_token_ttl
        now = int(time.time())
        header = _b64(_compact({"alg": "HS256", "typ": "JWT"}))
        payload = _b64(
            _compact(
                {
                    "sub": "unauthenticated",
                    "countryCode": site,
                    "iat": now,
                    "exp": now + ttl,
                    "jti": secrets.token_hex(8),
                }
            )
        )
        return f"{header}.{payload}.{self._sign(header, payload)}"

    def _sign(self, header: str, payload: str) -> str:
        return _b64(hmac.new(self._secret, f"{header}.{payload}".encode(), "sha256").digest())

    def check_token(self, site: str, token: str) -> None:
        """GraphQLError 401 unless ``token`` is this server's unexpired token for ``site``."""
        parts = token.split(".")
        if len(parts) != 3 or not hmac.compare_digest(parts[2], self._sign(*parts[:2])):
            raise GraphQLError(
                401, "UnauthorizedException", "You are not authorized to make this call."
            )
        try:
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, binascii.Error):
            raise GraphQLError(401, "UnauthorizedException", "Invalid token") from None
        if claims.get("countryCode") != site:
            raise GraphQLError(
                401, "UnauthorizedException", "You are not authorized to make this call."
            )
        if time.time() >= claims.get("exp", 0):
            raise GraphQLError(401, "UnauthorizedException", "Token has expired.")

    # -- GraphQL -----------------------------------------------------------------------------

    def graphql(self, site: Site, headers: Any, raw: bytes) -> tuple[int, bytes]:
        """Answer one GraphQL POST after the WAF (may block for the hang fault)."""
        auth = headers.get("authorization") or ""
        token = auth[len(AUTH_PREFIX) :] if auth.startswith(AUTH_PREFIX) else ""
        if not token:
            raise GraphQLError(
                401, "UnauthorizedException", "You are not authorized to make this call."
            )
        self.check_token(site.key, token)
        if headers.get("country") != site.country:
            raise GraphQLError(
                400, "BadRequestException", f"country header must be {site.country!r}"
            )
        if headers.get("iscanary") is None:
            raise GraphQLError(400, "BadRequestException", "iscanary header is required")
        op, variables = _parse_body(raw)
        if op == SCHEDULE_OP:
            return 200, self._schedules(site, variables)
        return 200, self._search(site, variables)

    def _search(self, site: Site, variables: dict[str, Any]) -> bytes:
        req = variables.get("searchJobRequest")
        if not isinstance(req, dict):
            raise GraphQLError(400, "ValidationError", "Variable 'searchJobRequest' is required")
        if req.get("country") != site.country:
            raise GraphQLError(400, "ValidationError", f"country must be {site.country!r}")
        if not isinstance(req.get("locale"), str):
            raise GraphQLError(400, "ValidationError", "locale must be a string")
        size = req.get("pageSize", DEFAULT_REQUEST_PAGE_SIZE)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(
                400, "ValidationError", f"pageSize must be an integer from 1 to {MAX_PAGE_SIZE}"
            )
        try:
            filt = parse_filter(req)
        except QueryError as exc:
            raise GraphQLError(400, exc.error_type, exc.message) from None
        _require_geo(self._faults(), site, filt)
        digest = variables_digest(req)
        nxt = req.get("nextToken")
        day, offset, page = self._day(), 0, 1
        if nxt is not None:
            if not isinstance(nxt, str) or not nxt:
                raise GraphQLError(400, "BadRequestException", "Invalid nextToken")
            day, offset, page = decode_next_token(nxt, site.key, digest)
            if day > self.world.horizon:
                raise GraphQLError(400, "BadRequestException", "Invalid nextToken")
        self._inject(site.key, page)
        with self._board_lock:
            pairs = self.world.search(site.key, day, filt)
            chunk = pairs[offset : offset + size]
            cards = ",".join(self.world.card_json(i, r) for i, r in chunk)
        end = offset + len(chunk)
        more = end < len(pairs)
        token = encode_next_token(site.key, day, end, page + 1, digest) if more else None
        return (
            '{"data":{"'
            + SEARCH_OP
            + '":{"nextToken":'
            + json.dumps(token)
            + ',"jobCards":['
            + cards
            + "]}}}"
        ).encode()

    def _schedules(self, site: Site, variables: dict[str, Any]) -> bytes:
        req = variables.get("searchScheduleRequest")
        if not isinstance(req, dict):
            raise GraphQLError(
                400, "ValidationError", "Variable 'searchScheduleRequest' is required"
            )
        if req.get("country") != site.country:
            raise GraphQLError(400, "ValidationError", f"country must be {site.country!r}")
        job_id = req.get("jobId")
        if not isinstance(job_id, str) or not job_id:
            raise GraphQLError(400, "ValidationError", "jobId must be a non-empty string")
        size = req.get("pageSize", 1000)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise GraphQLError(400, "ValidationError", "pageSize must be a positive integer")
        self.count(site.key, "schedules")
        cards: list[dict[str, Any]] = []
        day = self._day()
        with self._board_lock:
            try:
                idx = self.world.index_of(job_id)
            except KeyError:
                idx = None
            live = idx is not None and self.world.span_at(idx, day) is not None
            if idx is not None and live and self.world.site_of(idx) == site.key:
                cards = self.world.schedule_cards(idx, self.world.revision_at(idx, day))
        return _compact({"data": {SCHEDULE_OP: {"nextToken": None, "scheduleCards": cards}}})

    def _inject(self, site: str, page: int) -> None:
        """Apply the hourly fault knobs to page ``page`` of a site's search."""
        cfg = self._faults()
        after = cfg.hourly_error_after_pages or 0
        if page <= after:
            return
        if site in cfg.hourly_graphql_hang:
            with self._lock:
                self.injected["graphql_hang"] += 1
            self._stopping.wait(HANG_CAP_S)
            raise GraphQLError(504, "ExecutionTimeout", "Execution timed out.")
        if site in cfg.hourly_graphql_error:
            with self._lock:
                self.injected["graphql_error"] += 1
            raise GraphQLError(500, "InternalFailure", "An internal failure occurred.")


def _require_geo(cfg: FaultConfig, site: Site, filt: SearchFilter) -> None:
    """The ``hourly_require_geo`` fault: a geo clause within the site's maximum is required."""
    limit = cfg.hourly_require_geo.get(site.key)
    if limit is None:
        return
    if filt.geo is None:
        raise GraphQLError(400, "ValidationError", "geoQueryClause is required")
    if filt.geo.miles > limit + 1e-9:
        shown = f"{limit:g}"
        raise GraphQLError(400, "ValidationError", f"distance must be at most {shown} mi")


def _parse_body(raw: bytes) -> tuple[str, dict[str, Any]]:
    """(operation, variables) of a GraphQL body; GraphQLError 400 if malformed or unknown."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise GraphQLError(400, "MalformedHttpRequestException", "Invalid JSON payload") from None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise GraphQLError(400, "MalformedHttpRequestException", "query must be a string")
    op = body.get("operationName")
    if op is None:
        op = next((o for o in OPERATIONS if f"{o}(" in body["query"]), None)
    if op not in OPERATIONS or f"{op}(" not in body["query"]:
        raise GraphQLError(
            400, "ValidationError", f"Unknown operation (served: {', '.join(OPERATIONS)})"
        )
    variables = body.get("variables")
    return op, variables if isinstance(variables, dict) else {}


class _HourlyHTTPServer(QuietThreadingServer):
    request_queue_size = 64
    sites: HourlySites
    site: Site
    role: str  # "site", "auth" or "appsync"


class _HourlyHandler(SimRequestHandler):
    server: _HourlyHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        srv = self.server
        log.debug("%s/%s %s %s", srv.site.key, srv.role, self.address_string(), format % args)

    @property
    def _site_origin(self) -> str:
        return self.server.sites.urls[self.server.site.key]

    def _send(
        self,
        status: int,
        body: bytes | str,
        content_type: str | None,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in self._cors() + (extra or []):
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _cors(self) -> list[tuple[str, str]]:
        """CORS for the site origin on the auth and AppSync origins."""
        if self.server.role == "site":
            return []
        out = [
            ("Access-Control-Allow-Origin", self._site_origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin"),
        ]
        if self.command == "OPTIONS":
            methods = "GET, OPTIONS" if self.server.role == "auth" else "POST, OPTIONS"
            out += [
                ("Access-Control-Allow-Methods", methods),
                ("Access-Control-Allow-Headers", CORS_HEADERS),
                ("Access-Control-Max-Age", "600"),
            ]
        return out

    def _count(self, kind: str) -> None:
        self.server.sites.count(self.server.site.key, kind)

    def do_OPTIONS(self) -> None:
        try:
            if self.server.role == "site":
                self._count("other")
                self._send(404, _NOT_FOUND, HTML_TYPE)
                return
            self._count("preflight")
            self._send(204, b"", None)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:
        try:
            role = self.server.role
            if role == "site":
                self._get_site()
            elif role == "auth":
                self._get_auth()
            else:
                self._count("other")
                self._send(404, _NOT_FOUND, HTML_TYPE)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_HEAD = do_GET

    def _get_site(self) -> None:
        sites, site = self.server.sites, self.server.site
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            self._count("robots")
            self._send(200, ROBOTS_TXT, TEXT_TYPE)
        elif parts.path in ("/app", "/app/"):
            self._count("app")
            locale = (parse_qs(parts.query).get("locale") or [site.locale])[0]
            if not _LOCALE.match(locale):
                locale = site.locale
            cookies = [
                ("Set-Cookie", f"{WAF_COOKIE}={sites.new_waf_token()}; Path=/; SameSite=Lax"),
                ("Set-Cookie", f"hvh-country-code={site.key}; Path=/; SameSite=Lax"),
                ("Set-Cookie", f"hvh-locale={locale}; Path=/; SameSite=Lax"),
            ]
            self._send(200, shell_html(site), HTML_TYPE, cookies)
        elif parts.path == "/app.js":
            self._count("app_js")
            self._send(200, app_js(site, sites.app_config(site)), JS_TYPE)
        else:
            self._count("other")
            self._send(404, _NOT_FOUND, HTML_TYPE)

    def _get_auth(self) -> None:
        sites, site = self.server.sites, self.server.site
        parts = urlsplit(self.path)
        if parts.path != "/api/csrf":
            self._count("other")
            self._send(404, _NOT_FOUND, HTML_TYPE)
            return
        self._count("csrf")
        code = (parse_qs(parts.query).get("countryCode") or [""])[0]
        if code != site.key:
            body = GraphQLError(400, "BadRequestException", f"countryCode must be {site.key!r}")
            self._send(400, body.body(), JSON_TYPE)
            return
        self._send(200, _compact({"token": sites.new_token(site.key)}), JSON_TYPE)

    def do_POST(self) -> None:
        sites, site, role = self.server.sites, self.server.site, self.server.role
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        appsync = site.key in sites._faults().hourly_appsync
        try:
            served = path == "/graphql" and (
                (role == "site" and not appsync) or (role == "appsync" and appsync)
            )
            if not served:
                self._count("other")
                self._send(404, _NOT_FOUND, HTML_TYPE)
                return
            self._count("graphql")
            try:
                sites.waf_check(site, self.headers, need_cookie=role == "site")
            except WafBlocked:
                self._count("graphql_403")
                self._send(403, WAF_BLOCK_PAGE, HTML_TYPE)
                return
            try:
                status, body = sites.graphql(site, self.headers, raw)
            except GraphQLError as exc:
                self._count(f"graphql_{exc.status}")
                status, body = exc.status, exc.body()
            if sites._stopping.is_set() and status == 504:
                self.close_connection = True
                return
            self._send(status, body, JSON_TYPE)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            log.exception("error answering %s %s", site.key, self.path)
            self._send(500, _compact({"errors": [{"message": "internal error"}]}), JSON_TYPE)
