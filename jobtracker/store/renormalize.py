"""``jobtracker renormalize``: every stored version's derived fields with today's rules.

Derived fields (locations, country codes, role family and SOC, posted date, pay) are recomputed
from each version's snapshot by the same functions the crawl's pipelines use
(:mod:`jobtracker.derived`), and the rules' version is stamped on the version (``normalizer``).
Content hashes, version numbers, spans, sightings and closures are never touched: derived
fields are not content. A posting's own copy of the derived fields follows its latest version.

Versions are read in ``_id`` order in bounded batches and written in bulk; the position
(``maintenance`` collection, ``_id: "renormalize"``) is saved after every batch, so a run that
was stopped continues where it stopped when started again with the same rules and ``--since``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import UpdateOne

from jobtracker.derived import DERIVED_FIELDS, NORMALIZER_VERSION, derived_fields
from jobtracker.sources import source_named
from jobtracker.store.connection import POSTINGS, VERSIONS

if TYPE_CHECKING:
    from pymongo.database import Database

#: Where long maintenance jobs keep their position.
MAINTENANCE = "maintenance"
STATE_ID = "renormalize"
#: Field names as the report prints them.
FIELD_LABELS = {
    "locations": "locations",
    "country_codes": "country codes",
    "role_family": "role family",
    "soc": "SOC code",
    "posted_date": "posted date",
    "pay": "pay",
}


@dataclass
class RenormalizeReport:
    """What a renormalization did (or, with ``dry_run``, would do)."""

    normalizer: str
    total: int = 0
    examined: int = 0
    changed: int = 0
    stamped: int = 0
    skipped: int = 0
    postings_updated: int = 0
    fields: Counter[str] = field(default_factory=Counter)
    family_moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    older_rules: Counter[str] = field(default_factory=Counter)
    resumed_at: int = 0
    finished: bool = False
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (also what the saved position keeps)."""
        return {
            "normalizer": self.normalizer,
            "total": self.total,
            "examined": self.examined,
            "changed": self.changed,
            "stamped": self.stamped,
            "skipped": self.skipped,
            "postings_updated": self.postings_updated,
            "fields": dict(self.fields),
            "family_moves": [
                {"from": old, "to": new, "versions": n}
                for (old, new), n in self.family_moves.most_common()
            ],
            "older_rules": dict(self.older_rules),
            "resumed_at": self.resumed_at,
            "finished": self.finished,
            "dry_run": self.dry_run,
        }

    @classmethod
    def from_saved(cls, saved: dict[str, Any]) -> RenormalizeReport:
        """The report a stopped run had saved with its position."""
        report = cls(normalizer=saved["normalizer"])
        for name in ("total", "examined", "changed", "stamped", "skipped", "postings_updated"):
            setattr(report, name, int(saved.get(name) or 0))
        report.fields = Counter(saved.get("fields") or {})
        report.older_rules = Counter(saved.get("older_rules") or {})
        report.family_moves = Counter(
            {(m["from"], m["to"]): int(m["versions"]) for m in saved.get("family_moves") or []}
        )
        return report

    def lines(self) -> list[str]:
        """The report in words, one fact a line."""
        verb = "would change" if self.dry_run else "changed"
        lines = [
            f"Rules: {self.normalizer}"
            + (f" (resumed after {self.resumed_at:,} versions)" if self.resumed_at else ""),
            f"Versions examined: {self.examined:,} of {self.total:,}; derived fields {verb}: "
            f"{self.changed:,}; only the rules' version {'would be ' if self.dry_run else ''}"
            f"stamped: {self.stamped:,}; kept (snapshot without what the rules read): "
            f"{self.skipped:,}",
        ]
        if self.older_rules:
            was = ", ".join(f"{name} {n:,}" for name, n in self.older_rules.most_common())
            lines.append(f"Derived before by: {was}")
        for name, label in FIELD_LABELS.items():
            if self.fields.get(name):
                line = f"{label}: {self.fields[name]:,} versions {verb}"
                if name == "role_family" and self.family_moves:
                    moves = ", ".join(
                        f"{old} -> {new} {n:,}"
                        for (old, new), n in self.family_moves.most_common(8)
                    )
                    line += f", {moves}"
                lines.append(line)
        lines.append(
            f"Postings {'to update' if self.dry_run else 'updated'}: {self.postings_updated:,}"
        )
        if not self.finished:
            lines.append("Stopped before the end: run it again to continue.")
        return lines


def versions_by_older_rules(db: Database) -> int:
    """How many versions older (or unrecorded) rules derived."""
    return db[VERSIONS].count_documents({"normalizer": {"$ne": NORMALIZER_VERSION}})


def renormalize_store(
    db: Database,
    *,
    since: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 500,
    progress: Callable[[RenormalizeReport, float], None] | None = None,
) -> RenormalizeReport:
    """Recompute the derived fields of every version (current at or after ``since``)."""
    query: dict[str, Any] = {}
    if since is not None:
        query = {"$or": [{"last_seen_at": None}, {"last_seen_at": {"$gte": since}}]}
    state_key = {"normalizer": NORMALIZER_VERSION, "since": since}
    saved = None if dry_run else db[MAINTENANCE].find_one({"_id": STATE_ID})
    cursor: str | None = None
    if saved and not saved.get("finished") and _same_job(saved, state_key):
        report = RenormalizeReport.from_saved(saved["report"])
        report.resumed_at = report.examined
        cursor = saved.get("cursor")
    else:
        report = RenormalizeReport(normalizer=NORMALIZER_VERSION)
    report.dry_run = dry_run
    report.total = db[VERSIONS].count_documents(query)
    started = time.monotonic()
    while True:
        page_query = dict(query)
        if cursor is not None:
            page_query = (
                {"$and": [query, {"_id": {"$gt": cursor}}]} if query else {"_id": {"$gt": cursor}}
            )
        batch = list(db[VERSIONS].find(page_query).sort("_id", 1).limit(batch_size))
        if not batch:
            break
        _renormalize_batch(db, batch, report, dry_run)
        cursor = batch[-1]["_id"]
        if not dry_run:
            db[MAINTENANCE].replace_one(
                {"_id": STATE_ID},
                {
                    **state_key,
                    "cursor": cursor,
                    "finished": False,
                    "report": report.as_dict(),
                    "updated_at": datetime.now(UTC),
                },
                upsert=True,
            )
        if progress is not None:
            progress(report, time.monotonic() - started)
    report.finished = True
    if not dry_run:
        db[MAINTENANCE].replace_one(
            {"_id": STATE_ID},
            {
                **state_key,
                "cursor": None,
                "finished": True,
                "report": report.as_dict(),
                "updated_at": datetime.now(UTC),
            },
            upsert=True,
        )
    return report


def _same_job(saved: dict[str, Any], key: dict[str, Any]) -> bool:
    since = saved.get("since")
    if since is not None and key["since"] is not None:
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since
    return saved.get("normalizer") == key["normalizer"] and since == key["since"]


def _renormalize_batch(
    db: Database, batch: list[dict[str, Any]], report: RenormalizeReport, dry_run: bool
) -> None:
    pids = list({doc["posting_id"] for doc in batch})
    latest = {
        doc["_id"]: doc.get("version")
        for doc in db[POSTINGS].find({"_id": {"$in": pids}}, {"version": 1})
    }
    version_writes: list[UpdateOne] = []
    posting_writes: list[UpdateOne] = []
    for doc in batch:
        report.examined += 1
        snapshot = doc.get("snapshot") or {}
        new = _derive(doc, snapshot)
        if new is None:
            report.skipped += 1
            continue
        if doc.get("normalizer") != NORMALIZER_VERSION:
            report.older_rules[doc.get("normalizer") or "unrecorded"] += 1
        changes = _changes(snapshot, new)
        unset = [name for name in DERIVED_FIELDS if name in snapshot and name not in new]
        if changes or unset:
            report.changed += 1
            _count(report, snapshot, new, changes, unset)
        elif doc.get("normalizer") == NORMALIZER_VERSION:
            continue
        else:
            report.stamped += 1
        update: dict[str, Any] = {
            "$set": {
                "normalizer": NORMALIZER_VERSION,
                **{f"snapshot.{k}": v for k, v in changes.items()},
            }
        }
        if unset:
            update["$unset"] = {f"snapshot.{name}": "" for name in unset}
        version_writes.append(UpdateOne({"_id": doc["_id"]}, update))
        if (changes or unset) and latest.get(doc["posting_id"]) == doc.get("version"):
            posting_update: dict[str, Any] = {"$set": changes} if changes else {}
            if unset:
                posting_update["$unset"] = dict.fromkeys(unset, "")
            posting_writes.append(
                UpdateOne({"_id": doc["posting_id"], "version": doc["version"]}, posting_update)
            )
    report.postings_updated += len(posting_writes)
    if dry_run:
        return
    if version_writes:
        db[VERSIONS].bulk_write(version_writes, ordered=False)
    if posting_writes:
        db[POSTINGS].bulk_write(posting_writes, ordered=False)


def _derive(doc: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any] | None:
    """The version's derived fields by today's rules; None when its source cannot rebuild it."""
    posting_id = str(doc.get("posting_id") or "")
    name, _, source_id = posting_id.partition(":")
    try:
        source = source_named(snapshot.get("source") or name)
    except LookupError:
        return None
    seen_at = doc.get("first_seen_at") or datetime.now(UTC)
    item = source.item_from_snapshot(snapshot, source_id=source_id, seen_at=seen_at)
    return None if item is None else derived_fields(item)


def _changes(snapshot: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in new.items() if snapshot.get(name) != value}


def _family(value: Any) -> str:
    """A stored role family's slug, ``"unknown"`` when it has none."""
    return (value.get("role_family") if isinstance(value, dict) else None) or "unknown"


def _count(
    report: RenormalizeReport,
    snapshot: dict[str, Any],
    new: dict[str, Any],
    changes: dict[str, Any],
    unset: list[str],
) -> None:
    for name in [*changes, *unset]:
        if name != "role_family":
            report.fields[name] += 1
    if "role_family" in changes:
        old_family, new_family = _family(snapshot.get("role_family")), _family(new["role_family"])
        if old_family != new_family:
            report.fields["role_family"] += 1
            report.family_moves[(old_family, new_family)] += 1
        old_soc = (snapshot.get("role_family") or {}).get("soc_code")
        if old_soc != (new["role_family"] or {}).get("soc_code"):
            report.fields["soc"] += 1
