"""Pure parts of the hourly-jobs source: GraphQL bodies, cards to items, arguments,
normalization of cards, and what a card's content is for the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from jobtracker.arguments import AmazonHourlyArgs, ArgumentError, parse_args
from jobtracker.sources import source_named
from jobtracker.sources.amazon_hourly import (
    HOURLY_SITES,
    CardsPayloadError,
    card_locations,
    card_pay,
    card_to_item,
    parse_job_cards_payload,
    site_of_job_id,
)
from jobtracker.store.content import (
    changed_fields,
    content_hash,
    current_fields,
    posting_snapshot,
)

CARD = {
    "jobId": "JOB-US-0000012345",
    "language": "en-US",
    "jobTitle": " Amazon Fulfillment Center Warehouse Associate ",
    "jobType": "Full Time",
    "employmentType": "Regular",
    "city": "Kent",
    "state": "WA",
    "postalCode": "98032",
    "locationName": "Kent, WA",
    "totalPayRateMin": 19.3,
    "totalPayRateMax": 23.5,
    "scheduleCount": 4,
    "currencyCode": "USD",
    "totalPayRateMinL10N": "$19.30",
    "totalPayRateMaxL10N": "$23.50",
    "monthlyBasePayMin": None,
    "monthlyBasePayMax": None,
    "virtualLocation": False,
    "payFrequency": "HOURLY",
}
SEEN = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def answer(cards: list[dict], token: str | None) -> bytes:
    return json.dumps(
        {"data": {"searchJobCardsByLocation": {"nextToken": token, "jobCards": cards}}}
    ).encode()


def test_a_graphql_answer_gives_cards_and_the_next_token() -> None:
    page = parse_job_cards_payload(answer([CARD], "abc"))
    assert page.cards == [CARD] and page.next_token == "abc" and page.errors == []
    last = parse_job_cards_payload(answer([], None))
    assert last.cards == [] and last.next_token is None


def test_graphql_errors_are_reported_not_raised() -> None:
    body = {"errors": [{"errorType": "UnauthorizedException", "message": "Valid token required"}]}
    page = parse_job_cards_payload(json.dumps(body))
    assert page.errors == ["UnauthorizedException: Valid token required"] and page.cards == []
    assert parse_job_cards_payload(b'{"data": null}').errors


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json",
        b'{"data": {"searchJobCardsByLocation": {"jobCards": {"a": 1}}}}',
        b'{"data": {"searchJobCardsByLocation": {"jobCards": [], "nextToken": 5}}}',
        b"[1, 2]",
        b'{"data": {"searchJobCardsByLocation": {"jobCards": [], "nextTo',
    ],
)
def test_malformed_bodies_raise_a_payload_error(body: bytes) -> None:
    with pytest.raises(CardsPayloadError):
        parse_job_cards_payload(body)


def test_a_card_becomes_a_posting_of_its_site() -> None:
    site = HOURLY_SITES["US"]
    item = card_to_item(
        CARD, site=site, origin="http://127.0.0.1:9", run_id="r1", partition="p", seen_at=SEEN
    )
    assert item is not None
    assert (item.source, item.source_id) == ("amazon_hourly", "JOB-US-0000012345")
    assert item.title == "Amazon Fulfillment Center Warehouse Associate"
    assert item.url == "http://127.0.0.1:9/app#/jobDetail?jobId=JOB-US-0000012345&locale=en-US"
    assert item.raw == CARD and item.raw is not CARD
    assert card_to_item({"jobTitle": "x"}, site=site, origin="", run_id="r", partition="p",
                        seen_at=SEEN) is None  # fmt: skip


@pytest.mark.parametrize(
    ("job_id", "site"),
    [("JOB-US-1", "US"), ("JOB-CA-1", "CA"), ("JOB-UK-1", "UK"), ("JOB-GB-1", "UK"),
     ("JOB-IE-0000000001", "IE"), ("JOB-JP-1", None), ("SCH-US-1", None), ("JOB", None)],
)  # fmt: skip
def test_a_job_id_names_its_site(job_id: str, site: str | None) -> None:
    found = site_of_job_id(job_id)
    assert (found.key if found else None) == site


@pytest.mark.parametrize(
    ("raw", "countries", "base_urls"),
    [
        ({}, ("US", "CA", "UK", "IE"), {}),
        ({"countries": "gb, United States"}, ("US", "UK"), {}),
        ({"countries": "IRL,CAN", "base_urls": "ie=http://127.0.0.1:8/"}, ("CA", "IE"),
         {"IE": "http://127.0.0.1:8"}),
    ],
)  # fmt: skip
def test_hourly_arguments(raw: dict, countries: tuple, base_urls: dict) -> None:
    args = parse_args(AmazonHourlyArgs, raw)
    assert args.countries == countries and args.base_urls == base_urls


@pytest.mark.parametrize(
    ("raw", "argument", "words"),
    [
        ({"countries": "JP"}, "countries", "no hourly site for 'JP'"),
        ({"countries": " , "}, "countries", "at least one"),
        ({"base_urls": "US"}, "base_urls", "CC=URL"),
        ({"base_urls": "US=ftp://x"}, "base_urls", "http(s) origin"),
        ({"base_urls": "FR=http://x"}, "base_urls", "no hourly site"),
        ({"max_pages": "0"}, "max_pages", "at least 1"),
        ({"query": "x"}, "query", "unknown argument"),
    ],
)
def test_bad_hourly_arguments_name_the_argument(raw: dict, argument: str, words: str) -> None:
    with pytest.raises(ArgumentError) as error:
        parse_args(AmazonHourlyArgs, raw)
    assert error.value.argument == argument and words in str(error.value)


@pytest.mark.parametrize(
    ("card", "country", "expected"),
    [
        (CARD, "USA", ("Kent", "WA", "US-WA", "USA")),
        ({"city": "Brampton", "state": "ON", "locationName": "Brampton, ON"}, "CAN",
         ("Brampton", "ON", "CA-ON", "CAN")),
        ({"city": "Dartford", "state": "England"}, "GBR", ("Dartford", None, "GB-ENG", "GBR")),
        ({"city": "Baldonnell", "state": "Dublin"}, "IRL", ("Baldonnell", None, "IE-D", "IRL")),
        ({"city": None, "state": 7}, "USA", (None, None, None, "USA")),
    ],
)  # fmt: skip
def test_card_locations(card: dict, country: str, expected: tuple) -> None:
    [location] = card_locations(card, country)
    got = (location.city, location.region_code, location.subdivision_code,
           location.country_alpha3)  # fmt: skip
    assert got == expected
    assert card_locations("not a card", country) == [] and card_locations(card, "ZZZ") == []


def test_card_pay() -> None:
    [pay] = card_pay(CARD)
    assert (pay.min, pay.max, pay.currency, pay.period) == (19.3, 23.5, "USD", "hour")
    assert (pay.location, pay.raw) == ("Kent, WA", "$19.30 - $23.50")
    monthly = {**CARD, "currencyCode": "EUR", "monthlyBasePayMin": 2100, "monthlyBasePayMax": 2300}
    assert [p.period for p in card_pay(monthly)] == ["hour", "month"]


@pytest.mark.parametrize(
    "change",
    [{"totalPayRateMin": "x"}, {"totalPayRateMin": 30}, {"currencyCode": "ZZZ"},
     {"currencyCode": None}, {"totalPayRateMax": float("nan")}, {"payFrequency": "SOMETIMES"}],
)  # fmt: skip
def test_malformed_pay_gives_nothing(change: dict) -> None:
    assert card_pay({**CARD, **change}) == []


def hourly_item(**card_changes: object) -> dict:
    return {"source": "amazon_hourly", "source_id": CARD["jobId"], "title": "Associate",
            "url": "u", "raw": {**CARD, **card_changes}, "country_codes": ["USA"]}  # fmt: skip


def test_an_hourly_snapshot_hashes_the_offer_not_the_volatile_card_fields() -> None:
    base = posting_snapshot(hourly_item())
    assert base["country_code"] == "USA" and base["schedule_type"] == "Full Time"
    assert base["pay_raw"] == "19.3 23.5 USD HOURLY" and base["card"]["jobId"] == CARD["jobId"]
    assert "card" not in current_fields(base)
    assert content_hash(posting_snapshot(hourly_item(distance=3.2, image="x"))) == (
        content_hash(base)
    )
    for change, field in (({"totalPayRateMax": 24}, "pay_raw"), ({"scheduleCount": 5},
                          "schedule_count"), ({"postalCode": "98031"}, "postal_code")):  # fmt: skip
        new = posting_snapshot(hourly_item(**change))
        assert content_hash(new) != content_hash(base)
        assert changed_fields(base, new) == [field]
    assert changed_fields(None, base) == list(source_named("amazon_hourly").content_fields)
    corporate = posting_snapshot({"source": "amazon_jobs", "source_id": "1", "raw": {}})
    assert changed_fields(None, corporate) == list(source_named("amazon_jobs").content_fields)
    assert corporate["source"] == "amazon_jobs" and base["source"] == "amazon_hourly"
