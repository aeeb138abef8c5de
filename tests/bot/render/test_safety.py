"""Discord-free text safety, shared by the terminal and Discord."""

from __future__ import annotations

import summarizer.text
from bot.render import embeds, limits, safety, text
from tests.bot.render.helpers import answer, citation


def test_truncate_cuts_at_a_word_and_never_leaves_half_a_marker_or_an_escape():
    assert safety.truncate("short", 10) == "short"
    assert safety.truncate("one two three four", 12) == "one two…"
    assert safety.truncate("claim one [1] claim two [12]", 27) == "claim one [1] claim two…"
    assert not safety.truncate("a " * 10 + "\\*" * 10, 25).endswith("\\…")


def test_invisible_characters_have_one_definition_shared_with_the_summarizer():
    assert safety.INVISIBLE is summarizer.text.INVISIBLE


def test_soft_hyphens_are_stripped_on_the_terminal_and_on_discord():
    shown = answer("Lav\u00adrov called the Quad an Asian NATO [1].",
                   [citation(1, quote="Lav\u00adrov spoke.", title="Qu\u00adad")], question="What did Lav\u00adrov say?")

    terminal = text.format_answer_text(shown)
    discord_embed, = embeds.answer_embeds(shown)
    discord_text = " ".join([discord_embed.title, discord_embed.description, discord_embed.footer.text]
                            + [f"{f.name} {f.value}" for f in discord_embed.fields])

    assert safety.clean("soft\u00adhyphen") == "softhyphen"
    assert limits.escape("soft\u00adhyphen") == "softhyphen"
    assert "\u00ad" not in terminal and terminal.startswith("Lavrov called")
    assert "Lavrov spoke." in terminal and "Quad" in terminal
    assert "\u00ad" not in discord_text
    assert discord_embed.title == "What did Lavrov say?" and "Lavrov called" in discord_embed.description
