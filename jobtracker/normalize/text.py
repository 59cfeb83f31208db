"""HTML fragments of a posting (``description``, qualifications) -> plain text for search.

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

__all__ = ["html_to_text"]

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
