"""WARC records with warcio: reading the one record of a Common Crawl byte-range answer, and
keeping every fetched payload in WARC files of our own so that `jobtracker backfill reparse`
re-parses without a request (docs/backfill.md)."""

from __future__ import annotations

import hashlib
import io
import os
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


class WarcError(ValueError):
    """A record that cannot be read (cut short, not a WARC record, no HTTP response)."""


@dataclass(frozen=True)
class WarcPayload:
    """The HTTP response inside a WARC record."""

    target_uri: str
    warc_date: str
    status: int
    content_type: str | None
    payload: bytes
    payload_digest: str | None
    truncated: str | None


def read_record(body: bytes) -> WarcPayload:
    """The first response record of ``body`` (one gzip member, or plain WARC)."""
    if body[:2] == b"\x1f\x8b":
        _check_gzip_complete(body)
    try:
        for record in ArchiveIterator(io.BytesIO(body)):
            if record.rec_type not in ("response", "revisit"):
                continue
            http = record.http_headers
            if http is None:
                raise WarcError("a record without an HTTP response")
            try:
                payload = record.content_stream().read()
            except (zlib.error, EOFError, OSError) as exc:
                raise WarcError(f"a payload that does not decode: {exc}") from None
            headers = record.rec_headers
            return WarcPayload(
                target_uri=headers.get_header("WARC-Target-URI") or "",
                warc_date=headers.get_header("WARC-Date") or "",
                status=int(http.get_statuscode() or 0),
                content_type=http.get_header("Content-Type"),
                payload=payload,
                payload_digest=headers.get_header("WARC-Payload-Digest"),
                truncated=headers.get_header("WARC-Truncated"),
            )
    except ArchiveLoadFailed as exc:
        raise WarcError(f"not a WARC record: {str(exc)[:120]}") from None
    except (zlib.error, EOFError) as exc:
        raise WarcError(f"a record cut short: {exc}") from None
    raise WarcError("no response record")


def _check_gzip_complete(body: bytes) -> None:
    """A gzip member cut short decodes partly without error in warcio: check its end."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflater.decompress(body)
    except zlib.error as exc:
        raise WarcError(f"a gzip record that does not decode: {exc}") from None
    if not inflater.eof:
        raise WarcError("a gzip record cut short")


def sha256_hex(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class KeptRecord:
    """Where a kept payload is: a file under the archive directory, a byte range."""

    file: str  # relative to the archive directory
    offset: int
    length: int


class PayloadKeeper:
    """Appends fetched payloads as WARC ``response`` records (one gzip member each) to one file
    per run under ``directory``; each append is flushed and synced before it is reported, so a
    record the store names is on disk."""

    def __init__(self, directory: str | Path, name: str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.relative = f"{name}.warc.gz"
        self.path = self.directory / self.relative
        self._file = open(self.path, "ab")  # noqa: SIM115 (closed in close())

    def keep(
        self,
        *,
        target_uri: str,
        captured_at: datetime,
        status: int,
        headers: list[tuple[str, str]],
        payload: bytes,
    ) -> KeptRecord:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        http = StatusAndHeaders(f"{status} -", headers, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            target_uri,
            "response",
            payload=io.BytesIO(payload),
            http_headers=http,
            warc_headers_dict={"WARC-Date": captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        writer.write_record(record)
        data = buffer.getvalue()
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())
        return KeptRecord(self.relative, offset, len(data))

    def close(self) -> None:
        self._file.close()


def read_kept(directory: str | Path, kept: KeptRecord) -> WarcPayload:
    """A kept payload back from its WARC file."""
    with open(Path(directory) / kept.file, "rb") as handle:
        handle.seek(kept.offset)
        return read_record(handle.read(kept.length))
