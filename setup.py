"""Shim for tools that still call ``setup.py`` (scrapyd-deploy builds its egg with
``setup.py bdist_egg``). All configuration lives in ``pyproject.toml``; the egg holds the
``jobtracker`` package only, never ``tests``."""

from setuptools import setup

setup()
