"""Spider arguments: strings in, validated values out, a clear error naming the argument."""

from __future__ import annotations

import pytest

from jobtracker.arguments import ArgumentError, parse_amazon_jobs_args, resolve_country


@pytest.mark.parametrize(
    ("value", "alpha3"),
    [
        ("JP", "JPN"),
        ("jpn", "JPN"),
        ("Japan", "JPN"),
        ("germany", "DEU"),
        ("UK", "GBR"),
        ("United States", "USA"),
        ("KR", "KOR"),
        ("Korea, Republic of", "KOR"),
    ],
)
def test_countries_resolve_to_alpha3(value: str, alpha3: str) -> None:
    assert resolve_country(value) == alpha3


def test_defaults() -> None:
    args = parse_amazon_jobs_args({})
    assert args.query is None
    assert args.countries == ()
    assert args.locale == "en"
    assert args.base_url == "https://www.amazon.jobs"
    assert args.max_pages is None


def test_strings_from_scrapyd_are_parsed() -> None:
    args = parse_amazon_jobs_args(
        {
            "query": "  Rekognition ",
            "countries": "JP, DE,Germany",
            "categories": "aws,fulfillment-ops",
            "locale": "EN-GB",
            "base_url": "http://127.0.0.1:8080/",
            "max_pages": "3",
            "_job": "6487ec79947edab326d6db28a2d86511e8247444",
            "_version": "1700000000",
        }
    )
    assert args.query == "Rekognition"
    assert args.countries == ("DEU", "JPN")
    assert args.categories == ("aws", "fulfillment-ops")
    assert args.locale == "en-gb"
    assert args.base_url == "http://127.0.0.1:8080"
    assert args.max_pages == 3
    assert args.job == "6487ec79947edab326d6db28a2d86511e8247444"


@pytest.mark.parametrize(
    ("raw", "argument", "message"),
    [
        ({"countries": "JP,Atlantis"}, "countries", "unknown country 'Atlantis'"),
        ({"categories": "AWS"}, "categories", "not a business_category value"),
        ({"locale": "ja"}, "locale", "'ja' is not one of"),
        ({"base_url": "www.amazon.jobs"}, "base_url", "not an http(s) origin"),
        ({"base_url": "http://127.0.0.1:8080/en/"}, "base_url", "origin only"),
        ({"max_pages": "lots"}, "max_pages", "not a whole number"),
        ({"max_pages": "0"}, "max_pages", "at least 1"),
        ({"country": "JP"}, "country", "unknown argument"),
    ],
)
def test_bad_values_name_the_argument(raw: dict[str, str], argument: str, message: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        parse_amazon_jobs_args(raw)
    assert caught.value.argument == argument
    assert message in str(caught.value)
