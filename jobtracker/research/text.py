"""Phrase matching: what "mentions a phrase" means, the same in Python and in MongoDB (pure).

A version **mentions** a phrase when one of the searched text fields contains it as whole words,
case-insensitively: the phrase's words in order, separated by any run of whitespace, neither
preceded nor followed by a word character. Word characters are ``0-9 A-Z a-z _`` and the Latin
letters ``À-ɏ`` (so ``Zürich`` is one word); everything else (spaces, punctuation, ``-``, ``+``)
separates words: ``C++`` is found in ``C++ developer``, ``vision`` is found in
``vision-based`` but ``image`` is not found in ``images``.

The same regex string is sent to MongoDB (PCRE on MongoDB 7, java.util.regex on the test
server): it uses only literal characters, ``\\s`` and negative look-arounds with a character
class, which mean the same in all three engines. The pattern starts with the phrase's first
character, and the "not preceded by a word character" look-behind follows it
(``r(?<![W]r)ekognition(?![W])``, W the word characters): the same matches as a leading
look-behind, but an engine that tries every position (java.util.regex) rejects most positions
on one character instead of evaluating the look-behind first, which made a scan of every
version's texts about five times slower.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Characters that count as part of a word (see the module docstring).
WORD_CHARS = "0-9A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
#: ``--field`` names and the stored plain-text fields they search.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "description": ("description_text",),
    "qualifications": ("basic_qualifications_text", "preferred_qualifications_text"),
}
#: Every searched field, in the order snippets look at them.
TEXT_FIELDS: tuple[str, ...] = (
    "title",
    "description_text",
    "basic_qualifications_text",
    "preferred_qualifications_text",
)


def phrase_pattern(phrase: str) -> str:
    """The regex (without flags; use it case-insensitively) of a whole-word phrase."""
    words = phrase.split()
    if not words:
        raise ValueError("the phrase is empty")
    first, rest = re.escape(words[0][0]), words[0][1:]
    body = r"\s+".join([re.escape(rest), *(re.escape(word) for word in words[1:])])
    # (?<![W])X... written as X(?<![W]X)...: the same matches, found faster (module docstring).
    return f"{first}(?<![{WORD_CHARS}]{first}){body}(?![{WORD_CHARS}])"


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """``phrase_pattern`` compiled case-insensitively."""
    return re.compile(phrase_pattern(phrase), re.IGNORECASE)


def resolve_fields(names: Iterable[str] | None) -> tuple[str, ...]:
    """``["title", "qualifications"]`` -> the stored text fields (all of them for None/empty).

    Accepts comma-separated items; raises ``ValueError`` naming an unknown field.
    """
    chosen: list[str] = []
    for item in names or ():
        for name in str(item).split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name in TEXT_FIELDS:  # a stored field name (already resolved)
                group: tuple[str, ...] = (name,)
            elif name in FIELD_GROUPS:
                group = FIELD_GROUPS[name]
            else:
                raise ValueError(f"unknown field {name!r} (choose from {', '.join(FIELD_GROUPS)})")
            chosen.extend(f for f in group if f not in chosen)
    if not chosen:
        return TEXT_FIELDS
    return tuple(f for f in TEXT_FIELDS if f in chosen)


def field_label(fields: Sequence[str]) -> str:
    """``("title", "description_text")`` -> ``"title, description"``."""
    names = [name for name, group in FIELD_GROUPS.items() if any(f in fields for f in group)]
    return ", ".join(names)


def mentions(snapshot: Mapping[str, Any], regex: re.Pattern[str], fields: Sequence[str]) -> bool:
    """Whether one of ``fields`` of ``snapshot`` contains the phrase."""
    return any(regex.search(str(snapshot.get(name) or "")) for name in fields)


def snippet(
    snapshot: Mapping[str, Any],
    regex: re.Pattern[str],
    fields: Sequence[str] = TEXT_FIELDS,
    width: int = 60,
) -> str:
    """The first match with ``width`` characters either side, whitespace collapsed, ``…``
    where text was cut; ``""`` if nothing matches."""
    for name in fields:
        text = str(snapshot.get(name) or "")
        match = regex.search(text)
        if match is None:
            continue
        start, end = max(0, match.start() - width), min(len(text), match.end() + width)
        if start > 0:  # do not cut a word in two
            space = text.find(" ", start, match.start())
            start = space + 1 if space != -1 else start
        if end < len(text):
            space = text.rfind(" ", match.end(), end)
            end = space if space != -1 else end
        body = " ".join(text[start:end].split())
        return f"{'…' if start > 0 else ''}{body}{'…' if end < len(text) else ''}"
    return ""
