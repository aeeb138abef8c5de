"""Buttons: expiring views and the pager (the evidence button is tested with the ask cog)."""

from __future__ import annotations

import discord

from bot.render import views


async def test_expired_buttons_are_removed_from_their_message():
    class Message:
        def __init__(self) -> None:
            self.edits: list[dict] = []

        async def edit(self, **changes) -> None:
            self.edits.append(changes)

    view = views.Pager([discord.Embed(title="1"), discord.Embed(title="2")], owner_id=1)
    view.message = Message()

    await view.on_timeout()

    assert view.message.edits == [{"view": None}]


async def test_the_pager_disables_the_buttons_at_either_end():
    pager = views.Pager([discord.Embed(title="1"), discord.Embed(title="2")], owner_id=1)

    assert (pager.previous_page.disabled, pager.next_page.disabled) == (True, False)
    pager.index = 1
    pager._sync_buttons()
    assert (pager.previous_page.disabled, pager.next_page.disabled) == (False, True)
