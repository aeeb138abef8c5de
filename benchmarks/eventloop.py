"""Event-loop responsiveness while the engine answers many questions at once.

A Discord bot must keep its gateway heartbeat going while it answers, so the engine runs
all model and embedding work in worker threads. Here 20 uncached asks run concurrently in
one loop beside a probe task that sleeps 10 ms at a time and records how late it wakes:
the largest lateness is the longest the loop could not run anything else."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from benchmarks.harness import open_engine
from benchmarks.measures import Stopwatch, latency, peak_rss_mb, percentile

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


async def measure(params: dict) -> dict:
    engine = await open_engine(params)
    try:
        await engine.warm_up(model=True)
        await engine.ask(params["warm_up_question"], use_cache=False)
        probe = LatenessProbe()
        probing = asyncio.create_task(probe.run())
        with Stopwatch() as clock:
            outcomes = await asyncio.gather(*(engine.ask(q, use_cache=False) for q in params["questions"]),
                                            return_exceptions=True)
        probe.stop()
        await probing
        model_name = engine.model_name
    finally:
        await engine.close()
    answers = [o for o in outcomes if not isinstance(o, BaseException)]
    lateness = latency(probe.lateness_ms)
    return {
        "model": model_name,
        "concurrent_asks": len(params["questions"]),
        "max_gap_ms": lateness["max_ms"],
        "p99_gap_ms": round(percentile(probe.lateness_ms, 99), 3),
        "p50_gap_ms": lateness["p50_ms"],
        "probe_samples": lateness["n"],
        "wall_s": round(clock.ms / 1000, 2),
        "modes": dict(Counter(a.mode for a in answers)),
        "errors": [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)][:3],
        "generation_timeout_s": params["generation_timeout_s"],
        "peak_rss_mb": peak_rss_mb(),
    }
