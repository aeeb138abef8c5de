"""Followed feeds, their poll history and the items seen in each.

A feed that fails is polled again after ``every_s × 2^failures`` (capped), so a dead outlet
costs a request a day instead of one per interval; the first good poll resets it. Items are
remembered by feed and key so each poll takes only what is new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence

import aiosqlite

from store.connection import Database, StoreError

MAX_BACKOFF_S = 24 * 3600
# A retryable item failure (a timeout, a 503) is tried on this many polls before it is given up.
MAX_ITEM_ATTEMPTS = 3
ITEM_STATES = ("stored", "failed", "duplicate")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order in SQL
_SQL_CHUNK = 500


class FeedExistsError(StoreError):
    pass


class InvalidFeedError(StoreError):
    pass


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    title: str | None
    every_s: int
    guild_id: int | None
    added_by: int | None
    added_at: datetime
    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    failures: int
    next_poll_at: datetime
    articles_taken: int

    @property
    def name(self) -> str:
        return self.title or self.url


@dataclass(frozen=True)
class ItemMark:
    """What became of one feed item. ``retryable`` failures are tried again on later polls."""

    key: str
    url: str | None
    state: str
    article_id: str | None = None
    error: str | None = None
    retryable: bool = False


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def backoff_s(every_s: int, failures: int) -> int:
    """Seconds to the next poll after ``failures`` consecutive failures (0 = healthy)."""
    if failures <= 0:
        return every_s
    return min(every_s * 2 ** min(failures, 32), max(MAX_BACKOFF_S, every_s))


class Feeds:
    """The feed tables of one :class:`Database`, plus the article look-ups a poll needs."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- feeds --------------------------------------------------------------------------------

    async def add(self, url: str, every_s: int, *, title: str | None = None, guild_id: int | None = None,
                  added_by: int | None = None, now: datetime | None = None) -> Feed:
        """Follow a feed, due at once. Following a URL twice raises FeedExistsError (it names the
        feed), so a user who meant to change the interval is told instead of silently ignored."""
        url = url.strip()
        if not url:
            raise InvalidFeedError("a feed needs a URL")
        # How often is too often is the front end's rule (summarizer.web.schedule); here only sense.
        if every_s <= 0:
            raise InvalidFeedError(f"a feed's polling interval must be a positive number of seconds, not {every_s}")
        existing = await self.get(url)
        if existing is not None:
            raise FeedExistsError(f"already following {url} (feed {existing.id})")
        stamp = _text(now or utc_now())
        async with self._db.transaction() as db:
            cursor = await db.execute(
                "INSERT INTO feeds(url, title, every_s, guild_id, added_by, added_at, next_poll_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (url, title, every_s, guild_id, added_by, stamp, stamp),
            )
            feed_id = cursor.lastrowid
        return await self.get(feed_id)

    async def get(self, id_or_url: int | str) -> Feed | None:
        column, value = _key(id_or_url)
        row = await self._db.fetchone(f"SELECT * FROM feeds WHERE {column} = ?", (value,))
        return _feed(row) if row else None

    async def list(self) -> list[Feed]:
        return [_feed(r) for r in await self._db.fetchall("SELECT * FROM feeds ORDER BY id")]

    async def remove(self, id_or_url: int | str) -> bool:
        column, value = _key(id_or_url)
        async with self._db.transaction() as db:
            cursor = await db.execute(f"DELETE FROM feeds WHERE {column} = ?", (value,))
            return cursor.rowcount > 0

    async def due(self, now: datetime) -> list[Feed]:
        rows = await self._db.fetchall(
            "SELECT * FROM feeds WHERE next_poll_at <= ? ORDER BY next_poll_at, id", (_text(now),))
        return [_feed(r) for r in rows]

    async def record_poll_ok(self, feed: Feed, *, etag: str | None, last_modified: str | None,
                             title: str | None, now: datetime) -> Feed:
        """A good poll: validators kept for the next conditional GET, backoff reset. ``title`` only
        fills a missing one, so a name given when the feed was added stays. The article count is
        not passed here: :meth:`mark_items` counts stored items in the transaction that marks them."""
        stamp = _text(now)
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, title = coalesce(title, ?),"
                " last_polled_at = ?, last_ok_at = ?, last_error = NULL, failures = 0, next_poll_at = ?"
                " WHERE id = ?",
                (etag, last_modified, title, stamp, stamp, _text(now + timedelta(seconds=feed.every_s)), feed.id),
            )
        return await self.get(feed.id) or feed  # removed while it was being polled

    async def record_poll_failed(self, feed: Feed, error: str, *, now: datetime) -> Feed:
        # Read failures from the row, not the caller's copy, so two reports in a row both count.
        current = await self.get(feed.id)
        if current is None:
            return feed
        failures = current.failures + 1
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE feeds SET last_polled_at = ?, last_error = ?, failures = ?, next_poll_at = ? WHERE id = ?",
                (_text(now), error, failures, _text(now + timedelta(seconds=backoff_s(feed.every_s, failures))),
                 feed.id),
            )
        return await self.get(feed.id) or feed

    # -- items --------------------------------------------------------------------------------

    async def seen_items(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """The keys already dealt with: stored, duplicate, or failed for good."""
        keys = list(dict.fromkeys(keys))
        seen: set[str] = set()
        for start in range(0, len(keys), _SQL_CHUNK):
            chunk = keys[start:start + _SQL_CHUNK]
            rows = await self._db.fetchall(
                f"SELECT item_key FROM feed_items WHERE feed_id = ? AND item_key IN ({','.join('?' * len(chunk))})"
                " AND (state != 'failed' OR attempts >= ?)",
                (feed_id, *chunk, MAX_ITEM_ATTEMPTS),
            )
            seen.update(r[0] for r in rows)
        return seen

    async def mark_items(self, feed_id: int, marks: Sequence[ItemMark], *, now: datetime) -> None:
        """Record what became of items, in one transaction; stored ones add to the feed's count."""
        if not marks:
            return
        for mark in marks:
            if mark.state not in ITEM_STATES:
                raise ValueError(f"unknown item state {mark.state!r}")
        stamp = _text(now)
        async with self._db.transaction() as db:
            # A feed removed while it was being polled: its items are of no interest any more.
            if await (await db.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,))).fetchone() is None:
                return
            await db.executemany(
                "INSERT INTO feed_items(feed_id, item_key, url, state, article_id, error, attempts, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(feed_id, item_key) DO UPDATE SET url = excluded.url, state = excluded.state,"
                " article_id = excluded.article_id, error = excluded.error, seen_at = excluded.seen_at,"
                " attempts = CASE WHEN excluded.attempts >= ? THEN excluded.attempts"
                "                 ELSE feed_items.attempts + 1 END",
                [(feed_id, m.key, m.url, m.state, m.article_id, m.error, _attempts(m), stamp, MAX_ITEM_ATTEMPTS)
                 for m in marks],
            )
            stored = sum(1 for m in marks if m.state == "stored")
            if stored:
                await db.execute("UPDATE feeds SET articles_taken = articles_taken + ? WHERE id = ?",
                                 (stored, feed_id))

    async def items(self, feed_id: int) -> list[aiosqlite.Row]:
        return await self._db.fetchall(
            "SELECT item_key, url, state, article_id, error, attempts, seen_at FROM feed_items"
            " WHERE feed_id = ? ORDER BY seen_at, item_key", (feed_id,))

    # -- articles -----------------------------------------------------------------------------

    async def article_for_url(self, url: str) -> str | None:
        row = await self._db.fetchone("SELECT id FROM articles WHERE url = ? LIMIT 1", (url,))
        return row[0] if row else None

    async def article_for_hash(self, content_hash: str) -> str | None:
        row = await self._db.fetchone("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", (content_hash,))
        return row[0] if row else None


def _attempts(mark: ItemMark) -> int:
    # A failure that cannot get better is spent at once; anything else starts (or adds) one.
    return MAX_ITEM_ATTEMPTS if mark.state == "failed" and not mark.retryable else 1


def _key(id_or_url: int | str) -> tuple[str, int | str]:
    if isinstance(id_or_url, int) or (isinstance(id_or_url, str) and id_or_url.strip().isdigit()):
        return "id", int(id_or_url)
    return "url", id_or_url.strip()


def _text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("feed times are UTC-aware datetimes")
    return moment.astimezone(timezone.utc).strftime(_TIME_FORMAT)


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=timezone.utc)


def _feed(row: aiosqlite.Row) -> Feed:
    values = dict(row)
    for column in ("added_at", "last_polled_at", "last_ok_at", "next_poll_at"):
        values[column] = _time(values[column])
    return Feed(**values)
