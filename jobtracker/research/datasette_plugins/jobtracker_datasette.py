"""The Datasette plugin of ``jobtracker serve`` (loaded with ``--plugins-dir``).

- ``jt_mentions(phrase, text, ...)`` on every connection: the phrase matching of
  ``jobtracker trend`` (:mod:`jobtracker.research.serve`), used by the canned queries;
- word diffs: a ``diff`` cell (``version_changes``, the ``posting_history`` query) is shown
  with removed words struck through and added words marked, its text escaped (hostile text in
  a posting stays text).
"""

from __future__ import annotations

import re
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from jobtracker.research.serve import diff, register_functions

_MARK = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.DOTALL)


@hookimpl
def prepare_connection(conn: Any) -> None:
    register_functions(conn)


def diff_html(text: str) -> Markup:
    """``[-old-]{+new+}`` marks as ``<del>``/``<ins>``; everything else escaped."""
    parts: list[str] = []
    position = 0
    for match in _MARK.finditer(text):
        parts.append(str(escape(text[position : match.start()])))
        removed, added = match.group(1), match.group(2)
        if removed is not None:
            parts.append(f'<del style="background:#fdd">{escape(removed)}</del>')
        else:
            parts.append(f'<ins style="background:#dfd">{escape(added)}</ins>')
        position = match.end()
    parts.append(str(escape(text[position:])))
    return Markup('<div style="white-space:pre-wrap">' + "".join(parts) + "</div>")


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None) -> Markup | None:
    if column != "diff" or table not in (None, "version_changes"):
        return None
    if value is None and table == "version_changes":  # a text: diffed when shown
        try:
            value = diff(row["field"], row["old"], row["new"])
        except (IndexError, KeyError):
            return None
    return diff_html(value) if isinstance(value, str) else None
