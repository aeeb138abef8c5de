"""What the cogs share: sending within Discord's limits, the admin check, option parsing
and the errors whose message is meant for the user."""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Awaitable, Protocol, Sequence

import discord
from discord import app_commands

from bot.render.limits import CONTENT_LIMIT, NO_MENTIONS, escape, message_batches
from bot.render.safety import truncate
from bot.render.views import ExpiringView, Pager
from summarizer.engine import Engine

log = logging.getLogger(__name__)
MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices


class UserFacingError(app_commands.AppCommandError):
    """A refusal whose message is shown to the user as it is (ephemerally)."""


class NotAdmin(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__("You need the Manage Server permission to use this command.")


class AskCooldown(app_commands.CheckFailure):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(wait_message(retry_after))


def wait_message(retry_after: float) -> str:
    # Rounded up: waiting the number shown must be enough.
    return f"Please wait {max(1, math.ceil(retry_after))} s before asking again."


# -- permissions ------------------------------------------------------------------------------

async def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server in this server, or an owner of the bot.

    The permission comes from the interaction payload (resolved by Discord, overwrites
    included); checking at run time matters because server admins can change who sees a
    command regardless of its default permissions."""
    if interaction.permissions.manage_guild:
        return True
    try:
        return await interaction.client.is_owner(interaction.user)
    except discord.HTTPException:
        return False


async def _require_admin(interaction: discord.Interaction) -> bool:
    if not await is_admin(interaction):
        raise NotAdmin()
    return True


def admin_only():
    """Hidden from members without Manage Server by default, and refused at run time too."""
    def decorator(func):
        func = app_commands.default_permissions(manage_guild=True)(func)
        return app_commands.check(_require_admin)(func)
    return decorator


# -- options ----------------------------------------------------------------------------------

class IsoDateTransformer(app_commands.Transformer):
    """A YYYY-MM-DD option, refused with a clear message when it is not a date."""

    async def transform(self, interaction: discord.Interaction, value: str) -> str:
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise UserFacingError(f"“{escape(value)}” is not a date; use YYYY-MM-DD, e.g. 2022-01-05.") \
                from None


IsoDate = app_commands.Transform[str, IsoDateTransformer]


async def outlet_choices(engine: Engine, current: str) -> list[app_commands.Choice[str]]:
    outlets = sorted({i.source for i in await engine.sources() if i.source})
    wanted = current.casefold()
    return [app_commands.Choice(name=o[:100], value=o[:100]) for o in outlets if wanted in o.casefold()][:MAX_CHOICES]


# -- sending ----------------------------------------------------------------------------------

class Send(Protocol):
    """Sends one message; ``first`` tells the first of a series from the rest."""

    def __call__(self, *, first: bool, embeds: list[discord.Embed], **options) -> Awaitable[discord.Message]: ...


async def send_in_messages(send: Send, embeds: Sequence[discord.Embed], *, view: discord.ui.View | None = None,
                           replacing: Sequence[discord.Message] = ()) -> list[discord.Message]:
    """As many messages as the embeds need, pinging nobody; the view goes on the last one.

    ``replacing`` are messages showing an earlier version (an answer's draft): they are edited
    in place, more are sent if the new version needs more, and any left over are deleted."""
    sent: list[discord.Message] = []
    batches = message_batches(embeds)
    for number, batch in enumerate(batches, 1):
        last = number == len(batches)
        if number <= len(replacing):
            sent.append(await _edited(replacing[number - 1], embeds=batch, view=view if last else None))
        else:
            options = {"view": view} if view is not None and last else {}
            sent.append(await send(first=number == 1, embeds=batch, allowed_mentions=NO_MENTIONS, **options))
    for extra in replacing[len(batches):]:
        await _deleted(extra)
    if isinstance(view, ExpiringView):
        view.message = sent[-1]
    return sent


async def _edited(message: discord.Message, **changes) -> discord.Message:
    try:
        return await message.edit(allowed_mentions=NO_MENTIONS, **changes) or message
    except discord.NotFound:  # deleted meanwhile: there is nothing left to update
        return message


async def _deleted(message: discord.Message) -> None:
    try:
        await message.delete()
    except discord.NotFound:
        pass


async def send_embeds(interaction: discord.Interaction, embeds: Sequence[discord.Embed], *,
                      view: discord.ui.View | None = None, ephemeral: bool = False,
                      replacing: Sequence[discord.Message] = ()) -> list[discord.Message]:
    """Follow up a deferred interaction with the embeds, in as many messages as they need."""
    def follow_up(*, first: bool, **options) -> Awaitable[discord.Message]:
        return interaction.followup.send(ephemeral=ephemeral, wait=True, **options)
    return await send_in_messages(follow_up, embeds, view=view, replacing=replacing)


async def send_pages(interaction: discord.Interaction, pages: Sequence[discord.Embed]) -> None:
    """The first page, with buttons to the others when there are more."""
    if len(pages) == 1:
        await send_embeds(interaction, pages)
    else:
        await send_embeds(interaction, pages[:1], view=Pager(pages, interaction.user.id))


async def tell_privately(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral note, whether or not the interaction has been answered already."""
    text = truncate(text, CONTENT_LIMIT)
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
