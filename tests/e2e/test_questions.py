"""Questions over the wire: a mention gets exactly one cited reply that pings nobody;
`/ask` is acknowledged (deferred) within Discord's 3 seconds and followed up once."""

from __future__ import annotations

import asyncio

from tests.e2e.discord_double import DiscordDouble
from tests.e2e.harness import assert_no_pings, assert_no_rejections, citations_of

SETTLE_S = 3.0  # after the last expected message, how long to watch for duplicates


async def test_mention_gets_one_cited_reply(double: DiscordDouble, launch, figures):
    await launch()
    alice = double.add_user("alice")
    question = await double.say(alice, "What did Lavrov say about the Quad?")
    (reply,) = await double.wait_for(lambda: double.replies_to(question["id"]), 60, "the answer")
    await asyncio.sleep(SETTLE_S)

    assert len(double.replies_to(question["id"])) == 1
    assert reply.body["message_reference"]["message_id"] == int(question["id"])
    assert reply.body["allowed_mentions"] == {"parse": []}
    assert citations_of(reply), reply.message["embeds"]
    embed = reply.message["embeds"][0]
    assert "[1]" in embed["description"] or "[1]" in embed.get("title", "")
    assert any(t for t, channel in double.rest.typing if channel == question["channel_id"]), "no typing indicator"
    assert_no_pings(double)
    assert_no_rejections(double)
    figures.update(answer_s=reply.at - double.said_at[question["id"]], citations=len(citations_of(reply)))


async def test_slash_ask_is_deferred_within_3s_then_followed_up(double: DiscordDouble, launch, figures):
    await launch()
    bob = double.add_user("bob")
    interaction = await double.slash(bob, "ask", {"question": "What did Jaishankar discuss with Blinken?"})
    (answer,) = await double.wait_for(interaction.visible, 60, "the follow-up")
    await asyncio.sleep(SETTLE_S)

    assert interaction.deferred, f"answered with type {interaction.ack_type} instead of a deferral"
    assert interaction.ack_seconds < 3.0
    assert interaction.rejected_callbacks == 0
    assert len(interaction.visible()) == 1 and not answer.ephemeral
    assert answer.kind in ("followup", "edit")
    assert citations_of(answer)
    assert_no_pings(double)
    assert_no_rejections(double)
    figures.update(ack_s=interaction.ack_seconds, answer_s=answer.at - interaction.sent_at)
