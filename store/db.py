"""The SQLite store: one file holds articles, passages, vectors, the answer cache and
digest state. Schema changes are plain SQL files in ``migrations/``, applied in order."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import AsyncIterator, Iterable, Sequence

import aiosqlite
import numpy as np


class StoreError(Exception):
    """A storage problem explained in one line for the user."""


class CorruptDatabaseError(StoreError):
    pass


class ReadOnlyStoreError(StoreError):
    pass


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


@dataclass(frozen=True)
class Subscription:
    channel_id: int
    guild_id: int | None
    post_time: str
    timezone: str


@dataclass(frozen=True)
class VectorMatrix:
    ids: np.ndarray  # int64 row ids, aligned with rows of ``vectors``
    vectors: np.ndarray  # float32, L2-normalised


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


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


class Store:
    """Async access to the database. Open with :meth:`open`; one instance per process."""

    def __init__(self, db: aiosqlite.Connection, path: Path, read_only: bool) -> None:
        self._db = db
        self.path = path
        self.read_only = read_only

    @classmethod
    async def open(cls, path: Path | str, *, read_only: bool = False) -> "Store":
        path = Path(path)
        folder_writable = os.access(path.parent, os.W_OK)
        if not read_only and path.exists() and not (os.access(path, os.W_OK) and folder_writable):
            read_only = True
        if not read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{path}: cannot create the database folder ({exc.strerror})") from None
        if read_only and not path.exists():
            raise StoreError(f"{path}: database does not exist and the location is read-only")
        # On a read-only disk SQLite cannot create the -shm file a WAL database needs even to
        # read; immutable=1 reads the file as it is (a cleanly closed database has no WAL left).
        target = str(path)
        if read_only:
            target = f"file:{path}?mode=ro" + ("" if folder_writable else "&immutable=1")
        try:
            db = await aiosqlite.connect(target, uri=read_only)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the database ({exc})") from None
        db.row_factory = aiosqlite.Row
        store = cls(db, path, read_only)
        try:
            await store._prepare()
        except ReadOnlyStoreError:
            await db.close()
            raise
        except sqlite3.DatabaseError as exc:
            await db.close()
            if not _is_corruption(exc):
                raise StoreError(f"{path}: cannot open the database ({exc}); the file was left as it is") from None
            moved = _move_aside(path)
            raise CorruptDatabaseError(
                f"{path}: database is corrupt ({exc}); it was moved to {moved} and nothing was overwritten"
            ) from None
        return store

    async def _prepare(self) -> None:
        await self._db.execute("PRAGMA foreign_keys = ON")
        if not self.read_only:
            await self._db.execute("PRAGMA journal_mode = WAL")
            await self._db.execute("PRAGMA synchronous = NORMAL")
        await self._db.execute("PRAGMA busy_timeout = 5000")
        check = await (await self._db.execute("PRAGMA quick_check")).fetchone()
        if check[0] != "ok":
            raise IntegrityCheckFailed(f"integrity check failed: {check[0]}")
        version = (await (await self._db.execute("PRAGMA user_version")).fetchone())[0]
        pending = [(n, sql) for n, sql in _migrations() if n > version]
        if pending and self.read_only:
            raise ReadOnlyStoreError(f"{self.path}: the database needs migrating but is read-only")
        for number, sql in pending:
            await self._db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")

    async def close(self) -> None:
        await self._db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        if self.read_only:
            raise ReadOnlyStoreError(f"{self.path}: database is read-only; nothing was written")
        try:
            await self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise ReadOnlyStoreError(f"{self.path}: cannot write ({exc}); nothing was written") from None
        try:
            yield self._db
        except BaseException:
            await self._db.rollback()
            raise
        else:
            try:
                await self._db.commit()
            except sqlite3.OperationalError as exc:
                await self._db.rollback()
                raise ReadOnlyStoreError(f"{self.path}: cannot write ({exc}); nothing was written") from None

    # -- corpus -------------------------------------------------------------------------

    async def corpus_version(self) -> str:
        row = await (await self._db.execute("SELECT value FROM meta WHERE key = 'corpus_version'")).fetchone()
        return row[0]

    async def _bump_version(self, db: aiosqlite.Connection) -> None:
        await db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'corpus_version'"
        )

    async def known_files(self) -> dict[str, tuple[str, str]]:
        """path → (article id, content hash) for every stored article."""
        rows = await self._db.execute_fetchall("SELECT path, id, content_hash FROM articles")
        return {r["path"]: (r["id"], r["content_hash"]) for r in rows}

    async def replace_article(self, article: Article, passages: Sequence[NewPassage]) -> None:
        """Store one article with its passages in a single transaction, replacing any older copy."""
        async with self._transaction() as db:
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
                    "INSERT INTO sentences(passage_id, article_id, ord, start, end, text, embedding)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(passage_id, article.id, s_ord, s.start, s.end, s.text, _blob(s.embedding))
                     for s_ord, s in enumerate(passage.sentences)],
                )
            await self._bump_version(db)

    async def delete_articles(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        if not ids:
            return 0
        async with self._transaction() as db:
            await db.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in ids])
            await self._bump_version(db)
        return len(ids)

    async def set_stories(self, story_of: dict[str, str]) -> None:
        async with self._transaction() as db:
            await db.executemany(
                "UPDATE articles SET story_id = ? WHERE id = ?", [(s, a) for a, s in story_of.items()]
            )

    async def articles(self, *, day: str | None = None) -> list[Article]:
        query = "SELECT * FROM articles"
        params: tuple = ()
        if day is not None:
            query += " WHERE published = ?"
            params = (day,)
        rows = await self._db.execute_fetchall(query + " ORDER BY published DESC, id", params)
        return [_article(r) for r in rows]

    async def article(self, article_id: str) -> Article | None:
        rows = await self._db.execute_fetchall("SELECT * FROM articles WHERE id = ?", (article_id,))
        return _article(rows[0]) if rows else None

    async def latest_day(self) -> str | None:
        row = await (await self._db.execute("SELECT max(published) FROM articles")).fetchone()
        return row[0]

    async def article_vectors(self) -> dict[str, np.ndarray]:
        """Mean passage vector per article, for story linking."""
        rows = await self._db.execute_fetchall("SELECT article_id, embedding FROM passages")
        grouped: dict[str, list[np.ndarray]] = {}
        for r in rows:
            grouped.setdefault(r["article_id"], []).append(_vector(r["embedding"]))
        return {a: np.mean(v, axis=0) for a, v in grouped.items()}

    async def passage_matrix(self) -> VectorMatrix:
        return await self._matrix("SELECT id, embedding FROM passages ORDER BY id")

    async def passage_counts(self) -> dict[str, int]:
        rows = await self._db.execute_fetchall("SELECT article_id, count(*) FROM passages GROUP BY article_id")
        return {r[0]: r[1] for r in rows}

    async def passage_articles(self) -> dict[int, str]:
        rows = await self._db.execute_fetchall("SELECT id, article_id FROM passages")
        return {r[0]: r[1] for r in rows}

    async def sentence_matrix(self) -> VectorMatrix:
        return await self._matrix("SELECT id, embedding FROM sentences ORDER BY id")

    async def _matrix(self, query: str) -> VectorMatrix:
        rows = await self._db.execute_fetchall(query)
        if not rows:
            return VectorMatrix(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32))
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return VectorMatrix(ids, vectors)

    async def fts_passages(self, text: str, limit: int, *, match_all: bool = False) -> list[tuple[int, float]]:
        """(passage id, BM25 score; higher is better) for the lexical half of hybrid search."""
        query = _fts_query(text, match_all)
        if not query:
            return []
        rows = await self._db.execute_fetchall(
            "SELECT rowid, -bm25(passages_fts) AS score FROM passages_fts WHERE passages_fts MATCH ?"
            " ORDER BY bm25(passages_fts) LIMIT ?",
            (query, limit),
        )
        return [(r[0], r[1]) for r in rows]

    async def term_document_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages contain each term (FTS5, stemmed), for judging what the corpus knows."""
        counts = {}
        for term in terms:
            query = _fts_query(term)
            if not query:
                continue
            row = await (await self._db.execute(
                "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?", (query,)
            )).fetchone()
            counts[term] = row[0]
        return counts

    async def passage_count(self) -> int:
        return (await (await self._db.execute("SELECT count(*) FROM passages")).fetchone())[0]

    async def passages(self, ids: Sequence[int]) -> dict[int, Passage]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._db.execute_fetchall(
            f"SELECT id, article_id, ord, start, end, text FROM passages WHERE id IN ({marks})", tuple(ids)
        )
        return {r["id"]: Passage(**dict(r)) for r in rows}

    async def sentences_of(self, passage_ids: Sequence[int]) -> list[Sentence]:
        if not passage_ids:
            return []
        marks = ",".join("?" * len(passage_ids))
        rows = await self._db.execute_fetchall(
            f"SELECT * FROM sentences WHERE passage_id IN ({marks}) ORDER BY passage_id, ord", tuple(passage_ids)
        )
        return [_sentence(r) for r in rows]

    async def sentences_by_ids(self, ids: Sequence[int]) -> list[Sentence]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._db.execute_fetchall(f"SELECT * FROM sentences WHERE id IN ({marks})", tuple(ids))
        return [_sentence(r) for r in rows]

    async def sentences_of_articles(self, article_ids: Sequence[str]) -> list[Sentence]:
        if not article_ids:
            return []
        marks = ",".join("?" * len(article_ids))
        rows = await self._db.execute_fetchall(
            f"SELECT * FROM sentences WHERE article_id IN ({marks}) ORDER BY article_id, passage_id, ord",
            tuple(article_ids),
        )
        return [_sentence(r) for r in rows]

    # -- answer cache and statistics -----------------------------------------------------

    async def cached_answer(self, key: str) -> dict | None:
        row = await (await self._db.execute("SELECT response FROM answer_cache WHERE key = ?", (key,))).fetchone()
        return json.loads(row[0]) if row else None

    async def cache_answer(self, key: str, question: str, response: dict) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO answer_cache(key, question, response) VALUES (?, ?, ?)",
                (key, question, json.dumps(response, ensure_ascii=False)),
            )

    async def log_ask(self, mode: str, cached: bool, total_ms: float) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO ask_log(mode, cached, total_ms) VALUES (?, ?, ?)", (mode, int(cached), total_ms)
            )

    async def ask_stats(self) -> dict:
        row = await (await self._db.execute(
            "SELECT count(*), coalesce(sum(cached), 0) FROM ask_log"
        )).fetchone()
        times = [r[0] for r in await self._db.execute_fetchall("SELECT total_ms FROM ask_log ORDER BY total_ms")]
        counts = await (await self._db.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM passages),"
            " (SELECT count(DISTINCT story_id) FROM articles)"
        )).fetchone()
        return {
            "articles": counts[0],
            "passages": counts[1],
            "stories": counts[2],
            "questions": row[0],
            "cache_hits": row[1],
            "cache_hit_rate": (row[1] / row[0]) if row[0] else 0.0,
            "median_answer_ms": times[len(times) // 2] if times else None,
        }

    # -- digest subscriptions and deliveries ---------------------------------------------

    async def subscribe(self, sub: Subscription, created_by: int | None = None) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO subscriptions(channel_id, guild_id, post_time, timezone, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (sub.channel_id, sub.guild_id, sub.post_time, sub.timezone, created_by),
            )

    async def unsubscribe(self, channel_id: int) -> bool:
        async with self._transaction() as db:
            cursor = await db.execute("DELETE FROM subscriptions WHERE channel_id = ?", (channel_id,))
            return cursor.rowcount > 0

    async def subscriptions(self) -> list[Subscription]:
        rows = await self._db.execute_fetchall(
            "SELECT channel_id, guild_id, post_time, timezone FROM subscriptions ORDER BY channel_id"
        )
        return [Subscription(**dict(r)) for r in rows]

    async def delivered(self, channel_id: int, day: str) -> bool:
        row = await (await self._db.execute(
            "SELECT 1 FROM deliveries WHERE channel_id = ? AND day = ?", (channel_id, day)
        )).fetchone()
        return row is not None

    async def claim_delivery(self, channel_id: int, day: str, digest_date: str | None) -> bool:
        """Record that today's digest for a channel is going out; False if it already went.

        Claiming before sending means a crash between claim and send skips that day rather than
        posting it twice; :meth:`release_delivery` undoes a claim when the send fails."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO deliveries(channel_id, day, digest_date) VALUES (?, ?, ?)",
                (channel_id, day, digest_date),
            )
            return cursor.rowcount > 0

    async def confirm_delivery(self, channel_id: int, day: str, message_id: int | None) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE deliveries SET message_id = ? WHERE channel_id = ? AND day = ?",
                (message_id, channel_id, day),
            )

    async def release_delivery(self, channel_id: int, day: str) -> None:
        async with self._transaction() as db:
            await db.execute("DELETE FROM deliveries WHERE channel_id = ? AND day = ?", (channel_id, day))


def _article(row: aiosqlite.Row) -> Article:
    return Article(**{k: row[k] for k in Article.__dataclass_fields__})


def _sentence(row: aiosqlite.Row) -> Sentence:
    return Sentence(
        id=row["id"], passage_id=row["passage_id"], article_id=row["article_id"], ord=row["ord"],
        start=row["start"], end=row["end"], text=row["text"], embedding=_vector(row["embedding"]),
    )


class IntegrityCheckFailed(sqlite3.DatabaseError):
    pass


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """Only a damaged file is moved aside; a locked, unreadable or read-only one is left alone."""
    return isinstance(exc, IntegrityCheckFailed) or getattr(exc, "sqlite_errorname", "") in {
        "SQLITE_NOTADB", "SQLITE_CORRUPT"}


def _move_aside(path: Path) -> Path:
    """Keep a corrupt database for inspection; never delete or overwrite it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    shutil.move(str(path), target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.move(str(side), target.with_name(target.name + suffix))
    return target
