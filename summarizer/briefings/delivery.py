"""Scheduled digests, without the chat platform: subscriptions, which channel is due for
which day's digest, and delivering each exactly once through a ``post`` callable the front
end passes in.

A channel subscribed at 08:00 Europe/Paris gets, each local day, the digest of the previous
day's articles: a day's coverage is complete only once it is over, so posting yesterday
never skips late articles, whatever the posting time.

Deliveries are claimed in the store before posting and released when posting fails, so
after a restart nothing is repeated or skipped: a digest whose time passed while the
process was down is posted on the first check after start, once."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Awaitable, Callable

from store import Deliveries, Subscription
from summarizer.results import Digest

log = logging.getLogger(__name__)
RETRY_FAILED_AFTER = dt.timedelta(minutes=10)

# Posts a digest to a channel and returns the id of the (first) message, or raises
# DeliveryFailed when it could not be posted this time.
Post = Callable[[int, Digest], Awaitable[int | None]]
DigestFor = Callable[[str | None], Awaitable[Digest]]

__all__ = ["RETRY_FAILED_AFTER", "DeliveryFailed", "DigestDelivery", "Post", "Subscription", "digest_date_for",
           "due_day"]


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
    """Subscriptions and once-a-day delivery of the digest. ``digest_for`` builds the digest
    of a corpus day (the engine's :meth:`~summarizer.engine.Engine.digest`)."""

    def __init__(self, deliveries: Deliveries, digest_for: DigestFor) -> None:
        self._deliveries = deliveries
        self._digest_for = digest_for
        self._failed_until: dict[int, dt.datetime] = {}

    async def subscribe(self, sub: Subscription, created_by: int | None = None) -> None:
        await self._deliveries.subscribe(sub, created_by)

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
                digests[digest_date] = await self._digest_for(digest_date)
            if await self._deliver(sub, day, digests[digest_date], now, post, post_empty_days):
                posted.append(sub.channel_id)
        return posted

    def _due(self, sub: Subscription, now: dt.datetime) -> str | None:
        if now < self._failed_until.get(sub.channel_id, now):
            return None
        try:
            return due_day(sub, now)
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
