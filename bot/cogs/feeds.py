"""Following the news: `/feeds add|list|remove` (Manage Server) and the loop that polls due feeds.

Fetching, parsing and storing are the engine's (``summarizer.web``); this cog parses the
options, says what happened, and ticks the poll loop while the bot runs."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.common import UserFacingError, admin_only
from bot.render.feeds import feed_added_text, feed_list_text, feed_removed_text
from bot.render.limits import CONTENT_LIMIT, NO_MENTIONS, escape
from bot.render.safety import truncate
from summarizer.engine import Engine
from summarizer.web.schedule import IntervalError, parse_interval

log = logging.getLogger(__name__)
# The loop's tick: a feed is polled within this long of its due time (shorter when the floor is).
LONGEST_TICK_S = 60.0


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedsCog(commands.GroupCog, group_name="feeds", group_description="The news feeds this bot follows"):
    def __init__(self, engine: Engine, *, schedule: bool = True) -> None:
        self.engine = engine
        self.schedule = schedule
        super().__init__()

    async def cog_load(self) -> None:
        if self.schedule:
            self.poll_loop.change_interval(seconds=min(LONGEST_TICK_S, self.engine.config.feed_min_every_s))
            self.poll_loop.start()

    async def cog_unload(self) -> None:
        self.poll_loop.cancel()

    @app_commands.command(name="add", description="Follow an RSS, Atom or JSON Feed (polled on a schedule)")
    @app_commands.describe(url="The feed's address (http or https)", every="How often to poll, e.g. 30m, 2h (default 30m)")
    @admin_only()
    async def add(self, interaction: discord.Interaction, url: str, every: str | None = None) -> None:
        every_s = self._interval(every)
        await interaction.response.defer(ephemeral=True, thinking=True)
        added = await self.engine.add_feed(url.strip(), every_s=every_s, guild_id=interaction.guild_id,
                                           added_by=interaction.user.id)
        log.info("feed %s added by user %s: %s", added.feed.url, interaction.user.id, added.first_poll)
        await interaction.followup.send(feed_added_text(added, escape), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="list", description="The feeds followed: last poll, articles taken, last error")
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(truncate(feed_list_text(await self.engine.feeds(), escape), CONTENT_LIMIT), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="remove", description="Stop following a feed (its articles stay in the corpus)")
    @app_commands.describe(feed="The feed's number from /feeds list, or its address")
    @admin_only()
    async def remove(self, interaction: discord.Interaction, feed: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.engine.remove_feed(feed.strip())
        if removed is None:
            raise UserFacingError(f"No feed “{escape(feed)}” is followed; /feeds list shows them.")
        await interaction.followup.send(feed_removed_text(removed, escape), ephemeral=True, allowed_mentions=NO_MENTIONS)

    def _interval(self, every: str | None) -> float | None:
        if every is None or not every.strip():
            return None
        try:
            return parse_interval(every, minimum_s=self.engine.config.feed_min_every_s)
        except IntervalError as exc:
            raise UserFacingError(escape(str(exc))) from None

    # -- scheduling ---------------------------------------------------------------------------

    @tasks.loop(seconds=LONGEST_TICK_S)
    async def poll_loop(self) -> None:
        try:
            await self.engine.poll_feeds()
        except Exception:  # an exception would end the loop for good
            log.exception("polling the feeds failed")
