"""The seeded captures of the simulated board (jobsim's world) in two web archives.

``ArchiveModel(seed, captures, years)`` builds a :class:`jobsim.world.World` whose day 0 is
January 1st of the first year and whose horizon ends on the archive's "now" (December 1st of the
last year), then draws ``captures`` captures of its postings' pages: most in the Wayback Machine,
about a quarter in Common Crawl crawls (each inside a crawl's window). A capture has a ``kind``
(see :data:`KINDS`) that decides its payload; the truth is computed from the kinds, never by
parsing the pages: valid sightings are ``page`` and ``revisit`` captures
(docs/simulator_archive.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jobsim.archive import pages
from jobsim.catalog import slugify
from jobsim.world import World

LOCALES = ("en", "en-gb", "de", "fr", "es", "it", "jp", "zh", "cs", "pl", "pt")
LOCALE_WEIGHTS = (60, 6, 6, 5, 4, 3, 6, 4, 2, 2, 2)
EMPTY_DIGEST = "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
VALID_KINDS = frozenset({"page", "revisit"})
# kind -> (wayback weight, commoncrawl weight)
KINDS: dict[str, tuple[int, int]] = {
    "page": (700, 700),  # a live posting's page: a valid sighting
    "revisit": (40, 0),  # warc/revisit row of an identical earlier page capture: valid
    "closed": (70, 60),  # the URL after the posting closed: 404 / 302 to search / 200 soft-404
    "json_redirect": (30, 30),  # /{locale}/jobs/<id>.json archived 302 to the page
    "http_redirect": (20, 30),  # http://amazon.jobs/... archived 301 to https://www.amazon.jobs/...
    "mismatch": (10, 10),  # a page whose Job ID differs from the id in its URL
    "nonhtml": (10, 5),  # application/json payload at a job URL
    "unknown_era": (10, 10),  # a job page in a layout of no known era
    "archived_429": (10, 10),  # the site answered 429 at crawl time
    "search": (20, 20),  # /{locale}/search: a React shell listing no postings
    "truncated": (0, 15),  # WARC-Truncated record cut before the Job ID line
    "robots": (0, 10),  # robots.txt (Common Crawl robotstxt/ subset)
}
MALFORMED = ("malformed_ts", "mailto")
# Real Common Crawl crawl weeks (CC-MAIN-<year>-<week>); 2026 ones are invented.
CRAWL_WEEKS: dict[int, tuple[int, ...]] = {
    2018: (5, 9, 13, 17, 22, 26, 30, 34, 39, 43, 47, 51),
    2019: (4, 9, 13, 18, 22, 26, 30, 35, 39, 43, 47, 51),
    2020: (5, 10, 16, 24, 29, 34, 40, 45, 50),
    2021: (4, 10, 17, 21, 25, 31, 39, 43, 49),
    2022: (5, 21, 27, 33, 40, 49),
    2023: (6, 14, 23, 40, 50),
    2024: (10, 18, 22, 26, 30, 33, 38, 42, 46, 51),
    2025: (5, 8, 13, 18, 21, 26, 30, 33, 38, 43, 47, 51),
    2026: (4, 8, 13, 17, 21, 26, 30, 33, 38, 43),
}
ROBOTS_TXT = b"User-agent: *\nDisallow: /internal\nDisallow: /en/internal\n"


def sha1_base32(data: bytes) -> str:
    """The CDX/WARC payload digest: base32 of the SHA-1."""
    return base64.b32encode(hashlib.sha1(data).digest()).decode()


def surt(url: str) -> str:
    """SURT key of a URL: ``jobs,amazon)/en/jobs/1234567/slug`` (www, scheme, :80/:443 dropped)."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www.") or (host[:3] == "www" and host[3:4].isdigit() and "." in host):
        host = host.split(".", 1)[1]
    port = parts.port
    key = ",".join(reversed(host.split(".")))
    if (
        port
        and not (port == 80 and parts.scheme == "http")
        and not (port == 443 and parts.scheme == "https")
    ):
        key += f":{port}"
    path = parts.path or "/"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return f"{key}){path.lower()}" + (f"?{query.lower()}" if query else "")


def ts14(when: dt.datetime) -> str:
    """``YYYYMMDDhhmmss``."""
    return when.strftime("%Y%m%d%H%M%S")


def parse_ts(ts: str) -> dt.datetime | None:
    """A 14-digit timestamp as a UTC datetime (None when not a real date)."""
    try:
        return dt.datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def http_date(when: dt.datetime) -> str:
    """``Fri, 24 Nov 2017 15:13:15 GMT``."""
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")


def era_of(when: dt.datetime) -> str:
    """The page era of a capture date: 2026, 2025, older."""
    if when.year >= 2026:
        return "2026"
    if when.year == 2025:
        return "2025"
    return "older"


@dataclass(frozen=True)
class Crawl:
    """One Common Crawl crawl."""

    id: str
    start: dt.datetime
    end: dt.datetime
    segments: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.start.strftime('%B %Y')} Index"

    @property
    def has_languages(self) -> bool:
        """``languages``/``encoding`` fields from CC-MAIN-2018-39."""
        return self.id >= "CC-MAIN-2018-39"

    @property
    def has_redirect(self) -> bool:
        """``redirect``/``truncated`` fields from CC-MAIN-2019-47."""
        return self.id >= "CC-MAIN-2019-47"


@dataclass
class Payload:
    """What the site answered at crawl time."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    mime: str


@dataclass
class Capture:
    """One capture (one CDX row; revisits are captures too)."""

    n: int
    archive: str  # "wayback" | "commoncrawl"
    when: dt.datetime
    original: str
    kind: str
    idx: int | None = None  # posting index in the world
    day: int = 0
    locale: str = "en"
    era: str = "older"
    crawl: str | None = None
    shown_idx: int | None = None  # mismatch: the posting the page shows
    revisit_of: int | None = None
    gzip_original: bool = False
    length_dash: bool = False
    ts_override: str | None = None
    urlkey: str = field(default="")

    @property
    def ts(self) -> str:
        return self.ts_override or ts14(self.when)

    @property
    def valid(self) -> bool:
        return self.kind in VALID_KINDS


class ArchiveModel:
    """All captures of one seeded simulated archive."""

    def __init__(
        self, seed: int = 1, captures: int = 3000, years: tuple[int, int] = (2018, 2026)
    ) -> None:
        if captures < 50:
            raise ValueError("captures must be >= 50")
        if not 2000 <= years[0] <= years[1] <= 2030:
            raise ValueError("years must be FIRST-LAST within 2000-2030")
        self.seed = seed
        self.years = years
        self.start = dt.date(years[0], 1, 1)
        self.now = dt.datetime(years[1], 12, 1, tzinfo=dt.UTC)
        horizon = (self.now.date() - self.start).days
        self.world = World(
            seed=seed, size=max(8, captures // 300), start=self.start, horizon=horizon
        )
        self.horizon = horizon
        self.crawls = self._crawls()
        self.crawl_by_id = {c.id: c for c in self.crawls}
        self.captures: list[Capture] = []
        self._rng = random.Random(f"archive:{seed}")
        self._jobs: dict[tuple[int, int], dict[str, Any]] = {}
        self._payloads: dict[tuple[int, str], Payload] = {}
        self._draw(captures)
        self.wayback = sorted(
            (c for c in self.captures if c.archive == "wayback"), key=lambda c: (c.urlkey, c.ts)
        )
        self.by_urlkey: dict[str, list[Capture]] = {}
        for c in self.wayback:
            if c.kind != "mailto":
                self.by_urlkey.setdefault(c.urlkey, []).append(c)
        self.cc_rows: dict[str, list[Capture]] = {}
        for c in sorted(
            (c for c in self.captures if c.archive == "commoncrawl"),
            key=lambda c: (c.urlkey, c.ts),
        ):
            self.cc_rows.setdefault(c.crawl or "", []).append(c)

    # -- crawls ---------------------------------------------------------------------------------

    def _crawls(self) -> list[Crawl]:
        out = []
        rng = random.Random(f"crawls:{self.seed}")
        for year in range(self.years[0], self.years[1] + 1):
            for week in CRAWL_WEEKS.get(year, (8, 21, 33, 47)):
                end = dt.datetime.combine(
                    dt.date.fromisocalendar(year, week, 1), dt.time(), tzinfo=dt.UTC
                )
                start = end - dt.timedelta(days=13, hours=rng.randrange(1, 20))
                if start.date() < self.start or end > self.now:
                    continue
                base = int(start.timestamp() * 1000)
                segs = tuple(
                    f"{base + rng.randrange(10**6)}.{rng.randrange(10, 99)}" for _ in range(2)
                )
                out.append(Crawl(f"CC-MAIN-{year}-{week:02d}", start, end, segs))
        return sorted(out, key=lambda c: c.id, reverse=True)

    # -- drawing captures ------------------------------------------------------------------------

    def _when(self, day: int) -> dt.datetime:
        base = dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=day)
        return base + dt.timedelta(seconds=self._rng.randrange(86400))

    def _day_of(self, when: dt.datetime) -> int:
        return (when.date() - self.start).days

    @staticmethod
    def never_archived(idx: int) -> bool:
        """About 12 % of postings are never captured: absence of captures proves nothing."""
        return (idx * 2654435761) % 100 < 12

    def _live_window(self, idx: int) -> tuple[int, int] | None:
        if self.never_archived(idx):
            return None
        spans = self.world._spans[idx]
        lo = max(0, spans[0][0])
        hi = min(self.horizon - 1, (spans[-1][1] or self.horizon) - 1)
        return (lo, hi) if lo <= hi else None

    def job(self, idx: int, day: int) -> dict[str, Any]:
        """The job object of a posting as it stood on ``day`` (cached per revision)."""
        day = min(max(day, 0), self.horizon)
        rev = self.world.revision_at(idx, day)
        key = (idx, rev)
        if key not in self._jobs:
            self._jobs[key] = self.world.job_dict(idx, rev)
        return self._jobs[key]

    def title_and_id(self, idx: int, day: int) -> dict[str, str]:
        """``{"title", "id_icims"}`` of a posting on ``day`` (cheaper than the job object)."""
        day = min(max(day, 0), self.horizon)
        spec = self.world.spec(idx, self.world.revision_at(idx, day))
        return {"title": spec.title, "id_icims": self.world._icims_of[idx]}

    def _url(self, idx: int, day: int, when: dt.datetime, locale: str, slug: bool = True) -> str:
        rng = self._rng
        https = rng.random() < (0.8 if when.year >= 2019 else 0.4)
        host = "www.amazon.jobs" if rng.random() < 0.85 else "amazon.jobs"
        if not https and rng.random() < 0.15:
            host += ":80"
        job = self.title_and_id(idx, day)
        path = f"/{locale}/jobs/{job['id_icims']}"
        if slug and rng.random() < 0.85:
            path += "/" + slugify(job["title"])
        query = "?cmpid=SPLICX0248M&utm_source=linkedin" if rng.random() < 0.04 else ""
        return f"{'https' if https else 'http'}://{host}{path}{query}"

    def _pick_posting(self, archive: str) -> tuple[int, int, dt.datetime, str | None] | None:
        """(posting, day, when, crawl) of a capture while the posting is live."""
        rng = self._rng
        for _ in range(50):
            idx = rng.randrange(self.world.posting_count)
            window = self._live_window(idx)
            if window is None:
                continue
            spans = [
                (max(0, a), min(self.horizon, b if b is not None else self.horizon))
                for a, b in self.world._spans[idx]
            ]
            spans = [(a, b) for a, b in spans if a < b]
            if archive == "wayback":
                a, b = spans[rng.randrange(len(spans))]
                day = rng.randrange(a, b)
                return idx, day, self._when(day), None
            options = []
            for crawl in self.crawls:
                c0, c1 = self._day_of(crawl.start), self._day_of(crawl.end)
                for a, b in spans:
                    lo, hi = max(a, c0), min(b, c1)
                    if lo < hi:
                        options.append((crawl, lo, hi))
            if options:
                crawl, lo, hi = options[rng.randrange(len(options))]
                day = rng.randrange(lo, hi)
                when = self._when(day)
                when = min(max(when, crawl.start), crawl.end)
                return idx, day, when, crawl.id
        return None

    def _draw(self, total: int) -> None:
        rng = self._rng
        kinds = list(KINDS)
        wb_w = [KINDS[k][0] for k in kinds]
        cc_w = [KINDS[k][1] for k in kinds]
        seen: set[tuple[str, str, str]] = set()
        pages_by_archive: list[Capture] = []
        while len(self.captures) < total - len(MALFORMED):
            archive = "wayback" if rng.random() < 0.75 else "commoncrawl"
            kind = rng.choices(kinds, wb_w if archive == "wayback" else cc_w)[0]
            cap = self._make(kind, archive, pages_by_archive)
            if cap is None:
                continue
            cap.urlkey = surt(cap.original)
            while (cap.archive, cap.urlkey, cap.ts) in seen:
                cap.when += dt.timedelta(seconds=1)
            seen.add((cap.archive, cap.urlkey, cap.ts))
            cap.n = len(self.captures)
            self.captures.append(cap)
            if kind == "page" and archive == "wayback":
                pages_by_archive.append(cap)
        # Malformed rows, as observed: a month-00 timestamp, a mailto: URL crawled as a path.
        first = next(c for c in self.captures if c.kind == "page" and c.archive == "wayback")
        bad = Capture(0, "wayback", first.when, first.original, "malformed_ts", idx=first.idx)
        bad.ts_override = "20000012170449"
        bad.urlkey = first.urlkey
        mail = "http://www.amazon.jobs/en/jobs/mailto:recruiting@amazon.com"
        mailto = Capture(0, "wayback", first.when, mail, "mailto", urlkey=surt(mail))
        for cap in (bad, mailto):
            cap.n = len(self.captures)
            self.captures.append(cap)

    def _make(self, kind: str, archive: str, earlier: list[Capture]) -> Capture | None:
        rng = self._rng
        locale = rng.choices(LOCALES, LOCALE_WEIGHTS)[0]
        if kind == "revisit":
            if not earlier:
                return None
            orig = earlier[rng.randrange(len(earlier))]
            day = orig.day + rng.randrange(1, 6)
            assert orig.idx is not None
            if day >= self.horizon or self.world.span_at(orig.idx, day) is None:
                return None
            if self.world.revision_at(orig.idx, day) != self.world.revision_at(orig.idx, orig.day):
                return None
            when = self._when(day)
            return Capture(
                0,
                archive,
                when,
                orig.original,
                kind,
                idx=orig.idx,
                day=day,
                locale=orig.locale,
                era=orig.era,
                revisit_of=orig.n,
            )
        if kind in ("search", "robots"):
            picked = self._pick_posting(archive)
            if picked is None:
                return None
            _, day, when, crawl = picked
            if kind == "robots":
                url = "https://www.amazon.jobs/robots.txt"
            else:
                url = f"https://www.amazon.jobs/{locale}/search?base_query=&loc_query=Seattle"
            return Capture(0, archive, when, url, kind, day=day, locale=locale, crawl=crawl)
        if kind == "closed":
            for _ in range(50):
                idx = rng.randrange(self.world.posting_count)
                end = self.world._spans[idx][-1][1]
                if self.never_archived(idx) or end is None or end >= self.horizon - 1 or end < 1:
                    continue
                day = rng.randrange(end, min(self.horizon, end + 400))
                when = self._when(day)
                crawl = None
                if archive == "commoncrawl":
                    crawls = [c for c in self.crawls if c.start >= when]
                    if not crawls:
                        continue
                    chosen = crawls[-1]
                    crawl, when = (
                        chosen.id,
                        chosen.start + dt.timedelta(hours=rng.randrange(1, 300)),
                    )
                    day = self._day_of(when)
                url = self._url(idx, end - 1, when, locale)
                return Capture(
                    0,
                    archive,
                    when,
                    url,
                    kind,
                    idx=idx,
                    day=day,
                    locale=locale,
                    era=era_of(when),
                    crawl=crawl,
                )
            return None
        picked = self._pick_posting(archive)
        if picked is None:
            return None
        idx, day, when, crawl = picked
        cap = Capture(
            0,
            archive,
            when,
            "",
            kind,
            idx=idx,
            day=day,
            locale=locale,
            era=era_of(when),
            crawl=crawl,
        )
        job = self.title_and_id(idx, day)
        if kind == "json_redirect" or kind == "nonhtml":
            cap.original = f"https://www.amazon.jobs/{locale}/jobs/{job['id_icims']}.json"
        elif kind == "http_redirect":
            cap.original = (
                f"http://amazon.jobs/{locale}/jobs/{job['id_icims']}/{slugify(job['title'])}"
            )
        else:
            cap.original = self._url(idx, day, when, locale)
        if kind == "mismatch":
            other = self._pick_posting("wayback")
            if other is None or other[0] == idx:
                return None
            cap.shown_idx = other[0]
        if kind == "unknown_era":
            cap.era = "unknown"
        if kind == "page":
            cap.gzip_original = rng.random() < 0.06
            cap.length_dash = archive == "wayback" and rng.random() < 0.01
        return cap

    # -- payloads -------------------------------------------------------------------------------

    def token(self, cap: Capture) -> str:
        """Per-capture page values (csrf-token): captures of unchanged content differ."""
        raw = hashlib.sha256(f"{self.seed}:{cap.n}".encode()).digest()
        return base64.b64encode(raw).decode()

    def closed_style(self, cap: Capture, mode: str) -> str:
        """How a closed posting's URL answered: "404", "302" or "200"."""
        return ("404", "302", "200")[cap.n % 3] if mode == "mixed" else mode

    def payload(self, cap: Capture, closed_mode: str = "mixed") -> Payload:
        """The original answer of a capture (cached)."""
        key = (cap.n, closed_mode if cap.kind == "closed" else "")
        hit = self._payloads.get(key)
        if hit is None:
            hit = self._payloads[key] = self._payload(cap, closed_mode)
        return hit

    def _payload(self, cap: Capture, closed_mode: str) -> Payload:
        html = "text/html;charset=utf-8"
        base = [("Server", "Server"), ("Date", http_date(cap.when))]
        token = self.token(cap)
        kind = cap.kind
        if kind == "revisit":
            assert cap.revisit_of is not None
            return self.payload(self.captures[cap.revisit_of])
        if kind in ("page", "truncated", "unknown_era", "mismatch", "malformed_ts"):
            assert cap.idx is not None
            shown = cap.shown_idx if cap.shown_idx is not None else cap.idx
            era = cap.era if kind != "malformed_ts" else "older"
            body = pages.job_page(self.job(shown, cap.day), era, cap.locale, token)
            headers = [*base, ("Content-Type", html), ("Cache-Control", "private")]
            if cap.gzip_original:
                headers.append(("Content-Encoding", "gzip"))
            return Payload(200, headers, body, "text/html")
        if kind == "closed":
            style = self.closed_style(cap, closed_mode)
            if style == "404":
                return Payload(
                    404,
                    [*base, ("Content-Type", html)],
                    pages.not_found_page(cap.locale, token),
                    "text/html",
                )
            if style == "302":
                loc = f"https://www.amazon.jobs/{cap.locale}/search"
                return Payload(
                    302, [*base, ("Location", loc), ("Content-Length", "0")], b"", "text/html"
                )
            return Payload(
                200,
                [*base, ("Content-Type", html)],
                pages.no_longer_available_page(cap.locale, token),
                "text/html",
            )
        if kind in ("json_redirect", "http_redirect"):
            assert cap.idx is not None
            job = self.title_and_id(cap.idx, cap.day)
            loc = f"https://www.amazon.jobs/{cap.locale}/jobs/{job['id_icims']}/{slugify(job['title'])}"
            status = 302 if kind == "json_redirect" else 301
            return Payload(
                status, [*base, ("Location", loc), ("Content-Length", "0")], b"", "text/html"
            )
        if kind == "nonhtml":
            assert cap.idx is not None
            job = self.job(cap.idx, cap.day)
            body = json.dumps({"id_icims": job["id_icims"], "title": job["title"]}).encode()
            return Payload(
                200,
                [*base, ("Content-Type", "application/json; charset=utf-8")],
                body,
                "application/json",
            )
        if kind == "archived_429":
            return Payload(
                429,
                [*base, ("Content-Type", html), ("Retry-After", "6")],
                pages.too_many_requests_page(token),
                "text/html",
            )
        if kind == "search":
            return Payload(
                200,
                [*base, ("Content-Type", html)],
                pages.search_page(cap.locale, token),
                "text/html",
            )
        if kind == "robots":
            return Payload(200, [*base, ("Content-Type", "text/plain")], ROBOTS_TXT, "text/plain")
        return Payload(
            404, [*base, ("Content-Type", html)], pages.not_found_page("en", token), "text/html"
        )

    def stored_body(self, cap: Capture, closed_mode: str = "mixed") -> bytes:
        """The payload bytes as archived (a truncated record is cut before the Job ID line)."""
        body = self.payload(cap, closed_mode).body
        if cap.kind == "truncated":
            return body[: body.index(b"<title>")]
        return body

    def digest(self, cap: Capture, closed_mode: str = "mixed") -> str:
        """The CDX digest: SHA-1 (base32) of the stored payload."""
        return sha1_base32(self.stored_body(cap, closed_mode))

    def cdx_row(self, cap: Capture, closed_mode: str = "mixed") -> dict[str, str]:
        """The seven public Wayback CDX fields of a capture."""
        p = self.payload(cap, closed_mode)
        if cap.kind == "revisit":
            return {
                "urlkey": cap.urlkey,
                "timestamp": cap.ts,
                "original": cap.original,
                "mimetype": "warc/revisit",
                "statuscode": "-",
                "digest": self.digest(cap),
                "length": str(420 + cap.n % 40),
            }
        if cap.kind == "mailto":
            return {
                "urlkey": cap.urlkey,
                "timestamp": cap.ts,
                "original": cap.original,
                "mimetype": "unk",
                "statuscode": "-",
                "digest": EMPTY_DIGEST,
                "length": "-",
            }
        length = "-" if cap.length_dash else str(len(gzip.compress(p.body, 1)) + 520)
        return {
            "urlkey": cap.urlkey,
            "timestamp": cap.ts,
            "original": cap.original,
            "mimetype": p.mime,
            "statuscode": str(p.status),
            "digest": self.digest(cap, closed_mode),
            "length": length,
        }

    # -- truth -----------------------------------------------------------------------------------

    def truth(self) -> list[dict[str, Any]]:
        """The valid sightings among the listed captures, oldest first."""
        out = []
        for cap in sorted(self.captures, key=lambda c: (c.when, c.archive, c.n)):
            if not cap.valid or cap.idx is None:
                continue
            rec: dict[str, Any] = {
                "posting_id": f"amazon_jobs:{self.world._icims_of[cap.idx]}",
                "archive": cap.archive,
                "captured_at": cap.when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "timestamp": cap.ts,
                "original_url": cap.original,
                "era": cap.era,
                "kind": cap.kind,
            }
            if cap.crawl:
                rec["crawl"] = cap.crawl
            out.append(rec)
        return out

    def summary(self) -> dict[str, Any]:
        """Counts for the docs and the bench."""
        kinds: dict[str, int] = {}
        for c in self.captures:
            kinds[f"{c.archive}:{c.kind}"] = kinds.get(f"{c.archive}:{c.kind}", 0) + 1
        return {
            "captures": len(self.captures),
            "postings": self.world.posting_count,
            "crawls": len(self.crawls),
            "kinds": dict(sorted(kinds.items())),
        }
