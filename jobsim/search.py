"""``GET /{locale}/search.json`` semantics over a ``Board`` (pure: no I/O).

``execute(board, params, window)`` answers one request (``params`` = decoded query pairs, in
order); ``SearchOutcome.to_json()`` serializes it byte-shape-compatible with the real site and
``to_dict()`` gives the same as Python objects. ``search(...)`` is ``execute(...).to_dict()``.

Modelled behaviour (docs/sites.md): ``base_query`` is a case-insensitive substring of
title + description + qualifications, or exactly an ``id_icims``; ``result_limit`` defaults to 10
and above 100 answers a soft error; ``offset + result_limit`` past the window answers a soft
error; ``hits`` saturates at the window; bracketed filters are exact (country: primary location
only; state / city: any location); facets are counted over the whole (uncapped) match set.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobsim.encoding import compact, dumps
from jobsim.world import Board, Entry

MAX_RESULT_LIMIT = 100
DEFAULT_RESULT_LIMIT = 10
ERROR_LIMIT = "Result limit cannot be greater than 100"
ERROR_WINDOW = "Cannot return more than {window} results at once"

#: Bracketed filter parameter -> (backend facet name, test on an index entry).
FILTERS: dict[str, tuple[str, Callable[[Entry, frozenset[str]], bool]]] = {
    "business_category[]": ("businessCategory", lambda e, v: e.bc in v),
    "normalized_country_code[]": ("normalizedCountryCode", lambda e, v: e.country in v),
    "normalized_state_name[]": ("normalizedStateName", lambda e, v: not v.isdisjoint(e.states)),
    "normalized_city_name[]": ("normalizedCityName", lambda e, v: not v.isdisjoint(e.cities)),
    "category[]": ("category", lambda e, v: e.jc_slug in v),
    "normalized_location[]": (
        "normalizedLocation",
        lambda e, v: not v.isdisjoint(e.normalized_locations),
    ),
}

_SCHEDULE_IDS = {"full-time": "Full-Time", "part-time": "Part-Time", "flex-time": "Flex-Time"}

#: Facet name -> values of an entry (a tuple: multi-valued facets count each distinct value once).
FACETS: dict[str, Callable[[Entry], Iterable[str]]] = {
    "normalized_country_code": lambda e: (e.country,),
    "business_category": lambda e: (e.bc,),
    "category": lambda e: (e.jc,),
    "job_schedule_type": lambda e: (e.schedule,),
    "schedule_type_id": lambda e: (_SCHEDULE_IDS.get(e.schedule, e.schedule),),
    "normalized_state_name": lambda e: e.states,
    "normalized_city_name": lambda e: e.cities,
    "location": lambda e: e.locations,
    "normalized_location": lambda e: e.normalized_locations,
}

_EXCLUDE_FACETS = [
    {"name": "businessCategory", "values": [{"name": "a-confidential-job"}]},
    {"name": "isPostedExternally", "values": [{"name": "0"}]},
    {"name": "isUnsearchable", "values": [{"name": "1"}]},
]
_INT = re.compile(r"\s*([+-]?\d+)")


def to_i(value: str | None, default: int) -> int:
    """Ruby ``String#to_i`` (leading integer, else 0); ``default`` when absent or blank."""
    if value is None or not value.strip():
        return default
    m = _INT.match(value)
    return int(m.group(1)) if m else 0


@dataclass(slots=True)
class Request:
    """A parsed search request."""

    query: str = ""
    offset: int = 0
    limit: int = DEFAULT_RESULT_LIMIT
    sort: str = "relevant"
    filters: dict[str, list[str]] = field(default_factory=dict)
    facets: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, params: Sequence[tuple[str, str]]) -> Request:
        """Read the parameters the search honours; everything else is ignored."""
        first: dict[str, str] = {}
        req = cls()
        for name, value in params:
            if name in FILTERS:
                if value not in req.filters.setdefault(name, []):
                    req.filters[name].append(value)
            elif name == "facets[]":
                if value not in req.facets:
                    req.facets.append(value)
            else:
                first.setdefault(name, value)
        req.query = first.get("base_query", "").strip()
        req.offset = max(0, to_i(first.get("offset"), 0))
        req.limit = to_i(first.get("result_limit"), DEFAULT_RESULT_LIMIT)
        req.sort = "recent" if first.get("sort", "").strip() == "recent" else "relevant"
        return req

    def echo(self) -> str:
        """The ``job_posting_search_request`` string (the backend query echo)."""
        filter_facets = [
            {"name": FILTERS[name][0], "values": [{"name": v} for v in values]}
            for name, values in sorted(
                self.filters.items(), key=lambda kv: list(FILTERS).index(kv[0])
            )
        ]
        return compact(
            {
                "jobPostingSearchRequest": {
                    "query": self.query,
                    "excludeFacets": _EXCLUDE_FACETS,
                    "filterFacets": filter_facets,
                    "start": str(self.offset),
                    "size": str(self.limit),
                    "sort": {
                        "sortOrder": "DESCENDING",
                        "sortType": "CREATED_DATE" if self.sort == "recent" else "SCORE",
                    },
                    "location": None,
                    "accessLevel": "EXTERNAL",
                    "includeFacets": [],
                    "locationFacets": [],
                    "jobTypeFacets": [],
                    "contentFilterFacets": [],
                    "treatment": "OM",
                }
            }
        )


@dataclass(slots=True)
class SearchOutcome:
    """The answer to one search request."""

    board: Board
    error: str | None
    hits: int
    facets: dict[str, list[dict[str, int]]]
    jobs: list[Entry]
    echo: str

    def job_strings(self) -> list[str]:
        """The served JSON of each job on the page."""
        return [self.board.job_json(e) for e in self.jobs]

    def to_json(self, jobs: bool = True) -> str:
        """The response body (``jobs=False`` serves the page with ``jobs: []``)."""
        page = ",".join(self.job_strings()) if jobs else ""
        return (
            f'{{"error":{dumps(self.error)},"hits":{self.hits},"facets":{dumps(self.facets)},'
            f'"content":{{"sidebar":{{}},"search_results":{{}}}},"jobs":[{page}],'
            f'"job_posting_search_request":{dumps(self.echo)}}}'
        )

    def to_dict(self) -> dict[str, Any]:
        """The response as Python objects (same key order)."""
        return json.loads(self.to_json())


def _matches(board: Board, req: Request) -> list[Entry]:
    """All entries matching the query and filters, in the requested order (cached per board)."""
    fkey = tuple(sorted((k, frozenset(v)) for k, v in req.filters.items()))
    qkey = req.query.lower()
    key = ("m", qkey, fkey, req.sort)
    got = board.cache.get(key)
    if got is not None:
        return got
    entries = board.recent if req.sort == "recent" else board.relevant
    if fkey:
        tests = [(FILTERS[name][1], values) for name, values in fkey]
        entries = [e for e in entries if all(t(e, v) for t, v in tests)]
    if qkey:
        exact = board.by_icims.get(req.query)
        entries = [e for e in entries if e is exact or qkey in board.haystack(e)]
        if req.sort == "relevant":  # title matches rank first (stable: a total order)
            entries = [e for e in entries if qkey in e.title_lower] + [
                e for e in entries if qkey not in e.title_lower
            ]
    if len(board.cache) > 2000:
        board.cache.clear()
    board.cache[key] = entries
    return entries


def facet_counts(
    board: Board, req: Request, name: str, matches: list[Entry]
) -> list[dict[str, int]]:
    """``[{value: count}, ...]`` by count desc, then value (cached per board)."""
    key = (
        "f",
        name,
        req.query.lower(),
        tuple(sorted((k, frozenset(v)) for k, v in req.filters.items())),
    )
    got = board.cache.get(key)
    if got is not None:
        return got
    values = FACETS.get(name)
    counts: Counter[str] = Counter()
    if values is not None:
        for e in matches:
            counts.update(values(e))
    got = [{v: n} for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    board.cache[key] = got
    return got


def execute(board: Board, params: Sequence[tuple[str, str]], window: int) -> SearchOutcome:
    """Answer one ``search.json`` request on ``board`` with a result window of ``window`` rows."""
    req = Request.parse(params)
    echo = req.echo()
    if req.limit > MAX_RESULT_LIMIT:
        return SearchOutcome(board, ERROR_LIMIT, 0, {}, [], echo)
    if req.offset + req.limit > window:
        return SearchOutcome(board, ERROR_WINDOW.format(window=window), 0, {}, [], echo)
    matches = _matches(board, req)
    facets = {f"{name}_facet": facet_counts(board, req, name, matches) for name in req.facets}
    page = matches[req.offset : req.offset + max(0, req.limit)]
    return SearchOutcome(board, None, min(len(matches), window), facets, page, echo)


def search(board: Board, params: Sequence[tuple[str, str]], window: int) -> dict[str, Any]:
    """Answer one request as Python objects (see ``execute``)."""
    return execute(board, params, window).to_dict()
