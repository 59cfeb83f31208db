"""What the simulator's HTTP servers share: threaded, quiet about clients that hang up, and
answering with a plain ``Server`` header over keep-alive HTTP/1.1 without Nagle delays."""

from __future__ import annotations

import logging
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("jobsim")


class QuietThreadingServer(ThreadingHTTPServer):
    """A threaded server whose request threads never keep the process alive."""

    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is not an error worth a traceback on stderr."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("connection from %s ended: %r", client_address, exc)
        else:
            log.exception("unhandled error serving %s", client_address)


class SimRequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, ``Server: Server`` (like the real sites), TCP_NODELAY."""

    protocol_version = "HTTP/1.1"
    server_version = "Server"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
