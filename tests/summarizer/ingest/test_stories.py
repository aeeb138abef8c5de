"""Story linking (summarizer/ingest/stories.py) through the real ingest: reports of one event become
one story, unrelated news stays apart, the date window separates a later report of the same
topic, and a republished copy is the same story whenever it appeared."""

from __future__ import annotations

import pytest

from summarizer.ingest.stories import same_story_groups
from tests.summarizer.controlled_corpus import cod_accord, cod_crews, empty_engine, rail_strike, volcano


@pytest.fixture
async def news(tmp_path, embedder, fake_model):
    async with empty_engine(tmp_path, embedder, fake_model) as engine:
        yield engine


async def story_of(engine) -> dict[str, str]:
    return {s.article_id: s.story_id for s in await engine.sources()}


async def test_two_reports_of_one_event_are_one_story_and_unrelated_news_is_not(news):
    folder = news.config.corpus_dir
    cod_accord(folder), cod_crews(folder), rail_strike(folder), volcano(folder)
    report = await news.ingest()
    assert not report.failed and len(report.added) == 4
    story = await story_of(news)
    assert story["cod_accord"] == story["cod_crews"] == "cod_accord"  # named after its smallest article id
    assert story["rail_strike"] == "rail_strike" and story["volcano"] == "volcano"
    assert report.stories == 3
    brief = await news.article("cod_crews")
    assert [s.article_id for s in brief.same_story] == ["cod_accord"]
    alone = await news.article("rail_strike")
    assert alone.same_story == []


@pytest.mark.parametrize("second_report, same_story", [
    ("2024-04-20", False),  # the same topic weeks apart is a new story
    ("2024-03-07", True),  # a report days apart, within the window, joins it
], ids=["weeks-apart", "days-apart"])
async def test_reports_join_a_story_only_within_its_date_window(news, second_report, same_story):
    folder = news.config.corpus_dir
    cod_accord(folder, published="2024-03-05"), cod_crews(folder, published=second_report)
    rail_strike(folder), volcano(folder)
    await news.ingest()
    story = await story_of(news)
    assert (story["cod_accord"] == story["cod_crews"]) is same_story


async def test_a_republished_copy_is_the_same_story_however_late(news):
    folder = news.config.corpus_dir
    cod_accord(folder, published="2024-03-05")
    cod_accord(folder, name="cod_copy", published="2024-05-01", source="Baltic Post")
    rail_strike(folder), volcano(folder)
    await news.ingest()
    story = await story_of(news)
    assert story["cod_copy"] == story["cod_accord"] == "cod_accord"
    assert len(set(story.values())) == 3


async def test_an_undated_report_links_to_a_dated_one(news):
    folder = news.config.corpus_dir
    cod_accord(folder, published="2024-03-05"), cod_crews(folder, published=None), rail_strike(folder)
    await news.ingest()
    story = await story_of(news)
    assert story["cod_crews"] == story["cod_accord"]
    assert story["rail_strike"] == "rail_strike"


async def test_a_later_ingest_relinks_stories_and_prune_unlinks_them(news):
    folder = news.config.corpus_dir
    cod_accord(folder), rail_strike(folder), volcano(folder)
    first = await news.ingest()
    assert first.stories == 3
    cod_crews(folder)
    second = await news.ingest()
    assert second.added == ["cod_crews"] and second.stories == 3
    assert (await story_of(news))["cod_crews"] == "cod_accord"

    (folder / "cod_accord.txt").unlink()
    third = await news.ingest(prune=True)
    assert third.removed == ["cod_accord"]
    story = await story_of(news)
    assert "cod_accord" not in story and story["cod_crews"] == "cod_crews"  # a story of its own again


async def test_seed_corpus_links_same_event_coverage(engine):
    story = {s.article_id[:3]: s.story_id for s in await engine.sources()}
    assert story["000"] == story["004"]  # Jaishankar's calls to Blinken and Lavrov, January 2022
    assert story["002"] == story["003"]  # Lavrov's Delhi visit
    assert story["001"] not in {story["000"], story["002"]}  # Jaishankar in Moscow, December 2023


async def test_grouping_of_one_article_or_none_is_trivial(engine):
    await engine.index.refresh()
    articles = list(engine.index.articles.values())
    assert same_story_groups([]) == {}
    one = articles[0]
    assert same_story_groups([one]) == {one.id: one.id}
    groups = same_story_groups(articles)
    assert set(groups) == {a.id for a in articles}
    assert all(groups[a.id] <= a.id for a in articles)  # a story is named after its smallest member id
