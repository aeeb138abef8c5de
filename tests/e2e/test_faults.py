"""Network faults: the gateway drops mid-answer (the bot resumes, nothing is lost or sent
twice) and Discord answers 429 (the bot waits `retry_after` and delivers once)."""

from __future__ import annotations

import asyncio

from tests.e2e.discord_double import DiscordDouble
from tests.e2e.harness import assert_no_pings, assert_no_rejections, citations_of

CHANNEL_MESSAGES = "/channels/{channel_id}/messages"
FOLLOW_UP = "/webhooks/{application_id}/{token}"
SETTLE_S = 3.0


async def test_gateway_drop_while_answering_resumes_and_delivers_once(double: DiscordDouble, launch, figures):
    await launch()
    alice, bob = double.add_user("alice"), double.add_user("bob")
    channel = double.channel_list[1]
    first = await double.say(alice, "What did Malhotra say about alliances and partnerships?", channel=channel)
    # The bot shows "typing" just before it starts computing the answer: drop the socket then.
    await double.wait_for(lambda: [t for t, c in double.rest.typing if c == channel.id], 30, "typing")
    assert not double.replies_to(first["id"]), "answered before the drop: the scenario needs a slower question"
    await double.gateway.drop("abrupt")
    # Dispatched while the bot is disconnected: Discord keeps it for the RESUME.
    second = await double.say(bob, "Why did India buy the S-400 despite the threat of US sanctions?",
                              channel=channel)

    await double.wait_for(lambda: double.replies_to(first["id"]) and double.replies_to(second["id"]), 90,
                          "both answers")
    await asyncio.sleep(SETTLE_S)
    (outage,) = double.gateway.reconnects
    assert outage.how == "resume", "the bot identified again instead of resuming: events could be lost"
    assert outage.replayed >= 1
    assert len([f for f in double.frames if f.op == 2]) == 1, "a second IDENTIFY"
    assert len(double.replies_to(first["id"])) == 1
    assert len(double.replies_to(second["id"])) == 1
    (answer,) = double.replies_to(first["id"])
    assert answer.at > outage.dropped_at, "the answer was not being generated during the drop"
    assert citations_of(answer)
    assert_no_pings(double)
    assert_no_rejections(double)
    figures.update(reconnect_s=outage.seconds, replayed_events=outage.replayed, delivered=2, expected=2,
                   max_heartbeat_late_s=double.gateway.max_heartbeat_lateness())


async def test_429_on_message_create_is_retried_and_delivered_once(double: DiscordDouble, launch, figures):
    await launch()
    carol = double.add_user("carol")
    channel = double.channel_list[2]

    double.rest.fail_next("POST", CHANNEL_MESSAGES, retry_after=1.5)
    question = await double.say(carol, "What did Lavrov say about Afghanistan?", channel=channel)
    await double.wait_for(lambda: double.replies_to(question["id"]), 90, "the answer")

    double.rest.fail_next("POST", FOLLOW_UP, retry_after=1.0)
    interaction = await double.slash(carol, "ask", {"question": "Who did Jaishankar speak to?"}, channel=channel)
    await double.wait_for(interaction.visible, 90, "the follow-up")
    await asyncio.sleep(SETTLE_S)

    creates = [r for r in double.requests if r.route == CHANNEL_MESSAGES and channel.id in r.path]
    assert [r.status for r in creates] == [429, 200]
    assert creates[1].at - creates[0].at >= 1.5, "retried before retry_after"
    assert creates[0].json == creates[1].json, "the retry changed the message"
    assert len(double.replies_to(question["id"])) == 1

    follow_ups = [r for r in double.requests if r.route == FOLLOW_UP]
    assert [r.status for r in follow_ups] == [429, 200]
    assert follow_ups[1].at - follow_ups[0].at >= 1.0
    assert len(interaction.visible()) == 1 and interaction.ack_seconds < 3
    assert_no_pings(double)
    assert_no_rejections(double)
    figures.update(retry_wait_s=creates[1].at - creates[0].at,
                   followup_retry_wait_s=follow_ups[1].at - follow_ups[0].at,
                   delivered=2, expected=2, attempts=len(creates) + len(follow_ups))
