"""Secrets out of everything the project prints: one :func:`redact` for every URI and URL.

MongoDB URIs (``mongodb://``, ``mongodb+srv://``, several hosts), scrapyd node URLs and proxy
URLs carry credentials as ``scheme://user:password@host``. :func:`redact` keeps the scheme, the
user name, the hosts, the path and the query, and puts ``***`` in place of the password and of
any query value that names a secret (``...Password=``, ``...token=``,
``authMechanismProperties=``). The URI is parsed, not pattern-matched around the ``@``: the
credentials end at the *last* ``@`` that is followed by something that can be a host list, so a
careless password with an unescaped ``@``, ``/``, ``:``, ``?``, ``#`` or ``%`` is hidden whole
(``mongodb://admin:p@ss/w0rd@host/`` -> ``mongodb://admin:***@host/``). When in doubt it hides
too much rather than too little.

:func:`redact_text` does the same for every URI inside a longer text (log lines, error
messages); :func:`carries_secret` tells whether a setting or argument would put a secret on a
command line; :func:`userinfo_problem` explains a URI whose credentials are not escaped.
See docs/security.md.
"""

from __future__ import annotations

import re

MASK = "***"
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# What may follow the credentials: hosts (names, IPv4, [IPv6]), ports, commas between hosts.
_HOSTS_RE = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=:\[\]-]*")
_SECRET_NAME_RE = re.compile(
    r"pass(?:word|wd)?|pwd|secret|token|credential|api_?key|access_?key|private_?key"
    r"|authmechanismproperties",
    re.IGNORECASE,
)
# A URI inside a longer text: a scheme and everything up to white space or a closing quote.
_URI_IN_TEXT_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
_ESCAPE_RE = re.compile(r"%[0-9A-Fa-f]{2}")


def _split(uri: str) -> tuple[str, str | None, str] | None:
    """``(scheme://, userinfo or None, rest)``; None when ``uri`` has no scheme."""
    match = _SCHEME_RE.match(uri)
    if match is None:
        return None
    scheme, after = match.group(), uri[match.end() :]
    at = len(after)
    while True:
        at = after.rfind("@", 0, at)
        if at < 0:
            return scheme, None, after
        tail = after[at + 1 :]
        end = len(tail)
        for stop in "/?#":
            found = tail.find(stop)
            if found >= 0:
                end = min(end, found)
        if end and _HOSTS_RE.fullmatch(tail[:end]):
            return scheme, after[:at], tail


def _redact_query(rest: str) -> str:
    """Values of query parameters that name a secret, masked."""
    head, mark, query = rest.partition("?")
    if not mark:
        return rest
    query, hash_mark, fragment = query.partition("#")
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if equals and value and _SECRET_NAME_RE.search(name):
            part = f"{name}={MASK}"
        parts.append(part)
    return f"{head}?{'&'.join(parts)}{hash_mark}{fragment}"


def redact(uri: str) -> str:
    """``uri`` without its password (``user:***@``) and secret query values, for messages and
    logs. Text that is not a URI comes back unchanged."""
    parts = _split(uri)
    if parts is None:
        return uri
    scheme, userinfo, rest = parts
    rest = _redact_query(rest)
    if userinfo is None:
        return scheme + rest
    user, colon, _password = userinfo.partition(":")
    return f"{scheme}{user}:{MASK}@{rest}" if colon else f"{scheme}{userinfo}@{rest}"


def userinfo(uri: str) -> str | None:
    """The credentials part of ``uri`` (``user[:password]``, as written), or None."""
    parts = _split(uri)
    return None if parts is None else parts[1]


def redact_text(text: str) -> str:
    """Every URI inside ``text`` through :func:`redact`."""
    if "://" not in text:
        return text
    return _URI_IN_TEXT_RE.sub(lambda match: redact(match.group()), text)


def has_secret(uri: str) -> bool:
    """Does ``uri`` (or a text holding URIs) carry a password or a secret query value?"""
    return redact_text(uri) != uri


def carries_secret(name: str, value: str) -> bool:
    """Would ``NAME=VALUE`` (a Scrapy setting or spider argument) put a secret on a command
    line? Its name names a secret (``...PASSWORD``, ``...TOKEN``, ``...SECRET...``), or its value
    holds a URI with a password or a secret query value."""
    return bool(_SECRET_NAME_RE.search(name)) or has_secret(value)


def userinfo_problem(uri: str, reserved: str = "@/:?#[]%") -> str | None:
    """Why the credentials of ``uri`` cannot be read as they are (one of the ``reserved``
    characters unescaped; ``%`` means one not followed by two hex digits), or None. Never
    quotes the credentials."""
    parts = _split(uri)
    if parts is None or parts[1] is None:
        return None
    user, _colon, password = parts[1].partition(":")
    unescaped = {char for char in user + password if char in reserved and char != "%"}
    if "%" in reserved and "%" in _ESCAPE_RE.sub("", parts[1]):
        unescaped.add("%")
    if not unescaped:
        return None
    shown = " ".join(f"'{char}'" for char in sorted(unescaped))
    return (
        f"the user name or password holds an unescaped {shown}: percent-escape it "
        "(urllib.parse.quote_plus)"
    )
