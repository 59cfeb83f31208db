"""A seeded, deterministic world of job postings that evolves day by day.

``World(seed, size, start, result_window)`` decides, at construction, the lifecycle of every
posting over ``horizon`` days (day 0 = ``start``): its open spans (a posting removed may be
relisted later, in a new span), and — lazily, from a per-posting RNG — its content revisions
(edits of title / description / qualifications, and recategorizations). ``board(day)`` is the set
of postings live that day, each with the revision current that day; job objects are generated on
first use and cached per (posting, revision), pre-serialized as the site serializes them.

Conventions: day numbers are integers relative to ``start``; negative days are before the
simulation began (initial postings went live on their ``posted_date``). A span ``(start, end)``
is half-open: live on ``start .. end - 1``; ``end`` is ``None`` when still open at the horizon.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import random
import uuid
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any

from jobsim import catalog as cat
from jobsim import phrases
from jobsim.encoding import compact, dumps
from jobsim.lifecycle import OPEN, Spans, life_spans, mix, span_covering

# Daily rates (fractions of the live board).
NEW_RATE = 0.012
REMOVE_HAZARD = 0.013  # removals ≈ new + relisted, so the board size is stationary
RELIST_PROB = 0.077  # ≈ 0.1 % of the board relisted per day
EDIT_HAZARD = 0.008
RECAT_HAZARD = 0.001
VIRTUAL_SHARE = 0.03
MULTI_LOCATION_SHARE = 0.08

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_REK_COUNTRIES = frozenset({"USA", "JPN", "DEU", "ITA", "SGP", "KOR"})
_REK_CATEGORIES = frozenset({"Software Development", "Machine Learning Science", "Applied Science"})
_VISION_CATEGORIES = frozenset(
    {
        "Machine Learning Science",
        "Applied Science",
        "Research Science",
        "Hardware Development",
        "Software Development",
        "Data Science",
    }
)
_FACE_BCS = frozenset(
    {
        "aws",
        "alexa-and-amazon-devices",
        "amazon-artificial-general-intelligence",
        "amazon-security",
        "fulfillment-technology-and-robotics",
    }
)
_HIGH_PAY_CITIES = frozenset(
    {
        "Seattle",
        "Bellevue",
        "Redmond",
        "San Francisco",
        "Sunnyvale",
        "Santa Clara",
        "Palo Alto",
        "Cupertino",
        "New York",
        "Boston",
        "Cambridge",
        "Jersey City",
        "Culver City",
        "Irvine",
        "San Diego",
        "Arlington",
        "Herndon",
    }
)
_UT_SENTINEL = "@@UPDATED_TIME@@"


def format_posted_date(day: dt.date) -> str:
    """``%B %e, %Y``: ``"July  2, 2026"`` (space-padded day), as the site prints it."""
    return f"{_MONTHS[day.month - 1]} {day.day:>2}, {day.year}"


def distance_in_words(minutes: int) -> str:
    """Rails' ``distance_of_time_in_words`` (no "ago"): ``"19 minutes"``, ``"about 21 hours"``."""
    if minutes < 1:
        return "less than a minute"
    if minutes == 1:
        return "1 minute"
    if minutes < 45:
        return f"{minutes} minutes"
    if minutes < 90:
        return "about 1 hour"
    if minutes < 1440:
        return f"about {round(minutes / 60)} hours"
    if minutes < 2520:
        return "1 day"
    if minutes < 43200:
        return f"{round(minutes / 1440)} days"
    if minutes < 86400:
        return "about 1 month"
    if minutes < 525600:
        return f"{round(minutes / 43200)} months"
    years, rem = divmod(minutes, 525600)
    if rem < 131400:
        return f"about {years} year{'s' if years > 1 else ''}"
    if rem < 394200:
        return f"over {years} year{'s' if years > 1 else ''}"
    return f"almost {years + 1} years"


def _quota(weights: list[int], n: int, rng: random.Random) -> list[int]:
    """``n`` labels (indices) in proportion to ``weights``, each at least once (if n allows)."""
    total = sum(weights)
    floor_one = n >= len(weights)
    counts = [max(1 if floor_one else 0, int(w * n / total)) for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(weights[i] * n / total % 1), i))
    i = 0
    while sum(counts) < n:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts) > n:  # the floor of one can overshoot for tiny n: take from the largest
        counts[max(range(len(counts)), key=counts.__getitem__)] -= 1
    labels = [k for k, c in enumerate(counts) for _ in range(c)]
    rng.shuffle(labels)
    return labels


# ---------------------------------------------------------------------------------------------
# Per-posting data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loc:
    """One location of a posting, already in the site's vocabulary."""

    country: cat.Country
    city: str
    region: str | None
    region_name: str | None
    county: str | None
    coordinates: str | None
    buildings: tuple[str, ...]
    virtual: bool
    location: str  # "US, TX, Austin"

    @property
    def normalized_location(self) -> str:
        """``"Austin, Texas, USA"``."""
        return ", ".join(x for x in (self.city, self.region_name, self.country.alpha3) if x)

    def as_json(self) -> str:
        """The ``locations[]`` element: a JSON document in the real key order, as a string."""
        return compact(
            {
                "normalizedStateName": self.region_name,
                "normalizedCountryCode": self.country.alpha3,
                "city": self.city,
                "countryIso3a": self.country.alpha3,
                "countryIso2a": self.country.alpha2,
                "locationNonStemming": ", ".join(
                    x for x in (self.country.name, self.region, self.city) if x
                ),
                "coordinates": self.coordinates,
                "normalizedCountyName": self.county,
                "type": "VIRTUAL" if self.virtual else "ONSITE",
                "normalizedCountryName": self.country.name,
                "normalizedLocation": self.normalized_location,
                "location": self.location,
                "region": self.region,
                "buildingCodeList": list(self.buildings),
                "normalizedCityName": self.city,
            }
        )

    @property
    def pay_label(self) -> str:
        """``"USA, TX, Austin"`` as used in pay lines."""
        return ", ".join(x for x in (self.country.alpha3, self.region, self.city) if x)


@dataclass(frozen=True, slots=True)
class Base:
    """Revision-independent facts of a posting."""

    idx: int
    uid: str
    icims: str
    locs: tuple[Loc, ...]
    company_choice: float
    schedule: str
    score: float
    product: int
    wrap: bool  # description hard-wrapped with <br/> like some real postings
    pay_factor: float
    pay_ratio: float
    special: str  # "" or "facial-2019"


@dataclass(frozen=True, slots=True)
class Spec:
    """Revision-dependent content choices of a posting (small ints; texts are built from them)."""

    bc: int
    jc: str
    group: str  # phrase bank of the texts (kept when a recategorization changes ``jc``)
    family: str
    team: str
    extra_label: str | None
    title: str
    intro: tuple[int, ...]
    resp: tuple[int, ...]
    day: tuple[int, ...]
    about: tuple[int, ...]
    basic: tuple[int, ...]
    pref: tuple[int, ...]
    rek: int  # -1: no mention, else index into the mention bank
    face: int
    cv: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A live posting's search-index record for one revision."""

    idx: int
    rev: int
    icims: str
    bc: str
    jc: str
    jc_slug: str
    country: str
    countries: tuple[str, ...]
    states: tuple[str, ...]
    cities: tuple[str, ...]
    locations: tuple[str, ...]
    normalized_locations: tuple[str, ...]
    schedule: str
    posted_day: int
    score: float
    title_lower: str


class Board:
    """The live postings of one day (see ``World.board``)."""

    def __init__(self, world: World, day: int, entries: list[Entry]) -> None:
        self.world = world
        self.day = day
        self.relevant = sorted(entries, key=lambda e: (-e.score, int(e.icims)))
        self.recent = sorted(entries, key=lambda e: (-e.posted_day, -int(e.icims)))
        self.by_icims = {e.icims: e for e in entries}
        self.cache: dict[Any, Any] = {}  # search results (see search.py)

    def __len__(self) -> int:
        return len(self.relevant)

    def job_json(self, entry: Entry) -> str:
        """The job object as served on this board's day (Rails-escaped JSON)."""
        return self.world.job_json(entry.idx, entry.rev, self.day)

    def haystack(self, entry: Entry) -> str:
        """Lower-cased title + description + qualifications, for ``base_query``."""
        return self.world.rendered(entry.idx, entry.rev)[2]


# ---------------------------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------------------------


class World:
    """A deterministic simulated job board (see the module docstring)."""

    def __init__(
        self,
        seed: int = 1,
        size: int = 22000,
        start: dt.date = dt.date(2026, 7, 1),
        result_window: int = 10000,
        horizon: int = 450,
    ) -> None:
        if size < 1:
            raise ValueError("size must be >= 1")
        if horizon < 1:
            raise ValueError("horizon must be >= 1")
        if result_window < 1:
            raise ValueError("result_window must be >= 1")
        self.seed = seed
        self.size = size
        self.start = start
        self.result_window = result_window
        self.horizon = horizon
        self._bc_names = [b[0] for b in cat.BUSINESS_CATEGORIES]
        self._bc_cum = list(accumulate(b[1] for b in cat.BUSINESS_CATEGORIES))
        self._country_cum = list(accumulate(c.weight for c in cat.COUNTRIES))
        self._mix_cum: dict[str, tuple[list[str], list[int]]] = {
            p: ([n for n, _ in mix], list(accumulate(w for _, w in mix)))
            for p, mix in cat.PROFILE_MIX.items()
        }
        # Per posting (index = posting number): decided now.
        self._bc0: list[int] = []
        self._country: list[int] = []
        self._posted: list[int] = []
        self._spans: list[tuple[tuple[int, int], ...]] = []
        self._starts_on: list[list[int]] = [[] for _ in range(horizon + 1)]
        self._relists_on: list[list[int]] = [[] for _ in range(horizon + 1)]
        self._ends_on: list[list[int]] = [[] for _ in range(horizon + 1)]
        self._build_lifecycles()
        self._icims_of = self._assign_icims()
        self._idx_of = {v: i for i, v in enumerate(self._icims_of)}
        # Lazy caches.
        self._base: dict[int, Base] = {}
        self._revs: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._spec: dict[tuple[int, int], Spec] = {}
        self._entry: dict[tuple[int, int], Entry] = {}
        self._render: dict[tuple[int, int], tuple[str, str, str]] = {}
        self._boards: dict[int, Board] = {}
        self._cursor: tuple[int, set[int]] = (0, set(self._initial))

    # -- lifecycle -------------------------------------------------------------------------

    def _life(self, rng: random.Random, start: int) -> Spans:
        """Spans from ``start`` on: geometric lifetimes, relisted with RELIST_PROB."""
        return life_spans(rng, start, self.horizon, remove_hazard=REMOVE_HAZARD,
                          relist_prob=RELIST_PROB, max_gap=30)  # fmt: skip

    def _add_posting(self, bc: int, country: int, posted: int, spans: tuple) -> int:
        idx = len(self._bc0)
        self._bc0.append(bc)
        self._country.append(country)
        self._posted.append(posted)
        self._spans.append(spans)
        for k, (s, e) in enumerate(spans):
            if 1 <= s <= self.horizon:  # a short horizon can end before a relisting
                (self._relists_on if k else self._starts_on)[s].append(idx)
            if 1 <= e <= self.horizon:
                self._ends_on[e].append(idx)
        return idx

    def _build_lifecycles(self) -> None:
        rng = random.Random(mix(self.seed, self.size, "lifecycle"))
        n0 = self.size
        bcs = _quota([b[1] for b in cat.BUSINESS_CATEGORIES], n0, rng)
        countries = _quota([c.weight for c in cat.COUNTRIES], n0, rng)
        aws, usa = self._bc_names.index("aws"), 0
        # Posting 0 is the facial-recognition posting open since April 2019: aws, USA.
        if bcs[0] != aws:
            j = bcs.index(aws)
            bcs[0], bcs[j] = bcs[j], bcs[0]
        if countries[0] != usa:
            j = countries.index(usa)
            countries[0], countries[j] = countries[j], countries[0]
        old = (dt.date(*cat.OLD_FACIAL_POSTED) - self.start).days
        self._initial: list[int] = []
        for i in range(n0):
            u = rng.random()
            if i == 0:
                posted, spans = old, ((old, OPEN),)
            elif u < 0.003:  # evergreen: very old and never closes
                posted = -rng.randint(1100, 2400)
                spans = ((posted, OPEN),)
            else:
                # mostly recent (a geometric-like age), some spread over three years
                expo = u < 0.85
                age = int(-math.log(1.0 - rng.random()) * 60) if expo else rng.randint(0, 1095)
                posted = -min(age, 1095)
                spans = self._life(rng, posted)
            self._initial.append(self._add_posting(bcs[i], countries[i], posted, spans))
        # Postings removed shortly before day 0 that come back in the first 30 days (so relists
        # happen from day 1 on, at the steady rate).
        for r in rng.choices(range(1, 31), weights=range(30, 0, -1), k=round(n0 * 0.015)):
            gone_since = r - rng.randint(r, 30)  # <= 0
            posted = max(-1095, gone_since - 1 - int(-math.log(1.0 - rng.random()) * 60))
            bc = rng.choices(range(len(self._bc_cum)), cum_weights=self._bc_cum)[0]
            ctry = rng.choices(range(len(self._country_cum)), cum_weights=self._country_cum)[0]
            self._add_posting(bc, ctry, posted, ((posted, gone_since), *self._life(rng, r)))
        live = n0
        sigma = max(1.0, self.size * 0.0015)
        for d in range(1, self.horizon + 1):
            live += len(self._starts_on[d]) + len(self._relists_on[d]) - len(self._ends_on[d])
            n = max(0, round(self.size - live + rng.gauss(0.0, sigma)))
            new_bcs = rng.choices(range(len(self._bc_cum)), cum_weights=self._bc_cum, k=n)
            new_cs = rng.choices(range(len(self._country_cum)), cum_weights=self._country_cum, k=n)
            for k in range(n):
                posted = d - (0 if rng.random() < 0.8 else rng.randint(1, 2))
                self._add_posting(new_bcs[k], new_cs[k], posted, self._life(rng, d))
            live += n

    def _assign_icims(self) -> list[str]:
        """Unique 7-8 digit ids, increasing with posted date (as iCIMS numbers do)."""
        rng = random.Random(mix(self.seed, self.size, "icims"))
        order = sorted(range(len(self._posted)), key=lambda i: (self._posted[i], i))
        ids = [""] * len(order)
        nxt = 8_000_000
        for i in order:
            nxt += rng.randint(1, 60)
            ids[i] = str(nxt)
        return ids

    # -- public lifecycle API ---------------------------------------------------------------

    @property
    def posting_count(self) -> int:
        """Number of postings that exist at some day (live or not)."""
        return len(self._bc0)

    def date_of(self, day: int) -> dt.date:
        """Calendar date of a day number."""
        return self.start + dt.timedelta(days=day)

    def _check_day(self, day: int) -> None:
        if not 0 <= day <= self.horizon:
            raise ValueError(f"day must be between 0 and {self.horizon}, got {day}")

    def live_ids(self, day: int) -> set[int]:
        """Posting indices live on ``day`` (moves an internal cursor; cheap for nearby days)."""
        self._check_day(day)
        cur_day, cur = self._cursor
        live = set(cur)
        while cur_day < day:
            cur_day += 1
            live.difference_update(self._ends_on[cur_day])
            live.update(self._starts_on[cur_day])
            live.update(self._relists_on[cur_day])
        while cur_day > day:
            live.difference_update(self._starts_on[cur_day])
            live.difference_update(self._relists_on[cur_day])
            live.update(self._ends_on[cur_day])
            cur_day -= 1
        self._cursor = (day, live)
        return set(live)

    def revisions(self, idx: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """(days, kinds) of a posting's content revisions; kind is ``edit`` or ``recategorize``."""
        got = self._revs.get(idx)
        if got is not None:
            return got
        rng = random.Random(mix(self.seed, idx, "revisions"))
        hazard = EDIT_HAZARD + RECAT_HAZARD
        log_keep = math.log(1.0 - hazard)
        days: list[int] = []
        kinds: list[str] = []
        for s, e in self._spans[idx]:
            d = max(s, 0)
            last = min(e - 1, self.horizon)
            while True:
                d += 1 + int(math.log(1.0 - rng.random()) / log_keep)
                if d > last:
                    break
                recat = rng.random() < RECAT_HAZARD / hazard and idx != 0
                days.append(d)
                kinds.append("recategorize" if recat else "edit")
        got = (tuple(days), tuple(kinds))
        self._revs[idx] = got
        return got

    def revision_at(self, idx: int, day: int) -> int:
        """Index of the revision current on ``day`` (0 = as first posted)."""
        return bisect.bisect_right(self.revisions(idx)[0], day)

    def span_at(self, idx: int, day: int) -> tuple[int, int] | None:
        """The span covering ``day``, if any."""
        return span_covering(self._spans[idx], day)

    def index_of(self, id_icims: str) -> int:
        """Posting index of an id_icims (KeyError if unknown)."""
        return self._idx_of[str(id_icims)]

    def lifecycle(self, id_icims: str) -> dict[str, Any]:
        """Spans (``end`` None = open at the horizon) and revisions of a posting."""
        idx = self.index_of(id_icims)
        days, kinds = self.revisions(idx)
        spans = [(s, None if e == OPEN else e) for s, e in self._spans[idx]]
        return {
            "id_icims": self._icims_of[idx],
            "posted_day": self._posted[idx],
            "first_day": spans[0][0],
            "spans": spans,
            "revisions": [{"day": d, "kind": k} for d, k in zip(days, kinds, strict=True)],
        }

    def events(self, day: int) -> dict[str, list[str]]:
        """What changed from ``day - 1`` to ``day`` (id_icims lists, sorted numerically)."""
        self._check_day(day)
        out: dict[str, list[str]] = {
            k: [] for k in ("new", "removed", "relisted", "edited", "recategorized")
        }
        if day == 0:
            return out
        out["new"] = [self._icims_of[i] for i in self._starts_on[day]]
        out["relisted"] = [self._icims_of[i] for i in self._relists_on[day]]
        out["removed"] = [self._icims_of[i] for i in self._ends_on[day]]
        for idx in self.live_ids(day) & self.live_ids(day - 1):
            days, kinds = self.revisions(idx)
            k = bisect.bisect_left(days, day)
            if k < len(days) and days[k] == day:
                out["edited" if kinds[k] == "edit" else "recategorized"].append(self._icims_of[idx])
        for v in out.values():
            v.sort(key=int)
        return out

    # -- content ----------------------------------------------------------------------------

    def _pick_bc(self, rng: random.Random, exclude: int | None = None) -> int:
        while True:
            k = rng.choices(range(len(self._bc_cum)), cum_weights=self._bc_cum)[0]
            if k != exclude:
                return k

    def _pick_jc(self, rng: random.Random, bc: int) -> str:
        names, cum = self._mix_cum[cat.BUSINESS_CATEGORIES[bc][2]]
        return rng.choices(names, cum_weights=cum)[0]

    def base(self, idx: int) -> Base:
        """Revision-independent facts of a posting (cached)."""
        got = self._base.get(idx)
        if got is not None:
            return got
        rng = random.Random(mix(self.seed, idx, "base"))
        country = cat.COUNTRIES[self._country[idx]]
        locs = [self._pick_loc(rng, country, allow_virtual=idx != 0)]
        if rng.random() < MULTI_LOCATION_SHARE and idx != 0:
            for _ in range(rng.randint(1, 4)):
                other = country
                if rng.random() < 0.2 or len(country.cities) == 1:
                    other = cat.COUNTRIES[
                        rng.choices(range(len(self._country_cum)), cum_weights=self._country_cum)[0]
                    ]
                loc = self._pick_loc(rng, other, allow_virtual=False)
                if all(x.location != loc.location for x in locs):
                    locs.append(loc)
        u = uuid.UUID(int=rng.getrandbits(128), version=4)
        sched = rng.choices(
            [s for s, _ in cat.SCHEDULE_TYPES],
            cum_weights=list(accumulate(w for _, w in cat.SCHEDULE_TYPES)),
        )[0]
        got = Base(
            idx=idx,
            uid=str(u),
            icims=self._icims_of[idx],
            locs=tuple(locs),
            company_choice=rng.random(),
            schedule=sched,
            score=rng.random(),
            product=rng.randrange(1000),
            wrap=rng.random() < 0.25,
            pay_factor=rng.uniform(0.9, 1.12),
            pay_ratio=rng.uniform(1.33, 1.75),
            special="facial-2019" if idx == 0 else "",
        )
        self._base[idx] = got
        return got

    @staticmethod
    def _pick_loc(rng: random.Random, country: cat.Country, allow_virtual: bool) -> Loc:
        forms = cat.VIRTUAL_FORMS.get(country.alpha3)
        if allow_virtual and forms and rng.random() < VIRTUAL_SHARE * 1.15:
            text, city, region, region_name = rng.choice(forms)
            return Loc(country, city, region, region_name, None, None, (), True, text)
        c = rng.choices(country.cities, weights=[x.weight for x in country.cities])[0]
        text = ", ".join(x for x in (country.alpha2, c.region, c.name) if x)
        return Loc(
            country,
            c.name,
            c.region,
            c.region_name,
            c.county,
            c.coordinates,
            (rng.choice(c.buildings),),
            False,
            text,
        )

    def _title(self, rng: random.Random, jc: cat.JobCategory, profile: str) -> str:
        title = rng.choice(jc.titles)
        if profile == "student" and rng.random() < 0.7:
            title += rng.choice((" Intern", " Internship - 2027", ", New Grad"))
        r = rng.random()
        products = cat.PRODUCTS[profile]
        if r < 0.2:
            title += ", " + rng.choice(products).removeprefix("our ").title()
        elif r < 0.35:
            title += " - " + rng.choice(products).removeprefix("our ").title()
        if rng.random() < 0.02:
            title += " "
        return title

    @staticmethod
    def _choose(rng: random.Random, bank: tuple[str, ...], lo: int, hi: int) -> tuple[int, ...]:
        return tuple(rng.sample(range(len(bank)), min(len(bank), rng.randint(lo, hi))))

    def _mentions(self, rng: random.Random, bc: str, jc: str, country: str) -> tuple[int, int, int]:
        if bc == "aws" and jc in _REK_CATEGORIES and country in _REK_COUNTRIES:
            p_rek = 0.022
        elif bc == "aws" or jc in _REK_CATEGORIES:
            p_rek = 0.0012
        else:
            p_rek = 0.0002
        p_face = 0.0022 if bc in _FACE_BCS and jc in _VISION_CATEGORIES else 0.00005
        p_cv = 0.03 if jc in _VISION_CATEGORIES else 0.002
        return (
            rng.randrange(len(phrases.MENTION_REKOGNITION)) if rng.random() < p_rek else -1,
            rng.randrange(len(phrases.MENTION_FACIAL)) if rng.random() < p_face else -1,
            rng.randrange(len(phrases.MENTION_CV)) if rng.random() < p_cv else -1,
        )

    def _text_choices(self, rng: random.Random, group: str) -> dict[str, tuple[int, ...]]:
        bank = phrases.GROUPS[group]
        return {
            "intro": self._choose(rng, bank["intro"], 2, 4),
            "resp": self._choose(rng, bank["resp"], 3, 7) if rng.random() < 0.95 else (),
            "day": self._choose(rng, bank["day"], 2, 3) if rng.random() < 0.6 else (),
            "about": self._choose(rng, bank["team"], 1, 3) if rng.random() < 0.8 else (),
            "basic": self._choose(rng, bank["basic"], 2, 6),
            "pref": self._choose(rng, bank["pref"], 1, 5),
        }

    def spec(self, idx: int, rev: int) -> Spec:
        """Content choices of a posting at revision ``rev`` (cached)."""
        got = self._spec.get((idx, rev))
        if got is not None:
            return got
        if rev == 0:
            got = self._spec0(idx)
        else:
            prev = self.spec(idx, rev - 1)
            kind = self.revisions(idx)[1][rev - 1]
            got = self._mutate(idx, rev, prev, kind)
        self._spec[(idx, rev)] = got
        return got

    def _spec0(self, idx: int) -> Spec:
        rng = random.Random(mix(self.seed, idx, "spec"))
        bc = self._bc0[idx]
        bc_name, _, profile, _ = cat.BUSINESS_CATEGORIES[bc]
        jc_name = "Research Science" if idx == 0 else self._pick_jc(rng, bc)
        jc = cat.JOB_CATEGORY_BY_NAME[jc_name]
        teams = cat.teams_for(bc_name)
        team = rng.choice(teams)
        extra = None
        if rng.random() < 0.3:
            others = [t for t in teams if t != team]
            extra = rng.choice(others) if others else f"team-{jc.slug}"
        rek, face, cv = self._mentions(
            rng, bc_name, jc_name, cat.COUNTRIES[self._country[idx]].alpha3
        )
        if idx == 0:
            face = 0
        return Spec(
            bc=bc,
            jc=jc_name,
            group=jc.group,
            family=rng.choice(jc.families),
            team=team,
            extra_label=extra,
            title=self._title(rng, jc, profile),
            **self._text_choices(rng, jc.group),
            rek=rek,
            face=face,
            cv=cv,
        )

    def _mutate(self, idx: int, rev: int, prev: Spec, kind: str) -> Spec:
        rng = random.Random(mix(self.seed, idx, rev, "mutate"))
        if kind == "recategorize":
            bc = self._pick_bc(rng, exclude=prev.bc)
            bc_name = cat.BUSINESS_CATEGORIES[bc][0]
            changes: dict[str, Any] = {
                "bc": bc,
                "team": rng.choice(cat.teams_for(bc_name)),
                "extra_label": None,
            }
            if rng.random() < 0.4:
                jc_name = self._pick_jc(rng, bc)
                changes["jc"] = jc_name
                changes["family"] = rng.choice(cat.JOB_CATEGORY_BY_NAME[jc_name].families)
            return replace(prev, **changes)
        jc = cat.JOB_CATEGORY_BY_NAME[prev.jc]
        bank = phrases.GROUPS[prev.group]
        profile = cat.BUSINESS_CATEGORIES[prev.bc][2]
        what = rng.choice(("title", "description", "description", "qualifications", "all"))
        changes = {}
        if what in ("title", "all"):
            r = rng.random()
            if r < 0.25:  # a trailing space appears or disappears
                changes["title"] = prev.title[:-1] if prev.title.endswith(" ") else prev.title + " "
            else:
                new = self._title(rng, jc, profile)
                changes["title"] = new if new != prev.title else new + " II"
        if what in ("description", "all"):
            key = rng.choice(("intro", "resp", "resp", "day", "about"))
            old = getattr(prev, key)
            pool = bank["team" if key == "about" else key]
            changes[key] = (
                self._choose(rng, pool, 1 + (key == "intro"), 6)
                if not old or rng.random() < 0.3
                else self._tweak(rng, old, len(pool))
            )
            if rng.random() < 0.3 and idx != 0:
                rek, face, cv = self._mentions(
                    rng,
                    cat.BUSINESS_CATEGORIES[prev.bc][0],
                    prev.jc,
                    cat.COUNTRIES[self._country[idx]].alpha3,
                )
                changes.update(rek=rek, face=face, cv=cv)
            if changes.get(key) == old and "rek" not in changes:
                changes[key] = old[:-1] if len(old) > 1 else self._tweak(rng, old, len(pool))
        if what in ("qualifications", "all"):
            key = rng.choice(("basic", "pref"))
            old = getattr(prev, key)
            new = self._tweak(rng, old, len(bank[key]))
            changes[key] = new if new != old else old[:-1] or new
        result = replace(prev, **changes)
        if result == prev:  # every edit changes the served content
            result = replace(prev, title=prev.title + " ")
        return result

    @staticmethod
    def _tweak(rng: random.Random, old: tuple[int, ...], n: int) -> tuple[int, ...]:
        """Replace, add or drop one phrase."""
        items = list(old)
        unused = [i for i in range(n) if i not in items]
        r = rng.random()
        if items and unused and r < 0.5:
            items[rng.randrange(len(items))] = rng.choice(unused)
        elif unused and (r < 0.8 or len(items) < 2):
            items.insert(rng.randrange(len(items) + 1), rng.choice(unused))
        elif len(items) > 1:
            del items[rng.randrange(len(items))]
        return tuple(items)

    # -- index entries and boards -------------------------------------------------------------

    def entry(self, idx: int, rev: int) -> Entry:
        """Search-index record of a posting revision (cached)."""
        key = (idx, rev)
        got = self._entry.get(key)
        if got is not None:
            return got
        b = self.base(idx)
        s = self.spec(idx, rev)
        jc = cat.JOB_CATEGORY_BY_NAME[s.jc]
        got = Entry(
            idx=idx,
            rev=rev,
            icims=b.icims,
            bc=cat.BUSINESS_CATEGORIES[s.bc][0],
            jc=s.jc,
            jc_slug=jc.slug,
            country=b.locs[0].country.alpha3,
            countries=tuple(dict.fromkeys(x.country.alpha3 for x in b.locs)),
            states=tuple(dict.fromkeys(x.region_name for x in b.locs if x.region_name)),
            cities=tuple(dict.fromkeys(x.city for x in b.locs)),
            locations=tuple(dict.fromkeys(x.location for x in b.locs)),
            normalized_locations=tuple(dict.fromkeys(x.normalized_location for x in b.locs)),
            schedule=b.schedule,
            posted_day=self._posted[idx],
            score=b.score,
            title_lower=s.title.lower(),
        )
        self._entry[key] = got
        return got

    def board(self, day: int) -> Board:
        """The live postings of ``day``, each at its revision of that day (cached)."""
        self._check_day(day)
        got = self._boards.get(day)
        if got is not None:
            return got
        entries = [self.entry(i, self.revision_at(i, day)) for i in self.live_ids(day)]
        got = Board(self, day, entries)
        if len(self._boards) >= 4:
            self._boards.pop(next(iter(self._boards)))
        self._boards[day] = got
        return got

    # -- job objects ------------------------------------------------------------------------

    def _description(self, b: Base, s: Spec, group: str, org: str, product: str) -> str:
        bank = phrases.GROUPS[group]
        city = b.locs[0].city

        def fill(t: str) -> str:
            return t.replace("{product}", product).replace("{org}", org).replace("{city}", city)

        intro = [fill(bank["intro"][i]) for i in s.intro]
        if s.rek >= 0:
            intro.insert(1, phrases.MENTION_REKOGNITION[s.rek])
        if s.face >= 0:
            intro.append(phrases.MENTION_FACIAL[s.face])
        resp = [fill(bank["resp"][i]) for i in s.resp]
        if s.cv >= 0:
            if resp:
                resp.append(phrases.MENTION_CV[s.cv].rstrip("."))
            else:
                intro.append(phrases.MENTION_CV[s.cv])
        first = " ".join(intro)
        if b.wrap:
            first = _hard_wrap(first)
        parts = [first]
        if resp:
            parts.append("Key job responsibilities<br/>" + "<br/>".join("• " + r for r in resp))
        if s.day:
            parts.append("A day in the life<br/>" + " ".join(fill(bank["day"][i]) for i in s.day))
        if s.about:
            parts.append("About the team<br/>" + " ".join(fill(bank["team"][i]) for i in s.about))
        return "<br/><br/>".join(parts)

    def _pay_lines(self, b: Base, jc: cat.JobCategory, title: str) -> list[str]:
        lo, hi = jc.pay
        t = title.lower()
        level = 1.0
        if any(w in t for w in ("senior", "sr.", "sr ", "iii", "principal", "manager")):
            level = 1.25 if "principal" not in t else 1.5
        elif " ii" in t:
            level = 1.1
        lines = []
        for loc in b.locs:
            if loc.country.alpha3 != "USA":
                continue
            city_factor = 1.0 if loc.city in _HIGH_PAY_CITIES or loc.virtual else 0.87
            if jc.hourly:
                low = round(lo * b.pay_factor * city_factor / 25) * 25  # cents
                high = round(low * 1.25 / 25) * 25
                lines.append(f"{loc.pay_label} - {low / 100:,.2f} - {high / 100:,.2f} USD hourly")
            else:
                low = min(round(lo * level * b.pay_factor * city_factor, -2), hi * 1.4)
                high = round(low * b.pay_ratio, -2)
                lines.append(f"{loc.pay_label} - {low:,.2f} - {high:,.2f} USD annually")
        return lines

    def job(self, id_icims: str, day: int) -> dict[str, Any] | None:
        """The job object as served on ``day`` (None if not live that day)."""
        idx = self.index_of(id_icims)
        self._check_day(day)
        if self.span_at(idx, day) is None:
            return None
        return json.loads(self.job_json(idx, self.revision_at(idx, day), day))

    def job_dict(self, idx: int, rev: int, updated_time: str = "") -> dict[str, Any]:
        """Build the job object of a posting revision, in the site's key order."""
        b = self.base(idx)
        s = self.spec(idx, rev)
        jc = cat.JOB_CATEGORY_BY_NAME[s.jc]
        bc_name, _, profile, org = cat.BUSINESS_CATEGORIES[s.bc]
        products = cat.PRODUCTS[profile]
        product = products[b.product % len(products)]
        bank = phrases.GROUPS[s.group]
        description = self._description(b, s, s.group, org, product)
        flat = description.replace("<br/>", "")
        cut = flat.find(" ", 200)
        short = flat if cut < 0 else flat[:cut]
        basic = "<br/>".join("- " + bank["basic"][i] for i in s.basic)
        pref = "<br/>".join("- " + bank["pref"][i] for i in s.pref)
        primary = b.locs[0]
        us = primary.country.alpha3 == "USA"
        pref += "<br/><br/>" + (cat.EEO_US if us else cat.EEO_INTL)
        pref += "<br/><br/>" + cat.ACCOMMODATIONS
        pay = self._pay_lines(b, jc, s.title)
        if pay:
            para = cat.PAY_PARAGRAPH_HOURLY if jc.hourly else cat.PAY_PARAGRAPH
            pref += "<br/><br/>" + para + "<br/><br/>" + "<br/>".join(pay)
        companies = primary.country.companies
        if bc_name == "aws":
            aws_like = [
                c for c in companies if "Web Services" in c or "Annapurna" in c or "AWS" in c
            ]
            companies = tuple(aws_like) or companies
        company = companies[int(b.company_choice * len(companies))]
        labels = [f"{bc_name}.{s.extra_label}"] if s.extra_label else []
        team: dict[str, Any] = dict.fromkeys(_TEAM_KEYS)
        team["label"] = s.team
        return {
            "basic_qualifications": basic,
            "business_category": bc_name,
            "city": primary.city,
            "company_name": company,
            "country_code": primary.country.alpha3,
            "description": description,
            "department_cost_center": None,
            "description_short": short,
            "display_distance": None,
            "id": b.uid,
            "id_icims": b.icims,
            "is_intern": None,
            "is_manager": None,
            "job_category": s.jc,
            "job_family": s.family,
            "job_function_id": None,
            "job_path": f"/en/jobs/{b.icims}/{cat.slugify(s.title)}",
            "job_schedule_type": b.schedule,
            "location": primary.location,
            "locations": [x.as_json() for x in b.locs],
            "normalized_location": primary.normalized_location,
            "optional_search_labels": labels,
            "posted_date": format_posted_date(self.date_of(self._posted[idx])),
            "preferred_qualifications": pref,
            "primary_search_label": f"{bc_name}.{s.team}",
            "source_system": "JobCreator",
            "state": primary.region or "",
            "title": s.title,
            "university_job": None,
            "updated_time": updated_time,
            "url_next_step": f"https://account.amazon.jobs/jobs/{b.icims}/apply",
            "team": team,
        }

    def rendered(self, idx: int, rev: int) -> tuple[str, str, str]:
        """(JSON head, JSON tail, search haystack) of a posting revision (cached).

        The served JSON is ``head + '"<updated_time>"' + tail``: only ``updated_time`` depends
        on the day.
        """
        key = (idx, rev)
        got = self._render.get(key)
        if got is not None:
            return got
        job = self.job_dict(idx, rev, _UT_SENTINEL)
        head, tail = dumps(job).split(f'"{_UT_SENTINEL}"')
        hay = "\n".join(
            (
                job["title"],
                job["description"],
                job["basic_qualifications"],
                job["preferred_qualifications"],
            )
        ).lower()
        got = (head, tail, hay)
        self._render[key] = got
        return got

    def updated_time(self, idx: int, rev: int, day: int) -> str:
        """Relative ``updated_time`` prose on ``day`` (a re-index clock; deterministic)."""
        span = self.span_at(idx, day)
        changed = span[0] if span else day
        days = self.revisions(idx)[0]
        if rev:
            changed = max(changed, days[rev - 1])
        h = mix(self.seed, idx, day, "ut")
        minutes_today = 1 + h % 1439
        if (h >> 20) % 100 < 35 or changed >= day:
            return distance_in_words(minutes_today)
        return distance_in_words((day - changed) * 1440 + minutes_today)

    def job_json(self, idx: int, rev: int, day: int) -> str:
        """The served JSON of a posting revision on ``day``."""
        head, tail, _ = self.rendered(idx, rev)
        return f'{head}"{self.updated_time(idx, rev, day)}"{tail}'

    # -- ground truth -----------------------------------------------------------------------

    def truth(self, day: int) -> list[dict[str, Any]]:
        """Ground truth per posting live on ``day`` (sorted by id_icims, numerically)."""
        out = []
        for e in sorted(self.board(day).relevant, key=lambda e: int(e.icims)):
            out.append(self.truth_record(e.idx, day))
        return out

    def truth_record(self, idx: int, day: int) -> dict[str, Any]:
        """Ground truth of one posting on ``day`` (see ``truth``)."""
        rev = self.revision_at(idx, day)
        e = self.entry(idx, rev)
        span = self.span_at(idx, day)
        return {
            "id_icims": e.icims,
            "id": self.base(idx).uid,
            "revision": rev,
            "business_category": e.bc,
            "job_category": e.jc,
            "country_code": e.country,
            "country_codes": list(e.countries),
            "title": self.spec(idx, rev).title,
            "posted_date": self.date_of(self._posted[idx]).isoformat(),
            "span_start_day": span[0] if span else None,
            "first_day": self._spans[idx][0][0],
        }


_TEAM_KEYS = (
    "id",
    "business_category_id",
    "identifier",
    "label",
    "created_at",
    "updated_at",
    "image_file_name",
    "image_content_type",
    "image_file_size",
    "image_updated_at",
    "thumbnail_file_name",
    "thumbnail_content_type",
    "thumbnail_file_size",
    "thumbnail_updated_at",
    "hide_jobs",
    "title",
    "headline",
    "description",
)


def _hard_wrap(text: str, width: int = 95) -> str:
    """Replace a space with ``<br/>`` about every ``width`` characters (like pasted PDFs)."""
    out = []
    line = 0
    for word in text.split(" "):
        if out and line + len(word) > width:
            out.append("<br/>")
            line = 0
        elif out:
            out.append(" ")
            line += 1
        out.append(word)
        line += len(word)
    return "".join(out)
