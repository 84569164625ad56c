"""Concurrent clients running a mixed workload, recording every acknowledged write.

Each client repeats a journey with a new user: register, log in and create an
organization. It creates a project twice at once under one name, expecting
exactly one 201 and one 409. Then it creates sessions and prompts, executes
them on the fast fake provider or on an unreachable one, lists, reads and
refreshes. Every
name carries the run's tag, so the checks can count rows by name.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from typing import Any

import attrs
import httpx

from loadtest.servers import ECHO_MODEL, UNREACHABLE_MODEL

PASSWORD = "load test password"
PROMPT_TEXT = "Say {{word}} to the load test"
SESSIONS_PER_JOURNEY = 2
EXECUTIONS_PER_PROMPT = 2
# One execution in this many goes to the unreachable provider and must end `failed`.
UNREACHABLE_EVERY = 6
MAX_REPORTED_PROBLEMS = 20
_ID_IN_PATH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def route_of(method: str, path: str) -> str:
    """Return the request's route, with ids replaced by `{id}` and the query left out."""
    return f"{method} {_ID_IN_PATH.sub('{id}', path.partition('?')[0])}"


class BudgetExhausted(Exception):
    """The run has sent its maximum number of requests, or its time is up."""


class JourneyStopped(Exception):
    """A request failed or returned an unexpected status, so this journey cannot go on."""


@attrs.define
class Budget:
    """At most `max_requests` requests, none started after `deadline` (time.monotonic)."""

    max_requests: int
    deadline: float
    sent: int = 0

    def take(self, count: int = 1) -> None:
        if self.sent + count > self.max_requests or time.monotonic() >= self.deadline:
            raise BudgetExhausted
        self.sent += count


@attrs.define
class Acknowledged:
    """Writes the server confirmed with a 2xx, by the unique name or key the client chose."""

    users: dict[str, str] = attrs.Factory(dict)  # email -> user id
    personal_organizations: set[str] = attrs.Factory(set)
    organizations: dict[str, str] = attrs.Factory(dict)  # name -> id
    projects: dict[str, str] = attrs.Factory(dict)
    sessions: dict[str, str] = attrs.Factory(dict)
    prompts: dict[str, str] = attrs.Factory(dict)
    executions: dict[str, str] = attrs.Factory(dict)  # id -> final status


@attrs.define
class Results:
    """Everything one run observed: statuses, latencies, problems and acknowledged writes."""

    statuses: Counter[str] = attrs.Factory(Counter)
    latencies_ms: dict[str, list[float]] = attrs.Factory(dict)  # route -> latencies
    problems: list[str] = attrs.Factory(list)
    problem_count: int = 0
    journeys_started: int = 0
    journeys_completed: int = 0
    acknowledged: Acknowledged = attrs.Factory(Acknowledged)
    elapsed_seconds: float = 0.0

    def problem(self, description: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(description)


class Client:
    """One simulated user session at a time over the shared HTTP client."""

    def __init__(
        self, http: httpx.AsyncClient, budget: Budget, results: Results, run_tag: str, index: int
    ) -> None:
        self._http = http
        self._budget = budget
        self._results = results
        self._run_tag = run_tag
        self._index = index

    async def run(self) -> None:
        journey = 0
        while True:
            try:
                self._results.journeys_started += 1
                await self._journey(f"{self._run_tag}-{self._index}-{journey}")
                self._results.journeys_completed += 1
            except BudgetExhausted:
                return
            except JourneyStopped:
                pass
            journey += 1

    async def _call(
        self,
        method: str,
        path: str,
        expected: set[int],
        *,
        token: str | None = None,
        body: Any = None,
        budgeted: bool = False,
    ) -> httpx.Response:
        """Send one request and return its response, or raise JourneyStopped.

        A status outside `expected` or a transport error is recorded as a
        problem, because every request of the workload has exactly one correct status.
        `budgeted` means the caller already took this request from the budget.
        """
        if not budgeted:
            self._budget.take()
        headers = {"Authorization": f"Bearer {token}"} if token else None
        started = time.perf_counter()
        try:
            response = await self._http.request(method, path, headers=headers, json=body)
        except httpx.HTTPError as error:
            self._results.statuses["transport error"] += 1
            self._results.problem(f"{method} {path}: {type(error).__name__}: {error}")
            raise JourneyStopped from error

        latency_ms = (time.perf_counter() - started) * 1000
        self._results.latencies_ms.setdefault(route_of(method, path), []).append(latency_ms)
        self._results.statuses[str(response.status_code)] += 1
        if response.status_code not in expected:
            self._results.problem(
                f"{method} {path}: status {response.status_code}, expected "
                f"{sorted(expected)}: {response.text[:300]}"
            )
            raise JourneyStopped
        return response

    async def _journey(self, tag: str) -> None:
        acknowledged = self._results.acknowledged

        email = f"load-{tag}@example.com"
        registered = await self._call(
            "POST",
            "/api/auth/register/",
            {201},
            body={"email": email, "password": PASSWORD, "full_name": f"Load {tag}"},
        )
        acknowledged.users[email] = registered.json()["user"]["id"]
        acknowledged.personal_organizations.add(registered.json()["organization"]["id"])

        tokens = (
            await self._call(
                "POST", "/api/auth/login/", {200}, body={"email": email, "password": PASSWORD}
            )
        ).json()
        access = tokens["access"]

        organization_name = f"org-{tag}"
        organization = await self._call(
            "POST", "/api/organizations/", {201}, token=access, body={"name": organization_name}
        )
        organization_id = organization.json()["id"]
        acknowledged.organizations[organization_name] = organization_id

        project_id = await self._create_project_twice(access, organization_id, f"project-{tag}")
        listed = await self._call(
            "GET", f"/api/projects/?organization={organization_id}", {200}, token=access
        )
        if [item["id"] for item in listed.json()["results"]] != [project_id]:
            self._results.problem(f"project list of organization {organization_id} is wrong")
            raise JourneyStopped

        for session_number in range(SESSIONS_PER_JOURNEY):
            await self._session(access, project_id, f"{tag}-{session_number}", session_number)

        await self._call("GET", "/api/auth/me/", {200}, token=access)
        await self._call(
            "POST", "/api/auth/token/refresh/", {200}, body={"refresh": tokens["refresh"]}
        )
        await self._call("GET", "/api/organizations/", {200}, token=access)

    async def _create_project_twice(self, access: str, organization_id: str, name: str) -> str:
        """Send two creates of one name at once; exactly one may succeed."""
        body = {"name": name, "organization": organization_id}
        # Both requests are counted first, so the budget cannot stop one of
        # them while the other creates a project that is never recorded.
        self._budget.take(2)
        responses = await asyncio.gather(
            *(
                self._call(
                    "POST", "/api/projects/", {201, 409}, token=access, body=body, budgeted=True
                )
                for _ in range(2)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        if statuses != [201, 409]:
            self._results.problem(f"two creates of project {name!r} returned {statuses}")
            raise JourneyStopped
        project_id: str = next(r for r in responses if r.status_code == 201).json()["id"]
        self._results.acknowledged.projects[name] = project_id
        return project_id

    async def _session(self, access: str, project_id: str, tag: str, number: int) -> None:
        acknowledged = self._results.acknowledged
        session_name = f"session-{tag}"
        session = await self._call(
            "POST",
            f"/api/projects/{project_id}/sessions/",
            {201},
            token=access,
            body={"name": session_name},
        )
        session_id = session.json()["id"]
        acknowledged.sessions[session_name] = session_id

        prompt_name = f"prompt-{tag}"
        prompts_path = f"/api/projects/{project_id}/sessions/{session_id}/prompts/"
        prompt = await self._call(
            "POST",
            prompts_path,
            {201},
            token=access,
            body={"name": prompt_name, "content": PROMPT_TEXT},
        )
        prompt_id = prompt.json()["id"]
        acknowledged.prompts[prompt_name] = prompt_id

        prompt_path = f"{prompts_path}{prompt_id}/"
        executed = []
        for execution_number in range(EXECUTIONS_PER_PROMPT):
            unreachable = (self._index + number + execution_number) % UNREACHABLE_EVERY == 0
            model = UNREACHABLE_MODEL if unreachable else ECHO_MODEL
            expected_status = "failed" if unreachable else "succeeded"
            response = await self._call(
                "POST",
                f"{prompt_path}execute/",
                {201},
                token=access,
                body={"model": model, "variables": {"word": "hello"}},
            )
            log = response.json()
            acknowledged.executions[log["id"]] = log["status"]
            executed.append(log["id"])
            if log["status"] != expected_status:
                self._results.problem(
                    f"execution {log['id']} on {model} ended {log['status']}, "
                    f"expected {expected_status}"
                )
                raise JourneyStopped

        listed = await self._call("GET", f"{prompt_path}executions/", {200}, token=access)
        if sorted(item["id"] for item in listed.json()["results"]) != sorted(executed):
            self._results.problem(f"execution list of prompt {prompt_id} is wrong")
            raise JourneyStopped
        await self._call("GET", f"/api/projects/{project_id}/sessions/", {200}, token=access)


async def run_workload(
    base_url: str, *, clients: int, max_requests: int, max_seconds: float, run_tag: str
) -> Results:
    """Run `clients` concurrent clients until the request budget or the time is used up."""
    results = Results()
    budget = Budget(max_requests=max_requests, deadline=time.monotonic() + max_seconds)
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as http:
        await asyncio.gather(
            *(Client(http, budget, results, run_tag, index).run() for index in range(clients))
        )
    results.elapsed_seconds = time.monotonic() - started
    return results
