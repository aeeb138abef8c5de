"""`python -m tests.e2e.loop_probe ARGS…` runs `briefbot ARGS…` (bot.cli.main, unchanged) with
an event-loop lag probe on the loop that ``asyncio.run`` creates.

The probe is a callback that reschedules itself every ``INTERVAL_S``; how late it runs is
how long the loop was unable to run anything (a blocking call on the loop, a worker thread
holding the GIL, a garbage collection). Garbage collections are timed too, so a stall can be
told apart from blocking code. Samples later than ``RECORD_ABOVE_S`` are kept with their
time.monotonic() (system-wide on Linux, so the test process can compare it with its own
clock). The summary is rewritten to ``$BRIEFBOT_E2E_PROBE_FILE`` twice a second and at exit."""

from __future__ import annotations

import asyncio
import atexit
import gc
import json
import os
import sys
import time

INTERVAL_S = 0.01
RECORD_ABOVE_S = 0.02
WRITE_EVERY_S = 0.5


class LagProbe:
    def __init__(self, loop: asyncio.AbstractEventLoop, path: str) -> None:
        self.loop = loop
        self.path = path
        self.samples = 0
        self.max_lag_s = 0.0
        self.late: list[tuple[float, float]] = []  # (monotonic time, lag in seconds)
        self._expected = 0.0
        self._last_write = 0.0
        self.gc_pauses: list[tuple[float, int, float]] = []  # (monotonic time, generation, seconds)
        self.max_gc_pause_s = 0.0
        self._gc_started = 0.0

    def start(self) -> None:
        self._expected = self.loop.time() + INTERVAL_S
        self.loop.call_at(self._expected, self._tick)
        gc.callbacks.append(self._gc)
        atexit.register(self.write)

    def _gc(self, phase: str, info: dict) -> None:
        """Garbage collections stop every thread: time them, so a long pause can be told from a blocking call."""
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        pause = time.perf_counter() - self._gc_started
        self.max_gc_pause_s = max(self.max_gc_pause_s, pause)
        if pause > RECORD_ABOVE_S:
            self.gc_pauses.append((time.monotonic(), info["generation"], pause))

    def _tick(self) -> None:
        now = self.loop.time()
        lag = max(0.0, now - self._expected)
        self.samples += 1
        self.max_lag_s = max(self.max_lag_s, lag)
        if lag > RECORD_ABOVE_S:
            self.late.append((time.monotonic(), lag))
        if now - self._last_write > WRITE_EVERY_S:
            self._last_write = now
            self.write()
        self._expected = now + INTERVAL_S
        self.loop.call_at(self._expected, self._tick)

    def write(self) -> None:
        data = {"interval_s": INTERVAL_S, "samples": self.samples, "max_lag_s": self.max_lag_s, "late": self.late,
                "max_gc_pause_s": self.max_gc_pause_s, "gc_pauses": self.gc_pauses}
        tmp = f"{self.path}.tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, self.path)


class ProbingPolicy(asyncio.DefaultEventLoopPolicy):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        LagProbe(loop, self.path).start()
        return loop


def main() -> int:
    asyncio.set_event_loop_policy(ProbingPolicy(os.environ["BRIEFBOT_E2E_PROBE_FILE"]))
    from bot.cli import main as briefbot

    return briefbot(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
