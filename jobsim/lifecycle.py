"""What the corporate and the hourly simulated worlds share: stable seeds and posting lifetimes.

Spans are half-open ``(start, end)`` day numbers; ``OPEN`` ends a span still open at the
horizon. Day 0 is the first simulated day; negative days are before it.
"""

from __future__ import annotations

import hashlib
import math
import random

OPEN = 1 << 40  # "end" of a span still open at the horizon

Spans = tuple[tuple[int, int], ...]


def mix(*parts: int | str) -> int:
    """A stable 64-bit integer from the parts (seeds per-posting RNGs)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def life_spans(
    rng: random.Random,
    start: int,
    horizon: int,
    *,
    remove_hazard: float,
    relist_prob: float,
    max_gap: int,
) -> Spans:
    """Spans from ``start`` on: geometric lifetimes (``remove_hazard`` a day), each followed by
    a relisting with ``relist_prob`` after 1 to ``max_gap`` days. Postings posted before day 0
    are live on day 0."""
    spans = []
    log_keep = math.log(1.0 - remove_hazard)
    s = start
    while True:
        e = max(s, 0) + 1 + int(math.log(1.0 - rng.random()) / log_keep)
        if e > horizon:
            spans.append((s, OPEN))
            break
        spans.append((s, e))
        if rng.random() >= relist_prob:
            break
        s = e + rng.randint(1, max_gap)
        if s > horizon:
            break
    return tuple(spans)


def span_covering(spans: Spans, day: int) -> tuple[int, int] | None:
    """The span that covers ``day``, if any."""
    for s, e in spans:
        if s <= day < e:
            return s, e
    return None
