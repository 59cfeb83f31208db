"""The Datasette plugin of ``jobtracker serve`` (loaded with ``--plugins-dir``).

- ``jt_mentions(phrase, text, ...)`` on every connection: the phrase matching of
  ``jobtracker trend`` (:mod:`jobtracker.research.serve`), used by the canned queries;
- CSV downloads formula-safe: every CSV that Datasette writes goes through
  :func:`jobtracker.research.output.neutralize` cell by cell (numbers aside), as
  ``jobtracker export`` and the commands' ``--csv`` do (docs/security.md);
- word diffs: a ``diff`` cell (``version_changes``, the ``posting_history`` query) is shown
  with removed words struck through and added words marked, its text escaped (hostile text in
  a posting stays text).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Awaitable, Callable
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from jobtracker.research.output import neutralize
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


class CsvCleaner:
    """Re-writes a CSV body as it streams, with formula cells neutralized."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.pending = ""

    def feed(self, chunk: bytes, final: bool) -> bytes:
        self.pending += self.decoder.decode(chunk, final=final)
        if final:
            complete, self.pending = self.pending, ""
        else:
            end = self.pending.rfind("\r\n")
            while end != -1 and self.pending.count('"', 0, end) % 2:  # inside a quoted cell
                end = self.pending.rfind("\r\n", 0, end)
            if end == -1:
                return b""
            complete, self.pending = self.pending[: end + 2], self.pending[end + 2 :]
        if not complete:
            return b""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in csv.reader(io.StringIO(complete, newline="")):
            writer.writerow([_safe(cell) for cell in row])
        return out.getvalue().encode("utf-8")


def _safe(cell: str) -> str:
    try:
        float(cell)
    except ValueError:
        return neutralize(cell)
    return cell


def _is_csv(scope: dict[str, Any]) -> bool:
    query = scope.get("query_string", b"").decode("latin-1")
    return str(scope.get("path", "")).endswith(".csv") or "_format=csv" in query


Send = Callable[[dict[str, Any]], Awaitable[None]]


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    def wrap(app: Any) -> Any:
        async def wrapped(scope: dict[str, Any], receive: Any, send: Send) -> None:
            if scope.get("type") != "http" or not _is_csv(scope):
                await app(scope, receive, send)
                return
            cleaner = CsvCleaner()

            async def cleaned(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    headers = [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() != b"content-length"
                    ]
                    message = {**message, "headers": headers}
                elif message["type"] == "http.response.body":
                    final = not message.get("more_body", False)
                    message = {**message, "body": cleaner.feed(message.get("body", b""), final)}
                await send(message)

            await app(scope, receive, cleaned)

        return wrapped

    return wrap
