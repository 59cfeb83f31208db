"""Pure helpers of the retry middleware and of the crawl command."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobtracker.commands.crawl import exit_code_for, exit_code_from_stats
from jobtracker.middlewares import parse_retry_after

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (b"3", 3.0),
        ("0", 0.0),
        (b"  2.5 ", 2.5),
        (b"-4", 0.0),
        (b"Sat, 28 Nov 2026 12:00:30 GMT", 30.0),
        (b"Sat, 28 Nov 2026 11:59:00 GMT", 0.0),
        (None, None),
        (b"", None),
        (b"soon", None),
    ],
)
def test_parse_retry_after(header: bytes | str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_a_store_failure_fails_a_finished_run() -> None:
    assert exit_code_for("finished", False, failed=True) == 1


@pytest.mark.parametrize(
    ("reason", "bootstrap_failed", "code"),
    [
        ("finished", False, 0),
        ("closespider_itemcount", False, 0),
        ("bad_argument:countries", False, 2),
        ("shutdown", False, 1),
        ("store_unavailable", False, 1),
        ("unreachable", False, 1),
        (None, False, 1),
        ("finished", True, 1),
    ],
)
def test_exit_codes(reason: str | None, bootstrap_failed: bool, code: int) -> None:
    assert exit_code_for(reason, bootstrap_failed) == code


@pytest.mark.parametrize(
    ("stats", "strict", "code"),
    [
        ({"finish_reason": "finished", "jobtracker/run_complete": True}, True, 0),
        ({"finish_reason": "finished", "jobtracker/run_complete": False}, False, 0),
        ({"finish_reason": "finished", "jobtracker/run_complete": False}, True, 3),
        (
            {
                "finish_reason": "finished",
                "jobtracker/run_complete": True,
                "jobtracker/closures/guarded": "mass-closure guard: 400 of 1500 ...",
            },
            True,
            3,
        ),
        ({"finish_reason": "blocked", "jobtracker/run_complete": False}, True, 1),
        ({"finish_reason": "unreachable"}, True, 1),
        ({"finish_reason": "bad_argument:countries"}, True, 2),
        ({"finish_reason": "duplicate_run_id"}, True, 2),
        (
            {
                "finish_reason": "finished",
                "jobtracker/run_complete": False,
                "jobtracker/store/failed": True,
            },
            True,
            1,
        ),
    ],
)
def test_strict_exit_codes(stats: dict, strict: bool, code: int) -> None:
    """JOBTRACKER_STRICT_EXIT=1: a run that finished but is incomplete, or whose closures a
    guard blocked, exits 3 (for cron and monitoring); failures keep 1, bad input 2."""
    assert exit_code_from_stats(stats, bootstrap_failed=False, strict=strict) == code
