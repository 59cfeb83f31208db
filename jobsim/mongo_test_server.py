"""A real MongoDB wire-protocol server for tests and demos (mongo-java-server, in memory).

The server is a small Java launcher (``tools/mongo-test-server``) around mongo-java-server's
in-memory backend; it reports MongoDB 7.0 / wire version 17 so that current pymongo accepts it.
Data lives in memory only and is gone when the server stops.

In Python::

    from jobsim.mongo_test_server import start
    with start() as server:          # port 0: a free port
        client = MongoClient(server.uri)

From a shell (what ``make mongo`` / ``make mongo-stop`` run)::

    python -m jobsim mongo start [--port 27018] [--state-dir var/mongo]
    python -m jobsim mongo status
    python -m jobsim mongo stop

Only the standard library is used here.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

JAR_ENV = "JOBTRACKER_MONGO_JAR"
"""Environment variable: path of a prebuilt server jar to use instead of building one."""

JAVA_OPTS_ENV = "JOBTRACKER_MONGO_JAVA_OPTS"
"""Environment variable: extra JVM options (split on whitespace), e.g. ``-Xmx512m``."""

TOOL_DIR = Path("tools") / "mongo-test-server"
JAR_NAME = "mongo-test-server.jar"
DEFAULT_PORT = 27018
DEFAULT_STATE_DIR = Path("var") / "mongo"
START_TIMEOUT = 60.0
BUILD_TIMEOUT = 900.0

_LISTENING = re.compile(r"^LISTENING (?P<host>\S+):(?P<port>\d+)\s*$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class MongoTestServerError(RuntimeError):
    """The test server could not be built, started or stopped (message is user-facing)."""


# --------------------------------------------------------------------------- building the jar


def find_project_root() -> Path:
    """Return the jobtracker checkout that holds ``tools/mongo-test-server`` (else the cwd)."""
    here = Path(__file__).resolve().parent.parent
    if (here / TOOL_DIR / "pom.xml").is_file():
        return here
    return Path.cwd()


def jar_path(root: Path | None = None) -> Path:
    """Where the runnable jar is (or will be built): ``$JOBTRACKER_MONGO_JAR`` if set."""
    override = os.environ.get(JAR_ENV)
    if override:
        return Path(override).expanduser()
    root = root if root is not None else find_project_root()
    return root / TOOL_DIR / "target" / JAR_NAME


def _newest_source_mtime(tool_dir: Path) -> float:
    """Newest modification time of the launcher's pom and sources (0.0 if there are none)."""
    paths = [tool_dir / "pom.xml"]
    src = tool_dir / "src"
    if src.is_dir():
        paths.extend(p for p in src.rglob("*") if p.is_file())
    return max((p.stat().st_mtime for p in paths if p.exists()), default=0.0)


def _is_fresh(jar: Path, tool_dir: Path) -> bool:
    return jar.is_file() and jar.stat().st_mtime >= _newest_source_mtime(tool_dir)


def ensure_jar(project_root: Path | None = None) -> Path:
    """Return the server jar, building it with Maven if it is missing or older than its sources.

    ``$JOBTRACKER_MONGO_JAR`` overrides the location; such a jar is used as is, never built.
    Raises :class:`MongoTestServerError` with a readable message when Maven/Java are missing or
    the build fails.
    """
    if os.environ.get(JAR_ENV):
        jar = jar_path()
        if not jar.is_file():
            raise MongoTestServerError(f"{JAR_ENV}={jar} does not exist")
        return jar

    root = project_root if project_root is not None else find_project_root()
    tool_dir = root / TOOL_DIR
    pom = tool_dir / "pom.xml"
    jar = jar_path(root)
    if not pom.is_file():
        if jar.is_file():
            return jar
        raise MongoTestServerError(
            f"no {TOOL_DIR / 'pom.xml'} under {root}: cannot build the MongoDB test server "
            f"(set {JAR_ENV} to a prebuilt {JAR_NAME})"
        )
    if _is_fresh(jar, tool_dir):
        return jar

    mvn = shutil.which("mvn")
    if mvn is None:
        raise MongoTestServerError(
            "Maven ('mvn') is not on PATH; it is needed once to build the MongoDB test server "
            "(Debian/Ubuntu: apt-get install -y maven openjdk-17-jdk-headless)"
        )
    if shutil.which("java") is None:
        raise MongoTestServerError(
            "Java ('java', 17+) is not on PATH; it is needed to build and run the MongoDB test "
            "server (Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless)"
        )

    target = tool_dir / "target"
    target.mkdir(parents=True, exist_ok=True)
    # Several test processes may ask at once: one builds, the others wait and reuse its jar.
    with open(target / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_fresh(jar, tool_dir):
            return jar
        cmd = [mvn, "-q", "-B", "-Dstyle.color=never", "package", "-f", str(pom)]
        try:
            result = subprocess.run(
                cmd,
                cwd=root,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise MongoTestServerError(
                f"building the MongoDB test server took over {BUILD_TIMEOUT:.0f}s: {' '.join(cmd)}"
            ) from exc
        if result.returncode != 0 or not jar.is_file():
            output = _ANSI.sub("", (result.stdout or "") + (result.stderr or "")).strip()
            tail = "\n".join(output.splitlines()[-40:])
            raise MongoTestServerError(
                f"building the MongoDB test server failed (exit {result.returncode}): "
                f"{' '.join(cmd)}\n{tail}"
            )
        # Maven may keep an older jar's mtime if nothing changed; mark it as current.
        jar.touch()
    return jar


# ------------------------------------------------------------------------------ the server


def _client_host(host: str) -> str:
    """The address a client uses for a server bound to ``host`` (wildcards mean loopback)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def _uri(host: str, port: int) -> str:
    """``mongodb://HOST:PORT/`` for a server bound to ``host:port``."""
    host = _client_host(host)
    if ":" in host:
        host = f"[{host}]"
    return f"mongodb://{host}:{port}/"


def _java_command(jar: Path, host: str, port: int, *, exit_on_stdin_eof: bool) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise MongoTestServerError(
            "Java ('java', 17+) is not on PATH; it is needed to run the MongoDB test server "
            "(Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless)"
        )
    cmd = [java, *os.environ.get(JAVA_OPTS_ENV, "").split(), "-jar", str(jar)]
    cmd += ["--host", host, "--port", str(port)]
    if exit_on_stdin_eof:
        cmd.append("--exit-on-stdin-eof")
    return cmd


def _wait_connectable(host: str, port: int, deadline: float) -> None:
    """Wait until a TCP connection to the server succeeds (it should at once)."""
    host = _client_host(host)
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise MongoTestServerError(
                    f"server said LISTENING but {host}:{port}: {exc}"
                ) from exc
            time.sleep(0.05)


class MongoTestServer:
    """Handle on a running server process: ``.uri``, ``.pid``, ``.stop()``; a context manager."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        host: str,
        port: int,
        log_path: Path | None = None,
    ) -> None:
        self.process = process
        self.host = host
        self.port = port
        self.log_path = log_path
        self._stderr_tail: collections.deque[str] | None = None  # stderr when there is no log
        self._readers: list[threading.Thread] = []

    @property
    def uri(self) -> str:
        """``mongodb://HOST:PORT/``."""
        return _uri(self.host, self.port)

    @property
    def pid(self) -> int:
        """Process id of the Java server."""
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the server process is still alive."""
        return self.process.poll() is None

    def stderr_tail(self) -> str:
        """The last lines the server logged (from the log file, or kept in memory)."""
        if self.log_path is not None and self.log_path.is_file():
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-50:])
        return "".join(self._stderr_tail or ())

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: SIGTERM, wait up to ``timeout`` seconds, then SIGKILL."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        for reader in self._readers:  # they see EOF now that the process is gone
            reader.join(2.0)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def __enter__(self) -> MongoTestServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else f"exited {self.process.returncode}"
        return f"<MongoTestServer {self.uri} pid={self.pid} {state}>"


def _drain(stream: IO[str], sink: collections.deque[str] | None) -> None:
    """Read a pipe until EOF so the server never blocks on a full pipe."""
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            if sink is not None:
                sink.append(line)


def start(
    port: int = 0,
    host: str = "127.0.0.1",
    log_path: Path | None = None,
    *,
    jar: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> MongoTestServer:
    """Start a server (building the jar if needed) and wait until it listens.

    ``port=0`` picks a free port. The server's stderr goes to ``log_path`` (appended) if given,
    else its last lines are kept in memory. The server also exits when this process dies.
    """
    jar = jar if jar is not None else ensure_jar()
    cmd = _java_command(jar, host, port, exit_on_stdin_eof=True)
    log_file: IO[str] | None = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = open(log_path, "a")  # noqa: SIM115 - handed to the child, closed below
    try:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,  # closes when we die: the server then exits too
            stdout=subprocess.PIPE,
            stderr=log_file if log_file is not None else subprocess.PIPE,
            text=True,
            bufsize=1,
        )
    except OSError as exc:
        raise MongoTestServerError(f"cannot run {cmd[0]}: {exc}") from exc
    finally:
        if log_file is not None:
            log_file.close()
    server = MongoTestServer(process, host, port, log_path)
    if process.stderr is not None:
        server._stderr_tail = collections.deque(maxlen=200)
        server._readers.append(
            threading.Thread(
                target=_drain,
                args=(process.stderr, server._stderr_tail),
                daemon=True,
                name="mongo-stderr",
            )
        )
    lines: list[str] = []
    found = threading.Event()

    def read_stdout() -> None:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                lines.append(line)
                if _LISTENING.match(line):
                    break
        except (OSError, ValueError):
            pass
        finally:
            found.set()
        _drain(process.stdout, None)

    server._readers.append(threading.Thread(target=read_stdout, daemon=True, name="mongo-stdout"))
    for reader in server._readers:
        reader.start()
    deadline = time.monotonic() + timeout
    found.wait(timeout)
    match = _LISTENING.match(lines[-1]) if lines else None
    if match is None:
        exited = found.is_set()  # stdout ended without LISTENING: the server is exiting
        server.stop()
        reason = "exited" if exited else f"timed out after {timeout:.0f}s"
        raise MongoTestServerError(
            f"MongoDB test server {reason} before listening "
            f"({' '.join(cmd)}):\n{''.join(lines)}{server.stderr_tail()}".rstrip()
        )
    server.port = int(match["port"])
    try:
        _wait_connectable(host, server.port, deadline)
    except MongoTestServerError:
        server.stop()
        raise
    return server


# ---------------------------------------------------------------- background (detached) mode


def _pid_alive(pid: int, jar: str = "") -> bool:
    """Whether ``pid`` is a live mongo-test-server process (guards against pid reuse)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():  # no procfs: trust the signal check
        return True
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    if stat.rpartition(")")[2].split()[:1] == ["Z"]:  # exited, not yet reaped
        return False
    markers = ("mongo-test-server", "MongoTestServer", jar or "mongo-test-server")
    return any(marker in cmdline for marker in markers)


class StateDir:
    """Files of a detached server: ``server.json`` (pid, uri, ...), ``uri``, ``server.log``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state_file = path / "server.json"
        self.uri_file = path / "uri"
        self.log_file = path / "server.log"
        self.out_file = path / "server.out"

    def read(self) -> dict[str, object] | None:
        """The recorded state if its server still runs; stale state is removed."""
        try:
            state = json.loads(self.state_file.read_text())
            pid = int(state["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if _pid_alive(pid, str(state.get("jar", ""))):
            return state
        self.clear()
        return None

    def write(self, state: dict[str, object]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")
        self.uri_file.write_text(f"{state['uri']}\n")

    def clear(self) -> None:
        for path in (self.state_file, self.uri_file):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def start_detached(
    state_dir: Path, port: int = DEFAULT_PORT, host: str = "127.0.0.1"
) -> tuple[dict[str, object], bool]:
    """Start a server that outlives this process; return (state, started_now)."""
    state_dir = state_dir.resolve()
    files = StateDir(state_dir)
    state = files.read()
    if state is not None:
        return state, False

    jar = ensure_jar()
    state_dir.mkdir(parents=True, exist_ok=True)
    cmd = _java_command(jar, host, port, exit_on_stdin_eof=False)
    with open(files.out_file, "w") as out, open(files.log_file, "w") as log:
        try:
            process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=log,
                start_new_session=True,  # survives the shell / make that started it
                cwd=state_dir,
            )
        except OSError as exc:
            raise MongoTestServerError(f"cannot run {cmd[0]}: {exc}") from exc

    deadline = time.monotonic() + START_TIMEOUT
    match = None
    while match is None:
        text = files.out_file.read_text(errors="replace")
        match = next(filter(None, map(_LISTENING.match, text.splitlines())), None)
        if match is not None:
            break
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait()
            log_tail = "\n".join(files.log_file.read_text(errors="replace").splitlines()[-20:])
            raise MongoTestServerError(
                f"MongoDB test server did not start ({' '.join(cmd)}; log: {files.log_file}):\n"
                f"{text}{log_tail}".rstrip()
            )
        time.sleep(0.05)
    bound_port = int(match["port"])
    _wait_connectable(host, bound_port, deadline)
    state = {
        "pid": process.pid,
        "host": host,
        "port": bound_port,
        "uri": _uri(host, bound_port),
        "jar": str(jar),
        "log": str(files.log_file),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    files.write(state)
    return state, True


def stop_detached(state_dir: Path, timeout: float = 10.0) -> dict[str, object] | None:
    """Stop the detached server recorded in ``state_dir``; return its state (None: not running)."""
    files = StateDir(state_dir.resolve())
    state = files.read()
    if state is None:
        return None
    pid = int(str(state["pid"]))
    jar = str(state.get("jar", ""))
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid, jar) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _pid_alive(pid, jar):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _pid_alive(pid, jar) and time.monotonic() < deadline + timeout:
            time.sleep(0.05)
    files.clear()
    return state


# ---------------------------------------------------------------------------------- the CLI


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {value}")
    return value


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "In-memory MongoDB test server (mongo-java-server, reports MongoDB 7.0). "
            "Data is lost when it stops."
        ),
    )
    state_help = f"where pid, uri and log are kept (default: {DEFAULT_STATE_DIR} in the project)"
    state = argparse.ArgumentParser(add_help=False)
    state.add_argument("--state-dir", type=Path, help=state_help)
    address = argparse.ArgumentParser(add_help=False)
    address.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"0 = any free port (default {DEFAULT_PORT})",
    )
    address.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_start = sub.add_parser(
        "start", parents=[address, state], help="start in the background (survives this shell)"
    )
    p_start.description = "Start the server in the background and print MONGO_URI=..."

    p_stop = sub.add_parser("stop", parents=[state], help="stop the background server")
    p_stop.description = "Stop the background server started with 'start'."

    p_status = sub.add_parser(
        "status", parents=[state], help="tell whether the background server runs"
    )
    p_status.description = "Print the URI of the background server; exit 1 if it is not running."

    p_run = sub.add_parser("run", parents=[address], help="run in the foreground until Ctrl-C")
    p_run.description = "Run the server in the foreground until interrupted."

    p_build = sub.add_parser("build", help="build the server jar if needed and print its path")
    p_build.description = f"Build {JAR_NAME} with Maven if missing or stale; print its path."
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m jobsim mongo") -> int:
    """Command-line entry point; returns the exit code."""
    args = _parser(prog).parse_args(argv)
    state_dir: Path = getattr(args, "state_dir", None) or find_project_root() / DEFAULT_STATE_DIR
    try:
        if args.command == "start":
            state, started = start_detached(state_dir, port=args.port, host=args.host)
            if started:
                print(f"started MongoDB test server (pid {state['pid']}, log {state['log']})")
            else:
                print(f"MongoDB test server already running (pid {state['pid']})")
            print(f"MONGO_URI={state['uri']}")
            print(f"use it with: export MONGO_URI={state['uri']}")
        elif args.command == "stop":
            state = stop_detached(state_dir)
            if state is None:
                print("MongoDB test server not running")
            else:
                print(f"stopped MongoDB test server (pid {state['pid']}, {state['uri']})")
        elif args.command == "status":
            state = StateDir(state_dir.resolve()).read()
            if state is None:
                print("MongoDB test server not running")
                return 1
            print(f"MongoDB test server running (pid {state['pid']}): MONGO_URI={state['uri']}")
        elif args.command == "run":
            with start(port=args.port, host=args.host) as server:
                print(f"MONGO_URI={server.uri}  (pid {server.pid}; Ctrl-C stops)", flush=True)
                with contextlib.suppress(KeyboardInterrupt):
                    server.process.wait()
        elif args.command == "build":
            print(ensure_jar())
    except MongoTestServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
