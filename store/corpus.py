"""The corpus: articles, their passages and sentences with vectors, the FTS5 index over
passages, story ids and the corpus version (bumped on every change, part of every answer
cache key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import aiosqlite
import numpy as np

from store.connection import Database


@dataclass(frozen=True)
class Article:
    id: str
    path: str
    content_hash: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    body: str
    story_id: str


@dataclass(frozen=True)
class NewSentence:
    start: int
    end: int
    text: str
    embedding: np.ndarray
    speaker: str | None = None
    verbatim: bool = False  # the sentence carries the speaker's own words (a quotation, a transcript turn)


@dataclass(frozen=True)
class NewPassage:
    start: int
    end: int
    text: str
    embedding: np.ndarray
    sentences: Sequence[NewSentence]


@dataclass(frozen=True)
class Passage:
    id: int
    article_id: str
    ord: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    id: int
    passage_id: int
    article_id: str
    ord: int
    start: int
    end: int
    text: str
    embedding: np.ndarray
    speaker: str | None = None
    verbatim: bool = False


@dataclass(frozen=True)
class SentenceSpan:
    """A stored sentence without its vector: what attribution reads."""
    id: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class VectorMatrix:
    ids: np.ndarray  # int64 row ids, aligned with rows of ``vectors``
    vectors: np.ndarray  # float32, L2-normalised


@dataclass(frozen=True)
class CorpusCounts:
    articles: int
    passages: int
    stories: int


class Corpus:
    """Reads and writes the corpus tables of one :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def corpus_version(self) -> str:
        row = await self._db.fetchone("SELECT value FROM meta WHERE key = 'corpus_version'")
        return row[0]

    async def _bump_version(self, db: aiosqlite.Connection) -> None:
        await db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'corpus_version'"
        )

    async def known_files(self) -> dict[str, tuple[str, str]]:
        """path → (article id, content hash) for every stored article."""
        rows = await self._db.fetchall("SELECT path, id, content_hash FROM articles")
        return {r["path"]: (r["id"], r["content_hash"]) for r in rows}

    async def replace_article(self, article: Article, passages: Sequence[NewPassage]) -> None:
        """Store one article with its passages in a single transaction, replacing any older copy."""
        await self.replace_articles([(article, passages)])

    async def replace_articles(self, batch: Sequence[tuple[Article, Sequence[NewPassage]]]) -> None:
        """Store a batch of articles in one transaction (all or none), each replacing any older copy
        with its id or path; the corpus version moves on once for the batch."""
        if not batch:
            return
        async with self._db.transaction() as db:
            for article, passages in batch:
                await _write_article(db, article, passages)
            await self._bump_version(db)

    async def delete_articles(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        if not ids:
            return 0
        async with self._db.transaction() as db:
            await db.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in ids])
            await self._bump_version(db)
        return len(ids)

    async def set_stories(self, story_of: dict[str, str]) -> None:
        async with self._db.transaction() as db:
            await db.executemany(
                "UPDATE articles SET story_id = ? WHERE id = ?", [(s, a) for a, s in story_of.items()]
            )

    async def mark_stories_linked(self, version: str) -> None:
        """Record that story ids were computed over the corpus as it was at ``version``."""
        async with self._db.transaction() as db:
            await db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('stories_version', ?)", (version,))

    async def stories_linked(self) -> bool:
        """Whether story ids were computed over the corpus as it is now. False after an ingest that
        stopped between writing articles and linking them, so the next one links them."""
        row = await self._db.fetchone(
            "SELECT (SELECT value FROM meta WHERE key = 'stories_version')"
            " IS (SELECT value FROM meta WHERE key = 'corpus_version')"
        )
        return bool(row[0])

    async def articles(self, *, day: str | None = None) -> list[Article]:
        query = "SELECT * FROM articles"
        params: tuple = ()
        if day is not None:
            query += " WHERE published = ?"
            params = (day,)
        rows = await self._db.fetchall(query + " ORDER BY published DESC, id", params)
        return [_article(r) for r in rows]

    async def article(self, article_id: str) -> Article | None:
        rows = await self._db.fetchall("SELECT * FROM articles WHERE id = ?", (article_id,))
        return _article(rows[0]) if rows else None

    async def latest_day(self) -> str | None:
        row = await self._db.fetchone("SELECT max(published) FROM articles")
        return row[0]

    async def counts(self) -> CorpusCounts:
        row = await self._db.fetchone(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM passages),"
            " (SELECT count(DISTINCT story_id) FROM articles)"
        )
        return CorpusCounts(articles=row[0], passages=row[1], stories=row[2])

    async def passage_matrix(self) -> VectorMatrix:
        rows = await self._db.fetchall("SELECT id, embedding FROM passages ORDER BY id")
        if not rows:
            return VectorMatrix(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32))
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return VectorMatrix(ids, vectors)

    async def passage_counts(self) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT article_id, count(*) FROM passages GROUP BY article_id")
        return {r[0]: r[1] for r in rows}

    async def passage_articles(self) -> dict[int, str]:
        rows = await self._db.fetchall("SELECT id, article_id FROM passages")
        return {r[0]: r[1] for r in rows}

    async def fts_passages(self, text: str, limit: int, *, match_all: bool = False,
                           newest: int | None = None) -> list[tuple[int, float]]:
        """(passage id, BM25 score; higher is better) for the lexical half of hybrid search.

        ``newest`` bounds the work: of the matching passages, only the most recently stored
        ``newest`` are scored. Scoring costs a few microseconds per match, and SQLite finds the
        cut-off without scoring (FTS5 walks its doclists by rowid)."""
        query = _fts_query(text, match_all)
        if not query:
            return []
        bound = ""
        if newest is not None:
            bound = (" AND rowid >= coalesce((SELECT rowid FROM passages_fts WHERE passages_fts MATCH :query"
                     " ORDER BY rowid DESC LIMIT 1 OFFSET :newest), 0)")
        # bm25() under an alias: named twice, SQLite would compute it twice for every match.
        rows = await self._db.fetchall(
            "SELECT rowid, bm25(passages_fts) AS cost FROM passages_fts WHERE passages_fts MATCH :query"
            f"{bound} ORDER BY cost LIMIT :limit",
            {"query": query, "limit": limit, "newest": newest - 1 if newest else 0},
        )
        return [(r[0], -r[1]) for r in rows]

    async def term_document_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages contain each term (FTS5, stemmed), for judging what the corpus knows."""
        counts = {}
        for term in terms:
            query = _fts_query(term)
            if not query:
                continue
            row = await self._db.fetchone("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?", (query,))
            counts[term] = row[0]
        return counts

    async def passage_count(self) -> int:
        return (await self._db.fetchone("SELECT count(*) FROM passages"))[0]

    async def passages(self, ids: Sequence[int]) -> dict[int, Passage]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._db.fetchall(
            f"SELECT id, article_id, ord, start, end, text FROM passages WHERE id IN ({marks})", tuple(ids)
        )
        return {r["id"]: Passage(**dict(r)) for r in rows}

    async def sentences_of(self, passage_ids: Sequence[int]) -> list[Sentence]:
        if not passage_ids:
            return []
        marks = ",".join("?" * len(passage_ids))
        rows = await self._db.fetchall(
            f"SELECT * FROM sentences WHERE passage_id IN ({marks}) ORDER BY passage_id, ord", tuple(passage_ids)
        )
        return [_sentence(r) for r in rows]

    async def verbatim_sentences(self, surname: str) -> list[Sentence]:
        """Sentences carrying the own words of a speaker whose last name is ``surname`` (any case),
        in article and reading order. Names are compared in Python: SQLite's lower() is ASCII-only."""
        wanted = surname.strip().casefold()
        if not wanted:
            return []
        speakers = [r[0] for r in await self._db.fetchall(
            "SELECT DISTINCT speaker FROM sentences WHERE verbatim = 1 AND speaker IS NOT NULL")]
        matching = [s for s in speakers if s.split() and s.split()[-1].casefold() == wanted]
        if not matching:
            return []
        marks = ",".join("?" * len(matching))
        rows = await self._db.fetchall(
            f"SELECT s.* FROM sentences s JOIN passages p ON p.id = s.passage_id"
            f" WHERE s.verbatim = 1 AND s.speaker IN ({marks}) ORDER BY s.article_id, p.ord, s.ord",
            tuple(matching),
        )
        return [_sentence(r) for r in rows]

    async def attribution_version(self) -> str | None:
        row = await self._db.fetchone("SELECT value FROM meta WHERE key = 'attribution_version'")
        return row[0] if row else None

    async def article_sentence_spans(self, article_ids: Sequence[str]) -> dict[str, list[SentenceSpan]]:
        """article id → its sentences in reading order, without vectors."""
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        rows = await self._db.fetchall(
            f"SELECT s.id, s.article_id, s.start, s.end, s.text FROM sentences s JOIN passages p"
            f" ON p.id = s.passage_id WHERE s.article_id IN ({marks}) ORDER BY s.article_id, p.ord, s.ord",
            tuple(article_ids),
        )
        spans: dict[str, list[SentenceSpan]] = {a: [] for a in article_ids}
        for r in rows:
            spans[r["article_id"]].append(SentenceSpan(r["id"], r["start"], r["end"], r["text"]))
        return spans

    async def set_attributions(self, attributions: Sequence[tuple[int, str | None, bool]], version: str) -> None:
        """Store (sentence id, speaker, verbatim) for existing sentences and record the rules'
        ``version``, in one transaction. Answers may quote speakers, so the corpus version moves
        on; stories do not depend on speakers, so if they were linked they stay linked."""
        async with self._db.transaction() as db:
            await db.executemany("UPDATE sentences SET speaker = ?, verbatim = ? WHERE id = ?",
                                 [(speaker, int(verbatim), sid) for sid, speaker, verbatim in attributions])
            linked = await (await db.execute(
                "SELECT (SELECT value FROM meta WHERE key = 'stories_version')"
                " IS (SELECT value FROM meta WHERE key = 'corpus_version')")).fetchone()
            await self._bump_version(db)
            if linked[0]:
                await db.execute("UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'corpus_version')"
                                 " WHERE key = 'stories_version'")
            await db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('attribution_version', ?)",
                             (version,))

    async def sentences_of_articles(self, article_ids: Sequence[str]) -> list[Sentence]:
        if not article_ids:
            return []
        marks = ",".join("?" * len(article_ids))
        rows = await self._db.fetchall(
            f"SELECT * FROM sentences WHERE article_id IN ({marks}) ORDER BY article_id, passage_id, ord",
            tuple(article_ids),
        )
        return [_sentence(r) for r in rows]


async def _write_article(db: aiosqlite.Connection, article: Article, passages: Sequence[NewPassage]) -> None:
    await db.execute("DELETE FROM articles WHERE id = ? OR path = ?", (article.id, article.path))
    await db.execute(
        "INSERT INTO articles(id, path, content_hash, title, source, published, url, body, story_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (article.id, article.path, article.content_hash, article.title, article.source,
         article.published, article.url, article.body, article.story_id),
    )
    for p_ord, passage in enumerate(passages):
        cursor = await db.execute(
            "INSERT INTO passages(article_id, ord, start, end, text, embedding) VALUES (?, ?, ?, ?, ?, ?)",
            (article.id, p_ord, passage.start, passage.end, passage.text, _blob(passage.embedding)),
        )
        passage_id = cursor.lastrowid
        await db.executemany(
            "INSERT INTO sentences(passage_id, article_id, ord, start, end, text, embedding, speaker, verbatim)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(passage_id, article.id, s_ord, s.start, s.end, s.text, _blob(s.embedding), s.speaker, int(s.verbatim))
             for s_ord, s in enumerate(passage.sentences)],
        )


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


def _fts_query(text: str, match_all: bool = False) -> str:
    """Turn free text into an FTS5 query of quoted terms (OR, or AND with ``match_all``),
    so user input is never parsed as FTS syntax."""
    terms = []
    for raw in text.replace('"', " ").split():
        word = "".join(ch for ch in raw if ch.isalnum() or ch in "-'")
        word = word.strip("-'")
        if len(word) > 1 or word.isdigit():
            terms.append(f'"{word}"')
    return (" AND " if match_all else " OR ").join(terms)


def _article(row: aiosqlite.Row) -> Article:
    return Article(**{k: row[k] for k in Article.__dataclass_fields__})


def _sentence(row: aiosqlite.Row) -> Sentence:
    return Sentence(
        id=row["id"], passage_id=row["passage_id"], article_id=row["article_id"], ord=row["ord"],
        start=row["start"], end=row["end"], text=row["text"], embedding=_vector(row["embedding"]),
        speaker=row["speaker"], verbatim=bool(row["verbatim"]),
    )
