"""HTML fragments of a posting (``description``, qualifications) -> plain text for search, and
single-line texts (titles, labels) without control characters (:func:`strip_controls`).

Regex passes plus :func:`html.unescape` (stdlib only): the fragments are small, tag-soup
ProseMirror/``<br/>`` markup, and a crawl converts ~22,000 postings x 3 fields, so a tokenizer
such as :class:`html.parser.HTMLParser` measured 2-2.5x slower on the real samples. Every pass
scans the whole fragment, so there are few: one regex for all line breaks, and whitespace tidied
with ``str`` methods where the text allows it (about 30% less time than a pass per tag kind and
a split/join of every line).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

__all__ = [
    "LABEL_FIELDS",
    "clean_label",
    "clean_labels",
    "clean_title",
    "html_to_text",
    "strip_controls",
]

# Comments, CDATA, doctype and <script>/<style> bodies: dropped whole.
_DROP_RE = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<![^<>]*>|<\?[^<>]*>"
    r"|<(script|style)\b[^<>]*>.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
# Block elements (open or close): a run of them, with the whitespace after it, is one line end,
# so "</li><li>" or "</p>\n<p>" do not leave blank lines. Each <br> is a line end of its own:
# amazon.jobs writes paragraph breaks as "<br/><br/>".
_BLOCK_NAMES = (
    r"(?:p|div|li|ul|ol|dl|dt|dd|h[1-6]|tr|table|thead|tbody|blockquote|pre"
    r"|section|article|header|footer|address|figure|figcaption)"
)
_BLOCK_TAG = rf"</?{_BLOCK_NAMES}\b[^<>]*>"
# One pass for both kinds of line end (they never match at the same "<", and a block run never
# contains a <br>). The literal "br/>" goes first: it is most of the markup on amazon.jobs.
_BREAK_RE = re.compile(
    rf"<(?:br/>|[bh]r\b[^<>]*>|/?{_BLOCK_NAMES}\b[^<>]*>(?:\s*{_BLOCK_TAG})*\s*)", re.IGNORECASE
)
# Table cells separate words.
_CELL_RE = re.compile(r"</?t[dh]\b[^<>]*>", re.IGNORECASE)
# Any other tag (inline: span, a, b, strong ...) disappears without a gap; a tag cut off at the
# end of the fragment ("... <span style=") goes too. A lone "<" in prose ("a < b") is kept.
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*(?:>|\Z)")
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width characters, soft hyphen
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")


def html_to_text(html_text: object) -> str:
    """Plain text of an HTML fragment: one line per ``<br>``/block, entities decoded.

    Whitespace is collapsed inside each line, lines are stripped, runs of blank lines become
    one blank line, and leading "•" bullets are kept. ``None``, non-strings and empty input give
    ``""``; broken markup never raises.
    """
    if isinstance(html_text, bytes | bytearray):
        text = bytes(html_text).decode("utf-8", "replace")
    elif isinstance(html_text, str):
        text = html_text
    else:
        return ""
    if "<" in text:
        text = _DROP_RE.sub("", text)
        text = _BREAK_RE.sub("\n", text)
        text = _CELL_RE.sub(" ", text)
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    lines = text.split("\n")
    # The common case: printable lines. Zero-width characters and every whitespace character
    # but " " are unprintable, so there is nothing to remove and a line without a double,
    # leading or trailing space is already tidy (no split/join of its words).
    if all(map(str.isprintable, lines)):
        tidy = "\n".join(
            [
                " ".join(line.split())
                if "  " in line or line[:1] == " " or line[-1:] == " "
                else line
                for line in lines
            ]
        )
        while "\n\n\n" in tidy:  # a run of blank lines -> one blank line
            tidy = tidy.replace("\n\n\n", "\n\n")
        return tidy.strip("\n")
    if any(char in text for char in _INVISIBLE):
        text = _INVISIBLE_RE.sub("", text)
    return _tidy_lines(text)


def _tidy_lines(text: str) -> str:
    """Collapse whitespace inside lines, strip lines, keep at most one blank line in a row."""
    lines: list[str] = []
    for line in text.splitlines():  # also splits on \r, \r\n, \u2028 ...
        line = " ".join(line.split())  # str.split() knows every Unicode space (\xa0 ...)
        if line:
            lines.append(line)
        elif lines and lines[-1]:
            lines.append("")  # one blank line keeps a paragraph break
    if lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


# -- control characters (docs/security.md) ----------------------------------------------------

# Terminal escape sequences (ECMA-48), removed whole so that no parameter bytes stay behind:
# control strings (OSC, DCS, SOS, PM, APC: ESC ] ... or their C1 forms, up to BEL or ST), CSI
# (ESC [ or C1 CSI, parameters, intermediates, final byte) and the other ESC sequences.
_ESCAPE_RE = re.compile(
    r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b[ -/]*[0-~]?"
)
# C0 and C1 controls that separate words (tab, line breaks, the information separators, NEL):
# one space for a run of them.
_BREAK_CONTROLS_RE = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1f\x85]+")
# Every other C0 control, DEL and C1 control: removed.
_OTHER_CONTROLS_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences and C0/C1 control characters, on one line.

    Escape sequences go whole (an OSC that retitles the window, a CSI that clears the screen);
    tabs, line breaks and the other separating controls become one space; NUL, DEL and every
    other control character are removed. Text without control characters is returned as it is
    (the same object), so an ordinary title keeps its content hash.
    """
    if text.isprintable():  # the common case; also true for every non-control character
        return text
    if "\x1b" in text or any(c in text for c in "\x90\x98\x9b\x9d\x9e\x9f"):
        text = _ESCAPE_RE.sub("", text)
    text = _BREAK_CONTROLS_RE.sub(" ", text)
    return _OTHER_CONTROLS_RE.sub("", text)


#: Amazon's own labels of a corporate posting (``raw`` fields, plus ``team.label``), stored
#: beside the normalized fields.
LABEL_FIELDS = ("job_category", "job_family", "business_category", "team")


def clean_label(value: object) -> object:
    """A label as stored: :func:`strip_controls` for text, anything else unchanged (``None``
    stays ``None``; the raw payload keeps the value as served)."""
    return strip_controls(value) if isinstance(value, str) else value


def clean_title(title: str | None) -> str | None:
    """A title as stored: :func:`strip_controls`, surrounding whitespace removed. A title
    without control characters comes back unchanged."""
    if title is None or title.isprintable():
        return title
    return strip_controls(title).strip()


def clean_labels(raw: Mapping[str, object]) -> dict[str, object]:
    """:data:`LABEL_FIELDS` of a corporate job object, each through :func:`clean_label`."""
    team = raw.get("team")
    labels = {name: clean_label(raw.get(name)) for name in LABEL_FIELDS[:-1]}
    labels["team"] = clean_label(team.get("label")) if isinstance(team, Mapping) else None
    return labels
