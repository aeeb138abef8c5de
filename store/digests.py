"""The digest cache: each day's digest as written for one corpus version by one model, so a
digest prepared ahead of its posting minute is posted without waiting for the model."""

from __future__ import annotations

import json

from store.connection import Database


class Digests:
    """The stored digests of one :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def stored(self, day: str, corpus_version: str, model: str) -> dict | None:
        """The digest of ``day`` written for exactly this corpus version and model, else None."""
        row = await self._db.fetchone(
            "SELECT digest FROM digests WHERE day = ? AND corpus_version = ? AND model = ?",
            (day, corpus_version, model))
        return json.loads(row[0]) if row else None

    async def store(self, day: str, corpus_version: str, model: str, digest: dict) -> None:
        """Keep a digest, replacing the day's digests of older corpus versions (never read again)."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM digests WHERE day = ? AND corpus_version != ?", (day, corpus_version))
            await db.execute(
                "INSERT OR REPLACE INTO digests(day, corpus_version, model, digest) VALUES (?, ?, ?, ?)",
                (day, corpus_version, model, json.dumps(digest, ensure_ascii=False)))

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM digests")
        return row[0]
