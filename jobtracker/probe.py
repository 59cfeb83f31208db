"""``jobtracker probe``: a handful of requests that check the contract the crawler relies on.

Collectors disagree about www.amazon.jobs (docs: README, "Before a big crawl: jobtracker
probe"): facets reported empty, the category filter answering ``hits: 0``, HTTP 400 instead of
the soft error past the window, 403 for some clients. Before a big crawl (and before
``jobtracker schedule`` posts one), the probe asks, with the crawler's User-Agent:

robots.txt, one facet call, one listing page, one category-filtered count, one page past the
edge of the window, one with ``result_limit=101``, one keyword (an id lookup) and one job page;

and prints a table (check, expected, seen, OK/DRIFT) and a one-line verdict. A DRIFT that would
make a crawl unsafe (``unsafe``: blocked, robots.txt disallowing, facets unusable, a broken
category filter, a listing of another shape) is what ``schedule`` refuses on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from jobtracker.normalize.text import strip_controls
from jobtracker.partitions import tolerance_for
from jobtracker.plan_discovery import facet_plan_problem
from jobtracker.site_status import block_reason
from jobtracker.sources.amazon_jobs import (
    TOP_LEVEL_KEYS,
    PayloadError,
    SearchPage,
    parse_search_payload,
)

WINDOW = 10_000
PAGE_SIZE = 100
ERROR_WINDOW = "Cannot return more than"
ERROR_LIMIT = "Result limit cannot be greater than 100"
JOB_FIELDS = ("id_icims", "job_path", "business_category", "country_code", "posted_date")


class Unreachable(Exception):
    """No HTTP answer at all."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


Fetch = Callable[[str], Answer]


def http_fetch(user_agent: str, timeout: float) -> Fetch:
    """GET with the crawler's User-Agent; any HTTP status is an answer, no answer raises."""

    def fetch(url: str) -> Answer:
        request = Request(url, headers={"User-Agent": user_agent, "Accept": "application/json"})
        try:
            with urlopen(request, timeout=timeout) as response:
                return Answer(
                    response.status, response.headers.get("Content-Type", ""), response.read()
                )
        except HTTPError as exc:
            return Answer(exc.code, exc.headers.get("Content-Type", ""), exc.read())
        except (URLError, OSError) as exc:
            raise Unreachable(str(getattr(exc, "reason", None) or exc)) from None

    return fetch


@dataclass(frozen=True)
class Check:
    """One row of the table."""

    name: str
    expected: str
    seen: str
    ok: bool
    unsafe: bool = False
    """A DRIFT that makes a crawl unsafe (what ``jobtracker schedule`` refuses on)."""

    @property
    def status(self) -> str:
        return "OK" if self.ok else "DRIFT"


@dataclass
class ProbeReport:
    base_url: str
    locale: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def unsafe(self) -> list[Check]:
        return [check for check in self.checks if not check.ok and check.unsafe]

    def verdict(self) -> str:
        """One line: OK, or the drifts by name (the unsafe ones said so)."""
        if self.ok:
            return f"OK: {self.base_url} answers as the crawler expects ({len(self.checks)} checks)"
        drifts = [check.name for check in self.checks if not check.ok]
        unsafe = [check.name for check in self.unsafe]
        line = f"DRIFT: {', '.join(drifts)}"
        if unsafe:
            line += f"; unsafe to crawl or schedule: {', '.join(unsafe)}"
        else:
            line += "; the crawler copes (nothing unsafe)"
        return line

    def lines(self) -> list[str]:
        """The table and the verdict, for a terminal (site text without control characters)."""
        header = ("check", "expected", "seen", "status")
        rows = [
            (check.name, check.expected, terminal(check.seen), check.status)
            for check in self.checks
        ]
        caps = (16, 44, 88, 6)
        widths = [
            min(cap, max(len(row[i]) for row in [header, *rows])) for i, cap in enumerate(caps)
        ]

        def line(row: tuple[str, ...]) -> str:
            cells = [fit(text, width) for text, width in zip(row, widths, strict=True)]
            return "  ".join(cells).rstrip()

        return [line(header), *(line(row) for row in rows), self.verdict()]

    def as_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "locale": self.locale,
            "ok": self.ok,
            "verdict": self.verdict(),
            "checks": [{**asdict(check), "status": check.status} for check in self.checks],
        }


def terminal(text: str) -> str:
    return strip_controls(text)


def fit(text: str, width: int) -> str:
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def probe(base_url: str, locale: str = "en", *, fetch: Fetch, window: int = WINDOW) -> ProbeReport:
    """Run the checks against ``base_url`` (``fetch`` does the HTTP)."""
    base = base_url.rstrip("/")
    report = ProbeReport(base, locale)
    add = report.checks.append
    search = f"{base}/{locale}/search.json"
    get = fetch

    # -- reachable, robots.txt, access ------------------------------------------------------
    try:
        robots = get(f"{base}/robots.txt")
    except Unreachable as exc:
        add(Check("reachable", "an HTTP answer", f"no answer: {exc}", False, True))
        return report
    add(Check("reachable", "an HTTP answer", f"HTTP {robots.status}", True))
    facet_url = search + "?" + urlencode(
        [("offset", 0), ("result_limit", 1), ("sort", "recent"),
         ("facets[]", "business_category"), ("facets[]", "normalized_country_code")]
    )  # fmt: skip
    facets = get(facet_url)
    blocked = block_reason(facets.status, facets.content_type, facets.body) or block_reason(
        robots.status, robots.content_type, robots.body
    )
    add(
        Check(
            "access",
            "no 403, no block page",
            f"{blocked} for this User-Agent" if blocked else f"HTTP {facets.status}",
            blocked is None,
            True,
        )
    )
    if blocked:
        return report
    add(robots_check(robots, f"/{locale}/search.json", base))

    # -- facets -----------------------------------------------------------------------------
    facet_page = decode(facets)
    counts: dict[str, int] = {}
    if isinstance(facet_page, str):
        add(Check("facets", "business_category and country facets", facet_page, False, True))
    else:
        problem = facet_plan_problem(facet_page.facets, facet_page.hits, window)
        counts = dict(facet_page.facets.get("business_category") or {})
        countries = facet_page.facets.get("normalized_country_code") or {}
        seen = problem or (
            f"{len(counts)} categories, {len(countries)} countries: "
            f"{sum(counts.values()):,} each; hits {facet_page.hits:,}"
        )
        add(Check("facets", "category and country counts agree", seen, problem is None, True))

    # -- one listing page -------------------------------------------------------------------
    listing = get(
        search + "?" + urlencode([("offset", 0), ("result_limit", PAGE_SIZE), ("sort", "recent")])
    )
    page = decode(listing)
    jobs: list[dict[str, Any]] = []
    if isinstance(page, str):
        add(Check("listing page", f"{PAGE_SIZE} jobs, known fields", page, False, True))
    else:
        jobs = page.jobs
        add(listing_check(page, listing.body, locale))

    # -- the category filter ----------------------------------------------------------------
    below = {value: n for value, n in counts.items() if 0 < n < window}
    category = max(below, key=lambda value: below[value]) if below else None
    if category is None and jobs:
        category = str(jobs[0].get("business_category") or "") or None
    if category is not None:
        filtered = decode(get(search + "?" + urlencode(
            [("offset", 0), ("result_limit", 1), ("business_category[]", category)]
        )))  # fmt: skip
        promised = below.get(category)
        expected = f"{category}: {promised:,} hits" if promised else f"{category}: some hits"
        if isinstance(filtered, str):
            add(Check("category filter", expected, filtered, False, True))
        else:
            agrees = (
                abs(filtered.hits - promised) <= tolerance_for(promised, 2, 0.005)
                if promised
                else filtered.hits > 0
            )
            add(Check("category filter", expected, f"{filtered.hits:,} hits", agrees, True))

    # -- the caps ---------------------------------------------------------------------------
    edge = window - PAGE_SIZE + 1
    add(cap_check(
        "past the window",
        get(search + "?" + urlencode([("offset", edge), ("result_limit", PAGE_SIZE)])),
        f"offset {edge}: 200, no jobs, soft error",
        ERROR_WINDOW,
    ))  # fmt: skip
    add(cap_check(
        "result_limit=101",
        get(search + "?" + urlencode([("offset", 0), ("result_limit", PAGE_SIZE + 1)])),
        "200, no jobs, soft error",
        ERROR_LIMIT,
    ))  # fmt: skip

    # -- a keyword (an id lookup) and a job page --------------------------------------------
    if jobs:
        job = jobs[0]
        source_id = str(job.get("id_icims") or "")
        found = decode(
            get(search + "?" + urlencode([("base_query", source_id), ("result_limit", 10)]))
        )
        ids = [] if isinstance(found, str) else [str(j.get("id_icims")) for j in found.jobs]
        seen = found if isinstance(found, str) else f"{found.hits} hit(s)"
        seen += "" if source_id in ids else ", without it"
        add(Check("keyword", f"base_query={source_id} finds it", seen, source_id in ids))
        path = str(job.get("job_path") or "")
        detail = get(base + path) if path.startswith("/") else Answer(0, "", b"")
        has_id = source_id.encode() in detail.body
        add(Check(
            "job page",
            "HTTP 200 with the posting",
            f"HTTP {detail.status}{'' if has_id else ', without its id'}",
            detail.status == 200 and has_id,
        ))  # fmt: skip
    return report


def decode(answer: Answer) -> SearchPage | str:
    """The search page, or what was wrong with the answer."""
    if answer.status != 200:
        return f"HTTP {answer.status}"
    try:
        return parse_search_payload(answer.body)
    except PayloadError as exc:
        return f"not a search.json answer ({exc})"


def robots_check(robots: Answer, path: str, base: str) -> Check:
    from protego import Protego

    expected = f"allows {path}"
    if robots.status == 404:
        return Check("robots.txt", expected, "no robots.txt (everything allowed)", True)
    if robots.status != 200:
        return Check("robots.txt", expected, f"HTTP {robots.status}", False)
    rules = Protego.parse(robots.body.decode("utf-8", errors="replace"))
    from jobtracker.settings import USER_AGENT

    allowed = rules.can_fetch(f"{base}{path}", USER_AGENT)
    return Check("robots.txt", expected, "allowed" if allowed else "DISALLOWED", allowed, True)


def listing_check(page: SearchPage, body: bytes, locale: str) -> Check:
    from jobtracker.normalize.dates import parse_posted_date

    expected = f"{PAGE_SIZE} jobs, known fields"
    wrong: list[str] = []
    keys = tuple(json.loads(body))
    if keys != TOP_LEVEL_KEYS:
        wrong.append(f"top-level keys {list(keys)}")
    if not page.jobs and page.hits:
        wrong.append(f"no jobs although hits {page.hits}")
    elif len(page.jobs) < min(PAGE_SIZE, page.hits):
        wrong.append(f"{len(page.jobs)} jobs of {min(PAGE_SIZE, page.hits)}")
    for job in page.jobs[:PAGE_SIZE]:
        missing = [name for name in JOB_FIELDS if not job.get(name)]
        if missing:
            wrong.append(f"jobs without {', '.join(missing)}")
            break
        if not str(job["id_icims"]).isdigit() or not str(job["job_path"]).startswith(
            f"/{locale}/jobs/"
        ):
            wrong.append(f"an unexpected id or path ({job['id_icims']!r}, {job['job_path']!r})")
            break
        if parse_posted_date(job["posted_date"], locale) is None:
            wrong.append(f"an unreadable posted_date {job['posted_date']!r}")
            break
        locations = job.get("locations")
        if locations is not None and not all(isinstance(loc, str) for loc in locations):
            wrong.append("locations that are not JSON strings")
            break
    seen = "; ".join(wrong) if wrong else f"{len(page.jobs)} jobs, fields as expected"
    return Check("listing page", expected, seen, not wrong, True)


def cap_check(name: str, answer: Answer, expected: str, error: str) -> Check:
    page = decode(answer)
    if isinstance(page, str):
        return Check(name, expected, page, False)
    ok = page.jobs == [] and (page.error or "").startswith(error)
    said = "soft error" if ok else f"error {page.error!r}"
    return Check(name, expected, f"HTTP 200, {len(page.jobs)} jobs, {said}", ok)


# -- command line ---------------------------------------------------------------------------
def register(commands: Any) -> None:
    """Add ``probe`` to the ``jobtracker`` subcommands."""
    parser = commands.add_parser(
        "probe",
        help="check that www.amazon.jobs still answers as the crawler expects (a few requests)",
        description="A handful of requests (robots.txt, a facet call, a listing page, a "
        "category filter, a page past the window, result_limit=101, an id lookup, a job page) "
        "with the crawler's User-Agent; prints check, expected, seen, OK/DRIFT and a verdict. "
        "Exit status: 0 OK, 1 DRIFT (or unreachable), 2 bad input.",
    )
    parser.add_argument(
        "--base-url", default="https://www.amazon.jobs", help="site origin (default: %(default)s)"
    )
    parser.add_argument("--locale", default="en", help="site locale (default: %(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="per request (default: 60)"
    )
    parser.add_argument(
        "--result-window",
        type=int,
        default=WINDOW,
        metavar="ROWS",
        help="the site's result window (default: %(default)s; a simulator may use another)",
    )
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    hourly = parser.add_argument_group(
        "hourly sites",
        "--hourly checks the hiring.amazon.com-family sites in Chromium instead: the page "
        "loads, its anonymous token, its own search call, a country-wide query's answer shape, "
        "nextToken (one page load and at most four calls per site)",
    )
    hourly.add_argument("--hourly", action="store_true", help="probe the hourly-jobs sites")
    parser.add_argument(
        "--archives",
        action="store_true",
        help="probe the web archives the backfill reads instead (Wayback CDX and replay, Common "
        "Crawl index and a record; JOBTRACKER_ARCHIVE_*_URL; six requests)",
    )
    hourly.add_argument(
        "--sites", default="US,CA,UK,IE", metavar="CC,...", help="sites (default: %(default)s)"
    )
    hourly.add_argument(
        "--base-urls",
        default="",
        metavar="CC=URL,...",
        help="replace a site's origin (a simulator's, for instance)",
    )
    parser.set_defaults(func=run)


def checked_target(base_url: str, locale: str) -> tuple[str, str]:
    """``base_url`` and ``locale`` as the spider would accept them (ValueError otherwise)."""
    from jobtracker.arguments import AmazonJobsArgs, ArgumentError, parse_args

    try:
        args = parse_args(AmazonJobsArgs, {"base_url": base_url, "locale": locale})
    except ArgumentError as exc:
        raise ValueError(str(exc)) from None
    return args.base_url, args.locale


def run_probe(
    base_url: str, locale: str = "en", timeout: float = 60.0, window: int = WINDOW
) -> ProbeReport:
    """Probe with the crawler's User-Agent (``JOBTRACKER_USER_AGENT`` + suffix)."""
    from jobtracker.settings import USER_AGENT

    return probe(base_url, locale, fetch=http_fetch(USER_AGENT, timeout), window=window)


def hourly_target(sites: str, base_urls: str) -> tuple[list[str], dict[str, str]]:
    """The hourly sites and their origins as the spider would accept them (ValueError
    otherwise)."""
    from jobtracker.arguments import AmazonHourlyArgs, ArgumentError, parse_args

    try:
        args = parse_args(AmazonHourlyArgs, {"countries": sites, "base_urls": base_urls})
    except ArgumentError as exc:
        raise ValueError(str(exc)) from None
    return list(args.countries), dict(args.base_urls)


def print_report(report: ProbeReport, *, as_json: bool) -> int:
    """Print the table and verdict (or the report as JSON); the exit status: 0 OK, 1 DRIFT."""
    if as_json:
        json.dump(report.as_dict(), sys.stdout, indent=1)
        print()
    else:
        print("\n".join(report.lines()))
    return 0 if report.ok else 1


def run(args: argparse.Namespace) -> int:
    from jobtracker.redaction import redact_text

    if args.hourly:
        return run_hourly(args)
    if args.archives:
        from jobtracker.probe_archives import run_archive_probe

        return run_archive_probe(args)
    try:
        base_url, locale = checked_target(args.base_url, args.locale)
    except ValueError as exc:
        print(f"jobtracker probe: error: {redact_text(str(exc))}", file=sys.stderr)
        return 2
    if args.result_window < PAGE_SIZE + 1:
        print(f"jobtracker probe: error: --result-window must be over {PAGE_SIZE}", file=sys.stderr)
        return 2
    report = run_probe(base_url, locale, args.timeout, args.result_window)
    return print_report(report, as_json=args.json)


def run_hourly(args: argparse.Namespace) -> int:
    """``probe --hourly``: the table and verdict; exit 0 OK, 1 DRIFT or no browser, 2 bad input."""
    import os

    from jobtracker.probe_hourly import run_hourly_probe
    from jobtracker.redaction import redact_text
    from jobtracker.settings import PLAYWRIGHT_LAUNCH_OPTIONS

    try:
        sites, origins = hourly_target(args.sites, args.base_urls)
    except ValueError as exc:
        print(f"jobtracker probe: error: {redact_text(str(exc))}", file=sys.stderr)
        return 2
    browser = PLAYWRIGHT_LAUNCH_OPTIONS.get("executable_path")
    if browser and not os.path.exists(browser):
        print(
            f"jobtracker probe: error: Chromium not found at {browser} (install Debian's "
            "chromium package or set JOBTRACKER_CHROMIUM)",
            file=sys.stderr,
        )
        return 1
    report = run_hourly_probe(sites, origins, args.timeout)
    return print_report(report, as_json=args.json)
