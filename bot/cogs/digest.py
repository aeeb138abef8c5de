"""Daily digests: `/digest`, subscriptions, and the loop that checks for due digests.

What is due, preparing it ahead and delivering it exactly once across restarts, is the
engine's (see ``summarizer.briefings.delivery``); this cog parses the commands, posts the
embeds, and runs the checks."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
import zoneinfo
from typing import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.common import MAX_CHOICES, IsoDate, UserFacingError, admin_only, send_in_messages, send_pages
from bot.render.embeds import digest_embeds
from bot.render.limits import NO_MENTIONS, escape
from summarizer.briefings.delivery import DeliveryFailed, Subscription
from summarizer.engine import Engine
from summarizer.results import Digest

log = logging.getLogger(__name__)
CHECK_EVERY_S = 30
# Waking for a posting minute a little after it: a wake-up a hair early by the wall clock
# would find nothing due and post at the next check, 30 s late.
AFTER_THE_MINUTE_S = 0.2
# A /digest nobody has asked for yet is written by the model while the user waits (the reply is
# deferred). Past this, the stories written so far are shown and the others quoted from their leads.
COMMAND_WAIT_S = 120.0
_POST_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_post_time(text: str) -> str:
    match = _POST_TIME.match(text.strip())
    if not match:
        raise UserFacingError(f"“{escape(text)}” is not a time of day; use HH:MM (24-hour), e.g. 08:00.")
    return f"{int(match[1]):02d}:{match[2]}"


def parse_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UserFacingError(f"“{escape(name)}” is not a time zone; use an IANA name such as "
                              "Europe/Paris, Asia/Kolkata or UTC.") from None
    return name.strip()


@functools.cache
def _timezone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


class DigestCog(commands.Cog):
    def __init__(self, bot: commands.Bot, engine: Engine, *, clock: Clock = utc_now,
                 post_empty_days: bool = False, schedule: bool = True) -> None:
        self.bot = bot
        self.engine = engine
        self.clock = clock
        self.post_empty_days = post_empty_days
        self.schedule = schedule

    async def cog_load(self) -> None:
        if self.schedule:
            self.delivery_loop.start()

    async def cog_unload(self) -> None:
        self.delivery_loop.cancel()
        await self.engine.deliveries.close()

    # -- commands -----------------------------------------------------------------------------

    @app_commands.command(name="digest", description="The digest for a day (default: the latest day with articles)")
    @app_commands.describe(date="The day, YYYY-MM-DD")
    async def digest(self, interaction: discord.Interaction, date: IsoDate | None = None) -> None:
        await interaction.response.defer(thinking=True)
        await send_pages(interaction, digest_embeds(await self.engine.digest(date, wait_s=COMMAND_WAIT_S)))

    @app_commands.command(name="digest-subscribe", description="Post the daily digest in a channel at a local time")
    @app_commands.describe(channel="Where to post", time="Local time of day, HH:MM (24-hour)",
                           timezone="IANA time zone, e.g. Europe/Paris")
    @app_commands.guild_only()
    @admin_only()
    async def subscribe(self, interaction: discord.Interaction, channel: discord.TextChannel, time: str,
                        timezone: str) -> None:
        post_time, zone = parse_post_time(time), parse_timezone(timezone)
        me = channel.guild.me
        allowed = channel.permissions_for(me) if me else discord.Permissions.none()
        if not (allowed.send_messages and allowed.embed_links):
            raise UserFacingError(f"I cannot post in {channel.mention}: I need Send Messages and Embed Links there.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.engine.deliveries.subscribe(Subscription(channel.id, channel.guild.id, post_time, zone),
                                               created_by=interaction.user.id, now=self.clock())
        await interaction.followup.send(
            f"{channel.mention} will get the digest of the previous day's news every day at {post_time} ({zone}).",
            ephemeral=True, allowed_mentions=NO_MENTIONS)

    @subscribe.autocomplete("timezone")
    async def _timezone_autocomplete(self, interaction: discord.Interaction,
                                     current: str) -> list[app_commands.Choice[str]]:
        wanted = current.casefold().replace(" ", "_")
        names = [n for n in _timezone_names() if wanted in n.casefold()]
        return [app_commands.Choice(name=n, value=n) for n in names[:MAX_CHOICES]]

    @app_commands.command(name="digest-unsubscribe", description="Stop posting the daily digest in a channel")
    @app_commands.describe(channel="The channel to stop posting in")
    @app_commands.guild_only()
    @admin_only()
    async def unsubscribe(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.engine.deliveries.unsubscribe(channel.id)
        text = (f"{channel.mention} will no longer get the daily digest." if removed
                else f"{channel.mention} was not subscribed.")
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # -- scheduling ---------------------------------------------------------------------------

    @tasks.loop(seconds=CHECK_EVERY_S)
    async def delivery_loop(self) -> None:
        try:
            await self.deliver_due_digests()
            now = self.clock()
            await self.engine.deliveries.prepare_upcoming(now)
            upcoming = await self.engine.deliveries.next_posting(now)
            if upcoming is not None and (upcoming - now).total_seconds() < CHECK_EVERY_S:
                # Prepared ahead, a digest can go out at its minute rather than at the next check.
                await asyncio.sleep((upcoming - now).total_seconds() + AFTER_THE_MINUTE_S)
                await self.deliver_due_digests()
        except Exception:  # an exception would end the loop for good
            log.exception("checking for due digests failed")

    @delivery_loop.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def deliver_due_digests(self) -> list[int]:
        """Post every digest whose time has come and that has not gone out; returns the channels posted to."""
        return await self.engine.deliveries.deliver_due(self.clock(), self._post,
                                                        post_empty_days=self.post_empty_days)

    async def _post(self, channel_id: int, digest: Digest) -> int:
        try:
            return await self._send(channel_id, digest)
        except (discord.HTTPException, LookupError) as exc:
            raise DeliveryFailed(str(exc)) from exc

    async def _send(self, channel_id: int, digest: Digest) -> int:
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise LookupError(f"channel {channel_id} cannot receive messages")
        def post(*, first: bool, **options) -> Awaitable[discord.Message]:
            return channel.send(**options)
        sent = await send_in_messages(post, digest_embeds(digest))
        return sent[0].id
