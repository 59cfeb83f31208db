"""JSON serialization byte-compatible with what www.amazon.jobs serves (Rails to_json).

Compact separators, non-ASCII characters as raw UTF-8 (U+2019 stays raw), and the
HTML-unsafe characters ``<``, ``>`` and ``&`` escaped as ``\\u003c``, ``\\u003e`` and
``\\u0026`` (plus the JavaScript line separators U+2028/U+2029), as in the real capture.
``'`` is not escaped.
"""

from __future__ import annotations

import json
from typing import Any


def escape_html_in_json(text: str) -> str:
    """Escape ``<``, ``>``, ``&`` (and U+2028/9) in already serialized JSON.

    Safe on whole documents: these characters can only occur inside JSON strings.
    """
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


def dumps(obj: Any) -> str:
    """Serialize ``obj`` the way the real site does (see module docstring)."""
    return escape_html_in_json(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def compact(obj: Any) -> str:
    """Plain compact JSON (no HTML escaping): used for the embedded JSON strings."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
