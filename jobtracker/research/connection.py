"""Where the research interface finds MongoDB: ``MONGO_URI`` / ``MONGO_DATABASE`` by default."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from jobtracker.redaction import redact

__all__ = ["FALLBACK_URI", "TIMEOUT_MS", "connect", "default_database", "default_uri", "redact"]

if TYPE_CHECKING:
    from pymongo.database import Database

#: Used when neither an argument nor ``MONGO_URI`` names a server.
FALLBACK_URI = "mongodb://127.0.0.1:27017/"
#: Seconds to wait for the server before saying it is unreachable.
TIMEOUT_MS = 3000


def default_uri() -> str:
    return os.environ.get("MONGO_URI") or FALLBACK_URI


def default_database() -> str:
    return os.environ.get("MONGO_DATABASE") or "jobtracker"


def connect(
    uri: str | None = None, database: str | None = None, *, timeout_ms: int | None = None
) -> Database:
    """The jobtracker database (timezone-aware), after checking that the server answers.

    Raises ``pymongo.errors.PyMongoError`` (``ServerSelectionTimeoutError`` when unreachable,
    ``ConfigurationError``/``InvalidURI`` for a bad URI).
    """
    from jobtracker.store.queries import open_database

    return open_database(
        uri or default_uri(), database or default_database(), timeout_ms=timeout_ms or TIMEOUT_MS
    )
