"""Answer latency through the whole ask path, uncached and cached, beside the raw runtime.

Uncached: each question is asked with no cached answer (first on an empty cache, then
with ``use_cache=False``), so every ask retrieves, selects evidence, generates, verifies
and caches. Right after each ask, raw ``llama_cpp.Llama`` (loaded in this process) is
given exactly the answer prompt the engine sent (not the judge's follow-up turn: the baseline is
answering without meaning checks), so ours and raw alternate prompt by prompt and
background load on a shared machine hits both alike. Passes go round the questions
rather than repeating one at once, because llama.cpp reuses a matching prompt prefix and
an immediate repeat would skip prefill; both models see the same prompt sequence.

Cached: the same questions again, served from the answer cache; each hit alternates with
a bare SQLite primary-key lookup of a cached answer.

Peak RSS is read once the engine has answered its warm-up question (embedder, index and
model loaded and used) and before the raw runtime is loaded beside it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

from benchmarks.baselines import bare_cache_lookup
from benchmarks.harness import (
    RecordingGenerator,
    generation_summary,
    load_recording_generator,
    open_engine,
)
from benchmarks.measures import Stopwatch, latency, peak_rss_mb, ratio
from benchmarks.runtimes import RawLlamaCpp
from summarizer.answering.generation import Generation
from summarizer.answering.model_files import resolve_model

PHASES = ("retrieve", "prefill", "decode", "generate")
SETTLE_S = 0.005


async def measure(params: dict) -> dict:
    generator = await asyncio.to_thread(
        load_recording_generator, params["model"], Path(params["model_cache"]), params["runtime"])
    engine = await open_engine(params, generator=generator)
    try:
        await engine.warm_up(model=True)
        await engine.ask(params["warm_up_question"], use_cache=False)
        serving_rss = peak_rss_mb()
        raw = await asyncio.to_thread(_raw_runtime, params, generator)
        asks, raw_generations = await _uncached_asks(engine, generator, raw, params["questions"], params["passes"])
        cached = await _cached_asks(engine, params["questions"], params["cached_rounds"])
        model_name = engine.model_name
    finally:
        await engine.close()
    generated = [a for a in asks if a["timings_ms"].get("generate", 0) > 0]
    ours_generations = [c.generation for c in generator.calls[1:]]  # the first call was the warm-up
    ours = {"total": latency([a["wall_ms"] for a in generated])} | {
        phase: latency([a["timings_ms"][phase] for a in generated]) for phase in PHASES}
    baseline = generation_summary(raw_generations)
    return {
        "model": model_name,
        "asks": len(asks),
        "modes": dict(Counter(a["mode"] for a in asks)),
        "uncached": {"ours": ours, "baseline": baseline,
                     "ratio_p50": ratio(ours["total"]["p50_ms"], baseline["total"]["p50_ms"]),
                     "ratio_mean": ratio(ours["total"]["mean_ms"], baseline["total"]["mean_ms"])},
        "decode_tokens_per_s": {"ours": generation_summary(ours_generations)["decode_tokens_per_s"],
                                "baseline": baseline["decode_tokens_per_s"]},
        "prompt_tokens_mean": round(sum(g.prompt_tokens for g in ours_generations) / max(1, len(ours_generations)), 1),
        "cached": cached,
        "calls": [{"messages": c.messages, "max_tokens": c.max_tokens} for c in generator.calls],
        "peak_rss_mb": serving_rss,
    }


def _raw_runtime(params: dict, generator: RecordingGenerator) -> RawLlamaCpp:
    """Raw llama.cpp on the same model file, warmed up on the engine's warm-up prompt."""
    if not generator.calls:
        raise RuntimeError(f"the warm-up question reached no generation: {params['warm_up_question']!r}")
    raw = RawLlamaCpp(resolve_model(params["model"], Path(params["model_cache"])).path)
    warm_up = generator.calls[0]
    raw.generate(warm_up.messages, warm_up.max_tokens)
    return raw


async def _uncached_asks(engine, generator: RecordingGenerator, raw: RawLlamaCpp, questions: list[str],
                         passes: int) -> tuple[list[dict], list[Generation]]:
    asks, raw_generations = [], []
    for n in range(passes):
        for question in questions:
            sent_before = len(generator.calls)
            with Stopwatch() as clock:
                answer = await engine.ask(question, use_cache=n == 0)
            if answer.cached:
                raise RuntimeError(f"an uncached ask was served from the cache: {question!r}")
            asks.append({"wall_ms": clock.ms, "mode": answer.mode, "timings_ms": answer.timings_ms})
            # The baseline is the path before meaning checks: one generation per question. Ours
            # includes the judge's turn that follows it, so the ratio shows what the checks cost.
            for call in generator.calls[sent_before:sent_before + 1]:
                raw_generations.append(await asyncio.to_thread(raw.generate, call.messages, call.max_tokens))
    return asks, raw_generations


async def _cached_asks(engine, questions: list[str], rounds: int) -> dict:
    keys = _cached_keys(engine.config.db_path)
    parts = await _store_round_trips(engine, keys, rounds)
    lookup = sqlite3.connect(engine.config.db_path)
    ours, bare, misses = [], [], 0
    try:
        for round_number in range(rounds):
            for n, question in enumerate(questions):
                await _settle(engine)
                with Stopwatch() as clock:
                    answer = await engine.ask(question)
                if not answer.cached:
                    misses += 1
                    continue
                ours.append(clock.ms)
                with Stopwatch() as clock:
                    bare_cache_lookup(lookup, keys[(round_number * len(questions) + n) % len(keys)])
                bare.append(clock.ms)
    finally:
        lookup.close()
    return {"ours": latency(ours), "baseline": latency(bare), "misses": misses, "parts": parts}


async def _settle(engine) -> None:
    """People's questions arrive milliseconds apart at the very least: let the previous ask's
    background statistics write (three aiosqlite calls) finish before the next ask is timed."""
    await asyncio.sleep(SETTLE_S)


async def _store_round_trips(engine, keys: list[str], rounds: int) -> dict:
    """The one store read a cache hit makes (the lookup, which checks the corpus version in the
    same query), alone: a hand-off to aiosqlite's worker thread and back."""
    lookup = []
    for n in range(rounds):
        await _settle(engine)  # as before a timed ask: a worker thread woken from idle costs more
        with Stopwatch() as clock:
            await engine.answers.cached_answer(keys[n % len(keys)])
        lookup.append(clock.ms)
    return {"store_cached_answer": latency(lookup)}


def _cached_keys(db_path: Path) -> list[str]:
    """Keys of the answers the uncached asks cached; which one a bare lookup reads makes no difference."""
    connection = sqlite3.connect(db_path)
    try:
        return [row[0] for row in connection.execute("SELECT key FROM answer_cache")]
    finally:
        connection.close()
