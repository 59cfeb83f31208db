"""``jobtracker serve FILE.db``: Datasette over a published file, read-only and immutable.

This module holds what Datasette is given: the metadata (every table and column described,
the definitions of docs/research.md), the canned queries (``trend_by_country``,
``first_seen``, ``open_on``, ``posting_history``), the dashboard (``datasette-dashboards``,
which serves its own Vega-Lite: the page fetches nothing from outside) and the SQL functions
that the queries use (:func:`register_functions`, installed in Datasette by the plugin in
``jobtracker/research/datasette_plugins/``). The phrase of a query is always a bound parameter
matched by :func:`jobtracker.research.text.compile_phrase`, the regex of ``jobtracker trend``:
quotes, ``%`` or FTS syntax in it are just characters of the phrase.

Datasette listens on 127.0.0.1 unless ``--host`` says otherwise; any other address needs
``--password-hash`` (``datasette-auth-passwords``: every page then asks for the password).
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from jobtracker.research.text import compile_phrase

#: Packages ``serve`` needs (requirements-research.txt).
SERVE_PACKAGES = ("datasette", "datasette_dashboards", "datasette_auth_passwords")
PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"
DASHBOARD = "jobtracker"
DEFAULT_PHRASE = "Rekognition"
SQL_TIME_LIMIT_MS = 30_000
MAX_ROWS = 100_000


# -- SQL functions -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _regex(phrase: str) -> Any:
    return compile_phrase(phrase) if phrase and phrase.split() else None


#: The characters that Python's case-insensitive regex matches with an ASCII letter although
#: their ``lower()`` is not that letter (found by trying every code point): a text holding one
#: of them skips the quick test below.
_FOLDS_TO_ASCII = {"i": "\u0130\u0131", "s": "\u017f"}


@lru_cache(maxsize=64)
def _quick_test(phrase: str) -> tuple[tuple[str, ...], str] | None:
    """For an ASCII phrase: its lowercased words, which every text that mentions it contains
    (lowercased), and the characters that make that test unsound; None for other phrases."""
    if not phrase.isascii():
        return None
    words = tuple(word.lower() for word in phrase.split())
    special = {c for word in words for letter in word for c in _FOLDS_TO_ASCII.get(letter, "")}
    return words, "".join(sorted(special))


def mentions(phrase: str | None, *texts: str | None) -> int:
    """1 when one of ``texts`` mentions ``phrase`` (whole words, case-insensitive): the regex
    of ``jobtracker trend``, run only on texts that contain every word of the phrase."""
    phrase = str(phrase or "")
    regex = _regex(phrase)
    if regex is None:
        return 0
    quick = _quick_test(phrase)
    for text in texts:
        if not text:
            continue
        if quick is not None and not any(c in text for c in quick[1]):
            lowered = text.lower()
            if not all(word in lowered for word in quick[0]):
                continue
        if regex.search(text):
            return 1
    return 0


def diff(field: str | None, old: str | None, new: str | None) -> str:
    """The readable diff of one field (``jobtracker history``'s), from its shown values."""
    from jobtracker.research.diff import field_diff

    return field_diff(str(field or ""), old or "", new or "")


def quick_word(phrase: str | None) -> str:
    """The longest word of an ASCII phrase, lowercased (``''`` for any other phrase): every
    version that mentions the phrase holds it in its texts lowered by SQLite's ``lower()``
    (ASCII only), unless its ``unsure`` column says a text holds one of
    :data:`jobtracker.research.publish.UNSURE`."""
    quick = _quick_test(str(phrase or ""))
    return max(quick[0], key=len) if quick and quick[0] else ""


def register_functions(conn: sqlite3.Connection) -> None:
    """``jt_mentions(phrase, text, ...)``, ``jt_quick(phrase)`` and ``jt_diff(field, old,
    new)`` on a connection."""
    conn.create_function("jt_mentions", -1, mentions, deterministic=True)
    conn.create_function("jt_quick", 1, quick_word, deterministic=True)
    conn.create_function("jt_diff", 3, diff, deterministic=True)


# -- queries -------------------------------------------------------------------------------------

#: The phrase matching of ``jobtracker trend``: a quick test in SQL (the phrase's longest word
#: in the lowered texts; SQLite passes no text to Python for the versions it rules out), then
#: the regex (``jt_mentions``) on the others.
_MENTIONS = (
    "(v.unsure = 1 OR instr(lower(coalesce(v.title, '') || char(10) || "
    "coalesce(v.description_text, '') || char(10) || coalesce(v.basic_qualifications_text, '') "
    "|| char(10) || coalesce(v.preferred_qualifications_text, '')), jt_quick(:phrase)) > 0) "
    "AND jt_mentions(:phrase, v.title, v.description_text, v.basic_qualifications_text, "
    "v.preferred_qualifications_text)"
)

TREND_BY_COUNTRY = f"""
WITH mentioning AS MATERIALIZED (
  SELECT v.posting_id, v.version FROM versions v WHERE v.counted = 1 AND {_MENTIONS}
),
firsts AS (SELECT posting_id, min(version) AS first_version FROM mentioning GROUP BY posting_id),
hits AS (
  SELECT w.week AS period, s.country_code, s.posting_id,
         EXISTS (SELECT 1 FROM mentioning m
                 WHERE m.posting_id = s.posting_id AND m.version = s.version) AS now
  FROM firsts f
  JOIN segments s ON s.posting_id = f.posting_id AND s.version >= f.first_version
  JOIN weeks w ON w.week >= s.first_week AND w.week <= s."end"
),
counts AS (
  SELECT period, country_code,
         count(DISTINCT CASE WHEN now THEN posting_id END) AS mentioned_while_open,
         count(DISTINCT posting_id) AS ever_mentioned
  FROM hits GROUP BY period, country_code
),
groups AS (
  SELECT country_code, sum(mentioned_while_open) AS total_while, sum(ever_mentioned) AS total_ever
  FROM counts GROUP BY country_code
)
SELECT w.week AS period, g.country_code, coalesce(c.country_name, '') AS country_name,
       coalesce(n.mentioned_while_open, 0) AS mentioned_while_open,
       coalesce(n.ever_mentioned, 0) AS ever_mentioned
FROM weeks w CROSS JOIN groups g
LEFT JOIN counts n ON n.period = w.week AND n.country_code = g.country_code
LEFT JOIN countries c ON c.country_code = g.country_code
ORDER BY w.week, g.total_while DESC, g.total_ever DESC, g.country_code
"""

FIRST_SEEN = f"""
WITH mentioning AS MATERIALIZED (
  SELECT v.version_id, v.posting_id, v.version, v.first_seen_at FROM versions v WHERE {_MENTIONS}
),
ranked AS (
  SELECT m.*, row_number() OVER (
    PARTITION BY m.posting_id ORDER BY m.first_seen_at, m.version) AS rank
  FROM mentioning m
)
SELECT r.posting_id, r.first_seen_at AS first_seen, v.version, v.title, v.country_code, v.url
FROM ranked r JOIN versions v ON v.version_id = r.version_id
WHERE r.rank = 1
ORDER BY first_seen, r.posting_id
"""

OPEN_ON = """
SELECT s.posting_id, s.version, v.first_seen_at AS version_first_seen, v.title, v.country_code,
       v.job_category, v.business_category, v.role_family, p.status, p.url
FROM segments s
JOIN versions v ON v.version_id = s.version_id
JOIN postings p ON p.posting_id = s.posting_id
WHERE s.start <= :day AND s."end" >= :day
ORDER BY s.posting_id
"""

POSTING_HISTORY = """
SELECT v.version, v.first_seen_at, v.last_seen_at, v.current_from, v.current_until, v.title,
       c.field, coalesce(c.diff, jt_diff(c.field, c.old, c.new)) AS diff
FROM versions v
LEFT JOIN version_changes c ON c.version_id = v.version_id
WHERE v.posting_id = :posting_id
ORDER BY v.version, c.field
"""

TREND_CHART = f"""
WITH mentioning AS MATERIALIZED (
  SELECT v.posting_id, v.version FROM versions v WHERE v.counted = 1 AND {_MENTIONS}
)
SELECT w.week AS period, s.country_code, count(DISTINCT s.posting_id) AS mentioned_while_open
FROM mentioning m
JOIN segments s ON s.posting_id = m.posting_id AND s.version = m.version
JOIN weeks w ON w.week >= s.first_week AND w.week <= s."end"
GROUP BY w.week, s.country_code
ORDER BY w.week, s.country_code
"""

QUERIES: dict[str, dict[str, Any]] = {
    "trend_by_country": {
        "title": "Trend of a phrase, by country",
        "description": "One row per week (the Monday) and country: the distinct postings open "
        "on at least one day of the week whose then-current version mentions the phrase "
        "(whole words, case-insensitive), and those whose text mentioned it up to then. "
        "The same as `jobtracker trend PHRASE --by country --csv`.",
        "sql": TREND_BY_COUNTRY,
        "params": ["phrase"],
    },
    "first_seen": {
        "title": "Postings that ever mentioned a phrase, earliest first",
        "description": "The first sighting of a version that mentions the phrase, per posting "
        "(as `jobtracker first-seen`).",
        "sql": FIRST_SEEN,
        "params": ["phrase"],
    },
    "open_on": {
        "title": "Postings open on a day",
        "description": "The postings open on the day (YYYY-MM-DD, UTC), each with the version "
        "current that day (as `jobtracker active --on`).",
        "sql": OPEN_ON,
        "params": ["day"],
    },
    "posting_history": {
        "title": "A posting's versions and what changed",
        "description": "Every version of the posting (id as amazon_jobs:NNN) with the fields "
        "that changed and a word diff ([-removed-] {+added+}).",
        "sql": POSTING_HISTORY,
        "params": ["posting_id"],
    },
}


COLUMN_DOCS: dict[str, dict[str, str]] = {
    "postings": {
        "posting_id": "<source>:<source_id>",
        "status": "open or closed (today)",
        "first_seen_at": "first sighting (UTC)",
        "last_seen_at": "latest sighting (UTC)",
        "closed_at": "closure: the start of the first complete run that missed it (UTC)",
        "first_seen": "first seen: the UTC date of the first sighting",
        "days_open": "days open (observed days only)",
        "version": "the number of the current version",
        "country_code": "primary country, ISO 3166 alpha-3",
    },
    "versions": {
        "version_id": "<posting_id>@v<version>",
        "counted": "1 if the version counts for open days (0: written past the posting's "
        "current version)",
        "current_from": "first UTC day this version was current (null: never current)",
        "current_until": "last UTC day before the next version (null: still current)",
        "first_seen_at": "first sighting of this content (UTC)",
        "last_seen_at": "latest sighting of this content (UTC)",
        "description_text": "plain text of the description",
        "unsure": "1 if a text holds İ, dotless i, long s or the Kelvin sign (the quick phrase "
        "test in SQL does not apply to it)",
    },
    "segments": {
        "start": "first open day (UTC date) with this version current",
        "end": "last open day (UTC date) with this version current",
        "first_week": "the Monday of the week holding start",
        "days": "days, in days",
        "country_code": "then-current country (ISO alpha-3; 'unknown' when missing)",
        "role_family": "then-current role family slug ('unknown' when missing)",
    },
    "weeks": {
        "week": "the Monday (UTC date)",
        "open_postings": "postings open on at least one day of the week",
        "new_postings": "postings first seen in the week",
        "closed_postings": "postings closed in the week (closed today)",
    },
}


def metadata(database: str, provenance: dict[str, str]) -> dict[str, Any]:
    """Datasette's metadata: descriptions, canned queries and the dashboard."""
    tables = {}
    for key, text in provenance.items():
        if key.startswith("table:"):
            name = key.removeprefix("table:")
            tables[name] = {"description": text, "columns": COLUMN_DOCS.get(name, {})}
    tables["versions"]["fts_table"] = "versions_fts"
    queries = {name: {**query, "sql": query["sql"].strip()} for name, query in QUERIES.items()}
    written = provenance.get("written_at", "")
    description = (
        "The posting history of the jobtracker crawls "
        f"({provenance.get('since') or 'no data yet'} .. {provenance.get('until') or ''}; "
        f"written {written} from {provenance.get('store', '')}, "
        f"{provenance.get('runs', '0')} runs, jobtracker {provenance.get('jobtracker_version')}). "
        + provenance.get("definitions", "")
    )
    return {
        "title": "jobtracker: posting history",
        "description": description,
        "source": "jobtracker crawls (www.amazon.jobs and the hourly-jobs sites)",
        "databases": {database: {"tables": tables, "queries": queries}},
        "plugins": {"datasette-dashboards": {DASHBOARD: dashboard(database)}},
    }


def dashboard(database: str) -> dict[str, Any]:
    """The ``datasette-dashboards`` definition at ``/-/dashboards/jobtracker``."""
    week = {"field": "period", "type": "temporal", "title": "week"}
    return {
        "title": "jobtracker",
        "description": "Open postings over time, new and closed per week, the role-family mix, "
        "and the weekly trend of a phrase by country (definitions: docs/research.md).",
        "layout": [
            ["status", "status"],
            ["trend", "trend"],
            ["open", "new-closed"],
            ["role-families", "links"],
        ],
        "filters": {
            "phrase": {"name": "Phrase", "type": "text", "default": DEFAULT_PHRASE},
        },
        "charts": {
            "status": {
                "title": "Data",
                "db": database,
                "query": "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM postings) THEN 'no data yet' "
                "ELSE (SELECT count(*) FROM postings) || ' postings, ' || "
                "(SELECT count(*) FROM versions) || ' versions, weeks ' || "
                "(SELECT min(week) FROM weeks) || ' .. ' || (SELECT max(week) FROM weeks) "
                "END AS data",
                "library": "table",
            },
            "trend": {
                "title": "Open postings mentioning the phrase, per week, by country",
                "db": database,
                "query": TREND_CHART.strip(),
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "line", "point": True, "tooltip": True},
                    "encoding": {
                        "x": week,
                        "y": {
                            "field": "mentioned_while_open",
                            "type": "quantitative",
                            "title": "postings",
                        },
                        "color": {"field": "country_code", "type": "nominal"},
                    },
                },
            },
            "open": {
                "title": "Open postings per week",
                "db": database,
                "query": "SELECT week AS period, open_postings FROM weeks ORDER BY week",
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "area", "tooltip": True},
                    "encoding": {
                        "x": week,
                        "y": {
                            "field": "open_postings",
                            "type": "quantitative",
                            "title": "open postings",
                        },
                    },
                },
            },
            "new-closed": {
                "title": "New and closed postings per week",
                "db": database,
                "query": "SELECT week AS period, 'new' AS kind, new_postings AS postings "
                "FROM weeks UNION ALL SELECT week, 'closed', closed_postings FROM weeks "
                "ORDER BY 1, 2",
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "x": week,
                        "y": {"field": "postings", "type": "quantitative"},
                        "color": {"field": "kind", "type": "nominal"},
                        "xOffset": {"field": "kind"},
                    },
                },
            },
            "role-families": {
                "title": "Role-family mix of open postings per week",
                "db": database,
                "query": "SELECT week AS period, role_family, open_postings "
                "FROM week_role_families ORDER BY week, role_family",
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "area", "tooltip": True},
                    "encoding": {
                        "x": week,
                        "y": {
                            "field": "open_postings",
                            "type": "quantitative",
                            "stack": "normalize",
                            "title": "share of open postings",
                        },
                        "color": {"field": "role_family", "type": "nominal"},
                    },
                },
            },
            "links": {
                "library": "markdown",
                "display": (
                    "### The rows behind the charts\n\n"
                    f"- [trend of the phrase by country](/{database}/trend_by_country"
                    f"?phrase={DEFAULT_PHRASE}) (as `jobtracker trend --by country`)\n"
                    f"- [first sightings of the phrase](/{database}/first_seen"
                    f"?phrase={DEFAULT_PHRASE})\n"
                    f"- [weeks: open, new, closed](/{database}/weeks)\n"
                    f"- [role families per week](/{database}/week_role_families)\n"
                    f"- [search the versions](/{database}/versions?_search={DEFAULT_PHRASE})\n"
                    f"- [provenance: how to cite this file](/{database}/provenance)\n"
                ),
            },
        },
    }


# -- running Datasette ---------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def datasette_command(
    path: Path,
    metadata_path: Path,
    *,
    host: str,
    port: int,
) -> list[str]:
    """The ``datasette`` command line (immutable, the plugins of this package)."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        "-i",
        str(path),
        "--metadata",
        str(metadata_path),
        "--plugins-dir",
        str(PLUGINS_DIR),
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        str(SQL_TIME_LIMIT_MS),
        "--setting",
        "max_returned_rows",
        str(MAX_ROWS),
        "--setting",
        "default_allow_sql",
        "on",
    ]


def serve(
    path: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    password_hash: str | None = None,
) -> int:
    """Run Datasette over a published file until it stops; returns its exit status."""
    from jobtracker.research.publish import read_provenance

    if not is_loopback(host) and not password_hash:
        raise ValueError(
            f"--host {host} is reachable from other machines: give --password-hash "
            "(`datasette hash-password`) or serve on 127.0.0.1"
        )
    file = Path(path)
    provenance = read_provenance(file)
    meta = metadata(file.stem, provenance)
    env = dict(os.environ)
    if password_hash:
        env["JOBTRACKER_PASSWORD_HASH"] = password_hash
        meta["plugins"]["datasette-auth-passwords"] = {
            "root_password_hash": {"$env": "JOBTRACKER_PASSWORD_HASH"}
        }
        meta["allow"] = {"id": "root"}
    with tempfile.TemporaryDirectory(prefix="jobtracker-serve-") as folder:
        metadata_path = Path(folder) / "metadata.json"
        metadata_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        command = datasette_command(file, metadata_path, host=host, port=port)
        process = subprocess.Popen(command, env=env)
        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait(timeout=10)
            return 130
        except SystemExit:  # SIGTERM: stop Datasette with us
            process.terminate()
            process.wait(timeout=10)
            return 143
        finally:
            signal.signal(signal.SIGTERM, previous)
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)


def _stop(signum: int, frame: Any) -> None:
    """SIGTERM: unwind (the ``finally`` stops Datasette), never leave it running alone."""
    raise SystemExit(128 + signum)
