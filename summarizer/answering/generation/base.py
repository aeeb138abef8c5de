"""What every runtime produces and promises: a Generation, the Generator protocol, shared defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

SEED = 0


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    prefill_ms: float  # time to first token (prompt processing)
    decode_ms: float  # time for the rest


class Generator(Protocol):
    name: str  # e.g. "qwen2.5-coder-1.5b-instruct-q4_k_m@llama.cpp"

    def generate(self, messages: list[dict[str, str]], max_tokens: int = 160) -> Generation: ...


def cpu_count() -> int:
    """The cores this process may run on: the thread count every runtime uses."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
