"""The real amazon.jobs samples (tests/fixtures) parse into items, and bad payloads are named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobtracker.sources.amazon_jobs import (
    TOP_LEVEL_KEYS,
    PayloadError,
    job_to_item,
    parse_facets,
    parse_search_payload,
)

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_FACETS = FIXTURES / "search_sample_1_facets_hits10000.json"
SAMPLE_QUERY = FIXTURES / "search_sample_3_base_query_software_engineer_pretty.json"
SEEN_AT = datetime(2026, 7, 30, 12, 0, tzinfo=UTC)


def test_sample_with_facets_parses_with_capped_hits_and_full_facets() -> None:
    page = parse_search_payload(SAMPLE_FACETS.read_bytes())
    assert page.error is None
    assert page.hits == 10_000  # saturated: the board is larger
    categories = page.facets["business_category"]
    countries = page.facets["normalized_country_code"]
    assert len(categories) == 60
    assert len(countries) == 57
    assert categories["aws"] == 7731
    # Both single-valued facets partition the same board.
    assert sum(categories.values()) == sum(countries.values()) == 22_348
    assert len(page.jobs) == 1


@pytest.mark.parametrize("path", [SAMPLE_FACETS, SAMPLE_QUERY], ids=["facets", "query"])
def test_real_samples_become_items_keeping_every_raw_field(path: Path) -> None:
    payload = json.loads(path.read_bytes())
    assert tuple(payload) == TOP_LEVEL_KEYS
    page = parse_search_payload(path.read_bytes())
    job = page.jobs[0]
    item = job_to_item(
        job, base_url="https://www.amazon.jobs", run_id="r1", partition="all", seen_at=SEEN_AT
    )
    assert item is not None
    assert item.source == "amazon_jobs"
    assert item.source_id == job["id_icims"]
    assert item.url == "https://www.amazon.jobs" + job["job_path"]
    assert item.raw == payload["jobs"][0]
    assert list(item.raw) == list(payload["jobs"][0])  # the site's key order is kept
    assert item.title == job["title"].strip()
    assert item.seen_at == SEEN_AT


def test_sample_three_is_the_austin_sde_posting() -> None:
    item = job_to_item(
        parse_search_payload(SAMPLE_QUERY.read_text()).jobs[0],
        base_url="http://127.0.0.1:8080/",
        run_id="r1",
        partition="all",
        seen_at=SEEN_AT,
    )
    assert item is not None
    assert item.source_id == "10483953"
    assert item.url.startswith("http://127.0.0.1:8080/en/jobs/10483953/")
    assert "143,700.00 - 194,400.00 USD annually" in item.raw["preferred_qualifications"]
    assert json.loads(item.raw["locations"][0])["city"] == "Austin"


def test_job_without_id_gives_no_item() -> None:
    assert (
        job_to_item({"title": "x"}, base_url="http://x", run_id="r", partition="p", seen_at=SEEN_AT)
        is None
    )


def test_missing_job_path_falls_back_to_the_id_url() -> None:
    item = job_to_item(
        {"id_icims": 123, "title": " T "},
        base_url="http://h:1",
        run_id="r",
        partition="p",
        seen_at=SEEN_AT,
        locale="de",
    )
    assert item is not None
    assert (item.source_id, item.url, item.title) == ("123", "http://h:1/de/jobs/123", "T")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>Service Unavailable</html>", "not JSON"),
        (SAMPLE_FACETS.read_bytes()[:4000], "not JSON"),  # truncated mid-body
        (b"[1, 2]", "expected a JSON object"),
        (b'{"error": null, "jobs": []}', "missing keys: hits"),
        (b'{"error": null, "hits": "10", "jobs": []}', "not a count"),
        (b'{"error": null, "hits": 1, "jobs": [1]}', "not a list of objects"),
        (b'{"error": 5, "hits": 1, "jobs": []}', "neither null nor a string"),
        (b'{"error": null, "hits": 1, "jobs": [], "facets": {"x_facet": {"a": 1}}}', "not a list"),
        (
            b'{"error": null, "hits": 1, "jobs": [], "facets": {"x_facet": [{"a": 1, "b": 2}]}}',
            "one-key",
        ),
    ],
)
def test_bad_payloads_raise_payload_error(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_search_payload(body)


def test_soft_error_payload_is_read_not_raised() -> None:
    body = json.dumps(
        {
            "error": "Cannot return more than 10000 results at once",
            "hits": 10000,
            "facets": {},
            "content": {"sidebar": {}, "search_results": {}},
            "jobs": [],
            "job_posting_search_request": "{}",
        }
    )
    page = parse_search_payload(body)
    assert page.error == "Cannot return more than 10000 results at once"
    assert page.jobs == []


def test_facets_strip_suffix_and_merge_repeated_values() -> None:
    assert parse_facets({"business_category_facet": [{"aws": 3}, {"hr": 1}, {"aws": 2}]}) == {
        "business_category": {"aws": 5, "hr": 1}
    }
