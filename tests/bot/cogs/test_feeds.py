"""/feeds add|list|remove and /ingest url: against a real news site on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import datetime as dt

import discord
import pytest

from benchmarks.news_site import NewsSite
from tests.bot.harness import SUB_COMMAND, option

MANAGE_SERVER = discord.Permissions(manage_guild=True)
MEMBER = discord.Permissions(send_messages=True)
PUBLISHED = dt.datetime(2022, 1, 5, 9, 30, tzinfo=dt.timezone.utc)
TANKER = ("Oman mediates tanker talks",
          ["Omani Foreign Minister Badr Albusaidi hosted talks on the seized tanker Aurora Dawn in Muscat on "
           "Tuesday, his ministry said.",
           "The talks ended with an agreement to release the tanker's 23 crew members within a week, according "
           "to a joint statement."])
GRAIN = ("Black Sea grain corridor extended",
         ["Ministers from Turkey and Ukraine agreed in Istanbul to extend the Black Sea grain corridor by 120 days.",
          "The extension covers shipments from three Ukrainian ports, the Turkish ministry said."])


@pytest.fixture
async def site():
    news = await NewsSite().start()
    news.publish("world", *TANKER, PUBLISHED)
    news.publish("world", *GRAIN, PUBLISHED + dt.timedelta(hours=2))
    yield news
    await news.stop()


async def feeds(interactions, member, channel, action: str, *options, permissions=MANAGE_SERVER):
    group = [{"name": action, "type": SUB_COMMAND, "options": list(options)}]
    return await interactions.slash("feeds", group, member=member, channel=channel, permissions=permissions)


async def test_an_added_feed_is_polled_at_once_and_its_articles_answer_questions(
        bot, alice, channel, interactions, engine, site):
    sent = await feeds(interactions, alice, channel, "add", option("url", site.feed_url("world")))

    reply = sent[-1]
    assert reply.ephemeral and "Following Loopback Herald" in reply.content
    assert "2 new articles" in reply.content
    answer = await engine.ask("How many crew members of the seized tanker will be released?", use_cache=False)
    assert answer.mode != "refused", answer.answer
    cited = answer.citations[0]
    assert cited.title == TANKER[0] and cited.published == "2022-01-05" and cited.source == "Loopback Herald"
    assert cited.url == site.article_url("oman-mediates-tanker-talks") and "23 crew members" in cited.quote

    listed = (await feeds(interactions, alice, channel, "list"))[-1].content
    assert "Loopback Herald" in listed and "2 articles taken" in listed and "every 30m" in listed
    assert "last successful poll never" not in listed and "last error" not in listed


async def test_members_without_manage_server_cannot_add_feeds(bot, alice, channel, interactions, engine, site):
    sent = await feeds(interactions, alice, channel, "add", option("url", site.feed_url("world")),
                       permissions=MEMBER)

    assert "Manage Server" in sent[-1].content
    assert await engine.feeds() == [] and not site.requests


async def test_a_page_that_is_not_a_feed_is_not_followed(bot, alice, channel, interactions, engine, site):
    sent = await feeds(interactions, alice, channel, "add", option("url", site.article_url("oman-mediates-tanker-talks")))

    assert sent[-1].ephemeral and "not following" in sent[-1].content.lower()
    assert await engine.feeds() == []


async def test_a_feed_on_a_private_address_is_refused_before_any_request(
        bot, alice, channel, interactions, engine, site):
    engine.config = dataclasses.replace(engine.config, allow_private_urls=False)

    sent = await feeds(interactions, alice, channel, "add", option("url", site.feed_url("world")))

    assert "private" in sent[-1].content.lower() or "loopback" in sent[-1].content.lower(), sent[-1].content
    assert not site.requests and await engine.feeds() == []


async def test_an_interval_below_the_floor_is_refused_with_the_floor(bot, alice, channel, interactions, engine, site):
    sent = await feeds(interactions, alice, channel, "add", option("url", site.feed_url("world")),
                       option("every", "1m"))

    assert "at most every 5m" in sent[-1].content
    assert await engine.feeds() == []


async def test_removing_a_feed_keeps_its_articles(bot, alice, channel, interactions, engine, site):
    await feeds(interactions, alice, channel, "add", option("url", site.feed_url("world")), option("every", "2h"))
    feed_id = (await engine.feeds())[0].id

    removed = (await feeds(interactions, alice, channel, "remove", option("feed", str(feed_id))))[-1].content
    unknown = (await feeds(interactions, alice, channel, "remove", option("feed", "42")))[-1].content

    assert "No longer following" in removed and "2 articles stay" in removed
    assert "No feed “42” is followed" in unknown
    assert await engine.feeds() == []
    assert TANKER[0] in [s.title for s in await engine.sources()]


async def test_ingest_url_adds_one_page_once(bot, alice, channel, interactions, engine, site):
    url = site.article_url("black-sea-grain-corridor-extended")

    first = (await interactions.slash("ingest", [option("url", url)], member=alice, channel=channel,
                                      permissions=MANAGE_SERVER))[-1].content
    again = (await interactions.slash("ingest", [option("url", url)], member=alice, channel=channel,
                                      permissions=MANAGE_SERVER))[-1].content

    assert first.startswith("Stored ") and GRAIN[0] in first.replace("\\", "")
    assert "already stored" in again
    assert [s.title for s in await engine.sources()].count(GRAIN[0]) == 1


async def test_ingest_wants_a_file_or_a_url(bot, alice, channel, interactions, engine):
    sent = await interactions.slash("ingest", [], member=alice, channel=channel, permissions=MANAGE_SERVER)

    assert "either an article file or a url" in sent[-1].content
