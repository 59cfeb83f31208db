"""All MongoDB code of jobtracker: collections, indexes, page writes, runs and closures.

No Scrapy here: the storage pipeline hands in plain dicts. Collections (DESIGN.md §5):

- ``postings``: one document per posting, ``_id = "<source>:<source_id>"``.
- ``posting_versions``: one document per distinct content of a posting (``_id = "<posting>@v<n>"``).
- ``crawl_runs``: one document per run, ``_id`` = the run id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from jobtracker.store.content import (
    changed_fields,
    content_hash,
    current_fields,
    posting_id,
    posting_snapshot,
)
from jobtracker.store.lifecycle import ClosurePlan, RunOutcome, plan_closures
from jobtracker.store.queries import open_database

logger = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
VERSION_FIELDS = ("content_hash", "version", "status", "spans", "missing_since")


def version_id(pid: str, version: int) -> str:
    return f"{pid}@v{version}"


def utc_ms(moment: datetime) -> datetime:
    """MongoDB keeps milliseconds: round-trip-stable UTC times."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class PageResult:
    """What one page write changed."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    reopened: int = 0

    def add(self, other: PageResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.reopened += other.reopened

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "reopened": self.reopened,
        }


@dataclass
class _Pending:
    """Writes planned for one page."""

    postings: list[UpdateOne] = field(default_factory=list)
    new_postings: list[dict[str, Any]] = field(default_factory=list)
    seen_if_duplicate: dict[str, UpdateOne] = field(default_factory=dict)
    """For a new posting that a concurrent run inserted first: record our sighting instead."""
    content_updates: dict[str, UpdateOne] = field(default_factory=dict)
    """A changed posting's new content and version number, applied once its version is in."""
    versions: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[UpdateOne] = field(default_factory=list)


class PostingStore:
    """The versioned posting store on one MongoDB database."""

    def __init__(self, database: Database, *, pending_dir: Path | None = None) -> None:
        self.db = database
        self.postings: Collection = database["postings"]
        self.versions: Collection = database["posting_versions"]
        self.runs: Collection = database["crawl_runs"]
        self.pending_dir = pending_dir

    @classmethod
    def connect(
        cls,
        uri: str,
        database: str = "jobtracker",
        *,
        timeout_ms: int = 5000,
        pending_dir: Path | None = None,
    ) -> PostingStore:
        """Connect (timezone-aware) and check the server answers."""
        db = open_database(
            uri,
            database,
            timeout_ms=timeout_ms,
            socket_timeout_ms=timeout_ms * 10,  # a page write that hangs is an outage
            appname="jobtracker",
        )
        return cls(db, pending_dir=pending_dir)

    def close(self) -> None:
        self.db.client.close()

    # -- schema ----------------------------------------------------------------------------
    def ensure_indexes(self) -> None:
        """Create the indexes (idempotent). The unique ones make concurrent runs safe."""
        self.versions.create_index(
            [("posting_id", ASCENDING), ("version", ASCENDING)], unique=True, name="posting_version"
        )
        self.versions.create_index([("first_seen_at", ASCENDING)], name="version_first_seen")
        self.postings.create_index(
            [("source", ASCENDING), ("source_id", ASCENDING)], unique=True, name="source_id"
        )
        self.postings.create_index(
            [
                ("source", ASCENDING),
                ("status", ASCENDING),
                ("country_code", ASCENDING),
                ("business_category", ASCENDING),
            ],
            name="scope",
        )
        self.postings.create_index([("first_seen_at", ASCENDING)], name="first_seen")
        self.postings.create_index([("last_seen_at", DESCENDING)], name="last_seen")
        self.runs.create_index([("started_at", DESCENDING)], name="started")

    # -- runs ------------------------------------------------------------------------------
    def start_run(self, run: dict[str, Any]) -> None:
        """Record a run at its start; a reused run id is refused."""
        document = {
            **run,
            "started_at": utc_ms(run["started_at"]),
            "finished_at": None,
            "finish_reason": None,
        }
        self.runs.insert_one(document)

    def finish_run(self, run_id: str, update: dict[str, Any]) -> None:
        update = {**update, "finished_at": utc_ms(update.get("finished_at") or datetime.now(UTC))}
        self.runs.update_one({"_id": run_id}, {"$set": update})

    def save_pending_finish(self, run_id: str, update: dict[str, Any]) -> Path | None:
        """The store is down at the end of a run: keep its record to replay later."""
        if self.pending_dir is None:
            return None
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        path = self.pending_dir / f"{run_id}.json"
        path.write_text(json.dumps({"run_id": run_id, "update": update}, default=str))
        return path

    def replay_pending_finishes(self) -> int:
        """Record the finish of runs that ended while the store was unreachable."""
        if self.pending_dir is None or not self.pending_dir.exists():
            return 0
        replayed = 0
        for path in sorted(self.pending_dir.glob("*.json")):
            record = json.loads(path.read_text())
            update = record["update"]
            update["finished_at"] = datetime.fromisoformat(update["finished_at"])
            self.finish_run(record["run_id"], update)
            path.unlink()
            replayed += 1
        return replayed

    # -- observations ----------------------------------------------------------------------
    def save_page(self, items: list[dict[str, Any]], run_id: str) -> PageResult:
        """Store one response page of postings: one query, then bulk writes.

        Unchanged postings only move ``last_seen_at``; a changed content hash inserts a new
        version; a closed posting seen again is reopened in a new span.
        """
        result = PageResult()
        if not items:
            return result
        observed: dict[str, tuple[dict[str, Any], datetime]] = {}
        for item in items:
            pid = posting_id(item["source"], item["source_id"])
            seen_at = utc_ms(item["seen_at"])
            if pid not in observed or seen_at > observed[pid][1]:
                observed[pid] = (item, seen_at)
        existing = {
            doc["_id"]: doc
            for doc in self.postings.find(
                {"_id": {"$in": list(observed)}}, {name: 1 for name in VERSION_FIELDS}
            )
        }
        pending = _Pending()
        for pid, (item, seen_at) in observed.items():
            self._plan_posting(pid, item, seen_at, existing.get(pid), run_id, pending, result)
        for pid in self._write_versions(pending):
            # A concurrent run stored another content under the same version number first:
            # ours is not applied now; our next sighting records it as a later version.
            if pending.content_updates.pop(pid, None) is not None:
                result.updated -= 1
            else:
                result.new -= 1
                pending.new_postings = [d for d in pending.new_postings if d["_id"] != pid]
                pending.postings.append(pending.seen_if_duplicate[pid])
            result.unchanged += 1
        pending.postings.extend(pending.content_updates.values())
        self._insert_new_postings(pending)
        if pending.postings:
            self._bulk(self.postings, pending.postings)
        return result

    def _insert_new_postings(self, pending: _Pending) -> None:
        """Insert first sightings; one that a concurrent run inserted first becomes a sighting."""
        if not pending.new_postings:
            return
        try:
            self.postings.insert_many(pending.new_postings, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            for error in errors:
                pid = pending.new_postings[error["index"]]["_id"]
                pending.postings.append(pending.seen_if_duplicate[pid])

    def _plan_posting(
        self,
        pid: str,
        item: dict[str, Any],
        seen_at: datetime,
        current: dict[str, Any] | None,
        run_id: str,
        pending: _Pending,
        result: PageResult,
    ) -> None:
        snapshot = posting_snapshot(item)
        digest = content_hash(snapshot)
        fields = {
            **current_fields(snapshot),
            "source": item["source"],
            "source_id": item["source_id"],
            "content_hash": digest,
            "last_run_id": run_id,
        }
        sighting = UpdateOne(
            {"_id": pid},
            {
                "$max": {"last_seen_at": seen_at},
                "$unset": {"missing_since": ""},
                "$set": {"last_run_id": run_id},
            },
        )
        if current is None:
            result.new += 1
            pending.versions.append(self._version_doc(pid, 1, digest, snapshot, seen_at, run_id))
            pending.new_postings.append(
                {
                    "_id": pid,
                    **fields,
                    "version": 1,
                    "first_seen_at": seen_at,
                    "last_seen_at": seen_at,
                    "status": "open",
                    "spans": [{"from": seen_at, "to": None}],
                }
            )
            pending.seen_if_duplicate[pid] = sighting
            return
        if current["content_hash"] != digest:
            result.updated += 1
            version = int(current["version"]) + 1
            pending.versions.append(
                self._version_doc(pid, version, digest, snapshot, seen_at, run_id)
            )
            pending.superseded.append(
                UpdateOne(
                    {"_id": version_id(pid, version - 1), "last_seen_at": None},
                    {"$set": {"last_seen_at": seen_at}},
                )
            )
            pending.content_updates[pid] = UpdateOne(
                {"_id": pid, "version": {"$lt": version}},
                {"$set": {**fields, "version": version}},
            )
        else:
            result.unchanged += 1
        pending.postings.append(sighting)
        if current.get("status") == "closed":
            result.reopened += 1
            if current["content_hash"] == digest:  # the current version is current again
                pending.superseded.append(
                    UpdateOne(
                        {"_id": version_id(pid, int(current["version"]))},
                        {"$set": {"last_seen_at": None}},
                    )
                )
            pending.postings.append(
                UpdateOne(
                    {"_id": pid, "status": "closed"},
                    {
                        "$set": {"status": "open"},
                        "$unset": {"closed_at": ""},
                        "$push": {"spans": {"from": seen_at, "to": None}},
                    },
                )
            )

    def _version_doc(
        self,
        pid: str,
        version: int,
        digest: str,
        snapshot: dict[str, Any],
        seen_at: datetime,
        run_id: str,
    ) -> dict[str, Any]:
        """A ``posting_versions`` document (``changed_fields`` is filled when it is written)."""
        return {
            "_id": version_id(pid, version),
            "posting_id": pid,
            "version": version,
            "content_hash": digest,
            "first_seen_at": seen_at,
            "last_seen_at": None,
            "run_id": run_id,
            "changed_fields": [],
            "snapshot": snapshot,
        }

    def _write_versions(self, pending: _Pending) -> set[str]:
        """Insert new versions; return the postings whose new version lost a race.

        A concurrent run that inserted the same version with the same content first is fine;
        one that inserted a different content under that number wins, and ours is dropped.
        """
        if not pending.versions:
            return set()
        previous = {}
        needs_diff = [doc for doc in pending.versions if doc["version"] > 1]
        if needs_diff:
            ids = [version_id(doc["posting_id"], doc["version"] - 1) for doc in needs_diff]
            previous = {d["_id"]: d for d in self.versions.find({"_id": {"$in": ids}})}
        for doc in pending.versions:
            if doc["version"] > 1:
                old = previous.get(version_id(doc["posting_id"], doc["version"] - 1))
                doc["changed_fields"] = changed_fields(old and old["snapshot"], doc["snapshot"])
            else:
                doc["changed_fields"] = changed_fields(None, doc["snapshot"])
        lost: set[str] = set()
        try:
            self.versions.insert_many(pending.versions, ordered=False)
        except BulkWriteError as exc:
            lost = self._versions_lost_to_others(exc, pending.versions)
        if pending.superseded:
            self._bulk(self.versions, pending.superseded)
        return lost

    def _versions_lost_to_others(self, exc: BulkWriteError, docs: list[dict[str, Any]]) -> set[str]:
        lost = set()
        for error in exc.details.get("writeErrors", []):
            if error.get("code") != DUPLICATE_KEY:
                raise exc
            doc = docs[error["index"]]
            stored = self.versions.find_one({"_id": doc["_id"]}, {"content_hash": 1})
            if stored is None or stored["content_hash"] != doc["content_hash"]:
                logger.warning("Concurrent versions of %s; keeping the first stored", doc["_id"])
                lost.add(doc["posting_id"])
        return lost

    def _bulk(self, collection: Collection, operations: list[UpdateOne]) -> None:
        """Unordered bulk write; a concurrent insert of the same posting is retried once."""
        try:
            collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            collection.bulk_write([operations[e["index"]] for e in errors], ordered=False)

    # -- closures --------------------------------------------------------------------------
    def scope_filter(self, scope: dict[str, Any]) -> dict[str, Any]:
        query: dict[str, Any] = {"source": scope["source"], "status": "open"}
        if scope.get("countries"):
            query["country_code"] = {"$in": list(scope["countries"])}
        if scope.get("categories"):
            query["business_category"] = {"$in": list(scope["categories"])}
        return query

    def apply_closures(
        self,
        run: RunOutcome,
        scope: dict[str, Any],
        started_at: datetime,
        *,
        max_fraction: float = 0.2,
        floor: int = 25,
    ) -> ClosurePlan:
        """Mark missing / close the open in-scope postings this run did not see (rules 1-2)."""
        started_at = utc_ms(started_at)
        query = self.scope_filter(scope)
        open_in_scope = self.postings.count_documents(query)
        unseen = list(
            self.postings.find(
                {**query, "last_seen_at": {"$lt": started_at}},
                {
                    "business_category": 1,
                    "country_code": 1,
                    "missing_since": 1,
                    "spans": 1,
                    "last_seen_at": 1,
                    "version": 1,
                },
            )
        )
        plan = plan_closures(run, unseen, open_in_scope, max_fraction=max_fraction, floor=floor)
        if plan.blocked_reason is not None:
            return plan
        by_id = {doc["_id"]: doc for doc in unseen}
        operations = [
            UpdateOne(
                {
                    "_id": pid,
                    "status": "open",
                    "last_seen_at": {"$lt": started_at},
                    "missing_since": None,
                },
                {"$set": {"missing_since": started_at, "missing_run_id": run.run_id}},
            )
            for pid in plan.mark_missing
        ]
        for pid in plan.close:
            doc = by_id[pid]
            last_span = len(doc.get("spans") or [None]) - 1
            operations.append(
                UpdateOne(
                    {"_id": pid, "status": "open", "last_seen_at": {"$lt": started_at}},
                    {
                        "$set": {
                            "status": "closed",
                            "closed_at": doc["missing_since"],
                            "closed_run_id": run.run_id,
                            f"spans.{last_span}.to": doc["last_seen_at"],
                        },
                        "$unset": {"missing_since": "", "missing_run_id": ""},
                    },
                )
            )
        if operations:
            self._bulk(self.postings, operations)
        self._close_current_versions(plan.close, by_id)
        return plan

    def _close_current_versions(self, closed: Iterable[str], by_id: dict[str, Any]) -> None:
        """A closed posting's current version was last seen when the posting was."""
        operations = [
            UpdateOne(
                {"_id": version_id(pid, int(by_id[pid]["version"])), "last_seen_at": None},
                {"$set": {"last_seen_at": by_id[pid]["last_seen_at"]}},
            )
            for pid in closed
        ]
        if operations:
            self._bulk(self.versions, operations)
