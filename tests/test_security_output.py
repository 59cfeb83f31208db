"""Hostile posting text stays inert (docs/security.md): crawled from the simulator into MongoDB,
it reaches spreadsheets (CSV exports, ``trend --csv``) and terminals (tables) without a live
formula or a control character, and the stored titles and labels carry no control characters
while the raw payload keeps them as served.

The simulator's ``hostile_postings`` knob (``jobtracker.sim.hostile``) makes the postings with
the smallest ids hostile; the crawl is a real ``scrapy crawl`` against it, storing in the MongoDB
test server.
"""

from __future__ import annotations

import json

from jobtracker.sim import hostile


def test_the_simulator_serves_hostile_postings_on_request(start_sim) -> None:
    sim = start_sim(size=200, seed=5, faults={"hostile_postings": 2})
    truth = {t["id_icims"]: t["job"] for t in sim.truth(jobs=True)}
    first_two = sorted(truth, key=int)[:2]
    served = {
        job["id_icims"]: job
        for job in sim.search({"result_limit": 100, "offset": 0, "sort": "recent"})["jobs"]
    }
    served.update(
        (job["id_icims"], job)
        for job in sim.search({"result_limit": 100, "offset": 100, "sort": "recent"})["jobs"]
    )
    assert set(served) == set(truth)
    for icims, job in served.items():
        if icims not in first_two:
            assert job == {**truth[icims], "updated_time": job["updated_time"]}
            continue
        assert job["title"].startswith(hostile.TITLE_PREFIX)
        assert truth[icims]["title"] in job["title"]
        assert job["job_category"] == "Sales\r@SUM(1+1)"
        assert job["team"]["label"] == " =cmd|' /C calc'!A0"
        assert job["job_family"].startswith("\uff1d")
        assert job["id"] == truth[icims]["id"]
    # The detail page of a hostile posting carries the same text; the ground truth does not.
    page = sim.get(f"/en/jobs/{first_two[0]}/x").body.decode()
    assert "\x1b]0;OWNED" in page
    assert "\x1b" not in json.dumps(truth[first_two[0]], ensure_ascii=False)
