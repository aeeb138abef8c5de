"""The poller against a real HTTP server on 127.0.0.1 (aiohttp), a real SQLite store, the real
fetcher, page extraction, article building, embedder and store_articles."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web

from store import Corpus, Database
from store.feeds import Feeds
from summarizer.ingest.pipeline import store_articles
from summarizer.web.fetch import Fetcher
from summarizer.web.poller import FeedPoller, article_id_for
from tests.summarizer.web.conftest import LocalServer

EVERY_S = 1800
TOPICS = ["ministers", "summit", "treaty", "border", "sanctions", "envoy", "ceasefire", "trade", "grain",
          "visas", "climate", "pipeline"]


# -- the web, served for real --------------------------------------------------------------------

@dataclass
class Route:
    body: bytes
    content_type: str
    status: int = 200
    delay_s: float = 0.0


class Site:
    """Feeds and article pages on the shared local server, with ETags honoured as a real server
    would, and what was answered (and when) logged for the assertions."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.port = server.port
        self.requests: list[tuple[str, int]] = []  # (path, status)
        self.windows: dict[str, tuple[float, float]] = {}  # path → when the server was busy with it

    def serve(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", *,
              status: int = 200, delay_s: float = 0.0) -> str:
        route = Route(body.encode() if isinstance(body, str) else body, content_type, status, delay_s)
        self.server.route(path, lambda request: self._answer(request, route))
        return self.url(path)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def fetched(self, prefix: str = "/") -> list[str]:
        return [path for path, status in self.requests if path.startswith(prefix) and status == 200]

    async def _answer(self, request: web.Request, route: Route) -> web.Response:
        started = time.monotonic()
        if route.delay_s:
            await asyncio.sleep(route.delay_s)
        self.windows[request.path] = (started, time.monotonic())
        etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
        if route.status == 200 and request.headers.get("If-None-Match") == etag:
            self.requests.append((request.path, 304))
            return web.Response(status=304, headers={"ETag": etag})
        self.requests.append((request.path, route.status))
        headers = {"ETag": etag} if route.status == 200 else {}
        return web.Response(status=route.status, body=route.body,
                            headers={**headers, "Content-Type": route.content_type})


@pytest.fixture
def site(local_server) -> Site:
    return Site(local_server)


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@dataclass
class Rig:
    site: Site
    clock: Clock
    database: Database
    corpus: Corpus
    feeds: Feeds
    fetcher: Fetcher
    embedder: object

    def poller(self, **options) -> FeedPoller:
        return FeedPoller(self.feeds, self.corpus, self.embedder, options.pop("fetcher", self.fetcher),
                          now=self.clock, **options)

    async def add(self, path: str, every_s: int = EVERY_S, host: str = "127.0.0.1"):
        return await self.feeds.add(self.site.url(path, host), every_s, now=self.clock())

    async def next_round(self, poller: FeedPoller):
        self.clock.advance(EVERY_S)
        return await poller.poll_due()


@pytest.fixture
async def rig(site, tmp_path, embedder):
    database = await Database.open(tmp_path / "briefbot.db")
    async with Fetcher(allow_private=True, timeout_s=10.0) as fetcher:
        yield Rig(site, Clock(), database, Corpus(database), Feeds(database), fetcher, embedder)
    await database.close()


# -- documents ----------------------------------------------------------------------------------

def story_text(n: int) -> list[str]:
    """Four paragraphs of text unique to story n (its number and topics), long enough to extract."""
    topic, other = TOPICS[n % len(TOPICS)], TOPICS[(n * 5 + 3) % len(TOPICS)]
    return [
        f"Officials confirmed on Monday that the {topic} talks numbered {n} had reached a new stage, "
        f"with delegations from both capitals meeting for several hours behind closed doors.",
        f"The foreign ministry said the discussion of {other} in round {n} was frank and constructive, "
        f"and that negotiators expected to publish a joint statement before the end of the week.",
        f"Analysts noted that meeting {n} followed months of stalled contacts over {topic}, and that "
        f"several neighbouring governments had urged both sides to keep the channel open.",
        f"A spokesperson declined to give further details about the {other} agenda of session {n}, "
        f"saying only that officials would meet again in the coming days to continue the work.",
    ]


def article_page(n: int, *, title: str | None = None, canonical: str | None = None,
                 published: str = "2022-01-05", site_name: str = "Example Wire", furniture: str = "") -> str:
    title = title or f"Story {n}: {TOPICS[n % len(TOPICS)]} talks advance"
    paragraphs = "".join(f"<p>{p}</p>" for p in story_text(n))
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f"<!doctype html><html><head><title>{title}</title>{link}"
            f'<meta property="og:title" content="{title}">'
            f'<meta property="og:site_name" content="{site_name}">'
            f'<meta property="article:published_time" content="{published}T09:00:00Z">'
            f"</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a>{furniture}</nav>"
            f"<article><h1>{title}</h1>{paragraphs}</article>"
            f"<footer>Copyright Example Wire. All rights reserved.</footer></body></html>")


def rss(items: list[tuple[str, str, str]], title: str = "Example Wire") -> bytes:
    """items: (guid, link, title)."""
    entries = "".join(f"<item><title>{t}</title><link>{link}</link><guid isPermaLink='false'>{g}</guid>"
                      f"<pubDate>Wed, 05 Jan 2022 10:00:00 GMT</pubDate></item>" for g, link, t in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>{entries}</channel></rss>".encode()


def atom(items: list[tuple[str, str, str]], title: str = "Ministry Atom") -> bytes:
    entries = "".join(f"<entry><title>{t}</title><id>{g}</id><link rel='alternate' href='{link}'/>"
                      f"<updated>2022-01-04T10:00:00Z</updated></entry>" for g, link, t in items)
    return (f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>{title}</title>"
            f"{entries}</feed>").encode()


def json_feed(items: list[tuple[str, str, str]], title: str = "JSON Desk") -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title,
                       "items": [{"id": g, "url": link, "title": t, "date_published": "2022-01-03T10:00:00Z"}
                                 for g, link, t in items]}).encode()


RSS_TYPE = "application/rss+xml"


def publish(site: Site, n: int, **page) -> tuple[str, str, str]:
    """Serve story n's page; the feed item that links to it."""
    url = site.serve(f"/news/{n}", article_page(n, **page))
    return (f"story-{n}", url, f"Story {n}")


# -- polls --------------------------------------------------------------------------------------

async def test_first_poll_of_rss_atom_and_json_feed_stores_searchable_articles(rig):
    site = rig.site
    site.serve("/rss", rss([publish(site, 1), publish(site, 2)]), RSS_TYPE)
    site.serve("/atom", atom([publish(site, 3, published="2022-01-04", site_name="Ministry")]),
               "application/atom+xml")
    site.serve("/feed.json", json_feed([publish(site, 4, published="2022-01-03")]), "application/feed+json")
    for path in ("/rss", "/atom", "/feed.json"):
        await rig.add(path)

    results = await rig.poller().poll_due()

    assert [(r.new, r.stored, r.failed, r.error) for r in results] == [(2, 2, 0, None), (1, 1, 0, None),
                                                                       (1, 1, 0, None)]
    articles = {a.url: a for a in await rig.corpus.articles()}
    assert set(articles) == {site.url(f"/news/{n}") for n in (1, 2, 3, 4)}
    first = articles[site.url("/news/1")]
    assert first.title == "Story 1: summit talks advance"
    assert (first.published, first.source) == ("2022-01-05", "Example Wire")
    assert "talks numbered 1 had reached a new stage" in first.body
    assert first.id == article_id_for(first.url, first.title) and first.id.startswith("127-0-0-1-story-1-summit")
    assert (articles[site.url("/news/3")].published, articles[site.url("/news/3")].source) == ("2022-01-04",
                                                                                                "Ministry")
    # Searchable: the full-text index has the new passages.
    hits = await rig.corpus.fts_passages("sanctions numbered 4", 5, match_all=True)
    passages = await rig.corpus.passages([pid for pid, _ in hits])
    assert {p.article_id for p in passages.values()} == {articles[site.url("/news/4")].id}

    feeds = {f.url: f for f in await rig.feeds.list()}
    rss_feed = feeds[site.url("/rss")]
    assert (rss_feed.title, rss_feed.articles_taken, rss_feed.failures) == ("Example Wire", 2, 0)
    assert rss_feed.etag and rss_feed.last_ok_at == rig.clock()
    assert feeds[site.url("/feed.json")].title == "JSON Desk"


async def test_second_poll_gets_304_and_fetches_no_article(rig):
    site = rig.site
    site.serve("/rss", rss([publish(site, 1), publish(site, 2)]), RSS_TYPE)
    await rig.add("/rss")
    poller = rig.poller()
    await poller.poll_due()
    assert sorted(site.fetched("/news/")) == ["/news/1", "/news/2"]
    site.requests.clear()

    (result,) = await rig.next_round(poller)

    assert result.not_modified and result.new == 0
    assert site.requests == [("/rss", 304)]
    assert (await rig.feeds.get(result.feed.id)).last_ok_at == rig.clock()


async def test_an_item_added_between_polls_is_the_only_page_fetched(rig):
    site = rig.site
    items = [publish(site, 1), publish(site, 2)]
    site.serve("/rss", rss(items), RSS_TYPE)
    await rig.add("/rss")
    poller = rig.poller()
    await poller.poll_due()
    site.requests.clear()

    site.serve("/rss", rss([publish(site, 3)] + items), RSS_TYPE)
    (result,) = await rig.next_round(poller)

    assert (result.new, result.stored, result.duplicates) == (1, 1, 0)
    assert site.fetched("/news/") == ["/news/3"]
    assert len(await rig.corpus.articles()) == 3


async def test_the_same_article_under_two_urls_is_one_article(rig):
    site = rig.site
    # Two outlets carry story 5 with its canonical URL; story 6 is syndicated without one, so only
    # its text says it is the same article.
    canonical = site.url("/news/5")
    site.serve("/news/5", article_page(5, canonical=canonical))
    site.serve("/partner/5", article_page(5, canonical=canonical, furniture=" <a href='/p'>Partner</a>"))
    site.serve("/news/6", article_page(6))
    site.serve("/mirror/6", article_page(6, site_name="Mirror", furniture=" <a href='/m'>Mirror home</a>"))
    site.serve("/rss", rss([("a", site.url("/news/5"), "Five"), ("b", site.url("/partner/5"), "Five again"),
                            ("c", site.url("/news/6"), "Six")]), RSS_TYPE)
    site.serve("/other", rss([("d", site.url("/mirror/6"), "Six elsewhere")]), RSS_TYPE)
    await rig.add("/rss")
    poller = rig.poller()
    (result,) = await poller.poll_due()
    assert (result.new, result.stored, result.duplicates) == (3, 2, 1)

    other = await poller.poll(await rig.add("/other"))
    assert (other.new, other.stored, other.duplicates) == (1, 0, 1)
    articles = await rig.corpus.articles()
    assert sorted(a.url for a in articles) == [site.url("/news/5"), site.url("/news/6")]
    states = {r["url"]: (r["state"], r["article_id"]) for r in await rig.feeds.items(other.feed.id)}
    six = next(a.id for a in articles if a.url == site.url("/news/6"))
    assert states == {site.url("/mirror/6"): ("duplicate", six)}


async def test_feeds_polled_together_that_carry_the_same_story_store_it_once(rig):
    site = rig.site
    site.serve("/wire/8", article_page(8))
    site.serve("/paper/8", article_page(8, site_name="Paper", furniture=" <a href='/p'>Paper home</a>"))
    site.serve("/wire", rss([("w8", site.url("/wire/8"), "Eight")]), RSS_TYPE)
    site.serve("/paper", rss([("p8", site.url("/paper/8"), "Eight")]), RSS_TYPE)
    await rig.add("/wire")
    await rig.add("/paper")

    results = await rig.poller().poll_due()

    assert sorted((r.stored, r.duplicates) for r in results) == [(0, 1), (1, 0)]
    (article,) = await rig.corpus.articles()
    for result in results:
        (item,) = await rig.feeds.items(result.feed.id)
        assert item["article_id"] == article.id


async def test_a_malformed_feed_records_its_error_and_the_others_are_still_polled(rig, caplog):
    site = rig.site
    site.serve("/broken", b"<rss><channel><item><title>cut off mid-tag</titl", RSS_TYPE)
    site.serve("/rss", rss([publish(site, 1)]), RSS_TYPE)
    broken = await rig.add("/broken")
    await rig.add("/rss")

    with caplog.at_level(logging.INFO, logger="summarizer.web.poller"):
        results = {r.feed.url: r for r in await rig.poller().poll_due()}

    failed = results[broken.url]
    assert sorted(r.getMessage() for r in caplog.records) == [
        f"feed {broken.url}: failed: {failed.error}",
        f"feed {site.url('/rss')}: 1 new, 1 stored, 0 duplicate, 0 failed"]
    assert failed.error.startswith(f"not a feed: {broken.url}: ") and "\n" not in failed.error
    assert not failed.retryable
    assert results[site.url("/rss")].stored == 1
    recorded = await rig.feeds.get(broken.id)
    assert recorded.last_error == failed.error and recorded.failures == 1


async def test_a_404_feed_backs_off_further_each_time(rig):
    feed = await rig.add("/gone")
    poller = rig.poller()
    gaps = []
    for _ in range(3):
        (result,) = await poller.poll_due()
        assert "404" in result.error and str(result.feed.url) in result.error and not result.retryable
        gaps.append((result.feed.next_poll_at - rig.clock()).total_seconds())
        assert await poller.poll_due() == []  # not due again until its backoff has passed
        rig.clock.moment = result.feed.next_poll_at
    assert gaps == [2 * EVERY_S, 4 * EVERY_S, 8 * EVERY_S]
    assert (await rig.feeds.get(feed.id)).failures == 3


async def test_a_500_then_recovery_resets_the_failures(rig):
    site = rig.site
    site.serve("/rss", b"upstream exploded", "text/plain", status=500)
    feed = await rig.add("/rss")
    poller = rig.poller()
    (result,) = await poller.poll_due()
    assert "500" in result.error and result.feed.failures == 1 and result.retryable

    site.serve("/rss", rss([publish(site, 1)]), RSS_TYPE)
    rig.clock.moment = result.feed.next_poll_at
    (result,) = await poller.poll_due()

    recovered = await rig.feeds.get(feed.id)
    assert result.error is None and result.stored == 1
    assert (recovered.failures, recovered.last_error) == (0, None)
    assert recovered.next_poll_at == rig.clock() + timedelta(seconds=EVERY_S)


async def test_item_links_to_a_blocked_address_are_refused_and_the_rest_taken(rig):
    site = rig.site
    blocked = ipaddress.ip_network("127.0.0.2/32")
    site.serve("/rss", rss([publish(site, 1), ("inside", site.url("/news/2", host="127.0.0.2"), "Inside")]),
               RSS_TYPE)
    site.serve("/news/2", article_page(2))
    feed = await rig.add("/rss")
    async with Fetcher(allow_private=True, blocked_networks=[blocked], timeout_s=10.0) as guarded:
        (result,) = await rig.poller(fetcher=guarded).poll_due()

    assert (result.new, result.stored, result.failed, result.error) == (2, 1, 1, None)
    (error,) = result.errors
    assert "refused" in error and "127.0.0.2" in error and "blocked network 127.0.0.2/32" in error
    assert site.fetched("/news/") == ["/news/1"]
    items = {r["item_key"]: r for r in await rig.feeds.items(feed.id)}
    assert items["inside"]["state"] == "failed" and "blocked network" in items["inside"]["error"]
    # A refusal will not change: the item is not tried again.
    assert await rig.feeds.seen_items(feed.id, ["inside"]) == {"inside"}


async def test_a_feed_that_does_not_answer_in_time_is_retried_later_and_does_not_hold_the_others(rig):
    site = rig.site
    site.serve("/slow", rss([]), RSS_TYPE, delay_s=20.0)
    site.serve("/rss", rss([publish(site, 1)]), RSS_TYPE)
    slow = await rig.add("/slow")
    await rig.add("/rss")
    async with Fetcher(allow_private=True, timeout_s=0.5) as impatient:
        started = time.perf_counter()
        results = {r.feed.url: r for r in await rig.poller(fetcher=impatient).poll_due()}
        elapsed = time.perf_counter() - started
    timed_out = results[slow.url]
    assert timed_out.error and timed_out.retryable and "\n" not in timed_out.error
    assert timed_out.feed.failures == 1 and timed_out.feed.next_poll_at > rig.clock()
    assert results[site.url("/rss")].stored == 1
    assert elapsed < 15, f"the round waited {elapsed:.1f} s for a feed that does not answer"


async def test_a_page_in_a_legacy_encoding_is_stored_with_its_accents(rig):
    site = rig.site
    page = article_page(9, title="Déclaration sur la coopération régionale")
    page = page.replace("<p>Officials", "<p>Le ministère a publié une déclaration. Officials")
    site.serve("/news/9", page.encode("cp1252"), "text/html; charset=windows-1252")
    site.serve("/rss", rss([("nine", site.url("/news/9"), "Nine")]), RSS_TYPE)
    await rig.add("/rss")
    (result,) = await rig.poller().poll_due()
    assert result.stored == 1
    (article,) = await rig.corpus.articles()
    assert article.title == "Déclaration sur la coopération régionale"
    assert "Le ministère a publié une déclaration." in article.body
    assert article.id.startswith("127-0-0-1-declaration-sur-la-cooperation-regionale-")


async def test_a_failing_page_does_not_fail_the_feed_and_a_transient_one_is_retried(rig):
    site = rig.site
    site.serve("/news/2", b"try later", "text/plain", status=503)
    site.serve("/rss", rss([publish(site, 1), ("two", site.url("/news/2"), "Two")]), RSS_TYPE)
    await rig.add("/rss")
    poller = rig.poller()
    (result,) = await poller.poll_due()
    assert (result.stored, result.failed, result.error) == (1, 1, None)
    assert "503" in result.errors[0]
    # The ETag was not kept, so the next poll is not answered 304 and the item is retried.
    assert result.feed.etag is None

    publish(site, 2)
    (result,) = await rig.next_round(poller)
    assert (result.new, result.stored) == (1, 1)
    assert len(await rig.corpus.articles()) == 2


async def test_a_feed_of_5000_items_is_taken_in_capped_chunks_and_nothing_is_lost(rig):
    site = rig.site
    # 5,000 items (distinct guids) over ten syndicated pages: each page is fetched once.
    pages = [publish(site, n)[1] for n in range(10)]
    site.serve("/big", rss([(f"big-{i}", pages[i % 10], f"Item {i}") for i in range(5000)]), RSS_TYPE)
    feed = await rig.add("/big")
    poller = rig.poller(max_new_per_poll=2000)
    taken = []
    for round_ in range(3):
        started = time.perf_counter()
        (result,) = await (poller.poll_due() if round_ == 0 else rig.next_round(poller))
        print(f"\n5,000-item feed, poll {round_ + 1}: {result.summary()} in {time.perf_counter() - started:.2f} s")
        taken.append((result.new, result.backlog, result.stored))
        # While a backlog remains the ETag is not kept: a 304 must not hide it.
        assert (result.feed.etag is None) == (result.backlog > 0)
    assert taken == [(2000, 3000, 10), (2000, 1000, 0), (1000, 0, 0)]
    assert sorted(site.fetched("/news/")) == sorted(f"/news/{n}" for n in range(10))
    (done,) = await rig.next_round(poller)
    assert done.not_modified
    items = await rig.feeds.items(feed.id)
    assert len(items) == 5000 and {r["state"] for r in items} == {"stored", "duplicate"}
    assert len(await rig.corpus.articles()) == 10


async def test_a_crash_mid_poll_loses_nothing_and_duplicates_nothing(rig):
    site = rig.site
    site.serve("/rss", rss([publish(site, n) for n in range(1, 6)]), RSS_TYPE)
    feed = await rig.add("/rss")
    calls = []

    async def store_then_die(corpus, embedder, articles):
        # The second batch is committed, then the process "dies" before its items are marked.
        report = await store_articles(corpus, embedder, articles)
        calls.append(len(articles))
        if len(calls) == 2:
            raise RuntimeError("killed mid-poll")
        return report

    (crashed,) = await rig.poller(store=store_then_die, store_batch=2).poll_due()
    assert "killed mid-poll" in crashed.error
    assert len(await rig.corpus.articles()) == 4
    marked = {r["item_key"]: r["state"] for r in await rig.feeds.items(feed.id)}
    assert sorted(marked.values()) == ["stored", "stored"]
    site.requests.clear()

    rig.clock.moment = crashed.feed.next_poll_at
    (result,) = await rig.poller().poll_due()

    assert (result.new, result.stored, result.duplicates, result.error) == (3, 1, 2, None)
    # Only the page never stored was fetched again; the two committed ones were known by URL.
    assert [p for p in site.fetched("/news/")] == ["/news/5"]
    articles = await rig.corpus.articles()
    assert sorted(a.url for a in articles) == [site.url(f"/news/{n}") for n in range(1, 6)]
    assert len({a.content_hash for a in articles}) == 5
    assert (await rig.feeds.get(feed.id)).failures == 0


async def test_a_cancelled_poll_resumes_without_duplicates(rig):
    site = rig.site
    site.serve("/rss", rss([publish(site, n) for n in range(1, 4)]), RSS_TYPE)
    feed = await rig.add("/rss")
    second_committed = asyncio.Event()

    async def store_then_hang(corpus, embedder, articles):
        report = await store_articles(corpus, embedder, articles)
        if len(await corpus.articles()) == 2:
            second_committed.set()
            await asyncio.Event().wait()  # cancelled here: committed, not yet marked
        return report

    task = asyncio.create_task(rig.poller(store=store_then_hang, store_batch=1).poll_due())
    await asyncio.wait_for(second_committed.wait(), timeout=60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r["state"] for r in await rig.feeds.items(feed.id)] == ["stored"]
    site.requests.clear()

    (result,) = await rig.poller().poll_due()  # the cancelled poll recorded nothing: still due

    assert (result.new, result.stored, result.duplicates, result.error) == (2, 1, 1, None)
    assert site.fetched("/news/") == ["/news/3"]
    articles = await rig.corpus.articles()
    assert sorted(a.url for a in articles) == [site.url(f"/news/{n}") for n in range(1, 4)]


async def test_feeds_of_different_hosts_are_polled_at_the_same_time(rig):
    site = rig.site
    site.serve("/slow-a", rss([]), RSS_TYPE, delay_s=0.6)
    site.serve("/slow-b", rss([]), RSS_TYPE, delay_s=0.6)
    await rig.add("/slow-a", host="127.0.0.1")
    await rig.add("/slow-b", host="localhost")
    results = await rig.poller().poll_due()
    assert [r.error for r in results] == [None, None]
    (a_start, a_end), (b_start, b_end) = site.windows["/slow-a"], site.windows["/slow-b"]
    assert a_start < b_end and b_start < a_end, "the two feeds were polled one after the other"


# -- one URL --------------------------------------------------------------------------------------

async def test_ingest_url_stores_one_page_and_then_says_it_is_stored(rig):
    site = rig.site
    title = "Envoys meet in Geneva"
    url = site.serve("/news/7", article_page(7, title=title))
    site.serve("/copy/7", article_page(7, title=title, furniture=" <a href='/c'>Copy desk</a>"))
    poller = rig.poller()

    article_id, message = await poller.ingest_url(url)
    assert article_id == article_id_for(url, title) and article_id.startswith("127-0-0-1-envoys-meet-in-geneva-")
    assert message == f"stored {article_id}: {title} (2022-01-05)"
    assert (await rig.corpus.article(article_id)).url == url

    again, message = await poller.ingest_url(f" {url} ")
    assert again == article_id and message == f"{url} is already stored as {article_id} (same URL)"
    site.requests.clear()
    copy, message = await poller.ingest_url(site.url("/copy/7"))
    assert copy == article_id and message.endswith(f"is already stored as {article_id} (same text)")
    assert len(await rig.corpus.articles()) == 1


@pytest.mark.parametrize("path, body, content_type, expected", [
    ("/missing", None, None, "404"),
    ("/empty", "<html><body><nav>Home</nav></body></html>", "text/html", "no article text"),
    ("/image", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!", "image/gif", "not an article page: "),
])
async def test_ingest_url_failures_are_one_line(rig, path, body, content_type, expected):
    if body is not None:
        rig.site.serve(path, body, content_type)
    article_id, message = await rig.poller().ingest_url(rig.site.url(path))
    assert article_id is None and message and "\n" not in message and expected in message
    assert await rig.corpus.articles() == []


@pytest.mark.parametrize("url, expected", [
    ("news.example/story", "not a web address (it needs http:// or https://)"),
    ("ftp://news.example/story", "only http and https"),
])
async def test_ingest_url_rejects_what_is_not_a_web_address(rig, url, expected):
    article_id, message = await rig.poller().ingest_url(url)
    assert article_id is None and expected in message and "\n" not in message


async def test_ingest_url_refuses_a_private_address_by_default(rig):
    async with Fetcher() as strict:
        article_id, message = await rig.poller(fetcher=strict).ingest_url(rig.site.url("/news/1"))
    assert article_id is None and message.startswith("refused ") and "private" in message
    assert rig.site.server.seen == []
