"""Clocks, latency summaries and memory readings shared by every figure."""

from __future__ import annotations

import math
import os
import resource
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

KIB = 1024
MIB = 1024 * 1024


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), like numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency(values_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean/max of a list of latencies in milliseconds, and how many there were."""
    values = list(values_ms)
    return {
        "p50_ms": round(percentile(values, 50), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "mean_ms": round(sum(values) / len(values), 3) if values else math.nan,
        "max_ms": round(max(values), 3) if values else math.nan,
        "n": len(values),
    }


def ratio(ours: float, baseline: float) -> float:
    """ours / baseline, rounded; NaN when the baseline is zero or missing."""
    if not baseline or math.isnan(baseline) or math.isnan(ours):
        return math.nan
    return round(ours / baseline, 3)


class Stopwatch:
    """``with Stopwatch() as clock: ...`` then ``clock.ms`` (wall time)."""

    timer = staticmethod(time.perf_counter)

    def __enter__(self) -> "Stopwatch":
        self._start = self.timer()
        self.ms = math.nan
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = (self.timer() - self._start) * 1000


class CpuClock(Stopwatch):
    """CPU time of the whole process (all threads): less disturbed by other processes than wall time."""

    timer = staticmethod(time.process_time)


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB / MIB, 1)


@dataclass(frozen=True)
class ChildRun:
    argv: list[str]
    returncode: int
    wall_ms: float
    peak_rss_mb: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self) -> str:
        """The last lines of stderr: enough to say why a child failed."""
        tail = [line for line in self.stderr.strip().splitlines() if line.strip()][-5:]
        return f"exit {self.returncode}: " + (" | ".join(tail) or "no output")


def run_child(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
              timeout_s: float | None = None) -> ChildRun:
    """Run a process to completion, timing it from spawn to exit and reading its own peak RSS.

    ``os.wait4`` returns the resource usage of exactly that child; RUSAGE_CHILDREN would
    give the maximum over every child waited for so far."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        killer = threading.Timer(timeout_s, proc.kill) if timeout_s else None
        if killer:
            killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if killer:
                killer.cancel()
        wall_ms = (time.perf_counter() - start) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen the child is reaped
        out.seek(0)
        err.seek(0)
        return ChildRun(argv, proc.returncode, round(wall_ms, 1), round(usage.ru_maxrss * KIB / MIB, 1),
                        out.read(), err.read())
