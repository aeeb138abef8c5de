"""Live news over the wire: an admin follows a feed served on 127.0.0.1; the feed gains an
article; the running bot's next poll takes it, the next scheduled digest includes it with its
citation, and a question about it gets a cited answer."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from benchmarks.news_site import NewsSite
from tests.e2e.discord_double import DiscordDouble
from tests.e2e.harness import assert_no_pings, assert_no_rejections, citations_of
from tests.e2e.test_digest import digests_in, next_due_minute, subscribe

POLL_EVERY = "3s"  # the floor is lowered for the test; users' bots poll at most every 5m
EARLIER = ("Arctic ministers open Reykjavik session",
           ["Foreign ministers of the eight Arctic states opened their Reykjavik session on Monday, the host said.",
            "The agenda covers search and rescue cooperation and shipping rules for the polar route."])
LATER = ("Oman brokers tanker crew release",
         ["Omani Foreign Minister Badr Albusaidi announced in Muscat that the 23 crew members of the seized "
          "tanker Aurora Dawn will be released within a week.",
          "The agreement followed two days of talks hosted by Oman, according to a joint statement."])


async def test_a_followed_feed_reaches_the_digest_and_answers(double: DiscordDouble, launch, figures):
    site = await NewsSite().start()
    try:
        # The digest posted today covers yesterday's articles (UTC subscriber).
        yesterday = dt.datetime.now(dt.timezone.utc).replace(hour=9, minute=0, second=0, microsecond=0) \
            - dt.timedelta(days=1)
        site.publish("world", *EARLIER, yesterday)
        bot = await launch(BRIEFBOT_ALLOW_PRIVATE_URLS="true", BRIEFBOT_FEED_MIN_EVERY="1s")
        admin, reader = double.owner, double.add_user("reader")

        added = await double.slash(admin, "feeds", {"url": site.feed_url("world"), "every": POLL_EVERY},
                                   subcommand="add")
        (confirmation,) = await double.wait_for(added.visible, 60, "the feed to be followed")
        assert "Following" in confirmation.text and "1 new article" in confirmation.text, confirmation.text

        published_at = time.monotonic()
        url = site.publish("world", *LATER, yesterday + dt.timedelta(hours=3))
        # Searchable once a poll has stored it (the first poll, on adding, stored the other).
        await double.wait_for(lambda: bot.log.count("1 new, 1 stored") >= 2, 60, "the next poll to store it")
        polled_s = time.monotonic() - published_at
        assert len(site.fetched(url.removeprefix(site.url("")))) == 1

        question = await double.say(reader, "When will the crew of the Aurora Dawn be released?")
        await double.wait_for(lambda: double.replies_to(question["id"]), 90, "the answer")
        await asyncio.sleep(0)
        reply = double.messages[double.replies_to(question["id"])[0].message["id"]]
        answer_text = " ".join(f.get("name", "") + " " + f.get("value", "")
                               for e in reply.get("embeds") or [] for f in e.get("fields") or [])
        assert LATER[0] in answer_text and "[read](" + url + ")" in answer_text, answer_text

        due = next_due_minute(12)
        channel_id = await subscribe(double, due.strftime("%H:%M"))
        (digest,) = await double.wait_for(lambda: digests_in(double, channel_id), 120, "the scheduled digest")
        assert LATER[0] in digest.text and EARLIER[0] in digest.text, digest.text
        assert citations_of(digest) or "[1]" in digest.text

        listed = await double.slash(admin, "feeds", {}, subcommand="list")
        (listing,) = await double.wait_for(listed.visible, 30, "the feed list")
        assert "2 articles taken" in listing.text and "last error" not in listing.text, listing.text
        assert_no_pings(double)
        assert_no_rejections(double)
        figures.update(poll_after_publish_s=polled_s, feed_requests=len(site.fetched("/feeds/")),
                       page_requests=len(site.fetched("/articles/")))
    finally:
        await site.stop()
