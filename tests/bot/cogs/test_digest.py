"""Digests on demand and on schedule: once a day per channel, across restarts; prepared ahead
of their minute and posted from the store; disagreements between outlets shown."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend as back

from bot.cogs import digest as digest_cog
from bot.cogs.common import UserFacingError
from bot.cogs.digest import parse_post_time
from bot.render.embeds import digest_embeds
from store import Subscription
from summarizer.engine import Engine
from tests.bot.conftest import DIGEST_MORNING
from tests.bot.harness import DEFERRED_CHANNEL_MESSAGE, channel_option, option
from tests.summarizer.briefings.test_digest import COD_DISPUTED, DISPUTED_TONNES
from tests.summarizer.controlled_corpus import cod_accord, write_article

MANAGE_SERVER = discord.Permissions(manage_guild=True)
KOLKATA_MORNING = "09:00"  # 03:30 UTC; the test clock starts at 04:00 UTC on 2022-01-06


async def subscribe(deliveries, channel: discord.TextChannel, post_time: str = KOLKATA_MORNING,
                    timezone: str = "Asia/Kolkata") -> None:
    await deliveries.subscribe(Subscription(channel.id, channel.guild.id, post_time, timezone), created_by=1)


def posted_digests() -> list[discord.Message]:
    messages = []
    while not dpytest.verify().message().peek().nothing():
        messages.append(dpytest.get_message())
    return messages


# -- on demand ------------------------------------------------------------------------------------

async def test_digest_command_shows_the_days_stories_with_sources(bot, alice, channel, interactions):
    sent = await interactions.slash("digest", [option("date", "2022-01-05")], member=alice, channel=channel)

    assert sent[0].response_type == DEFERRED_CHANNEL_MESSAGE
    embed = sent[1].embeds[0]
    assert embed.title == "Daily digest — 2022-01-05"
    assert any("2 sources" in f.name for f in embed.fields)
    assert any("[1] Hindustan Times" in f.value or "[1] ETV Bharat" in f.value for f in embed.fields)


async def test_digest_command_defaults_to_the_latest_day(bot, alice, channel, interactions):
    sent = await interactions.slash("digest", member=alice, channel=channel)

    assert sent[-1].embeds[0].title == "Daily digest — 2023-12-28"


async def test_digest_command_writes_once_then_serves_the_stored_digest(bot, alice, channel, interactions,
                                                                          fake_model):
    first = await interactions.slash("digest", [option("date", "2022-01-05")], member=alice, channel=channel)
    assert len(fake_model.calls) == 1  # one story, summarised by the model
    again = await interactions.slash("digest", [option("date", "2022-01-05")], member=alice, channel=channel)

    assert len(fake_model.calls) == 1
    assert again[1].embeds[0].fields[0].value == first[1].embeds[0].fields[0].value


async def test_digest_command_shows_what_is_ready_when_the_model_is_slow(bot, alice, channel, interactions,
                                                                        fake_model, engine, monkeypatch):
    monkeypatch.setattr(digest_cog, "COMMAND_WAIT_S", 0.2)
    fake_model.delay_s = 2.0
    sent = await interactions.slash("digest", [option("date", "2022-01-05")], member=alice, channel=channel)

    quoted = digest_embeds(await engine.deliveries.digests.ready("2022-01-05"))[0]
    assert sent[1].embeds[0].fields[0].value == quoted.fields[0].value  # the leads, without waiting
    finished = await engine.digest("2022-01-05")  # the writing went on, and is kept for next time
    assert finished.stories[0].mode == "generated"


async def test_digest_command_notes_where_outlets_disagree(bot, alice, channel, interactions, engine):
    folder = engine.config.corpus_dir
    cod_accord(folder)
    write_article(folder, "cod_disputed", "Iceland and Norway end cod dispute",
                  COD_DISPUTED.format(trawlers=DISPUTED_TONNES), published="2024-03-05", source="Reykjavik Daily")
    await engine.ingest([folder])

    sent = await interactions.slash("digest", [option("date", "2024-03-05")], member=alice, channel=channel)

    (field,) = sent[1].embeds[0].fields
    lines = field.value.splitlines()
    note = next(line for line in lines if "Sources differ" in line)
    assert note.startswith("*Sources differ on a number: 41,000 tonnes [") and "45,000 tonnes [" in note
    assert "Nordic Wire" in lines[-1] and "Reykjavik Daily" in lines[-1]  # both outlets among the sources


# -- subscriptions --------------------------------------------------------------------------------

async def test_subscribe_stores_the_channel_time_and_zone(bot, alice, channel, interactions, engine):
    picked, resolved = channel_option("channel", channel)
    sent = await interactions.slash("digest-subscribe", [picked, option("time", "9:00"),
                                                         option("timezone", "Asia/Kolkata")],
                                    member=alice, channel=channel, permissions=MANAGE_SERVER, resolved=resolved)

    assert sent[-1].ephemeral and "every day at 09:00 (Asia/Kolkata)" in sent[-1].content
    assert await engine.deliveries.subscriptions() == [Subscription(channel.id, channel.guild.id, "09:00",
                                                               "Asia/Kolkata")]


@pytest.mark.parametrize("digest_empty_days", [True])  # even a quiet day would be posted at once
async def test_a_channel_subscribed_after_todays_time_gets_its_first_digest_tomorrow(bot, alice, channel,
                                                                                     interactions, clock):
    picked, resolved = channel_option("channel", channel)  # 09:00 in Kolkata has passed: it is 09:30
    await interactions.slash("digest-subscribe", [picked, option("time", "09:00"), option("timezone", "Asia/Kolkata")],
                             member=alice, channel=channel, permissions=MANAGE_SERVER, resolved=resolved)
    scheduler = bot.get_cog("DigestCog")

    assert await scheduler.deliver_due_digests() == []
    clock.now += dt.timedelta(days=1)
    assert await scheduler.deliver_due_digests() == [channel.id]
    [posted] = posted_digests()
    assert posted.embeds[0].title == "Daily digest — 2022-01-06"


async def test_subscribe_without_manage_server_is_refused(bot, alice, channel, interactions, engine):
    picked, resolved = channel_option("channel", channel)
    sent = await interactions.slash("digest-subscribe", [picked, option("time", "09:00"), option("timezone", "UTC")],
                                    member=alice, channel=channel, resolved=resolved)

    assert len(sent) == 1 and sent[0].ephemeral
    assert "Manage Server" in sent[0].content
    assert await engine.deliveries.subscriptions() == []


@pytest.mark.parametrize("time, timezone, complaint", [("25:00", "UTC", "not a time of day"),
                                                       ("08:00", "Mars/Olympus", "not a time zone")])
async def test_subscribe_with_bad_time_or_zone_says_what_is_wrong(bot, alice, channel, interactions, engine,
                                                                  time, timezone, complaint):
    picked, resolved = channel_option("channel", channel)
    sent = await interactions.slash("digest-subscribe", [picked, option("time", time),
                                                         option("timezone", timezone)],
                                    member=alice, channel=channel, permissions=MANAGE_SERVER, resolved=resolved)

    assert len(sent) == 1 and sent[0].ephemeral and complaint in sent[0].content
    assert await engine.deliveries.subscriptions() == []


async def test_unsubscribe_removes_the_channel(bot, alice, channel, interactions, engine):
    await subscribe(engine.deliveries, channel)
    picked, resolved = channel_option("channel", channel)

    sent = await interactions.slash("digest-unsubscribe", [picked], member=alice, channel=channel,
                                    permissions=MANAGE_SERVER, resolved=resolved)

    assert "no longer get the daily digest" in sent[-1].content
    assert await engine.deliveries.subscriptions() == []


async def test_timezone_autocomplete_offers_iana_names(bot, alice, channel, interactions):
    picked, _ = channel_option("channel", channel)
    choices = await interactions.autocomplete(
        "digest-subscribe", [picked, option("time", "09:00"), option("timezone", "kolk", focused=True)],
        member=alice, channel=channel)

    assert [c["value"] for c in choices] == ["Asia/Kolkata"]


# -- the schedule ---------------------------------------------------------------------------------

async def test_a_due_digest_is_delivered_once(bot, channel, engine):
    await subscribe(engine.deliveries, channel)
    cog = bot.get_cog("DigestCog")

    assert await cog.deliver_due_digests() == [channel.id]
    assert await cog.deliver_due_digests() == []

    [digest] = posted_digests()
    assert digest.channel.id == channel.id
    assert digest.embeds[0].title == "Daily digest — 2022-01-05"  # the day before the local date
    assert await engine.deliveries.delivered(channel.id, "2022-01-06")


async def test_the_schedule_prepares_a_digest_ahead_and_posts_it_without_the_model(bot, channel, engine, clock,
                                                                                  fake_model):
    await subscribe(engine.deliveries, channel, post_time="09:45")  # 04:15 UTC; the clock says 04:00
    scheduler = bot.get_cog("DigestCog")

    await scheduler.delivery_loop()  # one check: nothing due, the digest due in 15 minutes is prepared
    assert posted_digests() == []
    prepared = await engine.digest("2022-01-05")  # joins the writing under way
    calls = len(fake_model.calls)
    assert calls == 1 and prepared.stories[0].mode == "generated"

    clock.now += dt.timedelta(minutes=15)
    await scheduler.delivery_loop()

    [posted] = posted_digests()
    assert len(fake_model.calls) == calls  # the model is not asked at posting time
    assert [f.value for f in posted.embeds[0].fields] == [f.value for f in digest_embeds(prepared)[0].fields]


async def test_a_digest_due_before_the_next_check_is_posted_at_its_minute(bot, channel, engine):
    await subscribe(engine.deliveries, channel, post_time="09:45")  # 04:15 UTC
    scheduler = bot.get_cog("DigestCog")
    minute = dt.datetime(2022, 1, 6, 4, 15, tzinfo=dt.timezone.utc)
    started = time.monotonic()
    scheduler.clock = lambda: minute - dt.timedelta(seconds=1) + dt.timedelta(seconds=time.monotonic() - started)

    await scheduler.delivery_loop()  # one check, a second before the minute

    [posted] = posted_digests()
    assert posted.embeds[0].title == "Daily digest — 2022-01-05"
    assert 1.0 <= time.monotonic() - started < 5.0  # at the minute: not before it, not at the next check


async def test_nothing_is_posted_before_the_local_posting_time(bot, channel, engine, clock):
    await subscribe(engine.deliveries, channel, post_time="10:00")  # 04:30 UTC; the clock says 04:00

    assert await bot.get_cog("DigestCog").deliver_due_digests() == []
    clock.now += dt.timedelta(minutes=30)
    assert await bot.get_cog("DigestCog").deliver_due_digests() == [channel.id]


async def restart(start_bot, engine: Engine, channel_id: int, fake_model, embedder):
    """Stop the engine and start a new bot on the same store, in a Discord that still has the channel."""
    await engine.close()
    reopened = await Engine.open(engine.config, generator=fake_model, embedder=embedder)
    bot = await start_bot(reopened)
    back.make_text_channel("digests", dpytest.get_config().guilds[0], id_num=channel_id)
    return reopened, bot


async def test_after_a_restart_todays_digest_is_not_repeated(start_bot, bot, channel, engine, fake_model,
                                                             embedder):
    await subscribe(engine.deliveries, channel)
    assert await bot.get_cog("DigestCog").deliver_due_digests() == [channel.id]
    assert len(posted_digests()) == 1

    reopened, restarted = await restart(start_bot, engine, channel.id, fake_model, embedder)
    try:
        assert await restarted.get_cog("DigestCog").deliver_due_digests() == []
        assert posted_digests() == []
    finally:
        await reopened.close()


async def test_a_digest_missed_while_down_is_sent_once_on_start(start_bot, bot, channel, engine, clock,
                                                                fake_model, embedder):
    clock.now = DIGEST_MORNING - dt.timedelta(hours=1)  # 08:30 in Kolkata: not yet due
    await subscribe(engine.deliveries, channel)
    assert await bot.get_cog("DigestCog").deliver_due_digests() == []

    clock.now = DIGEST_MORNING  # down at 09:00, back at 09:30
    reopened, restarted = await restart(start_bot, engine, channel.id, fake_model, embedder)
    try:
        scheduler = restarted.get_cog("DigestCog")
        scheduler.delivery_loop.start()  # as setup_hook does outside tests
        restarted._ready.set()  # connected: the first check runs now
        first = await asyncio.wait_for(dpytest.sent_queue.get(), timeout=10)
        scheduler.delivery_loop.cancel()

        assert first.channel.id == channel.id
        assert first.embeds[0].title == "Daily digest — 2022-01-05"
        assert await scheduler.deliver_due_digests() == []
        assert posted_digests() == []
    finally:
        await reopened.close()


async def test_a_day_without_articles_posts_nothing(bot, channel, engine, clock):
    await subscribe(engine.deliveries, channel)
    clock.now = dt.datetime(2022, 3, 1, 6, 0, tzinfo=dt.timezone.utc)

    assert await bot.get_cog("DigestCog").deliver_due_digests() == []
    assert posted_digests() == []
    assert await engine.deliveries.delivered(channel.id, "2022-03-01")  # handled: not re-checked all day


@pytest.mark.parametrize("digest_empty_days", [True])
async def test_empty_days_are_posted_when_configured(bot, channel, engine, clock):
    await subscribe(engine.deliveries, channel)
    clock.now = dt.datetime(2022, 3, 1, 6, 0, tzinfo=dt.timezone.utc)

    assert await bot.get_cog("DigestCog").deliver_due_digests() == [channel.id]
    assert posted_digests()[0].embeds[0].description == "No articles on 2022-02-28."


async def test_a_failed_delivery_is_released_and_retried_later(bot, channel, engine, clock, monkeypatch):
    await subscribe(engine.deliveries, channel)
    cog = bot.get_cog("DigestCog")

    async def refuse(*args, **kwargs):
        raise discord.Forbidden(_Response(403, "Forbidden"), "Missing Access")
    with monkeypatch.context() as patch:
        patch.setattr(discord.TextChannel, "send", refuse)
        assert await cog.deliver_due_digests() == []
    assert not await engine.deliveries.delivered(channel.id, "2022-01-06")

    assert await cog.deliver_due_digests() == []  # backing off
    clock.now += dt.timedelta(minutes=11)
    assert await cog.deliver_due_digests() == [channel.id]


class _Response:
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


# -- parsing --------------------------------------------------------------------------------------

def test_post_time_is_normalised_or_refused():
    assert parse_post_time(" 7:05 ") == "07:05"
    with pytest.raises(UserFacingError):
        parse_post_time("7pm")
