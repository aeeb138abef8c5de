"""The refusal rules (summarizer/retrieval/evidence.py): which sentences an answer may rest on, and
whether they suffice. Checked on the seed corpus both directly (select_evidence and
assess_support fed by the engine's own index) and as the user sees it (Engine.ask refuses
without calling the model)."""

from __future__ import annotations

import pytest

from summarizer.answering.answerer import PASSAGES_CONSIDERED
from summarizer.retrieval.constraints import Constraints, read_constraints
from summarizer.retrieval.evidence import EVIDENCE_SENTENCES, Findings, assess_support, select_evidence
from summarizer.retrieval.search import Filters

QUAD = "What did Lavrov say about the Quad?"


async def evidence_for(engine, question: str, filters: Filters = Filters()):
    """The evidence and verdict for ``question``, computed as Engine.ask computes them."""
    ranked, vector = await engine.index.rank(question, filters=filters, limit=PASSAGES_CONSIDERED)
    findings = await select_evidence(engine.corpus, question, vector, ranked, engine.index.articles)
    return findings.evidence, assess_support(findings, vector)


async def test_a_question_the_corpus_answers_is_supported_by_distinct_verbatim_statements(engine):
    evidence, support = await evidence_for(engine, QUAD)
    assert support.enough and support.missing == ()
    assert 0 < len(evidence) <= EVIDENCE_SENTENCES
    assert evidence[0].article.id[:3] in {"002", "003"}  # Lavrov's Delhi visit
    assert any("Asian NATO" in e.sentence.text for e in evidence)
    assert len({e.sentence.text for e in evidence}) == len(evidence)
    for e in evidence:
        assert e.sentence.text in e.passage.text and e.passage.text in e.article.body
        assert e.sentence.article_id == e.article.id == e.passage.article_id
        assert e.sentence.text.rstrip()[-1] in ".!?\"”’)"  # statements, not headings or labels


async def test_headings_are_never_evidence(engine):
    evidence, _ = await evidence_for(engine, "What happened at the S Jaishankar – Sergey Lavrov meeting?")
    assert evidence
    assert all(e.sentence.text != "S Jaishankar – Sergey Lavrov Meeting" for e in evidence)


@pytest.mark.parametrize("question, missing", [
    ("What did Macron say about the Quad?", "Macron"),  # a person absent from the corpus
    ("What did Jaishankar and Xi Jinping discuss?", "Jinping"),
    ("What did Jaishankar discuss with Lavrov in March 2022?", "March"),  # the right people, another date
    ("What did Lavrov say about the Quad in 2019?", "2019"),
    ("What did Lavrov say about the Quad at the G20 in 2024?", "G20"),
    ("What is the capital of France?", "France"),
])
async def test_questions_naming_what_the_corpus_lacks_are_declined(engine, fake_model, question, missing):
    _, support = await evidence_for(engine, question)
    assert not support.enough and any(missing in m for m in support.missing)
    answer = await engine.ask(question)
    assert answer.mode in ("refused", "partial")
    assert answer.answer.startswith("The briefing corpus has nothing on that")
    if answer.mode == "partial":  # related material, offered as not the answer, with what it lacks
        assert missing in answer.answer and "The closest it has" in answer.answer
        assert len(answer.citations) == 1 and f"“{answer.citations[0].quote}” [1]" in answer.answer
    else:
        assert answer.citations == []
    assert fake_model.calls == []


@pytest.mark.parametrize("question", [
    "What did Jaishankar and Putin discuss in the Kremlin?",
    "What did Jaishankar and Lavrov discuss in December 2023?",
    "What is the India-Russia trade turnover?",  # a hyphenated name is one key term
    "Did Lavrov call the Quad an Asian NATO?",
])
async def test_questions_the_corpus_covers_are_answered(engine, fake_model, question):
    _, support = await evidence_for(engine, question)
    assert support.enough, support
    answer = await engine.ask(question)
    assert answer.mode == "generated" and answer.citations
    assert len(fake_model.calls) == 1


async def test_dates_and_outlets_count_from_article_metadata(engine):
    # "January" and "2022" appear only in the publication date of 000 and 004, not their text.
    _, support = await evidence_for(engine, "What did Jaishankar tweet in January 2022?")
    assert support.enough, support
    _, support = await evidence_for(engine, "What did Jaishankar tweet in January 2021?")
    assert not support.enough and support.missing == ("January 2021",)


async def test_a_date_filter_that_excludes_the_event_refuses_and_says_why(engine, fake_model):
    question = "What did Jaishankar and Putin discuss in the Kremlin?"
    _, support = await evidence_for(engine, question, Filters(until="2022-12-31"))
    assert not support.enough
    answer = await engine.ask(question, until="2022-12-31")
    assert answer.mode in ("refused", "partial") and "selected date range or outlet" in answer.answer
    nothing = await engine.ask(QUAD, since="2030-01-01")  # no article at all in range
    assert nothing.mode == "refused" and nothing.citations == []
    assert fake_model.calls == []


async def test_a_date_filter_keeps_evidence_inside_the_range(engine, fake_model):
    evidence, support = await evidence_for(engine, "What did Jaishankar and Lavrov discuss?",
                                           Filters(since="2023-01-01"))
    assert support.enough and evidence
    assert {e.article.id[:3] for e in evidence} == {"001"}
    answer = await engine.ask("What did Jaishankar and Lavrov discuss?", since="2023-01-01")
    assert answer.mode == "generated" and {c.published for c in answer.citations} == {"2023-12-28"}


async def test_no_evidence_is_never_enough(engine):
    vector = await engine.index.embed(QUAD)
    support = assess_support(Findings([], [], Constraints()), vector)
    assert not support.enough and support.best_cosine == 0.0


def test_constraints_are_names_figures_and_times():
    corpus_words = {"lavrov", "quad", "india", "russia", "trade", "turnover", "remark", "washington", "upset"}
    cased = {"lavrov", "quad", "india", "russia", "washington"}
    c = read_constraints("What did Lavrov say about the Quad in 2019?", corpus_cased=cased, corpus_known=corpus_words)
    assert [e.text for e in c.entities] == ["Lavrov", "Quad"] and [p.text for p in c.periods] == ["2019"]
    c = read_constraints("What is the India-Russia trade turnover?", corpus_cased=cased, corpus_known=corpus_words)
    assert [e.text for e in c.entities] == ["India-Russia"] and not c.periods
    c = read_constraints("Did Lavrov's remarks on S-400 upset Washington?", corpus_cased=cased,
                         corpus_known=corpus_words)
    assert [e.text for e in c.entities] == ["Lavrov", "S-400", "Washington"]
    assert read_constraints("What did he say?", corpus_cased=cased, corpus_known=corpus_words).entities == ()


def test_chat_style_questions_read_like_edited_ones():
    known = {"belarus", "ryanair", "minsk", "arrest", "forcing", "flight", "budget", "request", "state", "usaid"}
    cased = {"belarus", "ryanair", "minsk", "usaid"}
    chat = read_constraints("who did belarus arrest after forcing the ryanair flight down in minsk",
                            corpus_cased=cased, corpus_known=known)
    edited = read_constraints("Who did Belarus arrest after forcing the Ryanair flight down in Minsk?",
                              corpus_cased=cased, corpus_known=known)
    assert [e.text.lower() for e in chat.entities] == [e.text.lower() for e in edited.entities] \
        == ["belarus", "ryanair", "minsk"]
    budget = read_constraints("how much was the fy2022 budget request for state n usaid", corpus_cased=cased,
                              corpus_known=known)
    assert budget.wants_quantity and ["fy", "2022"] in [list(e.parts) for e in budget.entities]
    assert "n" not in budget.unknown  # chat shorthand for "and", not a name
    dated = read_constraints("whats the latest on the iran talks in december 2021", corpus_cased=cased,
                             corpus_known=known)
    assert [p.text for p in dated.periods] == ["december 2021"]


async def test_a_lower_case_question_about_an_absent_person_is_declined(engine, fake_model):
    answer = await engine.ask("what did macron say about the quad?")
    assert answer.mode in ("refused", "partial") and "macron" in answer.answer.lower()
    assert fake_model.calls == []


async def test_a_question_opening_with_an_absent_name_is_declined(engine, fake_model):
    answer = await engine.ask("Macron said what about the Quad?")
    assert answer.mode in ("refused", "partial")
    assert fake_model.calls == []


async def test_a_lower_case_question_about_a_known_person_is_answered(engine, fake_model):
    answer = await engine.ask("what did lavrov say about the quad")
    assert answer.mode == "generated" and answer.citations


async def test_a_question_about_another_country_is_not_answered_with_this_one(engine, fake_model):
    """Wrong entity, same shape: the corpus has Lavrov on the Quad, not Lavrov on Argentina."""
    answer = await engine.ask("What did Lavrov say about Argentina and the Quad?")
    assert answer.mode in ("refused", "partial") and "Argentina" in answer.answer
    assert fake_model.calls == []
