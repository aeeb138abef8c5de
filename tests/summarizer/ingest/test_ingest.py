import io
import logging
import shutil
import sqlite3
import sys

import numpy as np
import pytest

from store import Corpus, Database
from summarizer.ingest import pipeline
from summarizer.ingest.documents import article_from_page, read_article
from summarizer.ingest.embeddings import ENCODE_BATCH_SIZE, Embedder
from summarizer.ingest.pipeline import ingest, store_articles
from summarizer.retrieval.search import SearchIndex
from tests.conftest import CORPUS

SEED_IDS = sorted(p.stem for p in CORPUS.glob("*.txt"))


class EncoderDied(RuntimeError):
    """An ingest stopping part-way, as a crash or Ctrl-C would stop it."""


class CountingEmbedder(Embedder):
    """The real embedder, counting each batch it is given and, if asked, dying on one of them."""

    def __init__(self, real: Embedder, *, die_on_batch: int | None = None) -> None:
        super().__init__()
        self._real = real
        self._die_on_batch = die_on_batch
        self.batches: list[int] = []  # sentences per encode call
        self.finished = 0

    def encode(self, texts, progress=False):
        self.batches.append(len(texts))
        try:
            if len(self.batches) == self._die_on_batch:
                raise EncoderDied("the encoder died mid-ingest")
            return self._real.encode(texts, progress)
        finally:
            self.finished += 1


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
async def database(tmp_path):
    opened = await Database.open(tmp_path / "b.db")
    yield opened
    await opened.close()


@pytest.fixture
def fresh(tmp_path, database, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    return Corpus(database), corpus


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


async def test_crash_mid_batch_leaves_nothing_half_written(fresh, database, embedder):
    store, corpus = fresh
    # A real SQLite failure in the middle of a batch's transaction, after earlier rows were written.
    trigger = await _fail_inserts(database, "sentences", "003")
    with pytest.raises(sqlite3.IntegrityError):
        await ingest(store, embedder, [corpus])
    assert [a.id for a in await store.articles()] == []  # one batch, all or nothing
    assert await store.passage_count() == 0
    async with database.transaction() as db:
        await db.execute(f"DROP TRIGGER {trigger}")
    report = await ingest(store, embedder, [corpus])
    assert len(await store.articles()) == 5 and len(report.added) == 5


async def test_a_failed_write_waits_for_the_batch_being_encoded(fresh, database, embedder, monkeypatch):
    store, corpus = fresh
    monkeypatch.setattr(pipeline, "BATCH_ARTICLES", 2)
    await _fail_inserts(database, "passages", "000")
    counting = CountingEmbedder(embedder)
    with pytest.raises(sqlite3.IntegrityError):
        await ingest(store, counting, [corpus])
    # The first batch's write failed while the second was encoding: no encoder is left running.
    assert len(counting.batches) == counting.finished == 2
    assert await store.articles() == []


async def test_interrupted_ingest_keeps_finished_batches_and_resumes(fresh, embedder, seed_db, monkeypatch):
    store, corpus = fresh
    monkeypatch.setattr(pipeline, "BATCH_ARTICLES", 2)  # five seed articles: batches of 2, 2 and 1
    dying = CountingEmbedder(embedder, die_on_batch=3)
    with pytest.raises(EncoderDied):
        await ingest(store, dying, [corpus])
    assert sorted(a.id for a in await store.articles()) == SEED_IDS[:4]
    version_after_crash = await store.corpus_version()

    counting = CountingEmbedder(embedder)
    report = await ingest(store, counting, [corpus])
    assert report.added == SEED_IDS[4:] and report.unchanged == 4
    last = next(corpus.glob(f"{SEED_IDS[4]}.txt"))
    assert counting.batches == [report.sentences_embedded] == [_sentence_count(last)]
    assert await store.corpus_version() != version_after_crash

    clean = await Database.open(seed_db, read_only=True)  # the seed corpus ingested in one clean run
    try:
        assert await _snapshot(store) == await _snapshot(Corpus(clean))
        await _assert_same_vectors(store, Corpus(clean))
    finally:
        await clean.close()


async def test_stories_are_linked_by_the_next_run_when_linking_was_interrupted(fresh, embedder, seed_db,
                                                                              monkeypatch):
    store, corpus = fresh

    async def interrupted(corpus):
        raise EncoderDied("the process stopped before linking stories")

    monkeypatch.setattr(pipeline, "link_stories", interrupted)
    with pytest.raises(EncoderDied):
        await ingest(store, embedder, [corpus])
    monkeypatch.undo()
    assert len({a.story_id for a in await store.articles()}) == 5  # written, not yet linked

    report = await ingest(store, embedder, [corpus])
    assert report.unchanged == 5 and report.sentences_embedded == 0
    clean = await Database.open(seed_db, read_only=True)
    try:
        assert await _snapshot(store) == await _snapshot(Corpus(clean))
        assert report.stories == (await Corpus(clean).counts()).stories == 3
    finally:
        await clean.close()
    assert await store.stories_linked()


async def test_progress_is_logged_on_a_non_terminal(fresh, embedder, monkeypatch, caplog):
    store, corpus = fresh
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(pipeline, "BATCH_ARTICLES", 2)
    monkeypatch.setattr(pipeline, "PROGRESS_LOG_EVERY_S", 0.0)
    with caplog.at_level(logging.INFO, logger=pipeline.log.name):
        report = await ingest(store, embedder, [corpus], progress=True)
    lines = [r.getMessage() for r in caplog.records if r.name == pipeline.log.name]
    assert lines[0] == f"ingest: 5 articles to embed ({report.sentences_embedded:,} sentences)"
    assert [line.split(",")[0] for line in lines[1:]] == ["ingest: 2/5 articles", "ingest: 4/5 articles",
                                                           "ingest: 5/5 articles"]
    assert f"{report.sentences_embedded:,} sentences embedded" in lines[-1]
    assert sys.stderr.getvalue() == ""


async def test_progress_lines_are_spaced_out_and_off_unless_asked(fresh, embedder, monkeypatch, caplog):
    store, corpus = fresh
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setattr(pipeline, "BATCH_ARTICLES", 2)
    monkeypatch.setattr(pipeline, "PROGRESS_LOG_EVERY_S", 3600.0)
    with caplog.at_level(logging.INFO, logger=pipeline.log.name):
        await ingest(store, embedder, [corpus / f"{SEED_IDS[0]}.txt"], progress=False)
        await ingest(store, embedder, [corpus], progress=True)
    lines = [r.getMessage() for r in caplog.records if r.name == pipeline.log.name]
    # Not asked: silent. Asked: the total, then no line before the interval is up, and the last one.
    assert len(lines) == 2 and lines[0].startswith("ingest: 4 articles to embed")
    assert lines[1].startswith("ingest: 4/4 articles")


async def test_progress_is_a_bar_on_a_terminal(fresh, embedder, monkeypatch, caplog):
    store, corpus = fresh
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with caplog.at_level(logging.INFO, logger=pipeline.log.name):
        await ingest(store, embedder, [corpus], progress=True)
    assert "5/5" in terminal.getvalue() and "sentences/s" in terminal.getvalue()
    assert not [r for r in caplog.records if r.name == pipeline.log.name]


async def test_store_articles_stores_pages_and_replaces_by_id(database, embedder):
    store = Corpus(database)
    before = await store.corpus_version()
    pages = [_page("mea-1", "Jaishankar met the Kenyan foreign minister in Nairobi on Tuesday.",
                   "2026-11-30"),
             _page("mea-2", "The ministry announced a new consulate in Lagos without giving a date.", None)]
    report = await store_articles(store, embedder, pages)
    assert report.added == ["mea-1", "mea-2"] and report.updated == []
    assert report.undated == ["mea-2"] and "1 undated" in report.summary()
    assert report.sentences_embedded == sum(len(p.sentences) for a in pages for p in a.passages)
    assert report.stories == (await store.counts()).stories >= 1
    assert await store.corpus_version() != before
    stored = await store.article("mea-1")
    assert stored.url == "https://news.example/mea-1" and stored.published == "2026-11-30"
    assert [pid for pid, _ in await store.fts_passages("Nairobi", 5)]

    version = await store.corpus_version()
    again = await store_articles(store, embedder, [
        _page("mea-1", "Jaishankar met the Kenyan foreign minister in Kisumu on Wednesday.", "2026-11-30"),
        _page("mea-1", "Jaishankar met the Kenyan foreign minister in Mombasa on Wednesday.", "2026-11-30")])
    assert again.updated == ["mea-1"] and again.added == [] and again.undated == []
    assert await store.fts_passages("Kisumu", 5) == []  # the same id twice: the last one given is kept
    assert await store.fts_passages("Nairobi", 5) == []
    assert [pid for pid, _ in await store.fts_passages("Mombasa", 5)]
    assert (await store.counts()).articles == 2
    assert await store.corpus_version() != version


async def test_prune_removes_deleted_files_but_not_fetched_pages(fresh, embedder):
    store, corpus = fresh
    await ingest(store, embedder, [corpus])
    await store_articles(store, embedder, [_page("mea-1", "Jaishankar met the Kenyan minister in Nairobi.", None)])
    next(corpus.glob("002_*.txt")).unlink()
    report = await ingest(store, embedder, [corpus], prune=True)
    assert [r[:3] for r in report.removed] == ["002"]
    assert await store.article("mea-1") is not None


async def test_undated_files_are_stored_and_listed(fresh, embedder):
    store, corpus = fresh
    (corpus / "undated.txt").write_text(
        "Officials from both ministries met again to discuss the trade agreement and its schedule.\n\n"
        "They agreed to meet once more before the end of the negotiating round.\n", encoding="utf-8")
    report = await ingest(store, embedder, [corpus])
    assert len(report.added) == 6 and "undated" in report.undated
    assert sorted(report.undated) == sorted(a.id for a in await store.articles() if a.published is None)
    assert report.summary().startswith(f"ingest: 6 added, 0 updated, 0 unchanged, {len(report.undated)} undated;")


async def _fail_inserts(database: Database, table: str, article_prefix: str) -> str:
    """Make SQLite itself refuse rows of one article, as a full or failing disk would."""
    name = f"fail_{table}_{article_prefix}"
    async with database.transaction() as db:
        await db.execute(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN new.article_id LIKE '{article_prefix}%'"
                         " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    return name


def _page(article_id: str, text: str, published: str | None):
    body = f"{text}\n{text.replace('Tuesday', 'Monday')} Talks covered trade, health and maritime security."
    return article_from_page(article_id=article_id, url=f"https://news.example/{article_id}",
                             title=f"Page {article_id}", text=body, published=published, source="Example News")


def _sentence_count(path) -> int:
    return sum(len(p.sentences) for p in read_article(path).passages)


async def _snapshot(store: Corpus) -> tuple:
    """What a reader sees: articles with their story ids, passages and sentences (text and place)."""
    articles = [(a.id, a.content_hash, a.title, a.published, a.body, a.story_id) for a in await store.articles()]
    ids = [a[0] for a in articles]
    sentences = [(s.article_id, s.ord, s.start, s.end, s.text) for s in await store.sentences_of_articles(ids)]
    stored = await store.passages(list(await store.passage_articles()))
    passages = sorted(stored.values(), key=lambda p: (p.article_id, p.ord))
    return articles, [(p.article_id, p.ord, p.start, p.end, p.text) for p in passages], sentences


async def _assert_same_vectors(store: Corpus, other: Corpus) -> None:
    """Same vectors up to float noise: batches of other sizes pad sentences differently."""
    ids = [a.id for a in await store.articles()]
    ours = np.stack([s.embedding for s in await store.sentences_of_articles(ids)])
    theirs = np.stack([s.embedding for s in await other.sentences_of_articles(ids)])
    assert np.allclose(ours, theirs, atol=1e-5)


def test_encode_returns_each_texts_vector_in_the_order_given(embedder):
    sentences = [s.text for path in sorted(CORPUS.glob("*.txt")) for p in read_article(path).passages
                 for s in p.sentences]
    texts = sentences[::-1][:100] + ["Short.", sentences[0]]  # several batches, lengths in no order
    ours = embedder.encode(texts)
    library = embedder.load().encode(texts, normalize_embeddings=True)
    assert ours.shape == library.shape and ours.dtype == np.float32
    assert len(texts) > 2 * ENCODE_BATCH_SIZE
    assert np.allclose(ours, library, atol=1e-5)


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
