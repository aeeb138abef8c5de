import sqlite3

import numpy as np
import pytest

from store import (
    Article, CorruptDatabaseError, NewPassage, NewSentence, ReadOnlyStoreError, Store, StoreError, Subscription,
)


def article(article_id: str = "a1", body: str = "One sentence here.") -> Article:
    return Article(id=article_id, path=f"/corpus/{article_id}.txt", content_hash="h", title="T",
                   source="Outlet", published="2022-01-05", url=None, body=body, story_id=article_id)


def passage(text: str = "One sentence here.") -> NewPassage:
    vector = np.ones(4, dtype=np.float32) / 2
    return NewPassage(0, len(text), text, vector, [NewSentence(0, len(text), text, vector)])


async def test_migrations_create_schema_and_are_recorded(tmp_path):
    store = await Store.open(tmp_path / "x.db")
    await store.close()
    db = sqlite3.connect(tmp_path / "x.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"articles", "passages", "sentences", "passages_fts", "answer_cache", "subscriptions",
            "deliveries"} <= tables


async def test_replace_article_bumps_version_and_indexes_text(tmp_path):
    store = await Store.open(tmp_path / "x.db")
    before = await store.corpus_version()
    await store.replace_article(article(), [passage("Lavrov spoke about the Quad.")])
    assert await store.corpus_version() != before
    assert [pid for pid, _ in await store.fts_passages("Quad", 5)]
    await store.replace_article(article(body="Changed."), [passage("Changed text entirely.")])
    assert await store.fts_passages("Quad", 5) == []  # the old passage is gone with its FTS row
    assert await store.passage_count() == 1
    await store.close()


async def test_fts_query_is_never_parsed_as_syntax(tmp_path):
    store = await Store.open(tmp_path / "x.db")
    await store.replace_article(article(), [passage()])
    for hostile in ['"unbalanced', "NEAR(a b)", "a OR", "*", "'; DROP TABLE articles; --"]:
        await store.fts_passages(hostile, 5)
    assert await store.passage_count() == 1
    await store.close()


async def test_corrupt_database_is_moved_aside_not_overwritten(tmp_path):
    path = tmp_path / "x.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(CorruptDatabaseError) as err:
        await Store.open(path)
    assert str(path) in str(err.value)
    kept = list(tmp_path.glob("x.db.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == garbage


async def test_read_only_store_refuses_writes_cleanly(tmp_path):
    path = tmp_path / "x.db"
    store = await Store.open(path)
    await store.replace_article(article(), [passage()])
    await store.close()
    store = await Store.open(path, read_only=True)
    with pytest.raises(ReadOnlyStoreError):
        await store.replace_article(article("a2"), [passage()])
    assert [a.id for a in await store.articles()] == ["a1"]
    await store.close()


async def test_answer_cache_round_trip(tmp_path):
    store = await Store.open(tmp_path / "x.db")
    assert await store.cached_answer("k") is None
    await store.cache_answer("k", "q", {"answer": "a [1]"})
    assert await store.cached_answer("k") == {"answer": "a [1]"}
    await store.close()


async def test_delivery_is_claimed_once_and_survives_reopen(tmp_path):
    path = tmp_path / "x.db"
    store = await Store.open(path)
    await store.subscribe(Subscription(1, 2, "08:00", "Asia/Kolkata"), created_by=3)
    assert await store.claim_delivery(1, "2026-11-23", "2022-01-05")
    assert not await store.claim_delivery(1, "2026-11-23", "2022-01-05")
    await store.close()
    store = await Store.open(path)
    assert await store.subscriptions() == [Subscription(1, 2, "08:00", "Asia/Kolkata")]
    assert await store.delivered(1, "2026-11-23")
    await store.release_delivery(1, "2026-11-23")
    assert not await store.delivered(1, "2026-11-23")
    await store.close()


async def test_unopenable_database_is_reported_and_left_alone(tmp_path):
    path = tmp_path / "x.db"
    path.mkdir()  # something that is not a database file, and not corrupt either
    with pytest.raises(StoreError, match="cannot open"):
        await Store.open(path)
    assert path.is_dir() and not list(tmp_path.glob("x.db.corrupt-*"))
