"""The requests each scenario sends, addressed to the seeded workspace."""

from __future__ import annotations

import json

import attrs

from bench.seed import BENCH_MODEL, SYSTEM_MESSAGE, USER_TEMPLATE, VARIABLES, Workspace
from bench.wrk import Request


@attrs.frozen
class Scenario:
    name: str
    group: str
    request: Request
    expected_status: int


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def standard_scenarios(workspace: Workspace, token: str) -> list[Scenario]:
    auth = (("Authorization", f"Bearer {token}"),)
    execute_body = _json({"model": BENCH_MODEL, "variables": VARIABLES})
    return [
        Scenario(
            "current user (token check only)",
            "read",
            Request("GET", ("/api/auth/me/",), headers=auth),
            200,
        ),
        Scenario(
            "list 50 prompts",
            "read",
            Request("GET", (workspace.prompts_path() + "?limit=50",), headers=auth),
            200,
        ),
        Scenario(
            "project detail",
            "read",
            Request("GET", (workspace.project_path(),), headers=auth),
            200,
        ),
        Scenario(
            "execution log detail",
            "read",
            Request(
                "GET",
                tuple(workspace.execution_path(e) for e in workspace.execution_ids[:50]),
                headers=auth,
            ),
            200,
        ),
        Scenario(
            "create prompt",
            "write",
            Request(
                "POST",
                (workspace.prompts_path(workspace.write_session_id),),
                body=_json(
                    {
                        "name": "shipping reply, shorter",
                        "messages": [
                            {"role": "system", "content": SYSTEM_MESSAGE},
                            {"role": "user", "content": USER_TEMPLATE},
                        ],
                    }
                ),
                headers=auth,
            ),
            201,
        ),
        Scenario(
            "create session",
            "write",
            Request(
                "POST",
                (workspace.sessions_path(),),
                body=_json(
                    {
                        "name": "Returns and refunds",
                        "description": "Trying a firmer tone for refund requests.",
                        "default_model": BENCH_MODEL,
                        "default_parameters": {"temperature": 0.2, "max_tokens": 256},
                        "metadata": {"team": "support"},
                    }
                ),
                headers=auth,
            ),
            201,
        ),
        Scenario(
            "execute",
            "execute",
            Request("POST", (workspace.execute_path(),), body=execute_body, headers=auth),
            201,
        ),
        Scenario(
            "execute, streaming",
            "execute",
            Request(
                "POST",
                (workspace.execute_path() + "?stream=true",),
                body=execute_body,
                headers=auth,
            ),
            201,
        ),
    ]
