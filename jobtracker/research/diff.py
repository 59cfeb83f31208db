"""Readable differences between two versions of a posting's text (pure).

Texts are compared line by line (a line is a paragraph or a bullet of the plain text); a line
that was edited in place (at least half of its words kept) is shown once, starting with ``~ ``,
with the words that went away in ``[-...-]`` and the words that came in ``{+...+}`` (like
``git diff --word-diff``). Other lines only in the old text start with ``- ``, lines only in the
new text with ``+ ``, unchanged context lines with two spaces.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from typing import Any

_TOKEN = re.compile(r"\s+|[^\s]+")


#: Below this similarity an edited line is shown as removed and added, not word by word.
SIMILAR = 0.5


def _merged_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """Opcodes where changes separated only by whitespace are one change."""
    merged: list[tuple[str, int, int, int, int]] = []
    for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        tag, _i1, i2, _j1, j2 = op
        if (
            tag != "equal"
            and len(merged) >= 2
            and merged[-1][0] == "equal"
            and merged[-2][0] != "equal"
            and not "".join(a[merged[-1][1] : merged[-1][2]]).strip()
        ):
            merged.pop()  # the whitespace between the two changes
            first = merged.pop()
            merged.append(("replace", first[1], i2, first[3], j2))
            continue
        merged.append(op)
    return merged


def word_diff(old: str, new: str) -> str:
    """One line with ``[-removed-]`` and ``{+added+}`` marks."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in _merged_opcodes(a, b):
        if tag == "equal":
            out.append("".join(a[i1:i2]))
            continue
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        if removed.strip():
            out.append(f"[-{removed}-]")
        elif removed:
            out.append(removed)
        if added.strip():
            out.append(f"{{+{added}+}}")
        elif added and not removed:
            out.append(added)
    return "".join(out)


def _similar(a: str, b: str) -> bool:
    return SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio() >= SIMILAR


def text_diff(old: str | None, new: str | None, context: int = 1) -> list[str]:
    """Diff lines of two multi-line texts (see the module docstring); ``[]`` if equal."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    if a == b:
        return []
    lines: list[str] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        old_lines, new_lines = f"{first[1] + 1}-{last[2]}", f"{first[3] + 1}-{last[4]}"
        lines.append(f"@@ old lines {old_lines}, new lines {new_lines} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(f"  {line}" for line in a[i1:i2])
                continue
            olds, news = a[i1:i2], b[j1:j2]
            if len(olds) == len(news) and all(map(_similar, olds, news)):
                lines.extend(f"~ {word_diff(x, y)}" for x, y in zip(olds, news, strict=True))
            else:
                lines.extend(f"- {line}" for line in olds)
                lines.extend(f"+ {line}" for line in news)
    return lines


def display_value(name: str, value: Any) -> str:
    """A field's value as text: location JSON strings become their ``location`` labels."""
    if value is None:
        return ""
    if name == "locations_raw" and isinstance(value, list):
        labels = []
        for item in value:
            try:
                decoded = json.loads(item) if isinstance(item, str) else item
            except ValueError:
                decoded = None
            label = decoded.get("location") if isinstance(decoded, dict) else None
            labels.append(str(label or item))
        return "\n".join(labels)
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


def field_diff(name: str, old: Any, new: Any) -> str:
    """A readable diff of one field: ``'a' -> 'b'`` for one-liners, line diff otherwise."""
    a, b = display_value(name, old), display_value(name, new)
    if "\n" not in a and "\n" not in b and len(a) <= 120 and len(b) <= 120:
        return f"{a!r} -> {b!r}"
    return "\n".join(text_diff(a, b))
