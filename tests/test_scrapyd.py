"""Deployment: the project egg on a real scrapyd (from PyPI), scheduled like cron would.

The egg is built as scrapyd-deploy builds it (``setup.py bdist_egg``, by
``jobtracker.deploy.egg``), holds the ``jobtracker`` package only, and reads its data files
from inside the zip. It is uploaded to a scrapyd started on 127.0.0.1 with a temporary
configuration and authentication on; a keyword crawl of the simulator scheduled with
``schedule.json`` is stored in MongoDB under scrapyd's job id.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from jobtracker.deploy.egg import build_egg, project_checkout, upload_egg
from jobtracker.deploy.nodes import Node
from jobtracker.deploy.scrapyd import ScrapydClient
from tests.support.scrapyd import ScrapydServer

AUTH = ("crawler", "s3cret")


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[ScrapydServer]:
    """scrapyd on a free loopback port, basic auth on, files in ``tmp_path``."""
    with ScrapydServer(tmp_path / "scrapyd", auth=AUTH) as server:
        yield server


@pytest.fixture(scope="module")
def egg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project egg, built once for this module."""
    return build_egg(project_checkout(), tmp_path_factory.mktemp("dist"))


def test_the_egg_holds_the_package_only_and_reads_its_data_from_the_zip(egg: Path) -> None:
    names = zipfile.ZipFile(egg).namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith("EGG-INFO/")}
    assert packages == {"jobtracker"}, packages
    assert "jobtracker/normalize/role_families.json" in names
    assert not any(name.startswith("tests/") or "/tests/" in name for name in names)
    # A fresh interpreter that finds jobtracker in the egg first, as scrapyd's runner does.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import jobtracker.normalize.role_family as m; "
        "assert m.__file__.startswith(sys.argv[1]), m.__file__; "
        "print(m.CLASSIFIER_VERSION, len(m.ROLE_FAMILIES))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe, str(egg)], cwd=egg.parent, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.split()[1] != "0"


def test_egg_deploys_and_a_scheduled_crawl_stores_its_run(
    scrapyd: ScrapydServer, egg: Path, sim, mongo_uri: str, tmp_path: Path
) -> None:
    client = ScrapydClient(Node(scrapyd.url, *AUTH))
    assert upload_egg(client, "jobtracker", "1", egg) >= 1
    assert "amazon_jobs" in scrapyd.call("listspiders.json?project=jobtracker")["spiders"]

    database = f"scrapyd_{uuid.uuid4().hex[:8]}"
    job = "cron-rekognition-1"
    scheduled = client.schedule(
        "jobtracker", "amazon_jobs", job,
        [("query", "Rekognition"), ("base_url", sim.url)],
        [
            ("MONGO_URI", mongo_uri), ("MONGO_DATABASE", database),
            ("AUTOTHROTTLE_ENABLED", "False"), ("DOWNLOAD_DELAY", "0"),
            ("JOBTRACKER_VAR_DIR", str(tmp_path / "var")),
        ],
    )  # fmt: skip
    assert scheduled == job

    deadline = time.monotonic() + 180
    while not any(j["id"] == job for j in scrapyd.jobs()["finished"]):
        assert time.monotonic() < deadline, scrapyd.jobs()
        time.sleep(0.5)

    client_db = MongoClient(mongo_uri, tz_aware=True)
    try:
        run = client_db[database].crawl_runs.find_one({"_id": job})
        assert run is not None, "the run is stored under scrapyd's job id"
        assert run["finish_reason"] == "finished" and run["keyword_run"] is True
        expected = {
            t["id_icims"] for t in sim.truth(jobs=True)
            if "rekognition" in json.dumps(t["job"]).lower()
        }  # fmt: skip
        stored = set(client_db[database].postings.distinct("source_id"))
        assert stored == expected
        # The role-family taxonomy (a data file of the package) was read inside the egg.
        classified = client_db[database].postings.find_one(
            {"role_family.classifier_version": {"$exists": True}}
        )
        assert classified is not None, client_db[database].postings.find_one()
    finally:
        client_db.drop_database(database)
        client_db.close()
