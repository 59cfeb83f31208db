"""Hostile postings: the fault knob ``hostile_postings`` (security tests, ``docs/security.md``).

With ``hostile_postings: N`` the N live postings with the smallest ``id_icims`` are served
(search pages and detail pages alike) with text an attacker would write into a posting:

- ``title``: terminal escapes around the real title: an OSC that retitles the window, a CSI
  that clears the screen, colours, a C1 CSI, NUL and DEL, and a CR LF followed by ``=1+1``;
- ``job_category``: ``Sales\\r@SUM(1+1)`` (a bare CR: a CSV row split into a formula row);
- ``team.label``: `` =cmd|' /C calc'!A0`` (a formula behind a leading space);
- ``job_family``: a formula behind a full-width equals sign (U+FF1D);
- ``company_name``: a formula starting with ``@`` (a field that is stored verbatim);
- ``description``: a line starting with ``=`` and an OSC sequence.

Everything else (ids, categories, locations, dates, the search index and the ground truth) is
unchanged, so a crawl stays complete and the postings keep their identity.
"""

from __future__ import annotations

import json
from typing import Any

from jobsim.encoding import dumps
from jobsim.world import Board, Entry

TITLE_PREFIX = "\x1b]0;OWNED\x07\x1b[2J\x1b[H\x1b[1;31m"
TITLE_SUFFIX = "\x1b[0m\r\n\x9b2J=1+1\x00\x7f"
JOB_CATEGORY = "Sales\r@SUM(1+1)"
TEAM_LABEL = " =cmd|' /C calc'!A0"
JOB_FAMILY = '\uff1dHYPERLINK("http://attacker.example/","open")'
COMPANY_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
DESCRIPTION_TAIL = '<br/>=HYPERLINK("http://attacker.example/","open")<br/>\x1b]0;OWNED\x07done'


def hostile_job(job: dict[str, Any]) -> dict[str, Any]:
    """The job object with the hostile texts in it (see the module docstring)."""
    hostile = dict(job)
    hostile["title"] = f"{TITLE_PREFIX}{job.get('title') or ''}{TITLE_SUFFIX}"
    hostile["job_category"] = JOB_CATEGORY
    hostile["job_family"] = JOB_FAMILY
    hostile["company_name"] = COMPANY_NAME
    hostile["description"] = f"{job.get('description') or ''}{DESCRIPTION_TAIL}"
    if isinstance(job.get("team"), dict):
        hostile["team"] = {**job["team"], "label": TEAM_LABEL}
    return hostile


class HostileBoard:
    """A served board whose first ``count`` postings (by ``id_icims``) are hostile; every other
    attribute is the wrapped board's."""

    def __init__(self, board: Board, count: int) -> None:
        self.board = board
        key = ("hostile_ids", count)
        ids = board.cache.get(key)
        if ids is None:
            ids = frozenset(sorted(board.by_icims, key=int)[:count])
            board.cache[key] = ids
        self.hostile_ids: frozenset[str] = ids

    def __getattr__(self, name: str) -> Any:
        return getattr(self.board, name)

    def __len__(self) -> int:
        return len(self.board)

    def job_json(self, entry: Entry) -> str:
        text = self.board.job_json(entry)
        if entry.icims not in self.hostile_ids:
            return text
        return dumps(hostile_job(json.loads(text)))


def with_hostile_postings(board: Board, count: int) -> Board:
    """``board`` itself, or a view of it serving ``count`` hostile postings."""
    if not count:
        return board
    return HostileBoard(board, count)  # type: ignore[return-value]
