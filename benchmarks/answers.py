"""Answer latency through the whole ask path, uncached and cached, with the prompts it sent.

Uncached: each question is asked with no cached answer (first on an empty cache, then
with ``use_cache=False``), so every ask retrieves, selects evidence, generates, verifies
and caches. The prompts the engine sent are returned, so the raw runtime can be timed on
exactly the same prompts in its own process. Two passes go round the questions rather than
repeating one question at once, because llama.cpp reuses a matching prompt prefix and
an immediate repeat would skip prefill.

Cached: the same questions again, served from the answer cache; the baseline is a bare
SQLite primary-key lookup of a cached answer, alternated with ours lookup by lookup."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

from benchmarks.baselines import bare_cache_lookup
from benchmarks.harness import generations_to_json, load_recording_generator, open_engine
from benchmarks.measures import Stopwatch, latency, peak_rss_mb
from summarizer.answering import cache_key, normalise_question
from summarizer.search import Filters

PHASES = ("retrieve", "prefill", "decode", "generate")


async def measure(params: dict) -> dict:
    generator = await asyncio.to_thread(
        load_recording_generator, params["model"], Path(params["model_cache"]), params["runtime"])
    engine = await open_engine(params, generator=generator)
    try:
        await engine.warm_up(model=True)
        await engine.ask(params["warm_up_question"], use_cache=False)
        uncached = await _uncached_asks(engine, params["questions"], params["passes"])
        uncached_rss = peak_rss_mb()
        cached = await _cached_asks(engine, params["questions"], params["cached_rounds"])
        model_name = engine.answerer.models.name
    finally:
        await engine.close()
    generated = [a for a in uncached if a["timings_ms"].get("generate", 0) > 0]
    return {
        "model": model_name,
        "asks": len(uncached),
        "modes": dict(Counter(a["mode"] for a in uncached)),
        "uncached": {"total": latency([a["wall_ms"] for a in generated])}
                    | {phase: latency([a["timings_ms"][phase] for a in generated]) for phase in PHASES},
        "cached": cached,
        "calls": [{"messages": c.messages, "max_tokens": c.max_tokens} for c in generator.calls],
        "generations": generations_to_json([c.generation for c in generator.calls]),
        "prompt_tokens_mean": round(sum(c.generation.prompt_tokens for c in generator.calls)
                                    / max(1, len(generator.calls)), 1),
        "warm_up_calls": 1,
        "peak_rss_mb": uncached_rss,
        "peak_rss_mb_after_cached": peak_rss_mb(),
    }


async def _uncached_asks(engine, questions: list[str], passes: int) -> list[dict]:
    asks = []
    for n in range(passes):
        for question in questions:
            with Stopwatch() as clock:
                answer = await engine.ask(question, use_cache=n == 0)
            if answer.cached:
                raise RuntimeError(f"an uncached ask was served from the cache: {question!r}")
            asks.append({"wall_ms": clock.ms, "mode": answer.mode, "timings_ms": answer.timings_ms})
    return asks


async def _cached_asks(engine, questions: list[str], rounds: int) -> dict:
    """Ours and the bare lookup alternate, each ask followed by a lookup of the same key."""
    keys = [await _key(engine, q) for q in questions]
    lookup = sqlite3.connect(engine.config.db_path)
    ours, bare, misses = [], [], 0
    try:
        for _ in range(rounds):
            for question, key in zip(questions, keys):
                with Stopwatch() as clock:
                    answer = await engine.ask(question)
                if not answer.cached:
                    misses += 1
                    continue
                ours.append(clock.ms)
                with Stopwatch() as clock:
                    row = bare_cache_lookup(lookup, key)
                if row is not None:
                    bare.append(clock.ms)
    finally:
        lookup.close()
    return {"ours": latency(ours), "baseline": latency(bare), "misses": misses,
            "parts": await _store_round_trips(engine, keys, rounds)}


async def _store_round_trips(engine, keys: list[str], rounds: int) -> dict:
    """The two store reads a cache hit makes, alone: each is a hop through aiosqlite's worker thread."""
    version, lookup = [], []
    for _ in range(rounds):
        for key in keys:
            with Stopwatch() as clock:
                await engine.store.corpus_version()
            version.append(clock.ms)
            with Stopwatch() as clock:
                await engine.store.cached_answer(key)
            lookup.append(clock.ms)
    return {"store_corpus_version": latency(version), "store_cached_answer": latency(lookup)}


async def _key(engine, question: str) -> str:
    return cache_key(normalise_question(question), Filters(), await engine.store.corpus_version(),
                     engine.answerer.models.name)
