"""The engine's feed paths against a real news site on 127.0.0.1: following, polling rounds and
single pages, with the fetch-to-searchable path and its guards."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from benchmarks.news_site import NewsSite
from summarizer.engine import FeedNotAdded

PUBLISHED = dt.datetime(2022, 1, 5, 9, 30, tzinfo=dt.timezone.utc)
PARAGRAPHS = ["Ministers from Turkey and Ukraine agreed in Istanbul to extend the Black Sea grain corridor "
              "by 120 days, the Turkish ministry said.",
              "The extension covers shipments from three Ukrainian ports and takes effect next week."]


@pytest.fixture
async def site():
    news = await NewsSite().start()
    yield news
    await news.stop()


async def test_a_round_running_while_a_feed_is_added_takes_each_item_once(engine, site):
    site.publish("world", "Grain corridor extended", PARAGRAPHS, PUBLISHED)
    site.publish("world", "Grain corridor talks resume", PARAGRAPHS[::-1], PUBLISHED + dt.timedelta(hours=1))

    adding = asyncio.create_task(engine.add_feed(site.feed_url("world")))
    while not await engine.feeds():  # the feed is stored, due at once, its first poll under way
        await asyncio.sleep(0.001)
    await engine.poll_feeds()  # the bot's loop ticking meanwhile
    added = await adding

    (feed,) = await engine.feeds()
    assert added.first_poll.stored == 2 and feed.articles_taken == 2
    pages = [r.path for r in site.fetched("/articles/")]
    assert sorted(pages) == sorted(set(pages)) and len(pages) == 2, pages


async def test_a_feed_that_answers_404_is_not_followed(engine, site):
    with pytest.raises(FeedNotAdded, match="404"):
        await engine.add_feed(site.url("/feeds/missing.xml"))
    assert await engine.feeds() == []


async def test_a_page_ingested_by_url_is_searchable_and_cited_with_its_address(engine, site):
    url = site.publish("world", "Grain corridor extended", PARAGRAPHS, PUBLISHED)

    result = await engine.ingest_url(url)
    again = await engine.ingest_url(url)

    assert result.ok and "Grain corridor extended" in result.message and "2022-01-05" in result.message
    assert again.article_id == result.article_id and "already stored" in again.message
    answer = await engine.ask("How long was the Black Sea grain corridor extended?", use_cache=False)
    assert answer.citations and answer.citations[0].url == url and "120 days" in answer.citations[0].quote
