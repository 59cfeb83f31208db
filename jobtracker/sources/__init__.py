"""The sites jobtracker crawls, one module each, behind a small registry.

- :mod:`jobtracker.sources.amazon_jobs`: www.amazon.jobs, the corporate board (``search.json``);
- :mod:`jobtracker.sources.amazon_hourly`: the hourly-jobs sites (hiring.amazon.com and its
  country siblings; GraphQL job cards).

Each module owns its payload parsing, raw object -> item, the content of its postings (snapshot
and hashed fields), what the normalization pipelines read of its raw objects, and its
partitions and scopes; it exposes them as one :class:`~jobtracker.sources.base.Source`
(``SOURCE``). The pipelines, the store and the research interface ask :func:`source_named` and
never branch on the source. A new site is a new module here and one line in
:data:`SOURCE_MODULES` (docs/architecture.md walks through it).

Modules are imported on first use, so that knowing the names costs nothing.
"""

from __future__ import annotations

import functools
import importlib

from jobtracker.sources.base import PostingDates, Source

__all__ = ["SOURCE_MODULES", "SOURCE_NAMES", "PostingDates", "Source", "source_named"]

#: Every source: its name (the ``source`` of items and postings) -> the module defining it.
SOURCE_MODULES = {
    "amazon_jobs": "jobtracker.sources.amazon_jobs",
    "amazon_hourly": "jobtracker.sources.amazon_hourly",
}
SOURCE_NAMES = tuple(SOURCE_MODULES)


@functools.cache
def source_named(name: str) -> Source:
    """The :class:`Source` called ``name``; ``LookupError`` naming the known ones otherwise."""
    module = SOURCE_MODULES.get(name)
    if module is None:
        raise LookupError(f"unknown source {name!r} (known: {', '.join(SOURCE_NAMES)})")
    source: Source = importlib.import_module(module).SOURCE
    return source
