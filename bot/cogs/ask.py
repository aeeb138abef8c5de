"""Questions: mentions of the bot, replies to its answers, `/ask`, and the evidence buttons.

A question the model will answer is replied to at once with quotes from the evidence, and
that same reply is edited into the generated answer when the model gets to it, so a busy
channel sees a cited answer in seconds however long the model's queue. The "Show evidence"
button names its answer in its ``custom_id`` and is served from the store, so it works on
every answer the bot has posted, across restarts."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from typing import Awaitable, Callable, Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import AskCooldown, IsoDate, Send, outlet_choices, send_in_messages, wait_message
from bot.render.embeds import answer_embeds, question_of_answer
from bot.render.limits import NO_MENTIONS, escape
from bot.render.safety import ELLIPSIS, truncate
from bot.render.views import EVIDENCE_CUSTOM_ID, evidence_button, show_evidence
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


class EvidenceButton(discord.ui.DynamicItem[discord.ui.Button], template=EVIDENCE_CUSTOM_ID):
    """"Show evidence" under an answer; any click on such a button, however old, lands here."""

    def __init__(self, ref: str) -> None:
        super().__init__(evidence_button(ref))
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> "EvidenceButton":
        return cls(match["ref"])

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = interaction.client.get_cog(AskCog.__cog_name__)
        answer = await cog.engine.shown_answer(self.ref) if isinstance(cog, AskCog) else None
        if answer is None:
            await interaction.response.send_message(EVIDENCE_GONE, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await show_evidence(interaction, answer)


EVIDENCE_GONE = "The evidence behind this answer is no longer stored; ask the question again."


def evidence_view(answer: Answer) -> discord.ui.View | None:
    """The answer's "Show evidence" button, in a view that never expires."""
    if not answer.citations or answer.ref is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(EvidenceButton(answer.ref))
    return view


class AskCog(commands.Cog):
    def __init__(self, bot: commands.Bot, engine: Engine, cooldowns: Cooldowns) -> None:
        self.bot = bot
        self.engine = engine
        self.cooldowns = cooldowns

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(EvidenceButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(EvidenceButton)

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
            await self._answer_message(message, question)
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

    async def _answer_message(self, message: discord.Message, question: str) -> None:
        """Reply with the answer (first its draft, then edited into the final answer)."""
        def reply_then_continue(*, first: bool, **options) -> Awaitable[discord.Message]:
            return message.reply(**options) if first else message.channel.send(**options)

        async with contextlib.AsyncExitStack() as typing:
            # "Typing…" until the first reply: a draft waiting for its summary needs none, and
            # twenty of them would each keep refreshing it.
            await typing.enter_async_context(message.channel.typing())
            shown = AnswerOnScreen(reply_then_continue, before_first=typing.aclose)
            try:
                answer = await self.engine.ask(question, on_draft=shown.update)
            except QuestionError as exc:
                await typing.aclose()
                await message.reply(escape(str(exc)), allowed_mentions=NO_MENTIONS)
                return
            except discord.HTTPException:
                raise
            except Exception:
                log.exception("answering a mention failed")
                await typing.aclose()
                if not shown.messages:  # a draft already shown stays: it is cited and true
                    await message.reply(APOLOGY, allowed_mentions=NO_MENTIONS)
                return
            await shown.update(answer)

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

        def follow_up(*, first: bool, **options) -> Awaitable[discord.Message]:
            return interaction.followup.send(wait=True, **options)

        shown = AnswerOnScreen(follow_up)
        answer = await self.engine.ask(question, since=since, until=until, source=source, on_draft=shown.update)
        await shown.update(answer)

    @ask.autocomplete("source")
    async def _source_autocomplete(self, interaction: discord.Interaction,
                                   current: str) -> list[app_commands.Choice[str]]:
        return await outlet_choices(self.engine, current)


class AnswerOnScreen:
    """The messages showing one answer: sent for its first version, edited for the next."""

    def __init__(self, send: Send, *, before_first: Callable[[], Awaitable[None]] | None = None) -> None:
        self._send = send
        self._before_first = before_first
        self.messages: Sequence[discord.Message] = ()

    async def update(self, answer: Answer) -> None:
        if not self.messages and self._before_first is not None:
            await self._before_first()
        self.messages = await send_in_messages(self._send, answer_embeds(answer), view=evidence_view(answer),
                                               replacing=self.messages)
