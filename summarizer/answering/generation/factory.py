"""Picking and loading a runtime for a model file: the one place runtime names are known."""

from __future__ import annotations

import importlib.util

from summarizer.answering.generation.base import Generator
from summarizer.answering.generation.llama_cpp_runtime import LlamaCppGenerator
from summarizer.answering.generation.transformers_runtime import TransformersGenerator
from summarizer.answering.model_files import ModelError, ModelFile
from summarizer.cpus import cpu_count

_GGUF_MAGIC = b"GGUF"
AUTO = "auto"
# Every name a setting may use, and the runtime it means.
_RUNTIME_ALIASES = {
    "llama.cpp": "llama.cpp",
    "llama_cpp": "llama.cpp",
    "llama-cpp": "llama.cpp",
    "transformers": "transformers",
}
RUNTIMES = (AUTO, *_RUNTIME_ALIASES)


def load_generator(
    model: ModelFile,
    runtime: str = "auto",
    n_threads: int | None = None,
    context_tokens: int = 2048,
) -> Generator:
    """Load ``model`` on ``runtime`` ("auto", "llama.cpp" or "transformers")."""
    chosen = _pick_runtime(model, runtime)
    threads = n_threads or cpu_count()
    if model.kind == "gguf":
        _check_gguf(model)
    if chosen == "llama.cpp":
        return LlamaCppGenerator(model, threads, context_tokens)
    return TransformersGenerator(model, threads)


def _pick_runtime(model: ModelFile, runtime: str) -> str:
    key = runtime.strip().lower()
    if key == AUTO:
        if model.kind == "gguf" and importlib.util.find_spec("llama_cpp") is not None:
            return "llama.cpp"
        return "transformers"
    if key not in _RUNTIME_ALIASES:
        raise ModelError(f"unknown runtime {runtime!r}: use 'auto', 'llama.cpp' or 'transformers'")
    chosen = _RUNTIME_ALIASES[key]
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
