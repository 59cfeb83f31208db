"""Role families on the labelled set of real titles: accuracy and coverage, per source and era.

Reads tests/fixtures/role_family_labels.csv (real titles from public scraped datasets and
fixtures, labelled by the taxonomy's definitions; sources in role_family_labels.md). For each
title: the family from the title alone (as archive pages and other boards give it) and with
Amazon's job_category where the row has one (as a crawl of the site gets it). A title is right
when the family is its label or its also-acceptable family; covered when it gets any family.
Prints the figures overall, per site, per era, per source, the worst confusions, and the time
per classification (uncached).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobtracker.normalize import CLASSIFIER_VERSION
from jobtracker.normalize import role_family as rf
from tests.support.labels import Score, load_labels, score, title_only, with_category


def line(name: str, result: Score) -> str:
    return (f"  {name:<44} {result.total:>5}  {result.accuracy:>7.1%}  "
            f"{result.coverage:>7.1%}")  # fmt: skip


def main() -> None:
    labels = load_labels()
    print(f"Role families ({CLASSIFIER_VERSION}) on {len(labels):,} labelled real titles")
    for name, classify in (("title alone", title_only), ("with job_category", with_category)):
        print(f"\n{name}:  {'group':<38} {'titles':>6}  {'accuracy':>8}  {'coverage':>8}")
        print(line("all", score(labels, classify)["all"]))
        groupings = {
            "site": lambda label: label.site,
            "era": lambda label: label.era,
            "source": lambda label: label.source.split(":")[0][:38],
        }
        for grouping, key in groupings.items():
            for group, result in sorted(score(labels, classify, key).items()):
                print(line(f"{grouping} {group}", result))
    result = score(labels, title_only)["all"]
    print("\nWorst confusions (title alone; label -> got):")
    for (want, got), n in result.confusions.most_common(12):
        examples = [title for title, w, g in result.misses if (w, g or "none") == (want, got)]
        print(f"  {n:>3}  {want} -> {got}: {'; '.join(examples[:3])}")
    titles = [label.title for label in labels]
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        rf._classify.cache_clear()
        rf._classify_raw.cache_clear()
        rf._EXPANDER.expand.cache_clear()
        for title in titles:
            rf.classify_role(None, None, None, title)
    per = (time.perf_counter() - started) / (rounds * len(titles))
    print(f"\nClassification from the title, uncached: {per * 1e6:.0f} µs a title")


if __name__ == "__main__":
    main()
