"""A seeded, deterministic world of hourly (warehouse, delivery, sortation) job postings for the
four hiring.amazon.com-family country sites, evolving day by day. Pure: no HTTP here.

``HourlyWorld(seed, size, start, horizon)`` decides at construction the lifecycle of every posting
(its live spans: removed postings may be relisted later, same jobId, in a new span) and its
revision days; the content of a revision (the job card) is derived lazily from per-posting RNGs
and cached. ``board(site, day)`` lists the cards live on a site that day in the order the GraphQL
endpoint serves them; ``truth(day)`` is the ground truth.

Conventions as in ``world.World``: day 0 is ``start``; negative days are before the simulation;
spans are half-open ``(start, end)``, ``end = OPEN`` when still open at the horizon.

Cards carry every field of the reference's ``searchJobCardsByLocation`` query, in that order, then
the later fields seen on real cards (``payFrequency`` ...). Money is formatted per site: US
``"$19.30"``, Canada ``"$19.30"`` (en-CA formats CAD with a bare ``$``), UK ``"£13.90"``,
Ireland ``"€14.10"``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass, replace
from typing import Any

from jobsim.lifecycle import OPEN, Spans, life_spans, mix, span_covering

# Daily rates (hourly postings churn faster than corporate ones).
REMOVE_HAZARD = 0.03
RELIST_PROB = 0.25
EDIT_HAZARD = 0.04
EDIT_KINDS = ("pay", "pay", "schedules", "schedules", "title", "job_type")
DEFAULT_HOURLY_SIZE = 600


@dataclass(frozen=True, slots=True)
class Place:
    """A real Amazon operations town: city, state/region, postal code, coordinates, cluster."""

    city: str
    state: str
    postal: str
    lat: float
    lng: float
    cluster: str


@dataclass(frozen=True, slots=True)
class Site:
    """One country site of the hiring.amazon.com family."""

    key: str  # "US" (also the code in jobId)
    alpha3: str
    country: str  # the ``country`` header / variable
    locale: str
    host: str  # the real site's host (documentation only)
    currency: str
    symbol: str
    share: float
    center: tuple[float, float]  # geoQueryClause the SPA sends
    unit: str  # distance unit
    pay: tuple[float, float]  # base hourly pay range
    titles: tuple[tuple[str, str], ...]  # (jobTitle, jobContainerJobMetaL1)
    places: tuple[Place, ...]
    id_base: int
    default_place: int  # index in ``places``: the SPA's default search place (30 mi around it)


#: Titles (jobTitle, jobContainerJobMetaL1). The real titles of the evidence file come first
#: (Warehouse Associate ... Yard Associate), then the older spellings the simulator served.
_US_TITLES = (
    ("Warehouse Associate", "Fulfillment Center"),
    ("Fulfillment Center Associate", "Fulfillment Center"),
    ("Sortation Associate", "Sortation Center"),
    ("Delivery Station Associate", "Delivery Station"),
    ("Amazon Air Associate", "Air Hub"),
    ("Grocery Shopper", "Grocery"),
    ("Fresh Shopper", "Grocery"),
    ("Seasonal Associate", "Fulfillment Center"),
    ("Customer Service Associate", "Customer Service"),
    ("Delivery Driver (DSP)", "Delivery Service Partner"),
    ("Yard Associate", "Yard"),
    ("Amazon Fulfillment Center Warehouse Associate", "Fulfillment Center"),
    ("Amazon Sortation Center Warehouse Associate", "Sortation Center"),
    ("Amazon Delivery Station Warehouse Associate", "Delivery Station"),
    ("Amazon Air Hub Warehouse Associate", "Air Hub"),
    ("Amazon Grocery Warehouse Associate", "Grocery"),
    ("Amazon Warehouse Team Member", "Fulfillment Center"),
    ("Amazon Distribution Center Associate", "Distribution Center"),
    ("Amazon Customer Fulfillment Associate", "Fulfillment Center"),
)
_CA_TITLES = (
    ("Warehouse Associate", "Fulfillment Centre"),
    ("Fulfillment Center Associate", "Fulfillment Centre"),
    ("Sortation Associate", "Sortation Centre"),
    ("Delivery Station Associate", "Delivery Station"),
    ("Seasonal Associate", "Fulfillment Centre"),
    ("Customer Service Associate", "Customer Service"),
    ("Delivery Driver (DSP)", "Delivery Service Partner"),
    ("Yard Associate", "Yard"),
    ("Amazon Fulfillment Centre Warehouse Associate", "Fulfillment Centre"),
    ("Amazon Sortation Centre Warehouse Associate", "Sortation Centre"),
    ("Amazon Delivery Station Warehouse Associate", "Delivery Station"),
)
_UK_TITLES = (
    ("Warehouse Operative", "Fulfilment Centre"),
    ("Amazon Warehouse Operative", "Fulfilment Centre"),
    ("Sortation Centre Warehouse Operative", "Sortation Centre"),
    ("Delivery Station Warehouse Operative", "Delivery Station"),
    ("Fulfilment Centre Warehouse Operative - Nights", "Fulfilment Centre"),
    ("Sortation Associate", "Sortation Centre"),
    ("Delivery Station Associate", "Delivery Station"),
    ("Amazon Air Associate", "Air Hub"),
    ("Fresh Shopper", "Grocery"),
    ("Seasonal Associate", "Fulfilment Centre"),
    ("Customer Service Associate", "Customer Service"),
    ("Delivery Driver (DSP)", "Delivery Service Partner"),
    ("Yard Associate", "Yard"),
)
_IE_TITLES = (
    ("Warehouse Operative", "Fulfilment Centre"),
    ("Amazon Warehouse Operative", "Fulfilment Centre"),
    ("Delivery Station Warehouse Operative", "Delivery Station"),
    ("Warehouse Associate", "Fulfilment Centre"),
    ("Delivery Station Associate", "Delivery Station"),
    ("Seasonal Associate", "Fulfilment Centre"),
    ("Customer Service Associate", "Customer Service"),
    ("Yard Associate", "Yard"),
)

SITES: dict[str, Site] = {
    "US": Site(
        "US",
        "USA",
        "United States",
        "en-US",
        "hiring.amazon.com",
        "USD",
        "$",
        0.60,
        (39.8283, -98.5795),
        "mi",
        (16.50, 23.50),
        _US_TITLES,
        (
            Place("Kent", "WA", "98032", 47.3809, -122.2348, "Seattle Area"),
            Place("DuPont", "WA", "98327", 47.0968, -122.6313, "Seattle Area"),
            Place("Robbinsville", "NJ", "08691", 40.2140, -74.6193, "Central New Jersey"),
            Place("Edison", "NJ", "08817", 40.5187, -74.4121, "Central New Jersey"),
            Place("Baltimore", "MD", "21224", 39.2798, -76.5561, "Baltimore Area"),
            Place("Jacksonville", "FL", "32218", 30.4510, -81.6565, "Jacksonville Area"),
            Place("Ruskin", "FL", "33570", 27.7202, -82.4335, "Tampa Area"),
            Place("San Bernardino", "CA", "92408", 34.0806, -117.2620, "Inland Empire"),
            Place("Moreno Valley", "CA", "92551", 33.8803, -117.2231, "Inland Empire"),
            Place("Tracy", "CA", "95304", 37.7180, -121.4710, "Central Valley"),
            Place("Phoenix", "AZ", "85043", 33.4356, -112.1990, "Phoenix Area"),
            Place("Goodyear", "AZ", "85338", 33.4353, -112.3577, "Phoenix Area"),
            Place("Shepherdsville", "KY", "40165", 38.0884, -85.7158, "Louisville Area"),
            Place("Hebron", "KY", "41048", 39.0659, -84.7011, "Cincinnati Area"),
            Place("Joliet", "IL", "60436", 41.5250, -88.0817, "Chicago Area"),
            Place("Romeoville", "IL", "60446", 41.6475, -88.0895, "Chicago Area"),
            Place("Coppell", "TX", "75019", 32.9546, -97.0150, "Dallas-Fort Worth Area"),
            Place("Haslet", "TX", "76052", 32.9746, -97.3478, "Dallas-Fort Worth Area"),
            Place("Charlotte", "NC", "28214", 35.2727, -80.9570, "Charlotte Area"),
            Place("Etna", "OH", "43062", 39.9573, -82.6821, "Columbus Area"),
            Place("Chester", "VA", "23836", 37.3568, -77.4413, "Richmond Area"),
            Place("Fall River", "MA", "02720", 41.7015, -71.1550, "Boston Area"),
            Place("Kenosha", "WI", "53144", 42.5847, -87.8212, "Milwaukee Area"),
            Place("Shakopee", "MN", "55379", 44.7974, -93.5273, "Minneapolis Area"),
            Place("Aurora", "CO", "80019", 39.7795, -104.7283, "Denver Area"),
            Place("North Las Vegas", "NV", "89081", 36.2616, -115.1043, "Las Vegas Area"),
            Place("Salt Lake City", "UT", "84116", 40.7895, -111.9522, "Salt Lake City Area"),
        ),
        30000,
        0,  # Kent, WA
    ),
    "CA": Site(
        "CA",
        "CAN",
        "Canada",
        "en-CA",
        "hiring.amazon.ca",
        "CAD",
        "$",
        0.15,
        (43.6532, -79.3832),
        "km",
        (17.50, 22.00),
        _CA_TITLES,
        (
            Place("Brampton", "ON", "L6T 5S5", 43.7315, -79.7624, "Greater Toronto Area"),
            Place("Mississauga", "ON", "L5T 2N7", 43.6420, -79.6840, "Greater Toronto Area"),
            Place("Milton", "ON", "L9T 8V4", 43.5183, -79.8774, "Greater Toronto Area"),
            Place("Bolton", "ON", "L7E 0Z5", 43.8750, -79.7350, "Greater Toronto Area"),
            Place("Ottawa", "ON", "K1T 0B6", 45.3230, -75.6050, "Ottawa Area"),
            Place("Delta", "BC", "V4G 1N1", 49.1480, -122.9520, "Vancouver Area"),
            Place("Balzac", "AB", "T4B 2T3", 51.2130, -114.0080, "Calgary Area"),
            Place("Nisku", "AB", "T9E 0R3", 53.3370, -113.5270, "Edmonton Area"),
            Place("Dorval", "QC", "H4S 1X8", 45.4840, -73.7430, "Montreal Area"),
            Place("Winnipeg", "MB", "R2R 0W8", 49.9290, -97.2250, "Winnipeg Area"),
        ),
        200,
        0,  # Brampton, ON
    ),
    "UK": Site(
        "UK",
        "GBR",
        "United Kingdom",
        "en-GB",
        "www.jobsatamazon.co.uk",
        "GBP",
        "£",
        0.18,
        (51.924491609412, -0.487100640539),
        "mi",
        (12.30, 14.50),
        _UK_TITLES,
        (
            Place("Dunstable", "Bedfordshire", "LU5 4FE", 51.8860, -0.5210, "Luton Area"),
            Place("Swansea", "West Glamorgan", "SA1 8QX", 51.6330, -3.8990, "Swansea Area"),
            Place("Dunfermline", "Fife", "KY11 8ST", 56.0520, -3.4070, "Edinburgh Area"),
            Place("Peterborough", "Cambridgeshire", "PE2 9EN", 52.5550, -0.2600, "Peterborough"),
            Place("Coventry", "West Midlands", "CV6 4QH", 52.4310, -1.4900, "Coventry Area"),
            Place("Rugeley", "Staffordshire", "WS15 1LX", 52.7710, -1.9150, "Birmingham Area"),
            Place("Doncaster", "South Yorkshire", "DN4 5JS", 53.5020, -1.0900, "Doncaster Area"),
            Place("Manchester", "Greater Manchester", "M90 5AA", 53.3590, -2.2660, "Manchester"),
            Place("Warrington", "Cheshire", "WA5 3XA", 53.4050, -2.6530, "Warrington Area"),
            Place("Bristol", "Bristol", "BS11 0YA", 51.5040, -2.6950, "Bristol Area"),
            Place("Tilbury", "Essex", "RM18 7AN", 51.4620, 0.3570, "London East"),
            Place("Dartford", "Kent", "DA1 5PZ", 51.4500, 0.2330, "London South East"),
            Place("Leicester", "Leicestershire", "LE19 1WY", 52.6000, -1.2000, "Leicester Area"),
            Place("Rugby", "Warwickshire", "CV23 0AL", 52.3800, -1.2300, "Coventry Area"),
        ),
        100,
        0,
    ),
    "IE": Site(
        "IE",
        "IRL",
        "Ireland",
        "en-IE",
        "jobs.amazon.ie",
        "EUR",
        "€",
        0.07,
        (53.3498, -6.2603),
        "km",
        (13.50, 15.50),
        _IE_TITLES,
        (
            Place("Dublin", "County Dublin", "D22 Y3F1", 53.3210, -6.4350, "Dublin Area"),
            Place("Baldonnell", "County Dublin", "D22 R2C6", 53.3030, -6.4520, "Dublin Area"),
            Place("Blanchardstown", "County Dublin", "D15 X2HA", 53.3880, -6.3770, "Dublin Area"),
            Place("Cork", "County Cork", "T12 X9FR", 51.8980, -8.4700, "Cork Area"),
            Place("Drogheda", "County Louth", "A92 Y2X2", 53.7180, -6.3560, "North East"),
        ),
        50,
        0,
    ),
}

#: Site keys in a fixed order.
SITE_KEYS = tuple(SITES)

_SHIFTS = (
    "Sun-Wed 6:00 AM - 4:30 PM",
    "Wed-Sat 6:00 AM - 4:30 PM",
    "Mon-Fri 7:00 AM - 3:30 PM",
    "Mon-Thu 6:00 PM - 4:30 AM",
    "Thu-Sun 6:00 PM - 4:30 AM",
    "Sat-Sun 10:00 AM - 10:30 PM",
    "Mon-Fri 1:00 AM - 6:00 AM",
    "Tue-Sat 12:00 PM - 8:30 PM",
)

JOB_TYPES = ("Full Time", "Part Time", "Flex Time", "Reduced Time")
_JOB_TYPE_WEIGHTS = (50, 25, 15, 10)


def money(site: Site, amount: float | None) -> str | None:
    """The site's L10N money string, e.g. ``"£13.90"`` (None stays None)."""
    if amount is None:
        return None
    return f"{site.symbol}{amount:,.2f}"


EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344
#: Share of postings with a private schedule, and with a first day on site in the past.
PRIVATE_SHARE = 0.05
PAST_FIRST_DAY_SHARE = 0.10


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance in km between two ``(lat, lng)`` points."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


_km = great_circle_km


def to_km(distance: float, unit: str) -> float:
    """``distance`` in ``unit`` ("mi" or "km") as km."""
    return distance * KM_PER_MILE if unit == "mi" else distance


class QueryError(ValueError):
    """A ``searchJobRequest`` the server refuses (HTTP 400 with ``error_type``)."""

    def __init__(self, message: str, error_type: str = "ValidationError") -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type


@dataclass(frozen=True, slots=True)
class GeoClause:
    """A ``geoQueryClause``: a point and a great-circle radius."""

    lat: float
    lng: float
    unit: str
    distance: float

    @property
    def km(self) -> float:
        """The radius in km."""
        return to_km(self.distance, self.unit)

    @property
    def miles(self) -> float:
        """The radius in miles."""
        return self.km / KM_PER_MILE


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """What a ``searchJobRequest`` selects (the server honours exactly these)."""

    geo: GeoClause | None = None
    keywords: str = ""
    private: frozenset[bool] | None = None  # allowed isPrivateSchedule values; None = all
    start_date: dt.date | None = None  # firstDayOnSite >= start_date
    end_date: dt.date | None = None  # firstDayOnSite <= end_date


@dataclass(frozen=True, slots=True)
class Facts:
    """What the filters look at, for one posting on one day."""

    title: str
    lat: float
    lng: float
    private: bool
    first_day_on_site: dt.date


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise QueryError(f"{name} must be a number")
    return float(value)


def parse_geo(raw: Any) -> GeoClause | None:
    """A ``geoQueryClause`` (None or absent: country-wide); QueryError if malformed."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise QueryError("geoQueryClause must be an object")
    lat = _number(raw.get("lat"), "geoQueryClause.lat")
    lng = _number(raw.get("lng"), "geoQueryClause.lng")
    distance = _number(raw.get("distance"), "geoQueryClause.distance")
    unit = raw.get("unit", "mi")
    if unit not in ("mi", "km"):
        raise QueryError('geoQueryClause.unit must be "mi" or "km"')
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise QueryError("geoQueryClause lat/lng out of range")
    if distance <= 0:
        raise QueryError("geoQueryClause.distance must be positive")
    return GeoClause(lat, lng, unit, distance)


def _date(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise QueryError(f"{name} must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name} must be a date YYYY-MM-DD") from None


def _entries(req: dict[str, Any], key: str) -> list[dict[str, Any]]:
    raw = req.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise QueryError(f"{key} must be a list of objects")
    return raw


def parse_filter(req: dict[str, Any]) -> SearchFilter:
    """The filter of a ``searchJobRequest`` (pure); QueryError if a part is malformed.

    Honoured: ``geoQueryClause``, ``keyWords``, ``containFilters`` ``isPrivateSchedule``,
    ``dateFilters`` ``firstDayOnSite``. The other lists are checked for shape only."""
    words = req.get("keyWords")
    if words is None:
        words = ""
    if not isinstance(words, str):
        raise QueryError("keyWords must be a string")
    private: frozenset[bool] | None = None
    for entry in _entries(req, "containFilters"):
        if entry.get("key") != "isPrivateSchedule":
            continue
        vals = entry.get("val")
        if not isinstance(vals, list) or not vals:
            raise QueryError("containFilters isPrivateSchedule val must be a non-empty list")
        got = {str(v).lower() for v in vals}
        if not got <= {"true", "false"}:
            raise QueryError('isPrivateSchedule values must be "true" or "false"')
        allowed = frozenset(v == "true" for v in got)
        private = allowed if private is None else private & allowed
    start = end = None
    for entry in _entries(req, "dateFilters"):
        if entry.get("key") != "firstDayOnSite":
            continue
        rng = entry.get("range")
        if not isinstance(rng, dict):
            raise QueryError("dateFilters firstDayOnSite needs a range object")
        start = _date(rng.get("startDate"), "firstDayOnSite.startDate")
        end = _date(rng.get("endDate"), "firstDayOnSite.endDate")
    for key in ("equalFilters", "rangeFilters", "orFilters", "sorters"):
        _entries(req, key)
    return SearchFilter(parse_geo(req.get("geoQueryClause")), words.strip(), private, start, end)


def matches(f: SearchFilter, facts: Facts) -> bool:
    """Whether a posting passes a filter (pure)."""
    if f.keywords and f.keywords.lower() not in facts.title.lower():
        return False
    if f.private is not None and facts.private not in f.private:
        return False
    if f.start_date is not None and facts.first_day_on_site < f.start_date:
        return False
    if f.end_date is not None and facts.first_day_on_site > f.end_date:
        return False
    if f.geo is not None:
        d = great_circle_km((f.geo.lat, f.geo.lng), (facts.lat, facts.lng))
        return d <= f.geo.km + 1e-9
    return True


@dataclass(frozen=True, slots=True)
class Base:
    """Revision-independent facts of a posting."""

    idx: int
    site: str
    job_id: str
    place: int
    container: str
    image: str
    video: str | None
    pooling: bool
    data_source: str


@dataclass(frozen=True, slots=True)
class Spec:
    """Revision-dependent content of a posting."""

    title: str
    job_type: str
    employment: str
    pay_min: int  # cents
    pay_max: int  # cents
    schedules: int
    bonus: int  # cents, 0 = no bonus
    surge: int  # cents, 0 = no surge pay
    featured: bool


class HourlyWorld:
    """The hourly boards of all sites (see the module docstring)."""

    def __init__(
        self,
        seed: int = 1,
        size: int = DEFAULT_HOURLY_SIZE,
        start: dt.date = dt.date(2026, 7, 1),
        horizon: int = 450,
    ) -> None:
        if size < len(SITES):
            raise ValueError(f"hourly size must be >= {len(SITES)}")
        if horizon < 1:
            raise ValueError("horizon must be >= 1")
        self.seed = seed
        self.size = size
        self.start = start
        self.horizon = horizon
        self.targets = self._targets(size)
        self._site: list[str] = []
        self._spans: list[tuple[tuple[int, int], ...]] = []
        self._build_lifecycles()
        self._job_ids = self._assign_ids()
        self._idx_of = {j: i for i, j in enumerate(self._job_ids)}
        self._revs: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._base: dict[int, Base] = {}
        self._spec: dict[tuple[int, int], Spec] = {}
        self._card: dict[tuple[int, int], tuple[dict[str, Any], str]] = {}
        self._boards: dict[tuple[str, int], list[tuple[int, int]]] = {}
        self._extra: dict[int, tuple[bool, int]] = {}

    @staticmethod
    def _targets(size: int) -> dict[str, int]:
        out = {k: max(1, round(size * s.share)) for k, s in SITES.items()}
        out["US"] += size - sum(out.values())
        return out

    # -- lifecycle ---------------------------------------------------------------------------

    def _life(self, rng: random.Random, start: int) -> Spans:
        return life_spans(rng, start, self.horizon, remove_hazard=REMOVE_HAZARD,
                          relist_prob=RELIST_PROB, max_gap=21)  # fmt: skip

    def _build_lifecycles(self) -> None:
        rng = random.Random(mix(self.seed, self.size, "hourly-lifecycle"))
        starts = [0] * (self.horizon + 2)
        ends = [0] * (self.horizon + 2)
        for key, target in self.targets.items():
            starts[:] = [0] * len(starts)
            ends[:] = [0] * len(ends)

            def add(spans: tuple[tuple[int, int], ...], key: str = key) -> None:
                self._site.append(key)
                self._spans.append(spans)
                for s, e in spans:
                    if 1 <= s <= self.horizon:
                        starts[s] += 1
                    if 1 <= e <= self.horizon:
                        ends[e] += 1

            for _ in range(target):  # live on day 0, posted up to ~4 months before
                add(self._life(rng, -min(int(-math.log(1.0 - rng.random()) * 20), 120)))
            for _ in range(round(target * 0.04)):  # removed before day 0, relisted soon after
                r = rng.randint(1, 21)
                gone = r - rng.randint(r, 21)
                posted = gone - 1 - int(-math.log(1.0 - rng.random()) * 20)
                add(((posted, gone), *self._life(rng, r)))
            live = target
            sigma = max(0.5, target * 0.004)
            for d in range(1, self.horizon + 1):
                live += starts[d] - ends[d]
                n = max(0, round(target - live + rng.gauss(0.0, sigma)))
                for _ in range(n):
                    add(self._life(rng, d))
                live += n

    def _assign_ids(self) -> list[str]:
        """``JOB-<CC>-<10 digits>``, increasing with the first day live, per site."""
        rng = random.Random(mix(self.seed, self.size, "hourly-ids"))
        ids = [""] * len(self._site)
        order = sorted(range(len(ids)), key=lambda i: (self._spans[i][0][0], i))
        nxt = {k: s.id_base for k, s in SITES.items()}
        for i in order:
            key = self._site[i]
            nxt[key] += rng.randint(1, 3)
            ids[i] = f"JOB-{key}-{nxt[key]:010d}"
        return ids

    # -- public lifecycle API ----------------------------------------------------------------

    @property
    def posting_count(self) -> int:
        """Number of postings live at some day."""
        return len(self._site)

    def date_of(self, day: int) -> dt.date:
        """Calendar date of a day number."""
        return self.start + dt.timedelta(days=day)

    def check_day(self, day: int) -> None:
        """ValueError unless ``0 <= day <= horizon``."""
        if not 0 <= day <= self.horizon:
            raise ValueError(f"day must be between 0 and {self.horizon}, got {day}")

    def index_of(self, job_id: str) -> int:
        """Posting index of a jobId (KeyError if unknown)."""
        return self._idx_of[job_id]

    def site_of(self, idx: int) -> str:
        """Site key of a posting."""
        return self._site[idx]

    def span_at(self, idx: int, day: int) -> tuple[int, int] | None:
        """The span covering ``day``, if any."""
        return span_covering(self._spans[idx], day)

    def spans(self, job_id: str) -> list[tuple[int, int | None]]:
        """Live spans of a posting (``None`` end: open at the horizon)."""
        return [(s, None if e == OPEN else e) for s, e in self._spans[self.index_of(job_id)]]

    def revisions(self, idx: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """(days, kinds) of a posting's edits; kinds are in ``EDIT_KINDS``."""
        got = self._revs.get(idx)
        if got is None:
            rng = random.Random(mix(self.seed, idx, "hourly-revisions"))
            log_keep = math.log(1.0 - EDIT_HAZARD)
            days: list[int] = []
            kinds: list[str] = []
            for s, e in self._spans[idx]:
                d = max(s, 0)
                while True:
                    d += 1 + int(math.log(1.0 - rng.random()) / log_keep)
                    if d > min(e - 1, self.horizon):
                        break
                    days.append(d)
                    kinds.append(rng.choice(EDIT_KINDS))
            got = (tuple(days), tuple(kinds))
            self._revs[idx] = got
        return got

    def revision_at(self, idx: int, day: int) -> int:
        """Index of the revision current on ``day`` (0 = as first posted)."""
        return sum(1 for d in self.revisions(idx)[0] if d <= day)

    def live(self, site: str, day: int) -> list[int]:
        """Posting indices live on a site on ``day``."""
        self.check_day(day)
        return [
            i
            for i, k in enumerate(self._site)
            if k == site and any(s <= day < e for s, e in self._spans[i])
        ]

    def events(self, site: str, day: int) -> dict[str, list[str]]:
        """What changed on a site from ``day - 1`` to ``day`` (jobId lists, sorted)."""
        self.check_day(day)
        out: dict[str, list[str]] = {k: [] for k in ("new", "removed", "relisted", "edited")}
        if day == 0:
            return out
        before, now = set(self.live(site, day - 1)), set(self.live(site, day))
        for i in now - before:
            first = self._spans[i][0][0] == day
            out["new" if first else "relisted"].append(self._job_ids[i])
        out["removed"] = [self._job_ids[i] for i in before - now]
        out["edited"] = [self._job_ids[i] for i in before & now if day in self.revisions(i)[0]]
        for v in out.values():
            v.sort()
        return out

    # -- content -----------------------------------------------------------------------------

    def base(self, idx: int) -> Base:
        """Revision-independent facts of a posting (cached)."""
        got = self._base.get(idx)
        if got is None:
            rng = random.Random(mix(self.seed, idx, "hourly-base"))
            site = SITES[self._site[idx]]
            place = rng.randrange(len(site.places))
            title_no = rng.randrange(len(site.titles))
            slug = site.places[place].city.replace(" ", "-")
            got = Base(
                idx=idx,
                site=site.key,
                job_id=self._job_ids[idx],
                place=place,
                container=site.titles[title_no][1],
                image=f"https://m.media-amazon.com/images/G/01/HVH-CandidateApplication/jobs/"
                f"{site.key}-{slug}-{1 + rng.randrange(4)}.jpg",
                video=None if rng.random() < 0.8 else f"https://www.youtube.com/embed/hvh{idx:06d}",
                pooling=rng.random() < 0.3,
                data_source="ES" if rng.random() < 0.9 else "DW",
            )
            self._base[idx] = got
        return got

    def spec(self, idx: int, rev: int) -> Spec:
        """Content of a revision (cached; revision n is an edit of revision n-1)."""
        key = (idx, rev)
        got = self._spec.get(key)
        if got is not None:
            return got
        site = SITES[self._site[idx]]
        if rev == 0:
            rng = random.Random(mix(self.seed, idx, "hourly-spec"))
            b = self.base(idx)
            titles = [t for t, c in site.titles if c == b.container]
            lo, hi = site.pay
            pay_min = round(rng.uniform(lo, hi) * 20) * 5  # cents, 5-cent steps
            got = Spec(
                title=rng.choice(titles),
                job_type=rng.choices(JOB_TYPES, weights=_JOB_TYPE_WEIGHTS)[0],
                employment="Seasonal" if rng.random() < 0.2 else "Regular",
                pay_min=pay_min,
                pay_max=pay_min + 25 * rng.randint(0, 12),
                schedules=1 + int(-math.log(1.0 - rng.random()) * 6),
                bonus=rng.choice((50000, 100000, 150000, 300000)) if rng.random() < 0.15 else 0,
                surge=25 * rng.randint(4, 12) if rng.random() < 0.1 else 0,
                featured=rng.random() < 0.08,
            )
        else:
            got = self._mutate(idx, rev, self.spec(idx, rev - 1), site)
        self._spec[key] = got
        return got

    def _mutate(self, idx: int, rev: int, prev: Spec, site: Site) -> Spec:
        """One edit of the kind recorded for ``rev``; always a real content change."""
        kind = self.revisions(idx)[1][rev - 1]
        rng = random.Random(mix(self.seed, idx, rev, "hourly-mutate"))
        if kind == "pay":
            step = 25 * rng.choice((-4, -2, -1, 1, 2, 4))
            pay_min = max(round(site.pay[0] * 100) - 100, prev.pay_min + step)
            if pay_min == prev.pay_min:
                pay_min += 25
            spread = prev.pay_max - prev.pay_min
            return replace(prev, pay_min=pay_min, pay_max=pay_min + spread)
        if kind == "schedules":
            delta = rng.choice((-3, -2, -1, 1, 1, 2, 3, 5))
            n = max(1, prev.schedules + delta)
            return replace(prev, schedules=n if n != prev.schedules else prev.schedules + 1)
        if kind == "title":
            others = [t for t, _ in site.titles if t != prev.title]
            return replace(prev, title=rng.choice(others))
        others = [t for t in JOB_TYPES if t != prev.job_type]
        return replace(prev, job_type=rng.choice(others))

    def card(self, idx: int, rev: int) -> dict[str, Any]:
        """The job card of a revision, in the served key order (a fresh copy)."""
        return json.loads(self.card_json(idx, rev))

    def card_json(self, idx: int, rev: int) -> str:
        """The job card of a revision as served (compact JSON; cached)."""
        return self._card_entry(idx, rev)[1]

    def pay_max(self, idx: int, rev: int) -> int:
        """totalPayRateMax in cents (the default sort key)."""
        return self.spec(idx, rev).pay_max

    def _card_entry(self, idx: int, rev: int) -> tuple[dict[str, Any], str]:
        key = (idx, rev)
        got = self._card.get(key)
        if got is None:
            card = self._build_card(idx, rev)
            got = (card, json.dumps(card, ensure_ascii=False, separators=(",", ":")))
            self._card[key] = got
        return got

    def _build_card(self, idx: int, rev: int) -> dict[str, Any]:
        b = self.base(idx)
        s = self.spec(idx, rev)
        site = SITES[b.site]
        p = site.places[b.place]
        km = _km(site.center, (p.lat, p.lng))
        distance = round(km / 1.609344 if site.unit == "mi" else km, 1)
        pay_min, pay_max = s.pay_min / 100, s.pay_max / 100
        bonus = s.bonus / 100 if s.bonus else None
        surge = s.surge / 100 if s.surge else None
        tag = (
            f"Earn up to {money(site, pay_max)}/hr"
            if s.pay_max > s.pay_min
            else f"{money(site, pay_min)}/hr"
        )
        banner = f"Sign-on bonus up to {money(site, bonus)}" if bonus else ""
        location = f"{p.city}, {p.state}"
        return {
            "jobId": b.job_id,
            "language": site.locale,
            "dataSource": b.data_source,
            "requisitionType": "DEFAULT",
            "jobTitle": s.title,
            "jobType": s.job_type,
            "employmentType": s.employment,
            "city": p.city,
            "state": p.state,
            "postalCode": p.postal,
            "locationName": location,
            "totalPayRateMin": pay_min,
            "totalPayRateMax": pay_max,
            "tagLine": tag,
            "bannerText": banner,
            "image": b.image,
            "jobPreviewVideo": b.video,
            "distance": distance,
            "featuredJob": s.featured,
            "bonusJob": bool(bonus),
            "bonusPay": bonus,
            "scheduleCount": s.schedules,
            "currencyCode": site.currency,
            "geoClusterDescription": p.cluster,
            "surgePay": surge,
            "jobTypeL10N": s.job_type,
            "employmentTypeL10N": s.employment,
            "bonusPayL10N": money(site, bonus),
            "surgePayL10N": money(site, surge),
            "totalPayRateMinL10N": money(site, pay_min),
            "totalPayRateMaxL10N": money(site, pay_max),
            "distanceL10N": f"{distance:,.1f} {site.unit}",
            "monthlyBasePayMin": None,
            "monthlyBasePayMinL10N": None,
            "monthlyBasePayMax": None,
            "monthlyBasePayMaxL10N": None,
            "jobContainerJobMetaL1": b.container,
            "virtualLocation": False,
            "poolingEnabled": b.pooling,
            "payFrequency": "HOURLY",
            "jobLocationType": "ONSITE",
            "internalStaffingOrgId": None,
            "agencyName": None,
            "advertisedBasePay": pay_max,
            "advertisedBasePayL10N": money(site, pay_max),
            "advertisedPayFrequency": "HOURLY",
            "advertisedPayFrequencyL10N": "hr",
        }

    # -- filter facts and schedules ----------------------------------------------------------

    def extra(self, idx: int) -> tuple[bool, int]:
        """(private schedule, first day on site relative to the served day) of a posting: fixed
        per posting, from its own RNG stream (about 5 % private, 10 % with a past first day)."""
        got = self._extra.get(idx)
        if got is None:
            rng = random.Random(mix(self.seed, idx, "hourly-extra"))
            private = rng.random() < PRIVATE_SHARE
            past = rng.random() < PAST_FIRST_DAY_SHARE
            offset = -rng.randint(1, 14) if past else rng.randint(0, 30)
            got = (private, offset)
            self._extra[idx] = got
        return got

    def place(self, idx: int) -> Place:
        """The place of a posting (its lat/lng are the posting's)."""
        return SITES[self._site[idx]].places[self.base(idx).place]

    def first_day_on_site(self, idx: int, day: int) -> dt.date:
        """The posting's first day on site as the site shows it on ``day``."""
        return self.date_of(day) + dt.timedelta(days=self.extra(idx)[1])

    def facts(self, idx: int, rev: int, day: int) -> Facts:
        """What the search filters look at for a posting's revision on ``day``."""
        p = self.place(idx)
        return Facts(
            title=self.spec(idx, rev).title,
            lat=p.lat,
            lng=p.lng,
            private=self.extra(idx)[0],
            first_day_on_site=self.first_day_on_site(idx, day),
        )

    def search(self, site: str, day: int, f: SearchFilter) -> list[tuple[int, int]]:
        """The board of a site on ``day`` restricted to a filter, in the served order."""
        return [p for p in self.board(site, day) if matches(f, self.facts(p[0], p[1], day))]

    def schedule_cards(self, idx: int, rev: int) -> list[dict[str, Any]]:
        """The ``searchScheduleCards`` cards of a revision: exactly its ``scheduleCount``,
        deterministic per (jobId, revision)."""
        b, s = self.base(idx), self.spec(idx, rev)
        site, p = SITES[b.site], self.place(idx)
        days = self.revisions(idx)[0]
        since = self.date_of(days[rev - 1] if rev else max(self._spans[idx][0][0], -30))
        rng = random.Random(mix(self.seed, idx, rev, "hourly-schedules"))
        cards = []
        for n in range(s.schedules):
            shift = rng.choice(_SHIFTS)
            hours = {"Full Time": 40, "Part Time": 20, "Flex Time": 12, "Reduced Time": 30}.get(
                s.job_type, 40
            ) + rng.choice((0, 0, -4, 4))
            base_pay = round(rng.uniform(s.pay_min, s.pay_max) / 5) * 5 / 100
            total = round(base_pay + (s.surge / 100 if s.surge else 0.0), 2)
            cards.append(
                {
                    "scheduleId": f"SCH-{b.site}-{int(b.job_id[-10:]):010d}-{n + 1:03d}",
                    "jobId": b.job_id,
                    "scheduleText": f"{s.job_type}: {shift}",
                    "hireStartDate": (since + dt.timedelta(days=rng.randint(3, 28))).isoformat(),
                    "address": f"{p.city}, {p.state} {p.postal}",
                    "basePay": base_pay,
                    "basePayL10N": money(site, base_pay),
                    "totalPayRate": total,
                    "totalPayRateL10N": money(site, total),
                    "hoursPerWeek": hours,
                    "currencyCode": site.currency,
                    "city": p.city,
                    "state": p.state,
                    "postalCode": p.postal,
                    "employmentType": s.employment,
                    "scheduleType": s.job_type,
                    "firstDayOnSiteL10N": None,
                }
            )
        return cards

    # -- boards and truth --------------------------------------------------------------------

    def board(self, site: str, day: int) -> list[tuple[int, int]]:
        """(posting, revision) live on a site on ``day``, in the served order:
        totalPayRateMax descending, then jobId (cached)."""
        if site not in SITES:
            raise KeyError(site)
        key = (site, day)
        got = self._boards.get(key)
        if got is None:
            pairs = [(i, self.revision_at(i, day)) for i in self.live(site, day)]
            pairs.sort(key=lambda p: (-self.pay_max(*p), self._job_ids[p[0]]))
            got = pairs
            if len(self._boards) >= 16:
                self._boards.pop(next(iter(self._boards)))
            self._boards[key] = got
        return got

    def truth_record(self, idx: int, day: int) -> dict[str, Any]:
        """Ground truth of one posting live on ``day``."""
        rev = self.revision_at(idx, day)
        span = self.span_at(idx, day)
        site = SITES[self._site[idx]]
        facts = self.facts(idx, rev, day)
        return {
            "job_id": self._job_ids[idx],
            "site": site.key,
            "country_code": site.alpha3,
            "revision": rev,
            "title": self.spec(idx, rev).title,
            "span_start_day": span[0] if span else None,
            "first_day": self._spans[idx][0][0],
            "private_schedule": facts.private,
            "first_day_on_site": facts.first_day_on_site.isoformat(),
            "lat": facts.lat,
            "lng": facts.lng,
        }

    def truth(self, day: int, sites: tuple[str, ...] = SITE_KEYS) -> list[dict[str, Any]]:
        """Ground truth of ``day``: one record per live posting, sorted by jobId."""
        idxs = [i for k in sites for i, _ in self.board(k, day)]
        return [self.truth_record(i, day) for i in sorted(idxs, key=self._job_ids.__getitem__)]
