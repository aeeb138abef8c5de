"""Text generation behind one small interface, on llama.cpp or transformers.

Both runtimes use the chat template stored with the model, decode greedily (answers
must be reproducible and cacheable) and report prefill and decode time separately,
because on a CPU prefill dominates and the prompt budget is tuned from it.

Calls block; callers run them in a worker thread. Each generator serialises its own
calls with a lock, since neither runtime's model object is safe to share.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

from summarizer.models import ModelError, ModelFile

SEED = 0
_GGUF_MAGIC = b"GGUF"
_RUNTIMES = {
    "llama.cpp": "llama.cpp",
    "llama_cpp": "llama.cpp",
    "llama-cpp": "llama.cpp",
    "transformers": "transformers",
}


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    prefill_ms: float  # time to first token (prompt processing)
    decode_ms: float  # time for the rest


class Generator(Protocol):
    name: str  # e.g. "qwen2.5-coder-1.5b-instruct-q4_k_m@llama.cpp"

    def generate(self, messages: list[dict[str, str]], max_tokens: int = 160) -> Generation: ...


def load_generator(
    model: ModelFile,
    runtime: str = "auto",
    n_threads: int | None = None,
    context_tokens: int = 2048,
) -> Generator:
    """Load ``model`` on ``runtime`` ("auto", "llama.cpp" or "transformers")."""
    chosen = _pick_runtime(model, runtime)
    threads = n_threads or _cpu_count()
    if model.kind == "gguf":
        _check_gguf(model)
    if chosen == "llama.cpp":
        return LlamaCppGenerator(model, threads, context_tokens)
    return TransformersGenerator(model, threads)


def _pick_runtime(model: ModelFile, runtime: str) -> str:
    key = runtime.strip().lower()
    if key == "auto":
        if model.kind == "gguf" and importlib.util.find_spec("llama_cpp") is not None:
            return "llama.cpp"
        return "transformers"
    if key not in _RUNTIMES:
        raise ModelError(f"unknown runtime {runtime!r}: use 'auto', 'llama.cpp' or 'transformers'")
    chosen = _RUNTIMES[key]
    if chosen == "llama.cpp" and model.kind != "gguf":
        raise ModelError(f"runtime 'llama.cpp' needs a .gguf file, not the folder {model.path}")
    return chosen


def _check_gguf(model: ModelFile) -> None:
    # llama.cpp reports a bad file only as "Failed to load model": say what is wrong.
    try:
        with open(model.path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {model.path}: {exc.strerror or exc}") from None
    if magic != _GGUF_MAGIC:
        raise ModelError(f"model file {model.path} is not a GGUF file")


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


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


class TransformersGenerator:
    def __init__(self, model: ModelFile, n_threads: int) -> None:
        try:
            import torch
            import transformers
        except Exception as exc:
            raise ModelError(
                f"runtime 'transformers' is not installed (pip install transformers): {exc}"
            ) from None
        self.name = f"{model.name}@transformers"
        self._lock = threading.Lock()
        self._torch = torch
        torch.set_num_threads(n_threads)
        if model.kind == "gguf":
            # GGUF weights are dequantised to fp32 on load (needs the `gguf` package).
            source, extra = str(model.path.parent), {"gguf_file": model.path.name}
        else:
            source, extra = str(model.path), {}
        try:
            # Progress bars (GGUF dequantisation, weight loading) would flood the bot's log.
            with contextlib.redirect_stderr(io.StringIO()):
                self._tokenizer = transformers.AutoTokenizer.from_pretrained(
                    source, local_files_only=True, **extra
                )
                self._model = transformers.AutoModelForCausalLM.from_pretrained(
                    source, local_files_only=True, dtype=torch.float32, **extra
                )
        except Exception as exc:
            raise ModelError(
                f"could not load model {model.path} with transformers: {exc}"
            ) from None
        self._model.eval()
        if not self._tokenizer.chat_template:
            raise ModelError(f"model {model.path} has no chat template")
        self._eos = _eos_ids(
            self._model.generation_config.eos_token_id, self._tokenizer.eos_token_id
        )
        pad = self._tokenizer.pad_token_id
        self._pad_id = pad if pad is not None else min(self._eos, default=0)

    def generate(self, messages: list[dict[str, str]], max_tokens: int = 160) -> Generation:
        import transformers

        torch = self._torch
        with self._lock:
            prompt = self._tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            # The template already holds any BOS token; don't add a second one.
            inputs = self._tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
            n_prompt = inputs["input_ids"].shape[1]
            first_token = _FirstCall()
            start = time.perf_counter()
            with torch.inference_mode():
                output = self._model.generate(
                    **inputs,
                    max_new_tokens=max_tokens,
                    do_sample=False,
                    temperature=None,
                    top_p=None,
                    top_k=None,
                    eos_token_id=sorted(self._eos) or None,
                    pad_token_id=self._pad_id,
                    logits_processor=transformers.LogitsProcessorList([first_token]),
                )
            end = time.perf_counter()
        new = output[0, n_prompt:].tolist()
        while new and new[-1] in self._eos:  # the stop token is not part of the answer
            new.pop()
        first = first_token.at or end
        return Generation(
            text=self._tokenizer.decode(new, skip_special_tokens=True).strip(),
            prompt_tokens=n_prompt,
            completion_tokens=len(new),
            prefill_ms=(first - start) * 1000,
            decode_ms=(end - first) * 1000,
        )


class _FirstCall:
    """A no-op logits processor that records when the first logits arrive (end of prefill)."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.at is None:
            self.at = time.perf_counter()
        return scores


def _eos_ids(*values: int | list[int] | None) -> set[int]:
    ids: set[int] = set()
    for v in values:
        if isinstance(v, int):
            ids.add(v)
        elif v:
            ids.update(v)
    return ids
