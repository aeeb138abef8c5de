"""The digest delivery service: what is due, once a day per channel, with the posting
done by a callable the front end passes in (here a recording fake)."""

from __future__ import annotations

import datetime as dt

import pytest

from store import Database, Deliveries
from summarizer.briefings.delivery import (
    RETRY_FAILED_AFTER, DeliveryFailed, DigestDelivery, Subscription, digest_date_for, due_day,
)
from summarizer.results import Digest, DigestStory

NEWS_DAY = "2022-01-05"
MORNING = dt.datetime(2022, 1, 6, 9, 0, tzinfo=dt.timezone.utc)  # 09:00 UTC on the day after NEWS_DAY
STORY = DigestStory(headline="Lavrov visits Delhi", summary="Lavrov met Jaishankar [1].", citations=[],
                    article_ids=["a1"])


class Poster:
    """A ``post`` callable that records what it posted, or fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.posted: list[tuple[int, str | None]] = []
        self.failing = False

    async def __call__(self, channel_id: int, digest: Digest) -> int:
        if self.failing:
            raise DeliveryFailed("Missing Access")
        self.posted.append((channel_id, digest.date))
        return 1000 + len(self.posted)


@pytest.fixture
async def database(tmp_path):
    opened = await Database.open(tmp_path / "x.db")
    yield opened
    await opened.close()


@pytest.fixture
def built() -> list[str | None]:
    return []


@pytest.fixture
def service(database, built) -> DigestDelivery:
    async def digest_for(day: str | None) -> Digest:
        built.append(day)
        return Digest(day, [STORY] if day == NEWS_DAY else [])
    return DigestDelivery(Deliveries(database), digest_for)


async def subscribe(service: DigestDelivery, channel_id: int, post_time: str = "08:00",
                    timezone: str = "UTC") -> None:
    await service.subscribe(Subscription(channel_id, 7, post_time, timezone), created_by=1)


async def test_a_due_digest_is_posted_once_and_the_message_is_recorded(service, database):
    await subscribe(service, 1)
    post = Poster()

    assert await service.deliver_due(MORNING, post) == [1]
    assert await service.deliver_due(MORNING + dt.timedelta(hours=1), post) == []

    assert post.posted == [(1, NEWS_DAY)]  # the day before the local date
    assert await service.delivered(1, "2022-01-06")
    row = await database.fetchone("SELECT digest_date, message_id FROM deliveries WHERE channel_id = 1")
    assert tuple(row) == (NEWS_DAY, 1001)


async def test_nothing_is_due_before_the_local_posting_time(service):
    await subscribe(service, 1, post_time="10:00")
    post = Poster()

    assert await service.deliver_due(MORNING, post) == []
    assert await service.deliver_due(MORNING + dt.timedelta(hours=1), post) == [1]


async def test_one_digest_is_built_per_check_for_every_channel_that_needs_it(service, built):
    await subscribe(service, 1)
    await subscribe(service, 2)
    post = Poster()

    assert await service.deliver_due(MORNING, post) == [1, 2]
    assert built == [NEWS_DAY]


async def test_a_day_without_articles_is_handled_without_posting(service):
    await subscribe(service, 1)
    post = Poster()
    quiet = dt.datetime(2022, 3, 1, 9, 0, tzinfo=dt.timezone.utc)

    assert await service.deliver_due(quiet, post) == []
    assert post.posted == []
    assert await service.delivered(1, "2022-03-01")


async def test_empty_days_are_posted_when_asked(service):
    await subscribe(service, 1)
    post = Poster()
    quiet = dt.datetime(2022, 3, 1, 9, 0, tzinfo=dt.timezone.utc)

    assert await service.deliver_due(quiet, post, post_empty_days=True) == [1]
    assert post.posted == [(1, "2022-02-28")]


async def test_a_failed_post_is_released_and_retried_after_a_pause(service):
    await subscribe(service, 1)
    post = Poster()
    post.failing = True

    assert await service.deliver_due(MORNING, post) == []
    assert not await service.delivered(1, "2022-01-06")

    post.failing = False
    assert await service.deliver_due(MORNING + dt.timedelta(minutes=1), post) == []  # backing off
    assert await service.deliver_due(MORNING + RETRY_FAILED_AFTER, post) == [1]


async def test_an_unexpected_failure_leaves_the_day_claimed(service):
    """Only DeliveryFailed is retried: anything else may have posted, so it is not repeated."""
    await subscribe(service, 1)

    async def broken(channel_id: int, digest: Digest) -> int:
        raise RuntimeError("bug")
    with pytest.raises(RuntimeError):
        await service.deliver_due(MORNING, broken)
    assert await service.delivered(1, "2022-01-06")


async def test_an_unknown_time_zone_skips_only_that_subscription(service):
    await subscribe(service, 1, timezone="Mars/Olympus")
    await subscribe(service, 2)
    post = Poster()

    assert await service.deliver_due(MORNING, post) == [2]


async def test_subscriptions_can_be_listed_and_removed(service):
    await subscribe(service, 1)
    assert await service.subscriptions() == [Subscription(1, 7, "08:00", "UTC")]
    assert await service.unsubscribe(1)
    assert not await service.unsubscribe(1)
    assert await service.subscriptions() == []


def test_due_day_is_the_subscribers_local_date():
    sub = Subscription(1, None, "08:00", "America/New_York")
    assert due_day(sub, dt.datetime(2024, 3, 2, 12, 59, tzinfo=dt.timezone.utc)) is None  # 07:59 local
    assert due_day(sub, dt.datetime(2024, 3, 2, 13, 0, tzinfo=dt.timezone.utc)) == "2024-03-02"
    assert due_day(sub, dt.datetime(2024, 3, 3, 2, 0, tzinfo=dt.timezone.utc)) == "2024-03-02"  # 21:00 local


def test_the_digest_posted_on_a_day_is_the_previous_days():
    assert digest_date_for("2022-03-01") == "2022-02-28"
