"""Common Crawl WARC files: one gzip member per response record (written with warcio), laid out
at deterministic offsets in virtual files, and the index rows that point at them."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import uuid
from dataclasses import dataclass

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from jobsim.archive.model import ArchiveModel, Capture, Crawl

REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    404: "Not Found",
    429: "Too Many Requests",
}


@dataclass
class Located:
    """Where a record sits: file name, offset, length (of its gzip member)."""

    filename: str
    offset: int
    length: int


def subset_of(model: ArchiveModel, cap: Capture) -> str:
    """``warc`` (200s), ``crawldiagnostics`` (redirects, 404s, 429s) or ``robotstxt``."""
    if cap.kind == "robots":
        return "robotstxt"
    return "warc" if model.payload(cap).status == 200 else "crawldiagnostics"


def record_bytes(model: ArchiveModel, cap: Capture) -> bytes:
    """One gzip member holding one WARC response record of the capture."""
    p = model.payload(cap)
    body = model.stored_body(cap)
    headers = []
    for name, value in p.headers:
        if name.lower() in ("content-encoding", "content-length"):
            headers.append((f"X-Crawler-{name}", value))
        else:
            headers.append((name, value))
    if not any(name.lower() == "content-length" for name, _ in p.headers):
        sent = len(gzip.compress(p.body, mtime=0)) if cap.gzip_original else len(p.body)
        headers.append(("X-Crawler-Content-Length", str(sent)))
    headers.append(("Content-Length", str(len(body))))
    status = f"{p.status} {REASONS.get(p.status, 'OK')}"
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    rid = uuid.UUID(bytes=hashlib.md5(f"{model.seed}:{cap.n}".encode()).digest())
    warc_headers = {
        "WARC-Date": cap.when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "WARC-Record-ID": f"<urn:uuid:{rid}>",
        "WARC-Identified-Payload-Type": p.mime,
    }
    if cap.kind == "truncated":
        warc_headers["WARC-Truncated"] = "length"
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.0")
    record = writer.create_warc_record(
        cap.original,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict=warc_headers,
    )
    writer.write_record(record)
    return out.getvalue()


class WarcStore:
    """Records of one model, laid out per file (built lazily, one crawl at a time)."""

    def __init__(self, model: ArchiveModel) -> None:
        self.model = model
        self.located: dict[int, Located] = {}
        self.files: dict[str, tuple[int, list[tuple[int, bytes]]]] = {}  # name -> (size, records)
        self._built: set[str] = set()

    def _file_name(self, crawl: Crawl, cap: Capture, subset: str) -> str:
        seg = crawl.segments[cap.n % len(crawl.segments)]
        stamp = crawl.start.strftime("%Y%m%d%H%M%S")
        end = crawl.end.strftime("%Y%m%d%H%M%S")
        number = (cap.n * 7919) % 4 + int(seg.split(".")[1]) * 10
        return (
            f"crawl-data/{crawl.id}/segments/{seg}/{subset}/"
            f"CC-MAIN-{stamp}-{end}-{number:05d}.warc.gz"
        )

    def build(self, crawl_id: str) -> None:
        """Lay out every record of one crawl."""
        if crawl_id in self._built:
            return
        crawl = self.model.crawl_by_id[crawl_id]
        per_file: dict[str, list[Capture]] = {}
        for cap in self.model.cc_rows.get(crawl_id, []):
            name = self._file_name(crawl, cap, subset_of(self.model, cap))
            per_file.setdefault(name, []).append(cap)
        for name, caps in per_file.items():
            rng = random.Random(f"{self.model.seed}:{name}")
            offset = rng.randrange(1000, 200_000)
            records = []
            for cap in sorted(caps, key=lambda c: c.n):
                data = record_bytes(self.model, cap)
                self.located[cap.n] = Located(name, offset, len(data))
                records.append((offset, data))
                offset += len(data) + rng.randrange(500, 40_000)
            self.files[name] = (offset + rng.randrange(1000, 50_000), records)
        self._built.add(crawl_id)

    def locate(self, cap: Capture) -> Located:
        """File, offset and length of a capture's record."""
        assert cap.crawl is not None
        self.build(cap.crawl)
        return self.located[cap.n]

    def read(self, name: str, start: int, end: int) -> bytes | None:
        """Bytes ``start..end`` (inclusive) of a file (filler between records); None if unknown."""
        if name not in self.files:
            crawl_id = name.split("/")[1] if name.startswith("crawl-data/") else ""
            if crawl_id in self.model.crawl_by_id:
                self.build(crawl_id)
        if name not in self.files:
            return None
        size, records = self.files[name]
        end = min(end, size - 1)
        buf = bytearray(b"\0" * max(0, end - start + 1))
        for offset, data in records:
            lo, hi = max(start, offset), min(end + 1, offset + len(data))
            if lo < hi:
                buf[lo - start : hi - start] = data[lo - offset : hi - offset]
        return bytes(buf)

    def size(self, name: str) -> int:
        """Total size of a file."""
        return self.files[name][0]
