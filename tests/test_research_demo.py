"""``jobtracker demo`` end to end, tiny: 3 simulated days of an 800-posting board.

Without ``$MONGO_URI`` the demo starts (and stops) its own MongoDB test server; with it, it
uses that server. Either way it writes into its own database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid

from pymongo import MongoClient

from jobtracker.cli import main


def test_demo_crawls_simulated_days_and_charts_rekognition(tmp_path, capsys) -> None:
    png = tmp_path / "demo.png"
    database = f"test_demo_{uuid.uuid4().hex[:8]}"
    try:
        code = main(
            ["demo", "--days", "3", "--size", "800", "--plot", str(png), "--database", database]
        )
    finally:
        if os.environ.get("MONGO_URI"):
            with MongoClient(os.environ["MONGO_URI"]) as client:
                client.drop_database(database)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "day 1/3 (2026-07-01): 800 postings, 800 new" in out
    assert "day 3/3 (2026-07-03)" in out
    assert "Open postings mentioning 'Rekognition'" in out and "by country" in out
    assert "2026-06-29" in out  # the week of the simulated start (a Wednesday)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert f"Chart written to {png}" in out


def test_demo_rejects_bad_sizes(capsys) -> None:
    assert main(["demo", "--days", "0"]) == 2
    assert "--days must be between 1 and" in capsys.readouterr().err
