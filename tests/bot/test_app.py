"""The bot as a whole: intents, mention policy, the command set, syncing and error handling."""

from __future__ import annotations

import discord
from discord import app_commands

from bot import app
from bot.app import BriefBot, BriefTree, bot_intents, user_message
from bot.cogs.common import NotAdmin, UserFacingError
from summarizer.results import QuestionError

COMMANDS = {"ask", "search", "article", "sources", "quotes", "timeline", "digest", "digest-subscribe",
            "digest-unsubscribe", "ingest", "stats", "feeds"}
ADMIN_COMMANDS = {"digest-subscribe", "digest-unsubscribe", "ingest", "feeds"}


def test_intents_are_only_what_the_bot_uses():
    intents = bot_intents()
    assert {name for name, on in intents if on} == {"guilds", "guild_messages", "message_content"}


def test_the_bot_pings_nobody_by_default(engine, settings):
    assert BriefBot(engine, settings, background=False).allowed_mentions.to_dict() == {"parse": []}


def test_every_command_is_registered_with_a_description(bot):
    commands = {c.name: c for c in bot.tree.get_commands()}

    assert set(commands) == COMMANDS
    assert all(c.description for c in commands.values())
    for name in ADMIN_COMMANDS:
        assert commands[name].default_permissions == discord.Permissions(manage_guild=True)
        if isinstance(commands[name], app_commands.Group):  # /feeds: its changing subcommands are checked
            assert [c.name for c in commands[name].commands if c.checks] == ["add", "remove"]
        else:
            assert commands[name].checks  # checked at run time too
    assert not (set(commands) - ADMIN_COMMANDS) & {n for n, c in commands.items() if c.default_permissions}


def test_errors_users_can_act_on_are_told_to_them_and_ours_are_not(bot):
    ask = bot.tree.get_command("ask")

    assert user_message(app_commands.CommandInvokeError(ask, QuestionError("The question is empty."))) \
        == "The question is empty."
    assert user_message(UserFacingError("No article matches.")) == "No article matches."
    assert "Manage Server" in user_message(NotAdmin())
    assert user_message(app_commands.CommandInvokeError(ask, RuntimeError("secret internals"))) is None


async def test_sync_registers_every_command_without_connecting(engine, settings, monkeypatch):
    logins, synced_to = [], []

    async def login(self, token):  # what Client.login does once the token is accepted
        logins.append(token)
        await self.setup_hook()

    async def sync(self, *, guild=None):
        synced_to.append(guild)
        return self.get_commands(guild=guild)

    async def open_engine(config):
        return engine

    async def keep_open():  # the engine fixture closes it
        pass

    monkeypatch.setattr(BriefBot, "login", login)
    monkeypatch.setattr(BriefTree, "sync", sync)
    monkeypatch.setattr(app.Engine, "open", open_engine)
    monkeypatch.setattr(engine, "close", keep_open)

    assert await app.sync_commands(settings) == len(COMMANDS)
    assert await app.sync_commands(settings, guild_id=1234) == len(COMMANDS)
    assert logins == ["test-token", "test-token"]
    assert [g.id if g else None for g in synced_to] == [None, 1234]



async def test_connecting_syncs_nothing(bot, monkeypatch):
    synced = []

    async def sync(self, *, guild=None):
        synced.append(guild)
        return []
    monkeypatch.setattr(BriefTree, "sync", sync)

    await bot.on_ready()

    assert synced == []
