"""The SQLite connection: opening (PRAGMAs, integrity check, migrations), read-only
handling, transactions, and the errors a user is told about.

Schema changes are plain SQL files in ``migrations/``, applied in order. The parts that
read and write tables (:mod:`store.corpus`, :mod:`store.answers`, :mod:`store.deliveries`)
share one :class:`Database`."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import time
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import AsyncIterator

import aiosqlite


class StoreError(Exception):
    """A storage problem explained in one line for the user."""


class CorruptDatabaseError(StoreError):
    pass


class ReadOnlyStoreError(StoreError):
    pass


class IntegrityCheckFailed(sqlite3.DatabaseError):
    pass


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One open database file. Open with :meth:`open`; one instance per process."""

    def __init__(self, connection: aiosqlite.Connection, path: Path, read_only: bool) -> None:
        self._db = connection
        self.path = path
        self.read_only = read_only
        self._writing = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, *, read_only: bool = False) -> "Database":
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
            connection = await aiosqlite.connect(target, uri=read_only)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the database ({exc})") from None
        connection.row_factory = aiosqlite.Row
        database = cls(connection, path, read_only)
        try:
            await database._prepare()
        except ReadOnlyStoreError:
            await connection.close()
            raise
        except sqlite3.DatabaseError as exc:
            await connection.close()
            if not _is_corruption(exc):
                raise StoreError(f"{path}: cannot open the database ({exc}); the file was left as it is") from None
            moved = _move_aside(path)
            raise CorruptDatabaseError(
                f"{path}: database is corrupt ({exc}); it was moved to {moved} and nothing was overwritten"
            ) from None
        return database

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

    # -- reading ----------------------------------------------------------------------------

    async def fetchone(self, sql: str, params: tuple = ()) -> aiosqlite.Row | None:
        """The first row, in one hand-off to aiosqlite's thread (an execute then a fetch would be
        two: a cache hit reads twice, and each hand-off costs more than the read). For queries of
        one row, as every caller's is."""
        rows = await self._db.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[aiosqlite.Row]:
        return list(await self._db.execute_fetchall(sql, params))

    # -- writing ----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … commit, or rollback on any exception; refused on a read-only store."""
        if self.read_only:
            raise ReadOnlyStoreError(f"{self.path}: database is read-only; nothing was written")
        # Every part shares one connection: a second BEGIN while a transaction is open would fail
        # (a feed poll marking items while an answer's statistics are written, say), so they queue.
        async with self._writing:
            async with self._transaction() as db:
                yield db

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
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
