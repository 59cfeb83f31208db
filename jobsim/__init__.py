"""The test world of jobtracker, kept beside it and never shipped with it (the scrapyd egg and
the Docker image hold the ``jobtracker`` package only; docs/architecture.md).

- The offline simulator of www.amazon.jobs: a seeded, evolving world of job postings served over
  real HTTP exactly in the shape the real site serves it, with fault knobs and a ground-truth
  export. It also serves the hourly sites of the hiring.amazon.com family (``HourlyWorld``,
  ``hourly_http``, docs/simulator_hourly.md), each on its own origin.
- The MongoDB test server launcher (:mod:`jobsim.mongo_test_server`).
- The offline demo (:mod:`jobsim.demo`).

Entry points: ``World`` (the data), ``search.execute`` / ``search.search`` (pure search.json),
``make_server`` / ``SimServer`` (HTTP), ``FaultConfig`` (fault knobs), and the command line
``python -m jobsim serve|truth|mongo|demo`` (:mod:`jobsim.cli`), which ``jobtracker sim``,
``jobtracker mongo`` and ``jobtracker demo`` run when this package is importable.
"""

from __future__ import annotations

from jobsim.faults import FaultConfig
from jobsim.hourly import HourlyWorld
from jobsim.search import execute, search
from jobsim.server import SimServer, make_server
from jobsim.world import Board, World

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
