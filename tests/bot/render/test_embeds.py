"""Embeds for each engine result: within Discord's limits, inert, and saying what they are."""

from __future__ import annotations

import pytest

from bot.render import embeds, limits
from summarizer.results import Answer, Digest, DigestStory, SearchHit
from tests.bot.render.helpers import answer, assert_within_limits, citation, cited_sentences


# -- safety ---------------------------------------------------------------------------------------

def test_article_text_in_an_answer_cannot_ping_or_restyle():
    rendered = embeds.answer_embeds(answer("He told @here to read **this** [1].",
                                           [citation(1, quote="@everyone read", title="# Breaking")]))[0]

    assert "@\u200bhere" in rendered.description and "\\*\\*this\\*\\*" in rendered.description
    assert "@\u200beveryone" in rendered.fields[0].value
    assert "\\# Breaking" in rendered.fields[0].name


# -- answers --------------------------------------------------------------------------------------

def test_answer_embed_has_sources_and_a_footer_naming_the_mode():
    embed, = embeds.answer_embeds(answer("The Quad is an Asian NATO, Lavrov said [1].", cached=True))

    assert embed.title == "What about the Quad?"
    assert embed.fields[0].name == "[1] Outlet — A title"
    assert embed.fields[0].value == "2021-04-06 · “Lavrov called the Quad an Asian NATO.”"
    assert embed.footer.text == "Generated · cached · model qwen@llama.cpp · 1.2 s"


def test_extractive_and_refused_answers_say_so():
    extractive, = embeds.answer_embeds(answer("Quoted [1].", mode="extractive"))
    refused, = embeds.answer_embeds(Answer("Who won the cup?", "The briefing corpus has nothing on that.",
                                           "refused", False, [], "m", {"total": 5.0}, ["India-Russia ties"]))

    assert extractive.footer.text.startswith("Extractive (quoted from the sources)")
    assert refused.footer.text.startswith("Not in the corpus")
    assert "• India-Russia ties" in refused.description


def test_many_long_sources_spill_into_more_embeds_within_every_limit():
    citations = [citation(n, quote="Q" * 1500, title="T" * 300, source="S" * 100) for n in range(1, 31)]
    rendered = embeds.answer_embeds(answer(cited_sentences(90), citations))

    assert_within_limits(rendered)
    assert sum(len(e.fields) for e in rendered) == 30
    assert len(limits.message_batches(rendered)) > 1
    assert all(e.footer.text for e in rendered)


def test_the_question_is_recovered_from_an_answer_embed_for_follow_ups():
    question = "What did *Lavrov* say about the Quad_grouping?"
    rendered = embeds.answer_embeds(answer(cited_sentences(90), question=question))

    assert [embeds.question_of_answer(e) for e in rendered] == [question] * len(rendered)
    assert embeds.question_of_answer(embeds.digest_embeds(Digest("2022-01-05", []))[0]) is None


def test_evidence_shows_each_cited_passage():
    rendered = embeds.evidence_embeds(answer("x [1][2].", [citation(1), citation(2, passage="Other passage.")]))

    assert "**[1] Outlet — A title** (2021-04-06)\nLavrov called the Quad an Asian NATO. He said more." \
        in rendered[0].description
    assert "Other passage." in rendered[0].description


# -- lists and digests ----------------------------------------------------------------------------

def test_search_results_are_paged_with_page_numbers():
    hits = [SearchHit(n, f"a{n}", f"Title {n}", "Outlet", "2022-01-05", "p", "text " * 150, 1.0)
            for n in range(7)]

    pages = embeds.search_pages("quad", hits)

    assert [p.footer.text for p in pages] == ["Page 1 of 3", "Page 2 of 3", "Page 3 of 3"]
    assert all(p.title == "Search: quad" for p in pages)
    assert_within_limits(pages)


def test_an_empty_list_says_so():
    page, = embeds.search_pages("nothing", [])
    assert page.description == "No passages match that search."


def test_digest_groups_stories_with_their_source_count():
    story = DigestStory("India balances US and Russia", "Jaishankar spoke to Blinken [1] and Lavrov [2].",
                        [citation(1, source="ETV Bharat"), citation(2, source="Hindustan Times")], ["a1", "a2"])

    embed, = embeds.digest_embeds(Digest("2022-01-05", [story]))

    assert embed.title == "Daily digest — 2022-01-05"
    assert embed.fields[0].name == "India balances US and Russia · 2 sources"
    assert embed.fields[0].value.endswith("[1] ETV Bharat; [2] Hindustan Times")


@pytest.mark.parametrize("count", [1, 30])
def test_digests_of_any_size_fit(count):
    stories = [DigestStory("H" * 300, "S" * 2000 + " [1].", [citation(1)], ["a1"]) for _ in range(count)]
    assert_within_limits(embeds.digest_embeds(Digest("2022-01-05", stories)))
