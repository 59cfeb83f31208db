"""The simulator's contract-drift knobs over real HTTP (issue 14): each changes how the site
answers the way a collector reported it, never what the site holds (the ground truth)."""

from __future__ import annotations

from collections import Counter

from tests.support.sim import SimControl

FACETS = [("facets[]", "business_category"), ("facets[]", "normalized_country_code")]
ROOT = [("result_limit", 1), ("sort", "recent"), *FACETS]


def facet_dict(resp: dict, name: str) -> dict[str, int]:
    return {k: v for item in resp["facets"][f"{name}_facet"] for k, v in item.items()}


def test_facets_missing_answers_empty_facets_and_keeps_the_listing(sim: SimControl) -> None:
    normal = sim.search(ROOT)
    sim.set_faults(facets_missing=True)

    drifted = sim.search(ROOT)

    assert drifted["facets"] == {}
    assert (drifted["error"], drifted["hits"]) == (None, normal["hits"])
    assert drifted["jobs"] == normal["jobs"]
    assert list(drifted) == list(normal)  # the real response shape
    assert sim.state()["live"] == len(sim.truth())


def test_facets_that_lie_leave_a_category_out_of_its_facet_only(sim: SimControl) -> None:
    truth = sim.truth()
    counts = Counter(t["business_category"] for t in truth)
    sim.set_faults(facets_lie_categories=["legal"])

    root = sim.search(ROOT)

    categories = facet_dict(root, "business_category")
    assert "legal" not in categories
    assert sum(categories.values()) == len(truth) - counts["legal"]
    assert sum(facet_dict(root, "normalized_country_code").values()) == len(truth)
    legal = sim.search([("business_category[]", "legal"), ("result_limit", 1)])
    assert legal["hits"] == counts["legal"]


def test_category_filter_zero_answers_every_category_with_an_empty_valid_page(
    sim: SimControl,
) -> None:
    truth = sim.truth()
    sim.set_faults(category_filter_zero=True)

    for category in ("aws", "legal", "no-such-category"):
        page = sim.search([("business_category[]", category), ("result_limit", 100), *FACETS])
        assert (page["error"], page["hits"], page["jobs"]) == (None, 0, [])
    root = sim.search(ROOT)
    assert sum(facet_dict(root, "business_category").values()) == len(truth)
    country = sim.search([("normalized_country_code[]", "JPN"), ("result_limit", 1)])
    assert country["hits"] == sum(t["country_code"] == "JPN" for t in truth)


def test_blocked_user_agents_get_403_and_everyone_else_is_served(sim: SimControl) -> None:
    sim.set_faults(blocked_user_agents=["Research Crawler"])
    crawler = {"User-Agent": "Mozilla/5.0 (jobtracker research crawler)"}
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0"}

    for path in ("/en/search.json?result_limit=1", "/robots.txt"):
        refused = sim.request("GET", path, headers=crawler)
        assert refused.status == 403
        assert b"The request could not be satisfied" in refused.body
        assert refused.headers["content-type"].startswith("text/html")
    assert sim.request("GET", "/en/search.json?result_limit=1", headers=browser).status == 200
    assert sim.state()["requests"]["blocked"] == 2  # the control endpoints are never blocked


def test_block_everyone_with_200_serves_the_block_page_as_a_success(sim: SimControl) -> None:
    sim.set_faults(block_everyone=True, block_with_200=True)

    page = sim.request("GET", "/en/search.json?result_limit=1", headers={"User-Agent": "x"})

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert b"Request blocked." in page.body


def test_window_error_400_past_the_window_only(sim: SimControl) -> None:
    past = [("offset", 9950), ("result_limit", 100)]
    soft = sim.search(past)
    assert soft["error"] == "Cannot return more than 10000 results at once"
    sim.set_faults(window_error_400=True)

    hard = sim.get("/en/search.json", past)

    assert hard.status == 400
    assert hard.json()["error"] == soft["error"]
    assert sim.get("/en/search.json", [("offset", 9900), ("result_limit", 100)]).status == 200
    too_big = sim.search([("result_limit", 101)])  # the page-size cap stays a soft error
    assert too_big["error"] == "Result limit cannot be greater than 100"
