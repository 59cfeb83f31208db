"""Files a crawl keeps in ``JOBTRACKER_VAR_DIR`` while MongoDB is unreachable (no MongoDB here).

- ``unsaved/<run id>.jsonl``: postings a run could not store, one JSON object a line, appended
  and fsynced batch by batch; times keep their zone and microseconds.
- ``pending_runs/<run id>.json``: the finish of a run that ended while the store was down,
  written atomically (temporary file, fsync, rename).
- ``quarantine/``: a file that cannot be read (empty, half written) is moved here with a
  warning, never left to stop the next crawl.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

UNSAVED = "unsaved"
PENDING_RUNS = "pending_runs"
QUARANTINE = "quarantine"


class _TaggedEncoder(json.JSONEncoder):
    """JSON with exact datetimes and dates (``{"$datetime": ISO}``, ``{"$date": ISO}``)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return {"$datetime": o.isoformat()}
        if isinstance(o, date):
            return {"$date": o.isoformat()}
        if is_dataclass(o) and not isinstance(o, type):
            return asdict(o)
        if isinstance(o, set | frozenset | tuple):
            return list(o)
        return super().default(o)


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
    return obj


def dumps(value: Any) -> str:
    return json.dumps(value, cls=_TaggedEncoder, ensure_ascii=False)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_untag)


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file, fsynced, renamed over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def quarantine(path: Path, var_dir: Path, why: str) -> Path:
    """Move an unreadable file out of the way, with a warning naming it and where it went."""
    folder = var_dir / QUARANTINE
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():
        target = folder / f"{path.stem}.{counter}{path.suffix}"
        counter += 1
    os.replace(path, target)
    logger.warning("Moved the unreadable %s to %s (%s)", path, target, why)
    return target


# -- unsaved postings ---------------------------------------------------------------------------
def unsaved_path(var_dir: Path, run_id: str) -> Path:
    return var_dir / UNSAVED / f"{run_id}.jsonl"


def append_unsaved(path: Path, batch: list[dict[str, Any]]) -> None:
    """Append postings, one a line, and fsync: a crash loses at most the line being written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(dumps(data) + "\n" for data in batch)
        handle.flush()
        os.fsync(handle.fileno())


def unsaved_files(var_dir: Path) -> list[Path]:
    return sorted((var_dir / UNSAVED).glob("*.jsonl"))


def read_unsaved(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The postings of a spill file and the number of lines that could not be read (a line
    cut short by a crash)."""
    postings: list[dict[str, Any]] = []
    bad = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            data = loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(data, dict) and {"source", "source_id", "seen_at"} <= data.keys():
            postings.append(data)
        else:
            bad += 1
    return postings, bad


# -- pending run finishes -----------------------------------------------------------------------
def save_pending_finish(var_dir: Path, run_id: str, update: dict[str, Any]) -> Path:
    path = var_dir / PENDING_RUNS / f"{run_id}.json"
    write_atomic(path, dumps({"run_id": run_id, "update": update}))
    return path


def pending_finishes(var_dir: Path) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """``(path, run id, update)`` of every readable pending finish; unreadable ones are
    quarantined."""
    for path in sorted((var_dir / PENDING_RUNS).glob("*.json")):
        try:
            record = loads(path.read_text(encoding="utf-8"))
            run_id, update = record["run_id"], record["update"]
            if not isinstance(run_id, str) or not isinstance(update, dict):
                raise TypeError("not a run record")
        except (ValueError, KeyError, TypeError) as exc:
            quarantine(path, var_dir, f"not a readable run record: {exc}")
            continue
        yield path, run_id, update
