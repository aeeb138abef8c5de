"""Discord's JSON shapes (API v10), the limits Discord enforces, and who a message would ping.

Everything here is plain data: the gateway and REST halves of the double build their
payloads from these functions so both speak the same shapes as discord.com does
(https://discord.com/developers/docs/resources/message, .../interactions/receiving-and-responding)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 51) - 1  # what Discord resolves for an administrator
MEMBER_PERMISSIONS = (VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
                      | ADD_REACTIONS | USE_APPLICATION_COMMANDS)
# A member who may ping @everyone: so a bot that does not restrict allowed_mentions would ping.
MODERATOR_PERMISSIONS = MEMBER_PERMISSIONS | MENTION_EVERYONE | MANAGE_CHANNELS

# Limits Discord answers with 400 "Invalid Form Body" (code 50035) when exceeded.
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096, "footer.text": 2048, "author.name": 256}
MAX_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024

_counter = itertools.count()
_counter_lock = threading.Lock()


def snowflake() -> str:
    """A fresh, time-ordered Discord id (as Discord sends them: a string)."""
    with _counter_lock:
        increment = next(_counter) & 0xFFF
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return str((ms << 22) | (1 << 17) | increment)


def iso_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


# -- the world: users, roles, channels, guilds -------------------------------------------------

@dataclass
class UserInfo:
    id: str
    username: str
    bot: bool = False
    roles: list[str] = field(default_factory=list)
    permissions: int = MEMBER_PERMISSIONS  # resolved guild permissions, as interactions carry them

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def user(self) -> dict[str, Any]:
        data = {
            "id": self.id, "username": self.username, "discriminator": "0", "global_name": self.username.title(),
            "avatar": None, "avatar_decoration_data": None, "public_flags": 0, "flags": 0,
            "banner": None, "accent_color": None, "clan": None, "primary_guild": None, "collectibles": None,
        }
        if self.bot:
            data["bot"] = True
        return data

    def member(self, *, with_user: bool = True, permissions: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": list(self.roles), "nick": None, "avatar": None, "banner": None, "premium_since": None,
            "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": False, "mute": False, "flags": 0,
            "pending": False, "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user()
        if permissions:
            data["permissions"] = str(self.permissions)
        return data


@dataclass
class RoleInfo:
    id: str
    name: str
    permissions: int
    position: int = 0

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def role(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "color": 0, "colors": {"primary_color": 0, "secondary_color": None,
                                                                     "tertiary_color": None},
            "hoist": False, "icon": None, "unicode_emoji": None, "position": self.position,
            "permissions": str(self.permissions), "managed": False, "mentionable": True, "flags": 0,
        }


@dataclass
class ChannelInfo:
    id: str
    name: str
    guild_id: str
    position: int = 0

    def channel(self, *, with_guild: bool = True) -> dict[str, Any]:
        data = {
            "id": self.id, "type": 0, "name": self.name, "position": self.position, "flags": 0,
            "parent_id": None, "topic": None, "nsfw": False, "last_message_id": None,
            "rate_limit_per_user": 0, "permission_overwrites": [],
        }
        if with_guild:
            data["guild_id"] = self.guild_id
        return data


@dataclass
class GuildInfo:
    id: str
    name: str
    owner_id: str
    roles: list[RoleInfo]
    channels: list[ChannelInfo]
    members: list[UserInfo]

    def partial(self) -> dict[str, Any]:
        """The ``guild`` object an interaction carries."""
        return {"id": self.id, "locale": "en-US", "features": []}

    def guild_create(self) -> dict[str, Any]:
        """GUILD_CREATE's payload: the full guild with channels, roles and members."""
        return {
            "id": self.id, "name": self.name, "icon": None, "icon_hash": None, "splash": None,
            "discovery_splash": None, "owner_id": self.owner_id, "afk_channel_id": None, "afk_timeout": 300,
            "widget_enabled": False, "verification_level": 1, "default_message_notifications": 1,
            "explicit_content_filter": 0, "roles": [r.role() for r in self.roles], "emojis": [], "stickers": [],
            "features": [], "mfa_level": 0, "application_id": None, "system_channel_id": self.channels[0].id,
            "system_channel_flags": 0, "rules_channel_id": None, "max_presences": None, "max_members": 500000,
            "vanity_url_code": None, "description": None, "banner": None, "premium_tier": 0,
            "premium_subscription_count": 0, "preferred_locale": "en-US", "public_updates_channel_id": None,
            "max_video_channel_users": 25, "max_stage_video_channel_users": 50, "nsfw_level": 0, "nsfw": False,
            "premium_progress_bar_enabled": False, "safety_alerts_channel_id": None, "incidents_data": None,
            "joined_at": "2024-01-01T00:00:00.000000+00:00", "large": False, "unavailable": False,
            "member_count": len(self.members), "voice_states": [],
            "members": [m.member() for m in self.members],
            "channels": [c.channel(with_guild=False) for c in self.channels],
            "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [], "lazy": True, "application_command_counts": {}, "embedded_activities": [],
            "version": int(time.time() * 1000), "hub_type": None, "latest_onboarding_question_id": None,
            "home_header": None, "inventory_settings": None,
        }


# -- messages ------------------------------------------------------------------------------------

USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")
EVERYONE_MENTION = re.compile(r"@(everyone|here)")


def message(
    *,
    channel: ChannelInfo,
    author: UserInfo,
    content: str,
    guild: GuildInfo | None = None,
    embeds: list[dict] | None = None,
    attachments: list[dict] | None = None,
    message_reference: dict | None = None,
    referenced_message: dict | None = None,
    mentions: list[UserInfo] | None = None,
    mention_roles: list[str] | None = None,
    mention_everyone: bool = False,
    components: list[dict] | None = None,
    flags: int = 0,
    webhook_id: str | None = None,
    interaction_metadata: dict | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """A message object as MESSAGE_CREATE and POST /channels/{id}/messages return it."""
    data: dict[str, Any] = {
        "type": 19 if message_reference else 0,
        "tts": False,
        "timestamp": iso_now(),
        "pinned": False,
        "mentions": [dict(u.user(), member=u.member(with_user=False)) if guild else u.user()
                     for u in (mentions or [])],
        "mention_roles": list(mention_roles or []),
        "mention_everyone": mention_everyone,
        "id": message_id or snowflake(),
        "flags": flags,
        "embeds": list(embeds or []),
        "edited_timestamp": None,
        "content": content,
        "components": list(components or []),
        "channel_id": channel.id,
        "author": author.user(),
        "attachments": list(attachments or []),
    }
    if guild is not None:
        data["guild_id"] = guild.id
        data["member"] = author.member(with_user=False)
    if message_reference is not None:
        data["message_reference"] = message_reference
        data["referenced_message"] = referenced_message
    if webhook_id is not None:
        data["webhook_id"] = webhook_id
        data["application_id"] = webhook_id
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    return data


def attachment(*, filename: str, size: int, url: str, content_type: str | None) -> dict[str, Any]:
    data = {"id": snowflake(), "filename": filename, "size": size, "url": url, "proxy_url": url}
    if content_type:
        data["content_type"] = content_type
    return data


def check_message_body(body: dict[str, Any], *, has_files: bool = False) -> dict[str, Any] | None:
    """The ``errors`` object Discord would answer with for a message body, or None when it is valid."""
    errors: dict[str, Any] = {}

    def fail(path: str, code: str, message: str) -> None:
        errors[path] = {"_errors": [{"code": code, "message": message}]}

    content = body.get("content") or ""
    if len(content) > MAX_CONTENT:
        fail("content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT} or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        fail("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            value = embed
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            text = value or ""
            total += len(text)
            if len(text) > limit:
                fail(f"embeds.{i}.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            fail(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FIELDS} or fewer in length.")
        for j, f in enumerate(fields):
            name, value = f.get("name") or "", f.get("value") or ""
            total += len(name) + len(value)
            if not name.strip() or len(name) > FIELD_NAME:
                fail(f"embeds.{i}.fields.{j}.name", "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {FIELD_NAME}.")
            if not value.strip() or len(value) > FIELD_VALUE:
                fail(f"embeds.{i}.fields.{j}.value", "BASE_TYPE_BAD_LENGTH",
                     f"Must be between 1 and {FIELD_VALUE}.")
    if total > MAX_EMBED_TOTAL:
        fail("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    if not content.strip() and not embeds and not has_files and not body.get("components") \
            and not body.get("sticker_ids") and not body.get("poll"):
        return {"code": 50006, "message": "Cannot send an empty message"}
    if errors:
        return {"code": 50035, "errors": errors, "message": "Invalid Form Body"}
    return None


@dataclass(frozen=True)
class Pings:
    """Who a posted message notifies, by Discord's allowed_mentions rules."""
    everyone: bool
    users: tuple[str, ...]
    roles: tuple[str, ...]
    replied_user: str | None

    def __bool__(self) -> bool:
        return self.everyone or bool(self.users) or bool(self.roles) or self.replied_user is not None


def pings(body: dict[str, Any], *, replied_author: str | None, default_parse_all: bool = True) -> Pings:
    """Apply https://discord.com/developers/docs/resources/message#allowed-mentions-object.

    Without ``allowed_mentions`` Discord parses everything in ``content`` (embeds never ping) and a
    reply pings its author; with it, only the listed kinds and ids are notified."""
    content = body.get("content") or ""
    allowed = body.get("allowed_mentions")
    if allowed is None:
        parse = {"everyone", "users", "roles"} if default_parse_all else set()
        allowed_users: set[str] = set()
        allowed_roles: set[str] = set()
        replied = True
    else:
        parse = set(allowed.get("parse") or [])
        allowed_users = {str(u) for u in allowed.get("users") or []}
        allowed_roles = {str(r) for r in allowed.get("roles") or []}
        replied = bool(allowed.get("replied_user", False))
    users = tuple(u for u in dict.fromkeys(USER_MENTION.findall(content))
                  if "users" in parse or u in allowed_users)
    roles = tuple(r for r in dict.fromkeys(ROLE_MENTION.findall(content))
                  if "roles" in parse or r in allowed_roles)
    everyone = "everyone" in parse and bool(EVERYONE_MENTION.search(content))
    return Pings(everyone, users, roles, replied_author if (replied and replied_author) else None)


# -- interactions --------------------------------------------------------------------------------

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
BUTTON = 2
OPTION_TYPES = {"sub_command": 1, "sub_command_group": 2, "string": 3, "integer": 4, "boolean": 5, "user": 6,
                "channel": 7, "role": 8, "mentionable": 9, "number": 10, "attachment": 11}


def option_value_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def interaction(
    *,
    application_id: str,
    guild: GuildInfo,
    channel: ChannelInfo,
    user: UserInfo,
    command_id: str,
    name: str,
    options: list[dict],
    resolved: dict | None,
    token: str,
    app_permissions: int,
) -> dict[str, Any]:
    """An APPLICATION_COMMAND interaction as INTERACTION_CREATE carries it."""
    data: dict[str, Any] = {"id": command_id, "name": name, "type": 1, "guild_id": guild.id}
    if options:
        data["options"] = options
    if resolved:
        data["resolved"] = resolved
    return {
        "id": snowflake(), "application_id": application_id, "type": APPLICATION_COMMAND, "data": data,
        "guild_id": guild.id, "guild": guild.partial(), "channel_id": channel.id, "channel": channel.channel(),
        "member": user.member(permissions=True), "token": token, "version": 1,
        "app_permissions": str(app_permissions), "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
        "authorizing_integration_owners": {"0": guild.id}, "context": 0, "attachment_size_limit": 10 * 1024 * 1024,
    }


def component_interaction(*, application_id: str, guild: GuildInfo, channel: ChannelInfo, user: UserInfo,
                          message: dict, custom_id: str, token: str, app_permissions: int) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction: ``user`` pressed the button ``custom_id`` on ``message``."""
    return {
        "id": snowflake(), "application_id": application_id, "type": MESSAGE_COMPONENT,
        "data": {"custom_id": custom_id, "component_type": BUTTON}, "message": message,
        "guild_id": guild.id, "guild": guild.partial(), "channel_id": channel.id, "channel": channel.channel(),
        "member": user.member(permissions=True), "token": token, "version": 1,
        "app_permissions": str(app_permissions), "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
        "authorizing_integration_owners": {"0": guild.id}, "context": 0, "attachment_size_limit": 10 * 1024 * 1024,
    }


def application(app_id: str, bot: UserInfo, owner: UserInfo) -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": app_id, "name": bot.username, "icon": None, "description": "", "summary": "", "type": None,
        "hook": True, "bot_public": False, "bot_require_code_grant": False, "verify_key": "0" * 64,
        "flags": (1 << 19) | (1 << 23),  # GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE
        "owner": owner.user(), "team": None, "bot": bot.user(), "rpc_origins": [], "tags": [],
        "redirect_uris": [], "interactions_endpoint_url": None, "role_connections_verification_url": None,
        "integration_types_config": {"0": {}}, "approximate_guild_count": 1, "install_params": None,
        "custom_install_url": None, "terms_of_service_url": None, "privacy_policy_url": None,
    }
