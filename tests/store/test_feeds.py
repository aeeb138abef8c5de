"""Feeds, their backoff and their items, on a real SQLite file."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from store import Corpus, Database, ReadOnlyStoreError
from store.feeds import MAX_BACKOFF_S, MAX_ITEM_ATTEMPTS, FeedExistsError, Feeds, InvalidFeedError, ItemMark
from tests.store.records import article

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
async def feeds(tmp_path):
    database = await Database.open(tmp_path / "feeds.db")
    yield Feeds(database)
    await database.close()


async def test_a_feed_is_added_due_at_once_listed_and_removed_by_id_or_url(feeds):
    first = await feeds.add("https://a.example/rss", 1800, guild_id=7, added_by=9, now=T0)
    second = await feeds.add("https://b.example/atom", 3600, title="B news", now=T0)
    assert (first.url, first.every_s, first.guild_id, first.added_by) == ("https://a.example/rss", 1800, 7, 9)
    assert first.next_poll_at == T0 and first.failures == 0 and first.articles_taken == 0
    assert [f.url for f in await feeds.list()] == ["https://a.example/rss", "https://b.example/atom"]
    assert [f.id for f in await feeds.due(T0)] == [first.id, second.id]
    assert await feeds.due(T0 - timedelta(seconds=1)) == []

    assert await feeds.remove(str(first.id))
    assert await feeds.remove("https://b.example/atom")
    assert not await feeds.remove("https://b.example/atom")
    assert await feeds.list() == []


async def test_adding_a_followed_url_again_names_the_feed(feeds):
    feed = await feeds.add("https://a.example/rss", 1800, now=T0)
    with pytest.raises(FeedExistsError, match=f"already following https://a.example/rss \\(feed {feed.id}\\)"):
        await feeds.add(" https://a.example/rss ", 600, now=T0)


@pytest.mark.parametrize("url, every_s, message", [
    ("", 1800, "a feed needs a URL"),
    ("https://a.example/rss", 0, "must be a positive number of seconds, not 0"),
])
async def test_bad_feed_input_is_one_clear_line(feeds, url, every_s, message):
    with pytest.raises(InvalidFeedError, match=message):
        await feeds.add(url, every_s, now=T0)


async def test_failures_back_off_exponentially_up_to_a_cap_and_success_resets(feeds):
    feed = await feeds.add("https://a.example/rss", 1800, now=T0)
    gaps = []
    for n in range(1, 8):
        now = T0 + timedelta(days=n)
        feed = await feeds.record_poll_failed(feed, "HTTP 404 from https://a.example/rss", now=now)
        assert feed.failures == n and feed.last_error == "HTTP 404 from https://a.example/rss"
        gaps.append((feed.next_poll_at - now).total_seconds())
    assert gaps[:5] == [3600, 7200, 14400, 28800, 57600]
    assert gaps[5:] == [MAX_BACKOFF_S, MAX_BACKOFF_S]

    now = T0 + timedelta(days=10)
    feed = await feeds.record_poll_ok(feed, etag='"v2"', last_modified="Mon, 30 Nov 2026 08:00:00 GMT",
                                      title="A wire", now=now)
    assert (feed.failures, feed.last_error, feed.etag, feed.title) == (0, None, '"v2"', "A wire")
    assert feed.last_ok_at == now and feed.next_poll_at == now + timedelta(seconds=1800)
    # The first title stays: a poll without one, or with another, does not change it.
    feed = await feeds.record_poll_ok(feed, etag=None, last_modified=None, title=None, now=now)
    assert feed.title == "A wire" and feed.etag is None
    feed = await feeds.record_poll_ok(feed, etag=None, last_modified=None, title="A Wire (all stories)", now=now)
    assert feed.title == "A wire"
    named = await feeds.add("https://b.example/rss", 1800, title="Our name for it", now=now)
    named = await feeds.record_poll_ok(named, etag=None, last_modified=None, title="Their name", now=now)
    assert named.title == "Our name for it"


async def test_items_seen_count_stored_articles_and_retry_transient_failures(feeds):
    feed = await feeds.add("https://a.example/rss", 1800, now=T0)
    await feeds.mark_items(feed.id, [
        ItemMark("g1", "https://a.example/1", "stored", article_id="a-1"),
        ItemMark("g2", "https://a.example/2", "duplicate", article_id="a-1"),
        ItemMark("g3", "https://a.example/3", "failed", error="HTTP 503", retryable=True),
        ItemMark("g4", "https://10.0.0.1/4", "failed", error="refused: private address", retryable=False),
    ], now=T0)
    keys = ["g1", "g2", "g3", "g4", "g5"]
    assert await feeds.seen_items(feed.id, keys) == {"g1", "g2", "g4"}
    for _ in range(MAX_ITEM_ATTEMPTS - 1):
        await feeds.mark_items(feed.id, [ItemMark("g3", "https://a.example/3", "failed", error="HTTP 503",
                                                  retryable=True)], now=T0)
    assert await feeds.seen_items(feed.id, keys) == {"g1", "g2", "g3", "g4"}
    assert (await feeds.get(feed.id)).articles_taken == 1
    states = {r["item_key"]: (r["state"], r["attempts"]) for r in await feeds.items(feed.id)}
    assert states["g3"] == ("failed", MAX_ITEM_ATTEMPTS) and states["g4"][0] == "failed"


async def test_seen_items_answers_for_thousands_of_keys(feeds):
    feed = await feeds.add("https://a.example/rss", 1800, now=T0)
    marks = [ItemMark(f"k{n}", f"https://a.example/{n}", "duplicate") for n in range(0, 3000, 2)]
    await feeds.mark_items(feed.id, marks, now=T0)
    seen = await feeds.seen_items(feed.id, [f"k{n}" for n in range(3000)])
    assert seen == {m.key for m in marks}


async def test_removing_a_feed_forgets_its_items_even_mid_poll(feeds):
    feed = await feeds.add("https://a.example/rss", 1800, now=T0)
    await feeds.mark_items(feed.id, [ItemMark("g1", None, "duplicate")], now=T0)
    await feeds.remove(feed.id)
    # What a poll still running reports afterwards is dropped, not an error.
    await feeds.mark_items(feed.id, [ItemMark("g2", None, "stored", article_id="a")], now=T0)
    assert await feeds.record_poll_ok(feed, etag=None, last_modified=None, title="T", now=T0) == feed
    assert await feeds.record_poll_failed(feed, "HTTP 500", now=T0) == feed
    assert await feeds.list() == []
    again = await feeds.add("https://a.example/rss", 1800, now=T0)
    assert await feeds.seen_items(again.id, ["g1"]) == set()


async def test_articles_are_found_by_url_and_by_content_hash(tmp_path):
    database = await Database.open(tmp_path / "feeds.db")
    try:
        record = replace(article("web-1"), url="https://a.example/1", content_hash="h1")
        await Corpus(database).replace_article(record, [])
        feeds = Feeds(database)
        assert await feeds.article_for_url("https://a.example/1") == "web-1"
        assert await feeds.article_for_url("https://a.example/2") is None
        assert await feeds.article_for_hash("h1") == "web-1"
        assert await feeds.article_for_hash("h2") is None
        plan = await database.fetchall("EXPLAIN QUERY PLAN SELECT id FROM articles WHERE url = ?", ("x",))
        assert "articles_url" in " ".join(r["detail"] for r in plan)
    finally:
        await database.close()


async def test_a_read_only_store_refuses_feed_writes(tmp_path):
    path = tmp_path / "feeds.db"
    database = await Database.open(path)
    await Feeds(database).add("https://a.example/rss", 1800, now=T0)
    await database.close()
    database = await Database.open(path, read_only=True)
    try:
        feeds = Feeds(database)
        (feed,) = await feeds.list()
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            await feeds.record_poll_failed(feed, "HTTP 500", now=T0)
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            await feeds.add("https://b.example/rss", 1800, now=T0)
    finally:
        await database.close()
