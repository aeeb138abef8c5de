"""Rendering: Discord's limits, clean splits, and inert user and article text."""

from __future__ import annotations

import re

import discord
import pytest

from bot import render
from summarizer.results import Answer, Citation, Digest, DigestStory, SearchHit

MARKER = re.compile(r"\[\d+\]")


def citation(n: int, *, quote: str = "Lavrov called the Quad an Asian NATO.", source: str | None = "Outlet",
             title: str = "A title", passage: str = "Lavrov called the Quad an Asian NATO. He said more.") -> Citation:
    return Citation(n, f"a{n}", title, source, "2021-04-06", f"a{n}.txt", quote, passage)


def answer(body: str, citations: list[Citation] | None = None, *, question: str = "What about the Quad?",
           mode: str = "generated", cached: bool = False) -> Answer:
    return Answer(question, body, mode, cached, citations if citations is not None else [citation(1)],
                  "qwen@llama.cpp", {"total": 1234.0})


def cited_sentences(count: int) -> str:
    return " ".join(f"Sentence {i} says something about the Quad and India [{i % 9 + 1}][{(i + 1) % 9 + 1}]."
                    for i in range(count))


def assert_within_limits(embeds: list[discord.Embed]) -> None:
    for embed in embeds:
        assert len(embed) <= render.EMBED_TOTAL_LIMIT
        assert len(embed.title or "") <= render.TITLE_LIMIT
        assert len(embed.description or "") <= render.DESCRIPTION_LIMIT
        assert len(embed.fields) <= render.FIELD_COUNT_LIMIT
        for field in embed.fields:
            assert len(field.name) <= render.FIELD_NAME_LIMIT and len(field.value) <= render.FIELD_VALUE_LIMIT
    for batch in render.message_batches(embeds):
        assert len(batch) <= render.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in batch) <= render.EMBED_TOTAL_LIMIT


# -- splitting ------------------------------------------------------------------------------------

def test_a_5000_character_answer_splits_between_sentences_keeping_every_marker():
    body = cited_sentences(84)
    assert 5000 <= len(body) < 5100

    chunks = render.split_text(body, render.DESCRIPTION_LIMIT)

    assert len(chunks) == 2
    assert all(len(c) <= render.DESCRIPTION_LIMIT for c in chunks)
    assert all(c.endswith("].") for c in chunks)  # each chunk ends a sentence, marker included
    assert " ".join(chunks) == body
    assert sum(len(MARKER.findall(c)) for c in chunks) == len(MARKER.findall(body))


def test_paragraph_breaks_are_preferred_to_sentence_breaks():
    first, second = "A" * 60 + ".", "B" * 60 + "."
    assert render.split_text(f"{first}\n\n{second}", 100) == [first, second]
    assert render.split_text(f"{first}\n\nShort.", 100) == [f"{first}\n\nShort."]


def test_a_sentence_longer_than_the_limit_breaks_between_words_not_inside_markers():
    sentence = " ".join(["word"] * 30) + " [12]."
    chunks = render.split_text(sentence, 40)

    assert all(len(c) <= 40 for c in chunks)
    assert chunks[-1].endswith("[12].")
    assert " ".join(chunks) == sentence


def test_truncate_cuts_at_a_word_and_never_leaves_half_a_marker_or_an_escape():
    assert render.truncate("short", 10) == "short"
    assert render.truncate("one two three four", 12) == "one two…"
    assert render.truncate("claim one [1] claim two [12]", 27) == "claim one [1] claim two…"
    assert not render.truncate("a " * 10 + "\\*" * 10, 25).endswith("\\…")


# -- safety ---------------------------------------------------------------------------------------

def test_escape_neutralises_markdown_mentions_and_invisible_characters():
    text = "**bold** @everyone <@123456789012345678> [link](https://x.test) evil\u202egpj.exe zero\u200bwidth"

    escaped = render.escape(text)

    assert "\\*\\*bold\\*\\*" in escaped
    assert "@\u200beveryone" in escaped and "<@\u200b123456789012345678>" in escaped
    assert "\\[link](https://x.test)" in escaped
    assert "\u202e" not in escaped and "zerowidth" in escaped


def test_article_text_in_an_answer_cannot_ping_or_restyle():
    rendered = render.answer_embeds(answer("He told @here to read **this** [1].",
                                           [citation(1, quote="@everyone read", title="# Breaking")]))[0]

    assert "@\u200bhere" in rendered.description and "\\*\\*this\\*\\*" in rendered.description
    assert "@\u200beveryone" in rendered.fields[0].value
    assert "\\# Breaking" in rendered.fields[0].name


# -- answers --------------------------------------------------------------------------------------

def test_answer_embed_has_sources_and_a_footer_naming_the_mode():
    embed, = render.answer_embeds(answer("The Quad is an Asian NATO, Lavrov said [1].", cached=True))

    assert embed.title == "What about the Quad?"
    assert embed.fields[0].name == "[1] Outlet — A title"
    assert embed.fields[0].value == "2021-04-06 · “Lavrov called the Quad an Asian NATO.”"
    assert embed.footer.text == "Generated · cached · model qwen@llama.cpp · 1.2 s"


def test_extractive_and_refused_answers_say_so():
    extractive, = render.answer_embeds(answer("Quoted [1].", mode="extractive"))
    refused, = render.answer_embeds(Answer("Who won the cup?", "The briefing corpus has nothing on that.",
                                           "refused", False, [], "m", {"total": 5.0}, ["India-Russia ties"]))

    assert extractive.footer.text.startswith("Extractive (quoted from the sources)")
    assert refused.footer.text.startswith("Not in the corpus")
    assert "• India-Russia ties" in refused.description


def test_many_long_sources_spill_into_more_embeds_within_every_limit():
    citations = [citation(n, quote="Q" * 1500, title="T" * 300, source="S" * 100) for n in range(1, 31)]
    embeds = render.answer_embeds(answer(cited_sentences(90), citations))

    assert_within_limits(embeds)
    assert sum(len(e.fields) for e in embeds) == 30
    assert len(render.message_batches(embeds)) > 1
    assert all(e.footer.text for e in embeds)


def test_the_question_is_recovered_from_an_answer_embed_for_follow_ups():
    question = "What did *Lavrov* say about the Quad_grouping?"
    embeds = render.answer_embeds(answer(cited_sentences(90), question=question))

    assert [render.question_of_answer(e) for e in embeds] == [question] * len(embeds)
    assert render.question_of_answer(render.digest_embeds(Digest("2022-01-05", []))[0]) is None


def test_evidence_shows_each_cited_passage():
    embeds = render.evidence_embeds(answer("x [1][2].", [citation(1), citation(2, passage="Other passage.")]))

    assert "**[1] Outlet — A title** (2021-04-06)\nLavrov called the Quad an Asian NATO. He said more." \
        in embeds[0].description
    assert "Other passage." in embeds[0].description


# -- lists and digests ----------------------------------------------------------------------------

def test_search_results_are_paged_with_page_numbers():
    hits = [SearchHit(n, f"a{n}", f"Title {n}", "Outlet", "2022-01-05", "p", "text " * 150, 1.0)
            for n in range(7)]

    pages = render.search_pages("quad", hits)

    assert [p.footer.text for p in pages] == ["Page 1 of 3", "Page 2 of 3", "Page 3 of 3"]
    assert all(p.title == "Search: quad" for p in pages)
    assert_within_limits(pages)


def test_an_empty_list_says_so():
    page, = render.search_pages("nothing", [])
    assert page.description == "No passages match that search."


def test_digest_groups_stories_with_their_source_count():
    story = DigestStory("India balances US and Russia", "Jaishankar spoke to Blinken [1] and Lavrov [2].",
                        [citation(1, source="ETV Bharat"), citation(2, source="Hindustan Times")], ["a1", "a2"])

    embed, = render.digest_embeds(Digest("2022-01-05", [story]))

    assert embed.title == "Daily digest — 2022-01-05"
    assert embed.fields[0].name == "India balances US and Russia · 2 sources"
    assert embed.fields[0].value.endswith("[1] ETV Bharat; [2] Hindustan Times")


@pytest.mark.parametrize("count", [1, 30])
def test_digests_of_any_size_fit(count):
    stories = [DigestStory("H" * 300, "S" * 2000 + " [1].", [citation(1)], ["a1"]) for _ in range(count)]
    assert_within_limits(render.digest_embeds(Digest("2022-01-05", stories)))


# -- plain text -----------------------------------------------------------------------------------

def test_terminal_answer_lists_sources_and_strips_invisible_characters():
    text = render.format_answer_text(answer("The Quad\u202e is an Asian NATO [1]."))

    assert text.splitlines()[0] == "The Quad is an Asian NATO [1]."
    assert "[1] Outlet — A title (2021-04-06)" in text
    assert "“Lavrov called the Quad an Asian NATO.”" in text
    assert text.endswith("(Generated · model qwen@llama.cpp · 1.2 s)")


# -- views ----------------------------------------------------------------------------------------

async def test_expired_buttons_are_removed_from_their_message():
    class Message:
        def __init__(self) -> None:
            self.edits: list[dict] = []

        async def edit(self, **changes) -> None:
            self.edits.append(changes)

    view = render.EvidenceView(answer("x [1]."))
    view.message = Message()

    await view.on_timeout()

    assert view.message.edits == [{"view": None}]


async def test_the_pager_disables_the_buttons_at_either_end():
    pager = render.Pager([discord.Embed(title="1"), discord.Embed(title="2")], owner_id=1)

    assert (pager.previous_page.disabled, pager.next_page.disabled) == (True, False)
    pager.index = 1
    pager._sync_buttons()
    assert (pager.previous_page.disabled, pager.next_page.disabled) == (False, True)
