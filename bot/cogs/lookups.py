"""Lookups that quote the corpus: `/search`, `/article`, `/sources`, `/quotes`, `/timeline`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import MAX_CHOICES, UserFacingError, send_embeds, send_pages
from bot.render.embeds import article_embed, quotes_pages, search_pages, sources_pages, timeline_pages
from bot.render.limits import escape
from bot.render.safety import clean, truncate
from summarizer.engine import Engine

SEARCH_RESULTS = 9
QUOTES = 10
TIMELINE_EVENTS = 12


class LookupsCog(commands.Cog):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @app_commands.command(name="search", description="The passages that best match a query, with their articles")
    @app_commands.describe(query="Words to look for")
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 300]) -> None:
        await interaction.response.defer(thinking=True)
        hits = await self.engine.search(query, k=SEARCH_RESULTS)
        await send_pages(interaction, search_pages(query, hits))

    @app_commands.command(name="article", description="One article: its outlet, date and a short summary")
    @app_commands.describe(id_or_title="The article's ID or (part of) its title")
    async def article(self, interaction: discord.Interaction, id_or_title: app_commands.Range[str, 1, 300]) -> None:
        await interaction.response.defer(thinking=True)
        brief = await self.engine.article(id_or_title)
        if brief is None:
            raise UserFacingError(f"No article matches “{escape(id_or_title)}”. Try /sources for the list.")
        await send_embeds(interaction, [article_embed(brief)])

    @article.autocomplete("id_or_title")
    async def _article_autocomplete(self, interaction: discord.Interaction,
                                    current: str) -> list[app_commands.Choice[str]]:
        wanted = current.casefold()
        matches = [i for i in await self.engine.sources()
                   if wanted in i.title.casefold() or i.article_id.casefold().startswith(wanted)]
        # The title is what people recognise; the ID is what identifies the article.
        return [app_commands.Choice(name=truncate(clean(i.title), 100), value=i.article_id[:100])
                for i in matches[:MAX_CHOICES]]

    @app_commands.command(name="sources", description="What the corpus holds")
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await send_pages(interaction, sources_pages(await self.engine.sources()))

    @app_commands.command(name="quotes", description="What a named person said, verbatim, with sources")
    @app_commands.describe(speaker="Who, e.g. Lavrov", topic="About what (optional), e.g. the Quad")
    async def quotes(self, interaction: discord.Interaction, speaker: app_commands.Range[str, 1, 100],
                     topic: app_commands.Range[str, 1, 200] | None = None) -> None:
        await interaction.response.defer(thinking=True)
        found = await self.engine.quotes(speaker, topic, limit=QUOTES)
        await send_pages(interaction, quotes_pages(speaker, found))

    @app_commands.command(name="timeline", description="Dated events on a topic, in order, each cited")
    @app_commands.describe(topic="The topic, e.g. India-Russia defence ties")
    async def timeline(self, interaction: discord.Interaction, topic: app_commands.Range[str, 1, 200]) -> None:
        await interaction.response.defer(thinking=True)
        events = await self.engine.timeline(topic, limit=TIMELINE_EVENTS)
        await send_pages(interaction, timeline_pages(topic, events))
