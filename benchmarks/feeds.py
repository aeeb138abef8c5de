"""Live news: how fast a poll turns feed items into searchable articles, and what a poll of
feeds that have nothing new costs.

Poll throughput is end to end — conditional GET of the feed, each article page fetched over
HTTP, its main text extracted, cleaned, split, embedded, stored and the search index
refreshed — in articles per minute, beside raw ``trafilatura.extract`` on the same pages (the
extraction step alone, HTML already in memory): how much of a poll is extraction and how much
everything else. The all-304 poll is a full poll round of 50 followed feeds that all answer
304 Not Modified, beside raw httpx sending the same 50 conditional GETs with the same per-host
limit. Both serve from a real HTTP server on 127.0.0.1 (``benchmarks.news_site``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
from pathlib import Path

from benchmarks.harness import open_engine
from benchmarks.measures import peak_rss_mb, ratio
from benchmarks.news_site import NewsSite
from benchmarks.synthetic import layout, sentence_pool, synthetic_articles
from summarizer.ingest.embeddings import Embedder

QUIET_FEEDS = 50
PER_HOST = 2  # the fetcher's default per-host limit, applied to the raw baseline too


async def measure(params: dict) -> dict:
    pool = sentence_pool(Path(params["source_corpus"]))
    site = await NewsSite().start()
    try:
        published = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
        # Several paragraphs per article, and no more articles than one poll takes.
        articles = synthetic_articles(pool, params["articles"] * 8, params["seed"])[:params["articles"]]
        for n, article in enumerate(articles):
            body, _ = layout(article, pool)
            site.publish("wire", f"{article.title} ({n})", body.split("\n\n"), published + dt.timedelta(minutes=n),
                         slug=article.slug)
        embedder = Embedder()
        await asyncio.to_thread(embedder.encode, pool[:64])  # loaded and warm before timing
        engine = await open_engine(params | {"allow_private_urls": True}, embedder=embedder)
        try:
            poll = await _first_poll(engine, site)
            quiet = await _quiet_polls(engine, site, params["rounds"])
        finally:
            await engine.close()
        ours_rss = peak_rss_mb()
        extract = await asyncio.to_thread(_raw_extract, site)
    finally:
        await site.stop()
    per_minute = lambda count, seconds: round(count / seconds * 60, 1) if seconds else None  # noqa: E731
    return {
        "poll": {
            "articles": poll["stored"], "wall_s": round(poll["wall_s"], 2),
            "articles_per_min": per_minute(poll["stored"], poll["wall_s"]),
            "raw_extract_s": round(extract, 2), "raw_extract_articles_per_min": per_minute(poll["stored"], extract),
            "ratio": ratio(per_minute(poll["stored"], poll["wall_s"]), per_minute(poll["stored"], extract)),
            "page_requests": poll["page_requests"],
        },
        "all_304": quiet,
        "peak_rss_mb": ours_rss,
    }


async def _first_poll(engine, site: NewsSite) -> dict:
    feed = await engine.followed.add(site.feed_url("wire"), 3600)
    started = time.perf_counter()
    results = await engine.poll_feeds(due_only=False)
    wall = time.perf_counter() - started
    (result,) = [r for r in results if r.feed.id == feed.id]
    if result.error or result.failed:
        raise RuntimeError(f"the measured poll failed: {result.error or result.errors[:3]}")
    return {"stored": result.stored, "wall_s": wall, "page_requests": len(site.fetched("/articles/"))}


async def _quiet_polls(engine, site: NewsSite, rounds: int) -> dict:
    """Rounds of 50 feeds answering 304, ours (the engine's poll) and raw httpx alternated."""
    import httpx

    await engine.followed.remove(site.feed_url("wire"))
    for n in range(QUIET_FEEDS):
        site.publish(f"quiet-{n}", f"Quiet feed item {n}", [f"Nothing new in quiet feed {n} since the last poll."],
                     dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc))
        await engine.followed.add(site.feed_url(f"quiet-{n}"), 3600)
    await engine.poll_feeds(due_only=False)  # the first poll takes the items and keeps the validators
    feeds = await engine.followed.list()
    ours, raw = [], []
    async with httpx.AsyncClient(trust_env=False) as client:
        for _ in range(rounds):
            before = len(site.requests)
            started = time.perf_counter()
            results = await engine.poll_feeds(due_only=False)
            ours.append((time.perf_counter() - started) * 1000)
            if not all(r.not_modified for r in results):
                raise RuntimeError("a quiet feed did not answer 304")
            requests = len(site.requests) - before
            raw.append(await _raw_conditional_gets(client, feeds))
    return {"feeds": QUIET_FEEDS, "requests_per_round": requests,
            "ours_ms": round(statistics.median(ours), 1), "baseline_ms": round(statistics.median(raw), 1),
            "ratio": ratio(statistics.median(ours), statistics.median(raw)), "rounds": rounds}


async def _raw_conditional_gets(client, feeds) -> float:
    limit = asyncio.Semaphore(PER_HOST)

    async def one(feed) -> None:
        async with limit:
            response = await client.get(feed.url, headers={"If-None-Match": feed.etag or ""})
            if response.status_code != 304:
                raise RuntimeError(f"raw conditional GET got {response.status_code}")

    started = time.perf_counter()
    await asyncio.gather(*(one(feed) for feed in feeds))
    return (time.perf_counter() - started) * 1000


def _raw_extract(site: NewsSite) -> float:
    import trafilatura

    pages = [site.page(article) for slug, article in site.articles.items() if not slug.startswith("quiet")]
    trafilatura.extract(pages[0])  # imported and warm
    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page, with_metadata=True)
    return time.perf_counter() - started
