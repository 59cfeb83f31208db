"""Datasette plugins of ``jobtracker serve`` (loaded with ``--plugins-dir`` this folder)."""
