"""Offline simulator of www.amazon.jobs: a seeded, evolving world of job postings served over
real HTTP exactly in the shape the real site serves it, with fault knobs and a ground-truth export.
It also serves the hourly sites of the hiring.amazon.com family (``HourlyWorld``, ``hourly_http``,
docs/simulator_hourly.md), each on its own origin.

Entry points: ``World`` (the data), ``search.execute`` / ``search.search`` (pure search.json),
``make_server`` / ``SimServer`` (HTTP), ``FaultConfig`` (fault knobs), and the command line
``python -m jobtracker.sim serve|truth`` (``__main__.build_parser`` / ``__main__.run``).
"""

from __future__ import annotations

from jobtracker.sim.faults import FaultConfig
from jobtracker.sim.hourly import HourlyWorld
from jobtracker.sim.search import execute, search
from jobtracker.sim.server import SimServer, make_server
from jobtracker.sim.world import Board, World

__all__ = [
    "Board",
    "FaultConfig",
    "HourlyWorld",
    "SimServer",
    "World",
    "execute",
    "make_server",
    "search",
]
