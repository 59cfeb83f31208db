"""The research interface: questions about the posting history, answered as pandas DataFrames.

    from jobtracker.research import connect, trend, first_seen, active, history
    db = connect("mongodb://127.0.0.1:27018/")          # or $MONGO_URI
    weekly = trend(db, "Rekognition", freq="week", by="country")
    firsts = first_seen(db, "facial recognition")
    open_then = active(db, date(2026, 7, 15), countries=["JP"])
    h = history(db, "amazon_jobs:10483953"); print(h.render())

The same functions back the ``jobtracker`` subcommands (``trend``, ``first-seen``, ``active``,
``history``, ``export``, ``runs``). Definitions are in ``docs/research.md``. Names are
imported lazily so that ``import jobtracker.research.cli`` (and ``jobtracker --help``) does not
load pandas or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "connect": "jobtracker.research.connection",
    "default_database": "jobtracker.research.connection",
    "default_uri": "jobtracker.research.connection",
    "trend": "jobtracker.research.trends",
    "pivot": "jobtracker.research.trends",
    "first_seen": "jobtracker.research.postings",
    "active": "jobtracker.research.postings",
    "iter_active": "jobtracker.research.postings",
    "panel": "jobtracker.research.postings",
    "iter_panel": "jobtracker.research.postings",
    "history": "jobtracker.research.posting_history",
    "PostingHistory": "jobtracker.research.posting_history",
    "UnknownPosting": "jobtracker.research.posting_history",
    "runs": "jobtracker.research.run_report",
    "export": "jobtracker.research.exports",
    "ExportResult": "jobtracker.research.exports",
    "plot_trend": "jobtracker.research.plot",
    "phrase_pattern": "jobtracker.research.text",
    "compile_phrase": "jobtracker.research.text",
    "mentions": "jobtracker.research.text",
    "neutralize": "jobtracker.research.output",
}

__all__ = [
    "ExportResult",
    "PostingHistory",
    "UnknownPosting",
    "active",
    "compile_phrase",
    "connect",
    "default_database",
    "default_uri",
    "export",
    "first_seen",
    "history",
    "iter_active",
    "iter_panel",
    "mentions",
    "neutralize",
    "panel",
    "phrase_pattern",
    "pivot",
    "plot_trend",
    "runs",
    "trend",
]

if TYPE_CHECKING:
    from jobtracker.research.connection import connect, default_database, default_uri
    from jobtracker.research.exports import ExportResult, export
    from jobtracker.research.output import neutralize
    from jobtracker.research.plot import plot_trend
    from jobtracker.research.posting_history import PostingHistory, UnknownPosting, history
    from jobtracker.research.postings import active, first_seen, iter_active, iter_panel, panel
    from jobtracker.research.run_report import runs
    from jobtracker.research.text import compile_phrase, mentions, phrase_pattern
    from jobtracker.research.trends import pivot, trend


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jobtracker.research' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
