"""Content hashes are a contract with every stored posting: a changed hash makes every posting
in the store look edited on its next sighting (a new version of each). So the snapshots of one
simulated day, both sources, run through the normalization pipelines, must hash exactly as
recorded in ``tests/fixtures/content_hashes.json``.

The fixture also records a digest of the whole snapshots (without their ``source`` field, which
every snapshot carries): a refactoring must not change what ``posting_versions`` stores either.
A deliberate change of the snapshot (not of the content hash) regenerates the fixture with
``python -m tests.test_content_hashes``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.utils.test import get_crawler

from jobsim.hourly import SITE_KEYS, HourlyWorld
from jobsim.world import World
from jobtracker.items import JobPosting
from jobtracker.pipelines import (
    CleanTextPipeline,
    DatesAndPayPipeline,
    LocationPipeline,
    RoleFamilyPipeline,
    ValidatePostingPipeline,
)
from jobtracker.sources import amazon_hourly, amazon_jobs
from jobtracker.store.content import content_hash, posting_id, posting_snapshot

FIXTURE = Path(__file__).parent / "fixtures" / "content_hashes.json"
SEEN_AT = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
CORPORATE_SIZE = 3000
HOURLY_SIZE = 600
SAMPLE = 12


def raw_postings() -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    """``(source, raw object as served, where it was listed)`` for day 0 of seed 1."""
    world = World(seed=1, size=CORPORATE_SIZE)
    board = world.board(0)
    for entry in sorted(board.relevant, key=lambda e: int(e.icims)):
        yield "amazon_jobs", json.loads(board.job_json(entry)), {}
    hourly = HourlyWorld(seed=1, size=HOURLY_SIZE)
    for site in SITE_KEYS:
        for idx, rev in hourly.board(site, 0):
            yield "amazon_hourly", json.loads(hourly.card_json(idx, rev)), {"site": site}


def corporate_item(raw: dict[str, Any], listing: dict[str, str], **context: Any) -> Any:
    return amazon_jobs.job_to_item(raw, base_url="https://www.amazon.jobs", **context)


def hourly_item(raw: dict[str, Any], listing: dict[str, str], **context: Any) -> Any:
    site = amazon_hourly.HOURLY_SITES[listing["site"]]
    return amazon_hourly.card_to_item(raw, site=site, origin=site.origin, **context)


#: How each source's spider makes an item of a raw object.
ITEM_OF = {"amazon_jobs": corporate_item, "amazon_hourly": hourly_item}


def item_of(source: str, raw: dict[str, Any], listing: dict[str, str]) -> JobPosting:
    item = ITEM_OF[source](raw, listing, run_id="fixture", partition="fixture", seen_at=SEEN_AT)
    assert item is not None
    return item


def snapshots() -> Iterator[tuple[str, dict[str, Any]]]:
    """``(posting id, snapshot)`` of every posting, through the normalization ladder."""
    crawler = get_crawler()
    ladder = [
        cls.from_crawler(crawler)
        for cls in (
            ValidatePostingPipeline,
            CleanTextPipeline,
            LocationPipeline,
            RoleFamilyPipeline,
            DatesAndPayPipeline,
        )
    ]
    for source, raw, listing in raw_postings():
        item = item_of(source, raw, listing)
        for pipeline in ladder:
            item = pipeline.process_item(item)
        data = dict(vars(item))
        yield posting_id(item.source, item.source_id), posting_snapshot(data)


def digests() -> dict[str, Any]:
    """Per source: the count, a digest of every ``posting id + content hash``, a digest of the
    snapshots (``source`` left out), and a sample of hashes to name what moved."""
    lines: dict[str, list[str]] = {}
    whole: dict[str, list[str]] = {}
    for pid, snapshot in snapshots():
        source = pid.split(":", 1)[0]
        lines.setdefault(source, []).append(f"{pid}\t{content_hash(snapshot)}")
        rest = {key: value for key, value in snapshot.items() if key != "source"}
        whole.setdefault(source, []).append(
            f"{pid}\t{json.dumps(rest, sort_keys=True, default=str, ensure_ascii=False)}"
        )
    result = {}
    for source in sorted(lines):
        ordered = sorted(lines[source])
        result[source] = {
            "postings": len(ordered),
            "content_hashes": _sha256(ordered),
            "snapshots": _sha256(sorted(whole[source])),
            "sample": dict(line.split("\t") for line in ordered[:SAMPLE]),
        }
    return result


def _sha256(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_content_hashes_of_a_simulated_day_are_unchanged() -> None:
    recorded = json.loads(FIXTURE.read_text())
    now = digests()
    assert sorted(now) == sorted(recorded) == ["amazon_hourly", "amazon_jobs"]
    for source, expected in recorded.items():
        got = now[source]
        assert got["postings"] == expected["postings"], source
        assert got["sample"] == expected["sample"], f"{source}: content hashes moved"
        assert got["content_hashes"] == expected["content_hashes"], f"{source}: a hash moved"
        assert got["snapshots"] == expected["snapshots"], f"{source}: the snapshots changed"


def test_every_snapshot_names_its_source() -> None:
    for pid, snapshot in snapshots():
        assert snapshot["source"] == pid.split(":", 1)[0]


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {FIXTURE}", file=sys.stderr)
