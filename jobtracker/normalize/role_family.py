"""A standard role family (and SOC 2018 code where confident) for a posting.

The mapping is data (``role_families.json`` in this package, documented in
``docs/role_families.md``); this module only applies it:

1. ``job_category`` (Amazon's own category) if it is known and maps to a family other than
   ``other`` -> basis ``"job_category"``;
2. else ``job_family`` likewise -> basis ``"job_family"``;
3. else the title (:mod:`jobtracker.normalize.titles` splits it into segments and spells out
   Amazon's abbreviations). The role part (the first segment that names a role) decides by its
   role phrase, else by its domain words -> basis ``"title"``; when it has neither, the team
   part breaks the tie -> ``"title_team"``; else the role's head noun alone -> ``"title_head"``;
4. else ``other`` if the category (or job family) is known but fits no family;
5. else no family (``None``) and basis ``None``: unknown is not "other".

The SOC code is the first SOC title rule of the resolved family that matches the deciding
segment, else the category's (or job family's) default; a non-management code (not ``11-``) is
dropped for a title that reads as a manager. ``business_category`` is an organization, not a
role, and is deliberately not used.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from jobtracker.normalize.titles import Expander, split_title

__all__ = [
    "CLASSIFIER_VERSION",
    "ROLE_FAMILIES",
    "RoleClassification",
    "classify_role",
    "normalize_label",
]

_DATA: dict[str, Any] = json.loads(
    resources.files("jobtracker.normalize")
    .joinpath("role_families.json")
    .read_text(encoding="utf-8")
)

#: Version of the mapping; stored with every classification. Bump it in role_families.json.
CLASSIFIER_VERSION: str = _DATA["version"]
#: Family slug -> human label, in taxonomy order.
ROLE_FAMILIES: dict[str, str] = dict(_DATA["families"])


@dataclass(frozen=True, slots=True)
class RoleClassification:
    """The role family of a posting and how it was decided."""

    role_family: str | None
    role_family_label: str | None
    soc_code: str | None
    soc_title: str | None
    basis: str | None  # "job_category" | "job_family" | "title" | "title_team" | "title_head"
    classifier_version: str = CLASSIFIER_VERSION
    #: The words of the title that decided (``"software development manager"``), else None.
    matched: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON/BSON friendly)."""
        return {
            "role_family": self.role_family,
            "role_family_label": self.role_family_label,
            "soc_code": self.soc_code,
            "soc_title": self.soc_title,
            "basis": self.basis,
            "classifier_version": self.classifier_version,
            "matched": self.matched,
        }


@dataclass(frozen=True, slots=True)
class _Entry:
    family: str
    soc: tuple[str, str] | None


_AND_RE = re.compile(r"\s*[&+]\s*")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")


def normalize_label(text: object) -> str:
    """Matching key of a category/family label: case, punctuation and "&"/"and" insensitive.

    ``"Fulfillment & Operations Management"``, ``"fulfillment \\u0026 operations management"``
    (escape left undecoded) and ``"Fulfillment &amp; Operations Management"`` all give
    ``"fulfillment and operations management"``.
    """
    if not isinstance(text, str):
        return ""
    text = text.replace("\\u0026", "&")
    if "&" in text:
        text = html.unescape(text)
    text = _AND_RE.sub(" and ", text.casefold())
    return " ".join(_NON_ALNUM_RE.sub(" ", text).split())


def _soc(value: Any) -> tuple[str, str] | None:
    return (value["code"], value["title"]) if value else None


def _load_tables() -> tuple[dict[str, _Entry], dict[str, _Entry]]:
    categories: dict[str, _Entry] = {}
    for item in _DATA["categories"]:
        entry = _Entry(item["family"], _soc(item["soc"]))
        for name in (item["name"], *item["aliases"]):
            categories[normalize_label(name)] = entry
    job_families = dict(categories)  # a job_family is often spelled like a category
    for item in _DATA["job_families"]:
        job_families[normalize_label(item["name"])] = _Entry(item["family"], _soc(item["soc"]))
    return categories, job_families


_CATEGORIES, _JOB_FAMILIES = _load_tables()
_TIERS = ("role", "domain", "head")
#: Title rules per tier, in order: (pattern, family), matched on expanded segment text.
_TITLE_RULES: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    tier: tuple(
        (re.compile(rule["pattern"]), rule["family"])
        for rule in _DATA["title_rules"]
        if rule["tier"] == tier
    )
    for tier in _TIERS
}
#: Nouns that make a segment the role part even when they say nothing of the family.
_ROLE_NOUN_RE = re.compile(_DATA["title_role_nouns"])
_EXPANDER = Expander(
    _DATA["title_abbreviations"],
    _DATA["title_segment_abbreviations"],
    raw_abbreviations=_DATA["title_raw_abbreviations"],
    trailing=_DATA["title_trailing_abbreviations"],
)
_SOC_TITLE_RULES: dict[str, tuple[tuple[re.Pattern[str], tuple[str, str] | None], ...]] = {}
for _rule in _DATA["soc_title_rules"]:
    _SOC_TITLE_RULES.setdefault(_rule["family"], ())
    _SOC_TITLE_RULES[_rule["family"]] += (
        (re.compile(_rule["pattern"], re.IGNORECASE), _soc(_rule["soc"])),
    )
_MANAGER_RE = re.compile(_DATA["manager_title_pattern"], re.IGNORECASE)

_NONE = RoleClassification(None, None, None, None, None)


def _clean_title(title: object) -> str:
    if not isinstance(title, str):
        return ""
    return " ".join(html.unescape(title).split()) if "&" in title else " ".join(title.split())


@lru_cache(maxsize=16384)
def _classify(category_key: str, family_key: str, title: str) -> RoleClassification:
    category = _CATEGORIES.get(category_key) if category_key else None
    job_family = _JOB_FAMILIES.get(family_key) if family_key else None
    family: str | None = None
    basis: str | None = None
    matched: str | None = None
    segment: str | None = None
    default_soc: tuple[str, str] | None = None
    named = _named_role(title)
    if named is not None:  # the title's role part names the role better than a category
        family, basis, matched, segment = named
        if category is not None and category.family == family:
            basis, default_soc = "job_category", category.soc
    elif category is not None and category.family != "other":
        family, basis, default_soc = category.family, "job_category", category.soc
    elif job_family is not None and job_family.family != "other":
        family, basis, default_soc = job_family.family, "job_family", job_family.soc
    else:
        title_match = _classify_title(title)
        if title_match is not None:
            family, basis, matched, segment = title_match[:4]
        elif category is not None:
            family, basis, default_soc = "other", "job_category", category.soc
        elif job_family is not None:
            family, basis, default_soc = "other", "job_family", job_family.soc
    if family is None:
        return _NONE
    if segment is None and title:
        segment = " ".join(_EXPANDER.expand(part) for part in split_title(title))
    soc = default_soc
    for pattern, rule_soc in _SOC_TITLE_RULES.get(family, ()):
        if segment and pattern.search(segment):
            soc = rule_soc
            break
    if soc is not None and not soc[0].startswith("11-") and segment and _MANAGER_RE.search(segment):
        soc = None
    return RoleClassification(
        role_family=family,
        role_family_label=ROLE_FAMILIES[family],
        soc_code=soc[0] if soc else None,
        soc_title=soc[1] if soc else None,
        basis=basis,
        matched=matched,
    )


def _named_role(title: str) -> tuple[str, str, str, str] | None:
    """The title's classification when its role part decides by a role phrase (``"Applied
    Scientist"``, ``"Sr TPM"``) or a domain (``"Risk Management Coordinator"``), else None."""
    found = _classify_title(title)
    if found is None or found[1] != "title":
        return None
    return found[:4]


def _match(text: str, tier: str) -> tuple[str, str] | None:
    """The first rule of ``tier`` that matches ``text``: (family, matched words)."""
    for pattern, family in _TITLE_RULES[tier]:
        found = pattern.search(text)
        if found:
            return family, found.group(0)
    return None


def _classify_title(title: str) -> tuple[str, str, str, str, str] | None:
    """(family, basis, matched words, deciding segment, tier of the deciding rule) from the
    title alone, or None.

    The role part is the first segment with a role noun, a head noun or a role phrase; it
    decides by its role phrase, else by its domain. Only when it has neither do the other
    segments (the team, the place, the shift) break the tie, by their role phrase, then their
    domain (``"Senior Manager, Finance"``: basis ``title_team``); else the role part's head
    noun alone gives a weak default (basis ``title_head``)."""
    if not title:
        return None
    segments = [_EXPANDER.expand(part) for part in split_title(title)]
    segments = [segment for segment in segments if segment]
    if not segments:
        return None
    role_index = next(
        (
            index
            for index, segment in enumerate(segments)
            if _ROLE_NOUN_RE.search(segment) or _match(segment, "role") or _match(segment, "head")
        ),
        0,
    )
    role_part = segments[role_index]
    for tier in ("role", "domain"):
        found = _match(role_part, tier)
        if found:
            return found[0], "title", found[1], role_part, tier
    others = segments[:role_index] + segments[role_index + 1 :]
    for tier in ("role", "domain"):
        for segment in others:
            found = _match(segment, tier)
            if found:
                return found[0], "title_team", found[1], role_part, tier
    found = _match(role_part, "head")
    if found:
        return found[0], "title_head", found[1], role_part, "head"
    return None


def classify_role(
    job_category: object,
    job_family: object = None,
    business_category: object = None,
    title: object = None,
) -> RoleClassification:
    """Classify one posting from its raw ``job_category``, ``job_family`` and ``title``.

    ``business_category`` is accepted (it is kept verbatim on the item) but not used. Any
    argument may be None or malformed; the result is then less specific, never an exception.
    """
    del business_category  # an org unit, not a role: see the module docstring
    if (
        isinstance(job_category, str | None)
        and isinstance(job_family, str | None)
        and isinstance(title, str | None)
    ):
        return _classify_raw(job_category, job_family, title)
    return _classify(
        normalize_label(job_category), normalize_label(job_family), _clean_title(title)
    )


# Raw labels and titles repeat across postings (a crawl of 22,000 postings has ~30 categories
# and ~4,800 distinct category/family/title triples), so the label clean-up is memoized on the
# raw strings too. The result is a frozen dataclass: no caller can change a cached value.
@lru_cache(maxsize=16384)
def _classify_raw(
    job_category: str | None, job_family: str | None, title: str | None
) -> RoleClassification:
    return _classify(
        normalize_label(job_category), normalize_label(job_family), _clean_title(title)
    )
