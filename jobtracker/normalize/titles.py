"""Reading a job title as Amazon writes it: its role part, its team part, its abbreviations.

``"Sr SDM - Alexa Communications A/V"`` is a senior software development manager working on
Alexa Communications; ``"Web Development Engineer-I, Carrier Logistics"`` a web developer for
Carrier Logistics. :func:`split_title` splits a title where Amazon separates the role from the
team (" - ", an en or em dash, ",", "(", "|", ":", ...) and :class:`Expander` spells out each
segment's abbreviations and short forms (``SDE2``, ``Sr``, ``TPM``, ``BIE``, ``Recr Svc``,
``Mgr``, ``Spclst``, ...) in the words the role-family rules are written in. The tables are data
(``role_families.json``); everything here is pure.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

__all__ = ["Expander", "split_title"]

#: Where Amazon separates a title's role from its team, location or shift.
_SEPARATOR_RE = re.compile(r"\s+[-\u2010-\u2015]+\s+|\s*[,(|:;/\[\]{}\u2013\u2014)]\s*|\s+-|-\s+")
#: Within a segment: everything that is not a letter, digit, ``+`` or ``#`` separates words.
_NON_WORD_RE = re.compile(r"[^0-9a-z+#]+")
#: A letter-digit boundary (``sde2`` -> ``sde 2``, ``l5`` -> ``l 5``).
_LETTER_DIGIT_RE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
#: Seniority words and level marks that may surround a two-letter role (``Sr. SA II``).
_SENIORITY = r"(?:senior |sr |snr |junior |jr |principal |lead |staff |associate )?"
_LEVEL = r"(?: (?:i{1,3}|iv|v|[1-7]|l [1-9]))?"
#: An abbreviation of plain words only (``"mgr|mngr"``): looked up word by word.
_PLAIN_WORDS_RE = re.compile(r"[a-z0-9]+(?:\|[a-z0-9]+)*")


def split_title(title: str) -> list[str]:
    """The title's segments, role part usually first: ``"SDE II, Alexa (Seattle)"`` ->
    ``["SDE II", "Alexa", "Seattle"]``. Empty segments are dropped."""
    return [part.strip() for part in _SEPARATOR_RE.split(title) if part and part.strip()]


def _fold(text: str) -> str:
    """Case-folded words of ``text`` without accents, ``&`` read as "and"."""
    if "&" in text:
        text = html.unescape(text).replace("&", " and ")
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _NON_WORD_RE.sub(" ", text)
    return " ".join(_LETTER_DIGIT_RE.sub(" ", text).split())


class Expander:
    """Expands Amazon's abbreviations in title segments, from four tables: forms read on the
    raw segment, case and punctuation intact (``Pr.`` is "Principal", ``PR`` is public
    relations); whole-word forms (``[pattern, words]``, applied in order on the case-folded
    segment); two-letter forms that are ordinary words too (``{"sa": "solutions architect"}``),
    expanded only when they are the whole role part; and those of them that may also end a
    role part (``"Analytics Specialist SA"``)."""

    def __init__(
        self,
        abbreviations: Iterable[Sequence[str]],
        segment_abbreviations: Mapping[str, str],
        *,
        raw_abbreviations: Iterable[Sequence[str]] = (),
        trailing: Iterable[str] = (),
    ) -> None:
        self._raw = [
            (re.compile(pattern), replacement) for pattern, replacement in raw_abbreviations
        ]
        # Forms of one plain word are looked up word by word; the others (several words, a
        # look-ahead) are read first, in one pass: at each word the first of them that matches.
        pairs = [(pattern, words) for pattern, words in abbreviations]
        self._single: dict[str, str] = {}
        phrases = []
        for pattern, words in pairs:
            if _PLAIN_WORDS_RE.fullmatch(pattern):
                for word in pattern.split("|"):
                    self._single.setdefault(word, words)
            else:
                phrases.append((pattern, words))
        self._phrase_re = re.compile(
            "|".join(rf"\b(?P<a{index}>{pattern})\b" for index, (pattern, _) in enumerate(phrases))
            or "(?!)"
        )
        self._phrase_words = {f"a{index}": words for index, (_, words) in enumerate(phrases)}
        self._segment = re.compile(
            rf"^({_SENIORITY})({'|'.join(map(re.escape, segment_abbreviations))}){_LEVEL}$"
        )
        self._segment_words = dict(segment_abbreviations)
        ends = "|".join(map(re.escape, trailing)) or "(?!)"
        self._trailing = re.compile(rf"^(.+ )({ends}){_LEVEL}$")
        self.expand = lru_cache(maxsize=32768)(self._expand)

    def _expand(self, segment: str) -> str:
        """The segment's words, case-folded, with its abbreviations spelled out."""
        for pattern, replacement in self._raw:
            segment = pattern.sub(replacement, segment)
        text = _fold(segment)
        whole = self._segment.match(text)
        if whole:
            return f"{whole.group(1)}{self._segment_words[whole.group(2)]}"
        end = self._trailing.match(text)
        if end:
            text = f"{end.group(1)}{self._segment_words[end.group(2)]}"
        if self._phrase_re.search(text):
            text = self._phrase_re.sub(self._spell_out, text)
        single = self._single
        return " ".join([single.get(word, word) for word in text.split(" ")])

    def _spell_out(self, found: re.Match[str]) -> str:
        return self._phrase_words[found.lastgroup or ""]
