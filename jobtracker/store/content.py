"""What a posting's content is, and when it changed (pure).

``posting_snapshot`` turns an item (a plain dict) into the document fields a version stores;
``content_hash`` fingerprints only the content fields, never volatile ones such as
``updated_time``, rank, ``seen_at`` or run metadata, so an unchanged posting hashes the same on
every crawl and a version is written only when the content really changed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from jobtracker.derived import DERIVED_FIELDS, as_stored
from jobtracker.sources import Source, source_named


def posting_id(source: str, source_id: str) -> str:
    """The ``_id`` of a posting: ``"<source>:<source_id>"``."""
    return f"{source}:{source_id}"


def source_of_snapshot(snapshot: dict[str, Any], source: str | None = None) -> Source:
    """The source a snapshot belongs to: its own ``source`` field, else ``source`` (snapshots
    stored before every snapshot carried one were corporate ones; readers pass the posting's)."""
    name = snapshot.get("source") or source
    if not name:
        raise ValueError("a snapshot without source: give the posting's source")
    return source_named(name)


def content_fields_of(snapshot: dict[str, Any], source: str | None = None) -> tuple[str, ...]:
    """The fields whose change makes a new version of this snapshot's posting."""
    return source_of_snapshot(snapshot, source).content_fields


def posting_snapshot(item: dict[str, Any]) -> dict[str, Any]:
    """The posting's content as stored in ``postings`` and ``posting_versions``: its source's
    snapshot, with ``source`` and the normalized fields the pipelines filled."""
    source = source_named(item["source"])
    return _with_derived({"source": source.name, **source.snapshot(item)}, item)


def _with_derived(snapshot: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """The derived fields the pipelines filled (never hashed: they are functions of the
    content, and a change of rules must not fake an edit; ``jobtracker.derived``)."""
    for name in DERIVED_FIELDS:
        value = item.get(name)
        if value is not None:
            snapshot[name] = as_stored(value)
    return snapshot


def _normalized(value: Any) -> Any:
    """Whitespace runs to one space, ends stripped (``str.split`` knows every Unicode space)."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    return value


def current_fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The part of a snapshot that the ``postings`` document carries (without the fields its
    source keeps in ``posting_versions`` only)."""
    version_only = source_of_snapshot(snapshot).version_only_fields
    return {key: value for key, value in snapshot.items() if key not in version_only}


def content_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 over the content fields (whitespace-normalized), stable across runs."""
    digest = hashlib.sha256()
    for name in content_fields_of(snapshot):
        value = _normalized(snapshot.get(name))
        if isinstance(value, list):
            value = "\x1f".join(map(str, value))
        digest.update(f"{name}\x1e{'' if value is None else value}\x1d".encode())
    return digest.hexdigest()


def changed_fields(
    old: dict[str, Any] | None, new: dict[str, Any], source: str | None = None
) -> list[str]:
    """Content fields that differ between two snapshots (all of them for a first version);
    ``source``: the posting's, for snapshots stored without one."""
    fields = content_fields_of(new, source)
    if old is None:
        return list(fields)
    return [name for name in fields if _normalized(old.get(name)) != _normalized(new.get(name))]
