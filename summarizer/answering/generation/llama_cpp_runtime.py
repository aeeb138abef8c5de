"""The llama.cpp runtime (llama-cpp-python) for GGUF models."""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import time
from typing import Any, Callable, Iterator

from summarizer.answering.generation.base import SEED, Generation
from summarizer.answering.model_files import ModelError, ModelFile


class LlamaCppGenerator:
    def __init__(self, model: ModelFile, n_threads: int, context_tokens: int) -> None:
        try:
            import llama_cpp
        except Exception as exc:  # a broken native build raises OSError, not ImportError
            raise ModelError(
                f"runtime 'llama.cpp' is not installed (pip install llama-cpp-python): {exc}"
            ) from None
        self.name = f"{model.name}@llama.cpp"
        self._lock = threading.Lock()
        # verbose=False would make llama-cpp-python point the process's stdout and stderr file
        # descriptors at /dev/null while the model loads, swallowing whatever other threads
        # print meanwhile (the console's answers, the bot's logs). Load verbosely instead,
        # with only this thread's Python-level chatter captured, then quieten its logger.
        logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
        try:
            with contextlib.redirect_stderr(io.StringIO()), plain_cpu_buffers(llama_cpp):
                self._llm = llama_cpp.Llama(
                    model_path=str(model.path),
                    n_ctx=context_tokens,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    seed=SEED,
                    verbose=True,
                )
        except Exception as exc:
            raise ModelError(f"could not load model {model.path} with llama.cpp: {exc}") from None
        finally:
            logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
        self._llm.verbose = False  # no timing report on stderr after every answer
        self._first_token_at: float | None = None
        self._wrap_generate()

    def _wrap_generate(self) -> None:
        # The chat API returns exact token counts only without streaming, so the moment
        # the first token is sampled (end of prefill) is taken from the token generator
        # that create_chat_completion drives.
        inner: Callable[..., Iterator[int]] = self._llm.generate

        def timed_generate(*args: Any, **kwargs: Any) -> Iterator[int]:
            for i, token in enumerate(inner(*args, **kwargs)):
                if i == 0:
                    self._first_token_at = time.perf_counter()
                yield token

        self._llm.generate = timed_generate  # type: ignore[method-assign]

    def generate(self, messages: list[dict[str, str]], max_tokens: int = 160) -> Generation:
        with self._lock:
            self._first_token_at = None
            start = time.perf_counter()
            try:
                out = self._llm.create_chat_completion(
                    messages=messages,
                    temperature=0.0,
                    top_k=1,
                    max_tokens=max_tokens,
                    seed=SEED,
                )
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                raise ModelError(f"generation failed: {exc}") from None
            end = time.perf_counter()
            first = self._first_token_at or end
        usage = out["usage"]
        return Generation(
            text=(out["choices"][0]["message"]["content"] or "").strip(),
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            prefill_ms=(first - start) * 1000,
            decode_ms=(end - first) * 1000,
        )


_PARAMS_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def plain_cpu_buffers(llama_cpp: Any) -> Iterator[None]:
    """Load with ``use_extra_bufts = False``: no AMX or repacked weight buffers.

    llama.cpp's AMX buffer type crashes (SIGSEGV in ``ggml_backend_amx_mul_mat``) on CPUs
    that advertise AMX, and a native build enables it wherever the builder's CPU has it, so
    whether it runs would depend on the machine. Plain CPU buffers run everywhere; measured
    on the default model their prefill is faster than a build with AMX compiled out
    (docs/architecture.md, "The answer model"). ``Llama()`` takes no such argument, so the
    defaults it starts from are patched while it loads."""
    module = llama_cpp.llama_cpp
    with _PARAMS_PATCH_LOCK:
        original = module.llama_model_default_params

        def defaults() -> Any:
            params = original()
            params.use_extra_bufts = False
            return params

        module.llama_model_default_params = defaults
        try:
            yield
        finally:
            module.llama_model_default_params = original
