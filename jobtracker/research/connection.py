"""Where the research interface finds MongoDB: ``MONGO_URI`` / ``MONGO_DATABASE`` by default,
read as everywhere in jobtracker (:mod:`jobtracker.store.connection`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobtracker.redaction import redact
from jobtracker.store.connection import environment_database, environment_uri

__all__ = ["TIMEOUT_MS", "connect", "default_database", "default_uri", "redact"]

if TYPE_CHECKING:
    from pymongo.database import Database

#: Seconds to wait for the server before saying it is unreachable.
TIMEOUT_MS = 3000
#: What a command says when nothing names a server.
NO_SERVER = (
    "no MongoDB given: pass --mongo-uri or set MONGO_URI (`make mongo` starts a local test server)"
)


def default_uri() -> str | None:
    """``MONGO_URI`` (None when unset: the research interface guesses no server)."""
    return environment_uri()


def default_database() -> str:
    return environment_database()


def connect(
    uri: str | None = None, database: str | None = None, *, timeout_ms: int | None = None
) -> Database:
    """The jobtracker database (timezone-aware), after checking that the server answers.

    Raises ``ValueError`` when neither ``uri`` nor ``MONGO_URI`` names a server, and
    ``pymongo.errors.PyMongoError`` (``ServerSelectionTimeoutError`` when unreachable,
    ``ConfigurationError``/``InvalidURI`` for a bad URI).
    """
    from jobtracker.store.connection import open_database

    uri = uri or default_uri()
    if not uri:
        raise ValueError(NO_SERVER)
    return open_database(uri, database or default_database(), timeout_ms=timeout_ms or TIMEOUT_MS)
