"""Running jobtracker on scrapyd: node configuration, egg upload and scheduled crawls.

``nodes`` reads which scrapyd servers to use and how to log in; ``scrapyd`` talks to one node
over its JSON API (urllib, one clear error line per failure); ``egg`` builds and uploads the
project egg; ``schedule`` splits the board into scopes and posts one job per scope without
overlapping a scope that is still pending or running; ``status`` lists recent jobs across nodes
with their ``crawl_runs`` completeness; ``cli`` adds ``jobtracker deploy`` and
``jobtracker schedule``.
"""
