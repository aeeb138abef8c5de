"""Articles, passages and their full-text index."""

import sqlite3

import pytest

from store import Corpus, CorpusCounts, Database
from tests.store.records import article, passage


async def test_replace_article_bumps_version_and_indexes_text(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    corpus = Corpus(database)
    before = await corpus.corpus_version()
    await corpus.replace_article(article(), [passage("Lavrov spoke about the Quad.")])
    assert await corpus.corpus_version() != before
    assert [pid for pid, _ in await corpus.fts_passages("Quad", 5)]
    await corpus.replace_article(article(body="Changed."), [passage("Changed text entirely.")])
    assert await corpus.fts_passages("Quad", 5) == []  # the old passage is gone with its FTS row
    assert await corpus.passage_count() == 1
    await database.close()


async def test_fts_query_is_never_parsed_as_syntax(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    corpus = Corpus(database)
    await corpus.replace_article(article(), [passage()])
    for hostile in ['"unbalanced', "NEAR(a b)", "a OR", "*", "'; DROP TABLE articles; --"]:
        await corpus.fts_passages(hostile, 5)
    assert await corpus.passage_count() == 1
    await database.close()


async def test_counts_are_articles_passages_and_stories(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    corpus = Corpus(database)
    assert await corpus.counts() == CorpusCounts(articles=0, passages=0, stories=0)
    await corpus.replace_article(article("a1"), [passage("First passage."), passage("Second passage.")])
    await corpus.replace_article(article("a2"), [passage("Third passage.")])
    await corpus.set_stories({"a2": "a1"})
    assert await corpus.counts() == CorpusCounts(articles=2, passages=3, stories=1)
    await database.close()


async def test_replace_articles_writes_a_batch_all_or_nothing(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    corpus = Corpus(database)
    await corpus.replace_articles([(article("a1"), [passage("Kept from an earlier write.")])])
    version = await corpus.corpus_version()
    # A real SQLite failure on the batch's second article, after its first was written.
    async with database.transaction() as db:
        await db.execute("CREATE TRIGGER refuse_b2 BEFORE INSERT ON passages WHEN new.article_id = 'b2'"
                         " BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.IntegrityError):
        await corpus.replace_articles([(article("b1"), [passage("First of the batch.")]),
                                       (article("b2"), [passage("Second of the batch.")])])
    assert [a.id for a in await corpus.articles()] == ["a1"]
    assert await corpus.fts_passages("batch", 5) == []
    assert await corpus.corpus_version() == version
    await corpus.replace_articles([(article("b1"), [passage("First of the batch.")]),
                                   (article("a1", body="Changed."), [passage("Replaced passage.")])])
    assert [a.id for a in await corpus.articles()] == ["a1", "b1"]
    assert await corpus.passage_count() == 2
    assert int(await corpus.corpus_version()) == int(version) + 1  # once per batch, not per article
    await database.close()


async def test_stories_are_linked_only_for_the_version_they_were_computed_on(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    corpus = Corpus(database)
    await corpus.replace_article(article("a1"), [passage()])
    assert not await corpus.stories_linked()
    await corpus.mark_stories_linked(await corpus.corpus_version())
    assert await corpus.stories_linked()
    await corpus.replace_article(article("a2"), [passage()])
    assert not await corpus.stories_linked()
    await database.close()
