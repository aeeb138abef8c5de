"""The daily digest (summarizer/briefings/digest.py) through Engine.digest: one day's articles,
grouped into stories, each summarised by the model and verified like an answer, or quoted from
its leads when the summary fails verification or the model fails; disagreements between
outlets noted with both citations; digests kept in the store until the corpus changes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from store import Database, Digests
from summarizer.answering.verify import check_answer
from summarizer.briefings.digest import build_digest
from summarizer.briefings.disagreements import SAME_CLAIM_COSINE, differing_fact
from summarizer.briefings.story_summary import story_evidence
from summarizer.engine import Engine, EngineConfig
from tests.conftest import CORPUS
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

ACCORD_TONNES = "41,000 tonnes"


@pytest.fixture
async def news(tmp_path, embedder, fake_model):
    async with empty_engine(tmp_path, embedder, fake_model) as engine:
        yield engine


def assert_cited(story) -> None:
    """Every marker in the summary and notes points at a citation; citations are numbered 1..n
    and each quotes a sentence of its passage in one of the story's articles."""
    assert story.citations
    assert [c.n for c in story.citations] == list(range(1, len(story.citations) + 1))
    for c in story.citations:
        assert c.quote in c.passage and c.article_id in story.article_ids
    markers = set(re.findall(r"\[(\d+)\]", " ".join([story.summary, *story.disagreements])))
    assert markers == {str(c.n) for c in story.citations}


def assert_summary_quotes_its_citations(story) -> None:
    assert_cited(story)
    assert story.mode == "extractive"
    for c in story.citations:
        assert f"{c.quote} [{c.n}]" in story.summary


def assert_verified(story) -> None:
    """A generated summary re-verifies, sentence by sentence, against the quotes it cites."""
    assert story.mode == "generated"
    assert_cited(story)
    checked = check_answer(story.summary, [c.quote for c in story.citations])
    assert checked and all(c.supported for c in checked), (story.summary, checked)


async def stored_digests(engine: Engine) -> int:
    """How many digests the engine's store holds, read through a second connection."""
    database = await Database.open(engine.config.db_path)
    try:
        return await Digests(database).count()
    finally:
        await database.close()


async def members_of(engine: Engine, day: str, article_id: str):
    articles = await engine.corpus.articles(day=day)
    story_id = next(a.story_id for a in articles if a.id == article_id)
    return sorted((a for a in articles if a.story_id == story_id), key=lambda a: a.id)


# -- stories and their quoted leads (the digest without the model, and every fallback) ------------

async def test_digest_groups_two_reports_of_one_event_into_one_story_citing_both(news):
    folder = news.config.corpus_dir
    cod_accord(folder), cod_crews(folder), rail_strike(folder), volcano(folder, published="2024-03-04")
    await news.ingest()

    digest = await build_digest(news.corpus)  # the latest day with articles
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
    digest = await build_digest(news.corpus, "2024-03-05")
    cod = next(s for s in digest.stories if "cod_accord" in s.article_ids)
    assert cod.source_count == 2 and cod.article_ids == ["cod_accord", "cod_copy"]
    assert len(cod.citations) == 1
    assert cod.summary.count("Ingrid Solberg") == 1
    assert cod.disagreements == []  # a copy agrees with itself


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
    (story,) = (await build_digest(news.corpus, "2024-03-05")).stories
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
        assert_cited(story)


# -- summaries written by the model ---------------------------------------------------------------

async def test_a_summary_drawn_from_the_evidence_is_kept_with_its_citations(news, fake_model):
    folder = news.config.corpus_dir
    cod_accord(folder), cod_crews(folder)
    await news.ingest()
    evidence = [e.sentence.text for e in await story_evidence(news.corpus, await members_of(news, "2024-03-05",
                                                                                            "cod_accord"))]
    signed = 1 + next(i for i, s in enumerate(evidence) if s.startswith("Norwegian fisheries minister"))
    tonnes = 1 + next(i for i, s in enumerate(evidence) if ACCORD_TONNES in s)
    fake_model.queue(f"Norwegian fisheries minister Ingrid Solberg and Bjarni Einarsson signed the Reykjavik cod "
                     f"quota accord on Monday [{signed}]. Norwegian trawlers will land {ACCORD_TONNES} of Atlantic "
                     f"cod a year in Icelandic waters [{tonnes}].")

    (story,) = (await news.digest("2024-03-05")).stories

    assert_verified(story)
    assert story.summary.startswith("Norwegian fisheries minister Ingrid Solberg and Bjarni Einarsson signed")
    assert [c.quote for c in story.citations] == [evidence[signed - 1], evidence[tonnes - 1]]
    assert "[1]" in story.summary and "[2]" in story.summary
    prompt = fake_model.calls[-1][-1]["content"]
    assert COD_ACCORD_TITLE in prompt and f"[{tonnes}] {evidence[tonnes - 1]}" in prompt


@pytest.mark.parametrize("invention, invented", [("giving Norway 52,000 tonnes of cod", "52,000"),
                                                 ("witnessed by Jonas Gahr Store", "Store")])
async def test_a_summary_that_invents_a_detail_is_replaced_by_the_leads(news, fake_model, invention, invented):
    folder = news.config.corpus_dir
    cod_accord(folder), cod_crews(folder)
    await news.ingest()
    fake_model.queue(f"Ingrid Solberg and Bjarni Einarsson signed the cod quota accord on Monday, {invention} [1].")

    (story,) = (await news.digest("2024-03-05")).stories

    assert fake_model.calls  # the model wrote, and was not believed
    assert story == (await build_digest(news.corpus, "2024-03-05")).stories[0]
    assert_summary_quotes_its_citations(story)
    assert invented not in story.summary


async def test_a_model_failure_costs_the_summary_not_the_digest(news, fake_model):
    folder = news.config.corpus_dir
    cod_accord(folder), rail_strike(folder)
    await news.ingest()
    fake_model.queue(RuntimeError("llama_decode returned -3"))

    digest = await news.digest("2024-03-05")

    assert digest == await build_digest(news.corpus, "2024-03-05")
    assert len(fake_model.calls) == 1  # a model that failed is not asked again for the other story
    assert all(s.mode == "extractive" for s in digest.stories)
    # Quoted only because the model failed: not kept, so the next request asks the model again.
    assert await stored_digests(news) == 0
    again = await news.digest("2024-03-05")
    assert len(fake_model.calls) == 3 and all(s.mode == "generated" for s in again.stories)


async def test_a_stored_digest_is_served_until_the_corpus_changes(news, fake_model):
    folder = news.config.corpus_dir
    cod_accord(folder)
    await news.ingest()

    first = await news.digest("2024-03-05")
    assert len(fake_model.calls) == 1 and first.stories[0].mode == "generated"
    assert await news.digest("2024-03-05") == first
    assert await news.digest() == first  # the latest day, the same stored digest
    assert len(fake_model.calls) == 1

    rail_strike(folder)
    await news.ingest()  # a new corpus version: the day's digest is written again
    second = await news.digest("2024-03-05")
    assert len(fake_model.calls) == 3
    assert [s.headline for s in second.stories] == [COD_ACCORD_TITLE, RAIL_TITLE]
    assert await stored_digests(news) == 1  # the stale one is gone


async def test_a_reopened_engine_serves_the_stored_digest_without_the_model(news, tmp_path, embedder, fake_model):
    folder = news.config.corpus_dir
    cod_accord(folder)
    await news.ingest()
    first = await news.digest("2024-03-05")

    reopened = await Engine.open(news.config, generator=fake_model, embedder=embedder)
    try:
        assert await reopened.digest("2024-03-05") == first
    finally:
        await reopened.close()
    assert len(fake_model.calls) == 1


# -- disagreements --------------------------------------------------------------------------------

COD_DISPUTED = """\
Ministers Ingrid Solberg of Norway and Bjarni Einarsson of Iceland signed the Reykjavik cod quota accord on Monday, ending a four-year dispute over Barents Sea fishing rights.

{trawlers}

Einarsson said the quota would be reviewed every three years by a joint scientific council.
"""
DISPUTED_TONNES = ("Norwegian trawlers will land 45,000 tonnes of Atlantic cod a year in Icelandic waters under the "
                   "accord, while Icelandic vessels gain access to the Svalbard shelf.")
EARLIER_CATCH = ("In 2019, before the dispute, Norwegian trawlers landed 38,000 tonnes of Atlantic cod a year in "
                 "Icelandic waters, while Icelandic vessels fished off the Svalbard shelf.")


async def disputed_story(engine: Engine, trawlers: str):
    folder = engine.config.corpus_dir
    cod_accord(folder)  # Nordic Wire: 41,000 tonnes
    write_article(folder, "cod_disputed", "Iceland and Norway end cod dispute", COD_DISPUTED.format(trawlers=trawlers),
                  published="2024-03-05", source="Reykjavik Daily")
    await engine.ingest()
    (story,) = (await engine.digest("2024-03-05")).stories
    assert story.article_ids == ["cod_accord", "cod_disputed"]
    return story


async def test_outlets_reporting_different_numbers_are_noted_with_both_citations(news):
    story = await disputed_story(news, DISPUTED_TONNES)

    (note,) = story.disagreements
    assert note.startswith("Sources differ on a number: ")
    first, second = (int(n) for n in re.findall(r"\[(\d+)\]", note))
    cited = {c.n: c for c in story.citations}
    assert ACCORD_TONNES in cited[first].quote and cited[first].source == "Nordic Wire"
    assert "45,000 tonnes" in cited[second].quote and cited[second].source == "Reykjavik Daily"
    assert f"{ACCORD_TONNES} [{first}]" in note and f"45,000 tonnes [{second}]" in note
    assert_cited(story)


async def test_the_same_figure_for_another_time_is_not_a_disagreement(news):
    story = await disputed_story(news, EARLIER_CATCH)

    # The two sentences are close enough in meaning to be compared, and their numbers differ ...
    sentences = await news.corpus.sentences_of_articles(story.article_ids)
    accord = next(s for s in sentences if ACCORD_TONNES in s.text)
    earlier = next(s for s in sentences if "38,000" in s.text)
    assert float(np.dot(accord.embedding, earlier.embedding)) >= SAME_CLAIM_COSINE
    # ... but 2019 is another event than Monday's accord: no false alarm.
    assert story.disagreements == []
    assert differing_fact(accord.text, earlier.text) is None


@pytest.mark.parametrize("first, second, expected", [
    ("The ministers signed the accord on Monday.", "The ministers signed the accord on Tuesday.",
     ("the date", "Monday", "Tuesday")),
    ('"We will not give in," Solberg said on Monday.', '"We will not give in," Einarsson said on Monday.',
     ("who said it", "Solberg", "Einarsson")),
    # Two people saying much the same thing is not a dispute over who said it.
    ("Solberg said the accord was fair.", "Einarsson said the accord was fair.", None),
    ("Police said 12 people were killed in the blast.", "Police said 15 people were killed in the blast.",
     ("a number", "12 people", "15 people")),
    # Different places: two blasts, not one disputed toll.
    ("Police said 12 people were killed in the blast in Kabul.",
     "Police said 15 people were killed in the blast in Kandahar.", None),
    # A number and a date both differ: another event.
    ("12 people were killed on Monday.", "15 people were killed on Friday.", None),
    ("Jaishankar spoke to Lavrov on January 4.", "Jaishankar spoke to Lavrov on Jan. 4.", None),
])
def test_the_disagreement_rule(first, second, expected):
    assert differing_fact(first, second) == expected


# -- the seed corpus with a real small model -----------------------------------------------------

async def test_the_seed_corpus_digest_has_both_reports_of_jaishankars_calls(engine):
    latest = await engine.digest()
    assert latest.date == "2023-12-28"
    assert [s.article_ids for s in latest.stories] == [["001_66bc5cd5d1c12ee4"]]

    calls = await engine.digest("2022-01-05")
    assert len(calls.stories) == 1  # ETV Bharat and Hindustan Times on Jaishankar's calls: one story
    (story,) = calls.stories
    assert [a[:3] for a in story.article_ids] == ["000", "004"] and story.source_count == 2
    assert_cited(story)
    # The model is shown who did what: the calls with Blinken and Lavrov, not only the scene-setting lead.
    evidence = [e.sentence.text for e in await story_evidence(engine.corpus, await members_of(
        engine, "2022-01-05", story.article_ids[0]))]
    assert any("Blinken" in s and "Lavrov" in s for s in evidence)


async def test_a_real_small_model_summarises_the_seed_day_verified_or_quoted(db_copy, tmp_path, embedder):
    config = EngineConfig(db_path=db_copy, corpus_dir=CORPUS, model="smollm2", runtime="llama.cpp",
                          model_cache=tmp_path, generation_timeout_s=120)
    engine = await Engine.open(config, embedder=embedder)
    try:
        (story,) = (await engine.digest("2022-01-05")).stories
        assert engine.answerer.models.load_error is None
        assert_cited(story)
        if story.mode == "generated":
            assert_verified(story)
        else:
            assert story == (await build_digest(engine.corpus, "2022-01-05")).stories[0]
    finally:
        await engine.close()


async def test_a_read_only_store_still_gets_its_digest_written(news, embedder, fake_model):
    folder = news.config.corpus_dir
    cod_accord(folder)
    await news.ingest()

    config = EngineConfig(db_path=news.config.db_path, corpus_dir=folder, model_cache=news.config.model_cache,
                          read_only=True)
    reader = await Engine.open(config, generator=fake_model, embedder=embedder)
    try:
        (story,) = (await reader.digest("2024-03-05")).stories
    finally:
        await reader.close()
    assert story.mode == "generated"  # written, only not kept
    assert await stored_digests(news) == 0
