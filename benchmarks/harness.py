"""What the probes share: opening an engine as the bot does, and seeing the prompts it sends."""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.measures import latency, percentile
from summarizer.ingest.embeddings import Embedder
from summarizer.engine import DEFAULT_GENERATION_TIMEOUT_S, DEFAULT_SUMMARY_WAIT_S, Engine, EngineConfig
from summarizer.answering.generation import Generation, Generator, load_generator
from summarizer.answering.model_files import resolve_model


@dataclass(frozen=True)
class Call:
    messages: list[dict[str, str]]
    max_tokens: int
    generation: Generation


class RecordingGenerator:
    """Passes every call through to the real generator and keeps the prompt and its Generation,
    so a raw runtime can be given exactly the prompts the engine produced."""

    def __init__(self, inner: Generator) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def generate(self, messages: list[dict[str, str]], max_tokens: int = 160) -> Generation:
        generation = self.inner.generate(messages, max_tokens)
        with self._lock:
            self.calls.append(Call(messages, max_tokens, generation))
        return generation


def load_recording_generator(model_spec: str, model_cache: Path, runtime: str) -> RecordingGenerator:
    return RecordingGenerator(load_generator(resolve_model(model_spec, model_cache), runtime))


async def open_engine(params: dict, *, generator: Generator | None = None,
                      embedder: Embedder | None = None) -> Engine:
    """An engine on the probe's store, configured like the bot's (timeout, concurrency)."""
    config = EngineConfig(
        db_path=Path(params["db_path"]),
        corpus_dir=Path(params.get("corpus_dir", ".")),
        model=params.get("model", "default"),
        runtime=params.get("runtime", "auto"),
        model_cache=Path(params.get("model_cache", "data/models")),
        generation_timeout_s=params.get("generation_timeout_s", DEFAULT_GENERATION_TIMEOUT_S),
        summary_wait_s=params.get("summary_wait_s", DEFAULT_SUMMARY_WAIT_S),
        allow_private_urls=params.get("allow_private_urls", False),  # the feed figures serve on 127.0.0.1
    )
    return await Engine.open(config, generator=generator, embedder=embedder)


def decode_tokens_per_s(generation: Generation) -> float:
    """Tokens after the first over the time after the first: the first token belongs to prefill."""
    if generation.completion_tokens < 2 or generation.decode_ms <= 0:
        return math.nan
    return (generation.completion_tokens - 1) / (generation.decode_ms / 1000)


def generation_summary(generations: list[Generation]) -> dict:
    """Latencies of whole generations and of their two phases, and decode speed, for ours and raw alike."""
    speeds = [s for s in map(decode_tokens_per_s, generations) if not math.isnan(s)]
    return {
        "total": latency([g.prefill_ms + g.decode_ms for g in generations]),
        "prefill": latency([g.prefill_ms for g in generations]),
        "decode": latency([g.decode_ms for g in generations]),
        "decode_tokens_per_s": round(percentile(speeds, 50), 2),
        "completion_tokens_mean": _mean([g.completion_tokens for g in generations]),
    }


def generations_to_json(generations: list[Generation]) -> list[dict]:
    return [asdict(g) for g in generations]


def generations_from_json(items: list[dict]) -> list[Generation]:
    return [Generation(**item) for item in items]


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else math.nan
