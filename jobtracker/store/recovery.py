"""What every run does first: repair what earlier runs left behind (docs/store.md, rule 8).

1. Record the finish of runs that ended while MongoDB was unreachable (``pending_runs/``).
2. Mark runs that never finished (killed) as ``abandoned`` once they are older than the limit.
3. Store the postings that runs spilled during an outage (``unsaved/``) with their original
   sighting times, under the run that saw them, once that run is no longer running.

Unreadable files are quarantined with a warning; nothing here stops the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from jobtracker.store import spool
from jobtracker.store.mongo import PageResult, PostingStore
from jobtracker.store.verify import abandon_stale_runs

logger = logging.getLogger(__name__)

IMPORT_BATCH = 100


@dataclass
class Recovery:
    """What :func:`recover` did."""

    finished: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    imported: dict[str, int] = field(default_factory=dict)
    """Spilled postings stored, by the run that saw them."""


def recover(
    store: PostingStore, var_dir: Path, now: datetime, abandon_after: timedelta
) -> Recovery:
    recovery = Recovery()
    for path, run_id, update in spool.pending_finishes(var_dir):
        if isinstance(update.get("finished_at"), str):  # written by an older version
            update["finished_at"] = datetime.fromisoformat(update["finished_at"])
        store.finish_run(run_id, update)
        path.unlink()
        recovery.finished.append(run_id)
    recovery.abandoned = abandon_stale_runs(store.db, now=now, older_than=abandon_after)
    spills = {path.stem: path for path in spool.unsaved_files(var_dir)}
    still_running = store.running_runs(spills)
    for run_id, path in spills.items():
        if run_id in still_running:
            continue  # it may still be writing; a later run imports it
        recovery.imported[run_id] = import_spill(store, var_dir, run_id, path)
    for what, runs in (("finish", recovery.finished), ("abandoned", recovery.abandoned)):
        if runs:
            logger.info("Recorded the %s of earlier runs: %s", what, ", ".join(runs))
    return recovery


def import_spill(store: PostingStore, var_dir: Path, run_id: str, path: Path) -> int:
    """Store one spill file's postings as seen by ``run_id``; the file goes when stored."""
    postings, bad = spool.read_unsaved(path)
    result = PageResult()
    for start in range(0, len(postings), IMPORT_BATCH):
        result.add(store.save_page(postings[start : start + IMPORT_BATCH], run_id))
    store.record_spill_import(run_id, len(postings), result)
    logger.info(
        "Stored %d postings that run %s could not store during an outage (%s)",
        len(postings),
        run_id,
        ", ".join(f"{k} {v}" for k, v in result.as_dict().items() if v),
    )
    if bad:
        spool.quarantine(path, var_dir, f"{bad} unreadable lines; the other lines were stored")
    else:
        path.unlink()
    return len(postings)
