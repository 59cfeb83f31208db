"""jobtracker: a complete, honest history of Amazon's public job postings."""

__version__ = "0.1.0"
