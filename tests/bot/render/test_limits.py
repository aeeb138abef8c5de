"""Discord's limits: clean splits, and inert user and article text."""

from __future__ import annotations

from bot.render import limits
from tests.bot.render.helpers import MARKER, cited_sentences


# -- splitting ------------------------------------------------------------------------------------

def test_a_5000_character_answer_splits_between_sentences_keeping_every_marker():
    body = cited_sentences(84)
    assert 5000 <= len(body) < 5100

    chunks = limits.split_text(body, limits.DESCRIPTION_LIMIT)

    assert len(chunks) == 2
    assert all(len(c) <= limits.DESCRIPTION_LIMIT for c in chunks)
    assert all(c.endswith("].") for c in chunks)  # each chunk ends a sentence, marker included
    assert " ".join(chunks) == body
    assert sum(len(MARKER.findall(c)) for c in chunks) == len(MARKER.findall(body))


def test_paragraph_breaks_are_preferred_to_sentence_breaks():
    first, second = "A" * 60 + ".", "B" * 60 + "."
    assert limits.split_text(f"{first}\n\n{second}", 100) == [first, second]
    assert limits.split_text(f"{first}\n\nShort.", 100) == [f"{first}\n\nShort."]


def test_a_sentence_longer_than_the_limit_breaks_between_words_not_inside_markers():
    sentence = " ".join(["word"] * 30) + " [12]."
    chunks = limits.split_text(sentence, 40)

    assert all(len(c) <= 40 for c in chunks)
    assert chunks[-1].endswith("[12].")
    assert " ".join(chunks) == sentence


# -- escaping -------------------------------------------------------------------------------------

def test_escape_neutralises_markdown_mentions_and_invisible_characters():
    text = "**bold** @everyone <@123456789012345678> [link](https://x.test) evil\u202egpj.exe zero\u200bwidth"

    escaped = limits.escape(text)

    assert "\\*\\*bold\\*\\*" in escaped
    assert "@\u200beveryone" in escaped and "<@\u200b123456789012345678>" in escaped
    assert "\\[link](https://x.test)" in escaped
    assert "\u202e" not in escaped and "zerowidth" in escaped
