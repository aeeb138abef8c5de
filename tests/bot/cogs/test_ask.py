"""Questions by mention, by reply and by /ask, through dpytest and the real CommandTree."""

from __future__ import annotations

import logging
import re

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import factories

from bot.cogs.ask import Cooldowns, follow_up_question, strip_mention
from bot.render.labels import MODE_LABELS
from bot.render.limits import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, escape
from summarizer.engine import Engine
from summarizer.results import Answer, Citation
from tests.bot.harness import CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, option

QUESTION = "What did Lavrov say about the Quad?"
NO_PINGS = {"parse": []}


def mention(bot) -> str:
    return f"<@{bot.user.id}>"


def only_message() -> discord.Message:
    message = dpytest.get_message()
    assert dpytest.verify().message().nothing(), "expected exactly one message"
    return message


# -- mentions -------------------------------------------------------------------------------------

async def test_mention_gets_a_cited_reply_that_pings_nobody(bot, alice, channel, sent_payloads, edited_payloads,
                                                            typing_in):
    asked = await dpytest.message(f"{mention(bot)} {QUESTION}", member=alice)

    # At once: the evidence quoted, cited, with a note that the summary follows.
    reply = only_message()
    draft = reply.embeds[0]
    assert draft.title == QUESTION
    assert "[1]" in draft.description
    assert draft.fields[0].name.startswith("[1] ")
    assert "“" in draft.fields[0].value  # the quoted evidence sentence
    assert draft.footer.text.startswith(MODE_LABELS["extractive"]) and "summary on the way" in draft.footer.text
    payload = sent_payloads[-1]
    assert payload["allowed_mentions"] == NO_PINGS
    assert payload["message_reference"]["message_id"] == asked.id
    # Then that same message becomes the generated answer: edited, not a second message.
    (edit,) = edited_payloads
    assert edit["id"] == reply.id
    final = discord.Embed.from_dict(edit["embeds"][0])
    assert final.title == QUESTION and "[1]" in final.description
    assert final.footer.text.startswith("Generated") and "summary on the way" not in final.footer.text
    assert edit["allowed_mentions"] == NO_PINGS
    assert typing_in == [channel]


async def test_messages_not_addressed_to_the_bot_are_ignored(bot, alice, fake_model):
    await dpytest.message(QUESTION, member=alice)

    assert dpytest.verify().message().nothing()
    assert fake_model.calls == []


async def test_reply_to_an_answer_asks_a_follow_up_with_the_original_question(bot, alice, channel):
    await dpytest.message(f"{mention(bot)} {QUESTION}", member=alice)
    answer_message = only_message()

    data = factories.make_message_dict(channel, alice, content="And what about China?")
    data["message_reference"] = {"message_id": answer_message.id, "channel_id": channel.id,
                                 "guild_id": channel.guild.id}
    data["referenced_message"] = factories.dict_from_message(answer_message)
    bot._connection.parse_message_create(data)
    await dpytest.run_all_events()

    follow_up = only_message()
    assert follow_up.embeds[0].title == f"{QUESTION} And what about China?"


async def test_reply_to_someone_else_is_ignored(bot, alice, bob, channel):
    said = await dpytest.message("Anyone seen the news?", member=bob)
    data = factories.make_message_dict(channel, alice, content="Yes")
    data["message_reference"] = {"message_id": said.id, "channel_id": channel.id, "guild_id": channel.guild.id}
    data["referenced_message"] = factories.dict_from_message(said)
    bot._connection.parse_message_create(data)
    await dpytest.run_all_events()

    assert dpytest.verify().message().nothing()


async def test_markdown_and_mentions_in_a_question_are_neutralised(bot, alice, sent_payloads):
    await dpytest.message(f"{mention(bot)} **Lavrov** @everyone <@&123456789012345678> on the Quad?",
                          member=alice)

    title = only_message().embeds[0].title
    assert "\\*\\*Lavrov\\*\\*" in title
    assert "@everyone" not in title and "@\u200beveryone" in title
    assert "<@&123" not in title
    assert sent_payloads[-1]["allowed_mentions"] == NO_PINGS


async def test_an_unaskable_question_gets_the_engines_explanation(bot, alice):
    await dpytest.message(mention(bot), member=alice)

    assert "The question is empty" in only_message().content


async def test_unexpected_failure_gets_an_apology_and_is_logged(bot, alice, engine, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("index exploded")
    monkeypatch.setattr(engine, "ask", broken)

    with caplog.at_level(logging.ERROR):
        await dpytest.message(f"{mention(bot)} {QUESTION}", member=alice)

    assert only_message().content == escape(
        "Sorry, something went wrong while answering that. The error has been logged.")
    assert "index exploded" in caplog.text


@pytest.mark.parametrize("ask_cooldown", [60.0])
async def test_asking_again_too_soon_is_told_how_long_to_wait(bot, alice):
    await dpytest.message(f"{mention(bot)} {QUESTION}", member=alice)
    assert dpytest.get_message().embeds
    await dpytest.message(f"{mention(bot)} And China?", member=alice)

    assert 50 <= seconds_to_wait(only_message().content) <= 60


@pytest.mark.parametrize("length, fewest_messages", [(5000, 1), (14000, 3)])
async def test_a_long_answer_is_split_within_discords_limits(bot, alice, engine, monkeypatch, sent_payloads,
                                                             length, fewest_messages):
    answer = long_answer(length)
    monkeypatch.setattr(engine, "ask", _returning(answer))

    await dpytest.message(f"{mention(bot)} {QUESTION}", member=alice)

    assert len(sent_payloads) >= fewest_messages
    descriptions = []
    for payload in sent_payloads:
        embeds = [discord.Embed.from_dict(e) for e in payload["embeds"]]
        assert sum(len(e) for e in embeds) <= EMBED_TOTAL_LIMIT
        assert all(len(e.description or "") <= DESCRIPTION_LIMIT for e in embeds)
        assert payload["allowed_mentions"] == NO_PINGS
        descriptions += [e.description for e in embeds if e.description]
    assert len(descriptions) >= 2
    assert all(d.rstrip().endswith("[1].") for d in descriptions)  # split between sentences
    assert " ".join(descriptions).split() == answer.answer.split()  # nothing lost, nothing cut
    assert [bool(p.get("components")) for p in sent_payloads] == [False] * (len(sent_payloads) - 1) + [True]


async def test_show_evidence_reveals_the_passages_only_to_the_clicker(bot, alice, bob, channel, interactions,
                                                                     edited_payloads):
    await dpytest.message(f"{mention(bot)} {QUESTION}", member=alice)
    answer_message = only_message()
    (final,) = edited_payloads

    sent = await interactions.click("Show evidence", answer_message.id, member=bob, channel=channel,
                                    components=final["components"])

    assert sent[0].response_type == CHANNEL_MESSAGE
    assert sent[0].ephemeral
    assert "Evidence" in sent[0].embeds[0].title
    assert "Lavrov" in sent[0].embeds[0].description


async def test_show_evidence_works_after_a_restart(bot, start_bot, engine, alice, channel, interactions,
                                                  edited_payloads, embedder, fake_model):
    await dpytest.message(f"{mention(bot)} {QUESTION}", member=alice)
    answer_message = only_message()
    (final,) = edited_payloads
    (button,) = final["components"][0]["components"]
    assert re.fullmatch(r"briefbot:evidence:[0-9a-f]{32}", button["custom_id"])

    # A new process: a new engine on the same database file, a new bot with no views in memory.
    reopened = await Engine.open(engine.config, generator=fake_model, embedder=embedder)
    try:
        interactions.bot = await start_bot(reopened)
        config = dpytest.get_config()
        sent = await interactions.click("Show evidence", answer_message.id, member=config.members[1],
                                        channel=config.channels[0], components=final["components"])
    finally:
        await reopened.close()

    assert sent[0].ephemeral and "Lavrov" in sent[0].embeds[0].description


async def test_evidence_of_an_unknown_answer_is_explained(bot, bob, channel, interactions):
    components = [{"type": 1, "components": [{"type": 2, "style": 2, "label": "Show evidence",
                                              "custom_id": "briefbot:evidence:" + "0" * 32}]}]

    sent = await interactions.click("Show evidence", 1, member=bob, channel=channel, components=components)

    assert sent[0].ephemeral and "no longer stored" in sent[0].content


async def test_a_channel_the_bot_cannot_post_in_is_logged_not_raised(bot, alice, channel, caplog):
    await dpytest.set_permission_overrides(channel.guild.default_role, channel, send_messages=False)

    with caplog.at_level(logging.WARNING):
        await dpytest.message(f"{mention(bot)} {QUESTION}", member=alice)

    assert dpytest.verify().message().nothing()
    assert f"could not answer in channel {channel.id}" in caplog.text


# -- /ask -----------------------------------------------------------------------------------------

async def test_slash_ask_defers_then_follows_up_with_the_answer(bot, alice, channel, interactions):
    sent = await interactions.slash("ask", [option("question", QUESTION)], member=alice, channel=channel)

    # Deferred, then the quoted draft, then that same message edited into the generated answer.
    assert [s.kind for s in sent] == ["response", "followup", "edit"]
    assert sent[0].response_type == DEFERRED_CHANNEL_MESSAGE
    draft, answer = sent[1], sent[2]
    assert "summary on the way" in draft.embeds[0].footer.text and "[1]" in draft.embeds[0].description
    assert answer.message_id == draft.message_id
    assert answer.embeds[0].title == QUESTION and "[1]" in answer.embeds[0].description
    assert answer.embeds[0].footer.text.startswith("Generated")
    assert answer.allowed_mentions == draft.allowed_mentions == NO_PINGS
    assert answer.button_labels == draft.button_labels == ["Show evidence"]
    assert not draft.ephemeral


async def test_slash_ask_passes_date_and_outlet_filters(bot, alice, channel, interactions):
    sent = await interactions.slash("ask", [option("question", QUESTION), option("since", "2030-01-01"),
                                            option("source", "Hindustan Times")], member=alice, channel=channel)

    answer = sent[-1].embeds[0]
    assert answer.footer.text.startswith(MODE_LABELS["refused"])
    assert "selected date range or outlet" in answer.description


async def test_slash_ask_with_a_bad_date_is_refused_privately(bot, alice, channel, interactions, fake_model):
    sent = await interactions.slash("ask", [option("question", QUESTION), option("since", "last week")],
                                    member=alice, channel=channel)

    assert len(sent) == 1 and sent[0].ephemeral
    assert "is not a date" in sent[0].content
    assert fake_model.calls == []


@pytest.mark.parametrize("ask_cooldown", [30.0])
async def test_slash_ask_cooldown_is_told_privately(bot, alice, channel, interactions, fake_model):
    await interactions.slash("ask", [option("question", QUESTION)], member=alice, channel=channel)
    sent = await interactions.slash("ask", [option("question", "And China?")], member=alice, channel=channel)

    assert len(sent) == 1 and sent[0].ephemeral and sent[0].response_type == CHANNEL_MESSAGE
    assert 20 <= seconds_to_wait(sent[0].content) <= 30
    assert len(fake_model.calls) == 1


async def test_slash_ask_failure_is_an_apology_and_logged(bot, alice, channel, interactions, engine, monkeypatch,
                                                          caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("model on fire")
    monkeypatch.setattr(engine, "ask", broken)

    with caplog.at_level(logging.ERROR):
        sent = await interactions.slash("ask", [option("question", QUESTION)], member=alice, channel=channel)

    assert sent[-1].ephemeral and "Sorry, something went wrong" in sent[-1].content
    assert "model on fire" in caplog.text


async def test_source_autocomplete_offers_the_corpus_outlets(bot, alice, channel, interactions):
    choices = await interactions.autocomplete("ask", [option("question", QUESTION),
                                                      option("source", "times", focused=True)],
                                              member=alice, channel=channel)

    assert [c["value"] for c in choices] == ["Hindustan Times"]


# -- helpers --------------------------------------------------------------------------------------

def test_strip_mention_removes_the_bots_mentions_only():
    assert strip_mention("<@42> what <@!42> now <@7>", 42) == "what   now <@7>"
    assert strip_mention("<@&9> what <@&8>", 42, role_id=9) == "what <@&8>"


def test_follow_up_keeps_the_earlier_question_as_context():
    assert follow_up_question("What about the Quad?", "And China?") == "What about the Quad? And China?"
    assert len(follow_up_question("x " * 400, "And China?")) < 260


def test_cooldown_counts_from_the_last_accepted_question():
    now = [100.0]
    cooldowns = Cooldowns(10, clock=lambda: now[0])
    assert cooldowns.retry_after(1) == 0
    now[0] = 104.0
    assert cooldowns.retry_after(1) == pytest.approx(6)
    assert cooldowns.retry_after(2) == 0  # per user
    now[0] = 110.0
    assert cooldowns.retry_after(1) == 0


def seconds_to_wait(text: str) -> int:
    match = re.fullmatch(r"Please wait (\d+) s before asking again\.", text)
    assert match, text
    return int(match[1])


def long_answer(length: int) -> Answer:
    sentence = "Lavrov described the Quad as an Asian NATO aimed at containing China and Russia [1]. "
    body = (sentence * (length // len(sentence))).strip()
    citation = Citation(1, "003", "Moscow plays down Beijing", "The Indian Express", "2021-04-06", "x.txt",
                        "He took a swipe at the Quad.", "He took a swipe at the Quad grouping.")
    return Answer(QUESTION, body, "generated", False, [citation], "fake@test", {"total": 10.0}, ref="ab" * 16)


def _returning(answer: Answer):
    async def ask(*args, **kwargs):
        return answer
    return ask
