"""The double itself, checked with a plain discord.py client (no briefbot code but the
`point_at` setting), so a failing scenario points at the bot, not at the double."""

from __future__ import annotations

import asyncio
import json
import zlib

import aiohttp
import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord_api import point_at
from tests.e2e.discord_double import DiscordDouble
from tests.e2e.harness import TOKEN

CHANNEL_MESSAGES = "/channels/{channel_id}/messages"


@pytest.fixture
def pointed(double, monkeypatch):
    """point_at for this test only (it changes discord.py process-wide)."""
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "from_client", DiscordWebSocket.from_client)
    point_at(double.api_base)
    return double


async def test_plain_discord_client_against_the_double(pointed: DiscordDouble):
    double = pointed
    intents = discord.Intents.default()
    intents.message_content = True
    client = discord.Client(intents=intents, allowed_mentions=discord.AllowedMentions.none())
    tree = discord.app_commands.CommandTree(client)

    @tree.command(description="Echo after thinking")
    async def echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"echo: {text}")

    @client.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            await message.reply(f"heard {message.content}")

    runner = asyncio.create_task(client.start(TOKEN))
    try:
        await double.wait_connected(timeout=20)
        conn = double.gateway.live
        assert conn.compress == "zlib-stream" and conn.query["v"] == "10" and conn.how == "identify"
        paths = [r.path for r in double.requests]
        assert paths[:4] == ["/users/@me", "/oauth2/applications/@me", "/gateway/bot", "/"]
        assert all(r.authorized for r in double.requests if r.path != "/")

        alice = double.add_user("alice")
        said = await double.say(alice, "hello @everyone")
        (reply,) = await double.wait_for(lambda: double.replies_to(said["id"]), 10, "a reply")
        assert reply.body["allowed_mentions"] == {"parse": []} and not reply.pings

        synced = await tree.sync()
        assert [c.name for c in synced] == ["echo"] and double.rest.commands[None][0]["name"] == "echo"
        interaction = await double.slash(alice, "echo", {"text": "hi"})
        await double.wait_for(interaction.visible, 10, "a follow-up")
        assert interaction.deferred and interaction.ack_seconds < 3
        assert [r.content for r in interaction.visible()] == ["echo: hi"]

        # A dropped connection resumes, and what was dispatched meanwhile is replayed once.
        await double.gateway.drop("abrupt")
        during = await double.say(alice, "while you were away")
        await double.wait_for(lambda: double.replies_to(during["id"]), 15, "the replayed message's reply")
        (outage,) = double.gateway.reconnects
        assert outage.how == "resume" and outage.replayed == 1 and outage.seconds < 5

        # 429 with retry_after: retried after the wait, delivered once.
        double.rest.fail_next("POST", CHANNEL_MESSAGES, retry_after=0.5)
        limited = await double.say(alice, "rate limit me")
        await double.wait_for(lambda: double.replies_to(limited["id"]), 10, "the retried reply")
        statuses = [r.status for r in double.requests if r.route == CHANNEL_MESSAGES][-2:]
        assert statuses == [429, 200] and len(double.replies_to(limited["id"])) == 1

        # An invalidated session makes the client identify again (discord.py waits 5 s first).
        double.gateway.invalidate_next_resume = True
        await double.gateway.drop("reconnect")
        await double.wait_for(lambda: double.gateway.reconnects[-1].how == "identify", 20, "a new IDENTIFY")
        assert any(f.op == 9 for f in double.frames)
        assert double.gateway.max_heartbeat_lateness() < 0.25
    finally:
        await client.close()
        await asyncio.wait_for(runner, 10)


async def test_gateway_speaks_plain_json_and_refuses_a_bad_token(double: DiscordDouble):
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{double.gateway.url}?v=10&encoding=json") as ws:
            hello = await ws.receive_json(timeout=5)
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == double.gateway.heartbeat_interval_ms
            await ws.send_json({"op": 2, "d": {"token": "not-the-token", "intents": 513, "properties": {}}})
            closing = await ws.receive(timeout=5)
            assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4004

        async with session.ws_connect(f"{double.gateway.url}?v=10&encoding=json&compress=zlib-stream") as ws:
            inflate = zlib.decompressobj()
            hello = json.loads(inflate.decompress(await ws.receive_bytes(timeout=5)))
            assert hello["op"] == 10
            await ws.send_json({"op": 2, "d": {"token": TOKEN, "intents": 513, "properties": {}}})
            ready = json.loads(inflate.decompress(await ws.receive_bytes(timeout=5)))
            assert ready["t"] == "READY" and ready["d"]["resume_gateway_url"] == double.gateway.url


async def test_rest_rejects_what_discord_rejects(double: DiscordDouble):
    channel = double.channel_list[0]
    url = f"{double.api_base}/channels/{channel.id}/messages"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {TOKEN}"}) as session:
        async with session.post(url, json={"content": "x" * 2001}) as r:
            assert r.status == 400 and (await r.json())["code"] == 50035
        async with session.post(url, json={"content": ""}) as r:
            assert r.status == 400 and (await r.json())["code"] == 50006
        async with session.post(url, json={"content": "ok"}) as r:
            assert r.status == 200 and r.headers["X-RateLimit-Bucket"] and r.headers["Via"]
            assert r.headers["Content-Type"] == "application/json"
    async with aiohttp.ClientSession(headers={"Authorization": "Bot wrong"}) as session:
        async with session.get(f"{double.api_base}/users/@me") as r:
            assert r.status == 401


def test_point_at_refuses_what_is_not_an_http_url():
    for bad in ("127.0.0.1:8080/api/v10", "ftp://example.com/api/v10", "http:///api/v10"):
        with pytest.raises(ValueError):
            point_at(bad)
