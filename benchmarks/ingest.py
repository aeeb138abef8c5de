"""Ingest throughput: a full ingest of a synthetic corpus against raw encoding of the same sentences.

Ingest embeds sentences (a passage vector is the mean of its sentences), so the baseline
encodes exactly the sentence texts the ingest embedded: the encoder work alone, without
parsing, cleaning, splitting, SQLite writes and story linking. Both models are loaded and
warmed before timing. Runs alternate (ours, raw, ours, raw …) and the best of each counts,
so load from other processes on a shared machine hurts neither side more than the other."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from benchmarks.baselines import raw_sentence_transformer
from benchmarks.harness import open_engine
from benchmarks.measures import CpuClock, Stopwatch, peak_rss_mb, ratio
from benchmarks.synthetic import sentence_pool, synthetic_articles, write_corpus
from summarizer.embeddings import Embedder

# A batch like the real ones, so first-call costs of the kernels fall outside both timings.
WARM_UP_SENTENCES = 64


@dataclass(frozen=True)
class Run:
    wall_ms: float
    cpu_ms: float


@dataclass(frozen=True)
class IngestedCorpus:
    articles: int
    passages: int
    sentences: list[str]  # the texts the ingest embedded


async def measure(params: dict) -> dict:
    pool = sentence_pool(Path(params["source_corpus"]))
    folder = Path(params["corpus_dir"])
    write_corpus(folder, synthetic_articles(pool, params["passages"], params["seed"]), pool)
    warm_up = pool[:WARM_UP_SENTENCES]
    embedder = Embedder()
    await asyncio.to_thread(embedder.encode, warm_up)
    first_run, corpus = await ingest_once(params, embedder, Path(params["db_path"]))
    ours_rss = peak_rss_mb()  # before the raw model is loaded into this process
    raw_model = raw_sentence_transformer()
    raw_model.encode(warm_up)
    ours, raw = [first_run], [raw_encode(raw_model, corpus.sentences)]
    for repetition in range(1, params["repetitions"]):
        scratch = Path(params["db_path"]).with_suffix(f".rep{repetition}.db")
        ours.append((await ingest_once(params, embedder, scratch))[0])
        raw.append(raw_encode(raw_model, corpus.sentences))
    best_ours, best_raw = min(ours, key=lambda r: r.wall_ms), min(raw, key=lambda r: r.wall_ms)
    return {
        "articles": corpus.articles,
        "passages": corpus.passages,
        "sentences": len(corpus.sentences),
        "pool_sentences": len(pool),
        "repetitions": params["repetitions"],
        "ours_s": round(best_ours.wall_ms / 1000, 3),
        "baseline_s": round(best_raw.wall_ms / 1000, 3),
        "ours_cpu_s": round(best_ours.cpu_ms / 1000, 3),
        "baseline_cpu_s": round(best_raw.cpu_ms / 1000, 3),
        "ours_passages_per_s": round(corpus.passages / (best_ours.wall_ms / 1000), 2),
        "baseline_passages_per_s": round(corpus.passages / (best_raw.wall_ms / 1000), 2),
        "ratio": ratio(best_raw.wall_ms, best_ours.wall_ms),  # throughput: ours / raw
        "all_runs_s": {"ours": [round(r.wall_ms / 1000, 2) for r in ours],
                       "baseline": [round(r.wall_ms / 1000, 2) for r in raw]},
        "peak_rss_mb": ours_rss,
    }


async def ingest_once(params: dict, embedder: Embedder, db_path: Path) -> tuple[Run, IngestedCorpus]:
    """A full `briefbot ingest` of the synthetic folder into an empty store."""
    engine = await open_engine(params | {"db_path": str(db_path)}, embedder=embedder)
    try:
        folder = Path(params["corpus_dir"])
        with Stopwatch() as clock, CpuClock() as cpu:
            report = await engine.ingest([folder])
        if report.failed:
            raise RuntimeError(f"synthetic ingest failed: {report.failed[:3]}")
        articles = await engine.store.articles()
        sentences = await engine.store.sentences_of_articles([a.id for a in articles])
        corpus = IngestedCorpus(len(articles), await engine.store.passage_count(), [s.text for s in sentences])
    finally:
        await engine.close()
    return Run(clock.ms, cpu.ms), corpus


def raw_encode(model, texts: list[str]) -> Run:
    """``SentenceTransformer.encode`` with the library's defaults, as a plain script would call it."""
    with Stopwatch() as clock, CpuClock() as cpu:
        model.encode(texts)
    return Run(clock.ms, cpu.ms)
