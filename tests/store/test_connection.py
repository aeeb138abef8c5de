"""Opening the database: migrations, corrupt and unopenable files, read-only stores."""

import sqlite3

import pytest

from store import Corpus, CorruptDatabaseError, Database, ReadOnlyStoreError, StoreError
from tests.store.records import article, passage


async def test_migrations_create_schema_and_are_recorded(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    await database.close()
    db = sqlite3.connect(tmp_path / "x.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"articles", "passages", "sentences", "passages_fts", "answer_cache", "shown_answers", "subscriptions",
            "deliveries"} <= tables


async def test_corrupt_database_is_moved_aside_not_overwritten(tmp_path):
    path = tmp_path / "x.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(CorruptDatabaseError) as err:
        await Database.open(path)
    assert str(path) in str(err.value)
    kept = list(tmp_path.glob("x.db.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == garbage


async def test_read_only_store_refuses_writes_cleanly(tmp_path):
    path = tmp_path / "x.db"
    database = await Database.open(path)
    await Corpus(database).replace_article(article(), [passage()])
    await database.close()
    database = await Database.open(path, read_only=True)
    corpus = Corpus(database)
    with pytest.raises(ReadOnlyStoreError):
        await corpus.replace_article(article("a2"), [passage()])
    assert [a.id for a in await corpus.articles()] == ["a1"]
    await database.close()


async def test_a_failed_transaction_writes_nothing(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    with pytest.raises(RuntimeError):
        async with database.transaction() as db:
            await db.execute("INSERT INTO ask_log(mode, cached, total_ms) VALUES ('generated', 0, 1.0)")
            raise RuntimeError("interrupted")
    assert (await database.fetchone("SELECT count(*) FROM ask_log"))[0] == 0
    await database.close()


async def test_unopenable_database_is_reported_and_left_alone(tmp_path):
    path = tmp_path / "x.db"
    path.mkdir()  # something that is not a database file, and not corrupt either
    with pytest.raises(StoreError, match="cannot open"):
        await Database.open(path)
    assert path.is_dir() and not list(tmp_path.glob("x.db.corrupt-*"))
