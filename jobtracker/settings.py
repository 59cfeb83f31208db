"""Scrapy settings for jobtracker: polite defaults, overridable from the environment.

Environment variables read here: ``MONGO_URI``, ``MONGO_DATABASE``, ``JOBTRACKER_LOG_LEVEL``,
``JOBTRACKER_USER_AGENT``, ``JOBTRACKER_USER_AGENT_SUFFIX``, ``JOBTRACKER_CHROMIUM`` (the browser
for ``amazon_hourly``), ``JOBTRACKER_STRICT_EXIT``, ``JOBTRACKER_NOTIFY`` and
``JOBTRACKER_NOTIFY_EVERY_RUN`` (notifications, docs/operations.md), and the archive
backfill's ``JOBTRACKER_ARCHIVE_*`` (docs/backfill.md).
Everything else can be changed per run with ``-s NAME=VALUE``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from jobtracker.site_status import user_agent
from jobtracker.store.connection import environment_database, environment_uri

BOT_NAME = "jobtracker"
SPIDER_MODULES = ["jobtracker.spiders"]
NEWSPIDER_MODULE = "jobtracker.spiders"
ADDONS: dict[str, int] = {}
COMMANDS_MODULE = "jobtracker.commands"  # `scrapy crawl` with an honest exit status

# -- politeness ---------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 60
# amazon.jobs answers 400/403 to clients without a browser-like User-Agent. The crawl sends
# JOBTRACKER_USER_AGENT, then JOBTRACKER_USER_AGENT_SUFFIX (who crawls; "" drops it); both are
# settings (`-s`), USER_AGENT is derived from them (amazon_jobs applies `-s` overrides too).
JOBTRACKER_USER_AGENT = os.environ.get(
    "JOBTRACKER_USER_AGENT",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
)
JOBTRACKER_USER_AGENT_SUFFIX = os.environ.get(
    "JOBTRACKER_USER_AGENT_SUFFIX", "(jobtracker research crawler)"
)
USER_AGENT = user_agent(JOBTRACKER_USER_AGENT, JOBTRACKER_USER_AGENT_SUFFIX)
DEFAULT_REQUEST_HEADERS = {
    "Accept": "application/json, text/html;q=0.9, */*;q=0.8",
    "Accept-Language": "en",
}
# No code-running endpoints in a crawl (docs/security.md): the telnet console is a Python shell,
# and Scrapy's remote control (2.19+, on by default) is an HTTP endpoint that runs posted Python,
# with its token in a job file under the user's state directory. Both stay off; a crawl that
# turns the remote control on gets stale job files of killed crawls removed at start
# (jobtracker.extensions.RemoteControlFiles).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Scrapy's cookie middleware asks tldextract whether a cookie's domain is a public suffix, and
# tldextract then downloads the Public Suffix List from publicsuffix.org; on a closed network
# that logs two tracebacks per crawl. It is served the snapshot tldextract ships instead (its
# documented TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS; a value set in the environment wins).
_tldextract = importlib.util.find_spec("tldextract")
if _tldextract is not None and _tldextract.submodule_search_locations:
    _snapshot = Path(next(iter(_tldextract.submodule_search_locations)), ".tld_set_snapshot")
    if _snapshot.is_file():
        os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", str(_snapshot))

# -- retries: transient HTTP errors and 429 (honouring Retry-After) -----------------------
RETRY_ENABLED = True
RETRY_TIMES = 5
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
RETRY_AFTER_MAX_SECONDS = 120.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "jobtracker.middlewares.RetryAfterMiddleware": 550,
}
# A request Scrapy refuses to send (URL over URLLENGTH_LIMIT) makes its partition incomplete.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "jobtracker.middlewares.UrlLengthAccountingMiddleware": 800,
}

# -- the amazon.jobs search window and completeness tolerance ------------------------------
AMAZON_JOBS_RESULT_WINDOW = 10_000
JOBTRACKER_PARTITION_TOLERANCE_ABS = 2
JOBTRACKER_PARTITION_TOLERANCE_REL = 0.005

# -- the hourly-jobs sites in Chromium (amazon_hourly; the spider installs the handler) ------
# Debian's Chromium (`apt-get install chromium`); `playwright install` cannot download here.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("JOBTRACKER_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "args": [
        "--no-sandbox",  # the crawl often runs as root in a container
        "--disable-gpu",
        "--disable-background-networking",  # no calls home: a closed network refuses them
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
}
PLAYWRIGHT_MAX_CONTEXTS = 2  # country sites open at once (one context and one page each)
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 1
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms
JOBTRACKER_HOURLY_RESPONSE_TIMEOUT = 30.0  # s to wait for each GraphQL answer
JOBTRACKER_HOURLY_PAGE_DELAY = 1.0  # s between listing pages of a site (politeness)
JOBTRACKER_HOURLY_SCHEDULE_DELAY = 0.25  # s between schedule calls (-a schedules=1)
# At most this many s to wait for the page's own first search call before using the documented
# request (the US site's location modal holds the call back); a page that goes quiet without
# one is not waited for that long.
JOBTRACKER_HOURLY_FIRST_CALL_TIMEOUT = 15.0
# A site that refuses country-wide queries is tiled with circles of this radius (halved while
# it refuses them), at most this many tiles; beyond, the site is reported incomplete.
JOBTRACKER_HOURLY_TILE_RADIUS_MI = 100.0
JOBTRACKER_HOURLY_MAX_TILES = 2000

# -- items ----------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "jobtracker.pipelines.ValidatePostingPipeline": 100,
    "jobtracker.pipelines.CleanTextPipeline": 200,
    "jobtracker.pipelines.LocationPipeline": 300,
    "jobtracker.pipelines.RoleFamilyPipeline": 400,
    "jobtracker.pipelines.DatesAndPayPipeline": 500,
    "jobtracker.pipelines.MongoStorePipeline": 900,
}
EXTENSIONS = {
    "jobtracker.extensions.SafeLogs": 0,  # no password, no terminal escape in any log line
    "jobtracker.extensions.CrawlRunExtension": 500,  # the run: id, clock, ledger, summary
    "jobtracker.extensions.RemoteControlFiles": 1,
    "jobtracker.extensions.RunNotifications": 600,  # JOBTRACKER_NOTIFY (docs/operations.md)
}
# Apprise URLs (space- or comma-separated) told when a run goes wrong or recovers; empty: off.
JOBTRACKER_NOTIFY = os.environ.get("JOBTRACKER_NOTIFY", "")
# "1": also a short note for every complete run.
JOBTRACKER_NOTIFY_EVERY_RUN = os.environ.get("JOBTRACKER_NOTIFY_EVERY_RUN", "0")
JOBTRACKER_SUMMARY_FILE = None  # also write the crawl summary as JSON to this path
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {
    "jsonlines": "jobtracker.exporters.PostingJsonLinesExporter",
    "jsonl": "jobtracker.exporters.PostingJsonLinesExporter",
    "jl": "jobtracker.exporters.PostingJsonLinesExporter",
}

# -- MongoDB (history tracking) -------------------------------------------------------------
MONGO_URI = environment_uri()  # unset: history tracking is off
MONGO_DATABASE = environment_database()
JOBTRACKER_STORE_BATCH_SIZE = 100  # postings per bulk write (one response page)
JOBTRACKER_STORE_RETRIES = 2  # retries of a failed page write before the run stops
JOBTRACKER_STORE_RETRY_DELAY = 1.0  # seconds, growing linearly per retry
JOBTRACKER_STORE_TIMEOUT_MS = 3000  # server selection / connect timeout
JOBTRACKER_MAX_CLOSE_FRACTION = 0.2  # a run touching more of its open scope closes nothing
JOBTRACKER_MIN_CLOSE_GUARD = 25  # ... unless it touches at most this many (small scopes)
JOBTRACKER_SCOPE_LOSS_FRACTION = 0.9  # a category/country/scope losing this share at once: held
JOBTRACKER_SCOPE_LOSS_MIN = 5  # ... if it has at least this many open postings
JOBTRACKER_MAX_DAILY_CLOSE_FRACTION = 0.1  # the day's runs close at most this share: held
JOBTRACKER_CONFIRM_GAP_HOURS = 0  # 0: a closure is confirmed by a run on a later UTC day
JOBTRACKER_ABANDON_AFTER_HOURS = 12  # a run unfinished this long after its start: abandoned
JOBTRACKER_VAR_DIR = os.environ.get("JOBTRACKER_VAR_DIR", "var")  # unsaved postings, pending runs

# Pretend runs start at this ISO 8601 time (replaying simulated days: tests, `jobtracker demo`).
JOBTRACKER_CLOCK_START = os.environ.get("JOBTRACKER_CLOCK_START") or None

# -- the archive backfill (amazon_jobs_wayback, amazon_jobs_commoncrawl; docs/backfill.md) ----
JOBTRACKER_ARCHIVE_WAYBACK_URL = os.environ.get(
    "JOBTRACKER_ARCHIVE_WAYBACK_URL", "https://web.archive.org"
)
JOBTRACKER_ARCHIVE_CC_INDEX_URL = os.environ.get(
    "JOBTRACKER_ARCHIVE_CC_INDEX_URL", "https://index.commoncrawl.org"
)
JOBTRACKER_ARCHIVE_CC_DATA_URL = os.environ.get(
    "JOBTRACKER_ARCHIVE_CC_DATA_URL", "https://data.commoncrawl.org"
)
# The Wayback CDX pool allows 30 requests a minute per IP; 80 % of it, as the wayback client
# does. Replays: 1 a second (the client's 8/s is for short bursts; a backfill runs for hours).
JOBTRACKER_ARCHIVE_CDX_PER_MINUTE = float(os.environ.get("JOBTRACKER_ARCHIVE_CDX_PER_MINUTE", "24"))
JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND = float(
    os.environ.get("JOBTRACKER_ARCHIVE_REPLAY_PER_SECOND", "1")
)
# Common Crawl asks not to overload its index; cdx_toolkit spaces index requests 1 s apart and
# data requests 0.55 s.
JOBTRACKER_ARCHIVE_CC_INDEX_PER_SECOND = float(
    os.environ.get("JOBTRACKER_ARCHIVE_CC_INDEX_PER_SECOND", "1")
)
JOBTRACKER_ARCHIVE_CC_DATA_PER_SECOND = float(
    os.environ.get("JOBTRACKER_ARCHIVE_CC_DATA_PER_SECOND", "1.8")
)
# A 429 comes without Retry-After; the archive's staff: 429s ignored for a minute get the IP
# blocked at the firewall for an hour. Every request to that archive waits this long.
JOBTRACKER_ARCHIVE_PAUSE_SECONDS = float(os.environ.get("JOBTRACKER_ARCHIVE_PAUSE_SECONDS", "60"))
JOBTRACKER_ARCHIVE_CDX_LIMIT = int(os.environ.get("JOBTRACKER_ARCHIVE_CDX_LIMIT", "5000"))
JOBTRACKER_ARCHIVE_DIR = os.environ.get("JOBTRACKER_ARCHIVE_DIR", "var/archive")  # kept payloads
JOBTRACKER_ARCHIVE_PROGRESS_SECONDS = float(
    os.environ.get("JOBTRACKER_ARCHIVE_PROGRESS_SECONDS", "60")
)
#: Who fetches from the archives, with a contact URL (the archives ask for one).
JOBTRACKER_ARCHIVE_USER_AGENT = os.environ.get(
    "JOBTRACKER_ARCHIVE_USER_AGENT",
    "jobtracker-backfill/1 (research; +https://github.com/jobtracker/jobtracker)",
)

LOG_LEVEL = os.environ.get("JOBTRACKER_LOG_LEVEL", "INFO")

# `scrapy crawl` exits 3 for a run that finished but is incomplete, or whose closures a guard
# blocked or held (for cron and monitoring); off by default (0).
JOBTRACKER_STRICT_EXIT = os.environ.get("JOBTRACKER_STRICT_EXIT", "0") == "1"
