"""The run of a crawl and its summary; log records without secrets or control characters; and
the removal of remote-control job files left by killed crawls."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pymongo.errors import PyMongoError
from scrapy import signals
from scrapy.exceptions import NotConfigured

from jobtracker.notify.runs import abandoned_messages, run_end_message
from jobtracker.notify.sender import Notifier, notify_every_run
from jobtracker.notify.verdict import Verdict, run_verdict
from jobtracker.redaction import redact_text
from jobtracker.run import CrawlRun, key_stats
from jobtracker.spiders.base import TrackedSpider
from jobtracker.store.connection import DEFAULT_DATABASE, open_database

if TYPE_CHECKING:
    from typing import Self

    from pymongo.database import Database
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: Sent once a run is finalized (``run``: the :class:`~jobtracker.run.CrawlRun`), after the
#: spider closed: the store records the run's end and applies its closures then.
run_finalized = object()
#: Sent after :data:`run_finalized` (its receivers have recorded the run): ``run``, ``record``
#: (the run as its ``crawl_runs`` record says it) and ``verdict``
#: (:class:`~jobtracker.notify.verdict.Verdict`); notifications are sent then.
run_concluded = object()
#: The stats keys of a run's verdict (docs/operations.md), for Spidermon and ScrapydWeb.
VERDICT_STAT = "jobtracker/verdict"
VERDICT_REASON_STAT = "jobtracker/verdict_reason"
VERDICT_TYPE_STAT = "jobtracker/verdict_type"
VERDICT_OK_STAT = "jobtracker/verdict_ok"


class CrawlRunExtension:
    """Owns the run of a jobtracker spider (:class:`~jobtracker.run.CrawlRun`).

    Builds it when the crawl is set up (id, clock, scope, arguments, ledger, from the spider's
    validated arguments and the settings); finalizes it exactly once when the spider closes
    (the completeness verdict, published in the stats); logs the crawl summary
    (``JOBTRACKER_SUMMARY_FILE`` also writes it as JSON); then sends :data:`run_finalized`.
    Components find the run with :func:`crawl_run`. Spiders that are not jobtracker spiders
    have no run: the extension switches itself off.
    """

    def __init__(self, crawler: Crawler, run: CrawlRun, path: str | None) -> None:
        self.crawler = crawler
        self.run = run
        self.path = Path(path) if path else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        spider = crawler.spider
        if not isinstance(spider, TrackedSpider):
            raise NotConfigured("not a jobtracker spider: no run to account for")
        run = CrawlRun.from_settings(
            crawler.settings,
            spider=spider.name,
            job=spider.args.job,
            arguments=spider.arguments,
            scope=spider.scope,
            keyword_run=spider.is_keyword_run,
        )
        extension = cls(crawler, run, crawler.settings.get("JOBTRACKER_SUMMARY_FILE"))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, reason: str) -> None:
        run, spider = self.run, self.crawler.spider
        if isinstance(spider, TrackedSpider):
            spider.before_finalize()
        run.finalize(reason)
        if isinstance(spider, TrackedSpider):
            spider.after_finalize()
        stats = self.crawler.stats
        for key, value in run.partition_stats().items():
            stats.set_value(key, value)
        summary = self.summary(reason)
        for line in format_summary(summary):
            logger.info("%s", line)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
        self.crawler.signals.send_catch_log(run_finalized, run=run)
        record = concluded_record(run, stats.get_stats())
        verdict = run_verdict(record)
        stats.set_value(VERDICT_STAT, verdict.name)
        stats.set_value(VERDICT_REASON_STAT, verdict.reason)
        stats.set_value(VERDICT_TYPE_STAT, verdict.notify_type)
        stats.set_value(VERDICT_OK_STAT, not verdict.bad)
        logger.info("Run verdict: %s: %s", verdict.name, verdict.reason)
        self.crawler.signals.send_catch_log(run_concluded, run=run, record=record, verdict=verdict)

    def summary(self, reason: str) -> dict[str, Any]:
        run, stats = self.run, self.crawler.stats.get_stats()
        return {
            "run_id": run.run_id,
            "spider": run.spider,
            "finish_reason": reason,
            "keyword_run": run.keyword_run,
            "scope": run.scope,
            "complete": run.complete,
            "plan": run.ledger.plan,
            "plan_reason": run.ledger.plan_reason,
            "partitions": run.ledger.summary(),
            "coverage": coverage(stats),
            "role_family_by_source": role_family_by_source(stats),
            "stats": key_stats(stats),
        }


def concluded_record(run: CrawlRun, stats: Mapping[str, Any]) -> dict[str, Any]:
    """The finalized run as its ``crawl_runs`` record says it (also when no store recorded
    it), from the run and the stats the store pipeline left."""
    failed = bool(stats.get("jobtracker/store/failed"))
    changes = dict(stats.get("jobtracker/store/changes") or {})
    if stats.get("jobtracker/store/unsaved"):
        changes["unsaved"] = stats["jobtracker/store/unsaved"]
    return {
        **run.start_record(),
        "finish_reason": "store_unavailable" if failed else run.finish_reason,
        "finish_detail": stats.get("jobtracker/finish_detail"),
        "finished_at": run.clock.now(),
        "complete": run.complete and not failed,
        "partitions": run.ledger.summary(),
        "changes": changes,
        "closure": {
            "guarded": stats.get("jobtracker/closures/guarded"),
            "held": changes.get("held") or 0,
            "closed": changes.get("closed") or 0,
        },
        "stats": key_stats(stats),
    }


class RunNotifications:
    """Tells operators through Apprise (``JOBTRACKER_NOTIFY``) when a run of any jobtracker
    spider goes wrong or recovers, and about runs its start found abandoned; one message per
    run at most, sent within a bounded time, never changing the crawl's outcome
    (:mod:`jobtracker.notify`). Off when ``JOBTRACKER_NOTIFY`` names no target."""

    def __init__(self, crawler: Crawler, notifier: Notifier) -> None:
        self.crawler = crawler
        self.notifier = notifier
        settings = crawler.settings
        self.every_run = notify_every_run(str(settings.get("JOBTRACKER_NOTIFY_EVERY_RUN", "")))
        self.uri: str | None = settings.get("MONGO_URI") or None
        self.database: str = settings.get("MONGO_DATABASE") or DEFAULT_DATABASE
        self.timeout_ms = settings.getint("JOBTRACKER_STORE_TIMEOUT_MS", 3000)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not isinstance(crawler.spider, TrackedSpider):
            raise NotConfigured("not a jobtracker spider: no run to tell about")
        notifier = Notifier.from_value(crawler.settings.get("JOBTRACKER_NOTIFY"))
        if notifier is None:
            raise NotConfigured("JOBTRACKER_NOTIFY names no target")
        if not notifier.targets:
            logger.warning("JOBTRACKER_NOTIFY names no usable target: no notifications")
            raise NotConfigured("no usable notification target")
        extension = cls(crawler, notifier)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.run_concluded, signal=run_concluded)
        return extension

    def _open_store(self) -> Database | None:
        if not self.uri:
            return None
        try:
            return open_database(
                self.uri,
                self.database,
                timeout_ms=self.timeout_ms,
                socket_timeout_ms=self.timeout_ms,
                appname="jobtracker-notify",
            )
        except PyMongoError as exc:
            logger.warning("Notifications without the store's history (%s)", exc)
            return None

    def spider_opened(self) -> None:
        """Tell about the runs this start found abandoned (the store pipeline marked them)."""
        try:
            self._tell_abandoned()
        except Exception as exc:  # a notification never changes the crawl, nor prints a traceback
            logger.warning("Notifications about abandoned runs failed: %s", exc)

    def _tell_abandoned(self) -> None:
        abandoned = self.crawler.stats.get_value("jobtracker/store/abandoned_runs")
        if not abandoned:
            return
        db = self._open_store()
        if db is None:
            return
        try:
            messages = abandoned_messages(db, list(abandoned))
        except PyMongoError as exc:
            logger.warning("Cannot read the abandoned runs to tell about them: %s", exc)
            messages = []
        finally:
            db.client.close()
        for message in messages:
            self.notifier.send(message)

    def run_concluded(self, run: CrawlRun, record: dict[str, Any], verdict: Verdict) -> None:
        try:
            self._tell(run, record, verdict)
        except Exception as exc:  # a notification never changes the crawl, nor prints a traceback
            logger.warning("The notification of run %s failed: %s", run.run_id, exc)

    def _tell(self, run: CrawlRun, record: dict[str, Any], verdict: Verdict) -> None:
        # Only a complete run needs the store (for the history a recovery reads).
        db = None if verdict.bad else self._open_store()
        try:
            message = run_end_message(
                db, record, verdict, run.clock.now(), every_run=self.every_run
            )
        finally:
            if db is not None:
                db.client.close()
        if message is not None:
            result = self.notifier.send(message)
            self.crawler.stats.set_value("jobtracker/notify/sent", result.delivered)
            self.crawler.stats.set_value("jobtracker/notify/failed", len(result.failed))


def crawl_run(crawler: Crawler) -> CrawlRun:
    """The run of this crawl, from the extension that owns it."""
    for extension in crawler.extensions.middlewares:
        if isinstance(extension, CrawlRunExtension):
            return extension.run
    raise RuntimeError(
        "this crawl has no jobtracker run: enable jobtracker.extensions.CrawlRunExtension"
    )


#: Normalization coverage: (name, stats key of successes, stats key of failures).
COVERAGE = (
    (
        "country (ISO alpha-2/alpha-3)",
        "jobtracker/location/resolved",
        "jobtracker/location/unresolved",
    ),
    ("role family", "jobtracker/role_family/mapped", "jobtracker/role_family/unmapped"),
    ("posted date", "jobtracker/posted_date/parsed", "jobtracker/posted_date/unparsed"),
)


def coverage(stats: dict[str, Any]) -> dict[str, dict[str, float | int]]:
    """Share of postings each normalization resolved (only those that ran)."""
    figures: dict[str, dict[str, float | int]] = {}
    for name, ok_key, failed_key in COVERAGE:
        ok, failed = stats.get(ok_key, 0), stats.get(failed_key, 0)
        if ok + failed:
            figures[name] = {
                "resolved": ok,
                "total": ok + failed,
                "percent": 100 * ok / (ok + failed),
            }
    return figures


#: Stats keys ``ROLE_FAMILY_BY_SOURCE + "<source>/mapped"`` (and ``/unmapped``) count the
#: postings of each source with (without) a role family; the pipeline drops the ``jobtracker/``.
ROLE_FAMILY_BY_SOURCE = "role_family/by_source/"


def role_family_by_source(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Per source (sorted by name): postings with a role family (``resolved``) of ``total``."""
    prefix = f"jobtracker/{ROLE_FAMILY_BY_SOURCE}"
    figures: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if not key.startswith(prefix) or not isinstance(value, int):
            continue
        source, _, outcome = key[len(prefix) :].rpartition("/")
        if not source or outcome not in ("mapped", "unmapped"):
            continue
        figure = figures.setdefault(source, {"resolved": 0, "total": 0})
        figure["total"] += value
        if outcome == "mapped":
            figure["resolved"] += value
    return {source: figures[source] for source in sorted(figures) if figures[source]["total"]}


def format_role_family_coverage(source: str, resolved: int, total: int) -> str:
    """``"role family: 99.6 % of 412 amazon_hourly postings"``.

    The share is rounded down to a tenth of a percent: 100.0 % means every posting, and any
    posting without a family shows (99.96 % prints as 99.9 %).
    """
    if total <= 0:
        return f"role family: no {source} postings"
    tenths = 1000 * resolved // total
    return f"role family: {tenths // 10}.{tenths % 10} % of {total} {source} postings"


def format_summary(summary: dict[str, Any]) -> list[str]:
    """Human-readable lines of a crawl summary (pure, for the log and the CLI)."""
    partitions = summary["partitions"]
    stats = summary["stats"]
    complete = sum(p["complete"] for p in partitions)
    lines = [
        f"Crawl summary, run {summary['run_id']} ({summary['finish_reason']}): "
        f"{'COMPLETE' if summary['complete'] else 'INCOMPLETE'}; "
        f"{complete}/{len(partitions)} partitions complete; "
        f"{stats.get('jobtracker/postings/unique') or 0} unique postings "
        f"({stats.get('jobtracker/postings/duplicate') or 0} duplicates skipped); "
        f"{stats.get('downloader/request_count') or 0} requests",
    ]
    if summary.get("plan_reason"):
        lines.append(f"Plan: {summary['plan']} ({summary['plan_reason']})")
    if summary.get("coverage"):
        lines.append(
            "Normalization coverage: "
            + "; ".join(
                f"{name} {figure['percent']:.2f}% ({figure['resolved']}/{figure['total']})"
                for name, figure in summary["coverage"].items()
            )
        )
    for source, figure in (summary.get("role_family_by_source") or {}).items():
        lines.append(format_role_family_coverage(source, figure["resolved"], figure["total"]))
    lines.append(f"  {'partition':<60} {'promised':>9} {'fetched':>8}  status")
    for p in partitions:
        status = "complete" if p["complete"] else "INCOMPLETE " + "; ".join(p["problems"][:3])
        if p["split_by"]:
            status += f" (split by {p['split_by']})"
        lines.append(f"  {p['key'][:60]:<60} {p['promised']!s:>9} {p['fetched']:>8}  {status}")
    return lines


class RemoteControlFiles:
    """When a crawl turns Scrapy's remote control on (``REMOTE_CONTROL_ENABLED``, off in this
    project): remove, before it starts, the job files of crawls that are no longer running.

    Each job file (``<pid>-<uuid>.json`` in ``REMOTE_CONTROL_JOBS_DIR``, default the user's
    state directory ``scrapy/job_files``) holds the bearer token of an HTTP endpoint that runs
    Python. Scrapy removes it when the crawl stops, but a killed crawl (SIGKILL, OOM, power)
    cannot, and the token stays on disk. A file whose process is gone is removed here; one of a
    live process (or of another user's) is left alone.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("REMOTE_CONTROL_ENABLED"):
            raise NotConfigured
        folder = settings.get("REMOTE_CONTROL_JOBS_DIR")
        if not folder:
            from platformdirs import user_state_dir

            folder = Path(user_state_dir("scrapy", appauthor=False), "job_files")
        self.folder = Path(folder)
        self.remove_stale()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def remove_stale(self) -> None:
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            pid = path.name.lstrip(".").split("-", 1)[0]
            if not pid.isdigit() or _running(int(pid)):
                continue
            try:
                path.unlink()
            except OSError as exc:
                logger.warning("Cannot remove the stale remote-control job file %s: %s", path, exc)
            else:
                logger.info("Removed the remote-control job file of stopped crawl %s", pid)


def _running(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# Control characters a log line must not carry (a terminal running `tail -f` on it would obey
# them): every C0 control but tab and line feed, DEL and the C1 controls; shown as \xNN.
_LOG_CONTROLS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_log_text(text: str) -> str:
    """``text`` with every URI redacted (``user:***@``) and control characters escaped."""
    if "://" in text:
        text = redact_text(text)
    if not text.isprintable():
        text = _LOG_CONTROLS_RE.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
    return text


class SafeLogFilter(logging.Filter):
    """A handler filter: the formatted message through :func:`safe_log_text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: let the handler report it as usual
            return True
        safe = safe_log_text(message)
        if safe != message:
            record.msg, record.args = safe, None
        return True


class SafeLogs:
    """Puts :class:`SafeLogFilter` on the handlers of the root logger (Scrapy's, writing the
    crawl log that scrapyd keeps and serves), so that no log line of a crawl holds a password
    or a terminal escape, whatever logged it: a site's error text, a facet value in a partition
    key, an exception message. See docs/security.md."""

    def __init__(self) -> None:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(item, SafeLogFilter) for item in handler.filters):
                handler.addFilter(SafeLogFilter())

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()
