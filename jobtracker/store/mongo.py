"""All MongoDB code of jobtracker: collections, indexes, page writes, runs and closures.

No Scrapy here: the storage pipeline hands in plain dicts. Collections (docs/store.md):

- ``postings``: one document per posting, ``_id = "<source>:<source_id>"``.
- ``posting_versions``: one document per distinct content of a posting (``_id = "<posting>@v<n>"``).
- ``crawl_runs``: one document per run, ``_id`` = the run id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from jobtracker.derived import NORMALIZER_VERSION
from jobtracker.sources import source_named
from jobtracker.store.connection import POSTINGS, RUNS, VERSIONS, open_database
from jobtracker.store.content import (
    changed_fields,
    content_hash,
    current_fields,
    posting_id,
    posting_snapshot,
)
from jobtracker.store.lifecycle import (
    BoardCounts,
    ClosurePlan,
    GuardSettings,
    RunOutcome,
    plan_closures,
)

logger = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
VERSION_FIELDS = ("content_hash", "version", "status", "last_seen_at", "observed_at")
#: What the closure rules read of an unseen posting.
CLOSURE_FIELDS = (
    "business_category",
    "country_code",
    "missing_since",
    "missing_last_at",
    "missing_count",
    "closure_held",
    "spans",
    "last_seen_at",
    "version",
)
#: A posting's missing-streak fields, cleared when it is seen again or closed.
MISSING_FIELDS = (
    "missing_since",
    "missing_last_at",
    "missing_run_id",
    "missing_count",
    "closure_held",
)
CLEAR_MISSING = dict.fromkeys(MISSING_FIELDS, "")


class RunIdTaken(Exception):
    """A run with this id is already recorded: run ids are unique (rule 6)."""


def observed_until(posting: dict[str, Any]) -> datetime | None:
    """The time of the latest observation of a posting: a sighting, or a complete miss."""
    return posting.get("observed_at") or posting.get("last_seen_at")


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
    late: int = 0
    """Sightings older than the posting's latest observation: recorded nowhere (rule 6)."""

    def add(self, other: PageResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.reopened += other.reopened
        self.late += other.late

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "reopened": self.reopened,
            "late": self.late,
        }


@dataclass
class _Supersede:
    """A changed posting's previous version, to end where the new one begins."""

    previous: str
    """The ``_id`` of the version superseded."""
    end: datetime
    """Its ``last_seen_at``: the new version's first sighting (ours, or that of the same
    content another run stored first)."""
    crashed_end: datetime | None = None
    """The end a crashed run gave it, when ours replaced that run's orphan version (rule 7):
    the update matches it as well as a current version."""

    def update(self) -> UpdateOne:
        read = None if self.crashed_end is None else {"$in": [None, self.crashed_end]}
        return UpdateOne(
            {"_id": self.previous, "last_seen_at": read}, {"$set": {"last_seen_at": self.end}}
        )


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
    superseded: dict[str, _Supersede] = field(default_factory=dict)
    """The previous version of each changed posting, ended once the new version is in."""
    made_current: list[UpdateOne] = field(default_factory=list)
    """The versions of postings reopened unchanged: current again."""
    current_version: dict[str, int] = field(default_factory=dict)
    """The version number each stored posting had when the page was read (0: not stored)."""


class PostingStore:
    """The versioned posting store on one MongoDB database."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self.postings: Collection = database[POSTINGS]
        self.versions: Collection = database[VERSIONS]
        self.runs: Collection = database[RUNS]
        self.step_hook: Callable[[str], None] | None = None
        """Tests only: called between the writes of a page (``"versions"``, ``"postings"``),
        to crash the store at that instant. Production code never sets it."""

    @classmethod
    def connect(
        cls,
        uri: str,
        database: str = "jobtracker",
        *,
        timeout_ms: int = 5000,
    ) -> PostingStore:
        """Connect (timezone-aware) and check the server answers."""
        db = open_database(
            uri,
            database,
            timeout_ms=timeout_ms,
            socket_timeout_ms=timeout_ms * 10,  # a page write that hangs is an outage
            appname="jobtracker",
        )
        return cls(db)

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
        """Record a run at its start; a reused run id raises :class:`RunIdTaken`."""
        document = {
            **run,
            "started_at": utc_ms(run["started_at"]),
            "finished_at": None,
            "finish_reason": None,
        }
        try:
            self.runs.insert_one(document)
        except DuplicateKeyError:
            raise RunIdTaken(run["_id"]) from None

    def finish_run(self, run_id: str, update: dict[str, Any]) -> None:
        update = {**update, "finished_at": utc_ms(update.get("finished_at") or datetime.now(UTC))}
        self.runs.update_one({"_id": run_id}, {"$set": update})

    def record_spill_import(self, run_id: str, postings: int, result: PageResult) -> None:
        """Note on a run's record that its spilled postings were stored later."""
        self.runs.update_one(
            {"_id": run_id},
            {"$set": {"spill_imported": {"postings": postings, **result.as_dict()}}},
        )

    def running_runs(self, run_ids: Iterable[str]) -> set[str]:
        """Which of these runs are recorded as still running."""
        return {
            doc["_id"]
            for doc in self.runs.find({"_id": {"$in": list(run_ids)}, "finished_at": None}, {})
        }

    # -- observations ----------------------------------------------------------------------
    def save_page(self, items: list[dict[str, Any]], run_id: str) -> PageResult:
        """Store one response page of postings: one query, then bulk writes.

        Unchanged postings only move ``last_seen_at``; a changed content hash inserts a new
        version; a closed posting seen again is reopened in a new span. A sighting older than
        the posting's latest observation changes nothing (it is counted as ``late``). Versions
        are written before postings, so a crash between the two leaves only versions that no
        posting references; the next run adopts or replaces them.
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
        lost, adopted = self._write_versions(pending)
        for pid in lost:
            # A concurrent run stored another content under the same version number first:
            # ours is not applied now; our next sighting records it as a later version.
            if pending.content_updates.pop(pid, None) is not None:
                result.updated -= 1
            else:
                result.new -= 1
                pending.new_postings = [d for d in pending.new_postings if d["_id"] != pid]
                pending.postings.append(pending.seen_if_duplicate[pid])
            result.unchanged += 1
        for doc in pending.new_postings:
            if doc["_id"] in adopted:  # its first version was stored (and seen) earlier
                doc["first_seen_at"] = doc["spans"][0]["from"] = adopted[doc["_id"]]
        self._step("versions")
        pending.postings.extend(pending.content_updates.values())
        self._insert_new_postings(pending)
        self._step("postings")
        if pending.postings:
            self._bulk(self.postings, pending.postings)
        return result

    def _step(self, name: str) -> None:
        if self.step_hook is not None:
            self.step_hook(name)

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
        latest = current and observed_until(current)
        if latest is not None and seen_at < latest:
            result.late += 1  # an older run: it may neither reopen, version nor move it
            return
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
                "$max": {"last_seen_at": seen_at, "observed_at": seen_at},
                "$unset": CLEAR_MISSING,
                "$set": {"last_run_id": run_id},
            },
        )
        pending.current_version[pid] = int(current["version"]) if current else 0
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
                    "observed_at": seen_at,
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
            pending.superseded[pid] = _Supersede(version_id(pid, version - 1), seen_at)
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
                pending.made_current.append(
                    UpdateOne(
                        {"_id": version_id(pid, int(current["version"]))},
                        {"$set": {"last_seen_at": None}},
                    )
                )
            pending.postings.append(
                UpdateOne(
                    {"_id": pid, "status": "closed", "observed_at": {"$not": {"$gt": seen_at}}},
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
            "normalizer": NORMALIZER_VERSION,
        }

    def _write_versions(self, pending: _Pending) -> tuple[set[str], dict[str, datetime]]:
        """Insert new versions; return the postings whose new version lost a race, and the
        first-seen times of first versions adopted from an earlier writer. Then end the
        superseded versions, and make those of postings reopened unchanged current again."""
        lost: set[str] = set()
        adopted: dict[str, datetime] = {}
        if pending.versions:
            lost, adopted = self._insert_versions(pending)
        operations = [*pending.made_current, *(s.update() for s in pending.superseded.values())]
        if operations:
            self._bulk(self.versions, operations)
        return lost, adopted

    def _insert_versions(self, pending: _Pending) -> tuple[set[str], dict[str, datetime]]:
        """Insert the new versions (``changed_fields`` filled against the previous ones)."""
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
        try:
            self.versions.insert_many(pending.versions, ordered=False)
        except BulkWriteError as exc:
            return self._resolve_duplicate_versions(exc, pending)
        return set(), {}

    def _resolve_duplicate_versions(
        self, exc: BulkWriteError, pending: _Pending
    ) -> tuple[set[str], dict[str, datetime]]:
        """Our new version's number is taken. The same content is adopted (the version before
        ends at its first sighting). Other content is a concurrent run's winner if that run is
        still running (ours is not applied, and the version before is the winner's to end);
        otherwise it is an orphan that a crashed run wrote before its posting, and ours
        replaces it."""
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise exc
        ours = [pending.versions[error["index"]] for error in errors]
        stored = {
            doc["_id"]: doc
            for doc in self.versions.find(
                {"_id": {"$in": [doc["_id"] for doc in ours]}},
                {"content_hash": 1, "run_id": 1, "first_seen_at": 1},
            )
        }
        running = self.running_runs({doc.get("run_id") for doc in stored.values()})
        lost: set[str] = set()
        adopted: dict[str, datetime] = {}
        for doc in ours:
            theirs = stored.get(doc["_id"])
            pid = doc["posting_id"]
            if theirs is not None and theirs["content_hash"] == doc["content_hash"]:
                if doc["version"] == 1:
                    adopted[pid] = min(theirs["first_seen_at"], doc["first_seen_at"])
                elif pid in pending.superseded:  # the one before ends where theirs begins
                    pending.superseded[pid].end = theirs["first_seen_at"]
                continue
            orphan = pending.current_version.get(pid, 0) < doc["version"]
            if theirs is not None and orphan and theirs.get("run_id") not in running:
                replaced = self.versions.replace_one(
                    {"_id": doc["_id"], "run_id": theirs.get("run_id")}, doc
                )
                if replaced.matched_count:
                    logger.info("Replaced %s, left behind by run %s", doc["_id"], theirs["run_id"])
                    if pid in pending.superseded:  # the crashed run may have ended it already
                        pending.superseded[pid].crashed_end = theirs["first_seen_at"]
                    continue
            logger.warning("Concurrent versions of %s; keeping the first stored", doc["_id"])
            lost.add(pid)
            # The run whose version stands ends the one before, at its own first sighting.
            pending.superseded.pop(pid, None)
        return lost, adopted

    def _bulk(self, collection: Collection, operations: list[UpdateOne]) -> None:
        """Unordered bulk write; a concurrent insert of the same posting is retried once."""
        try:
            collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            collection.bulk_write([operations[e["index"]] for e in errors], ordered=False)

    def open_values(self, field: str, *, source: str) -> list[Any]:
        """The distinct values of ``field`` among the source's open postings."""
        return self.postings.distinct(field, {"source": source, "status": "open"})

    # -- closures --------------------------------------------------------------------------
    def scope_filter(self, scope: dict[str, Any]) -> dict[str, Any]:
        """The open postings a run's scope covers, as its source reads the scope."""
        query: dict[str, Any] = {"source": scope["source"], "status": "open"}
        for name, values in source_named(scope["source"]).scope_fields(scope).items():
            query[name] = {"$in": list(values)}
        return query

    def open_categories(self, scope: dict[str, Any]) -> list[str]:
        """The business categories of the open postings in a run's scope (a full crawl asks
        for each, even one no listing shows any more: its postings must be accounted for)."""
        values = self.postings.distinct("business_category", self.scope_filter(scope))
        return sorted(str(value) for value in values if value)

    def apply_closures(
        self, run: RunOutcome, scope: dict[str, Any], guards: GuardSettings | None = None
    ) -> ClosurePlan:
        """Mark missing, hold or close the open in-scope postings this run did not see."""
        assert run.started_at is not None, "closures need the run's start time"
        started_at = utc_ms(run.started_at)
        run = RunOutcome(**{**vars(run), "started_at": started_at})
        query = self.scope_filter(scope)
        unseen = list(
            self.postings.find(
                {**query, "last_seen_at": {"$lt": started_at}},
                dict.fromkeys(CLOSURE_FIELDS, 1),
            )
        )
        board = self.board_counts(run, scope, query, unseen)
        plan = plan_closures(run, unseen, board, guards)
        if plan.blocked_reason is not None:
            return plan
        by_id = {doc["_id"]: doc for doc in unseen}
        still_unseen = {"status": "open", "last_seen_at": {"$lt": started_at}}
        observed = {"$max": {"observed_at": started_at}}
        operations = [
            UpdateOne(
                {"_id": pid, **still_unseen, "missing_since": None},
                {
                    "$set": {
                        "missing_since": started_at,
                        "missing_last_at": started_at,
                        "missing_run_id": run.run_id,
                        "missing_count": 1,
                    },
                    **observed,
                },
            )
            for pid in plan.mark_missing
        ]
        operations.extend(
            UpdateOne(
                {"_id": pid, **still_unseen, "missing_since": {"$ne": None}},
                {
                    "$set": {
                        "missing_last_at": started_at,
                        "missing_run_id": run.run_id,
                        "missing_count": int(by_id[pid].get("missing_count") or 1) + 1,
                        "closure_held": True,
                    },
                    **observed,
                },
            )
            for pid in plan.hold
        )
        for pid in plan.close:
            doc = by_id[pid]
            last_span = len(doc.get("spans") or [None]) - 1
            operations.append(
                UpdateOne(
                    {"_id": pid, **still_unseen, "missing_since": doc["missing_since"]},
                    {
                        "$set": {
                            "status": "closed",
                            "closed_at": doc["missing_since"],
                            "closed_run_id": run.run_id,
                            f"spans.{last_span}.to": doc["last_seen_at"],
                        },
                        "$unset": CLEAR_MISSING,
                        **observed,
                    },
                )
            )
        if operations:
            self._bulk(self.postings, operations)
        if plan.close:
            self._close_current_versions(self._closed_by(run.run_id, plan.close), by_id)
        return plan

    def _closed_by(self, run_id: str, planned: list[str]) -> list[str]:
        """Which of the planned closures this run's update closed: a sighting that got in
        after the read left its posting open (the update no longer matched it)."""
        query = {"_id": {"$in": planned}, "status": "closed", "closed_run_id": run_id}
        return [doc["_id"] for doc in self.postings.find(query, {"_id": 1})]

    def board_counts(
        self,
        run: RunOutcome,
        scope: dict[str, Any],
        query: dict[str, Any],
        unseen: list[dict[str, Any]],
    ) -> BoardCounts:
        """What the guards weigh a run's closures against. The group and day counts cost
        queries, so they are made only when the run may close something."""
        open_in_scope = self.postings.count_documents(query)
        if not any(doc.get("missing_since") is not None for doc in unseen):
            return BoardCounts(open_in_scope)
        by_group: dict[str, int] = {}
        for name in ("business_category", "country_code"):
            for row in self.postings.aggregate(
                [{"$match": query}, {"$group": {"_id": f"${name}", "n": {"$sum": 1}}}]
            ):
                by_group[f"{name}={row['_id'] or ''}"] = row["n"]
        assert run.started_at is not None
        midnight = run.started_at.replace(hour=0, minute=0, second=0, microsecond=0)
        same_day = {
            "source": scope["source"],
            "_id": {"$ne": run.run_id},
            "started_at": {"$gte": midnight, "$lt": midnight + timedelta(days=1)},
            "closure.closed": {"$gt": 0},
        }
        closed_today = sum(
            doc["closure"]["closed"] for doc in self.runs.find(same_day, {"closure.closed": 1})
        )
        open_in_source = self.postings.count_documents(
            {"source": scope["source"], "status": "open"}
        )
        return BoardCounts(open_in_scope, by_group, open_in_source, closed_today)

    def _close_current_versions(self, closed: Iterable[str], by_id: dict[str, Any]) -> None:
        """A closed posting's current version was last seen when the posting was (only for
        postings this run's closure update did close)."""
        operations = [
            UpdateOne(
                {"_id": version_id(pid, int(by_id[pid]["version"])), "last_seen_at": None},
                {"$set": {"last_seen_at": by_id[pid]["last_seen_at"]}},
            )
            for pid in closed
        ]
        if operations:
            self._bulk(self.versions, operations)
