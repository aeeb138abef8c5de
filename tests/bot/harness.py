"""A stand-in for Discord's side of interactions, for driving slash commands and buttons
through discord.py's real CommandTree and view dispatch.

dpytest fakes the gateway and the channel REST routes; interaction responses and
followups go through discord.py's webhook adapter instead, so that is replaced here at the
HTTP edge: every request is recorded and answered with what Discord would return."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.ext.test import factories
from discord.webhook.async_ import AsyncWebhookAdapter

EPHEMERAL = 64
_ids = itertools.count(1_200_000_000_000_000_000)

# Interaction callback types (https://discord.com/developers/docs/interactions/receiving-and-responding)
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8

# Application command option types
SUB_COMMAND, STRING, INTEGER, CHANNEL, ATTACHMENT = 1, 3, 4, 7, 11


def snowflake() -> int:
    return next(_ids)


@dataclass
class Sent:
    """One request the bot made to answer an interaction."""

    kind: str  # "response" (callback), "followup", "edit" (of the original or a followup)
    payload: dict[str, Any]
    message_id: int | None = None

    @property
    def response_type(self) -> int | None:
        return self.payload.get("type") if self.kind == "response" else None

    @property
    def message(self) -> dict[str, Any]:
        """The message part: callbacks wrap it in "data", followups send it as is."""
        return self.payload.get("data") or {} if self.kind == "response" else self.payload

    @property
    def content(self) -> str:
        return self.message.get("content") or ""

    @property
    def embeds(self) -> list[discord.Embed]:
        return [discord.Embed.from_dict(e) for e in self.message.get("embeds") or []]

    @property
    def ephemeral(self) -> bool:
        return bool((self.message.get("flags") or 0) & EPHEMERAL)

    @property
    def allowed_mentions(self) -> dict | None:
        return self.message.get("allowed_mentions")

    @property
    def button_labels(self) -> list[str]:
        return [c.get("label") for row in self.message.get("components") or [] for c in row.get("components", [])]

    def text(self) -> str:
        """Everything a reader sees: content and every embed part."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
            parts += [f"{f.name}\n{f.value}" for f in embed.fields]
        return "\n".join(parts)


@dataclass
class DiscordInteractions:
    """Builds interaction payloads, runs them through the bot and records its answers."""

    bot: discord.Client
    sent: list[Sent] = field(default_factory=list)
    _channel_id: int = 0  # where the interaction being run happens

    # -- the HTTP edge --------------------------------------------------------------------------

    def install(self, monkeypatch) -> None:
        async def request(adapter, route, session=None, *, payload=None, multipart=None, files=None, **_):
            return self._answer(route, self._payload(payload, multipart))
        monkeypatch.setattr(AsyncWebhookAdapter, "request", request)

    @staticmethod
    def _payload(payload: dict | None, multipart: list[dict] | None) -> dict:
        if payload is not None:
            return payload
        for part in multipart or []:
            if part.get("name") == "payload_json":
                return json.loads(part["value"])
        return {}

    def _answer(self, route, payload: dict) -> dict | None:
        path = route.path
        if route.method == "POST" and path.endswith("/callback"):
            message_id = snowflake()
            self.sent.append(Sent("response", payload, message_id))
            data = payload.get("data") or {}
            interaction = {"id": str(route.webhook_id), "type": 2, "response_message_id": str(message_id),
                           "response_message_loading": payload["type"] == DEFERRED_CHANNEL_MESSAGE,
                           "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL)}
            resource = {"type": payload["type"]}
            if payload["type"] == CHANNEL_MESSAGE:
                resource["message"] = self._message(message_id, data)
            return {"interaction": interaction, "resource": resource}
        if route.method == "POST":  # a followup (execute webhook)
            message_id = snowflake()
            self.sent.append(Sent("followup", payload, message_id))
            return self._message(message_id, payload)
        if route.method == "PATCH":
            edited = route.url.rsplit("/", 1)[-1]
            message_id = int(edited) if edited.isdigit() else snowflake()  # else "@original"
            self.sent.append(Sent("edit", payload, message_id))
            return self._message(message_id, payload)
        if route.method == "GET":
            return self._message(snowflake(), {})
        return None

    def _message(self, message_id: int, payload: dict) -> dict:
        return {
            "id": str(message_id), "channel_id": str(self._channel_id), "type": 0,
            "content": payload.get("content") or "", "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [], "flags": payload.get("flags") or 0,
            "author": factories.dict_from_user(self.bot.user), "attachments": [], "mentions": [],
            "mention_roles": [], "mention_everyone": False, "pinned": False, "tts": False,
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(), "edited_timestamp": None,
        }

    # -- driving the bot ------------------------------------------------------------------------

    async def slash(self, name: str, options: list[dict] | None = None, *, member: discord.Member,
                    channel: discord.abc.GuildChannel, permissions: discord.Permissions | None = None,
                    resolved: dict | None = None) -> list[Sent]:
        """Invoke a slash command as ``member`` would; returns what the bot sent back."""
        data = {"id": str(snowflake()), "name": name, "type": 1, "options": options or [],
                "resolved": resolved or {}}
        interaction = self._interaction(2, data, member, channel, permissions)
        return await self._run(self.bot.tree._call(interaction))

    async def autocomplete(self, name: str, options: list[dict], *, member: discord.Member,
                           channel: discord.abc.GuildChannel) -> list[dict]:
        """The choices the bot offers for the option marked ``"focused": True``."""
        data = {"id": str(snowflake()), "name": name, "type": 1, "options": options}
        sent = await self._run(self.bot.tree._call(self._interaction(4, data, member, channel, None)))
        assert sent and sent[-1].response_type == AUTOCOMPLETE_RESULT
        return sent[-1].payload["data"]["choices"]

    async def click(self, label: str, message_id: int, *, member: discord.Member,
                    channel: discord.abc.GuildChannel, components: list[dict] | None = None) -> list[Sent]:
        """Press the button labelled ``label`` on a message the bot sent. ``components`` are the
        message's components as sent (needed for buttons that no live view holds: dynamic items);
        without them the button is looked up among the bot's live views."""
        store = self.bot._connection._view_store
        if components is None:
            items = store._views.get(message_id, {})
            custom_id = next((cid for (_, cid), item in items.items() if getattr(item, "label", None) == label), None)
        else:
            custom_id = next((c.get("custom_id") for row in components for c in row["components"]
                              if c.get("label") == label), None)
        assert custom_id is not None, f"no button {label!r} on message {message_id}"
        message = self._message(message_id, {"components": components or []})
        data = {"custom_id": custom_id, "component_type": 2}
        interaction = self._interaction(3, data, member, channel, None, message=message)
        before = set(asyncio.all_tasks())
        store.dispatch_view(2, custom_id, interaction)
        return await self._run(self._wait_for_new_tasks(before))

    @staticmethod
    async def _wait_for_new_tasks(before: set[asyncio.Task]) -> None:
        """discord.py runs a button's callback in a task of its own; wait for it."""
        new = [t for t in asyncio.all_tasks() - before
               if t.get_name().startswith(("discord-ui-view-dispatch", "discord-ui-dynamic-item"))]
        await asyncio.gather(*new)

    async def _run(self, work) -> list[Sent]:
        start = len(self.sent)
        await work
        return self.sent[start:]

    def _interaction(self, kind: int, data: dict, member: discord.Member, channel: discord.abc.GuildChannel,
                     permissions: discord.Permissions | None, *, message: dict | None = None) -> discord.Interaction:
        self._channel_id = channel.id
        payload = {
            "id": str(snowflake()), "application_id": str(self.bot.user.id), "type": kind,
            "token": "interaction-token", "version": 1, "data": data,
            "guild_id": str(channel.guild.id),
            "channel": {"id": str(channel.id), "type": channel.type.value, "guild_id": str(channel.guild.id)},
            "member": member_payload(member, permissions or discord.Permissions.none()),
            "app_permissions": str(discord.Permissions.all().value), "locale": "en-US",
            "attachment_size_limit": 25 * 1024 * 1024, "entitlements": [],
        }
        if message is not None:
            payload["message"] = message
        return discord.Interaction(data=payload, state=self.bot._connection)


def member_payload(member: discord.Member, permissions: discord.Permissions) -> dict:
    """A member as an interaction carries it: with their resolved permissions in the channel."""
    return {"user": factories.dict_from_user(member._user), "roles": [], "joined_at": None, "flags": 0,
            "deaf": False, "mute": False, "permissions": str(permissions.value)}


def option(name: str, value: Any, kind: int = STRING, *, focused: bool = False) -> dict:
    data = {"name": name, "type": kind, "value": value}
    if focused:
        data["focused"] = True
    return data


def channel_option(name: str, channel: discord.TextChannel) -> tuple[dict, dict]:
    """The option and its ``resolved`` entry, as Discord sends a channel argument."""
    resolved = {"channels": {str(channel.id): {"id": str(channel.id), "name": channel.name, "type": 0,
                                               "guild_id": str(channel.guild.id), "parent_id": None,
                                               "permissions": str(discord.Permissions.all().value)}}}
    return option(name, str(channel.id), CHANNEL), resolved


def attachment_option(name: str, *, filename: str, url: str, size: int) -> tuple[dict, dict]:
    attachment_id = str(snowflake())
    resolved = {"attachments": {attachment_id: {"id": attachment_id, "filename": filename, "size": size,
                                                "url": url, "proxy_url": url}}}
    return option(name, attachment_id, ATTACHMENT), resolved
