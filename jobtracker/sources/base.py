"""What the rest of jobtracker needs to know about a site, asked of its :class:`Source`.

A site's module (``jobtracker.sources.<name>``) owns everything that depends on the shape of
its payloads: parsing them, raw object -> :class:`~jobtracker.items.JobPosting`, what its
postings' content is (the snapshot stored with every version and the fields whose change makes
a new version), what the normalization pipelines read of its raw objects, and how its crawls
split the board into partitions and name their scope. The pipelines, the store and the research
interface ask the registry (:func:`jobtracker.sources.source_named`) and never branch on the
source. Everything here is pure: no Scrapy, no pymongo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from jobtracker.items import JobPosting
    from jobtracker.normalize import Location, PayRange, UpdatedTime


@dataclass(frozen=True)
class PostingDates:
    """The dates a posting states: its posted date and an approximate last update."""

    posted_date: date | None
    updated: UpdatedTime


class Source:
    """One site family, e.g. ``amazon_jobs`` (www.amazon.jobs): subclass it in the site's module
    and register the module in :data:`jobtracker.sources.SOURCE_MODULES`."""

    name: ClassVar[str]
    """The ``source`` of its items and postings (``_id = "<source>:<source_id>"``)."""

    content_fields: ClassVar[tuple[str, ...]]
    """Snapshot fields whose change makes a new version, hashed in this order after whitespace
    normalization (``jobtracker.store.content``). Changing them changes every stored hash: every
    posting would look edited on its next sighting."""

    version_only_fields: ClassVar[tuple[str, ...]] = ()
    """Snapshot fields kept in ``posting_versions`` only (raw HTML, a whole card), not copied
    onto the ``postings`` document."""

    html_fields: ClassVar[Mapping[str, str]] = {}
    """Plain-text item fields and the raw HTML field each is made from (text cleaning)."""

    # -- content ------------------------------------------------------------------------
    def snapshot(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """The posting's content as stored in ``posting_versions`` (and, without
        :attr:`version_only_fields`, on ``postings``), from an item as a plain dict. The store
        adds ``source`` and the normalized fields the pipelines filled."""
        raise NotImplementedError

    def item_from_snapshot(
        self, snapshot: Mapping[str, Any], *, source_id: str, seen_at: datetime
    ) -> JobPosting | None:
        """A stored version's snapshot as an item again (its raw fields as the normalization
        reads them), so that ``jobtracker renormalize`` derives its fields with today's rules;
        None when the snapshot does not hold what the rules read (the version keeps its
        derived fields)."""
        return None

    # -- normalization hints: what the pipelines read of a raw object --------------------------
    def labels(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The site's own labels of a posting, as stored (none by default)."""
        return {}

    def role_labels(self, raw: Mapping[str, Any]) -> tuple[Any, Any, Any]:
        """``(job_category, job_family, business_category)`` for the role-family classifier;
        the classifier reads the title when the site has none of them."""
        return None, None, None

    def locations(self, item: JobPosting) -> list[Location]:
        """Every location of the posting, primary first."""
        raise NotImplementedError

    def dates(self, item: JobPosting) -> PostingDates | None:
        """The posting's dates; None when the site states none (nothing to count)."""
        return None

    def pay(self, item: JobPosting) -> list[PayRange]:
        """The posting's pay ranges."""
        return []

    # -- partitions and scopes, in the site's own terms ---------------------------------------
    def partition_values(self, posting: Mapping[str, Any]) -> dict[str, str]:
        """For a stored posting (``business_category``, ``country_code``, ...): the value of
        each partition dimension a crawl of this site may split by, so that the closure rules
        find the partition that should have listed it (``jobtracker.store.lifecycle``)."""
        raise NotImplementedError

    def scope_fields(self, scope: Mapping[str, Any]) -> dict[str, list[str]]:
        """A run's scope (as its spider recorded it in ``crawl_runs``) as the posting fields and
        values it covers; an absent field is not restricted."""
        raise NotImplementedError
