"""The answer cache and the ask statistics."""

import pytest

from store import Answers, AskStats, Corpus, Database
from tests.store.records import article, passage


async def test_answer_cache_round_trip_serves_only_the_current_corpus(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    answers, corpus = Answers(database), Corpus(database)
    assert await answers.cached_answer("k") is None
    version = await corpus.corpus_version()
    await answers.cache_answer("k", "q", {"answer": "a [1]"}, version)
    assert await answers.cached_answer("k") == {"answer": "a [1]"}
    await corpus.replace_article(article(), [passage()])  # the corpus moves on: the answer is stale
    assert await answers.cached_answer("k") is None
    await answers.cache_answer("k", "q", {"answer": "b [1]"}, await corpus.corpus_version())
    assert await answers.cached_answer("k") == {"answer": "b [1]"}
    await answers.cache_answer("k", "q", {"answer": "c [1]"}, version)  # finished on the old corpus
    assert await answers.cached_answer("k") is None
    await database.close()


async def test_shown_answers_are_kept_by_ref_and_survive_reopening(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    await Answers(database).remember_shown("r1", {"answer": "a [1]"})
    await Answers(database).remember_shown("r1", {"answer": "a [1]"})  # the same answer shown twice
    await database.close()

    reopened = await Database.open(tmp_path / "x.db")
    assert await Answers(reopened).shown_answer("r1") == {"answer": "a [1]"}
    assert await Answers(reopened).shown_answer("r2") is None
    await reopened.close()


async def test_ask_stats_before_any_question(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    stats = await Answers(database).ask_stats()
    assert stats == AskStats(questions=0, cache_hits=0, median_answer_ms=None)
    assert stats.cache_hit_rate == 0.0
    await database.close()


async def test_ask_stats_count_questions_cache_hits_and_the_median_time(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    answers = Answers(database)
    await answers.log_ask("generated", False, 900.0)
    await answers.log_ask("generated", True, 5.0)
    await answers.log_ask("extractive", False, 300.0)
    await answers.log_ask("refused", True, 4.0)
    stats = await answers.ask_stats()
    assert stats.questions == 4 and stats.cache_hits == 2
    assert stats.cache_hit_rate == 0.5
    assert stats.median_answer_ms == 300.0  # the upper median of an even count
    await database.close()


def test_ask_stats_are_frozen():
    stats = AskStats(questions=3, cache_hits=1, median_answer_ms=12.5)
    assert stats.cache_hit_rate == pytest.approx(1 / 3)
    with pytest.raises(AttributeError):
        stats.questions = 4  # type: ignore[misc]
