"""The daily digest (summarizer/briefings/digest.py) through Engine.digest: one day's articles, grouped
into stories, each summarised by verbatim lead sentences with a citation per article."""

from __future__ import annotations

import re

import pytest

from tests.summarizer.controlled_corpus import (
    COD_ACCORD_TITLE,
    RAIL_TITLE,
    cod_accord,
    cod_crews,
    empty_engine,
    rail_strike,
    volcano,
    write_article,
)


@pytest.fixture
async def news(tmp_path, embedder, fake_model):
    async with empty_engine(tmp_path, embedder, fake_model) as engine:
        yield engine


def assert_summary_quotes_its_citations(story) -> None:
    assert story.citations
    for c in story.citations:
        assert f"{c.quote} [{c.n}]" in story.summary
        assert c.quote in c.passage
        assert c.article_id in story.article_ids
    assert [c.n for c in story.citations] == list(range(1, len(story.citations) + 1))
    assert set(re.findall(r"\[(\d+)\]", story.summary)) == {str(c.n) for c in story.citations}


async def test_digest_groups_two_reports_of_one_event_into_one_story_citing_both(news):
    folder = news.config.corpus_dir
    cod_accord(folder), cod_crews(folder), rail_strike(folder), volcano(folder, published="2024-03-04")
    await news.ingest()

    digest = await news.digest()  # the latest day with articles
    assert digest.date == "2024-03-05"
    assert len(digest.stories) == 2
    cod, rail = digest.stories
    assert cod.headline == COD_ACCORD_TITLE and rail.headline == RAIL_TITLE
    assert cod.article_ids == ["cod_accord", "cod_crews"] and cod.source_count == 2
    assert {c.article_id for c in cod.citations} == {"cod_accord", "cod_crews"}
    assert cod.citations[0].quote.startswith("Norwegian fisheries minister Ingrid Solberg")
    assert cod.citations[1].source == "Harbour Times" and cod.citations[1].published == "2024-03-05"
    assert_summary_quotes_its_citations(cod)
    assert rail.article_ids == ["rail_strike"] and rail.source_count == 1
    assert_summary_quotes_its_citations(rail)
    assert "Villarrica" not in " ".join(s.summary for s in digest.stories)  # another day's news

    data = digest.to_dict()
    assert data["date"] == "2024-03-05" and [s["sources"] for s in data["stories"]] == [2, 1]


async def test_digest_of_a_given_day_holds_only_that_day(news):
    folder = news.config.corpus_dir
    cod_accord(folder), rail_strike(folder), volcano(folder, published="2024-03-04")
    await news.ingest()
    earlier = await news.digest("2024-03-04")
    assert earlier.date == "2024-03-04"
    assert [s.article_ids for s in earlier.stories] == [["volcano"]]
    assert "Villarrica volcano" in earlier.stories[0].summary
    quiet = await news.digest("2024-03-06")
    assert quiet.date == "2024-03-06" and quiet.stories == []


async def test_a_syndicated_copy_counts_as_a_source_but_its_lead_is_not_repeated(news):
    folder = news.config.corpus_dir
    cod_accord(folder), cod_accord(folder, name="cod_copy", source="Baltic Post"), rail_strike(folder)
    await news.ingest()
    digest = await news.digest("2024-03-05")
    cod = next(s for s in digest.stories if "cod_accord" in s.article_ids)
    assert cod.source_count == 2 and cod.article_ids == ["cod_accord", "cod_copy"]
    assert len(cod.citations) == 1
    assert cod.summary.count("Ingrid Solberg") == 1


async def test_undated_articles_are_in_no_digest(news):
    folder = news.config.corpus_dir
    cod_accord(folder, published=None), rail_strike(folder, published=None)
    await news.ingest()
    digest = await news.digest()
    assert digest.date is None and digest.stories == []


NOTE_TITLE = "Reykjavik cod quota accord: Solberg and Einarsson sign"
NOTE_BODY = "Solberg, Einarsson: cod accord signed.\n\nReykjavik cod quota accord, 41,000 tonnes.\n"  # no 8-word sentence


async def test_a_member_without_a_full_sentence_lead_still_counts_as_a_source(news):
    folder = news.config.corpus_dir
    cod_accord(folder)
    write_article(folder, "cod_note", NOTE_TITLE, NOTE_BODY, published="2024-03-05", source="Wire Notes")
    await news.ingest()
    (story,) = (await news.digest("2024-03-05")).stories
    assert story.article_ids == ["cod_accord", "cod_note"] and story.source_count == 2
    assert [c.article_id for c in story.citations] == ["cod_accord"]
    assert_summary_quotes_its_citations(story)


async def test_every_digest_story_has_a_cited_summary(news):
    folder = news.config.corpus_dir
    rail_strike(folder)
    write_article(folder, "cod_note", NOTE_TITLE, NOTE_BODY, published="2024-03-05", source="Wire Notes")
    await news.ingest()
    digest = await news.digest("2024-03-05")
    assert len(digest.stories) == 2
    for story in digest.stories:
        assert story.summary.strip()
        assert_summary_quotes_its_citations(story)


async def test_seed_corpus_digests(engine):
    latest = await engine.digest()
    assert latest.date == "2023-12-28"
    assert [s.article_ids for s in latest.stories] == [["001_66bc5cd5d1c12ee4"]]
    assert "Kremlin" in latest.stories[0].summary

    calls = await engine.digest("2022-01-05")
    assert len(calls.stories) == 1  # ETV Bharat and Hindustan Times on Jaishankar's calls: one story
    (story,) = calls.stories
    assert [a[:3] for a in story.article_ids] == ["000", "004"] and story.source_count == 2
    assert {c.source for c in story.citations} == {"ETV Bharat", "Hindustan Times"}
    assert_summary_quotes_its_citations(story)
