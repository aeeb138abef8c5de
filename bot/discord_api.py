"""Point discord.py at a Discord-compatible server other than discord.com.

Off by default. ``BRIEFBOT_DISCORD_API_BASE=http://127.0.0.1:8080/api/v10`` (the REST base,
ending in the API version) is for self-hosted Discord-compatible servers and the end-to-end
test double; with it unset nothing here runs and the bot talks to discord.com as usual.

Two things have to move for the bot to talk to another server:

- REST: every discord.py request, interaction webhooks included, is built from
  ``discord.http.Route.BASE``; it is replaced.
- The gateway: discord.py 2.7's ``Client`` does not ask for the gateway URL; it connects to
  the constant ``DiscordWebSocket.DEFAULT_GATEWAY`` (wss://gateway.discord.gg) and goes back to
  it after an INVALID_SESSION. When the API base is changed, that connection asks the server
  instead (``GET /gateway/bot``, authenticated, the documented discovery route) and uses the URL it
  returns, ``ws://`` or ``wss://``. Resuming keeps using READY's ``resume_gateway_url``, as
  discord.py already does. Payload compression stays discord.py's choice (``zlib-stream``, or
  ``zstd-stream`` when ``zstandard`` is installed), so the server has to support it.
"""

from __future__ import annotations

import functools
import logging

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

log = logging.getLogger(__name__)

DISCORD_API_BASE = Route.BASE
DISCORD_GATEWAY = DiscordWebSocket.DEFAULT_GATEWAY
_original_from_client = DiscordWebSocket.from_client.__func__


def point_at(api_base: str) -> None:
    """Send discord.py's REST and gateway traffic to the server at ``api_base``.

    Raises ValueError for a base that is not an absolute http(s) URL. Idempotent; applies to
    every client in the process."""
    url = yarl.URL(api_base.strip().rstrip("/"))
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"Discord API base must be an http(s) URL such as http://127.0.0.1:8080/api/v10, "
                         f"not {api_base!r}")
    Route.BASE = str(url)
    if DiscordWebSocket.from_client.__func__ is _original_from_client:
        DiscordWebSocket.from_client = classmethod(_from_client_asking_server)
    log.info("Discord API base set to %s; the gateway URL comes from its /gateway/bot", Route.BASE)


def is_redirected() -> bool:
    return Route.BASE != DISCORD_API_BASE


@functools.wraps(_original_from_client)
async def _from_client_asking_server(cls, client, *, gateway: yarl.URL | None = None, **kwargs):
    if is_redirected() and (gateway is None or gateway == DISCORD_GATEWAY):
        _shards, url, _limits = await client.http.get_bot_gateway()
        gateway = yarl.URL(url)
        log.debug("gateway from %s/gateway/bot: %s", Route.BASE, gateway)
    return await _original_from_client(cls, client, gateway=gateway, **kwargs)
