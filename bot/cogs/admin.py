"""Corpus administration: `/ingest` an attached article or a web page (Manage Server or bot owner)."""

from __future__ import annotations

import logging
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import UserFacingError, admin_only
from bot.render.embeds import ingest_report_text
from bot.render.limits import CONTENT_LIMIT, NO_MENTIONS, escape
from bot.render.safety import truncate
from summarizer.engine import Engine
from summarizer.ingest.documents import ARTICLE_SUFFIXES, MAX_FILE_BYTES, text_problem

log = logging.getLogger(__name__)


def upload_problem(filename: str, size: int) -> str | None:
    """Why an attachment cannot be an article, judged before downloading it."""
    name = escape(filename)
    if Path(filename).suffix.lower() not in ARTICLE_SUFFIXES:
        kinds = ", ".join(sorted(ARTICLE_SUFFIXES))
        return f"{name} is not an article file: attach it as {kinds}."
    if size > MAX_FILE_BYTES:
        return f"{name} is {size / 1024 / 1024:.1f} MB; articles can be at most {MAX_FILE_BYTES // 1024 // 1024} MB."
    if size == 0:
        return f"{name} is empty."
    return None


def content_problem(filename: str, data: bytes) -> str | None:
    """Why downloaded bytes are not a text article (the ingest's own rule, phrased for chat)."""
    problem = text_problem(data)
    if problem is None and not data.decode("utf-8-sig").strip():
        problem = "no text"
    return f"{escape(filename)}: {problem}." if problem else None


class AdminCog(commands.Cog):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @app_commands.command(name="ingest", description="Add an article (a file up to 5 MB, or a web page) to the corpus")
    @app_commands.describe(article="The article as a UTF-8 .txt, .md or .html file; front matter optional",
                           url="Or the address of an article page (http or https)")
    @admin_only()
    async def ingest(self, interaction: discord.Interaction, article: discord.Attachment | None = None,
                     url: str | None = None) -> None:
        if (article is None) == (url is None or not url.strip()):
            raise UserFacingError("Give either an article file or a url, not both and not neither.")
        if article is None:
            await self._ingest_url(interaction, url.strip())
            return
        problem = upload_problem(article.filename, article.size)
        if problem:
            raise UserFacingError(problem)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await article.read()
        except discord.HTTPException as exc:
            raise UserFacingError(f"I could not download {escape(article.filename)} "
                                  f"(Discord said {exc.status}); try attaching it again.") from None
        problem = content_problem(article.filename, data)
        if problem:
            raise UserFacingError(problem)
        report = await self.engine.ingest_upload(article.filename, data)
        log.info("ingested upload %r from user %s: %s", article.filename, interaction.user.id, report.summary())
        await interaction.followup.send(ingest_report_text(article.filename, report), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)

    async def _ingest_url(self, interaction: discord.Interaction, url: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.engine.ingest_url(url)
        log.info("ingest of %s from user %s: %s", url, interaction.user.id, result.message)
        text = result.message[:1].upper() + result.message[1:] if result.ok else \
            f"Could not ingest that page: {result.message}"
        await interaction.followup.send(truncate(escape(text), CONTENT_LIMIT), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)
