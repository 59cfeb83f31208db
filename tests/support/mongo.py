"""Pytest plugin: a MongoDB for tests.

``mongo_uri`` (session): ``$MONGO_URI`` if set, else an in-memory mongo-java-server started by
the test session itself (built with Maven on first use) and stopped at its end.
``mongo_db`` (function): a database with a unique name on that server, dropped afterwards.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from jobsim.mongo_test_server import MongoTestServer, MongoTestServerError, ensure_jar, start


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI of the MongoDB the tests use: ``$MONGO_URI``, or a server started for this session."""
    external = os.environ.get("MONGO_URI")
    if external:
        yield external
        return
    log_path = tmp_path_factory.mktemp("mongo") / "mongo-test-server.log"
    try:
        server = start(port=0, log_path=log_path, jar=ensure_jar())
    except MongoTestServerError as exc:
        error = str(exc)
    else:
        with server:
            yield server.uri
        return
    pytest.fail(f"cannot start the MongoDB test server: {error}", pytrace=False)


@pytest.fixture
def mongo_db(mongo_uri: str) -> Iterator[Database]:
    """A fresh database (``test_<8 hex>``) on ``mongo_uri``, tz-aware; dropped after the test."""
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=10_000)
    name = f"test_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        try:
            client.drop_database(name)
        finally:
            client.close()


@pytest.fixture
def frozen_store(tmp_path: Path) -> Iterator[MongoTestServer]:
    """A MongoDB test server of the test's own, which it may freeze (SIGSTOP) and thaw."""
    server = start(port=0, log_path=tmp_path / "mongo.log", jar=ensure_jar())
    try:
        yield server
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.stop()
