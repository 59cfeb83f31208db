"""The simulated web archive (docs/simulator_archive.md) over real HTTP, against the shapes of
the real Wayback Machine and Common Crawl answers recorded in docs/simulator_archive.md."""

from __future__ import annotations

import gzip
import http.client
import io
import json
import re
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from itertools import pairwise
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.support.archive import ArchiveSim
from tests.support.sim import REPO_ROOT

FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
EMPTY_DIGEST = "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
JOBS = "amazon.jobs/en/jobs/*"


class Answer:
    """One HTTP answer."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


def get(
    url: str,
    params: dict[str, Any] | list[tuple[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Answer:
    """GET over a fresh connection, redirects not followed."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if params:
        path += ("&" if "?" in path else "?") + urlencode(params)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


@pytest.fixture
def arc(archive_sim: ArchiveSim) -> Iterator[ArchiveSim]:
    """The session archive without the CDX rate limit (tests of the limit turn it back on)."""
    archive_sim.faults(cdx_rate_per_min=0)
    yield archive_sim


def cdx(arc: ArchiveSim, **params: Any) -> Answer:
    return get(f"{arc.wayback_url}/cdx/search/cdx", params)


def rows(arc: ArchiveSim, **params: Any) -> list[list[str]]:
    answer = cdx(arc, **params)
    assert answer.status == 200, answer.body[:300]
    return [line.split(" ") for line in answer.text.splitlines() if line]


def replay(arc: ArchiveSim, ts: str, original: str, timeout: float = 60.0) -> Answer:
    return get(f"{arc.wayback_url}/web/{ts}id_/{original}", timeout=timeout)


def dedupe(lines: list[list[str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for line in lines:
        if not out or out[-1] != line:
            out.append(line)
    return out


# -- Wayback CDX ---------------------------------------------------------------------------------


def test_cdx_text_has_the_seven_fields_and_repeated_lines_counted_by_limit(arc: ArchiveSim) -> None:
    lines = rows(arc, url=JOBS)
    assert len(lines) > 1000 and all(len(x) == 7 for x in lines)
    assert all(x[0].startswith("jobs,amazon)/en/jobs/") for x in lines)
    assert all(re.fullmatch(r"\d{14}", x[1]) for x in lines if x[1] != "20000012170449")
    repeats = sum(1 for a, b in pairwise(lines) if a == b)
    assert repeats > 10  # identical lines repeated 2-5 times
    assert lines == sorted(lines, key=lambda x: (x[0], x[1]))
    first_repeat = next(i for i, (a, b) in enumerate(pairwise(lines)) if a == b)
    limited = rows(arc, url=JOBS, limit=first_repeat + 2)
    assert limited == lines[: first_repeat + 2]  # the repeat is counted by limit
    arc.faults(duplicate_rows=False)
    assert rows(arc, url=JOBS) == dedupe(lines)


def test_cdx_json_has_a_header_row_following_fl(arc: ArchiveSim) -> None:
    table = cdx(arc, url=JOBS, output="json", limit=5).json()
    assert table[0] == FIELDS and len(table) == 6
    table = cdx(arc, url=JOBS, output="json", limit=5, fl="timestamp,statuscode").json()
    assert table[0] == ["timestamp", "statuscode"] and all(len(r) == 2 for r in table)
    assert cdx(arc, url="amazon.jobs/nothing-here", output="json").text == "[]"
    assert cdx(arc, url="amazon.jobs/nothing-here").text == ""
    assert cdx(arc, url=JOBS, fl="timestamp,bogus").status == 400


def page_through(arc: ArchiveSim, as_json: bool, **params: Any) -> tuple[list[list[str]], int]:
    got: list[list[str]] = []
    key = None
    for requests in range(1, 200):
        extra = {"resumeKey": key} if key else {}
        answer = cdx(
            arc, showResumeKey="true", **params, **extra, **({"output": "json"} if as_json else {})
        )
        assert answer.status == 200
        if as_json:
            table = answer.json()
            if table == []:
                return got, requests
            if table[-2] == []:
                body, key = table[1:-2], table[-1][0]
            else:
                body, key = table[1:], None
            got += body
        else:
            text = answer.text
            if text == "":
                return got, requests
            if "\n\n" in text:
                body_text, key_text = text.split("\n\n")
                key = key_text.strip()
            else:
                body_text, key = text, None
            got += [x.split(" ") for x in body_text.splitlines()]
        if key is None:
            return got, requests
    raise AssertionError("paging never ended")


@pytest.mark.parametrize("as_json", [False, True])
def test_cdx_resume_keys_page_through_everything(arc: ArchiveSim, as_json: bool) -> None:
    everything = dedupe(rows(arc, url="amazon.jobs/de/jobs/*"))
    got, requests = page_through(arc, as_json, url="amazon.jobs/de/jobs/*", limit=25)
    assert dedupe(got) == everything and requests >= len(everything) // 25
    # The key is opaque: urlkey + last timestamp with its last char incremented, encoded.
    text = cdx(arc, url=JOBS, limit=3, showResumeKey="true").text
    body, key = text.split("\n\n")
    last = body.splitlines()[-1].split(" ")
    assert key.strip() == quote(
        f"{last[0]} {last[1][:-1]}{chr(ord(last[1][-1]) + 1)}", safe=""
    ).replace("%20", "+")
    again = rows(arc, url=JOBS, limit=3, resumeKey=key.strip())
    twice = rows(arc, url=JOBS, limit=3, resumeKey=quote(key.strip(), safe=""))  # re-encoded
    assert again == twice and again[0][:2] != last[:2]
    assert cdx(arc, url=JOBS, resumeKey="not-a-key").status == 400


def test_cdx_page_after_the_last_is_empty(arc: ArchiveSim) -> None:
    everything = rows(arc, url="amazon.jobs/pl/jobs/*")
    text = cdx(arc, url="amazon.jobs/pl/jobs/*", limit=len(everything), showResumeKey="true").text
    key = text.split("\n\n")[1].strip()
    last = cdx(arc, url="amazon.jobs/pl/jobs/*", limit=5, showResumeKey="true", resumeKey=key)
    assert last.status == 200 and last.body == b""
    last = cdx(
        arc,
        url="amazon.jobs/pl/jobs/*",
        limit=5,
        showResumeKey="true",
        resumeKey=key,
        output="json",
    )
    assert last.json() == []


def test_cdx_line_cap_truncates_silently_without_resume_key(arc: ArchiveSim) -> None:
    arc.faults(cdx_line_cap=40, duplicate_rows=False)
    text = cdx(arc, url=JOBS, showResumeKey="true").text
    assert len(text.splitlines()) == 40 and "\n\n" not in text
    assert len(cdx(arc, url=JOBS, showResumeKey="true", limit=1000).text.splitlines()) == 40
    assert "\n\n" in cdx(arc, url=JOBS, showResumeKey="true", limit=30).text


def test_cdx_matching_is_on_surt_keys(arc: ArchiveSim) -> None:
    one = rows(arc, url=JOBS, limit=1)[0]
    exact = rows(arc, url=one[2])
    assert exact and all(r[0] == one[0] for r in exact)
    variants = {r[2] for r in rows(arc, url=JOBS, filter="original:http://.*")}
    assert any(":80/" in v for v in variants) and any("//amazon.jobs/" in v for v in variants)
    https_www = "https://www." + one[0].split(")", 1)[1].join(["amazon.jobs", ""])
    assert rows(arc, url=https_www) == exact  # scheme and www do not matter
    prefix = rows(arc, url="amazon.jobs/en/jobs/", matchType="prefix")
    assert prefix == rows(arc, url=JOBS)
    host = rows(arc, url="amazon.jobs", matchType="host")
    assert len(host) > len(prefix) and any("/search" in r[0] for r in host)
    assert rows(arc, url="*.amazon.jobs") == rows(arc, url="amazon.jobs", matchType="domain")
    assert cdx(arc, url=JOBS, matchType="bogus").status == 400


def test_cdx_from_and_to_are_padded(arc: ArchiveSim) -> None:
    y2020 = rows(arc, url=JOBS, **{"from": "2020", "to": "2020"})
    assert y2020 and all(r[1].startswith("2020") for r in y2020)
    everything = rows(arc, url=JOBS)
    assert len(y2020) == sum(1 for r in everything if r[1].startswith("2020"))
    march = rows(arc, url=JOBS, **{"from": "202003", "to": "202003"})
    assert march and all(r[1].startswith("202003") for r in march)


def test_cdx_filters_match_the_whole_field_and_negate(arc: ArchiveSim) -> None:
    ok = rows(arc, url=JOBS, filter="statuscode:200")
    assert ok and all(r[4] == "200" for r in ok)
    assert rows(arc, url=JOBS, filter="statuscode:2") == []  # the whole field
    not_ok = rows(arc, url=JOBS, filter="!statuscode:200")
    assert not_ok and all(r[4] != "200" for r in not_ok)
    two = get(
        f"{arc.wayback_url}/cdx/search/cdx",
        [("url", JOBS), ("filter", "statuscode:200"), ("filter", "!mimetype:text/html")],
    )
    assert two.status == 200 and all(x.split(" ")[3] != "text/html" for x in two.text.splitlines())
    assert cdx(arc, url=JOBS, filter="nofield:x").status == 400


def test_cdx_collapse_drops_adjacent_duplicates_only(arc: ArchiveSim) -> None:
    collapsed = rows(arc, url=JOBS, collapse="statuscode")
    assert all(a[4] != b[4] for a, b in pairwise(collapsed))
    assert len({r[4] for r in collapsed}) < len(collapsed)  # non-adjacent repeats stay
    by_day = rows(arc, url=JOBS, collapse="timestamp:8")
    assert all(a[1][:8] != b[1][:8] for a, b in pairwise(by_day))
    assert dedupe(rows(arc, url=JOBS)) != rows(arc, url=JOBS, collapse="urlkey")


def test_cdx_show_num_pages_and_pages(arc: ArchiveSim) -> None:
    arc.faults(cdx_block_lines=100)
    answer = cdx(arc, url=JOBS, showNumPages="true", pageSize=1)
    assert answer.status == 200 and re.fullmatch(r"\d+\n?", answer.text)
    pages = int(answer.text)
    assert pages > 3
    first = rows(arc, url=JOBS, page=0, pageSize=1)
    assert 0 < len(first) <= 100 * 5
    assert cdx(arc, url=JOBS, page=pages, pageSize=1).status == 400


def test_cdx_revisit_and_malformed_rows(arc: ArchiveSim) -> None:
    everything = rows(arc, url="amazon.jobs", matchType="host")
    revisits = [r for r in everything if r[3] == "warc/revisit"]
    assert revisits and all(r[4] == "-" for r in revisits)
    digests = {r[5] for r in everything if r[3] == "text/html"}
    assert all(r[5] in digests for r in revisits)  # the payload of an earlier capture
    assert any(r[1] == "20000012170449" for r in everything)
    assert any(r[6] == "-" and r[4] == "200" for r in everything)
    assert any("mailto:" in r[2] for r in everything)
    redirects = [r for r in everything if r[4] in ("301", "302")]
    assert redirects and all(r[5] == EMPTY_DIGEST for r in redirects)


def test_cdx_blocked_site(arc: ArchiveSim) -> None:
    arc.faults(blocked_hosts=["amazon.jobs"])
    for answer in (cdx(arc, url=JOBS), replay(arc, "2020", "https://www.amazon.jobs/en/jobs/1")):
        assert answer.status == 403 and answer.headers["content-type"].startswith("text/plain")
        header = answer.headers["x-archive-wayback-runtime-error"]
        assert header.endswith("AdministrativeAccessControlException: Blocked Site Error")
        assert answer.text == header


# -- Wayback replay ------------------------------------------------------------------------------


def wayback_truth(arc: ArchiveSim) -> list[dict[str, Any]]:
    return [t for t in arc.truth() if t["archive"] == "wayback"]


def test_replay_of_an_exact_capture(arc: ArchiveSim) -> None:
    sighting = next(t for t in wayback_truth(arc) if t["kind"] == "page")
    answer = replay(arc, sighting["timestamp"], sighting["original_url"])
    assert answer.status == 200
    when = time.strptime(answer.headers["memento-datetime"], "%a, %d %b %Y %H:%M:%S GMT")
    assert time.strftime("%Y%m%d%H%M%S", when) == sighting["timestamp"]
    link = answer.headers["link"]
    assert f'<{sighting["original_url"]}>; rel="original"' in link
    assert (
        'rel="timemap"' in link and 'rel="first memento"' in link and 'rel="last memento"' in link
    )
    assert answer.headers["x-archive-orig-content-type"].startswith("text/html")
    assert "x-archive-orig-date" in answer.headers
    assert answer.headers["x-archive-src"].endswith(".warc.gz")
    job_id = sighting["posting_id"].split(":")[1]
    assert f"Job ID: {job_id} |" in answer.text


def test_replay_redirects_to_the_closest_capture(arc: ArchiveSim) -> None:
    sighting = wayback_truth(arc)[5]
    asked = sighting["timestamp"][:8] + "000000"
    if asked == sighting["timestamp"]:
        asked = sighting["timestamp"][:8] + "000001"
    answer = replay(arc, asked, sighting["original_url"])
    assert answer.status == 302 and answer.body == b"" and "memento-datetime" not in answer.headers
    assert answer.headers["content-length"] == "0"
    m = re.search(r"/web/(\d{14})id_/", answer.headers["location"])
    assert m and answer.headers["x-archive-redirect-reason"] == f"found capture at {m.group(1)}"
    followed = get(answer.headers["location"])
    assert followed.status in (200, 301, 302, 404, 429) and "memento-datetime" in followed.headers


def test_replay_of_archived_redirects_404s_and_429s(arc: ArchiveSim) -> None:
    everything = rows(arc, url="amazon.jobs", matchType="host")
    seen = set()
    for row in everything:
        status = row[4]
        if status in seen or status not in ("301", "302", "404", "429"):
            continue
        answer = replay(arc, row[1], row[2])
        assert answer.status == int(status) and "memento-datetime" in answer.headers
        if status in ("301", "302"):
            assert f"/web/{row[1]}id_/" in answer.headers["location"]  # the SAME timestamp
        if status == "429":
            assert answer.headers["x-archive-orig-retry-after"] == "6"
            assert "retry-after" not in answer.headers
        seen.add(status)
    assert seen == {"301", "302", "404", "429"}
    never = replay(arc, "20200101000000", "https://www.amazon.jobs/en/jobs/1/never")
    assert never.status == 404 and "memento-datetime" not in never.headers


ERA_MARKERS = {
    "2026": ("<h2>Description</h2>", '<div class="meta">Job ID: '),
    "2025": ("<h2>DESCRIPTION</h2>", '<div id="job-detail"'),
    "older": ("<h3>BASIC QUALIFICATIONS</h3>", '<div class="association team-icon">'),
}


def test_pages_in_each_era_and_locale_carry_no_posted_date(arc: ArchiveSim) -> None:
    truth = wayback_truth(arc)
    locales: set[str] = set()
    for era, markers in ERA_MARKERS.items():
        sample = [t for t in truth if t["era"] == era][:8]
        assert sample, era
        for t in sample:
            page = replay(arc, t["timestamp"], t["original_url"]).text
            assert all(m in page for m in markers), (era, t)
            assert "Posted" not in page and not re.search(r"(19|20)\d\d-\d\d-\d\d", page)
            locales.add(re.search(r'<html lang="([a-z-]+)"', page).group(1))
    urls = [t["original_url"] for t in truth]
    assert len(locales) >= 3 and any(u.startswith("http://") for u in urls)
    assert any("/jp/jobs/" in u for u in urls) and any("/de/jobs/" in u for u in urls)
    assert any(re.search(r"/jobs/\d+$", u) for u in urls)  # without slug


@pytest.mark.parametrize(("mode", "status"), [("404", 404), ("302", 302), ("200", 200)])
def test_closed_postings_soft_404_modes(arc: ArchiveSim, mode: str, status: int) -> None:
    arc.faults(closed_mode=mode)
    valid = {(t["timestamp"], t["original_url"]) for t in wayback_truth(arc)}
    closed = [
        r
        for r in rows(arc, url=JOBS, filter=f"statuscode:{status}")
        if (r[1], r[2]) not in valid and "/jobs/" in r[2] and ".json" not in r[2]
    ]
    assert closed
    checked = 0
    for r in closed[:40]:
        answer = replay(arc, r[1], r[2])
        assert answer.status == status
        if mode == "302":
            assert answer.headers["location"].endswith(
                f"/web/{r[1]}id_/https://www.amazon.jobs/{r[2].split('/')[3]}/search"
            )
            checked += 1
        if mode == "200" and "no longer available" in answer.text:
            assert "Job ID" not in answer.text
            checked += 1
        if mode == "404":
            checked += 1
    assert checked


def test_odd_pages_mismatched_id_search_nonhtml_unknown_era(arc: ArchiveSim) -> None:
    valid = {(t["timestamp"], t["original_url"]) for t in wayback_truth(arc)}
    found = {"mismatch": 0, "search": 0, "nonhtml": 0, "unknown": 0}
    for r in rows(arc, url="amazon.jobs", matchType="host", filter="statuscode:200"):
        if (r[1], r[2]) in valid or r[1] == "20000012170449":
            continue
        answer = replay(arc, r[1], r[2])
        m = re.search(r"/jobs/(\d+)", r[2])
        shown = re.search(r"Job ID: (\d+)", answer.text)
        if "/search" in r[2]:
            assert 'data-react-class="SearchContent"' in answer.text
            found["search"] += 1
        elif r[3] == "application/json":
            assert answer.headers["content-type"].startswith("application/json")
            found["nonhtml"] += 1
        elif m and shown and shown.group(1) != m.group(1):
            found["mismatch"] += 1
        elif m and shown is None and "no longer available" not in answer.text:
            assert all(
                x not in answer.text for x in ("DESCRIPTION", "Description", "QUALIFICATIONS")
            )
            found["unknown"] += 1
        if all(found.values()):
            break
    assert all(found.values()), found


def test_replay_hang_knob(arc: ArchiveSim) -> None:
    t = wayback_truth(arc)[0]
    arc.faults(replay_hang_s=3)
    with pytest.raises(TimeoutError):
        replay(arc, t["timestamp"], t["original_url"], timeout=0.5)


def test_gzip_originals_with_a_wrong_content_encoding(arc: ArchiveSim) -> None:
    rows_all = rows(arc, url=JOBS, filter="statuscode:200")
    target = None
    for r in rows_all:
        answer = replay(arc, r[1], r[2])
        if answer.headers.get("x-archive-orig-content-encoding") == "gzip":
            target = r
            assert "content-encoding" not in answer.headers and b"<html" in answer.body
            break
    assert target is not None
    arc.faults(wrong_content_encoding="missing")
    answer = replay(arc, target[1], target[2])
    assert "content-encoding" not in answer.headers and answer.body[:2] == b"\x1f\x8b"
    arc.faults(wrong_content_encoding="spurious")
    answer = replay(arc, target[1], target[2])
    assert answer.headers["content-encoding"] == "gzip" and b"<html" in answer.body
    with pytest.raises((OSError, EOFError, zlib.error)):
        gzip.decompress(answer.body)


# -- limits --------------------------------------------------------------------------------------


def _until_refused(arc: ArchiveSim, within_s: float = 15.0) -> bool:
    """Keep asking (ignoring the 429s) until the connection is refused."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            cdx(arc, url=JOBS, limit=1)
        except (ConnectionError, http.client.RemoteDisconnected):
            return True
        time.sleep(0.05)
    return False


def test_cdx_rate_limit_429_then_refused_connections_doubling(archive_sim: ArchiveSim) -> None:
    arc = archive_sim
    # A 3 s "minute", 3 s pause and ignore window, a 2 s first ban (4 s the second time).
    arc.faults(cdx_rate_per_min=3, time_scale=0.05, ban_s=40)
    statuses = [cdx(arc, url=JOBS, limit=1).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    answer = cdx(arc, url=JOBS, limit=1)
    assert answer.status == 429 and "retry-after" not in answer.headers
    assert _until_refused(arc)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        replay(arc, "2020", "https://www.amazon.jobs/en/jobs/1")  # the whole archive
    assert get(f"{arc.cc_index_url}/collinfo.json").status == 200  # another archive
    counters = arc.counters()
    assert counters["sent_429"] >= 2 and counters["refused"] >= 2 and counters["during_pause"] >= 3
    time.sleep(2.2)  # the (scaled) hour is over
    assert cdx(arc, url=JOBS, limit=1).status == 200
    arc.faults(cdx_rate_per_min=1)
    assert cdx(arc, url=JOBS, limit=1).status == 429
    assert _until_refused(arc)
    time.sleep(2.2)  # longer than the first ban: the second one lasts twice as long
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        cdx(arc, url=JOBS, limit=1)
    assert arc.counters()["bans"] == 2


def test_a_client_that_pauses_after_a_429_is_not_banned(archive_sim: ArchiveSim) -> None:
    arc = archive_sim
    arc.faults(cdx_rate_per_min=2, time_scale=0.05)  # a 3 s minute and pause
    assert [cdx(arc, url=JOBS, limit=1).status for _ in range(3)] == [200, 200, 429]
    time.sleep(3.2)
    assert cdx(arc, url=JOBS, limit=1).status == 200
    counters = arc.counters()
    assert counters["refused"] == 0 and counters["during_pause"] == 0 and counters["sent_429"] == 1
    assert counters["routes"]["wayback_cdx"] == 4 and counters["max_in_flight"] >= 1


# -- Common Crawl --------------------------------------------------------------------------------


def collinfo(arc: ArchiveSim) -> list[dict[str, Any]]:
    answer = get(f"{arc.cc_index_url}/collinfo.json")
    assert answer.status == 200
    return answer.json()


def test_collinfo_lists_crawls_newest_first_pointing_back(arc: ArchiveSim) -> None:
    crawls = collinfo(arc)
    assert len(crawls) > 50 and [c["id"] for c in crawls] == sorted(
        (c["id"] for c in crawls), reverse=True
    )
    for c in crawls:
        assert set(c) == {"id", "name", "timegate", "cdx-api", "from", "to"}
        assert c["cdx-api"] == f"{arc.cc_index_url}/{c['id']}-index"
        assert re.fullmatch(r"CC-MAIN-\d{4}-\d{2}", c["id"]) and c["from"] < c["to"]


def cc_rows(arc: ArchiveSim, api: str, **params: Any) -> list[dict[str, Any]]:
    answer = get(api, {"url": "amazon.jobs", "matchType": "host", "output": "json", **params})
    if answer.status == 404:
        return []
    assert answer.status == 200 and answer.headers["content-type"] == "text/x-ndjson"
    return [json.loads(line) for line in answer.text.splitlines()]


def test_cc_index_rows_subsets_and_era_dependent_fields(arc: ArchiveSim) -> None:
    subsets: set[str] = set()
    for c in collinfo(arc):
        for row in cc_rows(arc, c["cdx-api"]):
            subsets.add(row["filename"].split("/")[4])
            assert row["filename"].startswith(f"crawl-data/{c['id']}/segments/")
            assert c["from"].replace("-", "").replace("T", "").replace(":", "") <= row["timestamp"]
            html200 = row["status"] == "200" and row["mime"] == "text/html"
            assert ("languages" in row) == (html200 and c["id"] >= "CC-MAIN-2018-39")
            if row["status"] in ("301", "302"):
                assert ("redirect" in row) == (c["id"] >= "CC-MAIN-2019-47")
            if "truncated" in row:
                assert c["id"] >= "CC-MAIN-2019-47" and row["truncated"] == "length"
    assert subsets == {"warc", "crawldiagnostics", "robotstxt"}


def test_cc_index_errors_and_num_pages(arc: ArchiveSim) -> None:
    api = collinfo(arc)[3]["cdx-api"]
    none = get(api, {"url": "amazon.jobs/nothing", "output": "json"})
    assert none.status == 404 and none.json() == {
        "message": "No Captures found for: amazon.jobs/nothing"
    }
    pages = get(api, {"url": "amazon.jobs/*", "output": "json", "showNumPages": "true"}).json()
    assert pages == {"pages": 1, "pageSize": 5, "blocks": 1}
    past = get(api, {"url": "amazon.jobs/*", "output": "json", "page": 1})
    assert past.status == 400 and past.json() == {
        "message": "Page 1 invalid: First Page is 0, Last Page is 0"
    }
    arc.faults(cc_index_503=1, cc_index_504=1)
    assert get(api, {"url": "amazon.jobs/*"}).status == 503
    gateway = get(api, {"url": "amazon.jobs/*"})
    assert gateway.status == 504 and b"nginx" in gateway.body
    assert get(api, {"url": "amazon.jobs/*", "output": "json"}).status == 200


def fetch_record(arc: ArchiveSim, row: dict[str, Any]) -> Answer:
    start = int(row["offset"])
    end = start + int(row["length"]) - 1
    return get(f"{arc.cc_data_url}/{row['filename']}", headers={"Range": f"bytes={start}-{end}"})


def some_rows(arc: ArchiveSim) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in collinfo(arc)[:40]:
        out += cc_rows(arc, c["cdx-api"])
    return out


def test_cc_record_by_range_is_one_gzip_member_with_one_warc_response(arc: ArchiveSim) -> None:
    rows_ = [r for r in some_rows(arc) if r["status"] == "200" and r["mime"] == "text/html"]
    for row in rows_[:20]:
        answer = fetch_record(arc, row)
        assert answer.status == 206 and len(answer.body) == int(row["length"])
        start = int(row["offset"])
        assert re.fullmatch(
            rf"bytes {start}-{start + len(answer.body) - 1}/\d+", answer.headers["content-range"]
        )
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        raw = d.decompress(answer.body)
        assert d.eof and d.unused_data == b"" and raw.endswith(b"\r\n\r\n")
        records = list(ArchiveIterator(io.BytesIO(answer.body)))
        assert len(records) == 1
        rec = records[0]
        assert (
            rec.rec_type == "response"
            and rec.rec_headers.get_header("WARC-Target-URI") == row["url"]
        )
        assert rec.rec_headers.get_header("WARC-Payload-Digest") == f"sha1:{row['digest']}"
        assert rec.http_headers.get_header("X-Crawler-Content-Length") is not None
    encodings = set()
    for row in rows_:
        rec = next(ArchiveIterator(io.BytesIO(fetch_record(arc, row).body)))
        encodings.add(rec.http_headers.get_header("X-Crawler-Content-Encoding"))
        assert rec.http_headers.get_header("Content-Encoding") is None  # payload stored decoded
    assert "gzip" in encodings


def test_cc_truncated_records_and_data_faults(arc: ArchiveSim) -> None:
    rows_ = some_rows(arc)
    cut = next(r for r in rows_ if r.get("truncated"))
    rec = next(ArchiveIterator(io.BytesIO(fetch_record(arc, cut).body)))
    assert rec.rec_headers.get_header("WARC-Truncated") == "length"
    assert b"Job ID" not in rec.content_stream().read()
    row = next(r for r in rows_ if r["status"] == "200")
    arc.faults(cc_data_503=1)
    slow = fetch_record(arc, row)
    assert slow.status == 503 and b"<Code>SlowDown</Code>" in slow.body
    arc.faults(cc_ignore_range=True)
    whole = fetch_record(arc, row)
    assert whole.status == 200 and len(whole.body) > int(row["offset"]) + int(row["length"])
    arc.faults(cc_ignore_range=False, cc_truncated_gzip=True)
    short = fetch_record(arc, row)
    assert short.status == 206 and len(short.body) < int(row["length"])
    with pytest.raises((EOFError, OSError, zlib.error)):
        gzip.decompress(short.body)


# -- truth ---------------------------------------------------------------------------------------


def test_truth_sightings_follow_the_rules(arc: ArchiveSim) -> None:
    truth = arc.truth()
    assert len(truth) > 1500 and {t["archive"] for t in truth} == {"wayback", "commoncrawl"}
    postings = {t["posting_id"] for t in truth}
    assert 100 < len(postings) < len(truth) / 3  # several captures per posting: count postings
    listed = {(r[1], r[2]) for r in rows(arc, url="amazon.jobs", matchType="host")}
    for t in truth[::97]:
        job_id = t["posting_id"].removeprefix("amazon_jobs:")
        assert re.search(rf"/jobs/{job_id}(/|$|\?)", t["original_url"])
        if t["archive"] == "wayback":
            assert (t["timestamp"], t["original_url"]) in listed
            answer = replay(arc, t["timestamp"], t["original_url"])
            assert answer.status == 200 and f"Job ID: {job_id} |" in answer.text
        else:
            api = f"{arc.cc_index_url}/{t['crawl']}-index"
            row = next(
                r
                for r in cc_rows(arc, api, url=t["original_url"], matchType="exact")
                if r["timestamp"] == t["timestamp"]
            )
            rec = next(ArchiveIterator(io.BytesIO(fetch_record(arc, row).body)))
            assert rec.http_headers.get_statuscode() == "200"
            assert rec.rec_headers.get_header("WARC-Date") == t["captured_at"]
            assert f"Job ID: {job_id} |".encode() in rec.content_stream().read()


def test_truth_command_matches_the_server(arc: ArchiveSim) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jobsim", "truth", "--archive"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout) == arc.truth()


def test_same_seed_same_archive_other_seed_other(start_archive_sim: Any) -> None:
    a = start_archive_sim(seed=3, captures=400, years="2024-2026")
    b = start_archive_sim(seed=3, captures=400, years="2024-2026")
    c = start_archive_sim(seed=4, captures=400, years="2024-2026")
    assert a.truth() == b.truth() != c.truth()
    assert all(t["captured_at"] >= "2024" for t in a.truth())


def test_bad_knobs_and_bad_options_are_one_line_errors(arc: ArchiveSim) -> None:
    with pytest.raises(ValueError, match="unknown knob"):
        arc.faults(no_such_knob=1)
    with pytest.raises(ValueError, match="closed_mode"):
        arc.faults(closed_mode="410")
    out = subprocess.run(
        [sys.executable, "-m", "jobsim", "archive", "serve", "--years", "1990-1991"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr and "years" in out.stderr


def test_cdx_offset_and_last_n(arc: ArchiveSim) -> None:
    everything = rows(arc, url=JOBS)
    assert rows(arc, url=JOBS, offset=5, limit=4) == everything[5:9]
    assert rows(arc, url=JOBS, limit=-3) == everything[-3:]


def test_replay_of_a_revisit_is_a_capture_at_its_own_time(arc: ArchiveSim) -> None:
    revisit = next(t for t in wayback_truth(arc) if t["kind"] == "revisit")
    listed = rows(arc, url=revisit["original_url"])
    row = next(r for r in listed if r[1] == revisit["timestamp"])
    assert row[3:5] == ["warc/revisit", "-"]
    answer = replay(arc, revisit["timestamp"], revisit["original_url"])
    when = time.strptime(answer.headers["memento-datetime"], "%a, %d %b %Y %H:%M:%S GMT")
    assert answer.status == 200 and time.strftime("%Y%m%d%H%M%S", when) == revisit["timestamp"]
    earlier = next(r for r in listed if r[5] == row[5] and r[3] == "text/html")
    assert replay(arc, earlier[1], earlier[2]).body == answer.body  # the identical payload


def test_cc_index_filters_fields_and_dates(arc: ArchiveSim) -> None:
    api = next(c["cdx-api"] for c in collinfo(arc) if cc_rows(arc, c["cdx-api"]))
    everything = cc_rows(arc, api)
    ok = cc_rows(arc, api, filter="=status:200")
    assert ok and all(r["status"] == "200" for r in ok)
    assert cc_rows(arc, api, filter="=status:20") == []  # exact
    assert cc_rows(arc, api, filter="status:20") == ok  # contains
    not_html = cc_rows(arc, api, filter="!~mime:text/h")
    assert all(not r["mime"].startswith("text/h") for r in not_html)
    assert len(ok) + len([r for r in everything if r["status"] != "200"]) == len(everything)
    slim = cc_rows(arc, api, fl="url,timestamp")
    assert slim and all(set(r) == {"url", "timestamp"} for r in slim)
    day = everything[0]["timestamp"][:8]
    same_day = cc_rows(arc, api, **{"from": day, "to": day})
    assert same_day and all(r["timestamp"].startswith(day) for r in same_day)
    assert cc_rows(arc, api, limit=1) == everything[:1]
    assert cc_rows(arc, api, sort="reverse") == everything[::-1]


def test_counters_see_concurrent_requests(arc: ArchiveSim) -> None:
    t = wayback_truth(arc)[0]
    arc.faults(replay_hang_s=1)
    threads = [
        threading.Thread(target=replay, args=(arc, t["timestamp"], t["original_url"]))
        for _ in range(3)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    counters = arc.counters()
    assert counters["max_in_flight"] >= 3 and counters["routes"]["wayback_replay"] == 3
