"""HTTP layer of the simulated hourly sites: one loopback origin per country site.

Each origin serves ``/robots.txt``, the SPA shell ``/app`` and its script ``/app.js``
(``hourly_spa``), ``POST /api/anonymous-session`` (a random token the server remembers) and
``POST /graphql`` (``searchJobCardsByLocation`` only, AppSync-style errors). Everything else is
404. ``HourlySites`` owns the origins; ``SimServer`` starts and stops it with the corporate site
and hands it the served day and the fault config.

``nextToken`` is opaque to clients: base64url of ``v1|<site>|<day>|<offset>|<page>``. Later pages
are served from the day the first page was served (a cursor over a snapshot), so one pass of
pagination is consistent even if the served day moves meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from jobsim.faults import FaultConfig
from jobsim.hourly import SITES, HourlyWorld, Site
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
MAX_TOKENS = 20000
MAX_PAGE_SIZE = 100
DEFAULT_REQUEST_PAGE_SIZE = 10
DEFAULT_PAGE_SIZE = 20  # what the SPA asks for
HANG_CAP_S = 600.0
OPERATION = "searchJobCardsByLocation"
_NOT_FOUND = (
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    "<body><h1>404 Not Found</h1></body></html>\n"
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


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def encode_next_token(site: str, day: int, offset: int, page: int) -> str:
    """The opaque ``nextToken`` of the page starting at ``offset`` (``page`` is 1-based)."""
    raw = f"v1|{site}|{day}|{offset}|{page}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_next_token(token: str, site: str) -> tuple[int, int, int]:
    """(day, offset, page) of a ``nextToken``; GraphQLError 400 if malformed or foreign."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        version, tsite, day, offset, page = raw.split("|")
        values = int(day), int(offset), int(page)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise GraphQLError(400, "BadRequestException", "Invalid nextToken") from None
    if version != "v1" or tsite != site or min(values) < 0 or values[2] < 2:
        raise GraphQLError(400, "BadRequestException", "Invalid nextToken")
    return values


class HourlySites:
    """The four hourly origins: servers, tokens, counters."""

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
        self._lock = threading.Lock()
        self._board_lock = threading.Lock()
        self._stopping = threading.Event()
        self._tokens: dict[str, dict[str, float]] = {k: {} for k in SITES}
        self.requests: dict[str, Counter[str]] = {k: Counter() for k in SITES}
        self.injected: Counter[str] = Counter()
        self.servers: dict[str, _HourlyHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        try:
            for key in SITES:
                httpd = _HourlyHTTPServer((host, 0), _HourlyHandler)
                httpd.sites, httpd.site = self, SITES[key]
                self.servers[key] = httpd
        except OSError:
            self.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def urls(self) -> dict[str, str]:
        """``{"US": "http://127.0.0.1:PORT", ...}``."""
        out = {}
        for key, httpd in self.servers.items():
            host, port = httpd.server_address[:2]
            out[key] = f"http://{host}:{port}"
        return out

    def start(self) -> None:
        """Serve every origin from a daemon thread."""
        if self._threads:
            return
        for key, httpd in self.servers.items():
            t = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.2},
                name=f"sim-hourly-{key}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)

    def close(self) -> None:
        """Stop serving (releases hanging requests) and close the sockets."""
        self._stopping.set()
        if self._threads:
            for httpd in self.servers.values():
                httpd.shutdown()
        for httpd in self.servers.values():
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

    # -- tokens ------------------------------------------------------------------------------

    def new_token(self, site: str) -> str:
        """Issue an anonymous session token for a site."""
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            store = self._tokens[site]
            store[token] = now + TOKEN_TTL_S
            while len(store) > MAX_TOKENS:
                store.pop(next(iter(store)))
        return token

    def token_ok(self, site: str, token: str) -> bool:
        """Whether ``token`` was issued by this site and has not expired."""
        with self._lock:
            expiry = self._tokens[site].get(token)
        return expiry is not None and expiry > time.monotonic()

    # -- GraphQL -----------------------------------------------------------------------------

    def graphql(self, site: Site, headers: Any, raw: bytes) -> tuple[int, bytes]:
        """Answer one ``POST /graphql`` (may block for the hang fault)."""
        auth = headers.get("authorization") or ""
        token = auth[len(AUTH_PREFIX) :] if auth.startswith(AUTH_PREFIX) else ""
        if not token or not self.token_ok(site.key, token):
            raise GraphQLError(
                401, "UnauthorizedException", "You are not authorized to make this call."
            )
        if headers.get("country") != site.country:
            raise GraphQLError(
                400, "BadRequestException", f"country header must be {site.country!r}"
            )
        request = _parse_request(raw, site)
        day, offset, page = self._day(), 0, 1
        if request.get("nextToken") is not None:
            day, offset, page = decode_next_token(request["nextToken"], site.key)
            if day > self.world.horizon:
                raise GraphQLError(400, "BadRequestException", "Invalid nextToken")
        self._inject(site.key, page)
        size = min(request["pageSize"], MAX_PAGE_SIZE)
        pairs = self.board(site.key, day)
        words = request["keyWords"].strip().lower()
        if words:
            pairs = [p for p in pairs if words in self.world.spec(*p).title.lower()]
        chunk = pairs[offset : offset + size]
        with self._board_lock:
            cards = ",".join(self.world.card_json(i, r) for i, r in chunk)
        end = offset + len(chunk)
        nxt = encode_next_token(site.key, day, end, page + 1) if end < len(pairs) else None
        body = (
            ('{"data":{"' + OPERATION + '":{"nextToken":' + json.dumps(nxt) + ',"jobCards":[')
            + cards
            + "]}}}"
        )
        return 200, body.encode()

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


def _parse_request(raw: bytes, site: Site) -> dict[str, Any]:
    """Validate a GraphQL body; returns the normalized ``searchJobRequest``."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise GraphQLError(400, "MalformedHttpRequestException", "Invalid JSON payload") from None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise GraphQLError(400, "MalformedHttpRequestException", "query must be a string")
    op = body.get("operationName")
    if (op is not None and op != OPERATION) or f"{OPERATION}(" not in body["query"]:
        raise GraphQLError(
            400, "ValidationError", f"Unknown operation (only {OPERATION} is served)"
        )
    variables = body.get("variables")
    req = variables.get("searchJobRequest") if isinstance(variables, dict) else None
    if not isinstance(req, dict):
        raise GraphQLError(400, "ValidationError", "Variable 'searchJobRequest' is required")
    if req.get("country") != site.country:
        raise GraphQLError(400, "ValidationError", f"country must be {site.country!r}")
    if not isinstance(req.get("locale"), str):
        raise GraphQLError(400, "ValidationError", "locale must be a string")
    size = req.get("pageSize", DEFAULT_REQUEST_PAGE_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise GraphQLError(400, "ValidationError", "pageSize must be a positive integer")
    words = req.get("keyWords", "")
    if words is None:
        words = ""
    if not isinstance(words, str):
        raise GraphQLError(400, "ValidationError", "keyWords must be a string")
    nxt = req.get("nextToken")
    if nxt is not None and (not isinstance(nxt, str) or not nxt):
        raise GraphQLError(400, "BadRequestException", "Invalid nextToken")
    for key in ("equalFilters", "containFilters", "dateFilters", "orFilters", "rangeFilters"):
        if not isinstance(req.get(key, []), list):
            raise GraphQLError(400, "ValidationError", f"{key} must be a list")
    return {"pageSize": size, "keyWords": words, "nextToken": nxt}


class _HourlyHTTPServer(QuietThreadingServer):
    request_queue_size = 64
    sites: HourlySites
    site: Site


class _HourlyHandler(SimRequestHandler):
    server: _HourlyHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s %s", self.server.site.key, self.address_string(), format % args)

    def _send(self, status: int, body: bytes | str, content_type: str) -> None:
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _count(self, kind: str) -> None:
        self.server.sites.count(self.server.site.key, kind)

    def do_GET(self) -> None:
        sites, site = self.server.sites, self.server.site
        path = urlsplit(self.path).path
        try:
            if path == "/robots.txt":
                self._count("robots")
                self._send(200, ROBOTS_TXT, TEXT_TYPE)
            elif path in ("/app", "/app/"):
                self._count("app")
                self._send(200, shell_html(site), HTML_TYPE)
            elif path == "/app.js":
                self._count("app_js")
                self._send(200, app_js(site, sites.page_size), JS_TYPE)
            else:
                self._count("other")
                self._send(404, _NOT_FOUND, HTML_TYPE)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_HEAD = do_GET

    def do_POST(self) -> None:
        sites, site = self.server.sites, self.server.site
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        try:
            if path == "/api/anonymous-session":
                self._count("session")
                body = _compact({"token": sites.new_token(site.key), "expiresIn": TOKEN_TTL_S})
                self._send(200, body, JSON_TYPE)
            elif path == "/graphql":
                self._count("graphql")
                try:
                    status, body = sites.graphql(site, self.headers, raw)
                except GraphQLError as exc:
                    self._count(f"graphql_{exc.status}")
                    status, body = exc.status, exc.body()
                if sites._stopping.is_set() and status == 504:
                    self.close_connection = True
                    return
                self._send(status, body, JSON_TYPE)
            else:
                self._count("other")
                self._send(404, _NOT_FOUND, HTML_TYPE)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            log.exception("error answering %s %s", site.key, self.path)
            self._send(500, _compact({"errors": [{"message": "internal error"}]}), JSON_TYPE)
