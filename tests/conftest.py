"""Shared pytest fixtures: each component a test needs is started by the test suite itself."""

pytest_plugins = [
    "tests.support.archive",
    "tests.support.mongo",
    "tests.support.sim",
    "tests.support.webhook",
]
