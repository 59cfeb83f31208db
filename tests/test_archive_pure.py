"""The pure archive code (jobtracker/archive/): CDX and index answers in the shapes the archives
serve (docs/backfill.md), URL canonicalization, job pages of every era, WARC records."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from jobtracker.archive import canonical, cdx, page, sighting, warc

FIXTURES = Path(__file__).parent / "fixtures" / "archive"
ROW = [
    "jobs,amazon)/en/jobs/2873841/sde",
    "20240105101112",
    "https://www.amazon.jobs/en/jobs/2873841/sde",
    "text/html",
    "200",
    "JQZ3XM634OHM66ABV7J7NA7TOXUV34MS",
    "13030",
]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.amazon.jobs/en/jobs/2873841/software-dev-engineer",
        "http://amazon.jobs:80/en-gb/jobs/2873841",
        "http://www.amazon.jobs/de/jobs/2873841/softwareentwickler?cmpid=x#top",
        "HTTPS://WWW.AMAZON.JOBS:443/jp/jobs/02873841/",
        "www.amazon.jobs/pt/jobs/2873841/desenvolvedor",
    ],
)
def test_every_variant_of_a_job_page_is_one_posting(url: str) -> None:
    assert canonical.posting_id_of(url) == "amazon_jobs:2873841"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.amazon.jobs/en/search?base_query=sde",
        "https://www.amazon.jobs/en/jobs/2873841.json",
        "https://www.amazon.jobs/xx/jobs/2873841",
        "https://evil.example/amazon.jobs/en/jobs/2873841",
        "https://www.amazon.jobs/en/teams/aws",
        "http://mailto:someone@amazon.jobs/en/jobs/1",
    ],
)
def test_anything_else_is_not_a_job_page(url: str) -> None:
    assert canonical.posting_id_of(url) is None


def test_wayback_json_page_with_resume_key_duplicates_malformed_and_revisit() -> None:
    revisit = [*ROW[:1], "20240106000000", ROW[2], "warc/revisit", "-", cdx.EMPTY_DIGEST, "432"]
    bad_ts = [ROW[0], "20000012170449", *ROW[2:]]
    mailto = [ROW[0], "20240107000000", "http://mailto:x@amazon.jobs/", *ROW[3:]]
    body = json.dumps(
        [
            list(cdx.WAYBACK_FIELDS),
            ROW,
            ROW,
            ROW,
            revisit,
            bad_ts,
            mailto,
            ["short"],
            [],
            ["jobs%2Camazon%29%2Fen%2Fjobs+20240107000001%21"],
        ]
    ).encode()
    listing = cdx.parse_wayback_cdx(body)
    assert [c.timestamp for c in listing.captures] == ["20240105101112", "20240106000000"]
    assert listing.duplicates == 2
    assert listing.malformed == 3
    assert listing.resume_key == "jobs%2Camazon%29%2Fen%2Fjobs+20240107000001%21"
    assert listing.captures[1].is_revisit and listing.captures[1].status is None
    assert listing.captures[0].captured_at == datetime(2024, 1, 5, 10, 11, 12, tzinfo=UTC)


def test_wayback_text_page_and_its_key_after_a_blank_line() -> None:
    line = " ".join(ROW)
    listing = cdx.parse_wayback_cdx(
        f"{line}\n{line}\n\ncom%2Ccnn%29%2F+2001041400593%3A\n".encode()
    )
    assert len(listing.captures) == 1 and listing.duplicates == 1
    assert listing.resume_key == "com%2Ccnn%29%2F+2001041400593%3A"


@pytest.mark.parametrize("body", [b"", b"[]", b"\n"])
def test_the_page_after_the_last_is_empty(body: bytes) -> None:
    listing = cdx.parse_wayback_cdx(body)
    assert listing.captures == [] and listing.resume_key is None


def test_a_body_that_is_no_listing_raises() -> None:
    with pytest.raises(cdx.ListingError):
        cdx.parse_wayback_cdx(b"[not json")


def test_resume_key_is_sent_back_as_received() -> None:
    key = "jobs%2Camazon%29%2Fen+20240107000001%21"
    query = cdx.wayback_listing_query(
        "amazon.jobs/en/jobs/", start="2019", end=None, limit=5000, resume_key=key
    )
    assert query.endswith(f"&resumeKey={key}")
    assert "showResumeKey=true" in query and "output=json" in query and "from=2019" in query


def test_common_crawl_ndjson_rows() -> None:
    good = {
        "urlkey": "jobs,amazon)/en/jobs/2873841",
        "timestamp": "20250802232428",
        "url": "https://www.amazon.jobs/en/jobs/2873841",
        "mime": "text/html",
        "mime-detected": "text/html",
        "status": "200",
        "digest": "JI6O",
        "length": "1219",
        "offset": "34323482",
        "filename": "crawl-data/CC-MAIN-2025-33/x.warc.gz",
        "languages": "eng",
        "encoding": "UTF-8",
    }
    redirect = {**good, "status": "301", "offset": "1", "redirect": "https://www.amazon.jobs/"}
    body = "\n".join([json.dumps(good), json.dumps(good), json.dumps(redirect), "{oops"]).encode()
    listing = cdx.parse_cc_index(body)
    assert [c.status for c in listing.captures] == [200, 301]
    assert listing.duplicates == 1 and listing.malformed == 1
    first = listing.captures[0]
    assert (first.filename, first.offset, first.length) == (good["filename"], 34323482, 1219)
    assert first.key != listing.captures[1].key


def test_collinfo_and_crawl_windows() -> None:
    crawls = cdx.cc_crawls(
        json.dumps(
            [
                {
                    "id": "CC-MAIN-2025-33",
                    "cdx-api": "http://x/CC-MAIN-2025-33-index",
                    "from": "2025-08-02T22:09:07",
                    "to": "2025-08-15T23:42:38",
                }
            ]
        ).encode()
    )
    assert cdx.crawl_overlaps(crawls[0], "20250801000000", "20250805000000")
    assert not cdx.crawl_overlaps(crawls[0], "20250901000000", None)
    assert not cdx.crawl_overlaps(crawls[0], None, "20250701000000")
    assert cdx.cc_page_count(b'{"pages": 3, "pageSize": 5, "blocks": 1}') == 3


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_2026_page() -> None:
    parsed = page.parse_job_page(_fixture("page_2026.html"), expected_id="2873841")
    assert isinstance(parsed, page.ParsedPage)
    assert parsed.era == "2026"
    assert parsed.title == "Software Development Engineer II, Rekognition Face Liveness"
    assert parsed.legal_entity == "Amazon Development Centre (India) Private Limited"
    assert parsed.site_code == "BLR14"
    assert parsed.locations == ["IND, KA, Bengaluru", "IND, TS, Hyderabad"]
    fields = sighting.normalized_fields(parsed)
    assert fields["country_code"] == "IND" and fields["country_codes"] == ["IND"]
    assert "3+ years of non-internship" in fields["basic_qualifications_text"]
    assert "facial analysis" in fields["description_text"]
    assert fields["role_family"]["role_family"] == "software_engineering"
    assert "posted_date" not in fields


def test_2025_page() -> None:
    parsed = page.parse_job_page(_fixture("page_2025.html"), expected_id="2901122")
    assert isinstance(parsed, page.ParsedPage)
    assert (parsed.era, parsed.site_code, parsed.locations) == ("2025", "DUB10", ["IRL, D, Dublin"])
    assert sighting.normalized_fields(parsed)["country_code"] == "IRL"
    assert "CompTIA" in (parsed.preferred_qualifications or "")


def test_older_page() -> None:
    parsed = page.parse_job_page(_fixture("page_older.html"), expected_id="512233")
    assert isinstance(parsed, page.ParsedPage)
    assert (parsed.era, parsed.title, parsed.locations) == (
        "older",
        "Area Manager",
        ["US, WA, Seattle"],
    )
    fields = sighting.normalized_fields(parsed)
    assert "management experience" in fields["basic_qualifications_text"]
    assert "MBA" not in fields["basic_qualifications_text"]
    assert fields["country_code"] == "USA"


@pytest.mark.parametrize(
    ("name", "expected_id", "reason"),
    [
        ("page_2026.html", "2873842", page.ID_MISMATCH),
        ("no_longer.html", "2873841", page.NO_LONGER_AVAILABLE),
        ("search.html", "2873841", page.SEARCH_PAGE),
        ("unknown_era.html", "2873841", page.UNPARSED),
    ],
)
def test_rejections(name: str, expected_id: str, reason: str) -> None:
    result = page.parse_job_page(_fixture(name), expected_id=expected_id)
    assert isinstance(result, page.Rejection) and result.reason == reason


def test_a_job_page_without_job_id_and_payloads_that_are_not_html() -> None:
    html = (
        _fixture("page_2025.html")
        .replace(b"Job ID: 2901122", b"")
        .replace(b" - Job ID: 2901122", b"")
    )
    assert page.parse_job_page(html, expected_id="2901122") == page.Rejection(page.NO_JOB_ID)
    for payload in (b'{"jobs": []}', b"", b"\x1f\x8b\x08\x00", b"%PDF-1.4"):
        result = page.parse_job_page(payload, expected_id="1")
        assert isinstance(result, page.Rejection) and result.reason == page.NOT_HTML
    result = page.parse_job_page(b"<html/>", expected_id="1", content_type="application/json")
    assert isinstance(result, page.Rejection) and result.reason == page.NOT_HTML


def _cc_record(payload: bytes, *, truncated: str | None = None) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = {"WARC-Date": "2025-08-02T23:24:28Z"}
    if truncated:
        headers["WARC-Truncated"] = truncated
    record = writer.create_warc_record(
        "https://www.amazon.jobs/en/jobs/2873841",
        "response",
        payload=io.BytesIO(payload),
        http_headers=StatusAndHeaders(
            "200 OK",
            [("Content-Type", "text/html"), ("X-Crawler-Content-Encoding", "gzip")],
            protocol="HTTP/1.1",
        ),
        warc_headers_dict=headers,
    )
    writer.write_record(record)
    return buffer.getvalue()


def test_a_common_crawl_record_reads_and_a_cut_one_is_an_error() -> None:
    body = _cc_record(_fixture("page_2026.html"), truncated="length")
    record = warc.read_record(body)
    assert record.status == 200 and record.payload == _fixture("page_2026.html")
    assert record.truncated == "length" and record.target_uri.endswith("/2873841")
    assert record.payload_digest and record.payload_digest.startswith("sha1:")
    with pytest.raises(warc.WarcError):
        warc.read_record(body[: len(body) // 2])
    with pytest.raises(warc.WarcError):
        warc.read_record(gzip.compress(b"not a warc record at all\r\n\r\n"))


def test_kept_payloads_read_back(tmp_path: Path) -> None:
    keeper = warc.PayloadKeeper(tmp_path, "run-1")
    moment = datetime(2024, 1, 5, 10, 11, 12, tzinfo=UTC)
    kept = [
        keeper.keep(
            target_uri=f"https://www.amazon.jobs/en/jobs/{n}",
            captured_at=moment,
            status=200,
            headers=[("Content-Type", "text/html")],
            payload=b"<html>%d</html>" % n,
        )
        for n in range(3)
    ]
    keeper.close()
    again = warc.PayloadKeeper(tmp_path, "run-1")  # a resumed run appends to the same file
    more = again.keep(
        target_uri="https://www.amazon.jobs/en/jobs/9",
        captured_at=moment,
        status=200,
        headers=[],
        payload=b"<html>9</html>",
    )
    again.close()
    assert more.offset == kept[-1].offset + kept[-1].length
    for n, record in enumerate(kept):
        assert warc.read_kept(tmp_path, record).payload == b"<html>%d</html>" % n
    assert warc.read_kept(tmp_path, more).payload == b"<html>9</html>"
