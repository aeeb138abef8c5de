"""Scheduled digests, without the chat platform: subscriptions, which channel is due for
which day's digest, and delivering each exactly once through a ``post`` callable the front
end passes in.

A channel subscribed at 08:00 Europe/Paris gets, each local day, the digest of the previous
day's articles: a day's coverage is complete only once it is over, so posting yesterday
never skips late articles, whatever the posting time.

Deliveries are claimed in the store before posting and released when posting fails, so
after a restart nothing is repeated or skipped: a digest whose time passed while the
process was down is posted on the first check after start, once. A channel's first digest is
the first posting time after it subscribed.

A digest takes the model seconds per story to write, so each one is prepared PREPARE_AHEAD
before its posting time (or at once, when the bot starts within that window) and posting
takes it from the store. A digest due before it is ready (a channel subscribed a minute
before its time) is posted at its minute with the stories written so far and the others
quoted from their leads, rather than late."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Awaitable, Callable, Protocol

from store import Deliveries, Subscription
from summarizer.results import Digest

log = logging.getLogger(__name__)
RETRY_FAILED_AFTER = dt.timedelta(minutes=10)
PREPARE_AHEAD = dt.timedelta(minutes=15)

# Posts a digest to a channel and returns the id of the (first) message, or raises
# DeliveryFailed when it could not be posted this time.
Post = Callable[[int, Digest], Awaitable[int | None]]


class DigestSource(Protocol):
    """Where digests come from (``summarizer.briefings.digest.Digester``)."""

    async def digest(self, day: str | None = None, *, wait_s: float | None = None) -> Digest: ...

    async def ready(self, day: str) -> Digest: ...

    async def prepare(self, day: str) -> None: ...

    async def close(self) -> None: ...


__all__ = ["PREPARE_AHEAD", "RETRY_FAILED_AFTER", "DeliveryFailed", "DigestDelivery", "DigestSource", "Post",
           "Subscription", "digest_date_for", "due_day"]


class DeliveryFailed(Exception):
    """Posting a digest failed in a way a later attempt may not (permissions, network, a
    deleted channel): the delivery is released and retried after RETRY_FAILED_AFTER."""


def due_day(sub: Subscription, now: dt.datetime) -> str | None:
    """The subscriber's local date when today's posting time has passed, else None."""
    local = now.astimezone(zoneinfo.ZoneInfo(sub.timezone))
    if local.strftime("%H:%M") < sub.post_time:
        return None
    return local.date().isoformat()


def digest_date_for(local_day: str) -> str:
    """The corpus day a delivery on ``local_day`` summarises: the day before."""
    return (dt.date.fromisoformat(local_day) - dt.timedelta(days=1)).isoformat()


class DigestDelivery:
    """Subscriptions and once-a-day delivery of the digests ``digests`` writes and keeps."""

    def __init__(self, deliveries: Deliveries, digests: DigestSource) -> None:
        self._deliveries = deliveries
        self.digests = digests
        self._failed_until: dict[int, dt.datetime] = {}

    async def subscribe(self, sub: Subscription, created_by: int | None = None, *,
                        now: dt.datetime | None = None) -> None:
        """Subscribe a channel. Given ``now``, a posting time already past today counts from
        tomorrow: subscribed at 23:59 for 00:00, the channel's first digest is the one a minute
        later, not today's at once (which would be posted before the minute it was asked for)."""
        await self._deliveries.subscribe(sub, created_by)
        today = self._local_day(sub, now) if now is not None else None
        if today is not None and await self._deliveries.claim(sub.channel_id, today, digest_date_for(today)):
            await self._deliveries.confirm(sub.channel_id, today, None)

    async def unsubscribe(self, channel_id: int) -> bool:
        """False if the channel was not subscribed."""
        return await self._deliveries.unsubscribe(channel_id)

    async def subscriptions(self) -> list[Subscription]:
        return await self._deliveries.subscriptions()

    async def delivered(self, channel_id: int, day: str) -> bool:
        """Whether the digest for the local ``day`` has been handled for a channel."""
        return await self._deliveries.delivered(channel_id, day)

    async def deliver_due(self, now: dt.datetime, post: Post, *, post_empty_days: bool = False) -> list[int]:
        """Post every digest whose time has come and that has not gone out; returns the channels posted to."""
        digests: dict[str, Digest] = {}  # built once per check, shared by every channel that needs it
        posted = []
        for sub in await self._deliveries.subscriptions():
            day = self._due(sub, now)
            if day is None or await self._deliveries.delivered(sub.channel_id, day):
                continue
            digest_date = digest_date_for(day)
            if digest_date not in digests:
                digests[digest_date] = await self.digests.ready(digest_date)
            if await self._deliver(sub, day, digests[digest_date], now, post, post_empty_days):
                posted.append(sub.channel_id)
        return posted

    async def prepare_upcoming(self, now: dt.datetime) -> list[str]:
        """Start writing, in the background, every digest due within PREPARE_AHEAD that has not gone
        out; returns the corpus days being prepared. Returns at once: posting must not wait for it."""
        days: list[str] = []
        for sub in await self._deliveries.subscriptions():
            day = self._local_day(sub, now + PREPARE_AHEAD)
            if day is None or await self._deliveries.delivered(sub.channel_id, day):
                continue
            if digest_date_for(day) not in days:
                days.append(digest_date_for(day))
                await self.digests.prepare(days[-1])
        return days

    async def next_posting(self, now: dt.datetime) -> dt.datetime | None:
        """The next posting moment after ``now`` of any subscription, None without subscriptions."""
        moments = []
        for sub in await self._deliveries.subscriptions():
            try:
                zone = zoneinfo.ZoneInfo(sub.timezone)
            except zoneinfo.ZoneInfoNotFoundError:
                continue  # logged by the checks that skip it
            local = now.astimezone(zone)
            at = dt.time.fromisoformat(sub.post_time)
            for day in (local.date(), local.date() + dt.timedelta(days=1)):
                moment = dt.datetime.combine(day, at, zone)
                if moment > now:
                    moments.append(moment)
                    break
        return min(moments, default=None)

    async def close(self) -> None:
        """Stop preparing digests (the bot is stopping)."""
        await self.digests.close()

    def _due(self, sub: Subscription, now: dt.datetime) -> str | None:
        if now < self._failed_until.get(sub.channel_id, now):
            return None
        return self._local_day(sub, now)

    @staticmethod
    def _local_day(sub: Subscription, moment: dt.datetime) -> str | None:
        try:
            return due_day(sub, moment)
        except zoneinfo.ZoneInfoNotFoundError:
            log.error("subscription for channel %s has an unknown time zone %r", sub.channel_id, sub.timezone)
            return None

    async def _deliver(self, sub: Subscription, day: str, digest: Digest, now: dt.datetime, post: Post,
                       post_empty_days: bool) -> bool:
        if not await self._deliveries.claim(sub.channel_id, day, digest.date):
            return False
        if not digest.stories and not post_empty_days:
            await self._deliveries.confirm(sub.channel_id, day, None)  # the day is handled: nothing to say
            return False
        try:
            message_id = await post(sub.channel_id, digest)
        except DeliveryFailed as exc:
            await self._deliveries.release(sub.channel_id, day)
            self._failed_until[sub.channel_id] = now + RETRY_FAILED_AFTER
            log.warning("digest for channel %s not delivered (will retry): %s", sub.channel_id, exc)
            return False
        self._failed_until.pop(sub.channel_id, None)
        await self._deliveries.confirm(sub.channel_id, day, message_id)
        log.info("digest of %s delivered to channel %s", digest.date, sub.channel_id)
        return True
