"""More backfill faults against the simulated archive: a resume key the archive rejects, and
replays that hang."""

from __future__ import annotations

from tests.test_backfill_archive import run, stored, truth_of


def test_a_rejected_resume_key_lists_the_prefix_again(
    archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    archive_sim.faults(cdx_rate_per_min=0)
    # A cursor saved by an earlier run whose key the archive no longer accepts (400).
    mongo_db.archive_cursors.insert_one(
        {"_id": "wayback|amazon.jobs/en/jobs/||", "next": "not-a-key", "done": False}
    )
    result = run(archive_sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "wayback")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "rejected the resume key" in result.stderr
    assert stored(mongo_db) == {t for t in truth_of(archive_sim) if t[1] == "wayback"}


def test_replays_that_hang_time_out_stay_queued_and_the_next_run_fetches_them(
    start_archive_sim, mongo_uri, mongo_db, tmp_path
) -> None:
    sim = start_archive_sim(seed=11, captures=50)
    sim.faults(cdx_rate_per_min=0, replay_hang_s=3)
    settings = ("-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=0")
    result = run(sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "wayback", *settings)
    assert result.returncode == 0, result.stderr[-4000:]
    assert mongo_db.archive_sightings.count_documents({}) == 0
    queued = mongo_db.archive_captures.count_documents({"state": "listed", "attempts": 1})
    assert queued > 0
    sim.faults(cdx_rate_per_min=0, replay_hang_s=0)
    again = run(sim, mongo_uri, mongo_db, tmp_path, "run", "--archive", "wayback")
    assert again.returncode == 0, again.stderr[-4000:]
    assert stored(mongo_db) == {t for t in truth_of(sim) if t[1] == "wayback"}
