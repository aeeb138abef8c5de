"""Digest subscriptions and the delivery log."""

from store import Database, Deliveries, Subscription


async def test_delivery_is_claimed_once_and_survives_reopen(tmp_path):
    path = tmp_path / "x.db"
    database = await Database.open(path)
    deliveries = Deliveries(database)
    await deliveries.subscribe(Subscription(1, 2, "08:00", "Asia/Kolkata"), created_by=3)
    assert await deliveries.claim(1, "2026-11-23", "2022-01-05")
    assert not await deliveries.claim(1, "2026-11-23", "2022-01-05")
    await database.close()
    database = await Database.open(path)
    deliveries = Deliveries(database)
    assert await deliveries.subscriptions() == [Subscription(1, 2, "08:00", "Asia/Kolkata")]
    assert await deliveries.delivered(1, "2026-11-23")
    await deliveries.release(1, "2026-11-23")
    assert not await deliveries.delivered(1, "2026-11-23")
    await database.close()


async def test_unsubscribe_says_whether_the_channel_was_subscribed(tmp_path):
    database = await Database.open(tmp_path / "x.db")
    deliveries = Deliveries(database)
    await deliveries.subscribe(Subscription(1, 2, "08:00", "UTC"))
    assert await deliveries.unsubscribe(1)
    assert not await deliveries.unsubscribe(1)
    assert await deliveries.subscriptions() == []
    await database.close()
