"""``jobtracker schedule``: one scrapyd job per scope of the board, never two at once per scope.

A **scope** is a set of values of one dimension: business categories (``--by category``, the
default) or countries (``--by country``). The values come from the live board's facets (one
``search.json`` call against the configured ``base_url``) or from ``--values``, plus, when the
store is configured, every value that open postings in the store still carry (a category whose
last postings all went away must still be crawled once more, as a complete empty partition,
so that its postings are closed). Each value is its own scope, or ``--groups N`` puts the
values into N stable groups (CRC-32 of the value modulo N: a value stays in its group from one
batch to the next, whatever the counts do). Before it reads the board it probes the site
(``jobtracker probe``) and posts nothing on a drift that makes a crawl unsafe
(:func:`probe_refusal`), unless ``--force``.

Job ids are readable and carry the scope, so overlap detection needs nothing but
``listjobs.json`` (whose running jobs show no arguments): ``<batch>.category.aws``,
``<batch>.countries.2of4``. The spider keeps the job id as its run id, so the ``crawl_runs``
document of a job has ``_id`` = job id. A scope is skipped while a pending or running job of
the same spider on any node covers any of its values; a job split the other way (countries vs
categories) covers postings of every scope, so it blocks them all until it ends.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from jobtracker.arguments import AmazonHourlyArgs, AmazonJobsArgs, ArgumentError, parse_args
from jobtracker.deploy.nodes import DeployError
from jobtracker.deploy.scrapyd import Job, ScrapydClient
from jobtracker.probe import ProbeReport
from jobtracker.sources.amazon_jobs import PayloadError, parse_search_payload

ACTIVE_STATES = ("pending", "running")
#: The argument models of the project's spiders (values are checked before scheduling).
SPIDER_ARGUMENTS = {"amazon_jobs": AmazonJobsArgs, "amazon_hourly": AmazonHourlyArgs}
BATCH_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
JOB_ID = re.compile(
    r"^(?P<batch>[A-Za-z0-9_-]+)\.(?P<kind>category|categories|country|countries)"
    r"\.(?P<label>[A-Za-z0-9_-]+)$"
)
GROUP_LABEL = re.compile(r"^(?P<index>\d+)of(?P<groups>\d+)$")


@dataclass(frozen=True)
class Dimension:
    """A way to split the board: the facet, the spider argument and the stored field."""

    name: str
    plural: str
    facet: str
    argument: str
    stored_field: str


DIMENSIONS = {
    "category": Dimension(
        "category", "categories", "business_category", "categories", "business_category"
    ),
    "country": Dimension(
        "country", "countries", "normalized_country_code", "countries", "country_code"
    ),
}
BY_KIND = {kind: dim for dim in DIMENSIONS.values() for kind in (dim.name, dim.plural)}


def group_of(value: str, groups: int) -> int:
    """The stable group (1..groups) of a value."""
    return zlib.crc32(value.encode("utf-8")) % groups + 1


@dataclass(frozen=True)
class Scope:
    """The values one job crawls, with what the board's facets promise for them."""

    dimension: Dimension
    values: tuple[str, ...]
    label: str
    postings: int = 0
    grouped: bool = False

    @property
    def kind(self) -> str:
        """``category`` for one value, ``categories`` for a group (likewise for countries)."""
        return self.dimension.plural if self.grouped else self.dimension.name

    def job_id(self, batch: str) -> str:
        return f"{batch}.{self.kind}.{self.label}"

    def arguments(self) -> list[tuple[str, str]]:
        """The spider argument that limits a run to this scope."""
        return [(self.dimension.argument, ",".join(self.values))]


@dataclass(frozen=True)
class JobScope:
    """What a job id written by :meth:`Scope.job_id` says about the job's scope."""

    batch: str
    dimension: Dimension
    label: str
    grouped: bool

    def covers(self, value: str) -> bool:
        """Does the job crawl this value?"""
        group = GROUP_LABEL.match(self.label) if self.grouped else None
        if group is not None:
            return group_of(value, int(group["groups"])) == int(group["index"])
        return value == self.label


def parse_job_id(job_id: str) -> JobScope | None:
    """The scope of a job this command scheduled; None for any other job id."""
    match = JOB_ID.match(job_id)
    if match is None:
        return None
    dimension = BY_KIND[match["kind"]]
    grouped = match["kind"] == dimension.plural
    if grouped and not GROUP_LABEL.match(match["label"]):
        return None
    return JobScope(match["batch"], dimension, match["label"], grouped)


def plan_scopes(
    counts: Mapping[str, int], dimension: Dimension, groups: int | None = None
) -> list[Scope]:
    """Scopes covering every value of ``counts``, the largest first."""
    if not groups:
        scopes = [Scope(dimension, (value,), value, count) for value, count in counts.items()]
    else:
        members: dict[int, list[str]] = {}
        for value in counts:
            members.setdefault(group_of(value, groups), []).append(value)
        scopes = [
            Scope(
                dimension,
                tuple(sorted(values)),
                f"{index}of{groups}",
                sum(counts[value] for value in values),
                grouped=True,
            )
            for index, values in members.items()
        ]
    return sorted(scopes, key=lambda scope: (-scope.postings, scope.label))


def conflicting_job(scope: Scope, jobs: Iterable[Job], spider: str) -> Job | None:
    """A pending or running job that covers any value of ``scope``, if there is one."""
    for job in jobs:
        if job.state not in ACTIVE_STATES or job.spider != spider:
            continue
        other = parse_job_id(job.id)
        if other is None:
            continue  # not scheduled by jobtracker: its scope is unknown (e.g. a keyword run)
        if other.dimension != scope.dimension:
            return job
        if any(other.covers(value) for value in scope.values):
            return job
    return None


def unusable_values(
    values: Iterable[str], dimension: Dimension, spider: str = "amazon_jobs"
) -> dict[str, str]:
    """Values the spider would refuse as arguments (value -> why)."""
    model = SPIDER_ARGUMENTS.get(spider)
    refused: dict[str, str] = {}
    for value in values:
        try:
            if model is not None:
                parse_args(model, {dimension.argument: value})
        except ArgumentError as exc:
            refused[value] = str(exc)
    return refused


def board_counts(
    base_url: str, dimension: Dimension, *, user_agent: str, timeout: float = 60.0
) -> dict[str, int]:
    """Postings per value of ``dimension`` on the live board (one ``search.json`` call)."""
    params = [("offset", 0), ("result_limit", 1), ("sort", "recent"), ("facets[]", dimension.facet)]
    url = f"{base_url.rstrip('/')}/en/search.json?{urlencode(params)}"
    request = Request(url, headers={"User-Agent": user_agent, "Accept": "application/json"})
    try:
        with urlopen(request, timeout=timeout) as response:
            page = parse_search_payload(response.read())
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DeployError(f"cannot read the board's facets from {base_url}: {reason}", 1) from None
    except PayloadError as exc:
        raise DeployError(f"the board at {base_url} answered no search.json: {exc}", 1) from None
    if page.error or dimension.facet not in page.facets:
        why = page.error or f"no {dimension.facet} facet in the answer"
        raise DeployError(f"the board at {base_url} gave no facet counts: {why}", 1)
    return dict(page.facets[dimension.facet])


def probe_refusal(report: ProbeReport, force: bool) -> str | None:
    """Why ``schedule`` posts nothing after probing the site (``jobtracker probe``): a drift
    that makes a crawl unsafe, unless ``force``; None to go on."""
    if force or not report.unsafe:
        return None
    names = ", ".join(check.name for check in report.unsafe)
    return (
        f"the site's contract drifted ({names}), which makes a crawl unsafe: nothing was "
        "scheduled (--force schedules anyway; `jobtracker probe` shows the checks)"
    )


def default_batch(now: datetime | None = None) -> str:
    """A batch name from the time: ``20260730T061500Z``."""
    return f"{now or datetime.now(UTC):%Y%m%dT%H%M%SZ}"


@dataclass(frozen=True)
class Decision:
    """What happened to one scope: scheduled on a node, or skipped and why."""

    scope: Scope
    job_id: str
    node: str | None = None
    skipped: str | None = None

    def line(self) -> str:
        """One line for the terminal (values come from the site: no control characters)."""
        from jobtracker.research.output import terminal_text

        values = ",".join(self.scope.values)
        if len(values) > 60:
            values = values[:59] + "…"
        what = f"{self.scope.dimension.argument}={values} ({self.scope.postings:,} postings)"
        if self.skipped:
            return terminal_text(f"skipped    {self.job_id}  {what}: {self.skipped}")
        return terminal_text(f"scheduled  {self.job_id}  on {self.node}  {what}")


@dataclass
class ScheduleRequest:
    """Everything one ``jobtracker schedule`` run needs besides the nodes."""

    project: str
    spider: str
    dimension: Dimension
    batch: str
    counts: dict[str, int]
    groups: int | None = None
    base_url: str | None = None
    arguments: Sequence[tuple[str, str]] = ()
    settings: Sequence[tuple[str, str]] = ()


def check_nodes(clients: Sequence[ScrapydClient], project: str, spider: str) -> list[Job]:
    """Every node answers, accepts our credentials and has the spider; returns their jobs."""
    jobs: list[Job] = []
    for client in clients:
        client.check_spider(project, spider)
        jobs.extend(client.jobs(project))
    return jobs


def schedule_batch(clients: Sequence[ScrapydClient], request: ScheduleRequest) -> list[Decision]:
    """Post one job per scope that no active job covers, on the least loaded node."""
    if not BATCH_PATTERN.match(request.batch):
        raise DeployError(f"batch {request.batch!r}: use letters, digits, '-' and '_' only")
    jobs = check_nodes(clients, request.project, request.spider)
    loads = {client.name: client.load() for client in clients}
    refused = unusable_values(request.counts, request.dimension, request.spider)
    usable = {value: n for value, n in request.counts.items() if value not in refused}
    decisions = []
    for value, why in refused.items():
        scope = Scope(request.dimension, (value,), value, request.counts[value])
        decisions.append(Decision(scope, scope.job_id(request.batch), skipped=why))
    base = [("base_url", request.base_url)] if request.base_url else []
    for scope in plan_scopes(usable, request.dimension, request.groups):
        job_id = scope.job_id(request.batch)
        blocker = conflicting_job(scope, jobs, request.spider)
        if blocker is not None:
            reason = f"job {blocker.id} is still {blocker.state} on {blocker.node}"
            decisions.append(Decision(scope, job_id, skipped=reason))
            continue
        client = min(clients, key=lambda c: loads[c.name])  # first listed wins a tie
        client.schedule(
            request.project,
            request.spider,
            job_id,
            [*scope.arguments(), *base, *request.arguments],
            request.settings,
        )
        loads[client.name] += 1
        jobs.append(Job(client.name, "pending", job_id, request.spider))
        decisions.append(Decision(scope, job_id, node=client.name))
    return decisions
