"""CDX query semantics shared by the Wayback CDX server and the Common Crawl index server.

Pure functions over rows (dicts of strings) sorted by ``(urlkey, timestamp)``: URL matching on
SURT keys (exact, prefix, host, domain), ``from``/``to`` padding, Wayback ``filter=[!]field:regex``
(the regex matches the WHOLE field), pywb ``filter=[!][=|~]field:expr``, adjacent-only
``collapse``, opaque resume keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import quote_plus, unquote_plus

from jobsim.archive.model import surt


class QueryError(ValueError):
    """A request the server rejects with 400."""


def url_match(url: str, match_type: str | None) -> tuple[str, str]:
    """``(mode, key)``: how to match ``url`` (``host/path*`` = prefix, ``*.host`` = domain)."""
    mode = match_type or "exact"
    if mode not in ("exact", "prefix", "host", "domain"):
        raise QueryError(f"Invalid matchType: {mode}")
    if url.startswith("*."):
        url, mode = url[2:], "domain"
    elif url.endswith("*"):
        url, mode = url[:-1], "prefix"
    key = surt(url)
    if mode in ("host", "domain"):
        key = key.split(")", 1)[0]
    return mode, key


def matches(urlkey: str, mode: str, key: str) -> bool:
    """Whether a row's SURT key matches."""
    if mode == "exact":
        return urlkey == key
    if mode == "prefix":
        return urlkey.startswith(key)
    host = urlkey.split(")", 1)[0]
    if mode == "host":
        return host == key
    return host == key or host.startswith(key + ",")


def pad_from(value: str) -> str:
    """``from``: 1-14 digits, padded low."""
    if not re.fullmatch(r"\d{1,14}", value):
        raise QueryError(f"Invalid from: {value}")
    return value.ljust(14, "0")


def pad_to(value: str) -> str:
    """``to``: 1-14 digits, padded high (inclusive)."""
    if not re.fullmatch(r"\d{1,14}", value):
        raise QueryError(f"Invalid to: {value}")
    return value.ljust(14, "9")


def wayback_filters(
    specs: list[str], fields: tuple[str, ...]
) -> list[tuple[bool, str, re.Pattern]]:
    """Parse ``[!]field:regex`` filters (Java regex on the whole field)."""
    out = []
    for spec in specs:
        neg = spec.startswith("!")
        body = spec[1:] if neg else spec
        name, sep, expr = body.partition(":")
        if not sep or name not in fields:
            raise QueryError(f"Invalid filter: {spec}")
        try:
            out.append((neg, name, re.compile(expr)))
        except re.error as exc:
            raise QueryError(f"Invalid filter regex: {spec} ({exc})") from None
    return out


def wayback_keep(row: dict[str, str], filters: list[tuple[bool, str, re.Pattern]]) -> bool:
    """Whether a row passes every filter."""
    return all(bool(rx.fullmatch(row.get(name, ""))) != neg for neg, name, rx in filters)


def pywb_filters(specs: list[str]) -> list[tuple[bool, str, str, str]]:
    """Parse pywb ``[!][=|~]field:expr`` filters (contains, exact, regex from the start)."""
    out = []
    for spec in specs:
        neg = spec.startswith("!")
        body = spec[1:] if neg else spec
        op = "contains"
        if body[:1] == "=":
            op, body = "exact", body[1:]
        elif body[:1] == "~":
            op, body = "regex", body[1:]
        name, sep, expr = body.partition(":")
        if not sep:
            raise QueryError(f"Invalid filter: {spec}")
        if op == "regex":
            try:
                re.compile(expr)
            except re.error as exc:
                raise QueryError(f"Invalid filter: {spec} ({exc})") from None
        out.append((neg, op, name, expr))
    return out


def pywb_keep(row: dict[str, str], filters: list[tuple[bool, str, str, str]]) -> bool:
    """Whether a Common Crawl row passes every filter."""
    for neg, op, name, expr in filters:
        value = row.get(name, "")
        if op == "contains":
            hit = expr in value
        elif op == "exact":
            hit = value == expr
        else:
            hit = re.match(expr, value) is not None
        if hit == neg:
            return False
    return True


def collapse(rows: Iterable[dict[str, str]], spec: str | None) -> Iterator[dict[str, str]]:
    """``collapse=field[:N]``: drop a row whose field (first N chars) equals the PREVIOUS row's."""
    if not spec:
        yield from rows
        return
    name, _, n = spec.partition(":")
    width = int(n) if n.isdigit() else None
    last: str | None = None
    for row in rows:
        value = row.get(name, "")
        value = value[:width] if width is not None else value
        if value == last:
            continue
        last = value
        yield row


def resume_key(urlkey: str, ts: str) -> str:
    """The opaque key: urlkey, a space, the last timestamp with its last char incremented."""
    return quote_plus(f"{urlkey} {ts[:-1]}{chr(ord(ts[-1]) + 1)}", safe="")


def parse_resume_key(key: str) -> tuple[str, str]:
    """``(urlkey, after)`` of a key as sent back (once or twice percent-encoded)."""
    text = key
    for _ in range(3):
        if "%" not in text and "+" not in text:
            break
        text = unquote_plus(text)
    urlkey, sep, after = text.rpartition(" ")
    if not sep or ")" not in urlkey or not re.fullmatch(r"\d{13}[\d:]|\d{14}!", after):
        raise QueryError(f"Invalid resumeKey: {key}")
    return urlkey, after
