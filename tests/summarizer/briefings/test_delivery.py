"""The digest delivery service: what is due, once a day per channel, with the posting
done by a callable the front end passes in (here a recording fake); digests prepared ahead
of their minute, and posted at it from the store without the model."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from store import Database, Deliveries
from summarizer.briefings.delivery import (
    PREPARE_AHEAD, RETRY_FAILED_AFTER, DeliveryFailed, DigestDelivery, Subscription, digest_date_for, due_day,
)
from summarizer.results import Digest, DigestStory
from tests.summarizer.controlled_corpus import RAIL_TITLE, cod_accord, empty_engine, rail_strike

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


class Digests:
    """A digest source that records which days were asked for, and which were prepared."""

    def __init__(self, built: list[str | None]) -> None:
        self.built = built
        self.prepared: list[str] = []

    async def digest(self, day: str | None = None, *, wait_s: float | None = None) -> Digest:
        self.built.append(day)
        return Digest(day, [STORY] if day == NEWS_DAY else [])

    async def ready(self, day: str) -> Digest:
        return await self.digest(day, wait_s=0)

    async def prepare(self, day: str) -> None:
        self.prepared.append(day)

    async def close(self) -> None:
        pass


@pytest.fixture
def service(database, built) -> DigestDelivery:
    return DigestDelivery(Deliveries(database), Digests(built))


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


# -- ready before its minute ----------------------------------------------------------------------

async def test_digests_due_within_the_window_are_prepared_once_per_day(service):
    await subscribe(service, 1)  # 08:00 UTC
    await subscribe(service, 2)
    await subscribe(service, 3, post_time="12:00")
    eight = dt.datetime(2022, 1, 6, 8, 0, tzinfo=dt.timezone.utc)

    assert await service.prepare_upcoming(eight - PREPARE_AHEAD - dt.timedelta(minutes=1)) == []
    assert await service.prepare_upcoming(eight - PREPARE_AHEAD) == [NEWS_DAY]
    assert service.digests.prepared == [NEWS_DAY]  # one digest for both channels; not yet for channel 3

    assert await service.deliver_due(eight, Poster()) == [1, 2]
    assert await service.prepare_upcoming(eight + dt.timedelta(minutes=5)) == []  # delivered: nothing to prepare


NEWS = "2024-03-05"
MORNING_AFTER = dt.datetime(2024, 3, 6, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def news(tmp_path, embedder, fake_model):
    async with empty_engine(tmp_path, embedder, fake_model) as engine:
        cod_accord(engine.config.corpus_dir), rail_strike(engine.config.corpus_dir)
        await engine.ingest()
        await engine.deliveries.subscribe(Subscription(1, 7, "08:00", "UTC"), created_by=1)
        yield engine


async def test_a_digest_prepared_ahead_is_posted_without_the_model(news, fake_model):
    assert await news.deliveries.prepare_upcoming(MORNING_AFTER - dt.timedelta(minutes=10)) == [NEWS]
    prepared = await news.digest(NEWS)  # joins the preparation under way
    assert len(fake_model.calls) == 2 and all(s.mode == "generated" for s in prepared.stories)

    post = Poster()
    posted: list[Digest] = []

    async def keep(channel_id: int, digest: Digest) -> int:
        posted.append(digest)
        return await post(channel_id, digest)
    assert await news.deliveries.deliver_due(MORNING_AFTER, keep) == [1]

    assert len(fake_model.calls) == 2  # no model call at posting time
    assert posted == [prepared]


async def test_a_digest_due_before_it_is_written_is_posted_at_its_minute_with_what_is_ready(news, fake_model):
    fake_model.delay_s = 1.0  # per story
    posted: list[Digest] = []

    async def keep(channel_id: int, digest: Digest) -> int:
        posted.append(digest)
        return 1
    started = time.monotonic()
    assert await news.deliveries.deliver_due(MORNING_AFTER, keep) == [1]  # subscribed too late to prepare

    assert time.monotonic() - started < fake_model.delay_s  # on time, not after the model
    assert [s.mode for s in posted[0].stories] == ["extractive", "extractive"]
    # The writing goes on: once the first story is written, it is what is ready for it.
    while len(fake_model.calls) < 2:
        await asyncio.sleep(0.05)
    partial = await news.deliveries.digests.ready(NEWS)
    assert [s.mode for s in partial.stories] == ["generated", "extractive"]
    assert partial.stories[1].headline == RAIL_TITLE
    finished = await news.digest(NEWS)
    assert [s.mode for s in finished.stories] == ["generated", "generated"] and len(fake_model.calls) == 2


async def test_the_next_posting_moment_is_the_earliest_still_to_come(service):
    assert await service.next_posting(MORNING) is None
    await subscribe(service, 1, post_time="08:00")  # passed at MORNING (09:00 UTC): tomorrow's
    await subscribe(service, 2, post_time="15:30", timezone="Asia/Kolkata")  # 10:00 UTC
    await subscribe(service, 3, post_time="07:00", timezone="Mars/Olympus")

    assert await service.next_posting(MORNING) == dt.datetime(2022, 1, 6, 10, 0, tzinfo=dt.timezone.utc)
    assert await service.next_posting(MORNING + dt.timedelta(hours=1)) == dt.datetime(
        2022, 1, 7, 8, 0, tzinfo=dt.timezone.utc)


async def test_a_posting_time_already_past_today_starts_tomorrow(service):
    """Subscribed at 23:59 for 00:00, the first digest is the one a minute later, not today's at once."""
    just_before_midnight = dt.datetime(2022, 1, 5, 23, 59, 30, tzinfo=dt.timezone.utc)
    await service.subscribe(Subscription(1, 7, "00:00", "UTC"), created_by=1, now=just_before_midnight)
    post = Poster()

    # Even a quiet day would be posted here: what keeps today's out is the subscription time.
    assert await service.deliver_due(just_before_midnight, post, post_empty_days=True) == []
    assert await service.deliver_due(just_before_midnight + dt.timedelta(seconds=30), post, post_empty_days=True) == [1]
    assert post.posted == [(1, NEWS_DAY)]


async def test_a_posting_time_still_to_come_today_is_kept(service):
    await service.subscribe(Subscription(1, 7, "10:00", "UTC"), created_by=1, now=MORNING)  # 09:00

    assert not await service.delivered(1, "2022-01-06")
    assert await service.deliver_due(MORNING + dt.timedelta(hours=1), Poster()) == [1]
