"""The llama.cpp runtime (llama-cpp-python) for GGUF models."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from summarizer.answering.generation.base import SEED, Generation
from summarizer.answering.model_files import ModelError, ModelFile

log = logging.getLogger(__name__)


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
        self._llama_cpp = llama_cpp
        self._model = model
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

    def prime(self, messages: list[dict[str, str]], state_dir: Path) -> Generation:
        """One token for ``messages`` (proof that the model generates), leaving their prompt
        evaluated: llama-cpp-python reuses the longest common token prefix of consecutive
        prompts, so every later prompt that begins the same way is prefilled only from where
        it differs.

        The evaluated prompt (its KV cache, a few MB) is also saved in ``state_dir`` and
        restored by the next process instead of computed again. Its file name is a hash of
        everything that decides those bytes (model file, llama.cpp build, context settings,
        messages), so what is restored is exactly what this process would compute."""
        path = state_dir / f"{self._model.name}-{self._state_key(messages)}.kv"
        restored = self._restore_prompt(path)
        generation = self.generate(messages, max_tokens=1)
        if not restored:
            self._save_prompt(path)
        return generation

    def _state_key(self, messages: list[dict[str, str]]) -> str:
        def identity(path: Path) -> list:
            stat = path.stat()
            return [path.name, stat.st_size, stat.st_mtime_ns]

        library = Path(self._llama_cpp.__file__).parent / "lib"
        build = [identity(f) for f in sorted(library.glob("*")) if f.is_file()] if library.is_dir() else []
        params = self._llm.context_params
        context = [getattr(params, name) for name in _STATE_SHAPING_PARAMS]
        key = [identity(Path(self._model.path).resolve()), self._llama_cpp.__version__, build, context, messages]
        return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()[:16]

    def _restore_prompt(self, path: Path) -> bool:
        try:
            tokens, state = _read_prompt_state(path.read_bytes())
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as exc:
            log.warning("ignoring the saved prompt %s: %s", path, exc)
            return False
        llama_cpp, llm = self._llama_cpp, self._llm
        with self._lock:
            buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
            if len(tokens) < 2 or not llama_cpp.llama_state_seq_set_data(llm.ctx, buffer, len(state), 0):
                log.warning("ignoring the saved prompt %s: llama.cpp could not restore it", path)
                return False
            llm.input_ids[: len(tokens)] = tokens
            # All but the last token count as evaluated: the next call evaluates that one again,
            # which gives it the logits a restored state lacks.
            llm.n_tokens = len(tokens) - 1
        return True

    def _save_prompt(self, path: Path) -> None:
        llama_cpp, llm = self._llama_cpp, self._llm
        with self._lock:
            tokens = [int(t) for t in llm.input_ids[: llm.n_tokens]]
            size = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)
            buffer = (ctypes.c_uint8 * size)()
            written = llama_cpp.llama_state_seq_get_data(llm.ctx, buffer, size, 0)
        if not written:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            partial.write_bytes(_prompt_state_file(tokens, ctypes.string_at(buffer, written)))
            os.replace(partial, path)
            for stale in path.parent.glob(f"{self._model.name}-*.kv"):  # other prompts, builds or model files
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError as exc:  # a read-only cache costs the next start its prefill, nothing more
            log.warning("cannot save the evaluated prompt in %s: %s", path.parent, exc)


# The context settings that decide what an evaluated prompt's state holds, or its numbers.
_STATE_SHAPING_PARAMS = ("n_ctx", "n_batch", "n_ubatch", "n_seq_max", "n_threads", "n_threads_batch",
                         "flash_attn_type", "type_k", "type_v", "rope_scaling_type", "rope_freq_base",
                         "rope_freq_scale", "swa_full", "kv_unified")
# A saved prompt: this line, a JSON line (tokens, state size, state SHA-256), then llama.cpp's
# state of the sequence. The checksum is verified before llama.cpp reads anything: it aborts
# the process (GGML_ASSERT) on a truncated state instead of failing the call.
_PROMPT_STATE_MAGIC = b"briefbot prompt state 1\n"


def _prompt_state_file(tokens: list[int], state: bytes) -> bytes:
    header = {"tokens": tokens, "state_bytes": len(state), "sha256": hashlib.sha256(state).hexdigest()}
    return _PROMPT_STATE_MAGIC + json.dumps(header).encode() + b"\n" + state


def _read_prompt_state(data: bytes) -> tuple[list[int], bytes]:
    """The tokens and state of a saved prompt; ValueError unless the file is whole."""
    if not data.startswith(_PROMPT_STATE_MAGIC):
        raise ValueError("not a saved prompt")
    header_line, _, state = data[len(_PROMPT_STATE_MAGIC):].partition(b"\n")
    try:
        header = json.loads(header_line)
        whole = len(state) == header["state_bytes"] and hashlib.sha256(state).hexdigest() == header["sha256"]
        tokens = [int(t) for t in header["tokens"]]
    except (ValueError, KeyError, TypeError):
        whole = False
    if not whole:
        raise ValueError("the file is damaged (header, size or checksum)")
    return tokens, state


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
