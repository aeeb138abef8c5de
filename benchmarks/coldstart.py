"""Cold start: a fresh `briefbot ask --no-cache` against a fresh process that does the least a
script could to give the same answer: import llama_cpp, load the same model (plain CPU
buffers, same context and threads) and run `create_chat_completion` greedily on exactly the
prompt our ask sends, with the same token limit ("raw load+generate"). Both are timed from
spawn to exit by the parent and alternate, so each of our runs sits next to a baseline run
under the same machine load.

The model file is in the OS page cache by then (earlier figures read it), and so is the
answer prompt's evaluated fixed part that the model process saved when it first started
(``LlamaCppGenerator.prime``): this is a restart, not the first boot after installing.

``python -m benchmarks.coldstart prompt QUESTION OUT.json`` (run with the ask's environment)
writes the prompt our ask sends for QUESTION; ``... raw MODEL PROMPT.json`` is the baseline."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from benchmarks.measures import ChildRun, latency, ratio, run_child
from benchmarks.runtimes import CONTEXT_TOKENS, engine_threads

TIMEOUT_S = 600


def measure(runs: int, question: str, model_path: Path, env: dict[str, str], cwd: Path) -> dict:
    prompt_file = cwd / "cold_start_prompt.json"
    _checked(run_child([sys.executable, "-m", "benchmarks.coldstart", "prompt", question, str(prompt_file)],
                       env=env, cwd=cwd, timeout_s=TIMEOUT_S))
    ours: list[ChildRun] = []
    baseline: list[ChildRun] = []
    for _ in range(runs):
        ours.append(_checked(run_child(_ask_argv(question), env=env, cwd=cwd, timeout_s=TIMEOUT_S)))
        baseline.append(_checked(run_child(_raw_argv(model_path, prompt_file), env=env, cwd=cwd,
                                           timeout_s=TIMEOUT_S)))
    answers = [json.loads(run.stdout) for run in ours]
    ours_ms = latency([r.wall_ms for r in ours])
    baseline_ms = latency([r.wall_ms for r in baseline])
    modes: dict[str, int] = {}
    for answer in answers:
        modes[answer["mode"]] = modes.get(answer["mode"], 0) + 1
    return {
        "ours": ours_ms,
        "baseline": baseline_ms,
        "ratio_p50": ratio(ours_ms["p50_ms"], baseline_ms["p50_ms"]),
        "mode": answers[-1]["mode"],
        "modes": modes,
        "prompt_tokens": json.loads(baseline[-1].stdout)["prompt_tokens"],
        "breakdown_ms": _breakdown(ours[-1].wall_ms, answers[-1]["timings_ms"]),
        "model": answers[-1]["model"],
        "model_setting": env.get("BRIEFBOT_MODEL", "default"),
        "peak_rss_mb": max(r.peak_rss_mb for r in ours),
        "baseline_peak_rss_mb": max(r.peak_rss_mb for r in baseline),
    }


def _breakdown(wall_ms: float, timings: dict[str, float]) -> dict[str, float]:
    """Where the last cold ask spent its time. The model process starts before retrieval and
    loads meanwhile, so what retrieval does not hide shows as the wait before prefill."""
    total, retrieve = timings["total"], timings.get("retrieve", 0.0)
    prefill, decode = timings.get("prefill", 0.0), timings.get("decode", 0.0)
    return {
        "process_start_and_exit": round(wall_ms - total, 1),
        "retrieve_with_query_encoder_and_index_load": round(retrieve, 1),
        "waiting_for_the_model_process_and_verification": round(total - retrieve - prefill - decode, 1),
        "prefill": round(prefill, 1),
        "decode": round(decode, 1),
    }


def _ask_argv(question: str) -> list[str]:
    """Exactly what the `briefbot` console script runs."""
    return [sys.executable, "-m", "bot.cli", "ask", question, "--json", "--no-cache"]


def _raw_argv(model_path: Path, prompt_file: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.coldstart", "raw", str(model_path), str(prompt_file)]


def _checked(run: ChildRun) -> ChildRun:
    if not run.ok:
        raise RuntimeError(f"cold-start process failed ({run.failure()})")
    return run


# -- the two child processes ----------------------------------------------------------------

def raw_load_and_generate(model_path: str, prompt_file: str) -> None:
    """The baseline: nothing but llama_cpp, the model and the prompt."""
    import llama_cpp

    from summarizer.answering.generation import SEED, plain_cpu_buffers

    prompt = json.loads(Path(prompt_file).read_text(encoding="utf-8"))
    threads = engine_threads()
    with plain_cpu_buffers(llama_cpp):  # as the engine loads it (the extra buffers crash on AMX machines)
        llm = llama_cpp.Llama(model_path=model_path, n_ctx=CONTEXT_TOKENS, n_threads=threads,
                              n_threads_batch=threads, seed=SEED, verbose=False)
    out = llm.create_chat_completion(messages=prompt["messages"], max_tokens=prompt["max_tokens"],
                                     temperature=0.0, top_k=1, seed=SEED)
    print(json.dumps({"text": out["choices"][0]["message"]["content"],
                      "prompt_tokens": out["usage"]["prompt_tokens"]}))


async def record_prompt(question: str, out_file: str) -> None:
    """The prompt `briefbot ask QUESTION` sends, found by asking the same engine with a model
    that only records (read-only, so the store is left as it was)."""
    from bot.settings import Settings
    from summarizer.answering.generation import Generation
    from summarizer.engine import Engine

    class Recorder:
        name = "recorder"

        def __init__(self) -> None:
            self.calls: list[tuple[list[dict[str, str]], int]] = []

        def generate(self, messages: list[dict[str, str]], max_tokens: int = 160) -> Generation:
            self.calls.append((messages, max_tokens))
            return Generation(text="", prompt_tokens=0, completion_tokens=0, prefill_ms=0.0, decode_ms=0.0)

    recorder = Recorder()
    engine = await Engine.open(Settings().engine_config(read_only=True), generator=recorder)
    try:
        await engine.ask(question, use_cache=False)
    finally:
        await engine.close()
    if not recorder.calls:
        raise SystemExit(f"the cold-start question reaches no generation (refused?): {question!r}")
    messages, max_tokens = recorder.calls[-1]
    Path(out_file).write_text(json.dumps({"messages": messages, "max_tokens": max_tokens}, ensure_ascii=False),
                              encoding="utf-8")


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "raw":
        raw_load_and_generate(*arguments)
    elif command == "prompt":
        asyncio.run(record_prompt(*arguments))
    else:
        raise SystemExit(f"unknown command {command!r}: use 'prompt' or 'raw'")
