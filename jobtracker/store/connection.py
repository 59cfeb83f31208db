"""Where jobtracker's MongoDB is, and the names researchers rely on (docs/store.md): the one
place that reads ``MONGO_URI`` and ``MONGO_DATABASE`` and names the collections.

``MONGO_URI`` names the store everywhere: a crawl without it stores nothing (history tracking
is off) and a research command without it (or ``--mongo-uri``) says so; neither guesses a
server. pymongo is imported only to connect, so that the settings can read this module.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from jobtracker.redaction import has_secret, redact, userinfo_problem

if TYPE_CHECKING:
    from pymongo.database import Database

#: The collections (``postings``: one document per posting; ``posting_versions``: one per
#: distinct content of a posting; ``crawl_runs``: one per run).
POSTINGS = "postings"
VERSIONS = "posting_versions"
RUNS = "crawl_runs"
#: One document per notification claimed (``failure:<run id>``, ``recovery:<run id>``), so that
#: runs finishing at once say each thing once (docs/operations.md).
NOTIFICATIONS = "notifications"
#: The database when ``MONGO_DATABASE`` is unset.
DEFAULT_DATABASE = "jobtracker"


def environment_uri() -> str | None:
    """``MONGO_URI``, or None when it is unset or empty."""
    return os.environ.get("MONGO_URI") or None


def environment_database() -> str:
    """``MONGO_DATABASE``, else :data:`DEFAULT_DATABASE`."""
    return os.environ.get("MONGO_DATABASE") or DEFAULT_DATABASE


def open_database(
    uri: str,
    name: str,
    *,
    timeout_ms: int = 3000,
    socket_timeout_ms: int | None = None,
    appname: str = "jobtracker-research",
) -> Database:
    """Connect (timezone-aware UTC) and check that the server answers; raises ``PyMongoError``.

    The short ``serverSelectionTimeoutMS`` makes an unreachable server fail fast;
    ``socket_timeout_ms`` bounds the wait for one answer (None: no bound, for long queries).
    A URI pymongo cannot read raises ``InvalidURI`` with a message that quotes no part of its
    credentials (pymongo's own may: ``Bad database name "ss@host/"``), never a ``ValueError``.
    """
    from pymongo import MongoClient
    from pymongo.errors import ConfigurationError, InvalidURI

    try:
        client: MongoClient = MongoClient(
            uri,
            tz_aware=True,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=socket_timeout_ms,
            appname=appname,
        )
    except (ConfigurationError, ValueError, TypeError) as exc:
        raise InvalidURI(f"bad MongoDB URI {redact(uri)}: {_uri_reason(uri, exc)}") from None
    try:
        client.admin.command("ping")
    except Exception:
        client.close()
        raise
    return client[name]


def _uri_reason(uri: str, error: Exception) -> str:
    """Why pymongo refused ``uri``, without quoting its credentials."""
    problem = userinfo_problem(uri)
    if problem:
        return problem
    if has_secret(uri):  # pymongo's message may quote a part of the URI: do not show it
        return "pymongo cannot read it (check the user name, password and options)"
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__
