"""The versioned MongoDB store (all pymongo code lives here; no Scrapy imports)."""

from jobtracker.store.lifecycle import ClosurePlan, RunOutcome, plan_closures
from jobtracker.store.mongo import PageResult, PostingStore

__all__ = ["ClosurePlan", "PageResult", "PostingStore", "RunOutcome", "plan_closures"]
