"""Answerability on a crowded corpus (../shared/news-dev, 104 State Department releases):
a question is answered only from evidence that meets its own names, times and asked-for
figure where that evidence stands; related material is offered as ``partial``, never as the
answer. Questions here are our own, not the eval set's, so they check the mechanism."""

from __future__ import annotations

import pytest

from summarizer.answering.answerer import PASSAGES_CONSIDERED
from summarizer.retrieval.evidence import assess_support, select_evidence


async def verdict(engine, question: str):
    ranked, vector = await engine.index.rank(question, limit=PASSAGES_CONSIDERED)
    findings = await select_evidence(engine.corpus, question, vector, ranked, engine.index.articles)
    return findings, assess_support(findings, vector)


@pytest.mark.parametrize("question, titled", [
    ("Who did Secretary Blinken speak with in Haiti's government after the assassination of President Moïse?",
     "Secretary Blinken’s Call with Haitian Prime Minister Henry"),
    ("who did blinken meet from uzbekistan in july 2021", "Secretary Blinken’s Meeting with Uzbekistan Foreign Minister Kamilov"),
    ("Which ISIS-GS leader did the State Department designate as a terrorist in June 2021?",
     "State Department Terrorist Designation of Ousmane Illiassou Djibo"),
])
async def test_questions_the_releases_answer_are_answered_from_the_right_release(news_engine, question, titled):
    findings, support = await verdict(news_engine, question)
    assert support.enough, support
    assert titled in {e.article.title for e in findings.evidence}
    assert all(not e.unmet for e in findings.evidence)


@pytest.mark.parametrize("question, missing", [
    # the right people and action, another month or year
    ("Who did Secretary Blinken speak with in Haiti's government in March 2021?", "March 2021"),
    ("Which ISIS-GS leader did the State Department designate as a terrorist in 2013?", "2013"),
    # the same kind of action, another party
    ("Which Ecuadorian ISIS-GS leader did the State Department designate as a terrorist?", "Ecuadorian"),
    ("who did blinken meet from kyrgyzstan in july 2021", "kyrgyzstan"),
])
async def test_near_misses_are_declined_with_what_they_lack(news_engine, fake_model, question, missing):
    findings, support = await verdict(news_engine, question)
    assert not support.enough
    assert any(missing in m for m in support.missing), support.missing
    answer = await news_engine.ask(question)
    assert answer.mode in ("partial", "refused")
    assert missing in answer.answer
    assert fake_model.calls == []  # nothing is generated from material that does not match


async def test_related_material_is_cited_as_not_the_answer(news_engine, fake_model):
    answer = await news_engine.ask("Who did Secretary Blinken speak with in Haiti's government in March 2021?")
    assert answer.mode == "partial"
    assert answer.answer.startswith("The briefing corpus has nothing on that: nothing matches March 2021.")
    assert len(answer.citations) == 1
    cited = answer.citations[0]
    assert f"“{cited.quote}” [1]" in answer.answer and cited.published and cited.published[:7] != "2021-03"


async def test_a_chat_style_question_gets_the_same_evidence_as_the_edited_one(news_engine):
    edited, edited_support = await verdict(news_engine, "Who did Belarus arrest after forcing the Ryanair flight "
                                                        "down in Minsk?")
    chat, chat_support = await verdict(news_engine, "who did belarus arrest after forcing the ryanair flight down in minsk")
    assert edited_support.enough and chat_support.enough
    assert [e.entities for e in (edited.constraints, chat.constraints)][0] != ()
    assert [e.text.lower() for e in edited.constraints.entities] == [e.text.lower() for e in chat.constraints.entities]
    assert "Pratasevich" in " ".join(e.sentence.text for e in chat.evidence)


async def test_a_journalists_question_is_never_evidence(news_engine):
    findings, _ = await verdict(news_engine, "What did Ned Price say about Haiti and Cuba?")
    texts = [e.sentence.text for e in findings.evidence + findings.related]
    assert texts and not any(t.rstrip(" ”\"’").endswith("?") or t.startswith("QUESTION:") for t in texts)


async def test_the_occasion_asked_about_is_where_the_evidence_stands(news_engine):
    """Blinken met Ramirez in May and spoke with her by phone in July: what was said on the call
    answers a question about the call, not the meeting."""
    findings, support = await verdict(news_engine, "What did Blinken and Ramirez discuss during their phone call?")
    assert support.enough
    assert {e.article.title for e in findings.evidence} == {
        "Secretary Blinken’s Call with Colombian Vice President and Foreign Minister Ramirez"}
    assert any("Meeting" in e.article.title and "their phone call" in e.unmet for e in findings.related)


async def test_a_name_typed_in_lower_case_is_a_constraint_even_when_retrieval_misses_it(news_engine):
    """How the corpus writes "kamilov" is judged where it occurs, even when the passages
    retrieved for the question (here: other phone calls) do not hold it."""
    question = "what did blinken n kamilov discuss during their call"
    other_calls, vector = await news_engine.index.rank("Secretary Blinken spoke by phone", limit=PASSAGES_CONSIDERED)
    findings = await select_evidence(news_engine.corpus, question, vector, other_calls, news_engine.index.articles)
    assert [e.text for e in findings.constraints.entities] == ["blinken", "kamilov"]
    assert not findings.evidence


async def test_a_call_that_never_happened_is_declined_with_the_meeting_that_did(news_engine, fake_model):
    """Kamilov met Blinken but never spoke with him by phone in these releases."""
    answer = await news_engine.ask("what did blinken n kamilov discuss during their call")
    assert answer.mode == "partial" and fake_model.calls == []
    assert answer.answer.startswith("The briefing corpus has nothing on that: nothing matches their call.")
    assert "Kamilov" in answer.answer and "Meeting" in answer.citations[0].title


async def test_for_which_country_the_evidence_naming_a_country_comes_first(news_engine):
    findings, support = await verdict(news_engine, "Which countries in the region did Blinken raise when he spoke "
                                                   "with Ramirez?")
    assert support.enough and findings.constraints.answer_kind == "country"
    names_one = [findings.addresses(e.sentence.text) for e in findings.evidence]
    assert names_one[0] and names_one == sorted(names_one, reverse=True)
    assert any("Nicaragua" in e.sentence.text for e in findings.evidence[:2])
