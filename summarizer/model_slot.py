"""The answer model as a shared, lazily loaded resource with bounded concurrency.

Loading takes seconds and generation blocks for seconds, so both run in worker threads;
a semaphore bounds how many generations queue for the CPU, and a timeout turns a stuck
or overloaded model into an extractive answer instead of a silent bot."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Callable

from summarizer.generation import Generation, Generator, load_generator
from summarizer.models import ModelError, resolve_model

log = logging.getLogger(__name__)


class ModelUnavailable(Exception):
    """The model could not be loaded or did not answer in time; the message says why."""


class ModelSlot:
    def __init__(self, *, spec: str, runtime: str, cache_dir: Path, generator: Generator | None = None,
                 factory: Callable[[], Generator] | None = None, timeout_s: float = 60.0,
                 concurrency: int = 1) -> None:
        self._spec = spec
        self._runtime = runtime
        self._cache_dir = cache_dir
        self._generator = generator
        self._injected_name = generator.name if generator is not None else None
        self._factory = factory or self._load_configured
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._loading: asyncio.Future[Generator | None] | None = None
        self._load_error: str | None = None

    @property
    def identity(self) -> str:
        """The model as configured; stable before and after loading, so it keys the answer cache."""
        return self._injected_name or f"{self._spec}@{self._runtime}"

    @property
    def name(self) -> str:
        """The model actually answering, once loaded (e.g. the resolved file and runtime)."""
        return self._generator.name if self._generator is not None else self.identity

    @property
    def load_error(self) -> str | None:
        return self._load_error

    async def load(self) -> Generator | None:
        """The generator, loading it once; None (and ``load_error`` set) when it cannot be loaded.

        The load is shielded: a caller that gives up (a cancelled warm-up) does not abandon a
        half-finished load that the next caller would then start again."""
        if self._generator is not None:
            return self._generator
        if self._loading is None:
            self._loading = asyncio.ensure_future(self._load_once())
        return await asyncio.shield(self._loading)

    async def _load_once(self) -> Generator | None:
        try:
            self._generator = await asyncio.to_thread(self._factory)
        except ModelError as exc:
            self._load_error = str(exc)
            log.error("answer model unavailable: %s", exc)
        return self._generator

    def _load_configured(self) -> Generator:
        model = resolve_model(self._spec, self._cache_dir)
        generator = load_generator(model, self._runtime)
        log.info("answer model loaded: %s", generator.name)
        return generator

    async def generate(self, messages: list[dict[str, str]], max_tokens: int) -> Generation:
        generator = await self.load()
        if generator is None:
            raise ModelUnavailable(self._load_error or "the answer model is not loaded")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        try:
            await asyncio.wait_for(self._slots.acquire(), self._timeout_s)
        except asyncio.TimeoutError:
            raise ModelUnavailable("the answer model is busy with other questions") from None
        work = asyncio.ensure_future(asyncio.to_thread(generator.generate, messages, max_tokens))
        # The thread cannot be cancelled; the slot stays taken until it really finishes.
        work.add_done_callback(lambda _: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.shield(work), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            raise ModelUnavailable(f"the answer model took longer than {self._timeout_s:g} s") from None
        except Exception as exc:  # a runtime failure must cost one answer its prose, not the answer
            log.exception("generation failed")
            raise ModelUnavailable(f"generation failed: {exc}") from None
