"""The crawl summary's role-family coverage: one line per source (hourly apart from corporate)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from jobtracker.extensions import (
    format_role_family_coverage,
    format_summary,
    role_family_by_source,
)
from jobtracker.items import JobPosting
from jobtracker.pipelines import RoleFamilyPipeline

HOURLY_LINE = "role family: 99.7 % of 412 amazon_hourly postings"
CORPORATE_LINE = "role family: 98.0 % of 1000 amazon_jobs postings"


@pytest.mark.parametrize(
    ("resolved", "total", "line"),
    [
        (411, 412, HOURLY_LINE),  # 99.757 %: rounded down
        (412, 412, "role family: 100.0 % of 412 amazon_hourly postings"),
        (4119, 4120, "role family: 99.9 % of 4120 amazon_hourly postings"),  # 99.976 %
        (0, 3, "role family: 0.0 % of 3 amazon_hourly postings"),
        (1, 3, "role family: 33.3 % of 3 amazon_hourly postings"),
        (0, 0, "role family: no amazon_hourly postings"),
    ],
)
def test_role_family_coverage_line(resolved: int, total: int, line: str) -> None:
    assert format_role_family_coverage("amazon_hourly", resolved, total) == line


def test_coverage_reaches_100_percent_only_when_every_posting_has_a_family() -> None:
    for total in range(1, 3001):
        assert "100.0 %" not in format_role_family_coverage("s", total - 1, total)


STATS: dict[str, Any] = {
    "jobtracker/role_family/mapped": 1391,
    "jobtracker/role_family/unmapped": 21,
    "jobtracker/role_family/by_source/amazon_jobs/mapped": 980,
    "jobtracker/role_family/by_source/amazon_jobs/unmapped": 20,
    "jobtracker/role_family/by_source/amazon_hourly/mapped": 411,
    "jobtracker/role_family/by_source/amazon_hourly/unmapped": 1,
    "jobtracker/role_family/by_source/empty/unmapped": 0,
    "jobtracker/role_family/by_source/odd/other": 7,
    "jobtracker/location/resolved": 1412,
}


def test_role_family_by_source_reads_the_per_source_counters() -> None:
    assert role_family_by_source(STATS) == {
        "amazon_hourly": {"resolved": 411, "total": 412},
        "amazon_jobs": {"resolved": 980, "total": 1000},
    }
    assert role_family_by_source({"jobtracker/role_family/mapped": 5}) == {}


def summary(by_source: dict[str, dict[str, int]]) -> dict[str, Any]:
    """A finished run's summary with the given per-source role-family figures."""
    return {
        "run_id": "r1",
        "finish_reason": "finished",
        "complete": True,
        "plan": "facets",
        "plan_reason": None,
        "partitions": [],
        "coverage": {"role family": {"resolved": 1391, "total": 1412, "percent": 98.51}},
        "role_family_by_source": by_source,
        "stats": {},
    }


def test_summary_prints_hourly_coverage_apart_from_corporate() -> None:
    lines = format_summary(summary(role_family_by_source(STATS)))
    assert HOURLY_LINE in lines and CORPORATE_LINE in lines
    assert lines.index(HOURLY_LINE) == lines.index(CORPORATE_LINE) - 1
    assert any(line.startswith("Normalization coverage: role family 98.51%") for line in lines)


def test_summary_without_per_source_figures_prints_no_such_line() -> None:
    lines = format_summary({**summary({}), "role_family_by_source": None})
    assert not any(line.startswith("role family:") for line in lines)
    older = summary({})
    del older["role_family_by_source"]  # a summary written before the per-source figures
    assert format_summary(older) == lines


class _Stats:
    """What the pipelines use of Scrapy's stats collector."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count

    def get_stats(self) -> dict[str, Any]:
        return dict(self.values)


class _Crawler:
    def __init__(self) -> None:
        self.stats = _Stats()


def posting(source: str, title: str, raw: dict[str, Any] | None = None) -> JobPosting:
    return JobPosting(
        source=source,
        source_id=title,
        url="https://example.invalid/",
        title=title,
        run_id="r1",
        partition="all",
        seen_at=datetime(2026, 7, 1, tzinfo=UTC),
        raw=raw or {},
    )


def test_the_pipeline_counts_role_families_per_source() -> None:
    crawler = _Crawler()
    pipeline = RoleFamilyPipeline(crawler)  # type: ignore[arg-type]
    for title in ("Delivery Driver (DSP)", "Fresh Shopper", "Yard Associate", "Zookeeper"):
        pipeline.process_item(posting("amazon_hourly", title))
    pipeline.process_item(posting("amazon_jobs", "SDE", {"job_category": "Software Development"}))
    pipeline.close_spider()
    stats = crawler.stats.get_stats()
    assert stats["jobtracker/role_family/mapped"] == 4
    assert stats["jobtracker/role_family/unmapped"] == 1
    assert role_family_by_source(stats) == {
        "amazon_hourly": {"resolved": 3, "total": 4},
        "amazon_jobs": {"resolved": 1, "total": 1},
    }
    assert (
        format_role_family_coverage(
            "amazon_hourly", **role_family_by_source(stats)["amazon_hourly"]
        )
        == "role family: 75.0 % of 4 amazon_hourly postings"
    )
