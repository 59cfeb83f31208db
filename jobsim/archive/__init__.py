"""The simulated web archive (issue #21): Wayback CDX + replay and Common Crawl index + WARC data.

- :mod:`jobsim.archive.model`: the seeded captures of the simulated board over several years;
- :mod:`jobsim.archive.pages`: archived amazon.jobs pages in each page era;
- :mod:`jobsim.archive.query`: CDX query semantics (SURT matching, filters, collapse, paging);
- :mod:`jobsim.archive.warc`: Common Crawl WARC records (one gzip member each, by warcio);
- :mod:`jobsim.archive.server`: the HTTP server (``python -m jobsim archive serve``).

See docs/simulator_archive.md.
"""
