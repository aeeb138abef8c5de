"""The Discord bot: the composition root that wires the engine into one cog per feature.

`run_discord` connects and serves; `sync_commands` only registers the slash commands
(slash commands are never synced on connect: syncing is rate-limited and global changes
take up to an hour to appear, so it is an explicit step, `briefbot sync`)."""

from __future__ import annotations

import gc
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.admin import AdminCog
from bot.cogs.ask import AskCog, Cooldowns
from bot.cogs.common import AskCooldown, NotAdmin, UserFacingError, tell_privately
from bot.cogs.digest import Clock, DigestCog, utc_now
from bot.cogs.feeds import FeedsCog
from bot.cogs.lookups import LookupsCog
from bot.cogs.stats import StatsCog
from bot.render.limits import NO_MENTIONS, escape
from bot.settings import Settings
from store import ReadOnlyStoreError
from store.feeds import FeedExistsError, InvalidFeedError
from summarizer.engine import Engine, FeedNotAdded
from summarizer.results import QuestionError

log = logging.getLogger(__name__)
APOLOGY = "Sorry, something went wrong. The error has been logged; please try again later."


def bot_intents() -> discord.Intents:
    """Only what the bot uses: servers and channels, and the text of messages that address it."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True  # privileged: enable it in the Developer Portal
    return intents


def user_message(error: app_commands.AppCommandError) -> str | None:
    """What to tell the user about a failed command; None for a failure that is our fault."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, (QuestionError, UserFacingError, NotAdmin, AskCooldown)):
        return str(cause)
    if isinstance(cause, (FeedNotAdded, FeedExistsError, InvalidFeedError)):
        return escape(str(cause))
    if isinstance(cause, ReadOnlyStoreError):
        return "The briefing store is read-only at the moment, so nothing was saved. Questions still work."
    if isinstance(cause, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(cause, app_commands.TransformerError):
        return f"“{escape(str(cause.value))}” is not a valid value for that option."
    if isinstance(cause, app_commands.CheckFailure):
        return "You cannot use this command here."
    return None


class BriefTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        message = user_message(error)
        command = interaction.command.qualified_name if interaction.command else "unknown"
        if message is None:
            log.error("/%s failed for user %s", command, interaction.user.id, exc_info=error)
            message = APOLOGY
        else:
            log.info("/%s refused for user %s: %s", command, interaction.user.id, message)
        try:
            await tell_privately(interaction, message)
        except discord.HTTPException as exc:
            log.warning("could not tell user %s why /%s failed: %s", interaction.user.id, command, exc)


class BriefBot(commands.Bot):
    """The bot with the engine injected, so tests can hand it one built on a temporary store.

    ``background`` starts the engine warm-up and the digest scheduler; it is off for
    `briefbot sync` and for tests, which drive the scheduler themselves."""

    def __init__(self, engine: Engine, settings: Settings, *, clock: Clock = utc_now,
                 background: bool = True) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=bot_intents(), help_command=None,
                         allowed_mentions=NO_MENTIONS, tree_cls=BriefTree)
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.background = background

    async def setup_hook(self) -> None:
        cooldowns = Cooldowns(self.settings.ask_cooldown)
        await self.add_cog(AskCog(self, self.engine, cooldowns))
        await self.add_cog(LookupsCog(self.engine))
        await self.add_cog(DigestCog(self, self.engine, clock=self.clock,
                                     post_empty_days=self.settings.digest_empty_days, schedule=self.background))
        await self.add_cog(AdminCog(self.engine))
        await self.add_cog(FeedsCog(self.engine, schedule=self.background))
        await self.add_cog(StatsCog(self.engine))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: the ask cog answers mentions and replies."""

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d servers", self.user, self.user.id if self.user else "?",
                 len(self.guilds))

    async def close(self) -> None:
        """discord.py dispatches READY from a task that waits for the servers to arrive; stopped
        inside that wait, the task outlives close() and fails on the closed client (a traceback
        in the log on every quick stop), so it is cancelled first."""
        ready = getattr(self._connection, "_ready_task", None)
        if ready is not None:
            ready.cancel()
        await super().close()


def _point_at_api(settings: Settings) -> None:
    if settings.discord_api_base:
        from bot.discord_api import point_at

        point_at(settings.discord_api_base)


def _token(settings: Settings) -> str:
    if settings.discord_token is None:
        raise RuntimeError("DISCORD_TOKEN is not set")
    return settings.discord_token.get_secret_value()


async def run_discord(settings: Settings) -> int:
    _point_at_api(settings)
    engine = await Engine.open(settings.engine_config())
    try:
        await _warm_up(engine)
        async with BriefBot(engine, settings) as bot:
            await bot.start(_token(settings))
    except discord.PrivilegedIntentsRequired:
        raise RuntimeError("Discord refused the Message Content intent: enable it for the bot in the "
                           "Developer Portal (Bot → Privileged Gateway Intents)") from None
    finally:
        await engine.close()
    return 0


async def _warm_up(engine: Engine) -> None:
    """Load the models before connecting. Importing torch and llama.cpp and loading weights
    cause garbage collections of up to half a second; done while the gateway is live, they
    delay heartbeats. Freezing what is loaded keeps later collections short."""
    log.info("loading models before connecting to Discord")
    try:
        await engine.warm_up()
        log.info("engine warmed up: %s", engine.model_name)
    except Exception:
        log.exception("warming up the engine failed; models load on the first question instead")
    gc.collect()
    gc.freeze()


async def sync_commands(settings: Settings, guild_id: int | None = None) -> int:
    """Register the slash commands globally, or in one server (instant); returns how many."""
    _point_at_api(settings)
    engine = await Engine.open(settings.engine_config())
    try:
        async with BriefBot(engine, settings, background=False) as bot:
            await bot.login(_token(settings))  # runs setup_hook, which adds the cogs and their commands
            guild = discord.Object(id=guild_id) if guild_id else None
            if guild is not None:
                bot.tree.copy_global_to(guild=guild)
            return len(await bot.tree.sync(guild=guild))
    finally:
        await engine.close()
