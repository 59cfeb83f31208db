"""The simulated archive over HTTP: one threaded server, four base URLs (docs/simulator_archive.md).

``/wayback``: ``/cdx/search/cdx`` and ``/web/<ts>id_/<original>`` as web.archive.org;
``/ccindex``: ``/collinfo.json`` and ``/<CRAWL-ID>-index`` as index.commoncrawl.org;
``/ccdata``: ``/<filename>`` by Range as data.commoncrawl.org; ``/_archive``: the controls.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import math
import re
import socket
import struct
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jobsim.archive.model import ArchiveModel, Capture, http_date, parse_ts, surt
from jobsim.archive.query import (
    QueryError,
    collapse,
    matches,
    pad_from,
    pad_to,
    parse_resume_key,
    pywb_filters,
    pywb_keep,
    resume_key,
    url_match,
    wayback_filters,
    wayback_keep,
)
from jobsim.archive.warc import WarcStore
from jobsim.httpbase import QuietThreadingServer, SimRequestHandler

CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
BLOCKED_ERROR = (
    "org.archive.wayback.exception.AdministrativeAccessControlException: Blocked Site Error"
)
SLOWDOWN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    "<Message>Please reduce your request rate.</Message></Error>"
)
NGINX_504 = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
RECENT_DAYS = 30  # zipnum paging (page/showNumPages) misses captures this recent


@dataclass
class Faults:
    """The knobs of ``POST /_archive/faults`` (defaults: the archives as they are)."""

    cdx_rate_per_min: int = 30  # CDX requests per (scaled) minute; 0 = no limit
    time_scale: float = 1.0  # multiplies every duration below and the rate window
    pause_s: float = 60.0  # after a 429, requests within this are "ignoring" it
    ban_after_s: float = 60.0  # 429s ignored this long -> connections refused
    ban_s: float = 3600.0  # first refusal period; doubles on each repeat
    cdx_line_cap: int = 150_000  # lines per CDX answer; over it: truncated, no resume key
    cdx_block_lines: int = 3000  # CDX zipnum block (page/pageSize/showNumPages)
    duplicate_rows: bool = True  # identical CDX lines repeated 2-5 times
    blocked_hosts: list[str] = field(default_factory=list)  # 403 Blocked Site Error
    closed_mode: str = "mixed"  # closed postings' URLs: "404", "302", "200" or "mixed"
    replay_hang_s: float = 0.0  # replay answers only after this long (a hang)
    wrong_content_encoding: str | None = None  # gzip originals: "missing" or "spurious"
    cc_block_lines: int = 3000  # Common Crawl index block (pageSize counts blocks)
    cc_index_503: int = 0  # the next N index requests answer 503
    cc_index_504: int = 0  # the next N index requests answer 504 (nginx HTML)
    cc_data_503: int = 0  # the next N data requests answer 503 SlowDown XML
    cc_ignore_range: bool = False  # data answers 200 with the whole file
    cc_truncated_gzip: bool = False  # data answers a record cut short

    @classmethod
    def update(cls, current: Faults, knobs: dict[str, Any]) -> Faults:
        """A copy of ``current`` with ``knobs`` applied (ValueError on an unknown/bad knob)."""
        known = {f.name: f for f in fields(cls)}
        data = asdict(current)
        for name, value in knobs.items():
            if name not in known:
                raise ValueError(f"unknown knob: {name}")
            default = getattr(cls(), name)
            if isinstance(default, bool) and not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            number = isinstance(default, (int, float)) and not isinstance(default, bool)
            if number and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                raise ValueError(f"{name} must be a number")
            if number and (value < 0 or (isinstance(default, int) and value != int(value))):
                kind = "an integer" if isinstance(default, int) else "a number"
                raise ValueError(f"{name} must be {kind} >= 0")
            if number and isinstance(default, int):
                value = int(value)
            if name == "blocked_hosts" and not (
                isinstance(value, list) and all(isinstance(x, str) for x in value)
            ):
                raise ValueError("blocked_hosts must be a list of host names")
            data[name] = value
        if data["closed_mode"] not in ("404", "302", "200", "mixed"):
            raise ValueError("closed_mode must be 404, 302, 200 or mixed")
        if data["wrong_content_encoding"] not in (None, "missing", "spurious"):
            raise ValueError("wrong_content_encoding must be null, missing or spurious")
        if data["cdx_line_cap"] < 1 or data["cdx_block_lines"] < 1 or data["cc_block_lines"] < 1:
            raise ValueError("caps and block sizes must be >= 1")
        return cls(**data)


class Limiter:
    """Wayback's pool: N CDX requests per minute, 429 without Retry-After, bans for ignoring."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.recent: list[float] = []
        self.pause_until = 0.0
        self.streak_start: float | None = None
        self.ban_until = 0.0
        self.bans = 0

    def check(self, faults: Faults, is_cdx: bool, counters: dict[str, Any]) -> str:
        """``"ok"``, ``"429"`` or ``"refuse"`` for one Wayback request."""
        scale = faults.time_scale
        now = time.monotonic()
        with self.lock:
            if now < self.ban_until:
                counters["refused"] += 1
                counters["during_pause"] += 1
                return "refuse"
            if now < self.pause_until:
                counters["during_pause"] += 1
                assert self.streak_start is not None
                if now - self.streak_start >= faults.ban_after_s * scale:
                    self.ban_until = now + faults.ban_s * scale * (2**self.bans)
                    self.bans += 1
                    self.pause_until = 0.0
                    self.streak_start = None
                    counters["refused"] += 1
                    counters["bans"] += 1
                    return "refuse"
                if is_cdx:
                    self.pause_until = now + faults.pause_s * scale
                    return "429"
                return "ok"
            self.streak_start = None
            if not is_cdx or faults.cdx_rate_per_min == 0:
                return "ok"
            window = 60.0 * scale
            self.recent = [t for t in self.recent if now - t < window]
            if len(self.recent) >= faults.cdx_rate_per_min:
                self.streak_start = now
                self.pause_until = now + faults.pause_s * scale
                return "429"
            self.recent.append(now)
            return "ok"


def _reps(cap: Capture) -> int:
    h = (cap.n * 2654435761) % 1000
    return 2 + h % 4 if h % 9 == 0 else 1


class ArchiveServer(QuietThreadingServer):
    """The simulated archive: model, faults, counters."""

    def __init__(self, host: str, port: int, model: ArchiveModel) -> None:
        super().__init__((host, port), ArchiveHandler)
        self.model = model
        self.warcs = WarcStore(model)
        self.lock = threading.RLock()
        self.limiter = Limiter()
        self.faults = Faults()
        self.counters: dict[str, Any] = {}
        self._rows: dict[str, list[tuple[Capture, dict[str, str]]]] = {}
        self._cc_rows: dict[str, list[dict[str, str]]] = {}
        self.reset()

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def urls(self) -> dict[str, str]:
        """The four base URLs."""
        return {
            "wayback": f"{self.base}/wayback",
            "cc_index": f"{self.base}/ccindex",
            "cc_data": f"{self.base}/ccdata",
            "control": f"{self.base}/_archive",
        }

    def reset(self) -> None:
        """No faults, zero counters, no pause or ban."""
        with self.lock:
            self.faults = Faults()
            self.limiter.reset()
            busy = self.counters.get("in_flight", 0) if self.counters else 0
            self.counters = {
                "routes": {},
                "sent_429": 0,
                "during_pause": 0,
                "refused": 0,
                "bans": 0,
                "in_flight": busy,  # the reset request itself is one
                "max_in_flight": 0,
            }

    def wayback_rows(self) -> list[tuple[Capture, dict[str, str]]]:
        """Every Wayback CDX row, sorted, for the current ``closed_mode`` (cached; built outside
        the lock, so a slow first build never stalls other requests)."""
        mode = self.faults.closed_mode
        hit = self._rows.get(mode)
        if hit is None:
            hit = [(c, self.model.cdx_row(c, mode)) for c in self.model.wayback]
            self._rows[mode] = hit
        return hit

    def cc_rows(self, crawl_id: str) -> list[dict[str, str]]:
        """Every index row of one crawl (cached)."""
        hit = self._cc_rows.get(crawl_id)
        if hit is None:
            hit = [self._cc_row(c) for c in self.model.cc_rows.get(crawl_id, [])]
            self._cc_rows[crawl_id] = hit
        return hit

    def warm(self) -> None:
        """Build the default CDX rows and every crawl's index in a background thread."""

        def run() -> None:
            self.wayback_rows()
            for crawl in self.model.crawls:
                self.cc_rows(crawl.id)

        threading.Thread(target=run, name="archive-warm", daemon=True).start()

    def _cc_row(self, cap: Capture) -> dict[str, str]:
        crawl = self.model.crawl_by_id[cap.crawl or ""]
        p = self.model.payload(cap)
        loc = self.warcs.locate(cap)
        row = {
            "urlkey": cap.urlkey,
            "timestamp": cap.ts,
            "url": cap.original,
            "mime": p.mime,
            "mime-detected": p.mime,
            "status": str(p.status),
            "digest": self.model.digest(cap),
            "length": str(loc.length),
            "offset": str(loc.offset),
            "filename": loc.filename,
        }
        location = dict(p.headers).get("Location")
        if location and crawl.has_redirect:
            row["redirect"] = location
        if crawl.has_languages and p.status == 200 and p.mime == "text/html":
            row["languages"] = "deu,eng" if cap.locale == "de" else "eng"
            row["encoding"] = "UTF-8"
        if cap.kind == "truncated" and crawl.has_redirect:
            row["truncated"] = "length"
        return row


class ArchiveHandler(SimRequestHandler):
    """Routes of the simulated archive."""

    server: ArchiveServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    # -- plumbing ------------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes | str,
        ctype: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers or []:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, obj: Any, ctype: str = "application/json") -> None:
        self._send(status, json.dumps(obj), ctype)

    def _refuse(self) -> None:
        """Drop the connection without an answer (RST): the firewall block."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _count(self, route: str) -> None:
        with self.server.lock:
            routes = self.server.counters["routes"]
            routes[route] = routes.get(route, 0) + 1

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        c = self.server.counters
        with self.server.lock:
            c["in_flight"] += 1
            c["max_in_flight"] = max(c["max_in_flight"], c["in_flight"])
        try:
            self._route(method)
        finally:
            with self.server.lock:
                self.server.counters["in_flight"] -= 1

    def _route(self, method: str) -> None:
        path = self.path
        if path.startswith("/_archive/"):
            return self._control(method, path[len("/_archive/") :])
        if method != "GET":
            return self._send(405, "Method Not Allowed", "text/plain")
        if path.startswith("/wayback/"):
            is_cdx = path.startswith("/wayback/cdx/search/cdx")
            route = "wayback_cdx" if is_cdx else "wayback_replay"
            self._count(route)
            verdict = self.server.limiter.check(self.server.faults, is_cdx, self.server.counters)
            if verdict == "refuse":
                return self._refuse()
            if verdict == "429":
                with self.server.lock:
                    self.server.counters["sent_429"] += 1
                return self._send(
                    429, "<html><body><h1>429 Too Many Requests</h1></body></html>", "text/html"
                )
            if is_cdx:
                return self._cdx()
            if path.startswith("/wayback/web/"):
                return self._replay(path[len("/wayback/web/") :])
            return self._send(404, "Not Found", "text/plain")
        if path.startswith("/ccindex/"):
            self._count("cc_index")
            return self._cc_index(path[len("/ccindex/") :])
        if path.startswith("/ccdata/"):
            self._count("cc_data")
            return self._cc_data(path[len("/ccdata/") :])
        self._send(404, "Not Found", "text/plain")

    # -- controls ------------------------------------------------------------------------------

    def _control(self, method: str, name: str) -> None:
        srv = self.server
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if name == "reset":
                srv.reset()
                return self._json(200, {"ok": True})
            if name == "faults":
                try:
                    knobs = json.loads(raw or b"{}")
                    if not isinstance(knobs, dict):
                        raise ValueError("a JSON object of knobs")
                    with srv.lock:
                        srv.faults = Faults.update(srv.faults, knobs)
                except ValueError as exc:
                    return self._json(400, {"error": str(exc)})
                return self._json(200, asdict(srv.faults))
        elif name == "truth":
            return self._json(200, srv.model.truth())
        elif name == "counters":
            with srv.lock:
                snap = json.loads(json.dumps(srv.counters))
            return self._json(200, snap)
        elif name == "faults":
            return self._json(200, asdict(srv.faults))
        elif name == "summary":
            return self._json(200, srv.model.summary())
        self._json(404, {"error": f"no control {method} {name}"})

    # -- Wayback CDX -----------------------------------------------------------------------------

    def _blocked(self, url: str) -> bool:
        host = (
            urlsplit(url if "://" in url else "http://" + url.lstrip("*.")).hostname or ""
        ).lower()
        host = host.removeprefix("www.")
        return any(host == b.lower().removeprefix("www.") for b in self.server.faults.blocked_hosts)

    def _send_blocked(self) -> None:
        self._send(
            403, BLOCKED_ERROR, "text/plain", [("X-Archive-Wayback-Runtime-Error", BLOCKED_ERROR)]
        )

    def _cdx(self) -> None:
        qs = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        one = {k: v[-1] for k, v in qs.items()}
        f = self.server.faults
        try:
            url = one.get("url")
            if not url:
                raise QueryError("Missing url parameter")
            if self._blocked(url):
                return self._send_blocked()
            mode, key = url_match(url, one.get("matchType"))
            lo = pad_from(one["from"]) if one.get("from") else ""
            hi = pad_to(one["to"]) if one.get("to") else "99999999999999"
            fl = [x for x in one.get("fl", "").split(",") if x] or list(CDX_FIELDS)
            if any(x not in CDX_FIELDS for x in fl):
                raise QueryError(f"Invalid field list: {one.get('fl')}")
            filters = wayback_filters(qs.get("filter", []), CDX_FIELDS)
            limit = int(one["limit"]) if one.get("limit") else None
            offset = int(one.get("offset") or 0)
            want_key = one.get("showResumeKey") == "true"
            after = parse_resume_key(one["resumeKey"]) if one.get("resumeKey") else None
            paged = "page" in one or one.get("showNumPages") == "true"
            page = int(one.get("page") or 0)
            page_size = int(one.get("pageSize") or 50)
        except (QueryError, ValueError) as exc:
            return self._send(400, f"org.archive.util.io.RuntimeIOException: {exc}", "text/plain")
        as_json = one.get("output") == "json"
        rows = [
            (c, r)
            for c, r in self.server.wayback_rows()
            if matches(c.urlkey, mode, key) and lo <= c.ts <= hi
        ]
        if paged:
            cutoff = self.server.model.now.timestamp() - RECENT_DAYS * 86400
            rows = [(c, r) for c, r in rows if c.when.timestamp() < cutoff]
            per_page = f.cdx_block_lines * max(1, page_size)
            pages = max(1, math.ceil(len(rows) / per_page))
            if one.get("showNumPages") == "true":
                return self._send(200, f"{pages}\n", "text/plain")
            if page >= pages:
                return self._send(
                    400,
                    f"Page {page} invalid: First Page is 0, Last Page is {pages - 1}",
                    "text/plain",
                )
            rows = rows[page * per_page : (page + 1) * per_page]
        lines: list[tuple[Capture, dict[str, str]]] = []
        for c, r in rows:
            if after is not None and (c.urlkey, c.ts) < after:
                continue
            lines.extend([(c, r)] * (_reps(c) if f.duplicate_rows else 1))
        kept = collapse((r for _, r in lines if wayback_keep(r, filters)), one.get("collapse"))
        out = list(kept)[offset:]
        truncated = False
        if limit is not None and limit < 0:
            out = out[limit:]
        elif limit is not None and limit <= f.cdx_line_cap:
            more = len(out) >= limit
            out = out[:limit]
            truncated = more
        else:
            out = out[: f.cdx_line_cap]  # silently truncated: no resume key
        key_text = (
            resume_key(out[-1]["urlkey"], out[-1]["timestamp"])
            if (want_key and truncated and out)
            else None
        )
        if as_json:
            if not out:
                return self._send(200, "[]", "application/json")
            table: list[list[str]] = [fl, *([r[x] for x in fl] for r in out)]
            if key_text:
                table += [[], [key_text]]
            return self._send(200, json.dumps(table), "application/json")
        text = "".join(" ".join(r[x] for x in fl) + "\n" for r in out)
        if key_text:
            text += f"\n{key_text}\n"
        self._send(200, text, "text/plain")

    # -- Wayback replay --------------------------------------------------------------------------

    def _replay(self, rest: str) -> None:
        m = re.match(r"(\d{1,14})(id_)?/(.+)$", rest)
        if not m or not m.group(2):
            return self._send(404, "Not Found (only id_ replay is simulated)", "text/plain")
        asked, original = m.group(1), m.group(3)
        original = re.sub(r"^(https?):/(?!/)", r"\1://", original)
        if self._blocked(original):
            return self._send_blocked()
        f = self.server.faults
        if f.replay_hang_s:
            time.sleep(f.replay_hang_s)
        caps = [
            c
            for c in self.server.model.by_urlkey.get(surt(original), [])
            if c.kind != "malformed_ts"
        ]
        if not caps:
            return self._send(
                404,
                "<html><body><p>Wayback Machine has not archived that URL.</p></body></html>",
                "text/html; charset=utf-8",
            )
        exact = next((c for c in caps if c.ts == asked), None)
        if exact is None:
            when = parse_ts(asked.ljust(14, "0")) or parse_ts(
                asked[:4].ljust(4, "0") + "0101000000"
            )
            target = when.timestamp() if when else 0.0
            closest = min(caps, key=lambda c: (abs(c.when.timestamp() - target), c.ts))
            loc = f"{self.server.base}/wayback/web/{closest.ts}id_/{closest.original}"
            return self._send(
                302,
                b"",
                "text/plain",
                [
                    ("Location", loc),
                    ("X-Archive-Redirect-Reason", f"found capture at {closest.ts}"),
                ],
            )
        self._serve_capture(exact, caps)

    def _serve_capture(self, cap: Capture, caps: list[Capture]) -> None:
        f = self.server.faults
        p = self.server.model.payload(cap, f.closed_mode)
        base = f"{self.server.base}/wayback/web"
        i = caps.index(cap)

        def memento(c: Capture, rel: str) -> str:
            return f'<{base}/{c.ts}/{c.original}>; rel="{rel}"; datetime="{http_date(c.when)}"'

        links = [
            f'<{cap.original}>; rel="original"',
            f'<{base}/timemap/link/{cap.original}>; rel="timemap"; type="application/link-format"',
            memento(caps[0], "first memento"),
        ]
        if i > 0:
            links.append(memento(caps[i - 1], "prev memento"))
        links.append(memento(cap, "memento"))
        if i + 1 < len(caps):
            links.append(memento(caps[i + 1], "next memento"))
        links.append(memento(caps[-1], "last memento"))
        headers = [("Memento-Datetime", http_date(cap.when)), ("Link", ", ".join(links))]
        ctype = "text/html"
        location = None
        for name, value in p.headers:
            headers.append((f"X-Archive-Orig-{name}", value))
            if name == "Content-Type":
                ctype = value
            if name == "Location":
                location = value
        src = f"liveweb-{cap.ts[:8]}/live-{cap.ts}-wwwb-app{cap.n % 60}.us.archive.org.warc.gz"
        headers.append(("X-Archive-Src", src))
        if location is not None:
            headers.append(("Location", f"{base}/{cap.ts}id_/{location}"))
        body = p.body
        gz = cap.gzip_original and f.wrong_content_encoding
        if gz == "missing":
            body = gzip.compress(body, mtime=0)
        elif gz == "spurious":
            headers.append(("Content-Encoding", "gzip"))
        self._send(p.status, body, ctype, headers)

    # -- Common Crawl index ----------------------------------------------------------------------

    def _take(self, knob: str) -> bool:
        with self.server.lock:
            n = getattr(self.server.faults, knob)
            if n > 0:
                setattr(self.server.faults, knob, n - 1)
                return True
        return False

    def _cc_index(self, rest: str) -> None:
        srv = self.server
        if self._take("cc_index_503"):
            return self._send(503, "Service Unavailable", "text/plain")
        if self._take("cc_index_504"):
            return self._send(504, NGINX_504, "text/html")
        parts = urlsplit(rest)
        if parts.path == "collinfo.json":
            base = f"{srv.base}/ccindex"
            info = [
                {
                    "id": c.id,
                    "name": c.name,
                    "timegate": f"{base}/{c.id}/",
                    "cdx-api": f"{base}/{c.id}-index",
                    "from": c.start.strftime("%Y-%m-%dT%H:%M:%S"),
                    "to": c.end.strftime("%Y-%m-%dT%H:%M:%S"),
                }
                for c in srv.model.crawls
            ]
            return self._json(200, info)
        crawl_id = parts.path.removesuffix("-index")
        if not parts.path.endswith("-index") or crawl_id not in srv.model.crawl_by_id:
            return self._send(404, "Not Found", "text/plain")
        qs = parse_qs(parts.query, keep_blank_values=True)
        one = {k: v[-1] for k, v in qs.items()}
        try:
            url = one.get("url")
            if not url:
                raise QueryError("The url param is required")
            mode, key = url_match(url, one.get("matchType"))
            lo = pad_from(one["from"]) if one.get("from") else ""
            hi = pad_to(one["to"]) if one.get("to") else "99999999999999"
            filters = pywb_filters(qs.get("filter", []))
            limit = int(one["limit"]) if one.get("limit") else None
            page = int(one["page"]) if one.get("page") else None
            page_size = int(one.get("pageSize") or 5)
            fl = [x for x in one.get("fl", "").split(",") if x]
        except (QueryError, ValueError) as exc:
            return self._json(400, {"message": str(exc)})
        rows = [
            r
            for r in srv.cc_rows(crawl_id)
            if matches(r["urlkey"], mode, key) and lo <= r["timestamp"] <= hi
        ]
        per_page = srv.faults.cc_block_lines * max(1, page_size)
        blocks = max(1, math.ceil(len(rows) / srv.faults.cc_block_lines))
        pages = max(1, math.ceil(len(rows) / per_page))
        if one.get("showNumPages") == "true":
            return self._json(200, {"pages": pages, "pageSize": page_size, "blocks": blocks})
        if page is not None:
            if page >= pages:
                return self._json(
                    400,
                    {"message": f"Page {page} invalid: First Page is 0, Last Page is {pages - 1}"},
                )
            rows = rows[page * per_page : (page + 1) * per_page]
        rows = [r for r in rows if pywb_keep(r, filters)]
        if one.get("sort") == "reverse":
            rows.reverse()
        if limit is not None:
            rows = rows[:limit]
        if not rows:
            return self._json(404, {"message": f"No Captures found for: {url}"})
        if fl:
            rows = [{k: r[k] for k in fl if k in r} for r in rows]
        if one.get("output") == "json":
            text = "".join(json.dumps(r) + "\n" for r in rows)
            return self._send(200, text, "text/x-ndjson")
        text = "".join(
            f"{r.get('urlkey', '')} {r.get('timestamp', '')} {json.dumps(r)}\n" for r in rows
        )
        self._send(200, text, "text/x-cdxj")

    # -- Common Crawl data -----------------------------------------------------------------------

    def _cc_data(self, name: str) -> None:
        srv = self.server
        if self._take("cc_data_503"):
            return self._send(503, SLOWDOWN, "application/xml")
        name = urlsplit(name).path
        data = srv.warcs.read(name, 0, 0)
        if data is None:
            return self._send(
                404,
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                "<Message>The specified key does not exist.</Message></Error>",
                "application/xml",
            )
        size = srv.warcs.size(name)
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if m is None or srv.faults.cc_ignore_range:
            whole = srv.warcs.read(name, 0, size - 1) or b""
            return self._send(200, whole, "application/octet-stream")
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else size - 1
        if start >= size or end < start:
            return self._send(416, b"", "application/xml", [("Content-Range", f"bytes */{size}")])
        end = min(end, size - 1)
        body = srv.warcs.read(name, start, end) or b""
        if srv.faults.cc_truncated_gzip:
            body = body[: max(1, len(body) // 2)]
        self._send(
            206,
            body,
            "application/octet-stream",
            [("Content-Range", f"bytes {start}-{end}/{size}"), ("Accept-Ranges", "bytes")],
        )


def make_archive_server(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 1,
    captures: int = 3000,
    years: tuple[int, int] = (2018, 2026),
) -> ArchiveServer:
    """Build the model and bind the server (not yet serving)."""
    return ArchiveServer(host, port, ArchiveModel(seed=seed, captures=captures, years=years))
