import shutil
import sqlite3

import pytest

from store import Corpus, Database
from summarizer.ingest.pipeline import ingest
from summarizer.retrieval.search import SearchIndex
from tests.conftest import CORPUS


@pytest.fixture
async def fresh(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    database = await Database.open(tmp_path / "b.db")
    yield Corpus(database), corpus
    await database.close()


async def test_ingest_is_idempotent_and_says_so(fresh, embedder):
    store, corpus = fresh
    first = await ingest(store, embedder, [corpus])
    assert len(first.added) == 5 and first.sentences_embedded > 50
    version = await store.corpus_version()
    again = await ingest(store, embedder, [corpus])
    assert again.unchanged == 5 and again.sentences_embedded == 0
    assert "nothing to embed" in again.summary()
    assert await store.corpus_version() == version


async def test_changed_file_is_replaced_and_prune_removes_deleted(fresh, embedder):
    store, corpus = fresh
    await ingest(store, embedder, [corpus])
    changed = next(corpus.glob("001_*.txt"))
    changed.write_text(changed.read_text() + "\nKudankulam units five and six were discussed again at length.\n")
    next(corpus.glob("002_*.txt")).unlink()
    report = await ingest(store, embedder, [corpus], prune=True)
    assert len(report.updated) == 1 and len(report.removed) == 1
    assert len(await store.articles()) == 4


async def test_bad_files_fail_alone(fresh, embedder):
    store, corpus = fresh
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "latin1.txt").write_bytes(b"caf\xe9 " * 50)
    report = await ingest(store, embedder, [corpus])
    assert len(report.added) == 5
    assert {name.split("/")[-1] for name, _ in report.failed} == {"empty.txt", "latin1.txt"}


async def test_folder_without_articles_is_a_failure(tmp_path, embedder):
    database = await Database.open(tmp_path / "b.db")
    (tmp_path / "nothing").mkdir()
    report = await ingest(Corpus(database), embedder, [tmp_path / "nothing"])
    assert report.failed and "no articles" in report.failed[0][1]
    await database.close()


async def test_same_event_coverage_is_linked_into_stories(seed_db):
    database = await Database.open(seed_db, read_only=True)
    story = {a.id[:3]: a.story_id for a in await Corpus(database).articles()}
    await database.close()
    assert story["000"] == story["004"]  # Jaishankar's January 2022 calls
    assert story["002"] == story["003"]  # Lavrov's April 2021 Delhi visit
    assert len({story["000"], story["001"], story["002"]}) == 3


async def test_crash_mid_article_leaves_nothing_half_written(fresh, embedder, monkeypatch):
    store, corpus = fresh
    original = store.replace_article

    async def failing(article, passages):
        if article.id.startswith("003"):
            raise sqlite3.OperationalError("disk I/O error")
        await original(article, passages)

    monkeypatch.setattr(store, "replace_article", failing)
    with pytest.raises(sqlite3.OperationalError):
        await ingest(store, embedder, [corpus])
    monkeypatch.undo()
    report = await ingest(store, embedder, [corpus])
    assert len(await store.articles()) == 5 and report.sentences_embedded > 0


async def test_search_finds_what_the_issue_promises(seed_db, embedder):
    database = await Database.open(seed_db, read_only=True)
    index = SearchIndex(Corpus(database), embedder)
    asian_nato = await index.search("Asian NATO", k=3)
    assert asian_nato[0].article_id[:3] in {"002", "003"}  # the April 2021 Lavrov visit
    kudankulam = await index.search("Kudankulam")
    assert kudankulam and kudankulam[0].article_id.startswith("001")
    assert kudankulam[0].published == "2023-12-28"
    assert await index.search("World Cup") == []
    assert await index.search("Mianwali") == []
    await database.close()
