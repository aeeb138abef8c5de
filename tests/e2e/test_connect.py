"""Connecting: `briefbot run` logs in, identifies with the intents it needs and keeps
beating; slash commands are registered by `briefbot sync`, never on connect."""

from __future__ import annotations

import asyncio
import time

from tests.e2e.discord_double import DiscordDouble
from tests.e2e.harness import TOKEN, assert_token_never_sent, bot_env, run_cli

ADMIN_COMMANDS = {"ingest", "digest-subscribe", "digest-unsubscribe", "feeds"}
MANAGE_GUILD = str(1 << 5)
READY_WAIT_S = 2.0  # discord.py's guild_ready_timeout: READY comes this long after the last server


async def test_sync_registers_valid_commands_without_connecting(double: DiscordDouble, files, figures):
    env = bot_env(double, files)
    code, out, err = await run_cli(["sync", "--guild", double.guild.id], env, files.home)
    assert code == 0, err
    assert "synced" in out and "Traceback" not in err

    commands = double.rest.commands[double.guild.id]
    names = {c["name"] for c in commands}
    assert {"ask", "search", "digest", "ingest"} <= names
    # Admin commands are hidden from members by default (the bot also checks at run time).
    for command in commands:
        expected = MANAGE_GUILD if command["name"] in ADMIN_COMMANDS else None
        assert command["default_member_permissions"] == expected, command["name"]
    assert not double.gateway.connections, "sync opened a gateway connection"
    assert all(r.authorized for r in double.requests)

    code, out2, err2 = await run_cli(["sync"], env, files.home)
    assert code == 0, err2
    assert {c["name"] for c in double.rest.commands[None]} == names
    assert len([r for r in double.requests if r.method == "PUT"]) == 2
    assert TOKEN not in out + err + out2 + err2
    assert_token_never_sent(double, [], TOKEN)
    figures.update(commands=len(commands))


async def test_run_identifies_and_keeps_beating(double: DiscordDouble, launch, figures):
    bot = await launch()
    conn = double.gateway.live
    assert conn.how == "identify" and conn.compress == "zlib-stream" and conn.query["v"] == "10"
    identify = next(f for f in double.frames if f.op == 2)
    assert identify.d["token"] == "<redacted>"  # the token itself was checked by the double
    intents = identify.d["intents"]
    assert intents & (1 << 0) and intents & (1 << 9) and intents & (1 << 15)  # guilds, messages, content
    assert not intents & (1 << 1), "the privileged members intent is not needed"

    first = [r.path for r in double.requests][:4]
    assert first == ["/users/@me", "/oauth2/applications/@me", "/gateway/bot", "/"]
    assert not [r for r in double.requests if r.method == "PUT"], "commands synced on connect"

    await double.wait_for(lambda: len(conn.heartbeats) >= 6, 10, "heartbeats")
    assert all(f.op == 11 for f in double.frames if f.direction == "out" and f.op not in (0, 10))
    figures.update(connect_s=conn.opened_at - bot.started_at,
                   max_heartbeat_late_s=double.gateway.max_heartbeat_lateness())
    assert "Traceback" not in bot.log




async def test_stopped_mid_answer_while_the_servers_arrive_exits_cleanly(double: DiscordDouble, launch, figures):
    """Ctrl-C, as a user restarting a bot does, right after a draft reply, while the model is
    still writing and discord.py still waits for the servers (2 s after the last GUILD_CREATE):
    the stop is clean, with no traceback from the READY it cut short."""
    bot = await launch()
    connected_at = double.gateway.live.opened_at
    reader = double.add_user("reader")
    questions = [await double.say(reader, text) for text in ("What did Lavrov say about the Quad?",
                                                              "What did Jaishankar discuss with Blinken?")]
    await double.wait_for(lambda: all(double.replies_to(q["id"]) for q in questions), 30, "the drafts")
    # Stop just before READY is due, with a summary being written: the shutdown waits for the
    # model, so it outlasts the servers' wait, the cut-short READY's moment of failure.
    await asyncio.sleep(max(0.0, connected_at + READY_WAIT_S - 0.2 - time.monotonic()))
    code = await bot.stop()
    figures.update(stop_sent_after_connect_s=bot.stopped_at - connected_at,
                   stopping_took_s=time.monotonic() - bot.stopped_at)
    assert code in (0, 130), bot.tail()
    assert "Traceback" not in bot.log and "never awaited" not in bot.log, bot.tail()
