"""The fake model provider, the model catalog entry pointing at it, and the LiteLLM proxy.

Execution overhead is the time a gateway adds to a model call: the same
request to the same fake provider, sent directly, through promptlab's execute
endpoint, and through the LiteLLM proxy (one worker, no database).
"""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from bench.processes import REPOSITORY, ServerProcess, free_port, memory_mib, python_command
from bench.seed import BENCH_MODEL, BENCH_PROVIDER, rendered_messages
from bench.wrk import Request

logger = logging.getLogger("bench")

FAKE_KEY_VARIABLE = "PROMPTLAB_BENCH_FAKE_PROVIDER_KEY"
FAKE_KEY = "sk-bench-fake-provider"
LITELLM_VENV = REPOSITORY / "bench" / ".venv-litellm"
LITELLM_INSTALL = (
    f"python3 -m venv {LITELLM_VENV.relative_to(REPOSITORY)} && "
    f"{LITELLM_VENV.relative_to(REPOSITORY)}/bin/pip install 'litellm[proxy]'"
)
# Outbound HTTP from LiteLLM goes to this closed loopback port, so no request
# can leave the machine. NO_PROXY exempts the fake provider on 127.0.0.1.
BLOCKING_PROXY = "http://127.0.0.1:9"


def provider_environment() -> dict[str, str]:
    return {FAKE_KEY_VARIABLE: FAKE_KEY}


def models_toml(fake_base_url: str) -> str:
    return f"""
[providers.{BENCH_PROVIDER}]
kind = "openai_compatible"
base_url = "{fake_base_url}/v1"
api_key_env = "{FAKE_KEY_VARIABLE}"

[models."{BENCH_MODEL}"]
provider = "{BENCH_PROVIDER}"
upstream_name = "{BENCH_MODEL}"
display_name = "Benchmark echo model (fake provider on loopback)"
context_window = 8192
max_output_tokens = 1024
input_price_per_million = "1.00"
output_price_per_million = "2.00"
"""


def litellm_config(fake_base_url: str, master_key: str) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": BENCH_MODEL,
                "litellm_params": {
                    "model": f"openai/{BENCH_MODEL}",
                    "api_base": f"{fake_base_url}/v1",
                    "api_key": FAKE_KEY,
                },
            }
        ],
        "general_settings": {"master_key": master_key},
        "litellm_settings": {"telemetry": False, "drop_params": True},
    }


def chat_body() -> bytes:
    return json.dumps(
        {
            "model": BENCH_MODEL,
            "messages": rendered_messages(),
            "temperature": 0.2,
            "max_tokens": 256,
        },
        separators=(",", ":"),
    ).encode()


class Gateways:
    """Run the fake provider for the whole benchmark; start LiteLLM only while it is measured."""

    def __init__(self, work_dir: Path, *, litellm: bool) -> None:
        self._work_dir = work_dir
        self._want_litellm = litellm
        port = free_port()
        self.fake = ServerProcess(
            "fake provider",
            python_command("-m", "tests.fakes.provider_server", "--port", str(port)),
            port=port,
            ready_path="/health",
            log_path=work_dir / "fake-provider.log",
        )
        self.models_file = work_dir / "models.toml"
        self.models_file.write_text(models_toml(self.fake.base_url))
        self.litellm_status = "not run"
        self.measured = False

    def __enter__(self) -> Self:
        self.fake.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.fake.stop()

    def measure(self, options: Any, measure: Callable[..., Any]) -> list[Any]:
        """Measure the direct call and the LiteLLM proxy, each at 1 and at N connections."""
        from bench.suite import Measurement

        self.measured = True
        results: list[Measurement] = []
        direct = Request(
            "POST",
            ("/v1/chat/completions",),
            body=chat_body(),
            headers=(("Authorization", f"Bearer {FAKE_KEY}"),),
        )
        for connections in (1, options.connections):
            result = measure(
                self.fake.base_url,
                direct,
                connections=connections,
                seconds=options.latency_seconds if connections == 1 else options.seconds,
                warmup_seconds=options.warmup_seconds,
            )
            results.append(
                Measurement(
                    "none",
                    1,
                    "direct to fake provider",
                    "overhead",
                    connections,
                    result,
                    None,
                    None,
                )
            )

        litellm = self._start_litellm()
        if litellm is None:
            results.append(
                Measurement(
                    "none", 1, "LiteLLM proxy", "overhead", 1, None, None, None, self.litellm_status
                )
            )
            return results
        try:
            via_litellm = Request(
                "POST",
                ("/v1/chat/completions",),
                body=chat_body(),
                headers=(("Authorization", f"Bearer {self._litellm_key}"),),
            )
            for connections in (1, options.connections):
                result = measure(
                    litellm.base_url,
                    via_litellm,
                    connections=connections,
                    seconds=options.latency_seconds if connections == 1 else options.seconds,
                    warmup_seconds=options.warmup_seconds,
                )
                readings = [memory_mib(pid) for pid in litellm.worker_pids()]
                results.append(
                    Measurement(
                        "none",
                        1,
                        "LiteLLM proxy",
                        "overhead",
                        connections,
                        result,
                        max(peak for _, peak in readings),
                        max(rss for rss, _ in readings),
                    )
                )
        finally:
            litellm.stop()
        return results

    def _start_litellm(self) -> ServerProcess | None:
        if not self._want_litellm:
            self.litellm_status = "skipped (--no-litellm)"
            return None
        binary = LITELLM_VENV / "bin" / "litellm"
        if not binary.exists():
            self.litellm_status = f"not installed; install it with: {LITELLM_INSTALL}"
            logger.warning("LiteLLM is not measured: %s", self.litellm_status)
            return None

        self._litellm_key = "sk-bench-" + secrets.token_hex(16)
        config_path = self._work_dir / "litellm.json"
        # LiteLLM reads YAML, and JSON is valid YAML.
        config_path.write_text(json.dumps(litellm_config(self.fake.base_url, self._litellm_key)))
        port = free_port()
        version = subprocess.run(
            [
                str(LITELLM_VENV / "bin" / "python"),
                "-c",
                "import importlib.metadata as m; print(m.version('litellm'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        server = ServerProcess(
            "LiteLLM proxy",
            [
                str(binary),
                "--config",
                str(config_path),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--num_workers",
                "1",
            ],
            port=port,
            ready_path="/health/liveliness",
            log_path=self._work_dir / "litellm.log",
            env={
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "LITELLM_LOG": "ERROR",
                "LITELLM_MASTER_KEY": self._litellm_key,
                "HTTP_PROXY": BLOCKING_PROXY,
                "HTTPS_PROXY": BLOCKING_PROXY,
                "NO_PROXY": "127.0.0.1,localhost",
            },
        )
        try:
            server.start(timeout=180)
        except (RuntimeError, TimeoutError) as error:
            self.litellm_status = f"failed to start: {error}"
            logger.warning("LiteLLM is not measured: %s", self.litellm_status)
            return None
        self.litellm_status = f"litellm {version}"
        return server
