"""Which scrapyd nodes to use and how to log in to them.

Nodes, from the first source that names any:

1. ``--node URL`` options on the command line;
2. ``JOBTRACKER_SCRAPYD_NODES``: URLs separated by commas or white space;
3. the deploy targets of ``scrapy.cfg`` (``[deploy]`` and ``[deploy:NAME]``, the sections
   ``scrapyd-deploy`` reads). Their values may name environment variables (``${SCRAPYD_URL}``),
   expanded as scrapyd-client 1.2.3+ does; a target whose ``url`` stays unset is skipped.

Credentials (HTTP basic auth): a URL's own ``user:password@``, else the target's ``username``
and ``password``, else ``SCRAPYD_USERNAME`` / ``SCRAPYD_PASSWORD``: the variables scrapyd itself
reads to turn its authentication on.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jobtracker.redaction import redact, userinfo_problem

NODES_VARIABLE = "JOBTRACKER_SCRAPYD_NODES"
USER_VARIABLE = "SCRAPYD_USERNAME"
PASSWORD_VARIABLE = "SCRAPYD_PASSWORD"
DEFAULT_PROJECT = "jobtracker"


class DeployError(Exception):
    """A problem the user can fix, reported as one line; ``exit_code`` 2 for a mistake in the
    configuration or the command line, 1 for a node or site that does not answer as it should."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Node:
    """One scrapyd server: its API root (no credentials in it) and how to log in."""

    url: str
    username: str | None = None
    password: str | None = None

    def endpoint(self, name: str) -> str:
        """The URL of one API endpoint, e.g. ``listjobs.json``."""
        return f"{self.url}/{name}"


def parse_node(text: str, environ: Mapping[str, str] | None = None) -> Node:
    """``http(s)://[user:password@]host[:port][/prefix]`` -> :class:`Node`; raises DeployError."""
    env = os.environ if environ is None else environ
    raw = text.strip()
    problem = userinfo_problem(raw, reserved="/?#")  # they would end the host part early
    if problem:
        raise DeployError(f"bad scrapyd node URL {redact(raw)!r}: {problem}")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:  # its message may quote the URL's password
        raise DeployError(
            f"bad scrapyd node URL {redact(raw)!r}: use http(s)://host:port with a numeric port"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeployError(
            f"bad scrapyd node URL {redact(raw)!r}: use http(s)://host:port, "
            "e.g. http://127.0.0.1:6800"
        )
    if parts.query or parts.fragment:
        raise DeployError(f"bad scrapyd node URL {redact(raw)!r}: no query or fragment, please")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    url = f"{parts.scheme}://{host}{f':{port}' if port else ''}{parts.path.rstrip('/')}"
    username = unquote(parts.username) if parts.username else env.get(USER_VARIABLE) or None
    password = unquote(parts.password) if parts.password else env.get(PASSWORD_VARIABLE) or None
    return Node(url=url, username=username, password=password)


def expand(value: str | None, environ: Mapping[str, str]) -> str | None:
    """``${NAME}`` / ``$NAME`` from ``environ``; None when empty or a variable is unset."""
    if value is None:
        return None
    unset = False

    def variable(match: re.Match[str]) -> str:
        nonlocal unset
        name = match.group(1) or match.group(2)
        if not environ.get(name):
            unset = True
            return ""
        return environ[name]

    text = re.sub(r"\$\{(\w+)\}|\$(\w+)", variable, value).strip()
    return None if unset or not text else text


def targets_from_config(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, Node]:
    """The deploy targets of one ``scrapy.cfg`` whose URL is set, by target name."""
    env = os.environ if environ is None else environ
    config = configparser.ConfigParser(interpolation=None)
    try:
        config.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise DeployError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    base = dict(config.items("deploy")) if config.has_section("deploy") else {}
    sections = {"default": base} if "url" in base else {}
    for section in config.sections():
        if section.startswith("deploy:"):
            sections[section.removeprefix("deploy:")] = {**base, **dict(config.items(section))}
    nodes: dict[str, Node] = {}
    for name, values in sections.items():
        url = expand(values.get("url"), env)
        if url is None:
            continue
        credentials = {
            variable: expand(values.get(key), env) or env.get(variable, "")
            for key, variable in (("username", USER_VARIABLE), ("password", PASSWORD_VARIABLE))
        }
        nodes[name] = parse_node(url, {**env, **credentials})
    return nodes


def closest_config(start: Path | None = None) -> Path | None:
    """The ``scrapy.cfg`` in ``start`` (default: the current directory) or a parent."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "scrapy.cfg"
        if candidate.is_file():
            return candidate
    return None


def load_nodes(
    cli_nodes: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> list[Node]:
    """The nodes to use, from the first source that names any (see the module docstring)."""
    env = os.environ if environ is None else environ
    if cli_nodes:
        urls = list(cli_nodes)
    else:
        urls = re.split(r"[\s,]+", env.get(NODES_VARIABLE, "").strip())
    nodes = [parse_node(url, env) for url in urls if url]
    if not nodes:
        path = config_path or closest_config()
        if path is not None:
            nodes = list(targets_from_config(path, env).values())
    if not nodes:
        raise DeployError(
            "no scrapyd node configured: give --node URL, set "
            f"{NODES_VARIABLE}, or set SCRAPYD_URL for the [deploy] target of scrapy.cfg"
        )
    seen: set[str] = set()
    unique = []
    for node in nodes:
        if node.url not in seen:
            seen.add(node.url)
            unique.append(node)
    return unique
