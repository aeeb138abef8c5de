"""Hybrid passage search: SQLite FTS5 BM25 and dense cosine, fused by reciprocal rank.

The passage vectors live in one in-memory NumPy matrix (refreshed after ingest), so the
dense half is a single matrix-vector product; at 100k passages that is a few
milliseconds, cheaper and simpler than an approximate index. BM25 catches rare names
and numbers the small embedding model blurs; cosine catches paraphrase."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from store import Article, Corpus, VectorMatrix
from summarizer.ingest.embeddings import Embedder
from summarizer.results import SearchHit
from summarizer.text import STOPWORDS, words

RRF_K = 60  # the usual constant: damps the head so neither list dominates
CANDIDATES = 50
HEADS_KEPT = 3  # of each ranking, always among the passages an answer is drawn from
# A passage found only by meaning must be at least this close to be shown as a search
# result; below it, nearest neighbours are noise ("Mianwali" is nearest to something).
SEARCH_MIN_COSINE = 0.35


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


class SearchIndex:
    def __init__(self, corpus: Corpus, embedder: Embedder) -> None:
        self.corpus = corpus
        self.embedder = embedder
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
            cosines = self._matrix.vectors @ vector
        except BaseException:
            lexical_rows.cancel()
            raise
        dense = self._top_rows(cosines, allowed, CANDIDATES)
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

    @staticmethod
    def _top_rows(scores: np.ndarray, allowed: np.ndarray | None, n: int) -> list[int]:
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [int(row) for row in top if np.isfinite(scores[row])]

    async def _lexical_rows(self, query: str, allowed: np.ndarray | None, match_all: bool) -> list[int]:
        # Filters are applied after the FTS query, so fetch extra rows when filtering.
        limit = CANDIDATES * (8 if allowed is not None else 1)
        rows = []
        # "what did … say" are neither required words nor evidence of a match: a long answer
        # full of them outscores the one passage that holds the name asked about.
        query = " ".join(w for w in words(query) if w.lower() not in STOPWORDS) or query
        for passage_id, _ in await self.corpus.fts_passages(query, limit, match_all=match_all):
            row = self._row_of.get(passage_id)
            if row is not None and (allowed is None or allowed[row]):
                rows.append(row)
        return rows[:CANDIDATES]
