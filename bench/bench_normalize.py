"""Per-posting cost of the location, pay and date rules on the real-strings fixtures.

For each rule set: the first pass over the fixture's distinct strings in a fresh process (cold:
pycountry's tables and the ISO 3166-2 translations are loaded on first use) and the per-call
time of later passes (warm: the lru_caches hold the repeated strings, as in a crawl where a few
hundred distinct location and date strings cover 22,000 postings), and the share of region-naming
real location strings resolved to ISO 3166-2.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobtracker.normalize.dates import DATE_RULES_VERSION, parse_posted_date
from jobtracker.normalize.location import LOCATION_RULES_VERSION, normalize_locations
from jobtracker.normalize.pay import PAY_RULES_VERSION, parse_pay

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
REPEAT = 200


def _rows(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _timed(label: str, calls: list[Callable[[], Any]]) -> None:
    started = time.perf_counter()
    for call in calls:
        call()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(REPEAT):
        for call in calls:
            call()
    warm = (time.perf_counter() - started) / (REPEAT * len(calls))
    print(f"{label:<10} {len(calls):>4} strings  cold pass {cold * 1000:8.1f} ms  "
          f"warm {warm * 1e6:7.2f} us/call")  # fmt: skip


def main() -> None:
    locations = _rows("real_locations.csv")
    jobs = [
        {"normalized_location": row["raw"]}
        if row["field"] == "normalized_location"
        else {"location": row["raw"]}
        for row in locations
        if row["field"] != "card_state"
    ]
    pay = [row["text"] for row in _rows("real_pay_sentences.csv")]
    pay += [row["text"] for row in _rows("real_pay_fields.csv")]
    dates = [(row["text"], row["locale"]) for row in _rows("real_dates.csv")]
    print(f"rules: {LOCATION_RULES_VERSION} {PAY_RULES_VERSION} {DATE_RULES_VERSION}")
    _timed("locations", [lambda job=job: normalize_locations(job) for job in jobs])
    _timed("pay", [lambda text=text: parse_pay(text) for text in pay])
    _timed("dates", [lambda d=d: parse_posted_date(*d) for d in dates])
    naming = resolved = 0
    for row, job in zip((r for r in locations if r["field"] != "card_state"), jobs, strict=True):
        if row["subdivision"]:
            naming += int(row["count"])
            found = normalize_locations(job)
            if found and found[0].subdivision_code == row["subdivision"]:
                resolved += int(row["count"])
    print(f"region-naming real location strings resolved: {resolved}/{naming} "
          f"({100 * resolved / naming:.2f}%)")  # fmt: skip


if __name__ == "__main__":
    main()
