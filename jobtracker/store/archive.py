"""The archive backfill's store (docs/backfill.md), apart from live history: it never reads or
writes ``postings``, ``posting_versions`` or ``crawl_runs``.

- ``archive_captures``: every listed capture (``_id`` = :attr:`Capture.key`) with its state:
  ``listed`` (the fetch queue), ``sighted``, ``rejected`` (with ``reason``) or ``failed``
  (fetching failed ``MAX_ATTEMPTS`` times), where its payload is kept, and its hash.
- ``archive_sightings``: one document per valid sighting (same ``_id`` as its capture), with
  provenance and the parsed, normalized fields.
- ``archive_cursors``: where each listing (an archive, a crawl, a URL prefix) stopped: its
  resume key or next page, or ``done``.
- ``archive_runs``: one document per backfill run: when, which archive, how it ended, counts.

Captures are written before the cursor that lists past them, and a sighting before its capture
leaves ``listed``: a run killed at any point lists nothing twice that matters (writes are
idempotent upserts) and never fetches again a capture it stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.database import Database

from jobtracker.archive.canonical import posting_id_of
from jobtracker.archive.cdx import Capture

CAPTURES = "archive_captures"
SIGHTINGS = "archive_sightings"
CURSORS = "archive_cursors"
ARCHIVE_RUNS = "archive_runs"
#: Capture states.
LISTED, SIGHTED, REJECTED, FAILED = "listed", "sighted", "rejected", "failed"
STATES = (LISTED, SIGHTED, REJECTED, FAILED)
#: Fetch attempts (across runs) before a capture is given up as ``failed``.
MAX_ATTEMPTS = 3


def ensure_indexes(db: Database) -> None:
    """The indexes of the research queries and of the fetch queue."""
    db[SIGHTINGS].create_indexes(
        [
            IndexModel([("posting_id", ASCENDING), ("captured_at", ASCENDING)]),
            IndexModel([("captured_at", ASCENDING)]),
            IndexModel([("archive", ASCENDING), ("captured_at", ASCENDING)]),
            IndexModel([("country_code", ASCENDING), ("captured_at", ASCENDING)]),
        ]
    )
    db[CAPTURES].create_indexes(
        [
            IndexModel([("archive", ASCENDING), ("state", ASCENDING), ("timestamp", ASCENDING)]),
            IndexModel([("posting_id", ASCENDING)]),
        ]
    )
    db[ARCHIVE_RUNS].create_indexes([IndexModel([("started_at", DESCENDING)])])


class ArchiveStore:
    """The backfill's writes and reads (one per spider run)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- listing ---------------------------------------------------------------------------

    def cursor(self, archive: str, listing: str) -> dict[str, Any] | None:
        return self.db[CURSORS].find_one({"_id": f"{archive}|{listing}"})

    def save_listing_page(
        self,
        archive: str,
        listing: str,
        captures: Iterable[Capture],
        *,
        next_key: str | int | None,
        done: bool,
        counts: dict[str, int],
        run_id: str,
        now: datetime,
    ) -> int:
        """Store a page of listed captures (new ones join the fetch queue), then move the
        listing's cursor past it; returns how many captures were new."""
        operations = []
        for capture in captures:
            doc = {
                **capture.as_dict(),
                "captured_at": capture.captured_at,
                "original_url": capture.original,
                "posting_id": posting_id_of(capture.original),
                "state": LISTED,
                "attempts": 0,
                "listed_at": now,
                "listed_by": run_id,
            }
            doc.pop("original")
            reason = listing_rejection(capture)
            if reason:
                doc.update(state=REJECTED, reason=reason)
            operations.append(UpdateOne({"_id": capture.key}, {"$setOnInsert": doc}, upsert=True))
        new = 0
        if operations:
            new = self.db[CAPTURES].bulk_write(operations, ordered=False).upserted_count
        self.db[CURSORS].update_one(
            {"_id": f"{archive}|{listing}"},
            {
                "$set": {
                    "archive": archive,
                    "listing": listing,
                    "next": next_key,
                    "done": done,
                    "updated_at": now,
                },
                "$inc": {f"counts.{name}": value for name, value in counts.items()}
                | {"counts.pages": 1},
            },
            upsert=True,
        )
        return new

    # -- the fetch queue -------------------------------------------------------------------

    def pending(
        self, archive: str, *, start: datetime | None, end: datetime | None
    ) -> Iterator[Capture]:
        """Captures still to fetch, oldest first."""
        query: dict[str, Any] = {"archive": archive, "state": LISTED, "posting_id": {"$ne": None}}
        window = {}
        if start:
            window["$gte"] = start
        if end:
            window["$lte"] = end
        if window:
            query["captured_at"] = window
        for doc in self.db[CAPTURES].find(query, sort=[("timestamp", ASCENDING)]):
            yield capture_from_doc(doc)

    def record_sighting(
        self, capture: Capture, sighting: dict[str, Any], kept: dict[str, Any], *, now: datetime
    ) -> None:
        """A valid sighting: the sighting first, then its capture leaves the queue."""
        self.db[SIGHTINGS].replace_one({"_id": capture.key}, sighting, upsert=True)
        self._settle(capture, SIGHTED, None, None, kept, sighting.get("sha256"), now)

    def record_rejection(
        self,
        capture: Capture,
        reason: str,
        detail: str = "",
        *,
        kept: dict[str, Any] | None,
        sha256: str | None,
        now: datetime,
    ) -> None:
        self.db[SIGHTINGS].delete_one({"_id": capture.key})  # a reparse may reject a sighting
        self._settle(capture, REJECTED, reason, detail, kept, sha256, now)

    def record_failure(self, capture: Capture, reason: str, *, now: datetime) -> bool:
        """A fetch that failed; True when the capture is given up (``failed``)."""
        doc = self.db[CAPTURES].find_one_and_update(
            {"_id": capture.key},
            {"$inc": {"attempts": 1}, "$set": {"last_error": reason, "updated_at": now}},
            return_document=True,
        )
        if doc and doc.get("attempts", 0) >= MAX_ATTEMPTS:
            self.db[CAPTURES].update_one(
                {"_id": capture.key}, {"$set": {"state": FAILED, "reason": reason}}
            )
            return True
        return False

    def _settle(
        self,
        capture: Capture,
        state: str,
        reason: str | None,
        detail: str | None,
        kept: dict[str, Any] | None,
        sha256: str | None,
        now: datetime,
    ) -> None:
        self.db[CAPTURES].update_one(
            {"_id": capture.key},
            {
                "$set": {
                    "state": state,
                    "reason": reason,
                    "detail": detail or None,
                    "kept": kept,
                    "sha256": sha256,
                    "fetched_at": now,
                }
            },
        )

    # -- runs ------------------------------------------------------------------------------

    def start_run(
        self, run_id: str, archive: str, *, now: datetime, window: dict[str, Any]
    ) -> None:
        self.db[ARCHIVE_RUNS].insert_one(
            {
                "_id": run_id,
                "archive": archive,
                "started_at": now,
                "finished_at": None,
                "window": window,
                "reason": None,
            }
        )

    def finish_run(
        self, run_id: str, *, now: datetime, reason: str, detail: str | None, counts: dict[str, Any]
    ) -> None:
        self.db[ARCHIVE_RUNS].update_one(
            {"_id": run_id},
            {"$set": {"finished_at": now, "reason": reason, "detail": detail, "counts": counts}},
        )

    # -- reparse ---------------------------------------------------------------------------

    def kept_captures(self) -> Iterator[tuple[Capture, dict[str, Any]]]:
        """Every fetched capture whose payload is kept, with where it is."""
        for doc in self.db[CAPTURES].find(
            {"state": {"$in": [SIGHTED, REJECTED]}, "kept": {"$ne": None}},
            sort=[("_id", ASCENDING)],
        ):
            yield capture_from_doc(doc), doc["kept"]


def listing_rejection(capture: Capture) -> str | None:
    """Why a listed capture is no sighting without fetching it: not a job-detail URL, or an
    archived status other than 200 (a revisit answers for itself when replayed)."""
    if posting_id_of(capture.original) is None:
        return "not_job_detail"
    if capture.status is not None and capture.status != 200:
        return f"archived_{capture.status}"
    return None


def capture_from_doc(doc: dict[str, Any]) -> Capture:
    return Capture.from_dict({**doc, "original": doc["original_url"]})


def archive_status(db: Database) -> dict[str, dict[str, Any]]:
    """Per archive: captures listed, fetched, sightings, rejected by reason, failures, left,
    and the last run (when it stopped and why)."""
    result: dict[str, dict[str, Any]] = {}
    for row in db[CAPTURES].aggregate(
        [
            {
                "$group": {
                    "_id": {"archive": "$archive", "state": "$state", "reason": "$reason"},
                    "n": {"$sum": 1},
                }
            }
        ]
    ):
        key = row["_id"]
        entry = result.setdefault(key["archive"], _empty_status())
        entry["listed"] += row["n"]
        if key["state"] == LISTED:
            entry["left"] += row["n"]
        if key["state"] == REJECTED:
            entry["rejected"][key["reason"] or "unknown"] += row["n"]
        elif key["state"] == FAILED:
            entry["failed"] += row["n"]
    for row in db[SIGHTINGS].aggregate(
        [
            {
                "$group": {
                    "_id": "$archive",
                    "n": {"$sum": 1},
                    "postings": {"$addToSet": "$posting_id"},
                }
            }
        ]
    ):
        entry = result.setdefault(row["_id"], _empty_status())
        entry["sightings"] = row["n"]
        entry["postings"] = len(row["postings"])
    for archive, entry in result.items():
        # Fetched: answered by the archive (captures rejected from their listing row are not).
        entry["fetched"] = db[CAPTURES].count_documents(
            {"archive": archive, "fetched_at": {"$ne": None}}
        )
        entry["rejected"] = dict(sorted(entry["rejected"].items()))
        last = db[ARCHIVE_RUNS].find_one({"archive": archive}, sort=[("started_at", DESCENDING)])
        if last:
            entry["last_run"] = {
                "run_id": last["_id"],
                "started_at": last.get("started_at"),
                "finished_at": last.get("finished_at"),
                "reason": last.get("reason") or "running or killed",
                "detail": last.get("detail"),
            }
    return result


def _empty_status() -> dict[str, Any]:
    return {
        "listed": 0,
        "fetched": 0,
        "sightings": 0,
        "postings": 0,
        "rejected": Counter(),
        "failed": 0,
        "left": 0,
        "last_run": None,
    }


#: The archive collections' invariants, checked by `jobtracker verify` (docs/store.md).
ARCHIVE_KINDS: dict[str, str] = {
    "archive_sightings": "a sighting has its sighted capture, posting, archive, time, hash",
    "archive_captures": "a capture's state is known; rejected ones say why; sighted ones have "
    "their sighting",
}


def check_archive(db: Database) -> dict[str, tuple[int, list[str]]]:
    """Violations of :data:`ARCHIVE_KINDS`: kind -> (count, up to three example ids). The same
    queries as docs/store.md's."""
    found: dict[str, tuple[int, list[str]]] = {}

    def add(kind: str, example: Any) -> None:
        count, examples = found.get(kind, (0, []))
        found[kind] = (count + 1, examples if len(examples) >= 3 else [*examples, str(example)])

    sighted = {doc["_id"] for doc in db[CAPTURES].find({"state": SIGHTED}, {"_id": 1})}
    with_sighting = set()
    for doc in db[SIGHTINGS].find(
        {}, {"posting_id": 1, "archive": 1, "captured_at": 1, "sha256": 1}
    ):
        with_sighting.add(doc["_id"])
        if (
            doc["_id"] not in sighted
            or not isinstance(doc.get("posting_id"), str)
            or doc.get("archive") not in ("wayback", "commoncrawl")
            or not isinstance(doc.get("captured_at"), datetime)
            or not isinstance(doc.get("sha256"), str)
        ):
            add("archive_sightings", doc["_id"])
    for doc in db[CAPTURES].find(
        {
            "$or": [
                {"state": {"$nin": list(STATES)}},
                {"state": {"$in": [REJECTED, FAILED]}, "reason": None},
            ]
        },
        {"_id": 1},
    ):
        add("archive_captures", doc["_id"])
    for key in sorted(sighted - with_sighting):
        add("archive_captures", key)
    return found


def counts_by_state(db: Database, archive: str) -> Counter[str]:
    return Counter(
        {
            row["_id"]: row["n"]
            for row in db[CAPTURES].aggregate(
                [{"$match": {"archive": archive}}, {"$group": {"_id": "$state", "n": {"$sum": 1}}}]
            )
        }
    )


def sighting_document(
    capture: Capture,
    fields: dict[str, Any],
    *,
    sha256: str,
    kept: dict[str, Any] | None,
    replay_url: str | None,
    run_id: str,
    fetched_at: datetime,
    truncated: str | None = None,
) -> dict[str, Any]:
    """A sighting as stored: provenance, then the parsed and normalized fields."""
    return {
        "_id": capture.key,
        "posting_id": posting_id_of(capture.original),
        "archive": capture.archive,
        "captured_at": capture.captured_at,
        "timestamp": capture.timestamp,
        "original_url": capture.original,
        "replay_url": replay_url,
        "warc_file": capture.filename,
        "warc_offset": capture.offset,
        "warc_length": capture.length,
        "crawl": crawl_of(capture.filename),
        "status": 200,
        "digest": capture.digest,
        "sha256": sha256,
        "kept": kept,
        "truncated": truncated,
        "run_id": run_id,
        "fetched_at": fetched_at,
        **fields,
    }


def crawl_of(filename: str | None) -> str | None:
    """``CC-MAIN-2025-33`` of ``crawl-data/CC-MAIN-2025-33/segments/...``."""
    if not filename:
        return None
    parts = filename.split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "crawl-data" else None


def settled_keys(db: Database, keys: list[str]) -> set[str]:
    """Of these capture keys, those already fetched (or given up): not to fetch again."""
    if not keys:
        return set()
    return {
        doc["_id"]
        for doc in db[CAPTURES].find({"_id": {"$in": keys}, "state": {"$ne": LISTED}}, {"_id": 1})
    }


def reparse_store(
    db: Database, directory: str, *, now: datetime, dry_run: bool = False
) -> dict[str, Any]:
    """Parse every kept payload again with today's parser and rules (no request): a capture
    may become a sighting or stop being one; sightings get today's fields. Returns counts."""
    from jobtracker.archive.page import Rejection
    from jobtracker.archive.sighting import judge_payload
    from jobtracker.archive.warc import KeptRecord, WarcError, read_kept, sha256_hex

    store = ArchiveStore(db)
    counts: Counter[str] = Counter()
    for capture, kept in store.kept_captures():
        counts["examined"] += 1
        previous = db[CAPTURES].find_one({"_id": capture.key}, {"state": 1, "reason": 1}) or {}
        if previous.get("reason") not in (None, *PARSE_REASONS):
            counts["unchanged_fetch_rejection"] += 1  # a redirect, a memento mismatch, ...
            continue
        try:
            record = read_kept(directory, KeptRecord(kept["file"], kept["offset"], kept["length"]))
        except (OSError, WarcError) as exc:
            counts["missing_payload"] += 1
            counts[f"missing_payload:{exc.__class__.__name__}"] += 1
            continue
        outcome = judge_payload(
            posting_id=posting_id_of(capture.original) or "",
            status=record.status,
            payload=record.payload,
            content_type=record.content_type,
        )
        before = previous.get("state")
        if isinstance(outcome, Rejection):
            counts[f"rejected:{outcome.reason}"] += 1
            if before == SIGHTED:
                counts["sighting_to_rejected"] += 1
            if not dry_run:
                store.record_rejection(
                    capture,
                    outcome.reason,
                    outcome.detail,
                    kept=kept,
                    sha256=sha256_hex(record.payload),
                    now=now,
                )
            continue
        counts["sightings"] += 1
        if before != SIGHTED:
            counts["rejected_to_sighting"] += 1
        if dry_run:
            continue
        old = db[SIGHTINGS].find_one({"_id": capture.key}, {"replay_url": 1, "run_id": 1}) or {}
        document = sighting_document(
            capture,
            outcome,
            sha256=sha256_hex(record.payload),
            kept=kept,
            replay_url=old.get("replay_url"),
            run_id=old.get("run_id") or "reparse",
            fetched_at=now,
            truncated=record.truncated,
        )
        store.record_sighting(capture, document, kept, now=now)
    return dict(counts)


#: Rejections a parser decides (a reparse may change them); the others are the fetch's.
PARSE_REASONS = (
    "unparsed",
    "no_job_id",
    "id_mismatch",
    "not_html",
    "no_longer_available",
    "search_page",
)


def calibrate(db: Database, *, by: str = "country_code") -> dict[str, Any]:
    """How much of the board the archives see: over the weeks (Monday to Sunday, UTC) in which
    live crawls and archive sightings overlap, the share of live-open postings that have an
    archive sighting that same week, per group (``by``: a posting field such as
    ``country_code`` or ``business_category``) and in all. Reads ``postings`` only."""
    from datetime import timedelta

    from jobtracker.store.connection import POSTINGS

    def monday(moment: datetime) -> datetime:
        start = moment - timedelta(days=moment.weekday())
        return start.replace(hour=0, minute=0, second=0, microsecond=0)

    sighted: dict[datetime, set[str]] = {}
    for doc in db[SIGHTINGS].find({}, {"posting_id": 1, "captured_at": 1}):
        sighted.setdefault(monday(doc["captured_at"]), set()).add(doc["posting_id"])
    weeks = sorted(sighted)
    groups: dict[str, Counter[str]] = {}
    overlap: set[datetime] = set()
    for posting in db[POSTINGS].find(
        {}, {"spans": 1, "last_seen_at": 1, by: 1}, sort=[("_id", ASCENDING)]
    ):
        group = str(posting.get(by) or "unknown")
        last_seen = posting.get("last_seen_at")
        for span in posting.get("spans") or []:
            start, end = span.get("from"), span.get("to") or last_seen
            if start is None or end is None:
                continue
            for week in weeks:
                if week + timedelta(days=7) <= start or week > end:
                    continue
                overlap.add(week)
                counts = groups.setdefault(group, Counter())
                counts["open"] += 1
                counts["sighted"] += posting["_id"] in sighted[week]
    rows = []
    total: Counter[str] = Counter()
    for group, counts in sorted(groups.items()):
        total.update(counts)
        rows.append(
            {
                by: group,
                "open_posting_weeks": counts["open"],
                "sighted": counts["sighted"],
                "share": counts["sighted"] / counts["open"] if counts["open"] else None,
            }
        )
    return {
        "weeks": len(overlap),
        "by": by,
        "groups": rows,
        "all": {
            "open_posting_weeks": total["open"],
            "sighted": total["sighted"],
            "share": total["sighted"] / total["open"] if total["open"] else None,
        },
    }
