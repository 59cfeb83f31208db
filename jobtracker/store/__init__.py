"""The versioned MongoDB store (all pymongo code lives here; no Scrapy imports).

Names are imported lazily, so that :mod:`jobtracker.store.connection` (read by the settings)
costs no pymongo import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ClosurePlan": "jobtracker.store.lifecycle",
    "RunOutcome": "jobtracker.store.lifecycle",
    "plan_closures": "jobtracker.store.lifecycle",
    "PageResult": "jobtracker.store.mongo",
    "PostingStore": "jobtracker.store.mongo",
}
__all__ = ["ClosurePlan", "PageResult", "PostingStore", "RunOutcome", "plan_closures"]

if TYPE_CHECKING:
    from jobtracker.store.lifecycle import ClosurePlan, RunOutcome, plan_closures
    from jobtracker.store.mongo import PageResult, PostingStore


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jobtracker.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
