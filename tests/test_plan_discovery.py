"""The discovered plan's pure decisions (jobtracker/plan_discovery.py)."""

from __future__ import annotations

import pytest

from jobtracker.plan_discovery import Discovery, facet_plan_problem

BOARD = {"aws": 7000, "legal": 120, "pxt": 30}
COUNTRIES = {"USA": 5000, "JPN": 2150}


@pytest.mark.parametrize(
    ("facets", "hits", "problem"),
    [
        ({"business_category": BOARD, "normalized_country_code": COUNTRIES}, 7150, None),
        ({}, 7150, "the facet call returned no business_category facet"),
        ({}, 0, None),  # an empty scope: nothing to count
        ({"business_category": {}}, 7150, "the business_category facet is empty"),
        ({"business_category": {"aws": 7000}}, 7150, "facet counts sum to 7000"),
        # Over the window the category facet sums past it, but leaves 'legal' out (it lies):
        # the country facet of the same answer counts every posting once too.
        (
            {
                "business_category": {"aws": 12000, "pxt": 30},
                "normalized_country_code": {"USA": 10000, "JPN": 2150},
            },
            10000,
            "business_category counts sum to 12,030, country counts to 12,150",
        ),
    ],
)
def test_facet_plan_problem(facets: dict, hits: int, problem: str | None) -> None:
    found = facet_plan_problem(facets, hits, 10_000)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_categories_to_plan_take_the_scope_and_the_store_into_account() -> None:
    discovery = Discovery("no facets", 10_000, 500, known_categories=frozenset({"gone"}))
    discovery.see([("1", "aws", "USA"), ("2", "legal", "JPN"), ("3", "", "USA")])
    assert discovery.categories_to_plan() == ["aws", "gone", "legal"]
    discovery.planned.add("aws")
    assert discovery.categories_to_plan() == ["gone", "legal"]
    scoped = Discovery("no facets", 10_000, 500, scope_categories=("legal", "absent"))
    scoped.see([("1", "aws", "USA"), ("2", "legal", "JPN")])
    assert scoped.categories_to_plan() == ["absent", "legal"]


def test_country_cross_check_lists_only_countries_it_can_vouch_for() -> None:
    discovery = Discovery("no facets", 10_000, 10_000)
    discovery.see([("1", "aws", "USA"), ("2", "aws", "BRA"), ("3", "pxt", "BRA")])
    assert discovery.countries_to_count() == ["BRA", "USA"]
    discovery.country_hits.update({"USA": 10_000, "BRA": 3})
    assert discovery.countries_to_list() == ["BRA"]  # USA saturates: unverifiable
    assert discovery.unverified_countries() == ["USA"]
    discovery.listed_countries.add("BRA")
    assert discovery.countries_to_list() == []


def test_reconcile_sums_the_categories_hits_against_the_root_listing() -> None:
    discovery = Discovery("no facets", 10_000, 150)
    assert discovery.reconcile({"a": 100, "b": 50}, 150) is None
    assert "sum to 140" in (discovery.reconcile({"a": 100, "b": 40}, 150) or "")
    assert "no count for 1" in (discovery.reconcile({"a": 100, "b": None}, 150) or "")
