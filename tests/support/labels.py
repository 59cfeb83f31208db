"""The labelled set of real titles (tests/fixtures/role_family_labels.csv) and how the role-family
classifier scores on it: accuracy, coverage and confusions, overall and per group."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jobtracker.normalize import classify_role

LABELS = Path(__file__).resolve().parents[1] / "fixtures" / "role_family_labels.csv"
COLUMNS = [
    "title",
    "job_category",
    "country",
    "site",
    "year",
    "family",
    "also_acceptable",
    "source",
    "note",
]
#: Era buckets of the labelled titles, by the year they were seen.
ERAS = ((2011, 2016), (2017, 2020), (2021, 2023), (2024, 2026))


@dataclass(frozen=True)
class Label:
    """One real title and the families a careful reader accepts for it."""

    title: str
    job_category: str
    country: str
    site: str
    year: int | None
    family: str
    also_acceptable: str
    source: str
    note: str

    @property
    def accepted(self) -> set[str]:
        return {self.family, *filter(None, [self.also_acceptable])}

    @property
    def era(self) -> str:
        for low, high in ERAS:
            if self.year is not None and low <= self.year <= high:
                return f"{low}-{high}"
        return "unknown"


def load_labels(path: Path = LABELS) -> list[Label]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS, reader.fieldnames
        rows = list(reader)
    labels = []
    for row in rows:
        year = row["year"].strip()
        labels.append(
            Label(
                title=row["title"],
                job_category=row["job_category"].strip(),
                country=row["country"].strip(),
                site=row["site"].strip(),
                year=int(year) if year.isdigit() else None,
                family=row["family"].strip(),
                also_acceptable=row["also_acceptable"].strip(),
                source=row["source"].strip(),
                note=row["note"].strip(),
            )
        )
    return labels


def title_only(label: Label) -> str | None:
    """The family from the title alone (as archive pages and other boards give it)."""
    return classify_role(None, None, None, label.title).role_family


def with_category(label: Label) -> str | None:
    """The family as a crawl of the site gets it: Amazon's category first where known."""
    return classify_role(label.job_category or None, None, None, label.title).role_family


@dataclass
class Score:
    """Accuracy (right among all), coverage (any family) and the confusions of a group."""

    total: int = 0
    right: int = 0
    covered: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 1.0

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else 1.0


def score(
    labels: Iterable[Label],
    classify: Callable[[Label], str | None] = title_only,
    group: Callable[[Label], str] = lambda label: "all",
) -> dict[str, Score]:
    """Scores per group (``"all"`` by default)."""
    scores: dict[str, Score] = {}
    for label in labels:
        result = scores.setdefault(group(label), Score())
        got = classify(label)
        result.total += 1
        result.covered += got is not None
        if got in label.accepted:
            result.right += 1
        else:
            result.confusions[(label.family, got or "none")] += 1
            result.misses.append((label.title, label.family, got))
    return scores
