"""The simulator's HTTP server: www.amazon.jobs search.json, detail pages, robots.txt, and the
``/_sim/`` control endpoints tests use (not part of the real site). The simulated hourly sites
(``hourly_http``: one origin per country site) start and stop with it, serve its day and obey its
fault config.

``make_server(...)`` returns a ``SimServer``; ``.start_in_thread()`` for in-process use,
``.serve_forever()`` for the CLI (``python -m jobsim serve``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from pydantic import ValidationError

from jobsim import catalog
from jobsim.detail import detail_page, not_found_page, parse_detail_path
from jobsim.encoding import compact, dumps
from jobsim.faults import (
    BLOCK_PAGE,
    MALFORMED_HTML,
    MALFORMED_JSON,
    SOFT_ERROR,
    Decision,
    FaultConfig,
    FaultInjector,
    canonical_url,
)
from jobsim.hostile import with_hostile_postings
from jobsim.hourly import DEFAULT_HOURLY_SIZE, HourlyWorld
from jobsim.hourly_http import DEFAULT_PAGE_SIZE, HourlySites
from jobsim.httpbase import QuietThreadingServer, SimRequestHandler
from jobsim.search import SearchOutcome, execute, to_i
from jobsim.world import Board, World

log = logging.getLogger("jobsim")

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
JSONL_TYPE = "application/x-ndjson; charset=utf-8"

ROBOTS_TXT = "User-agent: *\nDisallow: /internal\n" + "".join(
    f"Disallow: /{loc}/internal\n" for loc in catalog.LOCALES
)

_STATUS_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{code} {reason}</title></head>"
    "<body><h1>{code} {reason}</h1></body></html>\n"
)


class InFlight:
    """Requests of the site being answered at this instant (``/_sim/`` controls are not the
    site's): the most at once since the last reset, and the seconds during which at least one
    was (the simulator's busy time: no client can fetch the same pages in less wall time than
    the server takes to answer them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.max = 0
        self.busy_seconds = 0.0
        self._busy_since = 0.0

    def enter(self) -> None:
        with self._lock:
            if self.now == 0:
                self._busy_since = time.perf_counter()
            self.now += 1
            self.max = max(self.max, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1
            if self.now == 0:
                self.busy_seconds += time.perf_counter() - self._busy_since

    def reset(self) -> None:
        """Zero the maximum and the busy time (requests being answered stay counted)."""
        with self._lock:
            self.max = self.now
            self.busy_seconds = 0.0
            self._busy_since = time.perf_counter()

    def state(self) -> dict[str, Any]:
        with self._lock:
            busy = self.busy_seconds
            if self.now:
                busy += time.perf_counter() - self._busy_since
            return {"now": self.now, "max": self.max, "busy_seconds": round(busy, 4)}


class ControlError(ValueError):
    """A bad ``/_sim/control`` or ``/_sim/truth`` request (answered 400)."""


class SimServer:
    """A running simulator: a world, the served day, fault knobs and counters."""

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        day: int = 0,
        faults: FaultConfig | dict[str, Any] | None = None,
        *,
        hourly_world: HourlyWorld | None = None,
        hourly_page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        world._check_day(day)
        self.world = world
        self._day = day
        self._lock = threading.Lock()
        self._board_lock = threading.Lock()
        self.faults = FaultInjector(_fault_config(faults))
        self.requests: Counter[str] = Counter()
        self.in_flight = InFlight()
        self._served: dict[tuple[Any, ...], tuple[Board, Board]] = {}
        self.httpd = _HTTPServer((host, port), _Handler)
        self.httpd.sim = self
        if hourly_world is None:
            hourly_world = HourlyWorld(
                seed=world.seed, size=DEFAULT_HOURLY_SIZE, start=world.start, horizon=world.horizon
            )
        if hourly_world.start != world.start or hourly_world.horizon != world.horizon:
            self.httpd.server_close()
            raise ValueError("the hourly world must share the corporate calendar")
        try:
            self.hourly = HourlySites(
                hourly_world,
                self.host,
                day=lambda: self._day,
                faults=lambda: self.faults.config,
                page_size=hourly_page_size,
            )
        except (OSError, ValueError):
            self.httpd.server_close()
            raise
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The bound address."""
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port 0)."""
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8123``."""
        return f"http://{self.host}:{self.port}"

    @property
    def hourly_urls(self) -> dict[str, str]:
        """Origins of the hourly sites: ``{"US": "http://127.0.0.1:PORT", ...}``."""
        return self.hourly.urls

    @property
    def day(self) -> int:
        """The day currently served."""
        return self._day

    def serve_forever(self) -> None:
        """Serve until ``stop()`` (or KeyboardInterrupt in the caller); the hourly sites serve
        from their own threads."""
        self.hourly.start()
        self.httpd.serve_forever(poll_interval=0.2)

    def start_in_thread(self) -> SimServer:
        """Serve from a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="sim-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the sockets (hourly sites too)."""
        self.httpd.shutdown()
        self.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def close(self) -> None:
        """Close the sockets (after ``serve_forever`` returned) and stop the hourly sites."""
        self.hourly.close()
        self.httpd.server_close()

    def __enter__(self) -> SimServer:
        return self.start_in_thread()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def warm(self, background: bool = True) -> None:
        """Render every job of the served day now (base_query needs them all)."""

        def run() -> None:
            board = self.board()
            for e in board.relevant:
                board.haystack(e)

        if background:
            threading.Thread(target=run, name="sim-warm", daemon=True).start()
        else:
            run()

    # -- state ------------------------------------------------------------------------------

    def board(self, day: int | None = None) -> Board:
        """The board of ``day`` (default: the served day)."""
        with self._board_lock:
            return self.world.board(self._day if day is None else day)

    def served_board(self, day: int | None = None, without: frozenset[str] = frozenset()) -> Board:
        """The board as the site shows it: without the postings ``hide_fraction``,
        ``vanish_categories`` and ``vanish_all`` remove, nor those of the business categories
        in ``without`` (a request's broken category filters), with ``hostile_postings`` of them
        rewritten (``jobsim.hostile``). The truth is ``board()``."""
        board = self._visible_board(day, without)
        return with_hostile_postings(board, self.faults.config.hostile_postings)

    def _visible_board(self, day: int | None, without: frozenset[str]) -> Board:
        board = self.board(day)
        cfg = self.faults.config
        if not (cfg.changes_the_board() or without):
            return board
        key = (
            board.day,
            cfg.hide_fraction,
            cfg.fault_seed,
            cfg.vanish_all,
            frozenset(cfg.vanish_categories),
            without,
        )
        with self._board_lock:
            got = self._served.get(key)
            if got is None or got[0] is not board:
                kept = [
                    e for e in board.relevant if e.bc not in without and cfg.shows(e.icims, e.bc)
                ]
                got = (board, Board(self.world, board.day, kept))
                if len(self._served) >= 16:
                    self._served.clear()
                self._served[key] = got
        return got[1]

    def set_day(self, day: int) -> None:
        """Serve another day."""
        self.world._check_day(day)
        with self._lock:
            self._day = day

    def advance_day(self) -> None:
        """Serve the next day (no-op at the horizon)."""
        with self._lock:
            self._day = min(self._day + 1, self.world.horizon)

    def state(self) -> dict[str, Any]:
        """What ``GET /_sim/state`` answers."""
        w = self.world
        return {
            "seed": w.seed,
            "size": w.size,
            "day": self._day,
            "date": w.date_of(self._day).isoformat(),
            "result_window": w.result_window,
            "horizon": w.horizon,
            "live": len(self.board()),
            "visible": len(self.served_board()),
            "faults": self.faults.config.model_dump(),
            "requests": dict(self.requests),
            "in_flight": self.in_flight.state(),
            "injected": dict(self.faults.injected),
            "hourly": self.hourly.state(),
        }

    def control(self, body: Any) -> dict[str, Any]:
        """Apply a ``POST /_sim/control`` body; returns the new state. Raises ControlError."""
        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object")
        unknown = set(body) - {"day", "faults", "reset_counters"}
        if unknown:
            raise ControlError(f"unknown control keys: {sorted(unknown)}")
        day = body.get("day")
        if day is not None:
            if not isinstance(day, int) or isinstance(day, bool):
                raise ControlError("day must be an integer")
            if not 0 <= day <= self.world.horizon:
                raise ControlError(f"day must be between 0 and {self.world.horizon}")
        config = None
        if "faults" in body:
            try:
                config = _fault_config(body["faults"] or {})
            except (ValidationError, TypeError) as exc:
                raise ControlError(f"bad faults: {exc}") from exc
        reset = body.get("reset_counters", False)
        if not isinstance(reset, bool):
            raise ControlError("reset_counters must be true or false")
        if day is not None:
            self.set_day(day)
        if config is not None:
            self.faults.configure(config)
        if reset:
            self.faults.reset_counters()
            self.hourly.reset_counters()
            with self._lock:
                self.requests.clear()
            self.in_flight.reset()
        return self.state()

    def count(self, kind: str) -> None:
        """Count one served request of a kind."""
        with self._lock:
            self.requests[kind] += 1

    # -- responses --------------------------------------------------------------------------

    def truth_lines(self, day: int, jobs: bool) -> str:
        """JSON Lines of the ground truth of ``day``."""
        board = self.board(day)
        lines = []
        for e in sorted(board.relevant, key=lambda e: int(e.icims)):
            rec = compact(self.world.truth_record(e.idx, day))
            if jobs:
                rec = f'{rec[:-1]},"job":{board.job_json(e)}}}'
            lines.append(rec)
        return "\n".join(lines) + ("\n" if lines else "")

    def search(self, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        """Answer ``/{locale}/search.json`` (with faults)."""
        params = parse_qsl(query, keep_blank_values=True)
        offset = 0
        for k, v in params:
            if k == "offset":
                offset = to_i(v, 0)
                break
        d = self.faults.decide(canonical_url(path, params), unquote_plus(query), offset)
        day = self._day
        if d.advance_day:
            self.advance_day()
        if d.delay_s:
            time.sleep(d.delay_s)
        if d.status != 200:
            return _status_response(d)
        cfg = self.faults.config
        broken = frozenset(
            value
            for name, value in params
            if name == "business_category[]"
            and (cfg.category_filter_zero or value in cfg.empty_listing_categories)
        )
        if broken and not cfg.category_filter_zero:
            self.faults.count("empty_listing")
        board = self.served_board(day, without=broken)
        outcome = execute(board, params, self.world.result_window)
        if d.kind == "soft_error":
            outcome = SearchOutcome(board, SOFT_ERROR, 0, {}, [], outcome.echo)
        status, outcome = _drifted(outcome, cfg)
        body = outcome.to_json(jobs=d.kind != "empty_page").encode()
        headers = {"Content-Type": JSON_TYPE}
        if d.kind == "malformed":
            if d.variant < 0.5:
                body, headers["Content-Type"] = MALFORMED_HTML.encode(), HTML_TYPE
            else:
                body = MALFORMED_JSON.encode()
        elif d.kind == "truncated":
            body = body[: len(body) // 2]
        return status, headers, body


def _drifted(outcome: SearchOutcome, cfg: FaultConfig) -> tuple[int, SearchOutcome]:
    """The answer as a drifted contract serves it (``facets_missing``, ``facets_lie_categories``,
    ``window_error_400``): its HTTP status and body."""
    status = 200
    if cfg.window_error_400 and (outcome.error or "").startswith("Cannot return more than"):
        status = 400
    if cfg.facets_missing and outcome.facets:
        outcome = replace(outcome, facets={})
    elif cfg.facets_lie_categories and "business_category_facet" in outcome.facets:
        lied = [
            entry
            for entry in outcome.facets["business_category_facet"]
            if next(iter(entry)) not in cfg.facets_lie_categories
        ]
        outcome = replace(outcome, facets={**outcome.facets, "business_category_facet": lied})
    return status, outcome


def _fault_config(faults: FaultConfig | dict[str, Any] | None) -> FaultConfig:
    if faults is None:
        return FaultConfig()
    if isinstance(faults, FaultConfig):
        return faults
    if not isinstance(faults, dict):
        raise TypeError("faults must be a JSON object")
    return FaultConfig(**faults)


def _status_response(d: Decision) -> tuple[int, dict[str, str], bytes]:
    body = _STATUS_PAGE.format(code=d.status, reason=HTTPStatus(d.status).phrase).encode()
    return d.status, {"Content-Type": HTML_TYPE}, body


class _HTTPServer(QuietThreadingServer):
    request_queue_size = 128
    sim: SimServer


class _Handler(SimRequestHandler):
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _send(
        self,
        status: int,
        body: bytes | str,
        content_type: str = JSON_TYPE,
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, dumps(obj), JSON_TYPE)

    def do_GET(self) -> None:
        if self.path.startswith("/_sim/"):
            self._answer_get()
            return
        in_flight = self.server.sim.in_flight
        in_flight.enter()
        try:
            self._answer_get()
        finally:
            in_flight.leave()

    def _answer_get(self) -> None:
        sim = self.server.sim
        parts = urlsplit(self.path)
        path = parts.path
        try:
            if not path.startswith("/_sim/") and sim.faults.config.blocks(
                self.headers.get("User-Agent", "")
            ):
                sim.count("blocked")
                status = 200 if sim.faults.config.block_with_200 else 403
                self._send(status, BLOCK_PAGE, HTML_TYPE)
            elif path == "/robots.txt":
                sim.count("robots")
                self._send(200, ROBOTS_TXT, TEXT_TYPE)
            elif path.endswith("/search.json") and path.count("/") == 2:
                locale = path.split("/")[1]
                if locale not in catalog.LOCALES:
                    sim.count("other")
                    self._send(404, not_found_page(), HTML_TYPE)
                    return
                sim.count("search")
                status, headers, body = sim.search(path, parts.query)
                ctype = headers.pop("Content-Type")
                if status == 429:
                    headers["Retry-After"] = str(sim.faults.config.retry_after)
                self._send(status, body, ctype, headers)
            elif path.startswith("/_sim/"):
                sim.count("control")
                self._control_get(path, parts.query)
            elif (detail := parse_detail_path(path)) is not None:
                sim.count("detail")
                self._detail(*detail)
            else:
                sim.count("other")
                self._send(404, not_found_page(), HTML_TYPE)
        except ControlError as exc:
            self._json(400, {"error": str(exc)})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            log.exception("error answering %s", self.path)
            self._send(
                500, _STATUS_PAGE.format(code=500, reason="Internal Server Error"), HTML_TYPE
            )

    do_HEAD = do_GET

    def do_POST(self) -> None:
        sim = self.server.sim
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if path != "/_sim/control":
            sim.count("other")
            self._send(
                405 if not path.startswith("/_sim/") else 404,
                _STATUS_PAGE.format(code=405, reason="Method Not Allowed"),
                HTML_TYPE,
            )
            return
        sim.count("control")
        try:
            body = json.loads(raw or b"{}")
            self._json(200, sim.control(body))
        except (ValueError, ControlError) as exc:
            self._json(400, {"error": str(exc)})

    def _control_get(self, path: str, query: str) -> None:
        sim = self.server.sim
        params = dict(parse_qsl(query, keep_blank_values=True))
        if path == "/_sim/state":
            self._json(200, sim.state())
        elif path == "/_sim/truth":
            day = sim.day
            if params.get("day", "") != "":
                try:
                    day = int(params["day"])
                except ValueError:
                    raise ControlError("day must be an integer") from None
                if not 0 <= day <= sim.world.horizon:
                    raise ControlError(f"day must be between 0 and {sim.world.horizon}")
            jobs = params.get("jobs", "0") not in ("", "0", "false")
            source = params.get("source", "") or "amazon_jobs"
            if source == "amazon_hourly":
                self._send(200, sim.hourly.truth_lines(day, jobs), JSONL_TYPE)
            elif source == "amazon_jobs":
                self._send(200, sim.truth_lines(day, jobs), JSONL_TYPE)
            else:
                raise ControlError("source must be amazon_jobs or amazon_hourly")
        else:
            self._json(404, {"error": f"unknown control endpoint {path}"})

    def _detail(self, locale: str, id_icims: str, is_json: bool) -> None:
        sim = self.server.sim
        board = sim.served_board()
        entry = board.by_icims.get(id_icims)
        if locale not in catalog.LOCALES or entry is None:
            self._send(
                404, not_found_page(locale if locale in catalog.LOCALES else "en"), HTML_TYPE
            )
            return
        job = json.loads(board.job_json(entry))
        if is_json:
            target = f"/{locale}/jobs/{id_icims}/{job['job_path'].rsplit('/', 1)[1]}"
            self._send(302, "", HTML_TYPE, {"Location": target})
            return
        self._send(200, detail_page(job, locale), HTML_TYPE)


def make_server(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 1,
    day: int = 0,
    size: int = 22000,
    result_window: int = 10000,
    faults: FaultConfig | dict[str, Any] | None = None,
    *,
    horizon: int = 450,
    world: World | None = None,
    hourly_size: int = DEFAULT_HOURLY_SIZE,
    hourly_page_size: int = DEFAULT_PAGE_SIZE,
) -> SimServer:
    """Build a world (unless given) and its hourly world, and bind the servers (not yet
    serving): the corporate origin on ``port``, each hourly site on a free port."""
    if world is None:
        world = World(seed=seed, size=size, result_window=result_window, horizon=horizon)
    hourly = HourlyWorld(
        seed=world.seed, size=hourly_size, start=world.start, horizon=world.horizon
    )
    return SimServer(
        world,
        host=host,
        port=port,
        day=day,
        faults=faults,
        hourly_world=hourly,
        hourly_page_size=hourly_page_size,
    )
