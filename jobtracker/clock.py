"""The crawl clock: real UTC time, or a simulated one for replaying days.

``JOBTRACKER_CLOCK_START`` (an ISO 8601 time) makes a run believe it started then; time still
advances at the real pace from there. Tests and ``jobtracker demo`` use it to crawl one
simulated day after another and get a history dated like the simulated board.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """``now()`` in timezone-aware UTC, from the wall clock or from a given start."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self.start = start.astimezone(UTC) if start is not None else None
        self._origin = time.monotonic()

    @classmethod
    def from_setting(cls, value: str | None) -> Clock:
        """Build from ``JOBTRACKER_CLOCK_START``; raise ``ValueError`` naming a bad value."""
        if not value:
            return cls()
        try:
            return cls(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            raise ValueError(
                f"JOBTRACKER_CLOCK_START={value!r} is not an ISO 8601 time "
                "(e.g. 2026-07-01T06:00:00Z)"
            ) from None

    @property
    def simulated(self) -> bool:
        return self.start is not None

    def now(self) -> datetime:
        if self.start is None:
            return datetime.now(UTC)
        return self.start + timedelta(seconds=time.monotonic() - self._origin)
