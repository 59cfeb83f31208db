"""``jobtracker probe --archives``: a handful of requests that check each web archive still
answers as the backfill expects (docs/backfill.md), and name what drifted.

Wayback: a CDX page (JSON, the header row of the seven fields, a resume key) and the raw replay
of one listed capture (``Memento-Datetime`` equal to its timestamp, no redirect followed).
Common Crawl: ``collinfo.json`` (crawls with their ``cdx-api``), an index row with file, offset
and length, and that record by byte range (a 206 holding one WARC response record).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, Request, build_opener

from jobtracker.archive.cdx import (
    WAYBACK_FIELDS,
    ListingError,
    cc_crawls,
    cc_listing_query,
    parse_cc_index,
    parse_timestamp,
    parse_wayback_cdx,
    wayback_listing_query,
)
from jobtracker.archive.warc import WarcError, read_record
from jobtracker.probe import Check, ProbeReport, Unreachable, print_report

PREFIX = "amazon.jobs/en/jobs/"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(
    url: str, *, user_agent: str, timeout: float, headers: dict[str, str] | None = None
) -> Reply:
    opener = build_opener(_NoRedirect)
    request = Request(url, headers={"User-Agent": user_agent, **(headers or {})})
    try:
        with opener.open(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers.items()), response.read())
    except HTTPError as exc:
        return Reply(exc.code, dict(exc.headers.items()), exc.read())
    except (URLError, OSError) as exc:
        raise Unreachable(str(getattr(exc, "reason", None) or exc)) from None


def probe_archives(
    wayback: str, cc_index: str, cc_data: str, *, user_agent: str, timeout: float
) -> ProbeReport:
    """Run the checks; every failure is a DRIFT row, never an exception."""
    report = ProbeReport(base_url=f"{wayback} + {cc_index}", locale="en")
    add = report.checks.append

    def get(url: str, **headers: str) -> Reply | None:
        try:
            return fetch(url, user_agent=user_agent, timeout=timeout, headers=headers)
        except Unreachable as exc:
            add(Check("reachable", "an HTTP answer", f"{url.split('?')[0]}: {exc}", False, True))
            return None

    # -- Wayback -------------------------------------------------------------------------
    query = wayback_listing_query(PREFIX, start=None, end=None, limit=3, resume_key=None)
    reply = get(f"{wayback.rstrip('/')}/cdx/search/cdx?{query}")
    capture = None
    if reply is not None:
        header = None
        try:
            rows = json.loads(reply.body) if reply.status == 200 else None
            header = rows[0] if rows else None
        except ValueError:
            rows = None
        add(
            Check(
                "cdx_header",
                "200, JSON, header " + ",".join(WAYBACK_FIELDS[:2]) + ",...",
                f"{reply.status}, header {header}",
                header == list(WAYBACK_FIELDS),
                True,
            )
        )
        try:
            page = parse_wayback_cdx(reply.body) if reply.status == 200 else None
        except ListingError:
            page = None
        key = page.resume_key if page else None
        add(Check("cdx_resume_key", "a key after [] (limit=3)", key or "none", bool(key), True))
        candidates = [c for c in (page.captures if page else []) if c.status == 200]
        capture = candidates[0] if candidates else None
    if capture is not None:
        replay = get(f"{wayback.rstrip('/')}/web/{capture.timestamp}id_/{capture.original}")
        if replay is not None:
            memento = replay.headers.get("Memento-Datetime")
            try:
                same = bool(memento) and parsedate_to_datetime(memento) == parse_timestamp(
                    capture.timestamp
                )
            except (TypeError, ValueError):
                same = False
            add(
                Check(
                    "replay_memento",
                    f"Memento-Datetime = {capture.timestamp}",
                    f"{replay.status}, {memento or 'no Memento-Datetime'}",
                    same,
                    True,
                )
            )
    elif reply is not None:
        add(Check("replay_memento", "a listed 200 capture to replay", "none listed", False))

    # -- Common Crawl ----------------------------------------------------------------------
    reply = get(f"{cc_index.rstrip('/')}/collinfo.json")
    crawls: list[dict[str, str]] = []
    if reply is not None:
        try:
            crawls = cc_crawls(reply.body) if reply.status == 200 else []
        except ListingError:
            crawls = []
        add(
            Check(
                "cc_collinfo",
                "200, crawls with id and cdx-api",
                f"{reply.status}, {len(crawls)} crawls",
                bool(crawls),
                True,
            )
        )
    row = None
    for crawl in crawls[:3]:
        query = cc_listing_query(PREFIX, start=None, end=None, page=None)
        answer = get(f"{crawl['cdx-api']}?{query}&limit=3")
        if answer is None:
            break
        if answer.status == 200:
            listed = parse_cc_index(answer.body)
            row = listed.captures[0] if listed.captures else None
            break
    if crawls:
        add(
            Check(
                "cc_index_row",
                "an NDJSON row with filename, offset, length",
                row.filename or "" if row else "no row in the 3 newest crawls",
                row is not None,
                True,
            )
        )
    if row is not None and row.offset is not None and row.length is not None:
        end = row.offset + row.length - 1
        answer = get(f"{cc_data.rstrip('/')}/{row.filename}", Range=f"bytes={row.offset}-{end}")
        if answer is not None:
            try:
                record = read_record(answer.body) if answer.status == 206 else None
                seen = (
                    f"{answer.status}, record of {record.target_uri}"
                    if record
                    else str(answer.status)
                )
            except WarcError as exc:
                record, seen = None, f"206, {exc}"
            add(
                Check(
                    "cc_record", "206 with one WARC response record", seen, record is not None, True
                )
            )
    return report


def run_archive_probe(args: argparse.Namespace) -> int:
    """``probe --archives``: the table and verdict; exit 0 OK, 1 DRIFT."""
    from jobtracker import settings

    report = probe_archives(
        settings.JOBTRACKER_ARCHIVE_WAYBACK_URL,
        settings.JOBTRACKER_ARCHIVE_CC_INDEX_URL,
        settings.JOBTRACKER_ARCHIVE_CC_DATA_URL,
        user_agent=settings.JOBTRACKER_ARCHIVE_USER_AGENT,
        timeout=args.timeout,
    )
    return print_report(report, as_json=args.json)
