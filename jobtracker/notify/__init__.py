"""Telling operators: the verdict of a run in words (:mod:`jobtracker.notify.verdict`, pure),
sending it through Apprise (:mod:`jobtracker.notify.sender`), and the health of every source
(:mod:`jobtracker.notify.health`). See docs/operations.md."""
