"""``jobtracker schedule --status``: recent jobs on every node with their ``crawl_runs`` record.

scrapyd knows which jobs are pending, running or finished (finished ones only until it
restarts or drops them past ``finished_to_keep``); ``crawl_runs`` (``_id`` = job id) knows how
each run ended and whether every partition was complete. The table joins the two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jobtracker.deploy.scrapyd import Job, ScrapydClient

if TYPE_CHECKING:
    import pandas as pd

STATE_ORDER = {"running": 0, "pending": 1, "finished": 2}
COLUMNS = ["node", "job", "state", "started", "ended", "run", "complete", "partitions", "postings"]


def recent_jobs(clients: Sequence[ScrapydClient], project: str, limit: int) -> list[Job]:
    """Running and pending jobs of every node, then the ``limit`` latest finished ones."""
    jobs = [job for client in clients for job in client.jobs(project)]
    active = [job for job in jobs if job.state != "finished"]
    finished = [job for job in jobs if job.state == "finished"]
    finished.sort(key=lambda job: job.end_time or "", reverse=True)
    active.sort(key=lambda job: (STATE_ORDER[job.state], job.start_time or "", job.id))
    return active + finished[:limit]


def _when(text: str | None) -> str:
    """scrapyd's ``2026-07-30 06:15:00.123456`` to the second."""
    return (text or "").split(".")[0]


def job_row(job: Job, run: Mapping[str, Any] | None) -> dict[str, Any]:
    """One table row: the scrapyd job and what its run recorded."""
    row: dict[str, Any] = {
        "node": urlsplit(job.node).netloc or job.node,
        "job": job.id,
        "state": job.state,
        "started": _when(job.start_time),
        "ended": _when(job.end_time),
        "run": "",
        "complete": "",
        "partitions": "",
        "postings": "",
    }
    if run is None:
        row["run"] = "(no crawl_runs record)" if job.state != "pending" else ""
        return row
    partitions = run.get("partitions") or []
    stats = run.get("stats") or {}
    row["run"] = run.get("finish_reason") or "(running)"
    if run.get("finished_at") is not None:
        row["complete"] = "yes" if run.get("complete") else "NO"
        done = sum(bool(p.get("complete")) for p in partitions)
        row["partitions"] = f"{done}/{len(partitions)}"
    seen = stats.get("jobtracker/postings/unique")
    row["postings"] = "" if seen is None else str(seen)
    return row


def status_frame(jobs: Sequence[Job], runs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The status table as a DataFrame (columns :data:`COLUMNS`)."""
    import pandas as pd

    return pd.DataFrame([job_row(job, runs.get(job.id)) for job in jobs], columns=COLUMNS)
