"""Twenty questions at once: how soon each asker sees a cited reply, how many replies end
generated, and whether the event loop stays responsive meanwhile.

Two bursts of the same 20 uncached asks run against the real model process. The baseline is
the path before drafts: each asker sees one reply, when its answer is done, and asks still
queued for the model at the generation timeout are answered extractively. Ours is the path
the Discord bot takes now: the quoted draft is the first reply, and the model's answer
replaces it when the model gets to it (within the summary wait).

During our burst a probe task sleeps 10 ms at a time and records how late it wakes: the
largest lateness is the longest the loop could not run anything else (a Discord bot must keep
its gateway heartbeat going while it answers)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

from benchmarks.harness import open_engine
from benchmarks.measures import latency, peak_rss_mb, percentile

PROBE_INTERVAL_S = 0.010


class LatenessProbe:
    def __init__(self) -> None:
        self.lateness_ms: list[float] = []
        self._running = True

    async def run(self) -> None:
        while self._running:
            start = time.perf_counter()
            await asyncio.sleep(PROBE_INTERVAL_S)
            self.lateness_ms.append(max(0.0, (time.perf_counter() - start - PROBE_INTERVAL_S) * 1000))

    def stop(self) -> None:
        self._running = False


@dataclass(frozen=True)
class Asked:
    first_reply_s: float  # the draft, or the answer itself when there is no draft
    final_s: float
    mode: str


async def ask_timed(engine, question: str, started: float, *, drafts: bool) -> Asked:
    first: list[float] = []

    async def on_draft(draft) -> None:
        first.append(time.perf_counter() - started)

    answer = await engine.ask(question, use_cache=False, on_draft=on_draft if drafts else None)
    done = time.perf_counter() - started
    return Asked(first[0] if first else done, done, answer.mode)


async def burst(engine, questions: list[str], *, drafts: bool) -> dict:
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(ask_timed(engine, q, started, drafts=drafts) for q in questions),
                                    return_exceptions=True)
    asked = [o for o in outcomes if isinstance(o, Asked)]
    modes = Counter(a.mode for a in asked)
    return {
        "first_reply": latency([a.first_reply_s * 1000 for a in asked]),
        "final": latency([a.final_s * 1000 for a in asked]),
        "modes": dict(modes),
        "generated_share": round(modes["generated"] / len(questions), 3),
        "wall_s": round(time.perf_counter() - started, 2),
        "errors": [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)][:3],
    }


async def measure(params: dict) -> dict:
    engine = await open_engine(params)
    try:
        await engine.warm_up(model=True)
        await engine.ask(params["warm_up_question"], use_cache=False)
        baseline = await burst(engine, params["questions"], drafts=False)
        probe = LatenessProbe()
        probing = asyncio.create_task(probe.run())
        ours = await burst(engine, params["questions"], drafts=True)
        probe.stop()
        await probing
        model_name = engine.model_name
    finally:
        await engine.close()
    lateness = latency(probe.lateness_ms)
    return {
        "model": model_name,
        "concurrent_asks": len(params["questions"]),
        "max_gap_ms": lateness["max_ms"],
        "p99_gap_ms": round(percentile(probe.lateness_ms, 99), 3),
        "p50_gap_ms": lateness["p50_ms"],
        "probe_samples": lateness["n"],
        "wall_s": ours["wall_s"],
        "modes": ours["modes"],
        "ours": ours,
        "baseline": baseline,
        "generation_timeout_s": params["generation_timeout_s"],
        "summary_wait_s": params["summary_wait_s"],
        "peak_rss_mb": peak_rss_mb(),
    }
