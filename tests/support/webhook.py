"""A JSON webhook receiver on loopback: what Apprise's ``json://127.0.0.1:PORT/`` sends.

``Receiver(mode)``: ``"ok"`` records each POSTed JSON body and answers 200; ``"error"`` records
and answers 500; ``"hang"`` records and never answers (until stopped). ``receiver`` is a pytest
fixture (mode ``ok``), ``start_receiver`` a factory for the other modes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Receiver:
    """A loopback HTTP server in a thread that records JSON bodies."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.messages: list[dict[str, Any]] = []
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    receiver.messages.append(json.loads(body))
                except ValueError:
                    receiver.messages.append({"unreadable": body.decode(errors="replace")})
                if receiver.mode == "hang":
                    receiver.released.wait(60)
                    return
                status = 500 if receiver.mode == "error" else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The Apprise URL of this receiver."""
        return f"json://127.0.0.1:{self.port}/"

    def types(self) -> list[str]:
        """The Apprise types of the messages received, in order."""
        return [message.get("type", "") for message in self.messages]

    def take(self) -> list[dict[str, Any]]:
        """The messages received so far, forgotten here."""
        taken, self.messages = self.messages, []
        return taken

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def start_receiver() -> Iterator[Callable[[str], Receiver]]:
    """A factory: ``start_receiver("hang")``; every receiver is stopped after the test."""
    started: list[Receiver] = []

    def start(mode: str = "ok") -> Receiver:
        receiver = Receiver(mode)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(start_receiver: Callable[[str], Receiver]) -> Receiver:
    """A receiver that answers 200."""
    return start_receiver("ok")
