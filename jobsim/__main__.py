"""``python -m jobsim serve|truth|mongo|demo`` (see :mod:`jobsim.cli`)."""

from __future__ import annotations

import sys

from jobsim.cli import main

if __name__ == "__main__":
    sys.exit(main())
