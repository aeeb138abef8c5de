"""Questions: mentions of the bot, replies to its answers, and `/ask`."""

from __future__ import annotations

import logging
import re
import time
from typing import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import AskCooldown, IsoDate, outlet_choices, send_embeds, send_in_messages, wait_message
from bot.render.embeds import answer_embeds, question_of_answer
from bot.render.limits import NO_MENTIONS, escape
from bot.render.safety import ELLIPSIS, truncate
from bot.render.views import EvidenceView
from summarizer.engine import Engine
from summarizer.results import Answer, QuestionError

log = logging.getLogger(__name__)
APOLOGY = "Sorry, something went wrong while answering that. The error has been logged."
# The earlier question is context for a follow-up, not the point: keep the pair askable.
FOLLOW_UP_CONTEXT_CHARS = 200


class Cooldowns:
    """One question per user per ``seconds``, shared by mentions and /ask."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last_ask: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """Seconds the user must still wait; 0 means go ahead (and starts a new wait)."""
        now = self._clock()
        last = self._last_ask.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last_ask[user_id] = now
        self._forget_expired(now)
        return 0.0

    def _forget_expired(self, now: float) -> None:
        if len(self._last_ask) > 1000:
            self._last_ask = {u: t for u, t in self._last_ask.items() if now - t < self.seconds}


def strip_mention(content: str, user_id: int, role_id: int | None = None) -> str:
    """The message without the bot's mention (as a user, or as its own role, which Discord
    often suggests first when typing @briefbot)."""
    pattern = rf"<@!?{user_id}>" if role_id is None else rf"<@!?{user_id}>|<@&{role_id}>"
    return re.sub(pattern, " ", content).strip()


def follow_up_question(previous: str, follow_up: str) -> str:
    context = truncate(previous, FOLLOW_UP_CONTEXT_CHARS).removesuffix(ELLIPSIS)
    return f"{context} {follow_up}".strip()


class AskCog(commands.Cog):
    def __init__(self, bot: commands.Bot, engine: Engine, cooldowns: Cooldowns) -> None:
        self.bot = bot
        self.engine = engine
        self.cooldowns = cooldowns

    # -- mentions and replies -----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        question = self._question_in(message)
        if question is None:
            return
        try:
            wait = self.cooldowns.retry_after(message.author.id)
            if wait:
                await message.reply(wait_message(wait), allowed_mentions=NO_MENTIONS, delete_after=wait)
                return
            async with message.channel.typing():
                outcome = await self._answer(question)
            await self._reply(message, outcome)
        except discord.HTTPException as exc:  # e.g. no permission to post here: nobody to tell but the log
            log.warning("could not answer in channel %s: %s", message.channel.id, exc)

    def _question_in(self, message: discord.Message) -> str | None:
        """The question a message puts to the bot: by mentioning it, or by replying to one of
        its answers (then the earlier question is the context). None if it is not for the bot."""
        me = self.bot.user
        if me is None or message.author.bot:
            return None
        previous = self._question_replied_to(message)
        own_role = message.guild.self_role if message.guild else None
        mentioned = (any(user.id == me.id for user in message.mentions)
                     or (own_role is not None and own_role in message.role_mentions))
        if previous is None and not mentioned:
            return None
        question = strip_mention(message.content, me.id, own_role.id if own_role else None)
        return question if previous is None else follow_up_question(previous, question)

    def _question_replied_to(self, message: discord.Message) -> str | None:
        """The question of the bot's answer this message replies to, if it does."""
        replied = message.reference.resolved if message.reference else None
        if not isinstance(replied, discord.Message) or replied.author.id != self.bot.user.id:
            return None
        return next((q for q in map(question_of_answer, replied.embeds) if q), None)

    async def _answer(self, question: str) -> Answer | str:
        """The answer, or the text to say instead."""
        try:
            return await self.engine.ask(question)
        except QuestionError as exc:
            return str(exc)
        except Exception:
            log.exception("answering a mention failed")
            return APOLOGY

    async def _reply(self, message: discord.Message, outcome: Answer | str) -> None:
        if isinstance(outcome, str):
            await message.reply(escape(outcome), allowed_mentions=NO_MENTIONS)
            return

        def reply_then_continue(*, first: bool, **options) -> Awaitable[discord.Message]:
            return message.reply(**options) if first else message.channel.send(**options)

        view = EvidenceView(outcome) if outcome.citations else None
        await send_in_messages(reply_then_continue, answer_embeds(outcome), view=view)

    # -- /ask ---------------------------------------------------------------------------------

    @app_commands.command(name="ask", description="A short answer from the news corpus, with its sources")
    @app_commands.describe(question="What do you want to know?",
                           since="Only articles published on or after this day (YYYY-MM-DD)",
                           until="Only articles published on or before this day (YYYY-MM-DD)",
                           source="Only this outlet")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 500],
                  since: IsoDate | None = None, until: IsoDate | None = None, source: str | None = None) -> None:
        wait = self.cooldowns.retry_after(interaction.user.id)
        if wait:
            raise AskCooldown(wait)
        await interaction.response.defer(thinking=True)
        answer = await self.engine.ask(question, since=since, until=until, source=source)
        view = EvidenceView(answer) if answer.citations else None
        await send_embeds(interaction, answer_embeds(answer), view=view)

    @ask.autocomplete("source")
    async def _source_autocomplete(self, interaction: discord.Interaction,
                                   current: str) -> list[app_commands.Choice[str]]:
        return await outlet_choices(self.engine, current)
