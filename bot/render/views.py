"""Buttons under a message: the evidence button's look and the pager (paging is presentation)."""

from __future__ import annotations

import logging
from typing import Sequence

import discord

from bot.render.embeds import evidence_embeds
from bot.render.limits import NO_MENTIONS, message_batches
from summarizer.results import Answer

log = logging.getLogger(__name__)

PAGER_TIMEOUT_S = 600.0


class ExpiringView(discord.ui.View):
    """Buttons that disappear from their message when they stop working (after ``timeout``)."""

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.message: discord.Message | None = None  # set once the message is sent

    async def on_timeout(self) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit(view=None)
        except discord.HTTPException as exc:  # deleted, or the interaction token expired: nothing to tidy
            log.debug("could not remove expired buttons: %s", exc)


EVIDENCE_LABEL = "Show evidence"


def evidence_custom_id(ref: str) -> str:
    """The evidence button's id: it names the answer, so any process can serve the click later."""
    return f"briefbot:evidence:{ref}"


EVIDENCE_CUSTOM_ID = r"briefbot:evidence:(?P<ref>[0-9a-f]{32})"  # matches evidence_custom_id()


def evidence_button(ref: str) -> discord.ui.Button:
    return discord.ui.Button(label=EVIDENCE_LABEL, style=discord.ButtonStyle.secondary,
                             custom_id=evidence_custom_id(ref))


async def show_evidence(interaction: discord.Interaction, answer: Answer) -> None:
    """The cited passages, only to whoever clicked."""
    batches = message_batches(evidence_embeds(answer))
    await interaction.response.send_message(embeds=batches[0], ephemeral=True, allowed_mentions=NO_MENTIONS)
    for batch in batches[1:]:
        await interaction.followup.send(embeds=batch, ephemeral=True, allowed_mentions=NO_MENTIONS)


class Pager(ExpiringView):
    """Previous/next buttons over a list of embeds; only the person who asked turns the pages."""

    def __init__(self, embeds: Sequence[discord.Embed], owner_id: int, *, timeout: float = PAGER_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout)
        self.embeds = list(embeds)
        self.owner_id = owner_id
        self.index = 0
        self._sync_buttons()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("Only the person who asked can turn these pages.", ephemeral=True)
        return False

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.index + 1)

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = max(0, min(index, len(self.embeds) - 1))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.embeds[self.index], view=self)

    def _sync_buttons(self) -> None:
        self.previous_page.disabled = self.index == 0
        self.next_page.disabled = self.index >= len(self.embeds) - 1
