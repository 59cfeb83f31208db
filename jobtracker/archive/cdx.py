"""Archive listings: Wayback CDX answers (text or JSON, with resume keys) and Common Crawl index
answers (NDJSON), into :class:`Capture` rows.

What the archives serve (docs/backfill.md): the Wayback CDX server repeats identical lines
(dropped here when equal to the previous one), ends a page with a blank line (text) or ``[]``
(JSON) and then the resume key to send back as received, answers an empty body past the last
page, and carries malformed rows (impossible timestamps, ``mailto:`` originals), which are
counted and skipped. Revisit rows (``warc/revisit``, status ``-``) are kept: their replay
answers for themselves. Common Crawl answers one JSON object a line; a 404 "No Captures" is
an empty crawl.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from jobtracker.archive import COMMONCRAWL, WAYBACK

#: The Wayback CDX fields, in the order the listing asks for them (``fl``).
WAYBACK_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
#: The digest of an empty payload (every empty redirect).
EMPTY_DIGEST = "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"


class ListingError(ValueError):
    """An answer that is not a listing at all (a body neither CDX text, JSON nor NDJSON)."""


@dataclass(frozen=True)
class Capture:
    """One listed capture: where it is and what the listing says about it."""

    archive: str
    timestamp: str  # 14 digits, UTC
    original: str
    mimetype: str
    status: int | None  # None for a revisit ("-")
    digest: str
    length: int | None
    filename: str | None = None  # Common Crawl: the WARC file ...
    offset: int | None = None  # ... and the record's byte range
    redirect: str | None = None
    truncated: str | None = None

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)

    @property
    def is_revisit(self) -> bool:
        return self.mimetype == "warc/revisit" or self.status is None

    @property
    def key(self) -> str:
        """The capture's identity in the store: archive, time and original URL (Wayback), or
        the WARC file and offset (Common Crawl)."""
        if self.archive == COMMONCRAWL:
            return f"{COMMONCRAWL}|{self.filename}|{self.offset}"
        return f"{WAYBACK}|{self.timestamp}|{self.original}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "archive": self.archive,
            "timestamp": self.timestamp,
            "original": self.original,
            "mimetype": self.mimetype,
            "status": self.status,
            "digest": self.digest,
            "length": self.length,
            "filename": self.filename,
            "offset": self.offset,
            "redirect": self.redirect,
            "truncated": self.truncated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Capture:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


@dataclass
class ListingPage:
    """One answer of a listing: its captures, the key to the next page (None: the last),
    and what was dropped."""

    captures: list[Capture] = field(default_factory=list)
    resume_key: str | None = None
    duplicates: int = 0
    malformed: int = 0


def parse_timestamp(value: str) -> datetime:
    """A 14-digit archive timestamp as an aware UTC datetime; ValueError if impossible."""
    if len(value) != 14 or not value.isdigit():
        raise ValueError(f"not a 14-digit timestamp: {value!r}")
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _valid_original(url: str) -> bool:
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and "." in host and "@" not in parts.netloc


def _int_or_none(value: object) -> int | None:
    if value in (None, "", "-"):
        return None
    return int(str(value))


def wayback_capture(row: list[str]) -> Capture | None:
    """A Wayback CDX row (the seven public fields) as a capture, or None if malformed."""
    if len(row) != len(WAYBACK_FIELDS):
        return None
    _urlkey, timestamp, original, mimetype, status, digest, length = row
    try:
        parse_timestamp(timestamp)
        status_code = None if status == "-" else int(status)
        size = _int_or_none(length)
    except ValueError:
        return None
    if status_code is not None and not 100 <= status_code <= 599:
        return None
    if not _valid_original(original):
        return None
    return Capture(WAYBACK, timestamp, original, mimetype, status_code, digest, size)


def parse_wayback_cdx(body: bytes) -> ListingPage:
    """A Wayback CDX answer, JSON (``output=json``) or text, with its resume key."""
    text = body.decode("utf-8", "replace")
    stripped = text.strip()
    if not stripped:
        return ListingPage()
    if stripped.startswith("["):
        return _parse_wayback_json(stripped)
    return _parse_wayback_text(text)


def _parse_wayback_json(text: str) -> ListingPage:
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise ListingError(f"CDX JSON that does not parse: {exc}") from None
    if not isinstance(rows, list):
        raise ListingError("CDX JSON that is not an array")
    page = ListingPage()
    resume_key = None
    if len(rows) >= 2 and rows[-2] == [] and isinstance(rows[-1], list) and len(rows[-1]) == 1:
        resume_key = str(rows[-1][0])
        rows = rows[:-2]
    if rows and rows[0] and rows[0][0] == "urlkey":
        rows = rows[1:]
    page.resume_key = resume_key
    _collect(page, [r if isinstance(r, list) else None for r in rows])
    return page


def _parse_wayback_text(text: str) -> ListingPage:
    page = ListingPage()
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) >= 2 and not lines[-2].strip() and " " not in lines[-1].strip():
        page.resume_key = lines[-1].strip()
        lines = lines[:-2]
    _collect(page, [line.split(" ") if line.strip() else None for line in lines])
    return page


def _collect(page: ListingPage, rows: list[list[str] | None]) -> None:
    previous: list[str] | None = None
    for row in rows:
        if row is None:
            page.malformed += 1
            continue
        if row == previous:
            page.duplicates += 1
            continue
        previous = row
        capture = wayback_capture([str(value) for value in row])
        if capture is None:
            page.malformed += 1
        else:
            page.captures.append(capture)


def parse_cc_index(body: bytes) -> ListingPage:
    """A Common Crawl index answer (NDJSON) as captures; malformed lines counted."""
    page = ListingPage()
    previous = None
    for line in body.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        if line == previous:
            page.duplicates += 1
            continue
        previous = line
        try:
            capture = cc_capture(json.loads(line))
        except (ValueError, TypeError, KeyError):
            capture = None
        if capture is None:
            page.malformed += 1
        else:
            page.captures.append(capture)
    return page


def cc_capture(row: dict[str, Any]) -> Capture | None:
    """One Common Crawl index object as a capture, or None if it lacks a field to fetch it."""
    timestamp, url, filename = row["timestamp"], row["url"], row["filename"]
    parse_timestamp(timestamp)
    offset, length = int(row["offset"]), int(row["length"])
    if offset < 0 or length <= 0 or not filename or not _valid_original(url):
        return None
    status = row.get("status")
    return Capture(
        COMMONCRAWL,
        timestamp,
        url,
        row.get("mime") or "unk",
        None if status in (None, "-") else int(status),
        row.get("digest") or "",
        length,
        filename=filename,
        offset=offset,
        redirect=row.get("redirect"),
        truncated=row.get("truncated"),
    )


def cc_page_count(body: bytes) -> int:
    """``showNumPages=true``: the number of pages of a crawl's answer."""
    try:
        data = json.loads(body)
        return int(data["pages"])
    except (ValueError, TypeError, KeyError) as exc:
        raise ListingError(f"not a page count: {exc}") from None


def cc_crawls(body: bytes) -> list[dict[str, str]]:
    """``collinfo.json``: the crawls (``id``, ``cdx-api``, ``from``, ``to``), newest first."""
    try:
        crawls = json.loads(body)
    except ValueError as exc:
        raise ListingError(f"collinfo.json that does not parse: {exc}") from None
    if not isinstance(crawls, list):
        raise ListingError("collinfo.json that is not an array")
    return [c for c in crawls if isinstance(c, dict) and c.get("id") and c.get("cdx-api")]


def crawl_overlaps(crawl: dict[str, str], start: str | None, end: str | None) -> bool:
    """Whether a crawl's ``from``..``to`` meets the 14-digit ``start``..``end`` window."""
    first = (crawl.get("from") or "").replace("-", "").replace("T", "").replace(":", "")
    last = (crawl.get("to") or "").replace("-", "").replace("T", "").replace(":", "")
    if end and first and first[:14] > end:
        return False
    return not (start and last and last[:14].ljust(14, "9") < start)


def wayback_listing_query(
    prefix: str, *, start: str | None, end: str | None, limit: int, resume_key: str | None
) -> str:
    """The query string of one Wayback CDX page (JSON, resume keys, the seven fields)."""
    params = [
        ("url", prefix),
        ("matchType", "prefix"),
        ("output", "json"),
        ("fl", ",".join(WAYBACK_FIELDS)),
        ("limit", str(limit)),
        ("showResumeKey", "true"),
    ]
    if start:
        params.append(("from", start))
    if end:
        params.append(("to", end))
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params)
    if resume_key:  # opaque and already encoded: sent back exactly as received
        query += f"&resumeKey={resume_key}"
    return query


def cc_listing_query(
    prefix: str, *, start: str | None, end: str | None, page: int | None, num_pages: bool = False
) -> str:
    """The query string of a Common Crawl index request for a URL prefix."""
    params = [("url", prefix), ("matchType", "prefix"), ("output", "json")]
    if start:
        params.append(("from", start))
    if end:
        params.append(("to", end))
    if num_pages:
        params.append(("showNumPages", "true"))
    elif page is not None:
        params.append(("page", str(page)))
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in params)
