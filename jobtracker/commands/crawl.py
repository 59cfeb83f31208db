"""``scrapy crawl`` with an honest exit status.

Scrapy's own ``crawl`` exits 0 whenever the spider started, even if the run stopped on a bad
argument or a store outage. This one (installed through ``COMMANDS_MODULE``) exits 2 for a bad
spider argument and 1 for any other finish reason that is not a normal end of the crawl
(``blocked``, ``unreachable``, ``store_unavailable``, ...), so cron, CI and wrappers can tell a
failed run from a successful one. With ``JOBTRACKER_STRICT_EXIT=1`` a run that finished but is
incomplete, or whose closures a guard blocked or held, exits 3 (README, "Exit status").
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

if TYPE_CHECKING:
    import argparse

#: Finish reasons of a run that ended as intended (``closespider_*`` limits are set by the user).
NORMAL_FINISH_REASONS = ("finished", "closespider_")
#: Finish reasons of a run refused at start for a user's mistake (exit status 2).
USAGE_FINISH_REASONS = ("bad_argument", "duplicate_run_id")


#: Exit status of a finished run that is incomplete or whose closures a guard blocked, under
#: ``JOBTRACKER_STRICT_EXIT=1``.
STRICT_EXIT_CODE = 3


def exit_code_for(finish_reason: str | None, bootstrap_failed: bool, failed: bool = False) -> int:
    """0 for a normal end, 2 for a bad argument or a reused run id, 1 for everything else
    (including a run that ended normally but could not store what it crawled: ``failed``)."""
    if bootstrap_failed or finish_reason is None or failed:
        return 1
    if finish_reason.startswith(USAGE_FINISH_REASONS):
        return 2
    return 0 if finish_reason.startswith(NORMAL_FINISH_REASONS) else 1


def exit_code_from_stats(stats: dict[str, Any], *, bootstrap_failed: bool, strict: bool) -> int:
    """The exit status of a run from its stats: :func:`exit_code_for`, then, when ``strict``,
    3 for a run that ended normally but is incomplete or whose closures a guard blocked."""
    code = exit_code_for(
        stats.get("finish_reason"),
        bootstrap_failed,
        failed=bool(stats.get("jobtracker/store/failed")),
    )
    incomplete = stats.get("jobtracker/run_complete") is False
    if code == 0 and strict and (incomplete or stats.get("jobtracker/closures/guarded")):
        return STRICT_EXIT_CODE
    return code


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        return (
            "Run a spider of the project. Exit status: 0 when the run finished normally, "
            "2 for a bad spider argument or a reused run id (_job), 1 for any other failure "
            "(blocked, unreachable, MongoDB outage); with JOBTRACKER_STRICT_EXIT=1, 3 for a "
            "run that finished but is incomplete or whose closures a guard blocked."
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl amazon_jobs`")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        stats = crawler.stats.get_stats() if crawler.stats else {}
        self.exitcode = exit_code_from_stats(
            stats,
            bootstrap_failed=self.crawler_process.bootstrap_failed,
            strict=crawler.settings.getbool("JOBTRACKER_STRICT_EXIT"),
        )
        detail = stats.get("jobtracker/finish_detail")
        if self.exitcode and detail:
            # The verdict last, in one line, below Scrapy's stats dump.
            reason = stats.get("finish_reason")
            print(f"scrapy crawl {args[0]}: {reason}: {detail}", file=sys.stderr)
