"""What every runtime produces and promises: a Generation, the Generator protocol, shared defaults."""

from __future__ import annotations

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
