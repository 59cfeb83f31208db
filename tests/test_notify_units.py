"""The verdict of a run and its messages (pure), the ``JOBTRACKER_NOTIFY`` entries, and the
bounded send to loopback receivers that answer, fail, hang or refuse."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobtracker.notify.runs import bad_streak
from jobtracker.notify.sender import Notifier, split_targets, target_label
from jobtracker.notify.verdict import (
    duration_words,
    failure_message,
    recovery_message,
    run_verdict,
    scope_key,
)

DAY0 = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
PARTS = [
    {"key": "business_category=legal", "complete": True, "problems": []},
    {"key": "business_category=aws", "complete": False, "problems": ["3 pages failed"]},
]


def run(**fields: Any) -> dict[str, Any]:
    base = {
        "_id": "r1",
        "source": "amazon_jobs",
        "scope": {"source": "amazon_jobs", "countries": ["JPN"]},
        "started_at": DAY0,
        "finished_at": DAY0 + timedelta(minutes=5),
        "finish_reason": "finished",
        "complete": True,
        "partitions": PARTS[:1],
        "changes": {},
        "closure": {"guarded": None},
        "stats": {"downloader/request_count": 12, "jobtracker/postings/unique": 40},
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "name", "kind"),
    [
        ({}, "healthy", "success"),
        ({"finish_reason": "closespider_timeout"}, "healthy", "success"),
        ({"finish_reason": "abandoned", "complete": False}, "abandoned", "failure"),
        ({"finish_reason": "store_unavailable"}, "store_unavailable", "failure"),
        ({"finish_reason": "blocked", "finish_detail": "HTTP 403"}, "blocked", "failure"),
        ({"finish_reason": "unreachable"}, "unreachable", "failure"),
        ({"finish_reason": "shutdown"}, "failed", "failure"),
        ({"complete": False, "partitions": PARTS}, "incomplete", "warning"),
        (
            {"complete": False, "partitions": PARTS, "changes": {"closed": 3}},
            "incomplete",
            "failure",
        ),
        ({"closure": {"guarded": "day guard: ..."}}, "guard_held", "failure"),
    ],
)
def test_verdicts(fields: dict[str, Any], name: str, kind: str) -> None:
    verdict = run_verdict(run(**fields))
    assert (verdict.name, verdict.notify_type, verdict.bad) == (name, kind, name != "healthy")


def test_the_failure_message_says_what_where_how_much_and_what_next() -> None:
    detail = "HTTP 403 from http://user:hunter2@proxy:3128/en/search.json; nothing was crawled"
    message = failure_message(
        bad := run(finish_reason="blocked", finish_detail=detail), run_verdict(bad)
    )
    assert message.title == "jobtracker amazon_jobs: blocked by the site"
    assert message.body.splitlines() == [
        "What happened: HTTP 403 from http://user:***@proxy:3128/en/search.json; nothing was "
        "crawled.",
        "Run r1 of amazon_jobs, scope countries JPN, started 2026-07-01 06:00 UTC.",
        "Counts: 12 requests, 40 postings seen, 1/1 partitions complete",
        "Look closer: jobtracker runs --since 2026-07-01 --limit 20",
    ]
    incomplete = run(complete=False, partitions=PARTS)
    assert "1 of 2 partitions incomplete: business_category=aws (3 pages failed)" in (
        failure_message(incomplete, run_verdict(incomplete)).body
    )


def test_recovery_says_how_long_it_was_out_and_what_was_missed() -> None:
    good = run(_id="good", finished_at=DAY0)
    bad1 = run(_id="b1", started_at=DAY0 + timedelta(days=1), finish_reason="unreachable")
    bad2 = run(_id="b2", started_at=DAY0 + timedelta(days=2), finish_reason="blocked")
    now = run(_id="ok", finished_at=DAY0 + timedelta(days=3, hours=2))
    streak, last_good = bad_streak([bad2, bad1, good, run(_id="older")])
    assert [r["_id"] for r in streak] == ["b2", "b1"] and last_good is good
    message = recovery_message(now, streak, last_good)
    assert message.notify_type == "success" and message.title == "jobtracker amazon_jobs: recovered"
    lines = message.body.splitlines()
    assert lines[1] == "Out for 3 days 2 h: no complete run since 2026-07-01 06:00 UTC."
    assert lines[2] == "Missed: 2 bad runs (b1: site unreachable; b2: blocked by the site)."
    assert bad_streak([good, bad1]) == ([], good)


def test_durations_and_scope_keys() -> None:
    assert duration_words(timedelta(minutes=12)) == "12 min"
    assert duration_words(timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert duration_words(timedelta(days=1, hours=4)) == "1 day 4 h"
    assert scope_key("s", {"a": 1, "b": 2}) == scope_key("s", {"b": 2, "a": 1})
    assert scope_key("s", {"a": 1}) != scope_key("s", {"a": 2})


def test_targets_split_on_white_space_and_commas_but_not_inside_a_url() -> None:
    value = " json://h:1/ ,slack://T/B/C\nmailto://u:p@x.org?to=a@x.org,b@x.org, ntfy://topic "
    assert split_targets(value) == [
        "json://h:1/",
        "slack://T/B/C",
        "mailto://u:p@x.org?to=a@x.org,b@x.org",
        "ntfy://topic",
    ]
    assert split_targets("  , ") == []
    assert target_label("slack://T0KEN/B/C", 2, 3) == "target 2 of 3 (slack://***)"
    assert target_label("T0KEN", 1, 1) == "target 1 of 1 (no scheme://)"


def test_a_send_waits_at_most_its_bound_for_every_target_at_once(start_receiver, caplog) -> None:
    ok, failing, hanging = start_receiver("ok"), start_receiver("error"), start_receiver("hang")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refusing = f"json://127.0.0.1:{sock.getsockname()[1]}/"
        notifier = Notifier.from_value(
            f"{ok.url} {failing.url} {hanging.url} {refusing} bogus", timeout=1.0
        )
        assert notifier is not None and len(notifier.targets) == 4
        assert notifier.problems == [
            "JOBTRACKER_NOTIFY: target 5 of 5 (no scheme://) is not a URL Apprise can send to; "
            "it is skipped"
        ]
        caplog.clear()
        started = time.monotonic()
        result = notifier.send(failure_message(bad := run(finish_reason="x"), run_verdict(bad)))
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed
    assert result.delivered == 1
    assert result.failed == [
        "target 2 of 5 (json://***): failed or refused",
        "target 3 of 5 (json://***): no answer within 1 s",
        "target 4 of 5 (json://***): failed or refused",
    ]
    (record,) = caplog.records
    assert str(hanging.port) not in record.getMessage()
    (message,) = ok.messages
    assert message["type"] == "failure" and message["title"] == "jobtracker amazon_jobs: failed"
    assert Notifier.from_value("") is None and Notifier.from_value(None) is None
