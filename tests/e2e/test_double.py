"""The double itself, checked with a plain discord.py client (no briefbot code but the
`point_at` setting), so a failing scenario points at the bot, not at the double."""

from __future__ import annotations

import asyncio
import json
import time
import zlib

import aiohttp
import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord_api import point_at
from tests.e2e.discord_double import DiscordDouble, Interaction
from tests.e2e.discord_double.rest import API
from tests.e2e.discord_double.spec_check import default_spec, error_paths
from tests.e2e.harness import TOKEN, assert_no_rejections

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


async def test_rest_checks_bodies_against_discords_openapi_spec(double: DiscordDouble):
    """A body that breaks Discord's spec gets Discord's 400 naming the path, is not acted on, and
    fails assert_no_rejections; ids as JSON integers and other discord.py habits pass."""
    channel = double.channel_list[0]
    url = f"{double.api_base}/channels/{channel.id}/messages"
    alice = double.add_user("alice")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {TOKEN}"}) as session:
        async with session.post(url, json={"content": "x" * 4001}) as r:  # the spec's limit is 4000
            answer = await r.json()
            assert r.status == 400 and answer["code"] == 50035 and answer["message"] == "Invalid Form Body"
            assert answer["errors"] == {"content": {"_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 4000 or fewer in length."}]}}
        bad_field = {"content": "hi", "embeds": [{"title": "t", "fields": [{"name": "n", "value": 5}]}]}
        async with session.post(url, json=bad_field) as r:
            answer = await r.json()
            assert r.status == 400 and answer["code"] == 50035
            assert error_paths(answer["errors"]) == ["embeds.0.fields.0.value"]
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps({"content": "file", "allowed_mentions": {"parse": ["nobody"]}}),
                       content_type="application/json")
        form.add_field("files[0]", b"data", filename="a.txt", content_type="text/plain")
        async with session.post(url, data=form) as r:  # multipart: payload_json is checked
            answer = await r.json()
            assert r.status == 400 and error_paths(answer["errors"]) == ["allowed_mentions.parse.0"]
        assert not double.posted and len(double.rest.spec_rejections) == 3
        with pytest.raises(AssertionError, match="would have rejected"):
            assert_no_rejections(double)

        good = {"content": "ok", "tts": False, "nonce": "1574461157744443392", "embeds": [
                    {"title": "t", "color": 0x2B6CB0, "fields": [{"name": "n", "value": "v", "inline": False}]}],
                "allowed_mentions": {"parse": [], "users": [int(alice.id)], "replied_user": False},
                "message_reference": {"message_id": 1574461157744443391, "channel_id": int(channel.id),
                                      "fail_if_not_exists": False}}
        async with session.post(url, json=good) as r:  # discord.py sends ids as numbers
            assert r.status == 200, await r.text()
        assert len(double.posted) == 1 and len(double.rest.spec_rejections) == 3

    # An interaction callback that breaks the spec is not an acknowledgement.
    interaction = Interaction("1574461157744443393", "aW50ZXJhY3Rpb246dG9rZW4", "echo", alice, channel, {},
                              time.monotonic())
    double.rest.interactions[interaction.id] = interaction
    callback = f"{double.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(callback, json={"type": 4, "data": {"content": "x" * 2001}}) as r:
            answer = await r.json()
            assert r.status == 400 and error_paths(answer["errors"]) == ["data.content"]
        assert interaction.acked_at is None
        async with session.post(callback, json={"type": 4, "data": {"content": "ok", "flags": 64}}) as r:
            assert r.status == 204 and interaction.acked_at is not None


def test_spec_finds_an_operation_for_every_body_the_double_takes(double: DiscordDouble):
    """Each route the double serves that takes a body maps to a spec operation with a JSON schema,
    so no body goes unchecked; and the spec mapping reads Discord's conventions as Discord does."""
    spec = default_spec()
    unchecked = []
    for route in double.rest.app().router.routes():
        template = route.resource.canonical if route.resource else ""
        if route.method not in ("POST", "PUT", "PATCH") or not template.startswith(API) or "{tail" in template:
            continue
        path = template.removeprefix(API).replace("{token}", "tok").replace("{emoji}", "%F0%9F%91%8D")
        path = "/".join("1574461157744443392" if s.startswith("{") else s for s in path.split("/"))
        op = spec.operation(route.method, path)
        if op is None or (op.schema_ref is None and not path.endswith(("/typing", "/@me"))):
            unchecked.append((route.method, template))
    assert not unchecked, f"routes whose bodies the spec does not check: {unchecked}"
    assert spec.operation("PATCH", "/webhooks/1/tok/messages/@original").path.endswith("/@original")
    assert spec.operation("GET", "/applications/@me").path == "/applications/@me"

    commands = [{"name": "digest", "description": "d", "type": 1, "default_member_permissions": "32",
                 "contexts": [0], "options": [{"type": 7, "name": "channel", "description": "d", "required": True}]}]
    assert spec.check("PUT", "/applications/1/commands", commands, has_body=True) is None  # int as a string
    commands[0]["default_member_permissions"] = "manage_guild"
    problem = spec.check("PUT", "/applications/1/commands", commands, has_body=True)
    assert error_paths(problem["errors"]) == ["0.default_member_permissions"]
    problem = spec.check("POST", "/interactions/1/tok/callback", {"type": 42}, has_body=True)
    (error,) = problem["errors"]["type"]["_errors"]
    assert error["code"] == "BASE_TYPE_CHOICES" and "4, 5" in error["message"]
    problem = spec.check("POST", "/interactions/1/tok/callback", None, has_body=False)
    assert problem["code"] == 50035  # the body is required
    assert spec.check("POST", "/channels/1/typing", None, has_body=False) is None


def test_point_at_refuses_what_is_not_an_http_url():
    for bad in ("127.0.0.1:8080/api/v10", "ftp://example.com/api/v10", "http:///api/v10"):
        with pytest.raises(ValueError):
            point_at(bad)
