"""Retrieval latency at a given corpus size: the `briefbot search` path against brute force.

The store grows to the wanted size through the store API (see ``synthetic``), then the
engine answers distinct queries exactly as `briefbot search` does (hybrid: query
embedding, NumPy cosine over the in-memory matrix, FTS5 BM25, fusion, passage fetch).
The baseline answers the same queries with the least a dense retriever must do: encode
the query with raw sentence-transformers, then NumPy cosine over the same matrix and a
top-k. Parts are timed too, so a miss can be explained: the baseline's encoding and
cosine, our ranking given the query vector (cosine, FTS5, fusion), and the FTS5 OR-query
the ask path runs for recall (`briefbot search` runs a stricter AND-query)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from benchmarks.baselines import brute_force_top_k, raw_sentence_transformer
from benchmarks.harness import open_engine
from benchmarks.measures import Stopwatch, latency, peak_rss_mb, ratio
from benchmarks.synthetic import fill_store, sample_queries, sentence_pool
from summarizer.retrieval.search import CANDIDATES

TOP_K = 5
WARM_UP_QUERIES = 10


async def measure(params: dict) -> dict:
    pool = sentence_pool(Path(params["source_corpus"]))
    queries = sample_queries(pool, params["queries"] + WARM_UP_QUERIES, params["seed"])
    warm_up, queries = queries[:WARM_UP_QUERIES], queries[WARM_UP_QUERIES:]
    blas_threads = _blas_threads()  # NumPy's own default, before the engine sets ours
    engine = await open_engine(params)
    try:
        build_s = await grow_store(engine, pool, params["passages"], params["seed"])
        await engine.warm_up(model=False)
        for query in warm_up:
            await engine.search(query, k=TOP_K)
        ours_rss = peak_rss_mb()  # before the baseline's model and matrix copy are loaded
        brute_force = BruteForce((await engine.corpus.passage_matrix()).vectors, warm_up, blas_threads)
        # Ours and the baseline alternate query by query, so background load hits both alike.
        ours, ranking, ask_fts = [], [], []
        for query in queries:
            ours.append(await _timed(engine.search(query, k=TOP_K)))
            vector = brute_force.search(query)
            ranking.append(await _timed(engine.index.rank(query, limit=TOP_K, query_vector=vector, strict=True)))
            ask_fts.append(await _timed(engine.corpus.fts_passages(query, CANDIDATES)))
    finally:
        await engine.close()
    return {
        "passages": brute_force.size,
        "store_build_s": build_s,
        "ours": latency(ours),
        "baseline": latency(brute_force.total_ms),
        "ratio_p95": ratio(latency(ours)["p95_ms"], latency(brute_force.total_ms)["p95_ms"]),
        "parts": {"query_encoding": latency(brute_force.encode_ms),
                  "numpy_cosine_top_k": latency(brute_force.cosine_ms),
                  "hybrid_ranking_given_vector": latency(ranking),
                  "ask_path_fts5_or_query": latency(ask_fts)},
        "peak_rss_mb": ours_rss,
    }


async def grow_store(engine, pool: list[str], passages: int, seed: int) -> float:
    """Add synthetic passages until the store holds ``passages``; returns the seconds it took.

    Each size adds to the previous size's store, so the 100k store costs 100k inserts, not 111k."""
    have = await engine.corpus.passage_count()
    if have >= passages:
        return 0.0
    vectors = await asyncio.to_thread(engine.embedder.encode, pool)
    with Stopwatch() as clock:
        await fill_store(engine.corpus, pool, vectors, passages - have, seed=seed + passages)
    return round(clock.ms / 1000, 1)


def _blas_threads() -> int:
    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)


class BruteForce:
    """Raw sentence-transformers for the query, then NumPy cosine over the whole matrix and a
    top-k, with NumPy's BLAS threads as NumPy sets them (the engine runs BLAS single-threaded
    and splits its scan itself; the baseline keeps the plain-NumPy default)."""

    def __init__(self, matrix: np.ndarray, warm_up: list[str], blas_threads: int) -> None:
        self.matrix = matrix
        self.blas_threads = blas_threads
        self.model = raw_sentence_transformer()
        self.encode_ms: list[float] = []
        self.cosine_ms: list[float] = []
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            for query in warm_up:
                brute_force_top_k(matrix, self.model.encode(query, normalize_embeddings=True), TOP_K)

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def total_ms(self) -> list[float]:
        return [e + c for e, c in zip(self.encode_ms, self.cosine_ms)]

    def search(self, query: str) -> np.ndarray:
        """Times one query; returns its vector, so ours can be timed on the same vector."""
        with threadpool_limits(limits=self.blas_threads, user_api="blas"):
            with Stopwatch() as encoding:
                vector = self.model.encode(query, normalize_embeddings=True)
            with Stopwatch() as scoring:
                brute_force_top_k(self.matrix, vector, TOP_K)
        self.encode_ms.append(encoding.ms)
        self.cosine_ms.append(scoring.ms)
        return vector


async def _timed(awaitable) -> float:
    with Stopwatch() as clock:
        await awaitable
    return clock.ms
