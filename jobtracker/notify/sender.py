"""Sending messages through Apprise to the targets of ``JOBTRACKER_NOTIFY``, within a bounded
time, never raising, never logging a target's URL (it holds tokens and passwords).

``JOBTRACKER_NOTIFY`` holds one or more Apprise URLs separated by white space or commas (a comma
inside a URL, as in ``mailto://...?to=a@x,b@y``, stays: only a comma before ``scheme://``
separates). An entry Apprise cannot use is named once (as ``target 2 of 3 (slak://***)``) and
skipped. Each send tries every target at once, in threads, and waits at most ``timeout`` seconds
(10) in all; a target that fails or does not answer in time is one log line.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from jobtracker.notify.verdict import Message

logger = logging.getLogger(__name__)

#: The environment variable (also a Scrapy setting) naming the targets.
NOTIFY_VARIABLE = "JOBTRACKER_NOTIFY"
#: Send a short note for every healthy run too, when ``"1"``.
EVERY_RUN_VARIABLE = "JOBTRACKER_NOTIFY_EVERY_RUN"
#: The longest a send waits for all its targets together, in seconds.
SEND_TIMEOUT_S = 10.0
_SEPARATOR_RE = re.compile(r"\s+|,(?=\s*[A-Za-z][A-Za-z0-9+.-]*://)")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def split_targets(value: str | None) -> list[str]:
    """The entries of a ``JOBTRACKER_NOTIFY`` value."""
    return [part.strip(" ,") for part in _SEPARATOR_RE.split(value or "") if part.strip(" ,")]


def target_label(entry: str, number: int, total: int) -> str:
    """``"target 2 of 3 (slack://***)"``: which entry, never its secrets."""
    match = _SCHEME_RE.match(entry)
    shown = f"{match.group(1).lower()}://***" if match else "no scheme://"
    return f"target {number} of {total} ({shown})"


@dataclass
class SendResult:
    """What one send did: targets reached, and those that failed (their labels)."""

    delivered: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Notifier:
    """The usable targets of ``JOBTRACKER_NOTIFY`` (Apprise plugin objects and their labels)."""

    targets: list[tuple[str, Any]]
    problems: list[str] = field(default_factory=list)
    """One line per entry that cannot be used (already logged)."""
    timeout: float = SEND_TIMEOUT_S

    @classmethod
    def from_value(cls, value: str | None, timeout: float = SEND_TIMEOUT_S) -> Notifier | None:
        """The targets of ``value`` (None when it names none); a bad entry is logged and
        skipped."""
        entries = split_targets(value)
        if not entries:
            return None
        import apprise

        # Apprise logs its requests with their URLs (tokens in the path): never let it.
        logging.getLogger("apprise").setLevel(logging.CRITICAL + 1)
        notifier = cls([], timeout=timeout)
        for number, entry in enumerate(entries, 1):
            label = target_label(entry, number, len(entries))
            try:
                plugin = apprise.Apprise.instantiate(entry, suppress_exceptions=True)
            except Exception:  # a plugin that raises anyway: same as unusable
                plugin = None
            if plugin is None:
                problem = (
                    f"{NOTIFY_VARIABLE}: {label} is not a URL Apprise can send to; it is skipped"
                )
                notifier.problems.append(problem)
                logger.warning("%s", problem)
                continue
            plugin.socket_connect_timeout = min(plugin.socket_connect_timeout, timeout)
            plugin.socket_read_timeout = min(plugin.socket_read_timeout, timeout)
            notifier.targets.append((label, plugin))
        return notifier

    @classmethod
    def from_environment(cls) -> Notifier | None:
        return cls.from_value(os.environ.get(NOTIFY_VARIABLE))

    def send(self, message: Message) -> SendResult:
        """Send to every target at once; wait at most :attr:`timeout` seconds in all."""
        started = time.monotonic()
        outcomes: dict[int, bool] = {}

        def deliver(index: int, plugin: Any) -> None:
            try:
                outcomes[index] = bool(
                    plugin.notify(
                        body=message.body, title=message.title, notify_type=message.notify_type
                    )
                )
            except Exception:
                outcomes[index] = False

        threads = [
            threading.Thread(target=deliver, args=(index, plugin), daemon=True)
            for index, (_label, plugin) in enumerate(self.targets)
        ]
        for thread in threads:
            thread.start()
        deadline = started + self.timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        result = SendResult(seconds=time.monotonic() - started)
        for index, (label, _plugin) in enumerate(self.targets):
            if index not in outcomes:
                result.failed.append(f"{label}: no answer within {self.timeout:g} s")
            elif outcomes[index]:
                result.delivered += 1
            else:
                result.failed.append(f"{label}: failed or refused")
        if result.failed:
            logger.warning(
                "Notification %r not delivered (after %.1f s) to %s",
                message.title,
                result.seconds,
                "; ".join(result.failed),
            )
        return result


def notify_every_run(value: str | None = None) -> bool:
    """Whether ``JOBTRACKER_NOTIFY_EVERY_RUN`` asks for a note on every healthy run."""
    value = os.environ.get(EVERY_RUN_VARIABLE) if value is None else value
    return str(value).strip().lower() in ("1", "true", "yes", "on")
