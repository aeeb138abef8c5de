"""Questions over the wire: a mention gets exactly one cited reply that pings nobody, shown
at once with quotes and edited in place into the generated answer; `/ask` is acknowledged
(deferred) within Discord's 3 seconds and followed up once; "Show evidence" works on an
answer after the bot restarts."""

from __future__ import annotations

import asyncio

from tests.e2e.discord_double import DiscordDouble
from bot.render.labels import DRAFT_NOTE
from tests.e2e.harness import assert_no_pings, assert_no_rejections, citations_of, footer_of, settled

SETTLE_S = 3.0  # after the last expected message, how long to watch for duplicates


async def test_mention_and_slash_ask_are_answered_once_with_citations(double: DiscordDouble, launch, figures):
    await launch()
    alice, bob = double.add_user("alice"), double.add_user("bob")

    question = await double.say(alice, "What did Lavrov say about the Quad?")
    (reply,) = await double.wait_for(lambda: double.replies_to(question["id"]), 60, "the answer")
    interaction = await double.slash(bob, "ask", {"question": "What did Jaishankar discuss with Blinken?"})
    (answer,) = await double.wait_for(interaction.visible, 60, "the follow-up")
    await asyncio.sleep(SETTLE_S)

    # The mention: one reply to that message, cited, pinging nobody (not even the asker).
    assert len(double.replies_to(question["id"])) == 1
    assert reply.body["message_reference"]["message_id"] == int(question["id"])
    assert reply.body["allowed_mentions"] == {"parse": []}
    assert citations_of(reply), reply.message["embeds"]
    assert "[1]" in reply.message["embeds"][0]["description"]
    assert any(channel == question["channel_id"] for _, channel in double.rest.typing), "no typing indicator"

    # /ask: deferred within 3 s, then exactly one public, cited follow-up.
    assert interaction.deferred, f"answered with type {interaction.ack_type} instead of a deferral"
    assert interaction.ack_seconds < 3.0 and interaction.rejected_callbacks == 0
    assert len(interaction.visible()) == 1 and not answer.ephemeral
    assert answer.kind in ("followup", "edit") and citations_of(answer)

    assert_no_pings(double)
    assert_no_rejections(double)
    figures.update(mention_answer_s=reply.at - double.said_at[question["id"]], ack_s=interaction.ack_seconds,
                   slash_answer_s=answer.at - interaction.sent_at, delivered=2, expected=2)


async def test_reply_is_quoted_at_once_then_edited_into_the_answer_whose_evidence_outlives_the_bot(
        double: DiscordDouble, launch, figures):
    bot = await launch()
    alice, bob = double.add_user("alice"), double.add_user("bob")

    question = await double.say(alice, "What did Lavrov say about the Quad?")
    (draft,) = await double.wait_for(lambda: double.replies_to(question["id"]), 60, "the quoted draft")
    assert DRAFT_NOTE in footer_of(draft.message) and citations_of(draft)
    final = await double.wait_for(lambda: settled(double, draft), 90, "the generated answer")
    await asyncio.sleep(SETTLE_S)

    # One reply, edited once in place: no second message, nobody pinged by the edit.
    assert len(double.replies_to(question["id"])) == 1
    edits = [p for p in double.posted if p.kind == "edit" and p.message["id"] == draft.message["id"]]
    assert len(edits) == 1 and edits[0].body["allowed_mentions"] == {"parse": []}
    assert footer_of(final).startswith(("Generated", "Extractive")) and final["embeds"][0]["fields"]

    # A new bot process with nothing in memory serves the button on that answer.
    await bot.stop()
    await launch()
    click = await double.click(bob, final["id"], "Show evidence")
    (evidence,) = await double.wait_for(click.visible, 30, "the evidence")
    assert evidence.ephemeral
    assert evidence.message["embeds"][0]["title"].startswith("Evidence")
    quoted = final["embeds"][0]["fields"][0]["value"]
    assert any(word in evidence.message["embeds"][0]["description"] for word in ("Quad", "NATO")), quoted

    assert_no_pings(double)
    assert_no_rejections(double)
    figures.update(draft_s=draft.at - double.said_at[question["id"]],
                   final_s=edits[0].at - double.said_at[question["id"]], evidence_ack_s=click.ack_seconds)
