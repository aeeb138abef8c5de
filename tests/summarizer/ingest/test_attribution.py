"""Attribution of quotations to their speakers (summarizer/ingest/attribution.py) on real
articles — the seed corpus and State Department transcripts from news-dev — and the backfill
that fills in databases made before speakers were stored."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from store import Corpus, Database
from summarizer.ingest.attribution import (
    QUESTION_SPEAKER,
    RULES_VERSION,
    Attribution,
    attribute,
    attribute_article,
    first_person,
    quoted_with_speaker,
    verbatim_words,
)
from summarizer.ingest.documents import read_article
from summarizer.ingest.pipeline import ingest
from tests.conftest import CORPUS, SHARED

NEWS_DEV = SHARED / "news-dev"


def attributions_of(path) -> dict[str, Attribution]:
    """sentence text → attribution, for a whole article read the way ingest reads it."""
    article = read_article(path)
    spans = [(s.start, s.end, s.text) for p in article.passages for s in p.sentences]
    return {text: a for (_, _, text), a in zip(spans, attribute_article(article.record.body, spans))}


def sentence(attributions: dict[str, Attribution], start: str) -> Attribution:
    [match] = [a for text, a in attributions.items() if text.startswith(start)]
    return match


@pytest.fixture(scope="module")
def indian_express():  # 003: Lavrov's visit to Delhi
    return attributions_of(next(CORPUS.glob("003_*.txt")))


@pytest.fixture(scope="module")
def etv_bharat():  # 000: Malhotra's interview, Jaishankar's tweet
    return attributions_of(next(CORPUS.glob("000_*.txt")))


def test_quote_before_its_speaker_resolves_a_title_to_the_person(indian_express):
    # "“We both agree …,” Russian minister said." — the Russian minister of the article is Lavrov,
    # named in full at first mention ("Russian Foreign minister Sergey Lavrov")
    assert sentence(indian_express, "“We both agree") == Attribution("Sergey Lavrov", True)


def test_speaker_then_aside_then_colon_quote(indian_express):
    # "Lavrov, responding to a question on … between Moscow and Beijing, said: “…”"
    assert sentence(indian_express, "Lavrov, responding to a question") == Attribution("Sergey Lavrov", True)
    assert sentence(indian_express, "Jaishankar echoed this:") == Attribution("S Jaishankar", True)


def test_quote_after_a_dangling_participle_is_the_only_recent_speakers(indian_express):
    # "Responding to a question on US pressure …, “… We did not discuss these statements from the USA …”":
    # Lavrov was quoted last, and no one else has been named since
    assert sentence(indian_express, "Responding to a question on US pressure") == Attribution("Sergey Lavrov", True)


def test_unattributed_quotation_gets_no_speaker(indian_express):
    # a term in quotation marks is the reporter's words, not a quotation
    assert sentence(indian_express, "In a bid to iron out divergences") == Attribution(None, False)
    said = attribute([
        "“We both agree on this,” Foreign Minister Sergey Lavrov said.",
        "Foreign Minister Subrahmanyam Jaishankar met him later.",
        "Responding to a question on sanctions, “We did not discuss these statements.”",
        "“It is a difficult time.”",
    ])
    assert said[0] == Attribution("Sergey Lavrov", True)
    assert said[2:] == [Attribution(None, False)] * 2  # two people could have answered; nobody is quoted


def test_two_speakers_in_one_sentence_are_not_merged(indian_express):
    # "Jaishankar called the cooperation “…” while Lavrov said bilateral ties were “…”"
    assert sentence(indian_express, "Jaishankar called the cooperation") == Attribution(None, False)


def test_quote_after_said_with_pronoun_in_the_same_sentence(indian_express):
    assert sentence(indian_express, "Jaishankar indicated as much") == Attribution("S Jaishankar", True)


def test_pronoun_speaker_resolves_to_the_speaker_before(etv_bharat):
    assert sentence(etv_bharat, "In an interview with ETV Bharat") == Attribution("Achal Malhotra", True)
    # "“Although …”, he added." and "“…”, he reiterated." follow Malhotra's quotation
    assert sentence(etv_bharat, '"Although India\'s relations') == Attribution("Achal Malhotra", True)
    assert sentence(etv_bharat, '"India doesn\'t believe') == Attribution("Achal Malhotra", True)
    # "“S-400 is …”, Malhotra pointed out." — a surname resolves to the full name first written
    assert sentence(etv_bharat, '"S-400 is in the national') == Attribution("Achal Malhotra", True)


def test_reported_speech_has_a_speaker_but_is_not_verbatim(etv_bharat):
    # "He recalled that there was a brief period …" (with a stray closing quotation mark)
    assert sentence(etv_bharat, "He recalled that") == Attribution("Achal Malhotra", False)
    seed_002 = attributions_of(next(CORPUS.glob("002_*.txt")))
    assert sentence(seed_002, "Lavrov also said that") == Attribution("Sergei Lavrov", False)
    assert sentence(seed_002, "Jaishankar and Lavrov clarified").speaker is None  # two speakers


def test_a_quotation_over_several_paragraphs_stays_with_its_speaker(etv_bharat):
    # Jaishankar tweeted, "Glad to … evening.¶ Discussed the follow up … ¶ … regular touch".
    assert sentence(etv_bharat, "Jaishankar tweeted") == Attribution("S Jaishankar", True)
    assert sentence(etv_bharat, "Discussed the follow up") == Attribution("S Jaishankar", True)
    assert sentence(etv_bharat, "Agreed to remain") == Attribution("S Jaishankar", True)


def test_a_name_inside_someone_elses_quotation_is_not_the_speaker(etv_bharat):
    # Jaishankar's tweet greets Lavrov: the sentence is Jaishankar's, never Lavrov's
    assert all(a.speaker != "Sergey Lavrov" for a in etv_bharat.values())


def test_he_added_after_reported_speech_is_the_earlier_speaker_not_the_last_name():
    ht = attributions_of(next(CORPUS.glob("004_*.txt")))
    # "Jaishankar said … he had spoken to Russian foreign minister Sergey Lavrov …" then
    # "“Agreed to remain in regular touch,” he added." — Jaishankar's words, though Lavrov was named last
    assert sentence(ht, "“Agreed to remain") == Attribution("S Jaishankar", True)
    assert sentence(ht, "A statement issued by the Russian embassy") == Attribution(None, False)


def test_transcript_turns_belong_to_their_labels():
    spiegel = attributions_of(NEWS_DEV / "2021-06-25-secretary-antony-j-blinken-with-rene-pfister-of-der-spiegel.txt")
    assert sentence(spiegel, "QUESTION: Let me start") == Attribution(QUESTION_SPEAKER, True)
    assert sentence(spiegel, "And my question is: Do you share") == Attribution(QUESTION_SPEAKER, True)
    assert sentence(spiegel, "SECRETARY BLINKEN: I think we all") == Attribution("Secretary Blinken", True)
    # the next paragraph of the same turn, without a label
    assert sentence(spiegel, "What we’ve seen, I think, working together") == Attribution("Secretary Blinken", True)
    assert sentence(spiegel, "Antony J. Blinken, Secretary of State") == Attribution(None, False)  # before any turn


def test_transcript_honorifics_resolve_to_the_name_given_in_the_article():
    briefing = attributions_of(next(NEWS_DEV.glob("2021-06-04-briefing-with-gayle-smith-*.txt")))
    assert sentence(briefing, "MR PRICE: Good afternoon") == Attribution("Price", True)
    assert sentence(briefing, "MS SMITH: Thank you, Ned.") == Attribution("Gayle Smith", True)
    assert sentence(briefing, "Our goal is to end the pandemic") == Attribution("Gayle Smith", True)


def test_transcript_roles_are_not_names():
    turns = attribute([
        "MODERATOR: Thank you for joining us.",
        "SENIOR STATE DEPARTMENT OFFICIAL: Thanks. We are looking at several options.",
        "QUESTION: Can you say more?",
        "AMBASSADOR THOMAS-GREENFIELD: I can.",
    ])
    assert [a.speaker for a in turns] == ["the moderator", "a senior State Department official", QUESTION_SPEAKER,
                                          "Ambassador Thomas-Greenfield"]
    assert all(a.verbatim for a in turns)


def test_stage_directions_in_a_turn_are_nobodys_words():
    turns = attribute(["MR PRICE: Thanks, everyone.", "(Applause.)", "(The briefing was concluded at 2:29 p.m.)",
                       "QUESTION: One more?"])
    assert turns == [Attribution("Price", True), Attribution(None, False), Attribution(None, False),
                     Attribution(QUESTION_SPEAKER, True)]


def test_a_dateline_is_not_a_transcript_label():
    said = attribute(["NEW DELHI: India and Russia signed a deal on Monday.",
                      "The deal covers defence supplies."])
    assert said == [Attribution(None, False), Attribution(None, False)]


def test_said_name_order_and_according_to():
    said = attribute([
        "Foreign Minister Sergey Lavrov arrived in Delhi on Tuesday.",
        "“We are interested in inclusive cooperation,” said Lavrov.",
        "According to Lavrov, “nothing has changed.”",
        "“It is a difficult time,” an official said.",
    ])
    assert said[1] == Attribution("Sergey Lavrov", True)
    assert said[2] == Attribution("Sergey Lavrov", True)
    assert said[3] == Attribution(None, False)  # "an official" names nobody


def test_first_person_outside_an_attributed_quotation():
    assert first_person("We did not discuss these statements from the USA.")
    assert first_person("Responding to a question, “We did not discuss these statements from the USA.”")
    assert not first_person("Lavrov said: “We did not discuss these statements from the USA.”")
    assert not first_person("“We both agree on this,” Russian minister said.")
    assert not first_person("The US and India discussed the S-400.")  # "US" is the country
    assert first_person("Jaishankar said our ties are strong.")


def test_quoted_with_speaker_keeps_the_words_and_does_not_double_quotes():
    assert quoted_with_speaker("We did not discuss these statements from the USA.", "Lavrov") == \
        "Lavrov said: “We did not discuss these statements from the USA.”"
    assert quoted_with_speaker("“We did not discuss these statements.”", "Sergey Lavrov") == \
        "Sergey Lavrov said: “We did not discuss these statements.”"


def test_verbatim_words_are_the_quoted_parts_or_the_whole_turn():
    assert verbatim_words("“We both agree on this,” Russian minister said.") == "We both agree on this"
    assert verbatim_words("Lavrov said ties were “valuable” and not “subjected to fluctuations”.") == \
        "valuable … subjected to fluctuations"
    assert verbatim_words("I think we all have to deal with the here and now.") == \
        "I think we all have to deal with the here and now."


# -- storage: the backfill of databases made before speakers were stored ------------------------------


async def test_database_from_before_attribution_is_backfilled_by_the_next_ingest(seed_db, tmp_path, embedder):
    path = tmp_path / "old.db"
    shutil.copy(seed_db, path)
    corpus_dir = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus_dir)
    _downgrade_to_migration_4(path)

    database = await Database.open(path)  # migrates to 0005: speaker NULL, verbatim 0 everywhere
    corpus = Corpus(database)
    try:
        assert await corpus.attribution_version() is None
        assert await corpus.verbatim_sentences("Lavrov") == []
        report = await ingest(corpus, embedder, [CORPUS])  # every file unchanged: nothing re-embedded
        assert report.sentences_embedded == 0 and report.attributed == 5
        assert await corpus.attribution_version() == RULES_VERSION
        assert await corpus.stories_linked()
        lavrov = [s.text for s in await corpus.verbatim_sentences("lavrov")]
        assert any(t.startswith("“We both agree") for t in lavrov)
        assert not [t for t in lavrov if t.startswith("Jaishankar tweeted")]

        version = await corpus.corpus_version()
        again = await ingest(corpus, embedder, [CORPUS])
        assert again.attributed == 0 and await corpus.corpus_version() == version  # idempotent
    finally:
        await database.close()


def _downgrade_to_migration_4(path) -> None:
    """Make a copy of a current database look exactly like one made before 0005."""
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX sentences_speaker")
        db.execute("ALTER TABLE sentences DROP COLUMN speaker")
        db.execute("ALTER TABLE sentences DROP COLUMN verbatim")
        db.execute("DELETE FROM meta WHERE key = 'attribution_version'")
        db.execute("ALTER TABLE answer_cache DROP COLUMN corpus_version")  # 0006
        db.execute("PRAGMA user_version = 4")
