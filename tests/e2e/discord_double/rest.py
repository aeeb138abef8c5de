"""The REST half of the double: the routes a bot uses, with Discord's JSON, errors and rate limits.

Every request is recorded (:class:`RecordedRequest`: method, path, headers without
``Authorization``, JSON body or multipart fields) before anything else happens. Routes answer
like discord.com: bucketed ``X-RateLimit-*`` headers on every response (a client that ignores
them gets a real 429), ``Via`` set as behind Discord's proxy (discord.py treats a 429 without it
as a Cloudflare ban), 400 "Invalid Form Body" for content Discord would reject, 404 "Unknown
interaction" for a callback later than 3 s. Every JSON body (and multipart ``payload_json``) is
checked against Discord's OpenAPI spec first (:mod:`.spec_check`): one that does not fit gets
Discord's 400 "Invalid Form Body" naming the failing path, is kept in :attr:`Rest.spec_rejections`,
and is not acted on. Faults: :meth:`Rest.fail_next` answers the next
matching requests with a 429 (``retry_after``) or a 5xx."""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from . import payloads as p
from . import spec_check

if TYPE_CHECKING:
    from .server import DiscordDouble

API = "/api/v10"
INTERACTION_DEADLINE_S = 3.0
INTERACTION_TOKEN_LIFETIME_S = 15 * 60
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")

RECORD = web.RequestKey("record", "RecordedRequest")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class RecordedRequest:
    at: float  # time.monotonic()
    method: str
    path: str  # without the /api/v10 prefix
    route: str  # the route template, e.g. /channels/{channel_id}/messages
    query: dict[str, str]
    headers: dict[str, str]  # Authorization removed
    authorized: bool | None  # Authorization matched the token; None when absent
    json: Any  # the JSON body, or a multipart request's payload_json
    raw: str  # the body as text (multipart: every non-file field), for leak checks
    files: dict[str, bytes] = field(default_factory=dict)
    status: int | None = None
    response: Any = None


@dataclass
class Posted:
    """A message the bot made visible (or changed), with who it would notify."""
    at: float
    kind: str  # "channel", "callback", "followup", "edit"
    channel_id: str
    message: dict
    body: dict
    pings: p.Pings
    reply_to: str | None = None
    interaction_id: str | None = None

    @property
    def content(self) -> str:
        return self.message.get("content") or ""

    @property
    def text(self) -> str:
        """Content and every embed string, as a reader sees them."""
        parts = [self.content]
        for embed in self.message.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f.get('name', '')}\n{f.get('value', '')}" for f in embed.get("fields") or []]
            parts += [(embed.get("footer") or {}).get("text") or "", (embed.get("author") or {}).get("name") or ""]
        return "\n".join(x for x in parts if x)

    @property
    def loading(self) -> bool:
        return bool(self.message.get("flags", 0) & 128)

    @property
    def ephemeral(self) -> bool:
        return bool(self.message.get("flags", 0) & 64)


@dataclass
class Interaction:
    id: str
    token: str
    name: str
    user: p.UserInfo
    channel: p.ChannelInfo
    payload: dict
    sent_at: float
    acked_at: float | None = None
    ack_type: int | None = None
    original: dict | None = None
    responses: list[Posted] = field(default_factory=list)
    rejected_callbacks: int = 0

    @property
    def ack_seconds(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.sent_at

    @property
    def deferred(self) -> bool:
        return self.ack_type == 5

    def visible(self) -> list[Posted]:
        """The messages a user can read, each as it reads now (an edit replaces the version it
        edits; the "thinking…" placeholder is not one)."""
        latest: dict[str, Posted] = {}
        for response in self.responses:
            latest[response.message["id"]] = response  # keeps the message's first place in the order
        return [r for r in latest.values() if not r.loading and (r.content or r.message.get("embeds"))]


@dataclass
class Bucket:
    hash: str
    limit: int
    per: float
    remaining: int
    reset_at: float

    def refresh(self, now: float) -> None:
        if now >= self.reset_at:
            self.remaining, self.reset_at = self.limit, now + self.per


@dataclass
class Fault:
    method: str
    route: str
    status: int
    retry_after: float
    times: int
    scope: str = "user"


class Rest:
    def __init__(self, double: "DiscordDouble", *, limit: int = 50, per: float = 1.0,
                 check_spec: bool = True) -> None:
        self.double = double
        # loaded here, not on the first request: parsing the spec takes ~0.5 s of the event loop
        self.spec = spec_check.default_spec() if check_spec else None
        self.spec_rejections: list[RecordedRequest] = []  # bodies that broke the spec, answered 400
        self.requests: list[RecordedRequest] = []
        self.posted: list[Posted] = []
        self.interactions: dict[str, Interaction] = {}
        self.typing: list[tuple[float, str]] = []
        self.commands: dict[str | None, list[dict]] = defaultdict(list)  # guild id (None: global) → commands
        self.limit, self.per = limit, per
        # route template → (limit, per); Discord's own numbers for creating messages in a channel
        self.limits: dict[str, tuple[int, float]] = {"/channels/{channel_id}/messages": (5, 5.0)}
        self._buckets: dict[str, Bucket] = {}
        self._faults: list[Fault] = []
        self.faults_served: list[RecordedRequest] = []

    # -- faults -------------------------------------------------------------------------------

    def fail_next(self, method: str, route: str, *, status: int = 429, retry_after: float = 1.0,
                  times: int = 1, scope: str = "user") -> None:
        """Answer the next ``times`` requests to ``route`` (a template such as
        ``/channels/{channel_id}/messages``) with ``status`` instead of serving them."""
        self._faults.append(Fault(method.upper(), route, status, retry_after, times, scope))

    # -- application ----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        r = app.router
        r.add_get("/", self.double.gateway.handle)  # the websocket, like wss://gateway.discord.gg/
        r.add_get(API + "/gateway", self.get_gateway)
        r.add_get(API + "/gateway/bot", self.get_gateway_bot)
        r.add_get(API + "/users/@me", self.get_me)
        r.add_get(API + "/users/{user_id}", self.get_user)
        r.add_get(API + "/oauth2/applications/@me", self.get_application)
        r.add_get(API + "/applications/@me", self.get_application)
        for prefix in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
            r.add_get(API + prefix + "/commands", self.get_commands)
            r.add_put(API + prefix + "/commands", self.put_commands)
            r.add_post(API + prefix + "/commands", self.post_command)
        r.add_get(API + "/channels/{channel_id}", self.get_channel)
        r.add_post(API + "/channels/{channel_id}/messages", self.create_message)
        r.add_get(API + "/channels/{channel_id}/messages/{message_id}", self.get_message)
        r.add_patch(API + "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        r.add_delete(API + "/channels/{channel_id}/messages/{message_id}", self.no_content)
        r.add_put(API + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.no_content)
        r.add_delete(API + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.no_content)
        r.add_post(API + "/channels/{channel_id}/typing", self.trigger_typing)
        r.add_get(API + "/guilds/{guild_id}", self.get_guild)
        r.add_get(API + "/guilds/{guild_id}/members/{user_id}", self.get_member)
        r.add_post(API + "/interactions/{interaction_id}/{token}/callback", self.interaction_callback)
        r.add_post(API + "/webhooks/{application_id}/{token}", self.create_followup)
        for verb, handler in (("GET", self.get_webhook_message), ("PATCH", self.edit_webhook_message),
                              ("DELETE", self.delete_webhook_message)):
            r.add_route(verb, API + "/webhooks/{application_id}/{token}/messages/{message_id}", handler)
        r.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.get_attachment)
        r.add_route("*", API + "/{tail:.*}", self.not_found)
        return app

    # -- recording, auth, rate limits -----------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else request.path
        route = route.removeprefix(API)
        record = await self._record(request, route)
        request[RECORD] = record
        response = await self._serve(request, handler, record)
        record.status = response.status
        if isinstance(response, web.Response) and response.content_type == "application/json" and response.body:
            record.response = json.loads(response.body)
        return response

    async def _record(self, request: web.Request, route: str) -> RecordedRequest:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        auth = request.headers.get("Authorization")
        authorized = None if auth is None else auth == f"Bot {self.double.token}"
        body: Any = None
        raw = ""
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/"):
            texts = []
            reader = await request.multipart()
            async for part in reader:
                data = await part.read(decode=False)
                if part.filename is not None:
                    files[part.name or part.filename] = bytes(data)
                else:
                    text = bytes(data).decode("utf-8", "replace")
                    texts.append(text)
                    if part.name == "payload_json":
                        body = json.loads(text)
            raw = "\n".join(texts)
        elif request.can_read_body:
            raw = (await request.read()).decode("utf-8", "replace")
            if raw and request.content_type == "application/json":
                body = json.loads(raw)
        record = RecordedRequest(time.monotonic(), request.method, request.path.removeprefix(API), route,
                                 dict(request.query), headers, authorized, body, raw, files)
        self.requests.append(record)
        return record

    async def _serve(self, request: web.Request, handler: Handler, record: RecordedRequest) -> web.StreamResponse:
        route = record.route
        if route in ("/", "/gateway") or route.startswith("/attachments/"):  # no token needed
            return await handler(request)
        token_routes = ("/interactions/", "/webhooks/")
        if not route.startswith(token_routes) and record.authorized is not True:
            return error(401, 0, "401: Unauthorized")
        for fault in self._faults:
            if fault.times > 0 and fault.method == request.method and fault.route == route:
                fault.times -= 1
                self.faults_served.append(record)
                if fault.status == 429:
                    return too_many(fault.retry_after, self._bucket_hash(route), self.limit, fault.scope)
                return error(fault.status, 0, f"{fault.status}: double fault")
        bucket = self._bucket(request, route)
        now = time.monotonic()
        bucket.refresh(now)
        if bucket.remaining <= 0:  # the client ignored X-RateLimit-Remaining: 0
            return too_many(round(bucket.reset_at - now, 3), bucket.hash, bucket.limit, "user")
        bucket.remaining -= 1
        response = self._check_spec(request, record) or await handler(request)
        response.headers.update({
            "X-RateLimit-Limit": str(bucket.limit), "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": f"{time.time() + bucket.reset_at - now:.3f}",
            "X-RateLimit-Reset-After": f"{bucket.reset_at - now:.3f}", "X-RateLimit-Bucket": bucket.hash,
        })
        return response

    def _check_spec(self, request: web.Request, record: RecordedRequest) -> web.Response | None:
        """Discord's 400 for a body that does not fit the spec's request schema, else None."""
        if self.spec is None:
            return None
        has_body = record.json is not None or (request.content_type == "application/json"
                                               and bool(record.raw.strip()))
        problem = self.spec.check(record.method, record.path, record.json, has_body=has_body)
        if problem is None:
            return None
        self.spec_rejections.append(record)
        return reply(problem, status=400)

    def _bucket_hash(self, route: str) -> str:
        return hex(abs(hash(route)) % (1 << 64))[2:]

    def _bucket(self, request: web.Request, route: str) -> Bucket:
        major = "+".join(request.match_info.get(k, "") for k in ("channel_id", "guild_id", "application_id", "token"))
        key = f"{route}:{major}"
        if key not in self._buckets:
            limit, per = self.limits.get(route, (self.limit, self.per))
            self._buckets[key] = Bucket(self._bucket_hash(route), limit, per, limit, time.monotonic() + per)
        return self._buckets[key]

    # -- gateway, users, application -------------------------------------------------------------

    async def get_gateway(self, request: web.Request) -> web.Response:
        return reply({"url": self.double.gateway.url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return reply({"url": self.double.gateway.url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}})

    async def get_me(self, request: web.Request) -> web.Response:
        return reply(dict(self.double.bot.user(), verified=True, mfa_enabled=True, email=None,
                                      locale="en-US", flags=0, bio=""))

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.double.users.get(request.match_info["user_id"])
        return reply(user.user()) if user else error(404, 10013, "Unknown User")

    async def get_application(self, request: web.Request) -> web.Response:
        d = self.double
        return reply(p.application(d.application_id, d.bot, d.owner))

    async def get_commands(self, request: web.Request) -> web.Response:
        return reply(self.commands[request.match_info.get("guild_id")])

    async def put_commands(self, request: web.Request) -> web.Response:
        if request.match_info["application_id"] != self.double.application_id:
            return error(403, 50001, "Missing Access")
        body = request[RECORD].json
        if not isinstance(body, list):
            return error(400, 50035, "Invalid Form Body")
        errors = {}
        for i, command in enumerate(body):
            errors.update({f"{i}.{k}": v for k, v in check_command(command).items()})
        if errors:
            return reply({"code": 50035, "errors": errors, "message": "Invalid Form Body"}, status=400)
        guild_id = request.match_info.get("guild_id")
        self.commands[guild_id] = [self._command(c, guild_id) for c in body]
        return reply(self.commands[guild_id])

    async def post_command(self, request: web.Request) -> web.Response:
        command = request[RECORD].json or {}
        errors = check_command(command)
        if errors:
            return reply({"code": 50035, "errors": errors, "message": "Invalid Form Body"}, status=400)
        guild_id = request.match_info.get("guild_id")
        saved = self._command(command, guild_id)
        self.commands[guild_id] = [c for c in self.commands[guild_id] if c["name"] != saved["name"]] + [saved]
        return reply(saved, status=201)

    def _command(self, command: dict, guild_id: str | None) -> dict:
        existing = {c["name"]: c["id"] for c in self.commands[guild_id]}
        saved = {
            "id": existing.get(command["name"]) or p.snowflake(), "application_id": self.double.application_id,
            "version": p.snowflake(), "type": command.get("type", 1), "name": command["name"],
            "description": command.get("description", ""), "options": command.get("options", []),
            "default_member_permissions": _permissions_string(command.get("default_member_permissions")),
            "dm_permission": command.get("dm_permission", True), "nsfw": command.get("nsfw", False),
            "contexts": command.get("contexts"), "integration_types": command.get("integration_types", [0]),
            "name_localizations": command.get("name_localizations"),
            "description_localizations": command.get("description_localizations"),
        }
        if guild_id:
            saved["guild_id"] = guild_id
        return saved

    # -- channels and messages -------------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self.double.channels.get(request.match_info["channel_id"])
        return reply(channel.channel()) if channel else error(404, 10003, "Unknown Channel")

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self.double.guild
        if request.match_info["guild_id"] != guild.id:
            return error(404, 10004, "Unknown Guild")
        data = guild.guild_create()
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large",
                    "member_count", "guild_scheduled_events", "stage_instances", "soundboard_sounds"):
            data.pop(key, None)
        return reply(data)

    async def get_member(self, request: web.Request) -> web.Response:
        user = self.double.users.get(request.match_info["user_id"])
        return reply(user.member()) if user else error(404, 10007, "Unknown Member")

    async def create_message(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[RECORD]
        channel = self.double.channels.get(request.match_info["channel_id"])
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        body = record.json or {}
        problem = p.check_message_body(body, has_files=bool(record.files))
        if problem:
            return reply(problem, status=400)
        reference = body.get("message_reference")
        referenced = None
        if reference:
            referenced = self.double.messages.get(str(reference.get("message_id")))
            if referenced is None and reference.get("fail_if_not_exists", True):
                return reply({"code": 50035, "message": "Invalid Form Body", "errors": {
                    "message_reference": {"_errors": [{"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                                       "message": "Unknown message"}]}}}, status=400)
        posted = await self.double.post_as_bot(channel, body, record.files, kind="channel",
                                               referenced=referenced, nonce=body.get("nonce"))
        return reply(posted.message)

    async def get_message(self, request: web.Request) -> web.Response:
        message = self.double.messages.get(request.match_info["message_id"])
        return reply(message) if message else error(404, 10008, "Unknown Message")

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self.double.messages.get(request.match_info["message_id"])
        if message is None:
            return error(404, 10008, "Unknown Message")
        if message["author"]["id"] != self.double.bot.id:
            return error(403, 50005, "Cannot edit a message authored by another user")
        body = request[RECORD].json or {}
        merged = {"content": body.get("content", message["content"]), "embeds": body.get("embeds", message["embeds"])}
        problem = p.check_message_body(merged, has_files=bool(message["attachments"]))
        if problem:
            return reply(problem, status=400)
        posted = self.double.edit_as_bot(message, body, kind="edit")
        return reply(posted.message)

    async def trigger_typing(self, request: web.Request) -> web.Response:
        self.typing.append((time.monotonic(), request.match_info["channel_id"]))
        return web.Response(status=204)

    async def no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def get_attachment(self, request: web.Request) -> web.Response:
        found = self.double.files.get(request.match_info["attachment_id"])
        if found is None:
            return web.Response(status=404, text="Not Found")
        data, content_type = found
        return web.Response(body=data, content_type=content_type or "application/octet-stream")

    async def not_found(self, request: web.Request) -> web.Response:
        return error(404, 0, "404: Not Found")

    # -- interactions ------------------------------------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["interaction_id"])
        if interaction is None or interaction.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        now = time.monotonic()
        if interaction.acked_at is not None:
            interaction.rejected_callbacks += 1
            return error(400, 40060, "Interaction has already been acknowledged.")
        if now - interaction.sent_at > INTERACTION_DEADLINE_S:
            interaction.rejected_callbacks += 1
            return error(404, 10062, "Unknown interaction")
        body = request[RECORD].json or {}
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in (4, 5, 9):
            return reply({"code": 50035, "message": "Invalid Form Body", "errors": {"type": {
                "_errors": [{"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": "Invalid response type"}]}}},
                status=400)
        if kind == 4:
            problem = p.check_message_body(data, has_files=bool(request[RECORD].files))
            if problem:
                return reply(problem, status=400)
        interaction.acked_at, interaction.ack_type = now, kind
        resource = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) & 64
            if kind == 5:
                flags |= 128  # LOADING: "Bot is thinking…"
                data = {"content": ""}
            posted = await self.double.post_as_bot(
                interaction.channel, data, request[RECORD].files, kind="callback", interaction=interaction,
                flags=flags)
            interaction.original = posted.message
            resource = {"type": kind, "message": posted.message}
        if "with_response" not in request.query:
            return web.Response(status=204)
        answer = {"interaction": {"id": interaction.id, "type": 2, "response_message_loading": kind == 5,
                                  "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64)}}
        if resource:
            answer["interaction"]["response_message_id"] = resource["message"]["id"]
            answer["resource"] = resource
        return reply(answer)

    def _by_token(self, request: web.Request) -> Interaction | None:
        if request.match_info["application_id"] != self.double.application_id:
            return None
        token = request.match_info["token"]
        for interaction in self.interactions.values():
            if interaction.token == token and interaction.acked_at is not None \
                    and time.monotonic() - interaction.sent_at < INTERACTION_TOKEN_LIFETIME_S:
                return interaction
        return None

    async def create_followup(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request)
        if interaction is None:
            return error(404, 10015, "Unknown Webhook")
        record: RecordedRequest = request[RECORD]
        body = record.json or {}
        problem = p.check_message_body(body, has_files=bool(record.files))
        if problem:
            return reply(problem, status=400)
        posted = await self.double.post_as_bot(interaction.channel, body, record.files, kind="followup",
                                               interaction=interaction, flags=int(body.get("flags") or 0) & 64)
        if request.query.get("wait", "false").lower() in ("1", "true"):
            return reply(posted.message)
        return web.Response(status=204)

    def _webhook_message(self, request: web.Request) -> tuple[Interaction | None, dict | None]:
        interaction = self._by_token(request)
        if interaction is None:
            return None, None
        wanted = request.match_info["message_id"]
        if wanted == "@original":
            return interaction, interaction.original
        return interaction, self.double.messages.get(wanted)

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        interaction, message = self._webhook_message(request)
        if interaction is None:
            return error(404, 10015, "Unknown Webhook")
        return reply(message) if message else error(404, 10008, "Unknown Message")

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        interaction, message = self._webhook_message(request)
        if interaction is None:
            return error(404, 10015, "Unknown Webhook")
        if message is None:
            return error(404, 10008, "Unknown Message")
        body = request[RECORD].json or {}
        merged = {"content": body.get("content", message["content"]), "embeds": body.get("embeds", message["embeds"])}
        problem = p.check_message_body(merged, has_files=bool(request[RECORD].files or message["attachments"]))
        if problem:
            return reply(problem, status=400)
        posted = self.double.edit_as_bot(message, body, kind="edit", interaction=interaction)
        if message is interaction.original:
            interaction.original = posted.message
        return reply(posted.message)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        interaction, message = self._webhook_message(request)
        if interaction is None or message is None:
            return error(404, 10008, "Unknown Message")
        return web.Response(status=204)


def reply(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON as Discord sends it: ``Content-Type: application/json`` exactly (discord.py compares
    the header verbatim) and the ``Via`` header of Discord's proxy."""
    body = json.dumps(data, ensure_ascii=False).encode()
    return web.Response(body=body, status=status,
                        headers={"Content-Type": "application/json", "Via": "1.1 google", **(headers or {})})


def error(status: int, code: int, message: str) -> web.Response:
    return reply({"message": message, "code": code}, status=status)


def too_many(retry_after: float, bucket: str, limit: int, scope: str) -> web.Response:
    """A 429 as Discord sends it (https://discord.com/developers/docs/topics/rate-limits)."""
    retry_after = max(retry_after, 0.001)
    return reply(
        {"message": "You are being rate limited.", "retry_after": retry_after, "global": scope == "global"},
        status=429,
        headers={
            "Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}", "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Scope": scope,
        },
    )


def check_command(command: dict) -> dict:
    """Errors Discord returns for an application command definition (the common ones)."""
    errors: dict[str, Any] = {}

    def fail(path: str, message: str) -> None:
        errors[path] = {"_errors": [{"code": "APPLICATION_COMMAND_INVALID", "message": message}]}

    def check_name(path: str, name: Any) -> None:
        if not isinstance(name, str) or not COMMAND_NAME.match(name) or name != name.lower():
            fail(path, "Command name is invalid")

    def check_description(path: str, text: Any) -> None:
        if not isinstance(text, str) or not 1 <= len(text) <= 100:
            fail(path, "Must be between 1 and 100 in length.")

    def check_options(path: str, options: list) -> None:
        if len(options) > 25:
            fail(path, "Must be 25 or fewer in length.")
        seen_optional = False
        names = set()
        for i, option in enumerate(options):
            here = f"{path}.{i}"
            check_name(f"{here}.name", option.get("name"))
            check_description(f"{here}.description", option.get("description"))
            if option.get("name") in names:
                fail(f"{here}.name", "Option names must be unique")
            names.add(option.get("name"))
            if option.get("type") in (1, 2):
                check_options(f"{here}.options", option.get("options") or [])
                continue
            if option.get("required"):
                if seen_optional:
                    fail(f"{here}.required", "Required options must be placed before non-required options")
            else:
                seen_optional = True
            if len(option.get("choices") or []) > 25:
                fail(f"{here}.choices", "Must be 25 or fewer in length.")

    check_name("name", command.get("name"))
    if command.get("type", 1) == 1:
        check_description("description", command.get("description"))
        check_options("options", command.get("options") or [])
    return errors


def _permissions_string(value: Any) -> str | None:
    """Discord accepts a permission bit set as a number or a string and always answers a string."""
    return None if value is None else str(value)


def interaction_token() -> str:
    return "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
