"""`jobtracker backfill calibrate` over a real MongoDB: the share of live-open postings with an
archive sighting in the same week, counted by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from jobtracker.store.archive import calibrate

MON = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def at(day: int, hour: int = 12) -> datetime:
    return MON.replace(day=MON.day + day, hour=hour)


def test_calibration_counts_posting_weeks_open_live_and_sighted(mongo_db) -> None:
    # Week 1 (Mar 2-8): a, b, c open live; b sighted. Week 2 (Mar 9-15): a, c open (b closed
    # on Mar 6), a and b sighted (b is not open: not counted); d opened after the weeks.
    mongo_db.postings.insert_many(
        [
            {
                "_id": "amazon_jobs:a",
                "country_code": "USA",
                "spans": [{"from": at(0), "to": None}],
                "last_seen_at": at(12),
            },
            {
                "_id": "amazon_jobs:b",
                "country_code": "USA",
                "spans": [{"from": at(1), "to": at(4)}],
                "last_seen_at": at(4),
            },
            {
                "_id": "amazon_jobs:c",
                "country_code": "IND",
                "spans": [{"from": at(6), "to": None}],
                "last_seen_at": at(13),
            },
            {
                "_id": "amazon_jobs:d",
                "country_code": "IND",
                "spans": [{"from": at(20), "to": None}],
                "last_seen_at": at(21),
            },
        ]
    )
    mongo_db.archive_sightings.insert_many(
        [
            {"_id": "w|1", "posting_id": "amazon_jobs:b", "captured_at": at(3)},
            {"_id": "w|2", "posting_id": "amazon_jobs:a", "captured_at": at(8)},
            {"_id": "w|3", "posting_id": "amazon_jobs:b", "captured_at": at(9)},
            {"_id": "w|4", "posting_id": "amazon_jobs:a", "captured_at": at(10)},
        ]
    )
    result = calibrate(mongo_db, by="country_code")
    assert result["weeks"] == 2
    assert result["groups"] == [
        {"country_code": "IND", "open_posting_weeks": 2, "sighted": 0, "share": 0.0},
        {"country_code": "USA", "open_posting_weeks": 3, "sighted": 2, "share": 2 / 3},
    ]
    assert result["all"] == {"open_posting_weeks": 5, "sighted": 2, "share": 0.4}
