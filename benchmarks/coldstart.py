"""Cold start: a fresh `briefbot ask --no-cache` against a fresh process that only imports
llama.cpp and loads the same model. Both are timed from spawn to exit by the parent and
alternate, so each of our runs sits next to a baseline run under the same machine load.
The model file is in the OS page cache by then (earlier figures read it): this is a
restart, not the first boot after power-on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.measures import ChildRun, latency, ratio, run_child
from benchmarks.runtimes import CONTEXT_TOKENS, engine_threads

TIMEOUT_S = 600


def measure(runs: int, question: str, model_path: Path, env: dict[str, str], cwd: Path) -> dict:
    ours: list[ChildRun] = []
    baseline: list[ChildRun] = []
    for _ in range(runs):
        ours.append(_checked(run_child(_ask_argv(question), env=env, cwd=cwd, timeout_s=TIMEOUT_S)))
        baseline.append(_checked(run_child(_load_argv(model_path), env=env, cwd=cwd, timeout_s=TIMEOUT_S)))
    last = ours[-1]
    answer = json.loads(last.stdout)
    ours_ms = latency([r.wall_ms for r in ours])
    baseline_ms = latency([r.wall_ms for r in baseline])
    return {
        "ours": ours_ms,
        "baseline": baseline_ms,
        "ratio_p50": ratio(ours_ms["p50_ms"], baseline_ms["p50_ms"]),
        "mode": answer["mode"],
        "breakdown_ms": _breakdown(last.wall_ms, answer["timings_ms"]),
        "model": answer["model"],
        "peak_rss_mb": max(r.peak_rss_mb for r in ours),
        "baseline_peak_rss_mb": max(r.peak_rss_mb for r in baseline),
    }


def _breakdown(wall_ms: float, timings: dict[str, float]) -> dict[str, float]:
    """Where the last cold ask spent its time. The engine loads the embedder and the index on the
    first retrieval and the model on the first generation, so those loads sit inside the ask."""
    total, retrieve, generate = timings["total"], timings.get("retrieve", 0.0), timings.get("generate", 0.0)
    return {
        "interpreter_imports_and_store_open": round(wall_ms - total, 1),
        "retrieve_with_embedder_and_index_load": round(retrieve, 1),
        "model_load_and_verification": round(total - retrieve - generate, 1),
        "generate": round(generate, 1),
    }


def _ask_argv(question: str) -> list[str]:
    """Exactly what the `briefbot` console script runs."""
    return [sys.executable, "-m", "bot.cli", "ask", question, "--json", "--no-cache"]


def _load_argv(model_path: Path) -> list[str]:
    threads = engine_threads()
    code = (  # plain CPU buffers, as the engine loads it (the extra ones crash on AMX machines)
        "import llama_cpp\n"
        "from summarizer.answering.generation import plain_cpu_buffers\n"
        "with plain_cpu_buffers(llama_cpp):\n"
        f"    llama_cpp.Llama(model_path={str(model_path)!r}, n_ctx={CONTEXT_TOKENS}, n_threads={threads}, "
        f"n_threads_batch={threads}, verbose=False)\n"
    )
    return [sys.executable, "-c", code]


def _checked(run: ChildRun) -> ChildRun:
    if not run.ok:
        raise RuntimeError(f"cold-start process failed ({run.failure()})")
    return run
