"""The discovered plan: a full crawl of ``search.json`` when the facets cannot plan it (pure; no
Scrapy).

The facet plan splits the board by the counts of the ``business_category`` facet. Collectors
disagree about the real site: one found the facets empty even when asked, another the category
filter answering ``hits: 0`` (docs: README, "When the facets fail"). When the root facet call
answers no usable counts (:func:`facet_plan_problem`: missing, empty, or inconsistent with its
own ``hits`` or with the country facet of the same answer), the spider plans from the data:

1. **the root listing**: the scope's listing (``sort=recent``), page by page, up to the window;
   every posting seen gives its ``business_category`` and country;
2. **the partitions**: every category seen, every category of the run's scope and every one
   only the store still knows (asked for explicitly). On a board under the window the root
   listing already holds every posting: each category gets one count call (``result_limit=1``)
   and is complete when the postings the root listing showed for it reconcile with its
   ``hits``; the run is complete when, besides, the categories' ``hits`` sum to the root's
   (:meth:`Discovery.reconcile`). On a board over the window each category is listed itself;
   one over the window is read to the window, then, once the others are read, split by every
   country seen anywhere;
3. **over the window only, the cross-check by country**: one count call per country seen; a
   country under the window whose postings the crawl has not all seen is listed, and the
   categories it reveals are crawled (then their countries checked), until nothing new turns
   up. ``hits`` saturate at the window, so such a run finds every posting it can but cannot
   prove that it saw every category: it is incomplete and closes nothing.

:class:`Discovery` holds what the plan has seen and decides what comes next; the spider sends
the requests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from jobtracker.partitions import facet_problem, tolerance_for

CATEGORY = "business_category"
COUNTRY = "normalized_country_code"

#: The phases of the plan, in order (``country_pages`` loops back to ``partitions`` while a
#: country listing reveals new categories).
PHASES = ("root", "partitions", "splits", "countries", "country_pages", "done")


def facet_plan_problem(
    facets: Mapping[str, Mapping[str, int]],
    hits: int,
    window: int,
    *,
    tolerance_abs: int = 2,
    tolerance_rel: float = 0.005,
) -> str | None:
    """Why the root facet call's answer cannot plan a full crawl, or None when it can.

    The ``business_category`` facet must be there, not empty while the listing has ``hits``,
    consistent with those ``hits`` (:func:`~jobtracker.partitions.facet_problem`), and, both
    being single-valued counts of the same postings in the same answer, sum exactly to what the
    ``normalized_country_code`` facet sums to: a category left out of its facet (facets that
    lie) is otherwise invisible over the window, and would look absent, complete and empty."""
    categories = facets.get(CATEGORY)
    if categories is None:
        return "the facet call returned no business_category facet" if hits else None
    if hits and not any(categories.values()):
        return f"the business_category facet is empty while the listing reports {hits} hits"
    problem = facet_problem(
        CATEGORY,
        categories,
        hits=hits,
        window=window,
        promised=None,
        tolerance_abs=tolerance_abs,
        tolerance_rel=tolerance_rel,
    )
    if problem is not None:
        return problem
    countries = facets.get(COUNTRY)
    if countries is not None and sum(countries.values()) != sum(categories.values()):
        return (
            f"business_category counts sum to {sum(categories.values()):,}, country counts to "
            f"{sum(countries.values()):,}: one leaves some out"
        )
    return None


@dataclass
class Discovery:
    """What the discovered plan has seen, and what it asks for next."""

    reason: str
    """Why the facets could not plan the crawl (recorded in ``crawl_runs.plan_reason``)."""
    window: int
    root_hits: int
    """The root call's ``hits``: the scope's size, saturated at the window."""
    scope_categories: tuple[str, ...] = ()
    """The run's ``categories`` (empty: every category)."""
    known_categories: frozenset[str] = frozenset()
    """Categories of open postings in the store (asked for even if no listing shows them)."""
    phase: str = "root"
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Every posting seen: id -> (business_category, country)."""
    planned: set[str] = field(default_factory=set)
    """Categories planned as partitions."""
    country_hits: dict[str, int] = field(default_factory=dict)
    """Each country's ``hits`` in the scope (count calls of the cross-check)."""
    listed_countries: set[str] = field(default_factory=set)
    to_split: list[str] = field(default_factory=list)
    """Keys of categories over the window, read to the window, to split by country next."""

    @property
    def large(self) -> bool:
        """Whether the scope reaches the window (its ``hits`` saturate)."""
        return self.root_hits >= self.window

    def see(self, postings: Iterable[tuple[str, str, str]]) -> None:
        """Postings as ``(id, business_category, country)``, from any listing of the run."""
        for source_id, category, country in postings:
            self.rows[source_id] = (category, country)

    def ids_of(self, category: str) -> set[str]:
        return {source_id for source_id, (seen, _) in self.rows.items() if seen == category}

    def categories_to_plan(self) -> list[str]:
        """Categories not planned yet: those seen, those only the store knows, and the run's
        own, kept to the run's categories when it has some."""
        seen = {category for category, _ in self.rows.values() if category}
        wanted = (seen | self.known_categories) if not self.scope_categories else set()
        wanted |= set(self.scope_categories)
        return sorted(wanted - self.planned)

    def countries_seen(self) -> list[str]:
        return sorted({country for _, country in self.rows.values() if country})

    def countries_to_count(self) -> list[str]:
        """Countries of the cross-check still without a count call (over the window, for a
        run over every category)."""
        if not self.large or self.scope_categories:
            return []
        return [country for country in self.countries_seen() if country not in self.country_hits]

    def countries_to_list(self) -> list[str]:
        """Countries under the window whose postings the crawl has not all seen: listing them
        shows the categories it missed."""
        seen = Counter(country for _, country in self.rows.values())
        return [
            country
            for country, hits in sorted(self.country_hits.items())
            if hits < self.window and seen[country] < hits and country not in self.listed_countries
        ]

    def unverified_countries(self) -> list[str]:
        """Countries whose own ``hits`` saturate: the cross-check cannot vouch for them."""
        return sorted(c for c, hits in self.country_hits.items() if hits >= self.window)

    def reconcile(
        self,
        category_hits: Mapping[str, int | None],
        listed: int,
        *,
        tolerance_abs: int = 2,
        tolerance_rel: float = 0.005,
    ) -> str | None:
        """Under the window, for a run over every category: the categories' ``hits`` must sum
        to the root listing's (``listed``), within the tolerance; why not, or None."""
        if any(hits is None for hits in category_hits.values()):
            missing = sorted(k for k, hits in category_hits.items() if hits is None)
            return f"no count for {len(missing)} categories ({', '.join(missing[:5])})"
        total = sum(hits or 0 for hits in category_hits.values())
        if abs(total - listed) > tolerance_for(listed, tolerance_abs, tolerance_rel):
            return (
                f"the discovered categories' hits sum to {total}, the root listing reports {listed}"
            )
        return None

    def over_window_problem(self) -> str:
        """Why a plan over the window cannot call itself complete."""
        unverified = self.unverified_countries()
        tail = ""
        if unverified:
            tail = f"; countries too large to cross-check: {', '.join(unverified)}"
        return (
            f"the scope reaches the {self.window}-row window and the site gave no usable facet "
            f"counts: the {len(self.planned)} categories found cannot be shown to cover it "
            f"(hits saturate){tail}"
        )
