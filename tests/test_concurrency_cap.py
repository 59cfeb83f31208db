"""The per-domain concurrency cap holds with no download delay.

The simulator counts the requests of the site it is answering at each instant
(``/_sim/state`` -> ``in_flight``). A crawl with ``DOWNLOAD_DELAY=0``,
``CONCURRENT_REQUESTS=16`` and ``CONCURRENT_REQUESTS_PER_DOMAIN=4`` must never have more than
4 requests in flight on the one site it crawls (docs/crawling.md: why Scrapy 2.19's downloader
sends more, and how jobtracker caps it).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from scrapy.utils.defer import deferred_f_from_coro_f

from tests.support.crawling import run_crawl

CAP = 4


def test_the_simulator_counts_requests_in_flight(sim) -> None:
    """Six slow requests at once: six in flight at the peak; control calls are not counted."""
    sim.set_faults(slow_ms=400)
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: sim.get("/robots.txt").status, range(6)))
    assert statuses == [200] * 6
    in_flight = sim.state()["in_flight"]
    assert in_flight["now"] == 0
    # robots.txt is not delayed by slow_ms: ask search pages for a peak that overlaps surely.
    sim.control(reset_counters=True)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda n: sim.get("/en/search.json", {"offset": n}).status, range(6)))
    in_flight = sim.state()["in_flight"]
    assert (in_flight["now"], in_flight["max"]) == (0, 6)
    assert in_flight["busy_seconds"] >= 0.4
    assert sim.control(reset_counters=True)["in_flight"] == {
        "now": 0,
        "max": 0,
        "busy_seconds": 0.0,
    }


@pytest.mark.slow
@deferred_f_from_coro_f
async def test_no_more_requests_in_flight_than_the_per_domain_cap(start_sim) -> None:
    """A full crawl, no delay, 16 requests overall and 4 per domain: at most 4 at once (Scrapy
    2.19 alone sends the whole slot queue at once, up to 16), and the cap is used."""
    sim = start_sim(size=3000, faults={"slow_ms": 20})
    result = await run_crawl(
        {"CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": CAP, "DOWNLOAD_DELAY": 0},
        base_url=sim.url,
    )
    assert result.finish_reason == "finished"
    assert len(set(result.ids)) == 3000
    assert sim.state()["in_flight"]["max"] == CAP
