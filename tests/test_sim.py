"""The simulated www.amazon.jobs over real HTTP: response shape, search semantics, evolution of the
board, fault knobs, detail pages, robots.txt and the command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pycountry
import pytest
from parsel import Selector

from jobsim.world import World
from tests.support.sim import REPO_ROOT, SimControl

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_1 = FIXTURES / "search_sample_1_facets_hits10000.json"
FACETS = [("facets[]", "business_category"), ("facets[]", "normalized_country_code")]


def rails_json(obj: Any) -> str:
    """Rails ``to_json`` as the real capture shows it (checked against the capture below)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def facet_dict(resp: dict[str, Any], name: str) -> dict[str, int]:
    return {k: v for item in resp["facets"][f"{name}_facet"] for k, v in item.items()}


def page_through(sim: SimControl, params: list[tuple[str, Any]]) -> tuple[list[str], int]:
    """All id_icims of a query, 100 per page; returns (ids, hits)."""
    ids: list[str] = []
    offset = 0
    while True:
        resp = sim.search([*params, ("offset", offset), ("result_limit", 100)])
        assert resp["error"] is None
        ids += [j["id_icims"] for j in resp["jobs"]]
        if len(resp["jobs"]) < 100:
            return ids, resp["hits"]
        offset += 100


def text_of(job: dict[str, Any]) -> str:
    return "\n".join(
        (
            job["title"],
            job["description"],
            job["basic_qualifications"],
            job["preferred_qualifications"],
        )
    ).lower()


@pytest.fixture(scope="module")
def truth_jobs(sim_server: SimControl) -> list[dict[str, Any]]:
    """Ground truth of day 0 with the full job objects."""
    return sim_server.truth(day=0, jobs=True)


@pytest.fixture(scope="module")
def world() -> World:
    """The same world as the session server, in process (events API)."""
    return World(seed=1)


# -- response shape ------------------------------------------------------------------------------


def test_response_is_byte_shaped_like_the_real_capture(sim: SimControl) -> None:
    sample_text = SAMPLE_1.read_text(encoding="utf-8")
    sample = json.loads(sample_text)
    assert rails_json(sample) == sample_text  # the serialization rule reproduces the capture

    resp = sim.get(
        "/en/search.json", [("base_query", ""), ("offset", 0), ("result_limit", 100), *FACETS]
    )
    assert resp.status == 200
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert int(resp.headers["content-length"]) == len(resp.body)
    body = resp.body.decode("utf-8")
    data = json.loads(body)
    assert rails_json(data) == body
    assert "\\u003cbr/\\u003e" in body and "<br/>" not in body
    assert "\u2019" in body and "\\u2019" not in body  # raw UTF-8, as served

    assert list(data) == list(sample)
    assert data["content"] == sample["content"] == {"sidebar": {}, "search_results": {}}
    assert list(data["facets"]) == list(sample["facets"])
    sample_job = sample["jobs"][0]
    sample_loc_keys = list(json.loads(sample_job["locations"][0]))
    assert len(data["jobs"]) == 100
    for job in data["jobs"]:
        assert list(job) == list(sample_job)
        assert list(job["team"]) == list(sample_job["team"])
        assert [k for k, v in job["team"].items() if v is not None] == ["label"]
        assert job["locations"] and all(isinstance(s, str) for s in job["locations"])
        for loc in job["locations"]:
            assert list(json.loads(loc)) == sample_loc_keys
        for key in (
            "department_cost_center",
            "display_distance",
            "is_intern",
            "is_manager",
            "job_function_id",
            "university_job",
        ):
            assert job[key] is None
    echo = data["job_posting_search_request"]
    assert isinstance(echo, str)
    echo_obj = json.loads(echo)["jobPostingSearchRequest"]
    sample_echo = json.loads(sample["job_posting_search_request"])["jobPostingSearchRequest"]
    assert list(echo_obj) == list(sample_echo)
    assert {k: v for k, v in echo_obj.items() if k != "size"} == {
        k: v for k, v in sample_echo.items() if k != "size"
    }
    assert echo_obj["size"] == "100"


def test_search_request_echo_is_verbatim(sim: SimControl) -> None:
    sample = json.loads(SAMPLE_1.read_text(encoding="utf-8"))
    same_request = [("base_query", ""), ("offset", 0), ("result_limit", 1), *FACETS]
    raw = sim.get("/en/search.json", same_request).body.decode()
    assert raw.endswith(
        '"job_posting_search_request":' + json.dumps(sample["job_posting_search_request"]) + "}"
    )
    # a second real capture: business_category[]=compensation, result_limit=100
    echo = sim.search([("business_category[]", "compensation"), ("result_limit", 100)])[
        "job_posting_search_request"
    ]
    assert echo == (
        '{"jobPostingSearchRequest":{"query":"","excludeFacets":[{"name":"businessCategory",'
        '"values":[{"name":"a-confidential-job"}]},{"name":"isPostedExternally","values":'
        '[{"name":"0"}]},{"name":"isUnsearchable","values":[{"name":"1"}]}],"filterFacets":'
        '[{"name":"businessCategory","values":[{"name":"compensation"}]}],"start":"0",'
        '"size":"100","sort":{"sortOrder":"DESCENDING","sortType":"SCORE"},"location":null,'
        '"accessLevel":"EXTERNAL","includeFacets":[],"locationFacets":[],"jobTypeFacets":[],'
        '"contentFilterFacets":[],"treatment":"OM"}}'
    )
    echo = json.loads(
        sim.search(
            [
                ("base_query", " Software Engineer "),
                ("normalized_country_code[]", "USA"),
                ("normalized_country_code[]", "IND"),
                ("business_category[]", "aws"),
                ("offset", 30),
                ("sort", "recent"),
            ]
        )["job_posting_search_request"]
    )["jobPostingSearchRequest"]
    assert echo["query"] == "Software Engineer"
    assert echo["filterFacets"] == [
        {"name": "businessCategory", "values": [{"name": "aws"}]},
        {"name": "normalizedCountryCode", "values": [{"name": "USA"}, {"name": "IND"}]},
    ]
    assert (echo["start"], echo["size"], echo["sort"]["sortType"]) == ("30", "10", "CREATED_DATE")


def test_job_field_formats(sim: SimControl) -> None:
    jobs = sim.search({"result_limit": 100, "sort": "recent"})["jobs"]
    jobs += sim.search({"result_limit": 100, "offset": 5000})["jobs"]
    padded = 0
    for job in jobs:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", job["id"]
        )
        assert re.fullmatch(r"\d{7,8}", job["id_icims"])
        assert re.fullmatch(rf"/en/jobs/{job['id_icims']}/[a-z0-9]+(-[a-z0-9]+)*", job["job_path"])
        assert job["url_next_step"] == f"https://account.amazon.jobs/jobs/{job['id_icims']}/apply"
        m = re.fullmatch(r"([A-Z][a-z]+) ([ \d]\d), (\d{4})", job["posted_date"])
        assert m, job["posted_date"]
        padded += m.group(2).startswith(" ")
        assert re.fullmatch(
            r"(less than a minute|\d+ minutes?|about \d+ hours?|\d+ days?|"
            r"about 1 month|\d+ months|(about|over|almost) \d+ years?)",
            job["updated_time"],
        )
        flat = job["description"].replace("<br/>", "")
        assert flat.startswith(job["description_short"])
        assert len(job["description_short"]) >= min(200, len(flat))
        locs = [json.loads(s) for s in job["locations"]]
        assert job["country_code"] == locs[0]["countryIso3a"]
        assert job["location"] == locs[0]["location"]
        assert job["normalized_location"] == locs[0]["normalizedLocation"]
        assert job["city"] == locs[0]["city"]
        assert job["primary_search_label"] == f"{job['business_category']}.{job['team']['label']}"
        for q in job["basic_qualifications"].split("<br/>"):
            assert q.startswith("- ")
        us_locs = [x for x in locs if x["countryIso3a"] == "USA"]
        pay = re.findall(
            r"(USA, [^<]*?) - [\d,]+\.\d\d - [\d,]+\.\d\d USD (?:annually|hourly)",
            job["preferred_qualifications"],
        )
        assert len(pay) == len(us_locs)
        if us_locs:
            assert "ProseMirror-FontColor" in job["preferred_qualifications"]
    assert padded > 0  # days 1-9 are space-padded: "July  2, 2026"


def test_locations_vocabulary(truth_jobs: list[dict[str, Any]]) -> None:
    jobs = [r["job"] for r in truth_jobs]
    primary = [json.loads(j["locations"][0]) for j in jobs]
    virtual = [loc for loc in primary if loc["type"] == "VIRTUAL"]
    assert 0.015 < len(virtual) / len(jobs) < 0.05
    assert {"US, Virtual", "GB, Virtual Location - UK", "JPN, Virtual"} <= {
        loc["location"] for loc in virtual
    }
    multi = [j for j in jobs if len(j["locations"]) > 1]
    assert 0.05 < len(multi) / len(jobs) < 0.11
    assert any(len({json.loads(s)["countryIso3a"] for s in j["locations"]}) > 1 for j in multi)
    assert any(j["location"] == "IT, Turin" for j in jobs)  # two-part form
    for loc in primary[:3000]:
        country = pycountry.countries.get(alpha_3=loc["countryIso3a"])
        assert country is not None and country.alpha_2 == loc["countryIso2a"]
    assert sum(j["title"].endswith(" ") for j in jobs) > 0


# -- limits, facets, filters -------------------------------------------------------------------


def test_soft_errors_past_the_caps(sim: SimControl) -> None:
    for limit in (101, 200, 1000):
        resp = sim.search({"result_limit": limit})
        assert resp["error"] == "Result limit cannot be greater than 100"
        assert resp["jobs"] == [] and resp["hits"] == 0
    edge = sim.search({"offset": 9900, "result_limit": 100})
    assert edge["error"] is None and len(edge["jobs"]) == 100
    for offset, limit in ((9901, 100), (9999, 2), (10000, 1), (20000, 10)):
        resp = sim.search({"offset": offset, "result_limit": limit})
        assert resp["error"] == "Cannot return more than 10000 results at once"
        assert resp["jobs"] == []
    default = sim.search({})
    assert len(default["jobs"]) == 10  # result_limit defaults to 10


def test_hits_saturate_and_single_valued_facets_sum_to_the_board(sim: SimControl) -> None:
    resp = sim.search([("result_limit", 1), *FACETS, ("facets[]", "category")])
    live = sim.state()["live"]
    assert live > 10000 and resp["hits"] == 10000
    assert abs(live - 22000) <= 220
    for name in ("business_category", "normalized_country_code", "category"):
        counts = facet_dict(resp, name)
        assert sum(counts.values()) == live
        items = [next(iter(d.items())) for d in resp["facets"][f"{name}_facet"]]
        assert items == sorted(items, key=lambda kv: (-kv[1], kv[0]))
    bcs = facet_dict(resp, "business_category")
    countries = facet_dict(resp, "normalized_country_code")
    assert len(bcs) == 60 and len(countries) == 57
    assert max(bcs.values()) > 10000 and max(bcs, key=bcs.__getitem__) == "aws"
    assert countries["USA"] > countries["IND"] > countries["JPN"]
    assert sim.search({"result_limit": 1})["facets"] == {}


def test_exact_filters_answer_the_facet_counts(sim: SimControl) -> None:
    resp = sim.search([("result_limit", 1), *FACETS, ("facets[]", "category")])
    for value, count in facet_dict(resp, "normalized_country_code").items():
        got = sim.search([("normalized_country_code[]", value), ("result_limit", 1)])
        assert got["hits"] == min(count, 10000), value
        assert got["jobs"][0]["country_code"] == value
    for value, count in facet_dict(resp, "business_category").items():
        got = sim.search([("business_category[]", value), ("result_limit", 1)])
        assert got["hits"] == min(count, 10000), value
    for value, count in facet_dict(resp, "category").items():
        slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
        got = sim.search([("category[]", slug), ("result_limit", 1)])
        assert got["hits"] == count, value
        assert got["jobs"][0]["job_category"] == value
    both = sim.search(
        [
            ("normalized_country_code[]", "IND"),
            ("normalized_country_code[]", "JPN"),
            ("result_limit", 1),
        ]
    )
    countries = facet_dict(resp, "normalized_country_code")
    assert both["hits"] == countries["IND"] + countries["JPN"]
    ignored = sim.search(
        [
            ("normalized_country_code", "IND"),
            ("country", "IND"),
            ("loc_query", "India"),
            ("result_limit", 1),
        ]
    )
    assert ignored["hits"] == 10000  # unbracketed filters are ignored


def test_filters_and_multi_valued_facets_against_the_truth(
    sim: SimControl, truth_jobs: list[dict[str, Any]]
) -> None:
    by_state: Counter[str] = Counter()
    by_city: Counter[str] = Counter()
    aws_usa = 0
    for rec in truth_jobs:
        locs = [json.loads(s) for s in rec["job"]["locations"]]
        by_state.update({x["normalizedStateName"] for x in locs if x["normalizedStateName"]})
        by_city.update({x["normalizedCityName"] for x in locs})
        aws_usa += rec["business_category"] == "aws" and rec["country_code"] == "USA"
    resp = sim.search(
        [
            ("result_limit", 1),
            ("facets[]", "normalized_state_name"),
            ("facets[]", "normalized_city_name"),
        ]
    )
    assert facet_dict(resp, "normalized_state_name") == dict(by_state)
    assert facet_dict(resp, "normalized_city_name") == dict(by_city)
    assert sum(by_state.values()) > sum(1 for r in truth_jobs if "USA" in r["country_codes"])
    for state in ("Texas", "Karnataka"):
        got = sim.search([("normalized_state_name[]", state), ("result_limit", 1)])
        assert got["hits"] == by_state[state]
    got = sim.search([("normalized_city_name[]", "Seattle"), ("result_limit", 1)])
    assert got["hits"] == by_city["Seattle"]
    got = sim.search(
        [("business_category[]", "aws"), ("normalized_country_code[]", "USA"), ("result_limit", 1)]
    )
    assert got["hits"] == aws_usa and 0 < aws_usa < 10000


def test_base_query_substring_and_id(sim: SimControl, truth_jobs: list[dict[str, Any]]) -> None:
    for phrase in ("Rekognition", "facial recognition"):
        expected = {r["id_icims"] for r in truth_jobs if phrase.lower() in text_of(r["job"])}
        assert expected
        ids, hits = page_through(sim, [("base_query", phrase)])
        assert set(ids) == expected and len(ids) == len(set(ids)) == hits
        ids_lower, _ = page_through(sim, [("base_query", phrase.upper())])
        assert set(ids_lower) == expected
    rek = {r["id_icims"] for r in truth_jobs if "rekognition" in text_of(r["job"])}
    assert 0.002 < len(rek) / len(truth_jobs) < 0.007
    facial = [r for r in truth_jobs if "facial recognition" in text_of(r["job"])]
    assert any(r["job"]["posted_date"] == "April 12, 2019" for r in facial)
    target = truth_jobs[1234]
    got = sim.search({"base_query": target["id_icims"]})
    assert [j["id_icims"] for j in got["jobs"]] == [target["id_icims"]]
    assert got["jobs"][0]["title"] == target["title"]
    assert sim.search({"base_query": "1"})["hits"] > 0  # substring of the text, not an id
    nothing = sim.search({"base_query": "99999999"})
    assert nothing["hits"] == 0 and nothing["jobs"] == [] and nothing["error"] is None


def test_pagination_is_a_stable_total_order(
    sim: SimControl, truth_jobs: list[dict[str, Any]]
) -> None:
    expected = {r["id_icims"] for r in truth_jobs if r["country_code"] == "IND"}
    for sort in ("relevant", "recent"):
        ids, hits = page_through(sim, [("normalized_country_code[]", "IND"), ("sort", sort)])
        assert len(ids) == len(set(ids)) == hits == len(expected)
        assert set(ids) == expected
    first = sim.search([("business_category[]", "finance"), ("result_limit", 50)])
    again = sim.search([("business_category[]", "finance"), ("result_limit", 50)])
    assert first == again
    recent = sim.search({"sort": "recent", "result_limit": 100})["jobs"]
    posted = {r["id_icims"]: r["posted_date"] for r in truth_jobs}
    dates = [posted[j["id_icims"]] for j in recent]
    assert dates == sorted(dates, reverse=True)
    echo = json.loads(sim.search({"sort": "recent"})["job_posting_search_request"])
    assert echo["jobPostingSearchRequest"]["sort"]["sortType"] == "CREATED_DATE"


def test_locales(sim: SimControl) -> None:
    params = [("result_limit", 5), ("business_category[]", "legal")]
    en = sim.get("/en/search.json", params)
    for locale in ("en-gb", "de", "fr", "es", "it", "jp", "zh", "pl", "pt", "cs"):
        assert sim.get(f"/{locale}/search.json", params).body == en.body
    assert sim.get("/xx/search.json", params).status == 404
    assert sim.get("/search.json", params).status == 404


# -- evolution ------------------------------------------------------------------------------------


def test_day_evolution_matches_the_events(sim: SimControl, world: World) -> None:
    prev = {r["id_icims"]: r for r in sim.truth(day=0)}
    assert list(prev.values()) == world.truth(0)  # the server's world is the seeded world
    for day in (1, 2, 3):
        cur = {r["id_icims"]: r for r in sim.truth(day=day)}
        ev = {k: set(v) for k, v in world.events(day).items()}
        assert set(cur) == (set(prev) - ev["removed"]) | ev["new"] | ev["relisted"]
        assert ev["removed"] <= set(prev) and not (ev["new"] | ev["relisted"]) & set(prev)
        n = len(prev)
        assert 0.008 < len(ev["new"]) / n < 0.018
        assert 0.008 < len(ev["removed"]) / n < 0.018
        assert 0.004 < len(ev["edited"]) / n < 0.013
        assert 0 < len(ev["recategorized"]) < 0.003 * n
        assert 0 < len(ev["relisted"]) < 0.003 * n
        for i in ev["edited"]:
            assert cur[i]["revision"] == prev[i]["revision"] + 1
            before, after = world.job(i, day - 1), world.job(i, day)
            assert before is not None and after is not None
            assert text_of(before) != text_of(after) or before["title"] != after["title"]
        for i in ev["recategorized"]:
            assert cur[i]["business_category"] != prev[i]["business_category"]
            job = world.job(i, day)
            assert job is not None and job["business_category"] == cur[i]["business_category"]
            assert cur[i]["revision"] == prev[i]["revision"] + 1
        for i in set(cur) & set(prev) - ev["edited"] - ev["recategorized"]:
            assert cur[i]["revision"] == prev[i]["revision"]
        for i in ev["relisted"]:
            life = world.lifecycle(i)
            assert len(life["spans"]) >= 2 and cur[i]["span_start_day"] == day
            assert cur[i]["first_day"] < day
        for i in ev["new"]:
            assert cur[i]["first_day"] == cur[i]["span_start_day"] == day
        prev = cur
    sim.set_day(3)
    assert sim.state()["live"] == len(prev)
    assert sim.search({"result_limit": 1})["hits"] == 10000


def test_every_revision_renders(world: World) -> None:
    """Recategorizations (which may change job_category) and edits keep every revision valid."""
    recategorized = 0
    for idx in range(0, world.posting_count, 5):
        days, kinds = world.revisions(idx)
        if "recategorize" not in kinds:
            continue
        recategorized += 1
        for rev in range(len(days) + 1):
            job = json.loads(world.job_json(idx, rev, days[rev - 1] if rev else 0))
            assert job["business_category"] == world.entry(idx, rev).bc
            assert job["job_category"] == world.entry(idx, rev).jc
    assert recategorized > 100


def test_board_size_stays_near_target(world: World) -> None:
    for day in (0, 60, 200, 400):
        assert abs(len(world.board(day)) - 22000) <= 220, day


# -- faults ---------------------------------------------------------------------------------------


def test_fault_429_with_retry_after_and_fresh_rolls(sim: SimControl) -> None:
    sim.set_faults(rate_429=1.0, retry_after=2)
    resp = sim.get("/en/search.json", {"result_limit": 1})
    assert resp.status == 429 and resp.headers["retry-after"] == "2"
    sim.set_faults(rate_429=0.5, fault_seed=3)
    first = [sim.get("/en/search.json", {"result_limit": 1}).status for _ in range(30)]
    assert set(first) == {200, 429}  # each attempt of the same URL rolls again
    sim.set_faults(rate_429=0.5, fault_seed=3)
    again = [sim.get("/en/search.json", {"result_limit": 1}).status for _ in range(30)]
    assert again == first  # deterministic per (seed, URL, attempt)
    assert sim.state()["injected"]["429"] == 2 * first.count(429) + 1


def test_fault_5xx_bursts_and_random_5xx(sim: SimControl) -> None:
    sim.set_faults(burst_5xx_every=5, burst_5xx_len=2)
    statuses = [
        sim.get("/en/search.json", {"offset": i, "result_limit": 1}).status for i in range(10)
    ]
    assert statuses == [200, 200, 200, 200, 503, 503, 200, 200, 200, 503]
    sim.set_faults(rate_5xx=1.0)
    for i in range(5):
        assert sim.get("/en/search.json", {"offset": i}).status in (500, 502, 503, 504)
    # only search.json is faulted
    assert sim.get("/robots.txt").status == 200
    assert sim.get("/_sim/state").status == 200
    job = sim.truth()[0]
    assert sim.get(f"/en/jobs/{job['id_icims']}").status == 200
    assert sim.state()["injected"]["5xx"] == 5


def test_fault_bodies(sim: SimControl) -> None:
    params = {"business_category[]": "legal", "result_limit": 20}
    normal = sim.get("/en/search.json", params)
    normal_data = normal.json()
    assert normal_data["jobs"]

    sim.set_faults(rate_malformed=1.0)
    for i in range(4):
        bad = sim.get("/en/search.json", {**params, "offset": i})
        assert bad.status == 200
        with pytest.raises(ValueError):
            json.loads(bad.body)

    sim.set_faults(rate_truncated=1.0)
    cut = sim.get("/en/search.json", params)
    assert cut.status == 200 and int(cut.headers["content-length"]) == len(cut.body)
    assert cut.body == normal.body[: len(normal.body) // 2]

    sim.set_faults(rate_soft_error=1.0)
    soft = sim.search(params)
    assert isinstance(soft["error"], str) and soft["error"] and soft["jobs"] == []

    sim.set_faults(rate_empty_page=1.0)
    empty = sim.search(params)
    assert empty["error"] is None and empty["jobs"] == []
    assert empty["hits"] == normal_data["hits"] > 0

    injected = sim.state()["injected"]
    assert (
        injected["malformed"],
        injected["truncated"],
        injected["soft_error"],
        injected["empty_page"],
    ) == (4, 1, 1, 1)
    sim.control(reset_counters=True)
    assert sim.state()["injected"]["empty_page"] == 0


def test_fault_slow(sim: SimControl) -> None:
    sim.get("/en/search.json", {"result_limit": 1})  # computed and cached: later calls are fast
    sim.set_faults(slow_ms=1000)
    t0 = time.monotonic()
    assert sim.get("/en/search.json", {"result_limit": 1}).status == 200
    assert time.monotonic() - t0 >= 1.0
    assert sim.state()["injected"]["slow"] == 1
    sim.set_faults(slow_ms=1000, rate_slow=0.0)
    t0 = time.monotonic()
    sim.get("/en/search.json", {"result_limit": 1})
    assert time.monotonic() - t0 < 1.0


def test_fault_pattern_partition_never_finishes(sim: SimControl) -> None:
    sim.set_faults(fail_pattern="normalized_country_code[]=LUX")
    lux = [("normalized_country_code[]", "LUX"), ("result_limit", 10)]
    assert sim.get("/en/search.json", [*lux, ("offset", 0)]).status == 200
    for _ in range(3):
        assert sim.get("/en/search.json", [*lux, ("offset", 10)]).status == 500
    other = [("normalized_country_code[]", "BEL"), ("result_limit", 10), ("offset", 10)]
    assert sim.get("/en/search.json", other).status == 200
    assert sim.state()["injected"]["fail_pattern"] == 3


def test_fault_board_changes_during_a_crawl(sim: SimControl) -> None:
    sim.set_faults(advance_day_after=3)
    days = []
    for _ in range(5):
        sim.get("/en/search.json", {"result_limit": 1})
        days.append(sim.state()["day"])
    assert days == [0, 0, 1, 1, 1]
    assert sim.state()["injected"]["advance_day"] == 1


def test_fault_hide_fraction_is_a_consistent_site_change(sim: SimControl) -> None:
    truth = sim.truth()
    sim.set_faults(hide_fraction=0.7, fault_seed=4)
    state = sim.state()
    assert state["live"] == len(truth)
    assert 0.25 < state["visible"] / state["live"] < 0.35
    resp = sim.search([("result_limit", 1), *FACETS])
    assert sum(facet_dict(resp, "business_category").values()) == state["visible"]
    assert sum(facet_dict(resp, "normalized_country_code").values()) == state["visible"]
    ids, hits = page_through(sim, [("business_category[]", "legal")])
    assert len(ids) == hits == facet_dict(resp, "business_category").get("legal", 0)
    visible = set(ids)
    legal = [t["id_icims"] for t in truth if t["business_category"] == "legal"]
    hidden = [i for i in legal if i not in visible]
    assert hidden and visible
    assert sim.get(f"/en/jobs/{hidden[0]}").status == 404
    assert sim.search({"base_query": hidden[0]})["hits"] == 0
    assert sim.get(f"/en/jobs/{next(iter(visible))}").status == 200
    assert len(sim.truth()) == len(truth)  # the ground truth does not change
    sim.set_faults()
    assert sim.state()["visible"] == len(truth)


def test_fault_hide_fraction_hides_the_same_postings_every_day(sim: SimControl) -> None:
    """The hidden postings are chosen by (fault_seed, id_icims) alone: a posting hidden on one
    day stays hidden on the next (sustained partial hiding, not a random flicker)."""
    sim.set_faults(hide_fraction=0.3, fault_seed=9)
    seen: dict[int, set[str]] = {}
    live: dict[int, set[str]] = {}
    for day in (0, 1):
        sim.control(day=day)
        seen[day] = set(page_through(sim, [("business_category[]", "legal")])[0])
        again = set(page_through(sim, [("business_category[]", "legal")])[0])
        assert again == seen[day]  # the same day answers the same
        live[day] = {t["id_icims"] for t in sim.truth() if t["business_category"] == "legal"}
    both = live[0] & live[1]
    hidden = {day: both - seen[day] for day in (0, 1)}
    assert hidden[0] and hidden[0] == hidden[1]
    assert seen[0] & both == seen[1] & both
    assert 0.2 < len(hidden[0]) / len(both) < 0.4


def test_fault_empty_listing_categories_answer_a_valid_empty_page(sim: SimControl) -> None:
    truth = sim.truth()
    legal = [t["id_icims"] for t in truth if t["business_category"] == "legal"]
    pxt = sum(t["business_category"] == "pxt" for t in truth)
    listing = [("business_category[]", "legal"), ("result_limit", 100), ("sort", "recent")]
    normal = sim.search(listing)
    assert normal["hits"] == len(legal) > 100
    sim.set_faults(empty_listing_categories=["legal"])

    empty = sim.get("/en/search.json", listing)
    assert empty.status == 200
    data = empty.json()
    assert (data["error"], data["hits"], data["jobs"]) == (None, 0, [])
    assert list(data) == list(normal)  # the real response shape
    assert data["job_posting_search_request"] == normal["job_posting_search_request"]
    faceted = sim.search([*listing, ("facets[]", "normalized_country_code")])
    assert faceted["hits"] == 0 and faceted["facets"] == {"normalized_country_code_facet": []}
    # The facet call of a full crawl (not filtered by the category) still counts it.
    root = sim.search([("result_limit", 1), *FACETS])
    assert facet_dict(root, "business_category")["legal"] == len(legal)
    assert root["hits"] == 10000
    # Other categories list as usual, also next to the broken one in the same request.
    both = sim.search([("business_category[]", "legal"), ("business_category[]", "pxt")])
    assert both["hits"] == pxt
    # Detail pages and id lookups still find the postings; the ground truth is unaffected.
    assert sim.get(f"/en/jobs/{legal[0]}").status == 200
    assert sim.search({"base_query": legal[0]})["hits"] == 1
    assert sim.state()["visible"] == len(truth) == len(sim.truth())
    assert sim.state()["injected"]["empty_listing"] == 3


def test_fault_vanish_categories_remove_them_from_the_whole_site(sim: SimControl) -> None:
    truth = sim.truth()
    legal = [t["id_icims"] for t in truth if t["business_category"] == "legal"]
    sim.set_faults(vanish_categories=["legal"])

    root = sim.search([("result_limit", 1), *FACETS])
    counts = facet_dict(root, "business_category")
    assert "legal" not in counts and counts
    assert sum(counts.values()) == len(truth) - len(legal)
    assert sum(facet_dict(root, "normalized_country_code").values()) == len(truth) - len(legal)
    listing = sim.search([("business_category[]", "legal"), ("result_limit", 100)])
    assert (listing["error"], listing["hits"], listing["jobs"]) == (None, 0, [])
    assert sim.search({"base_query": legal[0]})["hits"] == 0
    assert sim.get(f"/en/jobs/{legal[0]}").status == 404
    other = next(t for t in truth if t["business_category"] != "legal")["id_icims"]
    assert sim.get(f"/en/jobs/{other}").status == 200
    state = sim.state()
    assert state["visible"] == len(truth) - len(legal)
    assert state["live"] == len(truth) == len(sim.truth())  # the truth still has them live


def test_fault_vanish_all_is_a_silent_empty_board(sim: SimControl) -> None:
    truth = sim.truth()
    sim.set_faults(vanish_all=True)

    root = sim.search([("result_limit", 100), *FACETS])
    assert (root["error"], root["hits"], root["jobs"]) == (None, 0, [])
    assert root["facets"] == {"business_category_facet": [], "normalized_country_code_facet": []}
    assert sim.search({"business_category[]": "legal"})["hits"] == 0
    assert sim.search({"base_query": truth[0]["id_icims"]})["hits"] == 0
    assert sim.get(f"/en/jobs/{truth[0]['id_icims']}").status == 404
    assert sim.state()["visible"] == 0
    assert len(sim.truth()) == len(truth)
    sim.set_faults()
    assert sim.search({"result_limit": 1})["hits"] == 10000


def test_control_rejects_bad_input(sim: SimControl) -> None:
    for body in (
        {"day": -1},
        {"day": 10_000},
        {"day": "3"},
        {"faults": {"rate_429": 2}},
        {"faults": {"nope": 1}},
        {"bogus": 1},
        {"reset_counters": "yes"},
    ):
        resp = sim.request("POST", "/_sim/control", json.dumps(body).encode())
        assert resp.status == 400, body
        assert "error" in resp.json()
    assert sim.request("POST", "/_sim/control", b"{not json").status == 400
    assert sim.get("/_sim/truth", {"day": "x"}).status == 400
    assert sim.state()["day"] == 0


# -- pages ----------------------------------------------------------------------------------------


def test_detail_pages(sim: SimControl, world: World) -> None:
    rec = sim.truth(day=0, jobs=False)[100]
    job = world.job(rec["id_icims"], 0)
    assert job is not None
    page = sim.get(job["job_path"])
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    sel = Selector(text=page.body.decode())
    assert sel.css("#job-detail h1.title::text").get() == job["title"]
    assert f"Job ID: {job['id_icims']}" in sel.css("p.meta::text").get()
    assert sel.css("#job-detail-body .section h2::text").getall() == [
        "DESCRIPTION",
        "BASIC QUALIFICATIONS",
        "PREFERRED QUALIFICATIONS",
    ]
    # Real job pages show no posted date (docs/simulator_archive.md, page eras).
    assert "Posted" not in page.body.decode() and not sel.css(".posting-date")
    assert job["posted_date"].split()[0] not in sel.css(".details-line").get()
    assert (
        sim.get(f"/de/jobs/{job['id_icims']}").body
        == sim.get(f"/de/jobs/{job['id_icims']}/whatever-slug").body
    )
    redirect = sim.get(f"/en/jobs/{job['id_icims']}.json")
    assert redirect.status == 302 and redirect.headers["location"] == job["job_path"]
    assert sim.get("/en/jobs/99999999/nothing").status == 404
    removed = world.events(1)["removed"][0]
    assert sim.get(f"/en/jobs/{removed}").status == 200
    sim.set_day(1)
    assert sim.get(f"/en/jobs/{removed}").status == 404
    assert sim.get(f"/en/jobs/{removed}.json").status == 404


def test_robots_txt(sim: SimControl) -> None:
    resp = sim.get("/robots.txt")
    assert resp.status == 200 and resp.headers["content-type"].startswith("text/plain")
    lines = resp.body.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /internal" in lines and "Disallow: /en/internal" in lines
    assert not any(line.startswith("Disallow: /en/search") for line in lines)


# -- a private, small world ---------------------------------------------------------------------


def test_small_world_with_a_small_window(start_sim: Any) -> None:
    small = start_sim(size=3000, result_window=500, seed=7)
    state = small.state()
    assert (state["seed"], state["size"], state["result_window"]) == (7, 3000, 500)
    assert abs(state["live"] - 3000) <= 30
    resp = small.search([("result_limit", 1), *FACETS])
    assert resp["hits"] == 500
    bcs = facet_dict(resp, "business_category")
    assert sum(bcs.values()) == state["live"] and bcs["aws"] > 500
    err = small.search({"offset": 450, "result_limit": 100})
    assert err["error"] == "Cannot return more than 500 results at once" and err["jobs"] == []
    other = start_sim(size=3000, result_window=500, seed=8)
    assert other.truth(day=0) != small.truth(day=0)


# -- command line ---------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobsim", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("serve", "--port", "abc"), "--port"),
        (("serve", "--port", "70000"), "--port"),
        (("serve", "--faults", "{bad"), "--faults"),
        (("serve", "--faults", '{"nope": 1}'), "nope"),
        (("serve", "--size", "0"), "--size"),
        (("serve", "--day", "500"), "--day"),
        (("truth", "--day", "-1"), "--day"),
        ((), "serve,truth"),
    ],
)
def test_cli_rejects_bad_flags(args: tuple[str, ...], needle: str) -> None:
    res = _cli(*args)
    assert res.returncode == 2
    assert needle in res.stderr and "error" in res.stderr
    assert "Traceback" not in res.stderr


def test_cli_truth_and_help() -> None:
    res = _cli("truth", "--size", "300", "--day", "2", "--seed", "5")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert abs(len(rows) - 300) <= 10
    assert rows == World(seed=5, size=300).truth(2)
    helptext = _cli("serve", "--help").stdout
    for flag in ("--port", "--host", "--seed", "--day", "--size", "--result-window", "--faults"):
        assert flag in helptext
