"""``jobtracker publish`` and ``jobtracker serve`` over a simulated multi-week history.

The history (``jobsim.history``: 400 postings over 40 daily runs, edits that add and drop the
tracked phrases, postings that change country, closures and reopenings) is written in bulk in
the documented schema into the MongoDB test server, with one hostile posting (markup and a
formula in its title and description). It is published with ``jobtracker publish``, then served
by ``jobtracker serve`` (a real Datasette on a free loopback port) and read over HTTP: every
canned query must equal the matching ``jobtracker`` command's output on the same store, cell for
cell.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from jobsim.history import _run as history_run
from jobsim.history import documents, generate, run_start, write_history
from jobtracker.cli import main
from jobtracker.research.publish import KIND, read_provenance
from jobtracker.research.serve import register_functions

DAYS, BOARD, SEED = 40, 400, 11
ROOT = Path(__file__).resolve().parents[1]
HOSTILE_TITLE = (
    '<script>window.__pwned=1</script><img src="http://evil.invalid/x.png" '
    'onerror="window.__pwned=2">Rekognition engineer'
)
HOSTILE_TEXT = '=HYPERLINK("http://evil.invalid","x") uses Rekognition daily <b>bold</b>'
FORMULA_TITLE = '=HYPERLINK("http://evil.invalid","Rekognition")'
PHRASES = ("Rekognition", "computer vision", 'Rekog"nition', "100%", "vision OR NEAR(a b)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``jobtracker ARGV`` in process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def cli_process(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jobtracker", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def store(mongo_uri: str) -> Iterator[tuple[str, str]]:
    """The history in its own database: ``(uri, database name)``."""
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True, serverSelectionTimeoutMS=10_000)
    name = "test_publish"
    client.drop_database(name)
    try:
        db = client[name]
        write_history(db, DAYS, BOARD, SEED)
        hostile = db.postings.find_one({}, sort=[("_id", 1)])
        assert hostile is not None
        db.postings.update_one({"_id": hostile["_id"]}, {"$set": {"title": HOSTILE_TITLE}})
        db.posting_versions.update_many(
            {"posting_id": hostile["_id"]},
            {
                "$set": {
                    "snapshot.title": HOSTILE_TITLE,
                    "snapshot.description_text": HOSTILE_TEXT,
                }
            },
        )
        formula = db.postings.find_one({"_id": {"$gt": hostile["_id"]}}, sort=[("_id", 1)])
        assert formula is not None
        db.postings.update_one({"_id": formula["_id"]}, {"$set": {"title": FORMULA_TITLE}})
        db.posting_versions.update_many(
            {"posting_id": formula["_id"]},
            {"$set": {"snapshot.title": FORMULA_TITLE, "snapshot.description_text": HOSTILE_TEXT}},
        )
        yield mongo_uri, name
    finally:
        client.drop_database(name)
        client.close()


@pytest.fixture(scope="module")
def published(store: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    uri, name = store
    path = tmp_path_factory.mktemp("publish") / "history.db"
    status, out, err = run_cli("publish", "--output", str(path), "--mongo-uri", uri,
                               "--database", name)  # fmt: skip
    assert status == 0, err
    assert out.startswith(f"Wrote {path}: ")
    return path


class Served:
    def __init__(self, process: subprocess.Popen, port: int, database: str) -> None:
        self.process, self.port, self.database = process, port, database
        self.base = f"http://127.0.0.1:{port}"
        self.store = ("", "")

    def get(self, path: str, **params: str) -> str:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        with urllib.request.urlopen(f"{self.base}{path}{query}", timeout=60) as response:
            return response.read().decode("utf-8")

    def rows(self, query: str, **params: str) -> list[dict[str, str]]:
        text = self.get(f"/{self.database}/{query}.csv", _size="max", **params)
        return list(csv.DictReader(io.StringIO(text)))


@contextlib.contextmanager
def serving(path: Path, *extra: str) -> Iterator[Served]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "jobtracker", "serve", str(path), "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    served = Served(process, port, path.stem)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                served.get("/-/versions.json")
                break
            except urllib.error.HTTPError:  # it answers (a password may be needed)
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"jobtracker serve did not start: {output}") from None
                time.sleep(0.3)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def served(published: Path, store: tuple[str, str]) -> Iterator[Served]:
    with serving(published) as server:
        server.store = store
        yield server


def cli_rows(store: tuple[str, str], *argv: str) -> list[dict[str, str]]:
    uri, name = store
    status, out, err = run_cli(*argv, "--csv", "--mongo-uri", uri, "--database", name)
    assert status == 0, err
    return list(csv.DictReader(io.StringIO(out)))


# -- the canned queries equal the commands ----------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("vision", "VİSİON systems"),  # dotted capital I: the regex folds it to i
        ("vision", "v\u0131s\u0131on"),  # dotless i
        ("sales", "\u017fale\u017f"),  # long s
        ("Rekognition", "AmazonのRekognitionを使う"),  # no spaces around it
        ("Rekognition", "Rekognitions"),
        ("computer vision", "computer\n  vision"),
        ("computer vision", "computer-vision"),
        ("C++", "C++ developer"),
        ("Zürich", "ZÜRICH office"),
        ('Rek"og', 'a Rek"og b'),
        ("100%", "at 100% of"),
        ("kelvin", "\u212aelvin"),
    ],
)
def test_jt_mentions_is_the_trend_regex(phrase: str, text: str) -> None:
    from jobtracker.research.publish import version_cells
    from jobtracker.research.serve import _MENTIONS, mentions
    from jobtracker.research.text import compile_phrase

    expected = int(bool(compile_phrase(phrase).search(text)))
    assert mentions(phrase, None, "", text) == expected
    # The canned queries' test in SQL (quick test, then the regex) on a published row.
    row = version_cells({"_id": "x@v1", "posting_id": "x", "version": 1,
                         "snapshot": {"title": "t", "description_text": text}})  # fmt: skip
    conn = sqlite3.connect(":memory:")
    register_functions(conn)
    conn.execute(f"CREATE TABLE versions ({', '.join(row)})")
    conn.execute(f"INSERT INTO versions VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    found = conn.execute(f"SELECT count(*) FROM versions v WHERE {_MENTIONS}", {"phrase": phrase})
    assert found.fetchone()[0] == expected


@pytest.mark.parametrize("phrase", PHRASES)
def test_trend_by_country_equals_the_trend_command(
    store: tuple[str, str], served: Served, phrase: str
) -> None:
    # The command's column `country` is the query's `country_code` (issue 24 names it so).
    expected = [
        {("country_code" if name == "country" else name): value for name, value in row.items()}
        for row in cli_rows(store, "trend", phrase, "--by", "country", "--freq", "week")
    ]
    got = served.rows("trend_by_country", phrase=phrase)
    assert got == expected
    if phrase in ("Rekognition", "computer vision"):
        assert sum(int(row["mentioned_while_open"]) for row in got) > 0


@pytest.mark.parametrize("phrase", PHRASES)
def test_first_seen_equals_the_first_seen_command(
    store: tuple[str, str], served: Served, phrase: str
) -> None:
    columns = ("posting_id", "first_seen", "version", "title", "country_code", "url")
    expected = [
        {name: row[name] for name in columns}
        for row in cli_rows(store, "first-seen", phrase, "--limit", "0")
    ]
    got = served.rows("first_seen", phrase=phrase)
    assert got == expected
    if phrase == "Rekognition":
        assert any(row["title"] == HOSTILE_TITLE for row in got)
        # A formula is neutralized in Datasette's CSV as in the command's.
        assert any(row["title"] == "'" + FORMULA_TITLE for row in got)


def test_open_on_equals_the_active_command(store: tuple[str, str], served: Served) -> None:
    day = run_start(DAYS - 10).date().isoformat()
    columns = ("posting_id", "version", "title", "country_code", "status", "url")
    expected = [
        {name: row[name] for name in columns}
        for row in cli_rows(store, "active", "--on", day, "--limit", "0")
    ]
    got = [{name: row[name] for name in columns} for row in served.rows("open_on", day=day)]
    assert sorted(got, key=lambda r: r["posting_id"]) == sorted(
        expected, key=lambda r: r["posting_id"]
    )
    assert len(got) > BOARD / 2


def test_search_finds_versions(served: Served, published: Path) -> None:
    found = json.loads(
        served.get(
            f"/{served.database}/versions.json",
            _search="Rekognition",
            _shape="objects",
            _size="max",
        )
    )["rows"]
    conn = sqlite3.connect(published)
    with_word = conn.execute(
        "SELECT count(*) FROM versions WHERE lower(title || ' ' || coalesce(description_text, '') "
        "|| ' ' || coalesce(basic_qualifications_text, '') || ' ' || "
        "coalesce(preferred_qualifications_text, '')) LIKE '%rekognition%'"
    ).fetchone()[0]
    assert with_word > 0
    assert len(found) == with_word
    # A phrase with FTS syntax is searched as words, never run as a query.
    text = served.get(f"/{served.database}/versions.json", _search='NEAR("x" OR', _shape="objects")
    assert json.loads(text)["rows"] == []


def test_posting_history_shows_word_diffs(served: Served, published: Path) -> None:
    conn = sqlite3.connect(published)
    register_functions(conn)
    pid, diff = conn.execute(
        "SELECT posting_id, jt_diff(field, old, new) AS d FROM version_changes "
        "WHERE field = 'description_text' AND d LIKE '%{+%' ORDER BY posting_id LIMIT 1"
    ).fetchone()
    history = run_cli_history(served, pid)
    assert diff in history  # the word diff of `jobtracker history`
    page = served.get(f"/{served.database}/posting_history", posting_id=pid)
    assert "<ins " in page
    table = served.get(
        f"/{served.database}/version_changes", posting_id=pid, field="description_text"
    )
    assert "<ins " in table  # a text's diff, computed when shown


def run_cli_history(served: Served, pid: str) -> str:
    uri, name = served.store
    status, out, err = run_cli("history", pid, "--json", "--mongo-uri", uri, "--database", name)
    assert status == 0, err
    return "\n".join(str(row.get("diff")) for row in json.loads(out)["diffs"])


def test_provenance_and_descriptions(published: Path, served: Served) -> None:
    provenance = read_provenance(published)
    assert provenance["kind"] == KIND
    assert provenance["runs"] == str(DAYS)
    meta = json.loads(served.get("/-/metadata.json"))
    tables = meta["databases"][served.database]["tables"]
    assert "open" in tables["segments"]["description"]
    assert set(meta["databases"][served.database]["queries"]) >= {
        "trend_by_country",
        "first_seen",
        "open_on",
    }


# -- the browser ----------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
CHARTS = ("trend", "open", "new-closed", "role-families")


def browse(served: Served, pages: list[str], screenshots: dict[str, Path] | None = None) -> dict:
    """Open ``pages`` in Chromium: every request URL, dialogs, ``window.__pwned``, the charts."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    seen: dict[str, Any] = {"requests": [], "dialogs": [], "pwned": [], "charts": {}}
    failure: list[BaseException] = []

    def target() -> None:  # a worker thread: the test session's reactor runs an asyncio loop
        try:
            scenario(sync_api, served, pages, screenshots, seen)
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=target)
    worker.start()
    worker.join(timeout=300)
    if failure:
        raise failure[0]
    return seen


def scenario(
    sync_api: Any,
    served: Served,
    pages: list[str],
    screenshots: dict[str, Path] | None,
    seen: dict[str, Any],
) -> None:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: seen["requests"].append(request.url))
            page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message),
                                              dialog.dismiss()))  # fmt: skip
            for path in pages:
                page.goto(served.base + path, wait_until="networkidle")
                if path.startswith("/-/dashboards/"):
                    for chart in CHARTS:
                        page.wait_for_selector(f"#chart-{chart} svg, #chart-{chart} canvas",
                                               timeout=30_000)  # fmt: skip
                        seen["charts"][chart] = page.locator(
                            f"#chart-{chart} svg, #chart-{chart} canvas"
                        ).count()
                seen["pwned"].append(page.evaluate("window.__pwned === undefined ? null : 1"))
                if screenshots and path in screenshots:
                    page.screenshot(path=str(screenshots[path]), full_page=True)
        finally:
            browser.close()


def test_dashboard_renders_every_chart_offline_and_hostile_text_is_inert(
    served: Served, published: Path
) -> None:
    conn = sqlite3.connect(published)
    hostile = conn.execute("SELECT posting_id FROM postings WHERE title = ?", (HOSTILE_TITLE,))
    pid = hostile.fetchone()[0]
    db = served.database
    dashboard = "/-/dashboards/jobtracker?phrase=Rekognition"
    trend = f"/{db}/trend_by_country?phrase=Rekognition"
    register_functions(conn)
    edited = conn.execute(
        "SELECT posting_id, jt_diff(field, old, new) AS d FROM version_changes "
        "WHERE field = 'description_text' AND d LIKE '%{+%' AND d LIKE '%[-%' "
        "ORDER BY posting_id LIMIT 1"
    ).fetchone()[0]
    posting = f"/{db}/posting_history?posting_id={urllib.parse.quote(edited)}"
    shots = None
    if os.environ.get("JOBTRACKER_SCREENSHOTS"):
        folder = Path(os.environ["JOBTRACKER_SCREENSHOTS"])
        shots = {dashboard: folder / "publish-dashboard.png", trend: folder / "publish-trend.png",
                 posting: folder / "publish-posting.png"}  # fmt: skip
    pages = [
        dashboard,
        trend,
        posting,
        f"/{db}/posting_history?posting_id={urllib.parse.quote(pid)}",
        f"/{db}/postings/{urllib.parse.quote(pid)}",
        f"/{db}/versions?_search=Rekognition",
        f"/{db}/first_seen?phrase=Rekognition",
    ]
    seen = browse(served, pages, shots)
    assert all(seen["charts"][chart] >= 1 for chart in CHARTS), seen["charts"]
    outside = [
        url for url in seen["requests"]
        if urllib.parse.urlsplit(url).hostname not in ("127.0.0.1", "localhost")
        and not url.startswith(("data:", "blob:", "about:"))
    ]  # fmt: skip
    assert outside == []
    assert seen["dialogs"] == []
    assert seen["pwned"] == [None] * len(pages)
    page = served.get(f"/{db}/postings/{urllib.parse.quote(pid)}")
    assert "<script>window.__pwned" not in page
    assert "&lt;script&gt;window.__pwned" in page


# -- bad input and faults -------------------------------------------------------------------


def test_host_beyond_loopback_refuses_without_a_password(published: Path) -> None:
    result = cli_process("serve", str(published), "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "--password-hash" in result.stderr


def test_host_beyond_loopback_with_a_password_asks_for_it(published: Path) -> None:
    from datasette_auth_passwords.utils import hash_password

    with serving(published, "--host", "0.0.0.0", "--password-hash", hash_password("s3cret")) as s:
        with pytest.raises(urllib.error.HTTPError) as refused:
            s.get(f"/{s.database}/postings.json")
        assert refused.value.code == 403


def test_not_a_published_file(tmp_path: Path, store: tuple[str, str]) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    text = tmp_path / "notes.db"
    text.write_text("hello")
    for path in (other, text, tmp_path / "missing.db"):
        result = cli_process("serve", str(path), "--port", str(free_port()))
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "jobtracker publish" in result.stderr
        uri, name = store
        status, _, err = run_cli("publish", "-o", str(path), "--incremental", "--mongo-uri", uri,
                                 "--database", name)  # fmt: skip
        assert status == 2 and err.count("\n") == 1, err


def test_output_folder_missing(tmp_path: Path, store: tuple[str, str]) -> None:
    uri, name = store
    path = tmp_path / "nowhere" / "x.db"
    status, out, err = run_cli("publish", "-o", str(path), "--mongo-uri", uri, "--database", name)
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and "folder does not exist" in err
    assert not path.parent.exists()


def test_output_folder_not_writable(tmp_path: Path, store: tuple[str, str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    uri, name = store
    status, _, err = run_cli("publish", "-o", str(folder / "x.db"), "--mongo-uri", uri,
                             "--database", name)  # fmt: skip
    assert status == 1 and "not writable" in err


def test_empty_store(mongo_uri: str, mongo_db: Any, tmp_path: Path) -> None:
    uri = mongo_uri
    path = tmp_path / "empty.db"
    status, _, err = run_cli("publish", "-o", str(path), "--mongo-uri", uri,
                             "--database", mongo_db.name)  # fmt: skip
    assert status == 0, err
    assert read_provenance(path)["kind"] == KIND
    with serving(path) as server:
        data = json.loads(server.get("/-/metadata.json"))
        status_query = data["plugins"]["datasette-dashboards"]["jobtracker"]["charts"]["status"]
        rows = json.loads(server.get(f"/{server.database}.json", sql=status_query["query"],
                                     _shape="array"))  # fmt: skip
        assert rows == [{"data": "no data yet"}]
        assert server.rows("trend_by_country", phrase="Rekognition") == []


def test_missing_datasette_says_so_in_one_line(tmp_path: Path, published: Path) -> None:
    hider = tmp_path / "hide"
    hider.mkdir()
    (hider / "sitecustomize.py").write_text(
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('datasette', 'sqlite_utils'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{hider}{os.pathsep}{ROOT}"}
    for argv in (("serve", str(published)), ("publish", "-o", str(tmp_path / "x.db"))):
        result = cli_process(*argv, env=env)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1
        assert "research dependencies" in result.stderr


# -- incremental -------------------------------------------------------------------------------


def _tables(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    out = {}
    for table, order in (
        ("postings", "posting_id"),
        ("versions", "version_id"),
        ("version_changes", "version_id, field"),
        ("segments", "posting_id, start"),
        ("weeks", "week"),
        ("week_role_families", "week, role_family"),
        ("countries", "country_code"),
        ("runs", "run_id"),
    ):
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "id"]
        quoted = ", ".join(f'"{c}"' for c in columns)
        out[table] = conn.execute(f"SELECT {quoted} FROM {table} ORDER BY {order}").fetchall()
    out["fts"] = conn.execute(
        "SELECT v.version_id FROM versions_fts f JOIN versions v ON v.rowid = f.rowid "
        "WHERE versions_fts MATCH 'rekognition' ORDER BY 1"
    ).fetchall()
    return out


def _write_until(db: Any, truths: list, days: int) -> None:
    """The store as it was after the runs of days ``0 .. days - 1`` of ``truths``."""
    db.postings.delete_many({})
    db.posting_versions.delete_many({})
    db.crawl_runs.delete_many({})
    postings, versions = [], []
    for truth in truths:
        seen = [d for d in truth.seen if d < days]
        if not seen:
            continue
        cut = replace(truth, seen=seen, revisions=[r for r in truth.revisions if r[0] < days])
        doc, its_versions = documents(cut, days)
        postings.append(doc)
        versions.extend(its_versions)
    db.postings.insert_many(postings)
    db.posting_versions.insert_many(versions)
    db.crawl_runs.insert_many([history_run(day) for day in range(days)])


def test_incremental_equals_a_full_publish(mongo_uri: str, mongo_db: Any, tmp_path: Path) -> None:
    uri = mongo_uri
    db_args = ("--mongo-uri", uri, "--database", mongo_db.name)
    truths = list(generate(30, 200, 5))
    _write_until(mongo_db, truths, 29)
    path = tmp_path / "daily.db"
    assert run_cli("publish", "-o", str(path), *db_args)[0] == 0
    before = _tables(path)
    _write_until(mongo_db, truths, 30)
    status, out, err = run_cli("publish", "-o", str(path), "--incremental", *db_args)
    assert status == 0, err
    assert out.startswith(f"Brought up to date {path}")
    full = tmp_path / "full.db"
    assert run_cli("publish", "-o", str(full), *db_args)[0] == 0
    after, expected = _tables(path), _tables(full)
    assert after != before
    for table in expected:
        assert after[table] == expected[table], table


def test_two_publishes_at_once_one_refuses(published: Path, store: tuple[str, str]) -> None:
    uri, name = store
    size, digest = published.stat().st_size, published.read_bytes()
    with (published.with_name(published.name + ".lock")).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        status, out, err = run_cli("publish", "-o", str(published), "--incremental",
                                   "--mongo-uri", uri, "--database", name)  # fmt: skip
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and "another `jobtracker publish`" in err
    assert published.stat().st_size == size and published.read_bytes() == digest
    ok = sqlite3.connect(published).execute("PRAGMA integrity_check").fetchone()
    assert ok == ("ok",)


def _datasette_processes(path: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"datasette" in argv and str(path).encode() in argv:
            found.append(int(entry.name))
    return found


def test_stopping_serve_stops_datasette(published: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(published.read_bytes())
    with serving(copy):
        assert len(_datasette_processes(copy)) == 1
    deadline = time.monotonic() + 10
    while _datasette_processes(copy) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _datasette_processes(copy) == []


def test_streamed_csv_is_whole_and_formula_safe(served: Served, published: Path) -> None:
    from jobtracker.research.output import starts_formula

    text = served.get(f"/{served.database}/versions.csv", _stream="1", _size="max")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    count = sqlite3.connect(published).execute("SELECT count(*) FROM versions").fetchone()[0]
    assert len(rows) == count
    assert any(row["title"] == "'" + FORMULA_TITLE for row in rows)
    assert not any(starts_formula(cell) for row in rows for cell in row.values() if cell)
    texts = {row["version_id"]: row["description_text"] for row in rows}
    conn = sqlite3.connect(published)
    for vid, description in conn.execute("SELECT version_id, description_text FROM versions"):
        if description and not starts_formula(description):
            assert texts[vid] == description  # multi-line cells come through whole
