"""`/stats`: the corpus size and how the bot is answering."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import send_embeds
from bot.render.embeds import stats_embed
from summarizer.engine import Engine


class StatsCog(commands.Cog):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @app_commands.command(name="stats", description="Corpus size, cache hit rate and median answer time")
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await send_embeds(interaction, [stats_embed(await self.engine.stats())])
