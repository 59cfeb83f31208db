"""A small client for one scrapyd node's JSON API (urllib; no extra dependency).

Every failure becomes a :class:`~jobtracker.deploy.nodes.DeployError` with one line that names
the node: unreachable, wrong credentials, not a scrapyd API, or scrapyd's own error message
(an unknown project or spider, a bad egg).
"""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from jobtracker.deploy.nodes import DeployError, Node

Fields = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Job:
    """One job as ``listjobs.json`` reports it, with the node it is on."""

    node: str
    state: str  # pending | running | finished
    id: str
    spider: str
    start_time: str | None = None
    end_time: str | None = None


class ScrapydClient:
    """Calls to one node; ``timeout`` seconds per call."""

    def __init__(self, node: Node, timeout: float = 30.0) -> None:
        self.node = node
        self.timeout = timeout

    @property
    def name(self) -> str:
        return self.node.url

    # -- transport -----------------------------------------------------------------------
    def get(self, endpoint: str, params: Fields = ()) -> dict[str, Any]:
        url = self.node.endpoint(endpoint) + (f"?{urlencode(list(params))}" if params else "")
        return self._call(Request(url), endpoint)

    def post(
        self, endpoint: str, fields: Fields | bytes, content_type: str | None = None
    ) -> dict[str, Any]:
        body = fields if isinstance(fields, bytes) else urlencode(list(fields)).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        return self._call(Request(self.node.endpoint(endpoint), body, headers), endpoint)

    def _call(self, request: Request, endpoint: str) -> dict[str, Any]:
        if self.node.username:
            token = f"{self.node.username}:{self.node.password or ''}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
        try:
            with urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except HTTPError as exc:
            raise self._http_error(exc, endpoint) from None
        except URLError as exc:
            raise DeployError(f"scrapyd node {self.name} is unreachable: {exc.reason}", 1) from None
        except TimeoutError:
            raise DeployError(
                f"scrapyd node {self.name} did not answer {endpoint} within {self.timeout:g} s", 1
            ) from None
        except (http.client.HTTPException, ConnectionError) as exc:
            raise DeployError(f"scrapyd node {self.name} broke the connection: {exc}", 1) from None
        return self._decode(body, endpoint)

    def _http_error(self, exc: HTTPError, endpoint: str) -> DeployError:
        if exc.code == 401:
            how = "wrong" if self.node.username else "missing"
            return DeployError(
                f"scrapyd node {self.name} refused the {how} credentials (HTTP 401): set "
                "SCRAPYD_USERNAME and SCRAPYD_PASSWORD, or put user:password@ in the node URL"
            )
        return DeployError(
            f"scrapyd node {self.name} answered HTTP {exc.code} to {endpoint}: is it a scrapyd "
            "node (http://host:6800)?",
            1,
        )

    def _decode(self, body: bytes, endpoint: str) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict) or "status" not in data:
            raise DeployError(
                f"scrapyd node {self.name} gave no scrapyd answer to {endpoint}: is it a "
                "scrapyd node?",
                1,
            )
        if data["status"] != "ok":
            message = str(data.get("message") or "no message").strip().splitlines()[-1]
            raise DeployError(f"scrapyd node {self.name}: {endpoint}: {message}")
        return data

    # -- API -----------------------------------------------------------------------------
    def load(self) -> int:
        """Pending plus running jobs of every project (``daemonstatus.json``)."""
        status = self.get("daemonstatus.json")
        return int(status.get("pending", 0)) + int(status.get("running", 0))

    def check_spider(self, project: str, spider: str) -> None:
        """Raise a clear error unless ``spider`` of ``project`` is deployed on this node."""
        if project not in self.get("listprojects.json").get("projects", []):
            raise DeployError(
                f"project {project!r} is not deployed on scrapyd node {self.name} "
                "(run `jobtracker deploy`)"
            )
        spiders = self.get("listspiders.json", [("project", project)]).get("spiders", [])
        if spider not in spiders:
            raise DeployError(
                f"unknown spider {spider!r}: project {project!r} on scrapyd node {self.name} "
                f"has {', '.join(spiders) or 'no spiders'}"
            )

    def jobs(self, project: str) -> list[Job]:
        """Every job of ``project`` this node knows: pending, running and finished."""
        listing = self.get("listjobs.json", [("project", project)])
        return [
            Job(
                node=self.name,
                state=state,
                id=str(entry.get("id")),
                spider=str(entry.get("spider")),
                start_time=entry.get("start_time"),
                end_time=entry.get("end_time"),
            )
            for state in ("pending", "running", "finished")
            for entry in listing.get(state, [])
        ]

    def schedule(
        self,
        project: str,
        spider: str,
        job_id: str,
        arguments: Fields = (),
        settings: Fields = (),
    ) -> str:
        """Post one job (``schedule.json``) and return its id."""
        fields = [("project", project), ("spider", spider), ("jobid", job_id), *arguments]
        fields += [("setting", f"{name}={value}") for name, value in settings]
        return str(self.post("schedule.json", fields).get("jobid", job_id))
