"""The scheduled digest, on the real clock: subscribed for the next minute, it is posted
once; when the bot is stopped before that minute and started after it, it is still posted
once (not zero times, not twice), and a further restart does not post it again.

Both bots run side by side, each with its own double and store, so the two cases share the
wait for the due minute. The bot checks for due digests every 30 s."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import time

from tests.e2e.discord_double import DiscordDouble
from tests.e2e.harness import TOKEN, WARMED_UP_LOG, BotFiles, assert_no_pings, assert_no_rejections

LEAD_S = 12  # at least this long between subscribing and the due minute
CHECK_EVERY_S = 30  # the bot's delivery loop period
DIGEST_TITLE = "Daily digest"


def next_due_minute(lead_s: float) -> dt.datetime:
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=lead_s)
    return soon.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


def digests_in(double: DiscordDouble, channel_id: str):
    return [m for m in double.posted if m.kind == "channel" and m.channel_id == channel_id
            and (m.message.get("embeds") or [{}])[0].get("title", "").startswith(DIGEST_TITLE)]


def wall_clock(monotonic: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=time.monotonic() - monotonic)


def posted_before(moment: dt.datetime, posts) -> list:
    # Posted times are monotonic; turning them into wall-clock time costs a few microseconds of
    # precision, far below the minute the bot schedules in.
    return [m for m in posts if wall_clock(m.at) < moment - dt.timedelta(milliseconds=10)]


async def sleep_until(moment: dt.datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - dt.datetime.now(dt.timezone.utc)).total_seconds()))


async def subscribe(double: DiscordDouble, post_time: str) -> str:
    channel = double.channel_list[1]
    interaction = await double.slash(double.owner, "digest-subscribe",
                                     {"channel": channel, "time": post_time, "timezone": "UTC"})
    (confirmation,) = await double.wait_for(interaction.visible, 30, "the subscription to be confirmed")
    assert post_time in confirmation.text, confirmation.text
    return channel.id


async def test_digest_delivered_once_even_across_restarts(double: DiscordDouble, launch, seed, tmp_path, figures):
    other = await DiscordDouble(TOKEN, heartbeat_interval_ms=double.gateway.heartbeat_interval_ms).start()
    try:
        restarted_files = BotFiles.copy_of(*seed, tmp_path / "restarted")
        steady, restarted = await asyncio.gather(launch(), launch(on=other, with_files=restarted_files))

        due = next_due_minute(LEAD_S)
        post_time = due.strftime("%H:%M")
        steady_channel, restarted_channel = await asyncio.gather(subscribe(double, post_time),
                                                                  subscribe(other, post_time))
        await restarted.stop(signal.SIGINT)  # Ctrl-C, before the digest is due
        assert dt.datetime.now(dt.timezone.utc) < due, "too slow to subscribe before the due minute"

        await sleep_until(due + dt.timedelta(seconds=2))
        # The steady bot may rightly have posted in these 2 s (its 30 s check can fall just after
        # the minute); what must never happen is a post before the minute, or one by a stopped bot.
        assert not posted_before(due, digests_in(double, steady_channel)), "posted before its minute"
        assert not digests_in(other, restarted_channel), "posted by a bot that was stopped"
        back = await launch(on=other, with_files=restarted_files)  # started again after the due time
        await double.wait_for(lambda: digests_in(double, steady_channel), CHECK_EVERY_S + 15, "the steady digest")
        await other.wait_for(lambda: digests_in(other, restarted_channel), 30, "the digest after the restart")
        steady_at = digests_in(double, steady_channel)[0].at
        restarted_after_s = digests_in(other, restarted_channel)[0].at - back.started_at

        await back.stop(signal.SIGKILL)  # a crash this time; then once more across the delivered digest
        again = await launch(on=other, with_files=restarted_files)
        await asyncio.sleep(5.0)  # the first check runs as soon as the bot is ready
        assert again.running and WARMED_UP_LOG in again.log
        # The steady bot checks again CHECK_EVERY_S after delivering: it must not post twice.
        await asyncio.sleep(max(0.0, steady_at + CHECK_EVERY_S + 2 - time.monotonic()))

        steady_digests, restarted_digests = digests_in(double, steady_channel), digests_in(other, restarted_channel)
        assert not posted_before(due, steady_digests + restarted_digests), "posted before its minute"
        assert len(steady_digests) == 1, f"the steady bot posted the digest {len(steady_digests)} times"
        assert len(restarted_digests) == 1, f"the restarted bot posted the digest {len(restarted_digests)} times"
        yesterday = (due.date() - dt.timedelta(days=1)).isoformat()
        for posted in (*steady_digests, *restarted_digests):
            embed = posted.message["embeds"][0]
            assert yesterday in embed["title"] and "Arctic Council" in posted.text
        for d in (double, other):
            assert_no_pings(d)
            assert_no_rejections(d)
        figures.update(due=post_time, steady_delivered_after_due_s=(wall_clock(steady_at) - due).total_seconds(),
                       restarted_delivered_after_start_s=restarted_after_s, steady_deliveries=len(steady_digests),
                       restarted_deliveries=len(restarted_digests), expected=1)
    finally:
        await other.stop()
