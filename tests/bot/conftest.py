"""Fixtures for the Discord front end: the real bot on a real engine (temporary store, fake
answer model from tests/conftest.py), a fake Discord from dpytest for messages, and the
interaction stand-in from harness.py for slash commands and buttons."""

from __future__ import annotations

import datetime as dt
import inspect

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import callbacks

from bot.app import BriefBot
from bot.settings import Settings
from summarizer.engine import Engine
from tests.bot.harness import DiscordInteractions

# 09:30 in Kolkata on 2022-01-06: the morning after the two 2022-01-05 articles.
DIGEST_MORNING = dt.datetime(2022, 1, 6, 4, 0, tzinfo=dt.timezone.utc)


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DIGEST_MORNING)


@pytest.fixture
def ask_cooldown() -> float:
    """Override with ``@pytest.mark.parametrize("ask_cooldown", [...])``."""
    return 0.0


@pytest.fixture
def digest_empty_days() -> bool:
    return False


@pytest.fixture
def settings(db_copy, ask_cooldown, digest_empty_days) -> Settings:
    return Settings(_env_file=None, BRIEFBOT_DB=db_copy, BRIEFBOT_ASK_COOLDOWN=ask_cooldown,
                    BRIEFBOT_DIGEST_EMPTY_DAYS=digest_empty_days, DISCORD_TOKEN="test-token")


@pytest.fixture
async def start_bot(settings, clock):
    """Starts bots as the process would (engine injected, cogs loaded by setup_hook) against
    dpytest's fake Discord; several calls on one store simulate restarts."""
    started: list[BriefBot] = []

    async def start(engine: Engine) -> BriefBot:
        bot = BriefBot(engine, settings, clock=clock, background=False)
        # dpytest resolves members and mentions from the member cache; on Discord they come
        # with each event, so the bot itself needs neither the members intent nor this cache.
        bot._connection._intents.members = True
        bot._connection.member_cache_flags = discord.MemberCacheFlags.from_intents(bot._connection._intents)
        dpytest.configure(bot, members=["alice", "bob"])
        await bot._async_setup_hook()  # what `async with bot` does, on dpytest's connection state
        await bot.setup_hook()
        started.append(bot)
        return bot

    yield start
    await dpytest.empty_queue()
    for bot in started:
        for name in list(bot.cogs):
            await bot.remove_cog(name)


@pytest.fixture
async def bot(start_bot, engine) -> BriefBot:
    return await start_bot(engine)


@pytest.fixture
def alice(bot) -> discord.Member:
    return dpytest.get_config().members[0]


@pytest.fixture
def bob(bot) -> discord.Member:
    return dpytest.get_config().members[1]


@pytest.fixture
def channel(bot) -> discord.TextChannel:
    return dpytest.get_config().channels[0]


@pytest.fixture
def interactions(bot, monkeypatch) -> DiscordInteractions:
    recorder = DiscordInteractions(bot)
    recorder.install(monkeypatch)
    return recorder


@pytest.fixture
def sent_payloads(bot, monkeypatch) -> list[dict]:
    """The JSON of every channel message the bot sends (dpytest keeps only the message)."""
    payloads: list[dict] = []
    fake_send = bot.http.send_message

    async def send_message(channel_id, *, params):
        # dpytest's fake HTTP looks the channel up in its caller's local variables.
        channel = bot.get_channel(channel_id)  # noqa: F841
        payloads.append(params.payload)
        return await fake_send(channel_id, params=params)

    monkeypatch.setattr(bot.http, "send_message", send_message)
    return payloads


@pytest.fixture
def edited_payloads(bot, monkeypatch) -> list[dict]:
    """The JSON of every edit of a channel message, with the edited message's ``id``."""
    payloads: list[dict] = []
    fake_edit = bot.http.edit_message

    async def edit_message(channel_id, message_id, **fields):
        # dpytest's fake HTTP finds the message as ``self`` in its caller's local variables.
        self = inspect.currentframe().f_back.f_locals["self"]  # noqa: F841
        payloads.append(fields["params"].payload | {"id": message_id})
        return await fake_edit(channel_id, message_id, **fields)

    monkeypatch.setattr(bot.http, "edit_message", edit_message)
    return payloads


@pytest.fixture
def typing_in():
    """The channels the bot showed "typing…" in."""
    channels: list = []

    async def record(channel):
        channels.append(channel)

    callbacks.set_callback(record, "send_typing")
    yield channels
    callbacks.remove_callback("send_typing")
