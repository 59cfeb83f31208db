"""A simulated crawl history, written straight into MongoDB in the documented schema.

Crawling a simulated year day by day takes hours; research benchmarks and scale tests need the
store such a year leaves behind, not the crawls. :func:`generate` draws, from a seed, what daily
complete runs of the corporate board would have seen: every posting's sighting days and its
content revisions (texts from the simulator's phrase banks, with the tracked phrases
"Rekognition", "computer vision" and "facial recognition" added and dropped by edits; job
categories, and so role families, that change; postings that move to another country).
:func:`documents` turns one posting's truth into the ``postings`` and ``posting_versions``
documents the crawler writes for it (docs/store.md), by the lifecycle rules: a posting missed
by one run stays open (``missing_since``), two misses on different days close it at the first
miss (its span ends at the last sighting), and a posting seen again is reopened in a new span.
:func:`write_history` writes them in bulk, with one finished run per day.

The truth is kept in plain terms (days and contents) so that tests can count from it without
reading the store: day ``d``'s run starts at ``START + d days + 06:00`` and sees a posting at
its own minute past the hour.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jobsim import catalog as cat
from jobsim import phrases

#: Day 0 of a simulated history (UTC midnight).
START = datetime(2025, 7, 1, tzinfo=UTC)
RUN_HOUR = 6
SOURCE = "amazon_jobs"
#: Mean lifetime of a posting in days; arrivals keep the board about its size.
MEAN_LIFE = 275.0
#: Chance that a posting is found edited on one of its sighting days (about 0.7 edits a life).
EDIT_RATE = 0.0025
_LOG_KEEP = math.log(1.0 - EDIT_RATE)
#: The tracked phrases and the sentences that put them into a description.
MENTIONS: dict[str, tuple[str, ...]] = {
    "rekognition": phrases.MENTION_REKOGNITION,
    "computer vision": phrases.MENTION_CV,
    "facial recognition": phrases.MENTION_FACIAL,
}
#: Chance that a new posting mentions each phrase.
MENTION_SHARE = {"rekognition": 0.02, "computer vision": 0.04, "facial recognition": 0.005}
#: Countries of the board (the simulator's most frequent ones).
COUNTRIES = cat.COUNTRIES[:15]


@dataclass(frozen=True, slots=True)
class Content:
    """What the site served for one revision of a posting (the plain texts, as stored)."""

    title: str
    job_category: str
    job_family: str
    business_category: str
    country_code: str
    location: str
    description: str
    basic: str
    preferred: str
    posted: date
    mentions: frozenset[str] = frozenset()


@dataclass(slots=True)
class PostingTruth:
    """One posting: the days a run saw it and its revisions ``(first day, content)``."""

    number: int
    minute: int
    seen: list[int]
    revisions: list[tuple[int, Content]] = field(default_factory=list)

    @property
    def source_id(self) -> str:
        return str(10_000_000 + self.number)

    @property
    def pid(self) -> str:
        return f"{SOURCE}:{self.source_id}"

    def content_on(self, day: int) -> Content | None:
        """The content of the last revision first seen on or before ``day``."""
        current = None
        for first, content in self.revisions:
            if first > day:
                break
            current = content
        return current


def run_start(day: int) -> datetime:
    """When the run of ``day`` started."""
    return START + timedelta(days=day, hours=RUN_HOUR)


def sighting(day: int, minute: int) -> datetime:
    """When the run of ``day`` saw a posting (runs take under an hour)."""
    return run_start(day) + timedelta(minutes=minute)


def run_id(day: int) -> str:
    return f"day{day}"


# -- drawing the truth --------------------------------------------------------------------------


class _Drafter:
    """Draws contents and their edits from the simulator's catalog and phrase banks."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.categories = [jc for jc in cat.JOB_CATEGORIES if jc.group in phrases.GROUPS]
        self.business = [name for name, *_ in cat.BUSINESS_CATEGORIES[:20]]
        self.country_weights = [c.weight for c in COUNTRIES]

    def country(self) -> tuple[str, str]:
        country = self.rng.choices(COUNTRIES, weights=self.country_weights)[0]
        city = self.rng.choice(country.cities)
        parts = [country.alpha2, *([city.region] if city.region else []), city.name]
        return country.alpha3, ", ".join(parts)

    def sentences(self, group: str, kind: str, lo: int, hi: int) -> list[str]:
        bank = phrases.GROUPS[group][kind]
        picked = self.rng.sample(bank, min(len(bank), self.rng.randint(lo, hi)))
        fill = {"{product}": "Amazon", "{org}": "Amazon", "{city}": ""}
        out = []
        for sentence in picked:
            for key, value in fill.items():
                sentence = sentence.replace(key, value)
            out.append(sentence)
        return out

    def texts(self, group: str, mentions: frozenset[str]) -> tuple[str, str, str]:
        intro = self.sentences(group, "intro", 3, 5)
        for phrase in sorted(mentions):
            intro.insert(self.rng.randint(1, len(intro)), self.rng.choice(MENTIONS[phrase]))
        resp = self.sentences(group, "resp", 5, 9)
        day = self.sentences(group, "day", 2, 4)
        team = self.sentences(group, "team", 2, 4)
        description = "\n".join(
            [
                " ".join(intro),
                "Key job responsibilities",
                *(f"• {r}" for r in resp),
                "A day in the life",
                " ".join(day),
                "About the team",
                " ".join(team),
            ]
        )
        basic = "\n".join(f"- {s}" for s in self.sentences(group, "basic", 3, 5))
        preferred = "\n".join(f"- {s}" for s in self.sentences(group, "pref", 3, 5))
        return description, basic, preferred

    def first(self, posted: date) -> Content:
        jc = self.rng.choice(self.categories)
        country, location = self.country()
        mentions = frozenset(p for p, share in MENTION_SHARE.items() if self.rng.random() < share)
        description, basic, preferred = self.texts(jc.group, mentions)
        return Content(
            title=self.rng.choice(jc.titles),
            job_category=jc.name,
            job_family=self.rng.choice(jc.families),
            business_category=self.rng.choice(self.business),
            country_code=country,
            location=location,
            description=description,
            basic=basic,
            preferred=preferred,
            posted=posted,
            mentions=mentions,
        )

    def edit(self, old: Content) -> Content:
        """A text edit (which may add or drop a tracked phrase), a new job category, or a move
        to another country; every edit changes the content."""
        roll = self.rng.random()
        if roll < 0.15:
            jc = self.rng.choice([c for c in self.categories if c.name != old.job_category])
            return replace(old, job_category=jc.name, job_family=self.rng.choice(jc.families),
                           title=self.rng.choice(jc.titles))  # fmt: skip
        if roll < 0.3:
            country, location = self.country()
            while country == old.country_code:
                country, location = self.country()
            return replace(old, country_code=country, location=location)
        mentions = set(old.mentions)
        if mentions and self.rng.random() < 0.5:  # a posting that mentions one may drop it
            mentions.discard(self.rng.choice(sorted(mentions)))
        elif self.rng.random() < 0.35:
            mentions.symmetric_difference_update({self.rng.choice(sorted(MENTIONS))})
        group = cat.JOB_CATEGORY_BY_NAME[old.job_category].group
        description, basic, preferred = self.texts(group, frozenset(mentions))
        if (description, basic, preferred) == (old.description, old.basic, old.preferred):
            description += " "
        return replace(old, description=description, basic=basic, preferred=preferred,
                       mentions=frozenset(mentions))  # fmt: skip


def _edit_days(rng: random.Random, seen: list[int]) -> list[int]:
    """The sighting days (never the first) on which a posting was found edited: each with
    chance ``EDIT_RATE``, drawn as geometric gaps."""
    out = []
    k = 0
    while True:
        k += 1 + int(math.log(1.0 - rng.random()) / _LOG_KEEP)
        if k >= len(seen):
            return out
        out.append(seen[k])


def generate(days: int, board: int = 22_000, seed: int = 1) -> Iterator[PostingTruth]:
    """What ``days`` daily complete runs saw of a board of about ``board`` open postings.

    The board of day 0, then about ``board / MEAN_LIFE`` new postings a day; lifetimes are
    exponential (mean ``MEAN_LIFE`` days). 3% of postings are missed by one run once (they stay
    open); 5% of those that end come back after a pause of at least three days. Postings come
    in order of first sighting.
    """
    rng = random.Random(seed)
    drafter = _Drafter(rng)
    daily = board / MEAN_LIFE
    low, high = int(daily * 0.75), int(daily * 1.25)
    arrivals = [0] * board + [day for day in range(1, days) for _ in range(rng.randint(low, high))]
    for number, first in enumerate(arrivals, start=1):
        last = first + int(rng.expovariate(1 / MEAN_LIFE))
        seen = list(range(first, min(last, days - 1) + 1))
        if last < days - 3 and rng.random() < 0.05:
            back = last + 3 + int(rng.expovariate(1 / 20))
            end = back + int(rng.expovariate(1 / 60))
            seen += range(back, min(end, days - 1) + 1)
        if len(seen) > 3 and rng.random() < 0.03:
            seen.pop(rng.randrange(1, len(seen) - 1))
        posted = (START + timedelta(days=first - (rng.randrange(60) if first == 0 else 0))).date()
        content = drafter.first(posted)
        posting = PostingTruth(number, rng.randrange(50), seen, [(seen[0], content)])
        for day in _edit_days(rng, seen):
            content = drafter.edit(content)
            posting.revisions.append((day, content))
        yield posting


# -- the documents the crawler writes --------------------------------------------------------


def _role_family(content: Content) -> dict[str, Any]:
    from jobtracker.normalize import classify_role

    return classify_role(
        content.job_category, content.job_family, content.business_category, content.title
    ).as_dict()


def snapshot(posting: PostingTruth, content: Content) -> dict[str, Any]:
    """A version's ``snapshot`` (docs/store.md), with the HTML as served."""
    html = {name: "<p>" + text.replace("\n", "<br/>") + "</p>"
            for name, text in (("description_html", content.description),
                               ("basic_qualifications_html", content.basic),
                               ("preferred_qualifications_html", content.preferred))}  # fmt: skip
    posted = datetime(content.posted.year, content.posted.month, content.posted.day, tzinfo=UTC)
    return {
        "source": SOURCE,
        "title": content.title,
        "url": f"https://www.amazon.jobs/en/jobs/{posting.source_id}/x",
        **html,
        "job_category": content.job_category,
        "job_family": content.job_family,
        "business_category": content.business_category,
        "team": None,
        "company_name": "Amazon.com Services LLC",
        "schedule_type": "full-time",
        "location_raw": content.location,
        "locations_raw": [content.location],
        "posted_date_raw": content.posted.strftime("%B %d, %Y"),
        "country_code": content.country_code,
        "description_text": content.description,
        "basic_qualifications_text": content.basic,
        "preferred_qualifications_text": content.preferred,
        "country_codes": [content.country_code],
        "role_family": _role_family(content),
        "posted_date": posted,
    }


def documents(posting: PostingTruth, days: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``postings`` document and the ``posting_versions`` of one posting after the runs of
    days ``0 .. days - 1``, as the store's rules write them (docs/store.md)."""
    from jobtracker.store.content import changed_fields, content_hash, current_fields

    minute = posting.minute
    at = lambda day: sighting(day, minute)  # noqa: E731
    spans: list[dict[str, Any]] = []
    day_of = {at(day): day for day in posting.seen}
    closed_at = closed_day = None
    previous: int | None = None
    for day in posting.seen:
        if previous is None or day - previous > 2:  # two runs in a row missed it: closed
            if spans:
                spans[-1]["to"] = at(previous)
            spans.append({"from": at(day), "to": None})
        previous = day
    assert previous is not None
    last = previous
    misses = days - 1 - last
    status = "open" if misses < 2 else "closed"
    if status == "closed":
        spans[-1]["to"] = at(last)
        closed_at, closed_day = run_start(last + 1), last + 2
    snapshots = [(day, snapshot(posting, content)) for day, content in posting.revisions]
    span_days = [(day_of[s["from"]], day_of.get(s["to"])) for s in spans]
    versions = []
    for index, (day, snap) in enumerate(snapshots):
        following = snapshots[index + 1][0] if index + 1 < len(snapshots) else days
        # A closure sets the current version's last_seen_at to the last sighting, a reopening
        # with the same content clears it, and the next version sets it only if it is clear.
        ended = None
        for k, (_, end) in enumerate(span_days):
            if end is not None and day <= end < following:
                ended = at(end)
                if k + 1 < len(span_days) and span_days[k + 1][0] < following:
                    ended = None
        if ended is None and following < days:
            ended = at(following)
        versions.append(
            {
                "_id": f"{posting.pid}@v{index + 1}",
                "posting_id": posting.pid,
                "version": index + 1,
                "content_hash": content_hash(snap),
                "first_seen_at": at(day),
                "last_seen_at": ended,
                "run_id": run_id(day),
                "changed_fields": changed_fields(snapshots[index - 1][1] if index else None, snap),
                "snapshot": snap,
            }
        )
    current = versions[-1]
    doc: dict[str, Any] = {
        "_id": posting.pid,
        **current_fields(current["snapshot"]),
        "source_id": posting.source_id,
        "content_hash": current["content_hash"],
        "last_run_id": run_id(last),
        "version": current["version"],
        "first_seen_at": at(posting.seen[0]),
        "last_seen_at": at(last),
        "observed_at": at(last),
        "status": status,
        "spans": spans,
    }
    if status == "closed":
        assert closed_day is not None
        doc.update(closed_at=closed_at, closed_run_id=run_id(closed_day),
                   observed_at=run_start(closed_day))  # fmt: skip
    elif misses == 1:
        doc.update(missing_since=run_start(days - 1), missing_last_at=run_start(days - 1),
                   missing_run_id=run_id(days - 1), missing_count=1,
                   observed_at=run_start(days - 1))  # fmt: skip
    return doc, versions


def write_history(
    db: Any, days: int, board: int = 22_000, seed: int = 1, batch: int = 2_000
) -> dict[str, int]:
    """Write the history of ``days`` daily runs into ``db`` (indexes, postings, versions, runs)
    in bulk; returns the counts."""
    from jobtracker.store import PostingStore

    PostingStore(db).ensure_indexes()
    postings: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    counts = {"postings": 0, "versions": 0, "runs": days}

    def flush(force: bool = False) -> None:
        for name, docs in (("postings", postings), ("versions", versions)):
            if docs and (force or len(docs) >= batch):
                db["postings" if name == "postings" else "posting_versions"].insert_many(
                    docs, ordered=False
                )
                counts[name] += len(docs)
                docs.clear()

    for posting in generate(days, board, seed):
        doc, its_versions = documents(posting, days)
        postings.append(doc)
        versions.extend(its_versions)
        flush()
    flush(force=True)
    db["crawl_runs"].insert_many([_run(day) for day in range(days)])
    return counts


def _run(day: int) -> dict[str, Any]:
    return {
        "_id": run_id(day),
        "source": SOURCE,
        "spider": "amazon_jobs",
        "arguments": {},
        "scope": {"source": SOURCE},
        "keyword_run": False,
        "started_at": run_start(day),
        "finished_at": run_start(day) + timedelta(minutes=55),
        "finish_reason": "finished",
        "complete": True,
    }


__all__ = [
    "START",
    "Content",
    "PostingTruth",
    "documents",
    "generate",
    "run_start",
    "sighting",
    "snapshot",
    "write_history",
]
