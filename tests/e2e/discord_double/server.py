"""A local Discord API double: one aiohttp server on 127.0.0.1 with a gateway and REST routes.

The world is one guild ("Embassy") with three text channels; roles for everyone, members,
moderators (who may @everyone), admins and the bot; the bot, its owner (an admin) and as many
users as a test adds. Tests
act as users (:meth:`DiscordDouble.say`, :meth:`DiscordDouble.slash`) and assert on what
the double received (:attr:`DiscordDouble.requests`, :attr:`DiscordDouble.posted`,
:attr:`DiscordDouble.frames`)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, Callable

from aiohttp import web

from . import payloads as p
from .gateway import GUILD_MESSAGES_INTENT, MESSAGE_CONTENT_INTENT, Gateway
from .rest import Interaction, Posted, Rest, interaction_token


class DiscordDouble:
    def __init__(self, token: str, *, heartbeat_interval_ms: int = 41_250, rate_limit: int = 50,
                 rate_limit_per: float = 1.0, check_spec: bool = True) -> None:
        self.token = token
        self.port = 0
        self.application_id = p.snowflake()
        self.bot = p.UserInfo(self.application_id, "briefbot", bot=True)
        guild_id = p.snowflake()
        self.roles = {
            "everyone": p.RoleInfo(guild_id, "@everyone", p.MEMBER_PERMISSIONS, 0),
            "members": p.RoleInfo(p.snowflake(), "Members", p.MEMBER_PERMISSIONS, 1),
            "moderators": p.RoleInfo(p.snowflake(), "Moderators", p.MODERATOR_PERMISSIONS, 2),
            "admins": p.RoleInfo(p.snowflake(), "Admin", p.ADMINISTRATOR, 3),
            "bot": p.RoleInfo(p.snowflake(), "briefbot", p.MEMBER_PERMISSIONS | p.MENTION_EVERYONE, 4),
        }
        self.owner = p.UserInfo(p.snowflake(), "ambassador", roles=[self.roles["admins"].id],
                                permissions=p.ALL_PERMISSIONS)
        self.bot.roles = [self.roles["bot"].id]
        self.bot.permissions = self.roles["bot"].permissions
        names = ("general", "briefings", "situation-room")
        self.channel_list = [p.ChannelInfo(p.snowflake(), n, guild_id, i) for i, n in enumerate(names)]
        self.channels = {c.id: c for c in self.channel_list}
        self.guild = p.GuildInfo(guild_id, "Embassy", self.owner.id, list(self.roles.values()), self.channel_list,
                                 [self.bot, self.owner])
        self.users: dict[str, p.UserInfo] = {u.id: u for u in self.guild.members}
        self.messages: dict[str, dict] = {}
        self.files: dict[str, tuple[bytes, str | None]] = {}
        self.said_at: dict[str, float] = {}  # user message id → when it was dispatched (monotonic)
        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms)
        self.rest = Rest(self, limit=rate_limit, per=rate_limit_per, check_spec=check_spec)
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> "DiscordDouble":
        self._runner = web.AppRunner(self.rest.app(), handle_signals=False, access_log=None,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for conn in self.gateway.connections:
            if conn.closed_at is None and conn.ws is not None:
                conn.transport.abort()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what was received -----------------------------------------------------------------------

    @property
    def requests(self):
        return self.rest.requests

    @property
    def posted(self) -> list[Posted]:
        return self.rest.posted

    @property
    def frames(self):
        return self.gateway.frames

    def replies_to(self, message_id: str) -> list[Posted]:
        """Channel messages the bot posted in reply to a message (edits excluded)."""
        return [m for m in self.posted if m.kind == "channel" and m.reply_to == message_id]

    # -- acting as users -------------------------------------------------------------------------

    def add_user(self, name: str, *, admin: bool = False, moderator: bool = False) -> p.UserInfo:
        roles = [self.roles["members"].id]
        permissions = p.MEMBER_PERMISSIONS
        if moderator:
            roles.append(self.roles["moderators"].id)
            permissions |= p.MODERATOR_PERMISSIONS
        if admin:
            roles.append(self.roles["admins"].id)
            permissions = p.ALL_PERMISSIONS
        user = p.UserInfo(p.snowflake(), name, roles=roles, permissions=permissions)
        self.users[user.id] = user
        self.guild.members.append(user)
        return user

    def add_file(self, channel: p.ChannelInfo, filename: str, data: bytes, content_type: str | None) -> dict:
        """Host an upload on the double's CDN and return its attachment object."""
        info = p.attachment(filename=filename, size=len(data), content_type=content_type, url="")
        # Like Discord's CDN, the URL carries a sanitised name; ``filename`` keeps the original.
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename).lstrip(".") or "file"
        info["url"] = info["proxy_url"] = f"{self.base_url}/attachments/{channel.id}/{info['id']}/{safe}"
        self.files[info["id"]] = (data, content_type)
        return info

    async def say(self, user: p.UserInfo, content: str, *, channel: p.ChannelInfo | None = None,
                  mention_bot: bool = True, attachments: list[dict] | None = None) -> dict:
        """A user posts a message (mentioning the bot first by default); returns the message object."""
        channel = channel or self.channel_list[0]
        if mention_bot:
            content = f"{self.bot.mention} {content}"
        mentioned = [self.users[i] for i in dict.fromkeys(p.USER_MENTION.findall(content)) if i in self.users]
        roles = list(dict.fromkeys(p.ROLE_MENTION.findall(content)))
        everyone = bool(p.EVERYONE_MENTION.search(content)) and bool(user.permissions & p.MENTION_EVERYONE)
        message = p.message(channel=channel, author=user, content=content, guild=self.guild, mentions=mentioned,
                            mention_roles=roles, mention_everyone=everyone, attachments=attachments)
        self.messages[message["id"]] = message
        self.said_at[message["id"]] = time.monotonic()
        await self._dispatch_message(message)
        return message

    async def slash(self, user: p.UserInfo, name: str, options: dict[str, Any] | None = None, *,
                    subcommand: str | None = None, channel: p.ChannelInfo | None = None,
                    attachments: dict[str, dict] | None = None) -> Interaction:
        """A user runs ``/name [subcommand] option:value…`` (a :class:`ChannelInfo` value is a channel
        option); ``attachments`` maps option names to attachment objects from :meth:`add_file`."""
        channel = channel or self.channel_list[0]
        opts, resolved = [], {}
        for option, value in (options or {}).items():
            if isinstance(value, p.ChannelInfo):  # a channel option: Discord resolves it, with the user's permissions
                opts.append({"name": option, "type": 7, "value": value.id})
                resolved.setdefault("channels", {})[value.id] = dict(value.channel(), permissions=str(user.permissions))
            else:
                opts.append({"name": option, "type": p.option_value_type(value), "value": value})
        for option, info in (attachments or {}).items():
            opts.append({"name": option, "type": 11, "value": info["id"]})
            resolved.setdefault("attachments", {})[info["id"]] = info
        if subcommand:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        command_id = next((c["id"] for cmds in self.rest.commands.values() for c in cmds if c["name"] == name),
                          None) or p.snowflake()
        payload = p.interaction(
            application_id=self.application_id, guild=self.guild, channel=channel, user=user, command_id=command_id,
            name=name, options=opts, resolved=resolved, token=interaction_token(),
            app_permissions=self.bot.permissions)
        record = Interaction(payload["id"], payload["token"], name, user, channel, payload, time.monotonic())
        self.rest.interactions[record.id] = record
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        record.sent_at = time.monotonic()  # Discord's 3 s start when the event is on the wire
        return record

    async def click(self, user: p.UserInfo, message_id: str, label: str) -> Interaction:
        """A user presses the button labelled ``label`` on a message, as it is now (edits included)."""
        message = self.messages[message_id]
        custom_id = next((c.get("custom_id") for row in message.get("components") or []
                          for c in row.get("components", []) if c.get("label") == label), None)
        assert custom_id is not None, f"no button {label!r} on message {message_id}"
        channel = self.channels[message["channel_id"]]
        payload = p.component_interaction(
            application_id=self.application_id, guild=self.guild, channel=channel, user=user, message=message,
            custom_id=custom_id, token=interaction_token(), app_permissions=self.bot.permissions)
        record = Interaction(payload["id"], payload["token"], label, user, channel, payload, time.monotonic())
        self.rest.interactions[record.id] = record
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        record.sent_at = time.monotonic()
        return record

    # -- waiting ----------------------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy (polled every 20 ms) and return its value."""
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
            await asyncio.sleep(0.02)
        return value

    def connected(self) -> bool:
        """A live session has received READY and GUILD_CREATE."""
        conn = self.gateway.live
        return conn is not None and any(f.connection == conn.number and f.t == "GUILD_CREATE" for f in self.frames)

    async def wait_connected(self, timeout: float = 60.0) -> None:
        await self.wait_for(self.connected, timeout, "the bot to identify")

    # -- the bot's side effects (called by the REST routes) ---------------------------------------

    async def post_as_bot(self, channel: p.ChannelInfo, body: dict, files: dict[str, bytes], *, kind: str,
                          referenced: dict | None = None, interaction: Interaction | None = None,
                          flags: int = 0, nonce: Any = None) -> Posted:
        replied_author = referenced["author"]["id"] if referenced else None
        pinged = p.pings(body, replied_author=replied_author)
        attachments = [p.attachment(filename=name, size=len(data), url="", content_type=None)
                       for name, data in files.items()]
        message = p.message(
            channel=channel, author=self.bot, content=body.get("content") or "", guild=self.guild,
            embeds=[dict(e, type=e.get("type", "rich")) for e in body.get("embeds") or []],
            attachments=attachments, components=body.get("components"),
            mentions=[self.users[u] for u in pinged.users if u in self.users],
            mention_roles=list(pinged.roles), mention_everyone=pinged.everyone, flags=flags,
            message_reference=({"type": 0, "message_id": referenced["id"], "channel_id": channel.id,
                                "guild_id": self.guild.id} if referenced else None),
            referenced_message=referenced,
            webhook_id=self.application_id if interaction else None,
            interaction_metadata=({"id": interaction.id, "type": 2, "user": interaction.user.user(),
                                   "authorizing_integration_owners": {"0": self.guild.id}, "name": interaction.name}
                                  if interaction else None),
        )
        if nonce is not None:
            message["nonce"] = nonce
        self.messages[message["id"]] = message
        posted = Posted(time.monotonic(), kind, channel.id, message, body, pinged,
                        referenced["id"] if referenced else None, interaction.id if interaction else None)
        self.rest.posted.append(posted)
        if interaction:
            interaction.responses.append(posted)
        if not (flags & 64):
            await self._dispatch_message(message)
        return posted

    def edit_as_bot(self, message: dict, body: dict, *, kind: str, interaction: Interaction | None = None) -> Posted:
        replied = (message.get("referenced_message") or {}).get("author", {}).get("id")
        pinged = p.pings(body, replied_author=replied) if "content" in body else p.Pings(False, (), (), None)
        edited = dict(message, edited_timestamp=p.iso_now())
        for key in ("content", "embeds", "components"):
            if key in body:
                edited[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        edited["flags"] = message.get("flags", 0) & ~128  # no longer "thinking"
        self.messages[message["id"]] = edited
        channel = self.channels[message["channel_id"]]
        posted = Posted(time.monotonic(), kind, channel.id, edited, body, pinged, None,
                        interaction.id if interaction else None)
        self.rest.posted.append(posted)
        if interaction:
            interaction.responses.append(posted)
        return posted

    async def _dispatch_message(self, message: dict) -> None:
        session = self.gateway.current
        if session is None or not session.intents & GUILD_MESSAGES_INTENT:
            return
        if not session.intents & MESSAGE_CONTENT_INTENT and message["author"]["id"] != self.bot.id \
                and self.bot.id not in {u["id"] for u in message["mentions"]}:
            # Without the privileged intent Discord blanks what the bot may not read.
            message = dict(message, content="", embeds=[], attachments=[], components=[])
        await self.gateway.dispatch("MESSAGE_CREATE", message)
