"""The digest cache: a day's digest by corpus version and model, kept across reopening."""

import pytest

from store import Database, Digests, ReadOnlyStoreError

DIGEST = {"date": "2022-01-05", "stories": [{"headline": "Jaishankar calls Blinken and Lavrov"}]}


async def test_a_digest_is_found_only_for_its_corpus_version_and_model(tmp_path):
    path = tmp_path / "x.db"
    database = await Database.open(path)
    await Digests(database).store("2022-01-05", "7", "qwen#digest-1", DIGEST)
    await database.close()

    database = await Database.open(path)
    digests = Digests(database)
    try:
        assert await digests.stored("2022-01-05", "7", "qwen#digest-1") == DIGEST
        assert await digests.stored("2022-01-05", "8", "qwen#digest-1") is None
        assert await digests.stored("2022-01-05", "7", "smollm2#digest-1") is None
        assert await digests.stored("2022-01-06", "7", "qwen#digest-1") is None
    finally:
        await database.close()


async def test_storing_a_newer_version_drops_the_days_older_ones(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    digests = Digests(database)
    try:
        await digests.store("2022-01-05", "7", "qwen#digest-1", DIGEST)
        await digests.store("2022-01-06", "7", "qwen#digest-1", DIGEST)
        await digests.store("2022-01-05", "8", "smollm2#digest-1", DIGEST | {"stories": []})
        assert await digests.count() == 2
        assert await digests.stored("2022-01-05", "7", "qwen#digest-1") is None
        assert await digests.stored("2022-01-06", "7", "qwen#digest-1") == DIGEST  # another day: kept
        assert await digests.stored("2022-01-05", "8", "smollm2#digest-1") == DIGEST | {"stories": []}
    finally:
        await database.close()


async def test_a_read_only_store_refuses_to_keep_a_digest(tmp_path):
    path = tmp_path / "x.db"
    await (await Database.open(path)).close()
    database = await Database.open(path, read_only=True)
    try:
        with pytest.raises(ReadOnlyStoreError):
            await Digests(database).store("2022-01-05", "7", "qwen#digest-1", DIGEST)
    finally:
        await database.close()
