"""The MongoDB test server (mongo-java-server) speaks enough real MongoDB for the store."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo import ASCENDING, InsertOne, MongoClient, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from jobsim import mongo_test_server
from jobsim.mongo_test_server import MongoTestServerError, ensure_jar, start

UTC = dt.UTC


@pytest.fixture(scope="module")
def server_jar() -> Path:
    """The launcher jar (built on first use); a readable failure if it cannot be built."""
    try:
        return ensure_jar()
    except MongoTestServerError as exc:
        error = str(exc)
    pytest.fail(f"cannot build the MongoDB test server: {error}", pytrace=False)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_launcher_reports_mongodb_7_and_stops_cleanly(tmp_path: Path, server_jar: Path) -> None:
    log = tmp_path / "server.log"
    with start(port=0, log_path=log, jar=server_jar) as server:
        assert server.running
        assert server.pid > 0
        assert server.port > 0
        assert server.uri == f"mongodb://127.0.0.1:{server.port}/"
        client: MongoClient = MongoClient(server.uri, serverSelectionTimeoutMS=5_000)
        try:
            info = client.server_info()
            assert info["version"].startswith("7.0.")
            assert info["versionArray"][:2] == [7, 0]
            assert client.admin.command("isMaster")["maxWireVersion"] == 17
            (description,) = client.topology_description.server_descriptions().values()
            assert description.max_wire_version == 17
        finally:
            client.close()
    assert not server.running
    assert not _port_open(server.port)


def test_server_exits_when_its_parent_goes_away(server_jar: Path) -> None:
    """A test process that dies without cleanup (SIGKILL) must not leave a server behind."""
    server = start(port=0, jar=server_jar)
    try:
        assert server.process.stdin is not None
        server.process.stdin.close()  # what the kernel does when the parent dies
        assert server.process.wait(10) == 0
    finally:
        server.stop()


def test_ensure_jar_reports_a_missing_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(mongo_test_server.JAR_ENV, str(tmp_path / "nope.jar"))
    with pytest.raises(MongoTestServerError, match="does not exist"):
        ensure_jar()


def test_update_one_upsert_inserts_then_updates(mongo_db: Database) -> None:
    jobs = mongo_db.jobs
    seen = dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    later = dt.datetime(2024, 5, 2, 12, 0, tzinfo=UTC)

    first = jobs.update_one(
        {"job_id": "J1"},
        {"$set": {"title": "SDE", "last_seen": seen}, "$setOnInsert": {"first_seen": seen}},
        upsert=True,
    )
    assert first.matched_count == 0
    assert first.upserted_id is not None

    second = jobs.update_one(
        {"job_id": "J1"},
        {"$set": {"title": "SDE II", "last_seen": later}, "$setOnInsert": {"first_seen": later}},
        upsert=True,
    )
    assert second.matched_count == 1
    assert second.modified_count == 1
    assert second.upserted_id is None

    docs = list(jobs.find({}, {"_id": 0}))
    assert docs == [{"job_id": "J1", "title": "SDE II", "last_seen": later, "first_seen": seen}]
    assert jobs.find_one({"job_id": "J1"})["_id"] == first.upserted_id


def test_bulk_write_of_upserts(mongo_db: Database) -> None:
    jobs = mongo_db.jobs
    jobs.insert_one({"job_id": "J0", "title": "old"})
    ops = [
        UpdateOne({"job_id": f"J{i}"}, {"$set": {"title": f"t{i}"}}, upsert=True) for i in range(4)
    ]
    result = jobs.bulk_write(ops, ordered=False)

    assert result.upserted_count == 3
    assert result.matched_count == 1
    assert result.modified_count == 1
    assert sorted(result.upserted_ids) == [1, 2, 3]
    by_id = {doc["job_id"]: doc for doc in jobs.find()}
    assert {k: v["title"] for k, v in by_id.items()} == {f"J{i}": f"t{i}" for i in range(4)}
    for index, _id in result.upserted_ids.items():
        assert by_id[f"J{index}"]["_id"] == _id

    again = jobs.bulk_write(ops, ordered=False)
    assert (again.upserted_count, again.matched_count, again.modified_count) == (0, 4, 0)
    assert jobs.count_documents({}) == 4


def test_unique_index_rejects_duplicates(mongo_db: Database) -> None:
    jobs = mongo_db.jobs
    name = jobs.create_index([("source", ASCENDING), ("job_id", ASCENDING)], unique=True)
    assert mongo_db.jobs.index_information()[name]["unique"] is True

    jobs.insert_one({"source": "amazon", "job_id": "J1"})
    jobs.insert_one({"source": "other", "job_id": "J1"})  # other half of the key differs
    with pytest.raises(DuplicateKeyError) as excinfo:
        jobs.insert_one({"source": "amazon", "job_id": "J1"})
    assert excinfo.value.code == 11000

    with pytest.raises(BulkWriteError) as bulk_exc:
        jobs.bulk_write(
            [
                InsertOne({"source": "amazon", "job_id": "J2"}),
                InsertOne({"source": "amazon", "job_id": "J1"}),
                InsertOne({"source": "amazon", "job_id": "J3"}),
            ],
            ordered=False,
        )
    errors = bulk_exc.value.details["writeErrors"]
    assert [(e["index"], e["code"]) for e in errors] == [(1, 11000)]
    # Unordered: the writes around the failing one still happen. (Do not trust
    # details["nInserted"] here: mongo-java-server counts the failed document too.)
    assert sorted(d["job_id"] for d in jobs.find({"source": "amazon"})) == ["J1", "J2", "J3"]
    assert jobs.count_documents({}) == 4


def test_aggregation_match_unwind_group_sort(mongo_db: Database) -> None:
    mongo_db.jobs.insert_many(
        [
            {"job_id": "1", "country": "US", "open": True, "tags": ["python", "aws"]},
            {"job_id": "2", "country": "US", "open": True, "tags": ["java"]},
            {"job_id": "3", "country": "DE", "open": True, "tags": ["python"]},
            {"job_id": "4", "country": "DE", "open": False, "tags": ["python", "java"]},
            {"job_id": "5", "country": "IN", "open": True, "tags": []},
        ]
    )
    by_country = list(
        mongo_db.jobs.aggregate(
            [
                {"$match": {"open": True}},
                {"$group": {"_id": "$country", "n": {"$sum": 1}, "ids": {"$push": "$job_id"}}},
                {"$sort": {"n": -1, "_id": 1}},
            ]
        )
    )
    assert by_country == [
        {"_id": "US", "n": 2, "ids": ["1", "2"]},
        {"_id": "DE", "n": 1, "ids": ["3"]},
        {"_id": "IN", "n": 1, "ids": ["5"]},
    ]

    by_tag = list(
        mongo_db.jobs.aggregate(
            [
                {"$match": {"open": True}},
                {"$unwind": "$tags"},
                {"$group": {"_id": "$tags", "n": {"$sum": 1}}},
                {"$sort": {"n": -1, "_id": 1}},
            ]
        )
    )
    assert by_tag == [{"_id": "python", "n": 2}, {"_id": "aws", "n": 1}, {"_id": "java", "n": 1}]


def test_tz_aware_datetimes_round_trip_as_utc(mongo_db: Database) -> None:
    cest = dt.timezone(dt.timedelta(hours=2))
    posted = dt.datetime(2024, 6, 30, 23, 30, 15, 123456, tzinfo=cest)
    mongo_db.jobs.insert_one({"job_id": "J1", "posted": posted})

    doc = mongo_db.jobs.find_one({"job_id": "J1"})
    stored = doc["posted"]
    assert stored.utcoffset() == dt.timedelta(0)
    # BSON dates keep milliseconds; the instant is preserved, expressed in UTC.
    assert stored == posted.replace(microsecond=123000)
    assert (stored.year, stored.month, stored.day, stored.hour) == (2024, 6, 30, 21)
    assert (
        mongo_db.jobs.count_documents(
            {"posted": {"$gte": dt.datetime(2024, 6, 30, 21, tzinfo=UTC)}}
        )
        == 1
    )
    assert (
        mongo_db.jobs.count_documents(
            {"posted": {"$gte": dt.datetime(2024, 6, 30, 22, tzinfo=UTC)}}
        )
        == 0
    )


def test_cli_background_start_status_stop(tmp_path: Path, server_jar: Path) -> None:
    state_dir = tmp_path / "state"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "jobsim.mongo_test_server",
                *args,
                "--state-dir",
                str(state_dir),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    started = cli("start", "--port", "0")
    assert started.returncode == 0, started.stderr
    uri_lines = [line for line in started.stdout.splitlines() if line.startswith("MONGO_URI=")]
    assert len(uri_lines) == 1
    uri = uri_lines[0].removeprefix("MONGO_URI=")
    assert uri.startswith("mongodb://127.0.0.1:")
    assert f"export MONGO_URI={uri}" in started.stdout
    assert (state_dir / "uri").read_text().strip() == uri
    try:
        again = cli("start", "--port", "0")
        assert again.returncode == 0
        assert "already running" in again.stdout
        assert f"MONGO_URI={uri}" in again.stdout

        status = cli("status")
        assert status.returncode == 0
        assert uri in status.stdout

        client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=5_000)
        try:
            assert client.server_info()["version"].startswith("7.0.")
        finally:
            client.close()
    finally:
        stopped = cli("stop")
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    port = int(uri.rstrip("/").rsplit(":", 1)[1])
    assert not _port_open(port)

    assert "not running" in cli("stop").stdout
    not_running = cli("status")
    assert not_running.returncode == 1
    assert "not running" in not_running.stdout
