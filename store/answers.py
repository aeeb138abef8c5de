"""The answer cache (finished answers by cache key), the answers shown (by content hash,
for their evidence buttons) and the log of asked questions behind the ask statistics."""

from __future__ import annotations

import json
from dataclasses import dataclass

from store.connection import Database


@dataclass(frozen=True)
class AskStats:
    """How questions have been answered so far."""

    questions: int
    cache_hits: int
    median_answer_ms: float | None  # None before the first answer

    @property
    def cache_hit_rate(self) -> float:
        return self.cache_hits / self.questions if self.questions else 0.0


class Answers:
    """The answer cache and ask log of one :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def cached_answer(self, key: str) -> dict | None:
        """The answer cached under ``key``, if it was computed on the corpus as it is now."""
        row = await self._db.fetchone(
            "SELECT response FROM answer_cache WHERE key = ?"
            " AND corpus_version = (SELECT value FROM meta WHERE key = 'corpus_version')", (key,))
        return json.loads(row[0]) if row else None

    async def cache_answer(self, key: str, question: str, response: dict, corpus_version: str) -> None:
        """Keep an answer computed on ``corpus_version``; it replaces the one from an older corpus."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO answer_cache(key, question, response, corpus_version) VALUES (?, ?, ?, ?)",
                (key, question, json.dumps(response, ensure_ascii=False), corpus_version),
            )

    async def remember_shown(self, ref: str, response: dict) -> None:
        """Keep an answer that is being shown, so its evidence can be looked up later by ``ref``."""
        async with self._db.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO shown_answers(ref, response) VALUES (?, ?)",
                             (ref, json.dumps(response, ensure_ascii=False)))

    async def shown_answer(self, ref: str) -> dict | None:
        row = await self._db.fetchone("SELECT response FROM shown_answers WHERE ref = ?", (ref,))
        return json.loads(row[0]) if row else None

    async def log_ask(self, mode: str, cached: bool, total_ms: float) -> None:
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO ask_log(mode, cached, total_ms) VALUES (?, ?, ?)", (mode, int(cached), total_ms)
            )

    async def ask_stats(self) -> AskStats:
        row = await self._db.fetchone("SELECT count(*), coalesce(sum(cached), 0) FROM ask_log")
        times = [r[0] for r in await self._db.fetchall("SELECT total_ms FROM ask_log ORDER BY total_ms")]
        return AskStats(questions=row[0], cache_hits=row[1],
                        median_answer_ms=times[len(times) // 2] if times else None)
