"""The answer model as the answering code sees it: loaded once, a bounded queue, a deadline.

The configured model runs in a supervised child process (``ModelProcess``), so nothing it
does can take the bot down, or on an OpenAI-compatible server (``ModelServer``) when the
setting is a URL. Tests and benchmarks may inject a ready ``Generator`` instead, which runs in
this process in a worker thread.

A semaphore bounds how many generations queue for the CPU, and the deadline turns a stuck
or overloaded model into an extractive answer instead of a silent bot."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Protocol

from summarizer.answering.generation import Generation, Generator
from summarizer.answering.model_process import ModelProcess, ModelUnavailable
from summarizer.answering.model_server import ModelServer, is_server_url

log = logging.getLogger(__name__)
# The caller gets its extractive answer at the timeout; the generation is only taken as hung, and
# its process killed, well after that, so a merely slow machine does not pay for model reloads.
HUNG_AFTER_TIMEOUTS = 2


class ModelBackend(Protocol):
    """Where generations run: the model's own process, or a model server."""

    name: str | None
    pid: int | None
    load_error: str | None

    async def start(self) -> str: ...

    async def generate(self, messages: list[dict[str, str]], max_tokens: int, *, limit_s: float) -> Generation: ...

    async def close(self) -> None: ...


def open_backend(spec: str, runtime: str, cache_dir: Path, *, server_model: str | None = None,
                 api_key: str | None = None) -> ModelBackend:
    """A server URL is a model server; anything else is a model file run in its own process."""
    if is_server_url(spec):
        return ModelServer(spec, model=server_model, api_key=api_key)
    return ModelProcess(spec, runtime, cache_dir)


class ModelSlot:
    def __init__(self, *, spec: str, runtime: str, cache_dir: Path, timeout_s: float,
                 generator: Generator | None = None, concurrency: int = 1, server_model: str | None = None,
                 api_key: str | None = None) -> None:
        self._spec = spec if not server_model else f"{spec}#{server_model}"
        self._runtime = runtime if not is_server_url(spec) else "server"
        self._generator = generator
        self._backend = None if generator is not None else open_backend(
            spec, runtime, cache_dir, server_model=server_model, api_key=api_key)
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._load_error: str | None = None

    @property
    def identity(self) -> str:
        """The model as configured; stable before and after loading, so it keys the answer cache."""
        return self._generator.name if self._generator is not None else f"{self._spec}@{self._runtime}"

    @property
    def name(self) -> str:
        """The model actually answering, once loaded (e.g. the resolved file and runtime)."""
        if self._backend is not None and self._backend.name:
            return self._backend.name
        return self.identity

    @property
    def load_error(self) -> str | None:
        """Why the model cannot load, once that is known (a missing or broken model file)."""
        if self._backend is not None and self._backend.load_error:
            return self._backend.load_error
        return self._load_error

    @property
    def process_id(self) -> int | None:
        """The model process's pid while it runs; None for an in-process model or a server."""
        return self._backend.pid if self._backend is not None else None

    async def load(self) -> str | None:
        """The model's name once it can generate; None (and ``load_error`` set) when it cannot."""
        if self._backend is None:
            return self.name
        try:
            name = await self._backend.start()
        except ModelUnavailable as exc:
            self._load_error = str(exc)
            return None
        self._load_error = None
        return name

    async def generate(self, messages: list[dict[str, str]], max_tokens: int, *,
                       wait_s: float | None = None) -> Generation:
        """The generation, or ModelUnavailable once ``wait_s`` (default: the timeout) has passed,
        queueing included. A caller that has already shown something can afford to wait longer."""
        loop = asyncio.get_running_loop()
        patience = wait_s if wait_s is not None else self._timeout_s
        deadline = loop.time() + patience
        try:
            await asyncio.wait_for(self._slots.acquire(), patience)
        except asyncio.TimeoutError:
            raise ModelUnavailable("the answer model is busy with other questions") from None
        work = asyncio.ensure_future(self._run(messages, max_tokens))
        # A caller that gives up does not stop the generation; the slot stays taken until it ends.
        work.add_done_callback(self._release)
        try:
            return await asyncio.wait_for(asyncio.shield(work), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            raise ModelUnavailable(f"the answer model took longer than {patience:g} s") from None
        except ModelUnavailable:
            raise
        except Exception as exc:  # a runtime failure must cost one answer its prose, not the answer
            log.exception("generation failed")
            raise ModelUnavailable(f"generation failed: {exc}") from None

    async def close(self) -> None:
        if self._backend is not None:
            await self._backend.close()

    async def _run(self, messages: list[dict[str, str]], max_tokens: int) -> Generation:
        if self._backend is None:
            return await asyncio.to_thread(self._generator.generate, messages, max_tokens)
        return await self._backend.generate(messages, max_tokens, limit_s=self._timeout_s * HUNG_AFTER_TIMEOUTS)

    def _release(self, work: asyncio.Future) -> None:
        self._slots.release()
        if not work.cancelled():
            work.exception()  # an abandoned generation's failure was logged where it happened
