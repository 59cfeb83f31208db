"""Turning results into text: terminal tables, CSV (formula-safe) and JSON values.

This is the one output layer for everything a person or a spreadsheet reads (the CLI's tables,
``--csv``, exports); a posting's text is written by a third party (docs/security.md):

- CSV: records end with CR LF and every field holding a CR, a LF, a comma or a quote is quoted,
  so a bare CR inside a value never starts a new row. A cell whose first non-blank character
  starts a formula (``=``, ``+``, ``-``, ``@``, their full-width and small forms, or a leading
  tab, CR or LF) gets a leading ``'``, the OWASP advice against CSV injection; so does a line
  inside a multi-line cell that would start a formula for a tool reading the file line by line
  (a list bullet such as ``- item`` is left alone). Numbers are written as numbers, unchanged.
- Tables: terminal escape sequences and every other C0/C1 control character are removed (line
  breaks and tabs become spaces), so a title cannot retitle the window or clear the screen.
"""

from __future__ import annotations

import csv
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import IO, TYPE_CHECKING, Any

from jobtracker.normalize.text import strip_controls

if TYPE_CHECKING:
    import pandas as pd

#: Characters that start a formula when they come first in a cell (after blanks); their
#: full-width and small forms too (compared after NFKC), and the minus sign.
FORMULA_CHARACTERS = "=+-@"
#: Characters that make a cell a formula candidate when they come first, even before blanks.
FORMULA_PREFIXES = ("\t", "\r", "\n")
_EXTRA_FORMULA_CHARACTERS = "\u2212"  # MINUS SIGN, read as "-" by some spreadsheets
# A line inside a multi-line cell whose first non-blank character starts a formula; "- item"
# and "+ item" (a bullet and a space) are prose.
_FORMULA_LINE = re.compile(
    r"(\r\n|\r|\n)(?=[ \t]*(?:[=@\uff1d\uff20\ufe66\ufe6b\u207c\u208c]"
    r"|[-+\u2212\uff0b\uff0d\ufe62\ufe63\u207a\u207b\u208a\u208b](?![ \t])))"
)


def starts_formula(cell: str) -> bool:
    """Would a spreadsheet read this text as a formula? Its first non-blank character is
    ``=``, ``+``, ``-`` or ``@`` (or a full-width/small form of them), or it starts with a tab,
    CR or LF."""
    if cell.startswith(FORMULA_PREFIXES):
        return True
    text = cell.lstrip()
    if not text:
        return False
    first = text[0]
    return (
        first in FORMULA_CHARACTERS
        or first in _EXTRA_FORMULA_CHARACTERS
        or (not first.isascii() and unicodedata.normalize("NFKC", first)[:1] in FORMULA_CHARACTERS)
    )


def neutralize(cell: str) -> str:
    """``'=SUM(A1)'`` -> ``"'=SUM(A1)"`` (also ``' =cmd'``, a full-width ``=``, ``'\\n=1'``), and a
    leading ``'`` on every inner line that would start a formula; any other text unchanged."""
    if "\n" in cell or "\r" in cell:
        cell = _FORMULA_LINE.sub(r"\1'", cell)
    return "'" + cell if starts_formula(cell) else cell


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return value is pd.NaT or value is pd.NA
    except ImportError:  # pragma: no cover
        return False


def _datetime_text(value: datetime, table: bool) -> str:
    if value.tzinfo is None:
        if value.time() == time(0):
            return value.date().isoformat()  # a day (period, date column)
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if table:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def json_value(value: Any) -> Any:
    """A JSON-ready value: times as ISO 8601 (UTC, ``Z``), days as ``YYYY-MM-DD``, NaN -> null."""
    if _missing(value):
        return None
    if isinstance(value, datetime):
        return _datetime_text(value, table=False)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return json_value(value.item())
    if hasattr(value, "tolist"):  # numpy arrays
        return json_value(value.tolist())
    return value


#: Bidirectional embeddings, overrides and isolates: they reorder what a terminal shows.
_BIDI_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """Text that is safe to print on a terminal, on one line: escape sequences and every C0/C1
    control character removed, tabs and line breaks as spaces, no bidirectional overrides."""
    if text.isprintable():
        return text
    return _BIDI_CONTROLS_RE.sub("", strip_controls(text))


def cell_text(value: Any, *, table: bool = False) -> str:
    """A value as one CSV/table cell (lists joined with ``"; "``); for a table, also
    :func:`terminal_text`."""
    text = _cell_text(value, table)
    return terminal_text(text) if table else text


def _cell_text(value: Any, table: bool) -> str:
    if _missing(value):
        return ""
    if isinstance(value, datetime):
        return _datetime_text(value, table)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, bool):
        return ("yes" if value else "no") if table else ("true" if value else "false")
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell_text(v, table) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(json_value(value), ensure_ascii=False, sort_keys=True)
    return str(value)


def csv_cell(value: Any) -> Any:
    """A CSV cell: numbers stay numbers, text is neutralized."""
    if isinstance(value, bool) or _missing(value):
        return cell_text(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return neutralize(cell_text(value))


def write_csv_rows(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], handle: IO[str]
) -> int:
    """Write dict rows as CSV (header first, CR LF line ends, fields with line breaks, commas
    or quotes quoted, text neutralized); returns the number of rows."""
    writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name in columns])
        count += 1
    return count


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready records (the index is dropped unless it is named)."""
    if frame.index.name is not None:
        frame = frame.reset_index()
    columns = [str(c) for c in frame.columns]
    return [
        {name: json_value(value) for name, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def write_frame(frame: pd.DataFrame, fmt: str, handle: IO[str]) -> None:
    """``csv``, ``json`` (an array of objects) or ``table``."""
    if fmt == "csv":
        if frame.index.name is not None:
            frame = frame.reset_index()
        columns = [str(c) for c in frame.columns]
        rows = (
            dict(zip(columns, row, strict=True)) for row in frame.itertuples(index=False, name=None)
        )
        write_csv_rows(rows, columns, handle)
    elif fmt == "json":
        json.dump(records(frame), handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    else:
        handle.write(format_table(frame) + "\n")


def format_value(value: Any) -> str:
    """A value for a terminal (times to the minute, UTC)."""
    text = cell_text(value, table=True)
    if isinstance(value, datetime) and value.tzinfo is not None:
        text += " UTC"
    return text


def format_table(
    frame: pd.DataFrame, *, indent: int = 0, max_width: int = 60, empty: str = "(no rows)"
) -> str:
    """A readable fixed-width table: no index (unless named), long text cut with ``…``."""
    if frame.index.name is not None:
        frame = frame.reset_index()
    if frame.empty:
        return " " * indent + empty
    texts = {}
    for column in frame.columns:
        values = [cell_text(v, table=True) for v in frame[column].tolist()]
        texts[terminal_text(str(column))] = [
            v if len(v) <= max_width else v[: max_width - 1] + "…" for v in values
        ]
    numeric = {
        terminal_text(str(c))
        for c in frame.columns
        if frame[c].dtype.kind in "iuf" or str(frame[c].dtype) == "Int64"
    }
    widths = {c: max(len(c), *(len(v) for v in vals)) for c, vals in texts.items()}

    def fit(column: str, text: str) -> str:
        return text.rjust(widths[column]) if column in numeric else text.ljust(widths[column])

    pad = " " * indent
    lines = [pad + "  ".join(fit(c, c) for c in texts).rstrip()]
    lines.append(pad + "  ".join("-" * widths[c] for c in texts))
    for i in range(len(frame)):
        lines.append(pad + "  ".join(fit(c, texts[c][i]) for c in texts).rstrip())
    return "\n".join(lines)
