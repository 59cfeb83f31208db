"""The research subcommands of ``jobtracker``: trend, first-seen, active, history, export and
runs.

``register(subparsers)`` adds them to the ``jobtracker`` command; each sets ``func`` to a
handler returning the exit status: 0 on success, 2 for bad input (a bad date, an unknown
posting id or country, ...), 1 when MongoDB cannot be reached or fails. Errors are one line on
stderr, never a traceback. pandas, matplotlib and pymongo are imported inside the handlers so
that ``jobtracker --help`` stays fast.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from jobtracker.research.selection import GROUPINGS
from jobtracker.research.timeline import FREQS

FIELDS = ("title", "description", "qualifications")
METRICS = {"while-open": "mentioned_while_open", "ever": "ever_mentioned"}
#: What the research commands need beyond a crawl node's requirements (requirements-research.txt).
RESEARCH_PACKAGES = (
    "pandas",
    "pyarrow",
    "matplotlib",
    "sqlite_utils",
    "datasette",
    "datasette_dashboards",
    "datasette_auth_passwords",
)
TABLE_LIMIT = 50

Handler = Callable[[argparse.Namespace], int]


class BadInput(ValueError):
    """A user error: reported on one line, exit status 2."""


# -- argument helpers ------------------------------------------------------------------------


def parse_day(value: str | None, option: str) -> date | None:
    """``YYYY-MM-DD`` -> date; ``BadInput`` naming the option otherwise."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None


def _dates(args: argparse.Namespace) -> tuple[date | None, date | None]:
    since = parse_day(getattr(args, "since", None), "--since")
    until = parse_day(getattr(args, "until", None), "--until")
    if since and until and since > until:
        raise BadInput(f"--since {since} is after --until {until}")
    return since, until


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    from jobtracker.research.selection import VersionFilter, resolve_countries

    try:
        countries = sorted(resolve_countries(args.countries))
    except ValueError as exc:
        raise BadInput(f"--countries: {exc}") from None
    try:
        sources = sorted(VersionFilter.build(sources=args.source).sources)
    except ValueError as exc:
        raise BadInput(f"--source: {exc}") from None
    return {
        "countries": countries,
        "job_categories": args.job_category,
        "business_categories": args.business_category,
        "role_families": args.role_family,
        "sources": sources,
    }


def _fields(args: argparse.Namespace) -> tuple[str, ...]:
    from jobtracker.research.text import resolve_fields

    try:
        return resolve_fields(args.field)
    except ValueError as exc:
        raise BadInput(f"--field: {exc}") from None


def _phrase(value: str | None, what: str = "PHRASE") -> str | None:
    if value is None:
        return None
    if not value.split():
        raise BadInput(f"{what} is empty")
    return value


def rules_note(db: Any) -> str:
    """Which rules derived the locations, role families, dates and pay behind an answer
    (stderr of every research command, so that CSV and JSON stay as they are)."""
    from jobtracker.store.renormalize import NORMALIZER_VERSION, versions_by_older_rules

    older = versions_by_older_rules(db)
    if not older:
        return f"Derived fields by the rules {NORMALIZER_VERSION}."
    return (
        f"Derived fields by the rules {NORMALIZER_VERSION}, except {older:,} "
        f"version{'s' if older != 1 else ''} derived by older rules (`jobtracker renormalize` "
        "brings them up to date)."
    )


def connect_args(args: argparse.Namespace) -> Any:
    """The database named by ``--mongo-uri``/``--database`` (else the environment's), checked
    to answer; for every command that takes :func:`mongo_options`."""
    from jobtracker.research.connection import connect

    return connect(args.mongo_uri, args.database)


_connect = connect_args


def _fmt(args: argparse.Namespace) -> str:
    return (
        "csv"
        if getattr(args, "csv", False)
        else "json"
        if getattr(args, "json", False)
        else "table"
    )


def _handler(function: Handler) -> Handler:
    """Turn expected failures into one line on stderr and an exit status."""

    @functools.wraps(function)
    def run(args: argparse.Namespace) -> int:
        from pymongo.errors import (
            ConfigurationError,
            ConnectionFailure,
            InvalidURI,
            PyMongoError,
            ServerSelectionTimeoutError,
        )

        from jobtracker.redaction import redact, redact_text
        from jobtracker.research.connection import default_uri
        from jobtracker.research.output import terminal_text
        from jobtracker.research.posting_history import UnknownPosting

        prog = f"jobtracker {args.command}"

        def error(message: object) -> None:
            """One line on stderr: no control character, no password of any URI in it."""
            print(f"{prog}: error: {terminal_text(redact_text(str(message)))}", file=sys.stderr)

        try:
            status = function(args)
            if status == 0 and getattr(args, "says_rules", False):
                print(rules_note(connect_args(args)), file=sys.stderr)
            return status
        except BadInput as exc:
            error(exc)
            return 2
        except UnknownPosting as exc:
            error(exc.args[0] if exc.args else exc)
            return 2
        except InvalidURI as exc:  # says "bad MongoDB URI <redacted>: why"
            error(exc)
            return 2
        except ConfigurationError as exc:
            error(f"bad MongoDB URI or options: {exc}")
            return 2
        except (ServerSelectionTimeoutError, ConnectionFailure):
            uri = redact(getattr(args, "mongo_uri", None) or default_uri() or "")
            error(
                f"cannot reach MongoDB at {uri} (give --mongo-uri or set MONGO_URI; "
                "`make mongo` starts a local test server)"
            )
            return 1
        except PyMongoError as exc:
            error(f"MongoDB failed: {str(exc).splitlines()[0][:300]}")
            return 1
        except ValueError as exc:  # validation inside the research functions
            error(exc)
            return 2
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):  # `jobtracker ... | head`
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                return 0
            error(f"{exc.strerror or exc}: {exc.filename or ''}")
            return 1
        except KeyboardInterrupt:
            print(f"{prog}: interrupted", file=sys.stderr)
            return 130
        except ModuleNotFoundError as exc:
            if exc.name not in RESEARCH_PACKAGES:
                raise
            error(
                f"this command needs the research dependencies ({exc.name} is not installed): "
                'pip install -r requirements-research.txt (or "jobtracker[research]")'
            )
            return 1

    return run


#: The error handling of every ``jobtracker`` command that reads MongoDB: bad input is one line
#: and exit 2, an unreachable or failing MongoDB one line and exit 1, never a traceback.
command_handler = _handler


def _emit(frame: Any, args: argparse.Namespace, caption: str | None = None) -> None:
    from jobtracker.research.output import write_frame

    fmt = _fmt(args)
    if fmt == "table" and caption:
        print(caption)
    write_frame(frame, fmt, sys.stdout)


# -- handlers --------------------------------------------------------------------------------


@_handler
def run_trend(args: argparse.Namespace) -> int:
    from jobtracker.research.output import format_table
    from jobtracker.research.trends import describe, pivot, trend

    phrase = _phrase(args.phrase)
    since, until = _dates(args)
    filters, fields = _filters(args), _fields(args)
    if args.top < 1:
        raise BadInput("--top must be at least 1")
    if args.evidence != "live":
        from jobtracker.research.archive_cli import archive_trend_command

        return archive_trend_command(args, phrase, since, until, filters, fields)
    db = _connect(args)
    frame = trend(
        db, phrase, freq=args.freq, by=args.by, since=since, until=until, fields=fields, **filters
    )
    metric = METRICS[args.metric]
    fmt = _fmt(args)
    if fmt != "table":
        _emit(frame, args)
    else:
        print(describe(frame))
        if args.by and not args.long:
            wide = pivot(frame, metric, top=args.top)
            label = "mentioned while open" if metric == METRICS["while-open"] else "ever mentioned"
            print(f"Distinct postings, {label}; one column per {args.by}:")
            print(format_table(wide, empty="(no posting mentions it in this range)"))
        else:
            print(format_table(frame, empty="(no posting mentions it in this range)"))
    if args.plot:
        from jobtracker.research.plot import plot_trend

        path = plot_trend(frame, args.plot, metric=metric, top=args.top)
        print(f"Chart written to {path}", file=sys.stderr if fmt != "table" else sys.stdout)
    return 0


@_handler
def run_first_seen(args: argparse.Namespace) -> int:
    from jobtracker.research.postings import first_seen

    phrase = _phrase(args.phrase)
    since, until = _dates(args)
    filters, fields = _filters(args), _fields(args)
    db = _connect(args)
    if args.evidence != "live":
        from jobtracker.research.archive_cli import archive_first_seen_command

        return archive_first_seen_command(args, db, phrase, since, until, filters, fields)
    frame = first_seen(db, phrase, fields=fields, since=since, until=until, **filters)
    total = len(frame)
    frame = _limit(frame, args)
    if _fmt(args) == "table":
        columns = [
            "posting_id",
            "first_seen",
            "posted_date",
            "status",
            "closed_at",
            "mentions_now",
            "country_code",
            "job_category",
            "title",
            "snippet",
        ]
        shown = f"; showing {len(frame)}" if len(frame) < total else ""
        caption = (
            f"{total} postings mentioned {phrase!r} at some point{shown} "
            "(first_seen: first sighting of a version that mentions it; earliest first)"
        )
        print(caption)
        from jobtracker.research.output import format_table

        print(format_table(frame[columns], max_width=70))
        return 0
    _emit(frame, args)
    return 0


def _limit(frame: Any, args: argparse.Namespace) -> Any:
    limit = args.limit
    if limit is None and _fmt(args) == "table":
        limit = TABLE_LIMIT
    if limit is not None and limit < 0:
        raise BadInput("--limit must be 0 (no limit) or more")
    return frame.head(limit) if limit else frame


@_handler
def run_active(args: argparse.Namespace) -> int:
    from jobtracker.research.output import format_table
    from jobtracker.research.postings import active

    on = parse_day(args.on, "--on")
    phrase = _phrase(args.phrase, "--phrase")
    filters, fields = _filters(args), _fields(args)
    db = _connect(args)
    if args.evidence != "live":
        from jobtracker.research.archive_cli import archive_active_command

        return archive_active_command(args, db, on, phrase, filters, fields)
    frame = active(db, on, phrase=phrase, fields=fields, **filters)
    what = f"{len(frame)} postings open on {on}" + (f" mentioning {phrase!r}" if phrase else "")
    if args.by:
        column = "country_code" if args.by == "country" else args.by
        counts = (
            frame.fillna({column: "unknown"})
            .groupby(column)
            .size()
            .rename("postings")
            .sort_values(ascending=False, kind="stable")
            .reset_index()
        )
        if args.by == "country":
            from jobtracker.research.selection import country_name

            counts.insert(1, "country_name", counts[column].map(country_name))
        _emit(counts, args, f"{what}, by {args.by}:")
        return 0
    total = len(frame)
    frame = _limit(frame, args)
    if _fmt(args) == "table":
        shown = f" (showing {len(frame)}; --limit 0 or --csv for all)" if len(frame) < total else ""
        print(what + shown + ", each with the version current that day:")
        columns = [
            "posting_id",
            "version",
            "title",
            "country_code",
            "job_category",
            "role_family",
            "posted_date",
            "status",
        ]
        print(format_table(frame[columns]))
        return 0
    _emit(frame, args)
    return 0


@_handler
def run_history(args: argparse.Namespace) -> int:
    import json

    from jobtracker.research.output import json_value, write_frame
    from jobtracker.research.posting_history import history

    key = args.posting_id.strip()
    if not key:
        raise BadInput("POSTING_ID is empty")
    db = _connect(args)
    if args.evidence != "live":
        from jobtracker.research.archive_cli import archive_history_command

        return archive_history_command(args, db, key)
    if args.part == "sightings":
        raise BadInput("--part sightings needs --evidence archive or both")
    result = history(db, key)
    fmt = _fmt(args)
    if fmt == "json":
        json.dump(json_value(result.as_dict()), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif fmt == "csv":
        part = {"spans": result.spans, "versions": result.versions, "diffs": result.diffs}
        write_frame(part[args.part], "csv", sys.stdout)
    else:
        print(result.render())
    return 0


@_handler
def run_runs(args: argparse.Namespace) -> int:
    from jobtracker.research.run_report import notes_text, runs

    since, until = _dates(args)
    if args.limit is not None and args.limit < 0:
        raise BadInput("--limit must be 0 (no limit) or more")
    db = _connect(args)
    frame = runs(db, limit=args.limit or None, since=since, until=until)
    if _fmt(args) == "table":
        columns = [
            "run_id",
            "started_at",
            "duration_s",
            "scope",
            "finish",
            "complete",
            "partitions_complete",
            "partitions",
            "postings_seen",
            "new",
            "updated",
            "reopened",
            "marked_missing",
            "closed",
            "closure",
        ]
        table = frame[columns].rename(
            columns={
                "partitions_complete": "parts_ok",
                "postings_seen": "seen",
                "duration_s": "secs",
            }
        )
        _emit(table, args, f"{len(frame)} most recent crawl runs (newest first):")
        notes = notes_text(frame.to_dict("records"))
        if notes:
            print(notes)
        return 0
    _emit(frame, args)
    return 0


@_handler
def run_export(args: argparse.Namespace) -> int:
    from jobtracker.research.exports import export

    since, until = _dates(args)
    filters, fields = _filters(args), _fields(args)
    phrase = _phrase(args.phrase, "--phrase")
    fmt = args.format
    if fmt is None:
        suffix = os.path.splitext(args.output)[1].lower().lstrip(".")
        fmt = {"parquet": "parquet", "pq": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}.get(
            suffix, "csv"
        )
    if args.what != "panel" and (since or until or phrase or any(filters.values())):
        raise BadInput("--since/--until/--phrase and filters apply to --what panel only")
    db = _connect(args)
    result = export(
        db,
        args.what,
        fmt,
        args.output,
        since=since,
        until=until,
        phrase=phrase,
        fields=fields,
        **filters,
    )
    out = sys.stderr if result.path == "-" else sys.stdout
    print(
        f"Wrote {result.rows:,} {args.what} rows as {fmt} to {result.path} in "
        f"{result.seconds:.1f} s ({result.rows_per_second:,.0f} rows/s)",
        file=out,
    )
    return 0


def _require(*packages: str) -> None:
    """``ModuleNotFoundError`` (one line, exit 1) for the first research package missing."""
    import importlib.util

    for name in packages:
        if importlib.util.find_spec(name) is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


@_handler
def run_publish(args: argparse.Namespace) -> int:
    from jobtracker.research.publish import PUBLISH_PACKAGES, Busy, Scope, publish
    from jobtracker.research.selection import VersionFilter

    _require(*PUBLISH_PACKAGES)
    since, until = _dates(args)
    filters = _filters(args)
    if args.incremental and (since or until or any(filters.values())):
        raise BadInput("--incremental keeps the range and filters the file was published with")
    keep = VersionFilter.build(**filters)
    scope = Scope(
        since=since,
        until=until,
        keep=keep,
        filters={name: list(values or []) for name, values in filters.items() if values},
    )
    db = _connect(args)
    try:
        result = publish(db, args.output, scope=scope, incremental=args.incremental)
    except Busy as exc:
        print(f"jobtracker publish: error: {exc}", file=sys.stderr)
        return 1
    what = "Brought up to date" if result.incremental else "Wrote"
    print(
        f"{what} {result.path}: {result.postings:,} postings, {result.versions:,} versions, "
        f"{result.segments:,} segments, {result.runs:,} runs in {result.seconds:.1f} s"
    )
    return 0


@_handler
def run_serve(args: argparse.Namespace) -> int:
    from jobtracker.research.serve import SERVE_PACKAGES, serve

    _require(*SERVE_PACKAGES)
    if not 0 < args.port < 65536:
        raise BadInput(f"--port {args.port} is not a port number")
    return serve(args.file, host=args.host, port=args.port, password_hash=args.password_hash)


# -- parsers ---------------------------------------------------------------------------------


def _parents() -> dict[str, argparse.ArgumentParser]:
    db = argparse.ArgumentParser(add_help=False)
    group = db.add_argument_group("MongoDB")
    group.add_argument(
        "--mongo-uri",
        metavar="URI",
        help="MongoDB to read (default: $MONGO_URI)",
    )
    group.add_argument(
        "--database",
        metavar="NAME",
        help="database name (default: $MONGO_DATABASE, else jobtracker)",
    )

    out = argparse.ArgumentParser(add_help=False)
    formats = out.add_argument_group("output (default: a table for the terminal)")
    exclusive = formats.add_mutually_exclusive_group()
    exclusive.add_argument("--csv", action="store_true", help="CSV on standard output")
    exclusive.add_argument("--json", action="store_true", help="JSON on standard output")

    filters = argparse.ArgumentParser(add_help=False)
    group = filters.add_argument_group(
        "filters (on the version current on each day; lists are comma-separated or repeated)"
    )
    group.add_argument(
        "--countries",
        action="append",
        metavar="LIST",
        help="primary country: ISO alpha-2, alpha-3 or English name, e.g. JP,USA,Germany",
    )
    group.add_argument(
        "--job-category", action="append", metavar="LIST", help="Amazon job_category labels"
    )
    group.add_argument(
        "--business-category",
        action="append",
        metavar="LIST",
        help="business_category values, e.g. aws",
    )
    group.add_argument(
        "--role-family",
        action="append",
        metavar="LIST",
        help="standard role families, e.g. software_engineering",
    )
    group.add_argument(
        "--source",
        action="append",
        metavar="LIST",
        help="amazon_jobs (corporate, www.amazon.jobs) or amazon_hourly (hourly-jobs sites)",
    )

    fields = argparse.ArgumentParser(add_help=False)
    fields.add_argument(
        "--field",
        action="append",
        metavar="FIELD",
        help="search only these texts: title, description, qualifications (repeat or "
        "comma-separate; default: all three)",
    )

    dates = argparse.ArgumentParser(add_help=False)
    dates.add_argument("--since", metavar="YYYY-MM-DD", help="first day (default: first observed)")
    dates.add_argument("--until", metavar="YYYY-MM-DD", help="last day (default: last observed)")
    return {"db": db, "out": out, "filters": filters, "fields": fields, "dates": dates}


def evidence_option(parser: argparse.ArgumentParser, *, both: bool = True) -> None:
    """``--evidence live|archive|both`` (default ``live``: live history only, as before)."""
    parser.add_argument(
        "--evidence",
        choices=("live", "archive", "both") if both else ("live", "archive"),
        default="live",
        help="live crawls (default), web-archive sightings (`jobtracker backfill`), or both "
        "side by side, labelled; tiers in docs/research.md",
    )


def mongo_options() -> argparse.ArgumentParser:
    """A parent parser with ``--mongo-uri`` and ``--database``, as every command has them."""
    return _parents()["db"]


def register(subparsers: Any) -> None:
    """Add the research subcommands to the ``jobtracker`` subparsers."""
    p = _parents()
    fmt = argparse.RawDescriptionHelpFormatter

    trend = subparsers.add_parser(
        "trend",
        parents=[p["dates"], p["fields"], p["filters"], p["out"], p["db"]],
        formatter_class=fmt,
        help="postings mentioning a phrase, per day/week/month",
        description=(
            "For each day, week (starting Monday) or month, the number of distinct postings\n"
            "that were open then and whose then-current version mentions PHRASE (whole words,\n"
            "case-insensitive): 'mentioned_while_open'. 'ever_mentioned' also counts open\n"
            "postings whose text mentioned the phrase earlier but no longer does.\n"
            "--csv/--json give one row per period (and group); the table shows groups as\n"
            "columns. Definitions: docs/research.md."
        ),
        epilog="example: jobtracker trend Rekognition --by country --freq week --plot rek.png",
    )
    trend.add_argument("phrase", metavar="PHRASE", help='a word or phrase, e.g. "computer vision"')
    trend.add_argument("--freq", choices=FREQS, default="week", help="period (default: week)")
    trend.add_argument("--by", choices=GROUPINGS, help="split by the then-current version's value")
    trend.add_argument(
        "--metric",
        choices=list(METRICS),
        default="while-open",
        help="what the grouped table and the plot show (default: while-open)",
    )
    trend.add_argument("--plot", metavar="FILE.png", help="also write a line chart (PNG)")
    trend.add_argument(
        "--top", type=int, default=8, help="groups shown in the table/plot; rest summed as other"
    )
    trend.add_argument(
        "--long", action="store_true", help="grouped table as one row per period and group"
    )
    evidence_option(trend)
    trend.set_defaults(func=run_trend, says_rules=True)

    first = subparsers.add_parser(
        "first-seen",
        parents=[p["dates"], p["fields"], p["filters"], p["out"], p["db"]],
        formatter_class=fmt,
        help="postings that ever mentioned a phrase, earliest first",
        description=(
            "Every posting that ever mentioned PHRASE (in any version), earliest first:\n"
            "when a version mentioning it was first seen, the posted date, status, closure,\n"
            "country, categories, whether it still mentions it, and the text around the\n"
            "phrase. --since/--until and the filters apply to that first mentioning version."
        ),
    )
    first.add_argument("phrase", metavar="PHRASE", help="a word or phrase")
    first.add_argument(
        "--limit", type=int, help=f"at most N rows (default: {TABLE_LIMIT} in a table, else all)"
    )
    evidence_option(first)
    first.set_defaults(func=run_first_seen, says_rules=True)

    act = subparsers.add_parser(
        "active",
        parents=[p["fields"], p["filters"], p["out"], p["db"]],
        formatter_class=fmt,
        help="postings open on a date, with the version current then",
        description=(
            "The postings open on a day (UTC), each with the version current that day.\n"
            "Only observed days count: a posting is open on DATE if one of its spans covers it."
        ),
    )
    act.add_argument("--on", required=True, metavar="YYYY-MM-DD", help="the day")
    act.add_argument("--phrase", help="only postings whose then-current version mentions it")
    act.add_argument("--by", choices=GROUPINGS, help="print counts per group instead of a list")
    act.add_argument(
        "--limit", type=int, help=f"at most N rows (default: {TABLE_LIMIT} in a table, else all)"
    )
    evidence_option(act, both=False)
    act.set_defaults(func=run_active, says_rules=True)

    hist = subparsers.add_parser(
        "history",
        parents=[p["out"], p["db"]],
        formatter_class=fmt,
        help="one posting's spans, versions and diffs",
        description=(
            "One posting's open spans, its versions and a readable diff between consecutive\n"
            "versions ([-removed-] {+added+} inside edited lines). --json prints everything;\n"
            "--csv prints one table (--part)."
        ),
    )
    hist.add_argument(
        "posting_id", metavar="POSTING_ID", help="amazon_jobs:10483953, or the site's id 10483953"
    )
    hist.add_argument(
        "--part",
        choices=("spans", "versions", "diffs", "sightings"),
        default="diffs",
        help="the table --csv prints (default: diffs; sightings with --evidence archive|both)",
    )
    evidence_option(hist)
    hist.set_defaults(func=run_history, says_rules=True)

    exp = subparsers.add_parser(
        "export",
        parents=[p["dates"], p["fields"], p["filters"], p["db"]],
        formatter_class=fmt,
        help="postings, versions, runs or the posting-day panel as CSV/Parquet/JSON Lines",
        description=(
            "Stream a collection to a file: postings, versions, runs, or the panel (one row\n"
            "per posting per day open, with the version current that day). Memory stays flat.\n"
            "CSV cells whose first non-blank character is = + - @ (or a full-width form), or\n"
            "that start with a tab, CR or LF, get a leading ' (formula injection).\n"
            "--since/--until/--phrase/filters apply to the panel."
        ),
        epilog="example: jobtracker export --what panel --since 2026-07-01 -o panel.parquet",
    )
    exp.add_argument(
        "--what", choices=("postings", "versions", "runs", "panel"), default="postings"
    )
    exp.add_argument(
        "--format",
        choices=("csv", "parquet", "jsonl"),
        help="default: from the file extension (.parquet, .jsonl), else csv",
    )
    exp.add_argument(
        "--output", "-o", required=True, metavar="PATH", help="file to write; - for stdout"
    )
    exp.add_argument("--phrase", help="panel: add a 'mentions' column for this phrase")
    exp.set_defaults(func=run_export, says_rules=True)

    run = subparsers.add_parser(
        "runs",
        parents=[p["out"], p["db"]],
        formatter_class=fmt,
        help="recent crawl runs: scope, completeness, changes",
        description="Recent crawl runs (crawl_runs), newest first: what each covered, whether it "
        "was complete, and what it changed.",
    )
    run.add_argument("--limit", type=int, default=20, help="at most N runs (0: all; default: 20)")
    run.add_argument("--since", metavar="YYYY-MM-DD", help="runs started on or after this day")
    run.add_argument("--until", metavar="YYYY-MM-DD", help="runs started on or before this day")
    run.set_defaults(func=run_runs)

    pub = subparsers.add_parser(
        "publish",
        parents=[p["dates"], p["filters"], p["db"]],
        formatter_class=fmt,
        help="write the history as one SQLite file (full-text search) for Datasette",
        description=(
            "Write the posting history as one SQLite file: postings, versions (with the days\n"
            "each was current and full-text search over title, description and\n"
            "qualifications), what changed between versions, open segments, weeks, runs and\n"
            "a provenance table. --since/--until and the filters keep the days whose\n"
            "then-current version matches. The file is replaced atomically. --incremental\n"
            "brings an existing file up to date with what the store observed since it was\n"
            "written. `jobtracker serve FILE.db` browses it. See docs/publish.md."
        ),
        epilog="example: jobtracker publish -o jobtracker.db && jobtracker serve jobtracker.db",
    )
    pub.add_argument("--output", "-o", required=True, metavar="FILE.db", help="file to write")
    pub.add_argument(
        "--incremental",
        action="store_true",
        help="bring an existing published file up to date instead of writing it anew",
    )
    pub.set_defaults(func=run_publish)

    srv = subparsers.add_parser(
        "serve",
        formatter_class=fmt,
        help="browse a published file in Datasette (read-only), with a dashboard",
        description=(
            "Run Datasette over a file written by `jobtracker publish`: read-only and\n"
            "immutable, with descriptions, canned queries (trend_by_country, first_seen,\n"
            "open_on, posting_history) and a dashboard at /-/dashboards/jobtracker.\n"
            "Listens on 127.0.0.1; another --host needs --password-hash (make one with\n"
            "`datasette hash-password`; log in as root at /-/login)."
        ),
        epilog="example: jobtracker serve jobtracker.db --port 8001",
    )
    srv.add_argument("file", metavar="FILE.db", help="a file written by `jobtracker publish`")
    srv.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    srv.add_argument("--port", type=int, default=8001, help="port (default: 8001)")
    srv.add_argument(
        "--password-hash",
        metavar="HASH",
        help="require this password (a `datasette hash-password` hash) on every page",
    )
    srv.set_defaults(func=run_serve)
