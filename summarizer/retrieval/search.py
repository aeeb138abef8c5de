"""Hybrid passage search: SQLite FTS5 BM25 and dense cosine, fused by reciprocal rank.

The passage vectors live in one in-memory NumPy matrix (refreshed after ingest), so the
dense half is an exact matrix-vector product, split by rows across the cores; at 100k
passages that is under 10 ms, cheaper and simpler than an approximate index. BM25 catches
rare names and numbers the small embedding model blurs; cosine catches paraphrase."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from store import Article, Corpus, VectorMatrix
from summarizer.cpus import cpu_count
from summarizer.ingest.embeddings import Embedder
from summarizer.results import SearchHit
from summarizer.text import STOPWORDS, words

RRF_K = 60  # the usual constant: damps the head so neither list dominates
CANDIDATES = 50
HEADS_KEPT = 3  # of each ranking, always among the passages an answer is drawn from
# A passage found only by meaning must be at least this close to be shown as a search
# result; below it, nearest neighbours are noise ("Mianwali" is nearest to something).
SEARCH_MIN_COSINE = 0.35
# When more passages than this hold every word of a search, BM25 ranks the most recently stored
# of them: twenty times the candidates a search keeps. Words that common weigh next to nothing
# (FTS5 clamps the weight of a word found in over half the passages to almost zero), so their
# BM25 order is close to arbitrary, while scoring every match cost up to 90 ms at 100k passages
# (a few microseconds per match and word); on a news desk, newer is the better tie-break. The
# dense half still searches every passage.
SEARCH_SCORED_MATCHES = 20 * CANDIDATES
# The scan over the passage matrix is memory-bound: each core reads its own share of rows. Below
# this many rows per share, handing work to another thread costs more than it saves.
SCAN_THREADS = min(4, cpu_count())
SCAN_MIN_ROWS = 10_000
# Shares start on a multiple of this many rows: BLAS scores rows in fixed groups, so aligned shares
# give the same cosines, bit for bit, as one whole product, and a search ranks the same either way.
SCAN_ROW_ALIGNMENT = 64


@dataclass(frozen=True)
class Filters:
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None
    source: str | None = None  # case-insensitive substring of the outlet

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.source)

    def admits(self, article: Article) -> bool:
        if self.source and self.source.casefold() not in (article.source or "").casefold():
            return False
        if self.since or self.until:
            if article.published is None:
                return False
            if self.since and article.published < self.since:
                return False
            if self.until and article.published > self.until:
                return False
        return True

    def key(self) -> list[str | None]:
        return [self.since, self.until, self.source.casefold() if self.source else None]


@dataclass(frozen=True)
class Ranked:
    """A passage with both the fused rank score and its cosine to the query."""
    passage_id: int
    article_id: str
    fused: float
    cosine: float


def single_threaded_blas() -> None:
    """Run NumPy's BLAS one thread per call in this process. OpenBLAS's idle workers spin for a
    while after every call, so a question's many small products (the query encoder's layers)
    kept a core busy that SQLite's FTS query and the model process needed; the one product big
    enough to share out, the passage scan, is split across cores by ``SearchIndex`` itself."""
    threadpool_limits(limits=1, user_api="blas")


class SearchIndex:
    def __init__(self, corpus: Corpus, embedder: Embedder) -> None:
        single_threaded_blas()
        self.corpus = corpus
        self.embedder = embedder
        self._scan_pool = ThreadPoolExecutor(max_workers=SCAN_THREADS, thread_name_prefix="passage-scan")
        self._matrix = VectorMatrix(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32))
        self._row_of: dict[int, int] = {}
        self._owner: np.ndarray = np.zeros(0, dtype=object)
        self.articles: dict[str, Article] = {}
        self._loaded_version: str | None = None
        self._refresh_lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Reload vectors and article metadata from the store (after ingest)."""
        async with self._refresh_lock:
            version = await self.corpus.corpus_version()
            matrix = await self.corpus.passage_matrix()
            owners = await self.corpus.passage_articles()
            articles = {a.id: a for a in await self.corpus.articles()}
            self._matrix = matrix
            self._row_of = {int(pid): row for row, pid in enumerate(matrix.ids)}
            self._owner = np.array([owners[int(pid)] for pid in matrix.ids], dtype=object)
            self.articles = articles
            self._loaded_version = version

    def close(self) -> None:
        self._scan_pool.shutdown(wait=False, cancel_futures=True)

    async def ensure_fresh(self) -> None:
        if self._loaded_version != await self.corpus.corpus_version():
            await self.refresh()

    async def embed(self, text: str) -> np.ndarray:
        return await asyncio.to_thread(self.embedder.encode_query, text)

    async def rank(self, query: str, *, filters: Filters = Filters(), limit: int = 10,
                   query_vector: np.ndarray | None = None, strict: bool = False) -> tuple[list[Ranked], np.ndarray]:
        """The fused ranking of passages for ``query`` and the query vector it used.

        ``strict`` is for results shown as they are: a passage must then contain every query
        word or be close in meaning. Answering wants recall instead (evidence is judged later),
        so the first few of each ranking are kept whatever their fused rank."""
        await self.ensure_fresh()
        if not len(self._matrix.ids):
            return [], query_vector if query_vector is not None else await self.embed(query)
        allowed = self._allowed_rows(filters)
        # BM25 runs in SQLite's thread while the question is embedded and compared in this one:
        # on two cores the two halves overlap instead of adding up.
        lexical_rows = asyncio.ensure_future(self._lexical_rows(query, allowed, match_all=strict))
        try:
            vector = query_vector if query_vector is not None else await self.embed(query)
            cosines, dense = await self._scan(vector, allowed, CANDIDATES)
        except BaseException:
            lexical_rows.cancel()
            raise
        if strict:
            dense = [row for row in dense if cosines[row] >= SEARCH_MIN_COSINE]
        lexical = await lexical_rows
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, row in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda row: (-fused[row], -cosines[row]))[:limit]
        if not strict:
            best = self._with_heads(best, fused, cosines, (lexical, dense), limit)
        return [
            Ranked(int(self._matrix.ids[row]), self._owner[row], fused[row], float(cosines[row]))
            for row in best
        ], vector

    async def search(self, query: str, *, k: int = 5, filters: Filters = Filters()) -> list[SearchHit]:
        ranked, _ = await self.rank(query, filters=filters, limit=k, strict=True)
        passages = await self.corpus.passages([r.passage_id for r in ranked])
        hits = []
        for r in ranked:
            article = self.articles[r.article_id]
            hits.append(SearchHit(
                passage_id=r.passage_id, article_id=article.id, title=article.title, source=article.source,
                published=article.published, path=article.path, text=passages[r.passage_id].text,
                score=round(r.fused, 5),
            ))
        return hits

    @staticmethod
    def _with_heads(best: list[int], fused: dict[int, float], cosines: np.ndarray,
                    rankings: tuple[list[int], ...], limit: int) -> list[int]:
        """``best`` with the first few of each ranking in it. Fusion favours passages both lists
        half-like; the one passage that holds a rare name typed in the question ("kamilov") is
        first for BM25 alone and would be crowded out, yet it is the one that answers."""
        heads = [row for ranking in rankings for row in ranking[:HEADS_KEPT] if row not in best]
        heads = list(dict.fromkeys(heads))
        if not heads or limit <= len(heads):
            return best
        return sorted(best[:limit - len(heads)] + heads, key=lambda row: (-fused[row], -cosines[row]))

    def _allowed_rows(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        admitted = {a.id for a in self.articles.values() if filters.admits(a)}
        return np.fromiter((owner in admitted for owner in self._owner), dtype=bool, count=len(self._owner))

    async def _scan(self, vector: np.ndarray, allowed: np.ndarray | None, n: int) -> tuple[np.ndarray, list[int]]:
        """Every passage's cosine to ``vector``, and the ``n`` best admitted rows, best first.
        Each share of rows is scored and cut to its own best ``n`` in a scan thread."""
        vectors = self._matrix.vectors
        cosines = np.empty(len(vectors), dtype=np.float32)
        shares = max(1, min(SCAN_THREADS, len(vectors) // SCAN_MIN_ROWS))
        cuts = [len(vectors) * i // shares // SCAN_ROW_ALIGNMENT * SCAN_ROW_ALIGNMENT for i in range(1, shares)]
        bounds = [0, *cuts, len(vectors)]
        vector = vector.astype(np.float32, copy=False)
        loop = asyncio.get_running_loop()
        tops = await asyncio.gather(*(
            loop.run_in_executor(self._scan_pool, _score_share, vectors, vector, cosines, allowed, start, end, n)
            for start, end in zip(bounds[:-1], bounds[1:])
        ))
        rows = np.sort(np.concatenate(tops))  # equal cosines (repeated passages) rank in store order
        rows = rows[np.argsort(-cosines[rows], kind="stable")][:n]
        return cosines, [int(row) for row in rows]

    async def _lexical_rows(self, query: str, allowed: np.ndarray | None, match_all: bool) -> list[int]:
        # Filters are applied after the FTS query, so fetch extra rows when filtering.
        limit = CANDIDATES * (8 if allowed is not None else 1)
        rows = []
        # "what did … say" are neither required words nor evidence of a match: a long answer
        # full of them outscores the one passage that holds the name asked about.
        query = " ".join(w for w in words(query) if w.lower() not in STOPWORDS) or query
        newest = SEARCH_SCORED_MATCHES if match_all else None
        for passage_id, _ in await self.corpus.fts_passages(query, limit, match_all=match_all, newest=newest):
            row = self._row_of.get(passage_id)
            if row is not None and (allowed is None or allowed[row]):
                rows.append(row)
        return rows[:CANDIDATES]


def _score_share(vectors: np.ndarray, vector: np.ndarray, cosines: np.ndarray, allowed: np.ndarray | None,
                 start: int, end: int, n: int) -> np.ndarray:
    """Write the cosines of rows ``start:end`` into ``cosines``; return that share's best ``n``
    admitted rows (indices into the whole matrix)."""
    share = cosines[start:end]
    np.matmul(vectors[start:end], vector, out=share)
    scores = share if allowed is None else np.where(allowed[start:end], share, -np.inf)
    n = min(n, len(scores))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, n - 1)[:n]
    return start + top[np.isfinite(scores[top])]
