"""Corpus administration: `/ingest` an attached article (Manage Server or bot owner)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import UserFacingError, admin_only
from bot.render.embeds import ingest_report_text
from bot.render.limits import NO_MENTIONS, escape
from summarizer.engine import Engine
from summarizer.ingest.documents import MAX_FILE_BYTES, text_problem

log = logging.getLogger(__name__)


def upload_problem(filename: str, size: int) -> str | None:
    """Why an attachment cannot be an article, judged before downloading it."""
    name = escape(filename)
    if not filename.lower().endswith(".txt"):
        return f"{name} is not a .txt file: attach the article as plain text."
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

    @app_commands.command(name="ingest", description="Add an article (.txt, up to 5 MB) to the corpus")
    @app_commands.describe(article="The article as UTF-8 text; front matter (title, source, published) optional")
    @admin_only()
    async def ingest(self, interaction: discord.Interaction, article: discord.Attachment) -> None:
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
