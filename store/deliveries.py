"""Digest subscriptions (which channel gets the digest, when, in which time zone) and the
delivery log (which local day each channel has had its digest for)."""

from __future__ import annotations

from dataclasses import dataclass

from store.connection import Database


@dataclass(frozen=True)
class Subscription:
    channel_id: int
    guild_id: int | None
    post_time: str
    timezone: str


class Deliveries:
    """The subscriptions and delivery log of one :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def subscribe(self, sub: Subscription, created_by: int | None = None) -> None:
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO subscriptions(channel_id, guild_id, post_time, timezone, created_by)"
                " VALUES (?, ?, ?, ?, ?)",
                (sub.channel_id, sub.guild_id, sub.post_time, sub.timezone, created_by),
            )

    async def unsubscribe(self, channel_id: int) -> bool:
        async with self._db.transaction() as db:
            cursor = await db.execute("DELETE FROM subscriptions WHERE channel_id = ?", (channel_id,))
            return cursor.rowcount > 0

    async def subscriptions(self) -> list[Subscription]:
        rows = await self._db.fetchall(
            "SELECT channel_id, guild_id, post_time, timezone FROM subscriptions ORDER BY channel_id"
        )
        return [Subscription(**dict(r)) for r in rows]

    async def delivered(self, channel_id: int, day: str) -> bool:
        row = await self._db.fetchone("SELECT 1 FROM deliveries WHERE channel_id = ? AND day = ?", (channel_id, day))
        return row is not None

    async def claim(self, channel_id: int, day: str, digest_date: str | None) -> bool:
        """Record that today's digest for a channel is going out; False if it already went.

        Claiming before sending means a crash between claim and send skips that day rather than
        posting it twice; :meth:`release` undoes a claim when the send fails."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO deliveries(channel_id, day, digest_date) VALUES (?, ?, ?)",
                (channel_id, day, digest_date),
            )
            return cursor.rowcount > 0

    async def confirm(self, channel_id: int, day: str, message_id: int | None) -> None:
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET message_id = ? WHERE channel_id = ? AND day = ?",
                (message_id, channel_id, day),
            )

    async def release(self, channel_id: int, day: str) -> None:
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM deliveries WHERE channel_id = ? AND day = ?", (channel_id, day))
