"""A small stand-in for the two archives (until the simulated archive of ``jobsim`` serves
them): the request and response shapes of docs/backfill.md over real HTTP, a handful of
captures each with a known outcome, and the times of every request it received."""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from jobtracker.archive.cdx import WAYBACK_FIELDS, parse_timestamp

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "archive"
CRAWL = "CC-MAIN-2024-10"
WARC_FILE = f"crawl-data/{CRAWL}/segments/1707947474.1/warc/CC-MAIN-20240301-00001.warc.gz"


def page(name: str, job_id: str) -> bytes:
    """A fixture page made to show ``job_id``."""
    body = (FIXTURES / name).read_bytes()
    for original in (b"2873841", b"2901122", b"512233"):
        body = body.replace(original, job_id.encode())
    return body


@dataclass
class StubCapture:
    timestamp: str
    original: str
    status: str = "200"
    mimetype: str = "text/html"
    replay: str = "exact"  # exact | closest | none
    body: bytes = b""
    sighting: bool = False  # the expected outcome: a valid sighting


def wayback_captures() -> list[StubCapture]:
    return [
        StubCapture(
            "20240105101112",
            "https://www.amazon.jobs/en/jobs/111/sde",
            body=page("page_2026.html", "111"),
            sighting=True,
        ),
        StubCapture(
            "20240601000000",
            "http://amazon.jobs:80/en/jobs/111",
            body=page("page_2025.html", "111"),
            sighting=True,
        ),
        StubCapture("20230301000000", "https://www.amazon.jobs/en/jobs/222", replay="closest"),
        StubCapture(
            "20220101000000",
            "https://www.amazon.jobs/en/jobs/333",
            body=page("page_2026.html", "334"),
        ),
        StubCapture("20210101000000", "https://www.amazon.jobs/en/jobs/444", status="301"),
        StubCapture("20210102000000", "https://www.amazon.jobs/en/jobs/444.json"),
        StubCapture(
            "20190101000000",
            "https://www.amazon.jobs/en/jobs/555/area-manager",
            body=page("page_older.html", "555"),
            sighting=True,
        ),
        StubCapture(
            "20190202000000",
            "https://www.amazon.jobs/en/jobs/666",
            body=(FIXTURES / "no_longer.html").read_bytes(),
        ),
        StubCapture(
            "20200303000000",
            "https://www.amazon.jobs/de/jobs/777/x",
            body=page("page_2025.html", "777"),
            sighting=True,
        ),
    ]


def cc_records() -> list[tuple[StubCapture, bytes]]:
    """(capture, its WARC record as one gzip member)."""
    out = []
    for capture in [
        StubCapture(
            "20240302000000",
            "https://www.amazon.jobs/en/jobs/111/sde",
            body=page("page_2026.html", "111"),
            sighting=True,
        ),
        StubCapture(
            "20240303000000",
            "https://www.amazon.jobs/en/jobs/888",
            mimetype="text/html",
            body=b'{"error": "not a page"}',
        ),
    ]:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        moment = parse_timestamp(capture.timestamp)
        record = writer.create_warc_record(
            capture.original,
            "response",
            payload=io.BytesIO(capture.body),
            http_headers=StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"
            ),
            warc_headers_dict={"WARC-Date": moment.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        writer.write_record(record)
        out.append((capture, buffer.getvalue()))
    return out


@dataclass
class ArchiveStub:
    """The server's state: its captures, faults and the requests it saw."""

    wayback: list[StubCapture] = field(default_factory=wayback_captures)
    cc: list[tuple[StubCapture, bytes]] = field(default_factory=cc_records)
    page_size: int = 3
    limit_first_replays: int = 0  # answer 429 (no Retry-After) to this many first replays
    pause_seconds: float = 0.0  # the pause the server expects after a 429
    requests: list[tuple[float, str]] = field(default_factory=list)
    during_pause: int = 0
    paused_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""

    def truth(self) -> set[tuple[str, str, str]]:
        """(posting id, archive, timestamp) of every valid sighting."""
        found = {
            ("amazon_jobs:" + c.original.split("/jobs/")[1].split("/")[0], "wayback", c.timestamp)
            for c in self.wayback
            if c.sighting
        }
        found |= {
            (
                "amazon_jobs:" + c.original.split("/jobs/")[1].split("/")[0],
                "commoncrawl",
                c.timestamp,
            )
            for c, _ in self.cc
            if c.sighting
        }
        return found

    def count(self, prefix: str) -> int:
        return sum(1 for _, path in self.requests if path.startswith(prefix))


def _handler(stub: ArchiveStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            now = time.monotonic()
            with stub.lock:
                stub.requests.append((now, self.path))
                if now < stub.paused_until:
                    stub.during_pause += 1
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/wayback/cdx/search/cdx":
                return self.cdx(query)
            if parts.path.startswith("/wayback/web/"):
                return self.replay(self.path[len("/wayback/web/") :])
            if parts.path == "/ccindex/collinfo.json":
                crawls = [
                    {
                        "id": CRAWL,
                        "name": "March 2024 Index",
                        "cdx-api": f"{stub.base}/ccindex/{CRAWL}-index",
                        "from": "2024-03-01T00:00:00",
                        "to": "2024-03-15T00:00:00",
                    }
                ]
                return self.send(200, json.dumps(crawls).encode())
            if parts.path == f"/ccindex/{CRAWL}-index":
                return self.cc_index(query)
            if parts.path == f"/ccdata/{WARC_FILE}":
                return self.cc_data()
            return self.send(404, b"not found")

        def cdx(self, query: dict[str, str]) -> None:
            prefix = query["url"]
            rows = [
                c
                for c in stub.wayback
                if c.original.split("://", 1)[1]
                .replace("www.", "")
                .replace(":80", "")
                .startswith(prefix)
            ]
            start = int(query.get("resumeKey", "0") or 0)
            chunk = rows[start : start + stub.page_size]
            out: list[list[str]] = [list(WAYBACK_FIELDS)] if chunk else []
            for c in chunk:
                row = [
                    "jobs,amazon)/x",
                    c.timestamp,
                    c.original,
                    c.mimetype,
                    c.status,
                    "DIGEST",
                    "1000",
                ]
                out.append(row)
                out.append(row)  # every line twice, as the CDX server does
            if chunk:
                out.append(["jobs,amazon)/x", "20000012170449", "x", "text/html", "200", "D", "1"])
            if start + stub.page_size < len(rows):
                out += [[], [str(start + stub.page_size)]]
            self.send(
                200, json.dumps(out).encode() if out else b"", {"Content-Type": "application/json"}
            )

        def replay(self, rest: str) -> None:
            timestamp, original = rest.split("id_/", 1)
            with stub.lock:
                if stub.limit_first_replays > 0:
                    stub.limit_first_replays -= 1
                    stub.paused_until = time.monotonic() + stub.pause_seconds
                    return self.send(429, b"Too Many Requests")
            for c in stub.wayback:
                if c.original == unquote(original) and c.timestamp == timestamp:
                    break
            else:
                return self.send(404, b"never archived")
            if c.replay == "closest":
                return self.send(
                    302,
                    b"",
                    {
                        "Location": f"{stub.base}/wayback/web/20230401000000id_/{c.original}",
                        "X-Archive-Redirect-Reason": "found capture at 20230401000000",
                    },
                )
            memento = format_datetime(parse_timestamp(timestamp), usegmt=True)
            self.send(200, c.body, {"Memento-Datetime": memento, "Content-Type": "text/html"})

        def cc_index(self, query: dict[str, str]) -> None:
            prefix = query["url"]
            rows = [
                c
                for c in stub.cc
                if c[0].original.split("://", 1)[1].replace("www.", "").startswith(prefix)
            ]
            if not rows:
                return self.send(
                    404, json.dumps({"message": f"No Captures found for: {prefix}"}).encode()
                )
            if query.get("showNumPages") == "true":
                return self.send(200, b'{"pages": 1, "pageSize": 5, "blocks": 1}')
            if query.get("page", "0") != "0":
                return self.send(400, b'{"message": "Page 1 invalid"}')
            offset = 0
            lines = []
            for capture, record in stub.cc:
                if (capture, record) in rows:
                    lines.append(
                        json.dumps(
                            {
                                "urlkey": "jobs,amazon)/x",
                                "timestamp": capture.timestamp,
                                "url": capture.original,
                                "mime": "text/html",
                                "status": "200",
                                "digest": "D",
                                "length": str(len(record)),
                                "offset": str(offset),
                                "filename": WARC_FILE,
                            }
                        )
                    )
                offset += len(record)
            self.send(200, "\n".join(lines).encode() + b"\n", {"Content-Type": "text/x-ndjson"})

        def cc_data(self) -> None:
            data = b"".join(record for _, record in stub.cc)
            spec = self.headers.get("Range", "")
            if not spec.startswith("bytes="):
                return self.send(200, data)
            first, last = (int(x) for x in spec[6:].split("-"))
            self.send(
                206, data[first : last + 1], {"Content-Range": f"bytes {first}-{last}/{len(data)}"}
            )

    return Handler


class RunningStub:
    def __init__(self, stub: ArchiveStub) -> None:
        self.stub = stub
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
        stub.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def env(self) -> dict[str, str]:
        base = self.stub.base
        return {
            "JOBTRACKER_ARCHIVE_WAYBACK_URL": f"{base}/wayback",
            "JOBTRACKER_ARCHIVE_CC_INDEX_URL": f"{base}/ccindex",
            "JOBTRACKER_ARCHIVE_CC_DATA_URL": f"{base}/ccdata",
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
