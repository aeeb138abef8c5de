"""Articles, passages and their full-text index."""

import sqlite3

import numpy as np
import pytest

from store import Corpus, CorpusCounts, Database, NewPassage, NewSentence
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


async def test_a_bounded_search_scores_only_the_newest_matches(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    corpus = Corpus(database)
    await corpus.replace_article(article("old"), [passage("Sanctions, sanctions and more sanctions.")])
    for n in range(3):
        await corpus.replace_article(article(f"new{n}"), [passage(f"Talks on sanctions went on in round {n}, "
                                                                  "with delegations from both sides present.")])
    ids = {a: pid for pid, a in (await corpus.passage_articles()).items()}
    every = await corpus.fts_passages("sanctions", 10)
    assert [pid for pid, _ in every][0] == ids["old"]  # BM25: three mentions in a short passage
    newest = await corpus.fts_passages("sanctions", 10, newest=2)
    assert {pid for pid, _ in newest} == {ids["new1"], ids["new2"]}
    assert [score for _, score in newest] == sorted((score for _, score in newest), reverse=True)
    assert await corpus.fts_passages("sanctions", 10, newest=50) == every  # fewer matches than the bound
    both = await corpus.fts_passages("sanctions talks", 10, match_all=True, newest=1)
    assert [pid for pid, _ in both] == [ids["new2"]]
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


async def test_sentences_keep_their_speaker_and_quotes_are_found_by_surname(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    corpus = Corpus(database)
    vector = np.ones(4, dtype=np.float32) / 2
    texts = [("“We both agree,” Russian minister said.", "Sergey Lavrov", True),
             ("Lavrov said ties were strong.", "Sergey Lavrov", False),  # reported speech
             ("Glad to exchange greetings with Lavrov.", "S Jaishankar", True),
             ("“Ça va,” said Ébert.", "Jean Ébert", True)]
    sentences = [NewSentence(0, len(t), t, vector, speaker, verbatim) for t, speaker, verbatim in texts]
    await corpus.replace_article(article(), [NewPassage(0, 10, "p", vector, sentences)])
    assert [s.text for s in await corpus.verbatim_sentences("LAVROV")] == [texts[0][0]]
    assert [s.text for s in await corpus.verbatim_sentences("ébert")] == [texts[3][0]]  # not ASCII-only
    assert await corpus.verbatim_sentences("Sergey") == []  # a first name is not a surname
    stored = await corpus.sentences_of_articles(["a1"])
    assert [(s.speaker, s.verbatim) for s in stored] == [(sp, v) for _, sp, v in texts]
    await database.close()


async def test_new_attributions_move_the_corpus_version_but_keep_stories_linked(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    corpus = Corpus(database)
    await corpus.replace_article(article(), [passage("Lavrov said: “Yes.”")])
    await corpus.mark_stories_linked(await corpus.corpus_version())
    before = await corpus.corpus_version()
    [sentence] = await corpus.sentences_of_articles(["a1"])
    assert (sentence.speaker, sentence.verbatim, await corpus.attribution_version()) == (None, False, None)
    await corpus.set_attributions([(sentence.id, "Lavrov", True)], "test-rules")
    [sentence] = await corpus.sentences_of_articles(["a1"])
    assert (sentence.speaker, sentence.verbatim) == ("Lavrov", True)
    assert await corpus.attribution_version() == "test-rules"
    assert await corpus.corpus_version() != before  # answers that quote speakers are recomputed
    assert await corpus.stories_linked()
    await database.close()
