"""The gateway half of the double: one websocket endpoint speaking Discord's gateway protocol.

HELLO → IDENTIFY → READY (+ GUILD_CREATE) or RESUME → replay → RESUMED; heartbeats are
acknowledged and their arrival times kept per connection; dispatches get sequence numbers
and are buffered per session, so a client that resumes after a drop receives what it missed,
exactly as discord.com does (https://discord.com/developers/docs/events/gateway).
Payloads are compressed with a shared zlib stream when the client asks for
``compress=zlib-stream``. Faults: :meth:`Gateway.drop` (abrupt, close code or RECONNECT) and
:attr:`Gateway.invalidate_next_resume`."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import DiscordDouble

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

GUILDS_INTENT = 1 << 0
GUILD_MESSAGES_INTENT = 1 << 9
MESSAGE_CONTENT_INTENT = 1 << 15

# Close codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-close-event-codes)
UNKNOWN_ERROR, DECODE_ERROR, NOT_AUTHENTICATED, AUTHENTICATION_FAILED = 4000, 4002, 4003, 4004
INVALID_API_VERSION, INVALID_INTENTS = 4012, 4013


@dataclass
class Frame:
    """One gateway payload, as sent or received (tokens redacted)."""
    at: float  # time.monotonic()
    connection: int
    direction: Literal["in", "out"]
    op: int
    t: str | None
    s: int | None
    d: Any


@dataclass
class Connection:
    """One websocket connection; a session may span several."""
    number: int
    opened_at: float
    compress: str | None
    query: dict[str, str]
    heartbeats: list[float] = field(default_factory=list)  # arrival times (monotonic)
    session_id: str | None = None
    how: str | None = None  # "identify" or "resume"
    closed_at: float | None = None
    close_reason: str | None = None
    ws: web.WebSocketResponse | None = field(default=None, repr=False)
    transport: Any = field(default=None, repr=False)
    _zlib: Any = field(default=None, repr=False)
    _send_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def heartbeat_gaps(self) -> list[float]:
        """Seconds between consecutive heartbeats (the first beat is sent right after HELLO)."""
        return [b - a for a, b in zip(self.heartbeats, self.heartbeats[1:])]


@dataclass
class Session:
    id: str
    intents: int
    seq: int = 0
    events: list[dict] = field(default_factory=list)  # every dispatched payload, for replay on RESUME
    connection: Connection | None = None


@dataclass
class Reconnect:
    """A drop and what followed: how long the client took to be back."""
    mode: str
    dropped_at: float
    session_id: str | None
    back_at: float | None = None
    how: str | None = None  # "resume" or "identify"
    replayed: int = 0

    @property
    def seconds(self) -> float | None:
        return None if self.back_at is None else self.back_at - self.dropped_at


class Gateway:
    def __init__(self, double: "DiscordDouble", *, heartbeat_interval_ms: int) -> None:
        self.double = double
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.connections: list[Connection] = []
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.frames: list[Frame] = []
        self.reconnects: list[Reconnect] = []
        self.invalidate_next_resume = False

    # -- public helpers ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.double.port}/"

    @property
    def live(self) -> Connection | None:
        session = self.current
        if session and session.connection and session.connection.closed_at is None:
            return session.connection
        return None

    async def dispatch(self, event: str, data: dict) -> int:
        """Send an event to the current session (buffered for RESUME when it is disconnected)."""
        session = self.current
        if session is None:
            raise RuntimeError("no gateway session: is the bot connected?")
        return await self._dispatch(session, event, data)

    async def drop(self, mode: Literal["abrupt", "close", "reconnect"] = "abrupt", code: int = UNKNOWN_ERROR) -> None:
        """Break the live connection: TCP reset, a resumable close code, or op 7 RECONNECT."""
        conn = self.live
        if conn is None:
            raise RuntimeError("no live gateway connection to drop")
        self.reconnects.append(Reconnect(mode, time.monotonic(), conn.session_id))
        if mode == "reconnect":
            await self._send(conn, {"op": RECONNECT, "d": None})
        elif mode == "close":
            await conn.ws.close(code=code, message=b"double: dropped")
        else:
            conn.transport.abort()
        self._closed(conn, f"dropped ({mode})")

    def heartbeat_gaps(self) -> list[float]:
        return [gap for conn in self.connections for gap in conn.heartbeat_gaps()]

    def max_heartbeat_lateness(self) -> float:
        """The worst delay of a heartbeat beyond the interval we asked for, in seconds."""
        gaps = self.heartbeat_gaps()
        return max((g - self.heartbeat_interval_ms / 1000 for g in gaps), default=0.0)

    # -- the websocket endpoint -------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        query = dict(request.query)
        compress = query.get("compress")
        conn = Connection(len(self.connections) + 1, time.monotonic(), compress, query, ws=ws,
                          transport=request.transport)
        if compress == "zlib-stream":
            conn._zlib = zlib.compressobj()
        self.connections.append(conn)
        try:
            if query.get("v") != "10":
                return await self._close(conn, INVALID_API_VERSION, "Invalid API version.")
            if query.get("encoding", "json") != "json" or compress not in (None, "zlib-stream"):
                return await self._close(conn, DECODE_ERROR, "Error while decoding payload.")
            await self._send(conn, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms,
                                                       "_trace": ['["gateway-double",{"micros":1}]']}})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        return await self._close(conn, DECODE_ERROR, "Error while decoding payload.")
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    return await self._close(conn, DECODE_ERROR, "Error while decoding payload.")
                await self._receive(conn, payload)
        except ConnectionResetError:
            pass
        finally:
            self._closed(conn, f"socket closed ({ws.close_code})")
        return ws

    async def _receive(self, conn: Connection, payload: dict) -> None:
        op, data = payload.get("op"), payload.get("d")
        self._record(conn, "in", payload)
        if op == HEARTBEAT:
            conn.heartbeats.append(time.monotonic())
            await self._send(conn, {"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(conn, data or {})
        elif op == RESUME:
            await self._resume(conn, data or {})
        elif conn.session_id is None:
            await self._close(conn, NOT_AUTHENTICATED, "Not authenticated.")
        elif op == REQUEST_GUILD_MEMBERS:
            guild = self.double.guild
            await self._dispatch(self.sessions[conn.session_id], "GUILD_MEMBERS_CHUNK", {
                "guild_id": guild.id, "members": [m.member() for m in guild.members], "chunk_index": 0,
                "chunk_count": 1, "not_found": [], "nonce": data.get("nonce")})
        # PRESENCE_UPDATE and VOICE_STATE_UPDATE are recorded only.

    async def _identify(self, conn: Connection, data: dict) -> None:
        if data.get("token") != self.double.token:
            await self._close(conn, AUTHENTICATION_FAILED, "Authentication failed.")
            return
        if not isinstance(data.get("intents"), int):
            await self._close(conn, INVALID_INTENTS, "Invalid intent(s).")
            return
        session = Session(secrets.token_hex(16), data["intents"])
        self.sessions[session.id] = session
        self.current = session
        session.connection = conn
        conn.session_id, conn.how = session.id, "identify"
        self._mark_back("identify", 0)
        double = self.double
        await self._dispatch(session, "READY", {
            "v": 10, "user_settings": {}, "user": dict(double.bot.user(), verified=True, mfa_enabled=True,
                                                        email=None, flags=0),
            "guilds": [{"id": double.guild.id, "unavailable": True}], "session_id": session.id,
            "session_type": "normal", "resume_gateway_url": self.url, "relationships": [],
            "private_channels": [], "presences": [], "guild_join_requests": [], "geo_ordered_rtc_regions": [],
            "application": {"id": double.application_id, "flags": 1 << 19}, "auth": {},
            "_trace": ['["gateway-double",{"micros":1}]'],
        })
        if session.intents & GUILDS_INTENT:
            await self._dispatch(session, "GUILD_CREATE", double.guild.guild_create())

    async def _resume(self, conn: Connection, data: dict) -> None:
        session = self.sessions.get(data.get("session_id") or "")
        if data.get("token") != self.double.token:
            await self._close(conn, AUTHENTICATION_FAILED, "Authentication failed.")
            return
        if session is None or self.invalidate_next_resume or session is not self.current:
            self.invalidate_next_resume = False
            await self._send(conn, {"op": INVALID_SESSION, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn and old.closed_at is None:
            await old.ws.close(code=UNKNOWN_ERROR)
            self._closed(old, "superseded by a resume")
        session.connection = conn
        conn.session_id, conn.how = session.id, "resume"
        since = data.get("seq") or 0
        missed = [e for e in session.events if e["s"] > since]
        for event in missed:
            await self._send(conn, event)
        self._mark_back("resume", len(missed))
        await self._dispatch(session, "RESUMED", {"_trace": ['["gateway-double",{"micros":1}]']})

    # -- plumbing ---------------------------------------------------------------------------

    async def _dispatch(self, session: Session, event: str, data: dict) -> int:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        conn = session.connection
        if conn is not None and conn.closed_at is None:
            await self._send(conn, payload)
        return session.seq

    async def _send(self, conn: Connection, payload: dict) -> None:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        async with conn._send_lock:
            if conn.ws.closed:
                return
            self._record(conn, "out", payload)
            try:
                if conn._zlib is not None:
                    await conn.ws.send_bytes(conn._zlib.compress(text.encode()) + conn._zlib.flush(zlib.Z_SYNC_FLUSH))
                else:
                    await conn.ws.send_str(text)
            except (ConnectionResetError, RuntimeError):
                pass  # the client went away; the event stays buffered in the session

    async def _close(self, conn: Connection, code: int, reason: str) -> web.WebSocketResponse:
        await conn.ws.close(code=code, message=reason.encode())
        self._closed(conn, f"{code} {reason}")
        return conn.ws

    def _closed(self, conn: Connection, reason: str) -> None:
        if conn.closed_at is None:
            conn.closed_at, conn.close_reason = time.monotonic(), reason

    def _mark_back(self, how: str, replayed: int) -> None:
        pending = [r for r in self.reconnects if r.back_at is None]
        for r in pending:
            r.back_at, r.how, r.replayed = time.monotonic(), how, replayed

    def _record(self, conn: Connection, direction: Literal["in", "out"], payload: dict) -> None:
        data = payload.get("d")
        if isinstance(data, dict) and "token" in data and payload.get("op") in (IDENTIFY, RESUME):
            data = dict(data, token="<redacted>")
        self.frames.append(Frame(time.monotonic(), conn.number, direction, payload.get("op"), payload.get("t"),
                                 payload.get("s"), data))
