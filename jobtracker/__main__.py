"""``python -m jobtracker``: the ``jobtracker`` command (:mod:`jobtracker.cli`)."""

from __future__ import annotations

import sys

from jobtracker.cli import main

if __name__ == "__main__":
    sys.exit(main())
