"""Polling followed feeds: conditional GET, new items only, each page fetched, extracted and stored
exactly like a file, at most once.

Crash safety comes from order: an item is marked 'stored' only after its article is committed,
and the poller asks whether an item's link is already an article before fetching it, then
whether the page's canonical URL or its text's hash is, before storing it. So an item whose
article was committed just before a crash is recognised on the next poll as a duplicate
(nothing stored twice), and an item that was never marked is simply taken again (nothing lost). A feed's ETag is kept only when the
poll took everything, so a 304 never hides a backlog or an item worth retrying."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from store import Corpus
from store.feeds import Feed, Feeds, ItemMark, utc_now
from summarizer.ingest.documents import ArticleError, ParsedArticle, article_from_page
from summarizer.ingest.embeddings import Embedder
from summarizer.ingest.pipeline import IngestReport, store_articles
from summarizer.web.feeds import FEED_ACCEPT, FeedError, FeedItem, newest_first, one_line, parse_feed
from summarizer.web.fetch import Fetcher
from summarizer.web.pages import PageError, extract_page
from summarizer.web.urls import FetchError

log = logging.getLogger(__name__)

MAX_NEW_PER_POLL = 50
# Articles embedded and stored per store_articles call: big enough to batch the encoder, small
# enough that a poll's first articles are searchable while the rest are still being embedded.
STORE_BATCH = 16
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
# A link to a PDF, an image or a video is not an article page; no type at all may still be HTML.
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
_SLUG_CHARS = 60

StoreArticles = Callable[[Corpus, Embedder, Sequence[ParsedArticle]], Awaitable[IngestReport]]


@dataclass(frozen=True)
class PollResult:
    feed: Feed
    new: int = 0           # unseen items taken this poll
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    backlog: int = 0       # unseen items left for the next poll (the per-poll cap)
    not_modified: bool = False
    error: str | None = None
    retryable: bool = False  # the feed's error may pass (a timeout, a 503), unlike a 404 or a non-feed
    errors: tuple[str, ...] = field(default=(), repr=False)  # one line per failed item

    def summary(self) -> str:
        if self.error:
            return f"feed {self.feed.url}: failed: {self.error}"
        if self.not_modified:
            return f"feed {self.feed.url}: not modified"
        line = (f"feed {self.feed.url}: {self.new} new, {self.stored} stored, {self.duplicates} duplicate,"
                f" {self.failed} failed")
        return line + (f", {self.backlog} left for the next poll" if self.backlog else "")


@dataclass(frozen=True)
class _Known:
    """The page is already an article."""
    article_id: str
    why: str


class FeedPoller:
    """Polls the feeds of one store with one open :class:`Fetcher` (the caller opens and closes it;
    its per-host limit is what keeps concurrent polls polite)."""

    def __init__(self, feeds: Feeds, corpus: Corpus, embedder: Embedder, fetcher: Fetcher, *,
                 now: Callable[[], datetime] = utc_now, max_new_per_poll: int = MAX_NEW_PER_POLL,
                 store_batch: int = STORE_BATCH, store: StoreArticles = store_articles) -> None:
        self._feeds = feeds
        self._corpus = corpus
        self._embedder = embedder
        self._fetcher = fetcher
        self._now = now
        self._max_new = max_new_per_poll
        self._store_batch = store_batch
        self._store = store
        # One SQLite connection serves every coroutine: concurrent polls must not interleave
        # their transactions, so every write of the poller goes through this lock.
        self._writing = asyncio.Lock()

    async def poll_due(self) -> list[PollResult]:
        """Poll every feed that is due."""
        return await self.poll_many(await self._feeds.due(self._now()))

    async def poll_many(self, feeds: Sequence[Feed]) -> list[PollResult]:
        """Poll these feeds concurrently (the fetcher keeps it polite per host); one failing feed
        does not stop the others."""
        return list(await asyncio.gather(*(self.poll(feed) for feed in feeds)))

    async def poll(self, feed: Feed) -> PollResult:
        """One feed, whatever happens: its failure is recorded (with backoff) and returned."""
        try:
            result = await self._poll(feed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not stop the round; it is logged with its stack
            log.exception("feed %s: poll crashed", feed.url)
            error = f"internal error: {type(exc).__name__}: {exc}"
            async with self._writing:
                feed = await self._feeds.record_poll_failed(feed, error, now=self._now())
            result = PollResult(feed, error=error, retryable=True)
        log.info("%s", result.summary())
        return result

    async def _poll(self, feed: Feed) -> PollResult:
        try:
            fetched = await self._fetcher.get(feed.url, etag=feed.etag, last_modified=feed.last_modified,
                                              accept=FEED_ACCEPT)
            if fetched.not_modified:
                async with self._writing:
                    feed = await self._feeds.record_poll_ok(feed, etag=feed.etag, last_modified=feed.last_modified,
                                                            title=None, now=self._now())
                return PollResult(feed, not_modified=True)
            parsed = await asyncio.to_thread(parse_feed, fetched.body, fetched.url)
        except (FetchError, FeedError) as exc:
            async with self._writing:
                feed = await self._feeds.record_poll_failed(feed, str(exc), now=self._now())
            return PollResult(feed, error=str(exc), retryable=bool(getattr(exc, "retryable", False)))

        unique: dict[str, FeedItem] = {}
        for item in parsed.items:
            unique.setdefault(item.key, item)  # a feed that lists an item twice has it once
        seen = await self._feeds.seen_items(feed.id, unique)
        new = [item for item in newest_first(list(unique.values())) if item.key not in seen]
        taken, backlog = new[:self._max_new], max(0, len(new) - self._max_new)
        marks = await self._take(feed, taken, source=parsed.title)
        retry_later = any(m.state == "failed" and m.retryable for m in marks)
        complete = not backlog and not retry_later
        async with self._writing:
            feed = await self._feeds.record_poll_ok(
                feed, etag=fetched.etag if complete else None,
                last_modified=fetched.last_modified if complete else None, title=parsed.title, now=self._now())
        return PollResult(
            feed, new=len(taken), backlog=backlog,
            stored=sum(m.state == "stored" for m in marks), duplicates=sum(m.state == "duplicate" for m in marks),
            failed=sum(m.state == "failed" for m in marks),
            errors=tuple(f"{m.url}: {m.error}" for m in marks if m.state == "failed"))

    async def _take(self, feed: Feed, items: list[FeedItem], *, source: str | None) -> list[ItemMark]:
        """Fetch the new items' pages concurrently (one fetch per distinct link), then store the
        new articles in batches, marking each batch's items in the moment after it commits."""
        by_link: dict[str, list[FeedItem]] = {}  # link → the other items of this poll with that link
        leaders: list[FeedItem] = []
        for item in items:
            if item.url in by_link:
                by_link[item.url].append(item)
            else:
                by_link[item.url] = []
                leaders.append(item)
        outcomes = await asyncio.gather(*(self._prepare(item, source=source) for item in leaders))

        marks: list[ItemMark] = []
        fresh: list[tuple[FeedItem, ParsedArticle]] = []
        first_by_page: dict[str, str] = {}  # canonical URL or text hash → article id taken this poll
        riders: dict[str, list[FeedItem]] = {}  # article id → the other items of this poll that are it
        for item, outcome in zip(leaders, outcomes):
            same_link = by_link[item.url]
            if isinstance(outcome, ItemMark):
                marks.append(outcome)
                marks.extend(replace(outcome, key=f.key, url=f.url) for f in same_link)
                continue
            record = outcome.record
            first = first_by_page.get(record.url) or first_by_page.get(record.content_hash)
            if first is not None:
                riders[first].extend([item, *same_link])
                continue
            first_by_page[record.url] = first_by_page[record.content_hash] = record.id
            riders[record.id] = list(same_link)
            fresh.append((item, outcome))
        async with self._writing:
            await self._feeds.mark_items(feed.id, marks, now=self._now())

        for start in range(0, len(fresh), self._store_batch):
            async with self._writing:
                batch_marks, batch = [], []
                for item, article in fresh[start:start + self._store_batch]:
                    # Another feed polled at the same time may have stored this page meanwhile.
                    known = await self._known(article)
                    if known is None:
                        batch.append((item, article))
                        continue
                    for same in (item, *riders[article.record.id]):
                        batch_marks.append(ItemMark(same.key, same.url, "duplicate", article_id=known.article_id))
                if batch:
                    await self._store(self._corpus, self._embedder, [article for _, article in batch])
                for item, article in batch:
                    article_id = article.record.id
                    batch_marks.append(ItemMark(item.key, item.url, "stored", article_id=article_id))
                    batch_marks.extend(ItemMark(f.key, f.url, "duplicate", article_id=article_id)
                                       for f in riders[article_id])
                await self._feeds.mark_items(feed.id, batch_marks, now=self._now())
            marks.extend(batch_marks)
        return marks

    async def _known(self, article: ParsedArticle) -> _Known | None:
        record = article.record
        existing = await self._feeds.article_for_url(record.url)
        if existing is not None:
            return _Known(existing, "same URL")
        existing = await self._feeds.article_for_hash(record.content_hash)
        return _Known(existing, "same text") if existing is not None else None

    async def _prepare(self, item: FeedItem, *, source: str | None) -> ItemMark | ParsedArticle:
        try:
            existing = await self._feeds.article_for_url(item.url)
            if existing is not None:
                return ItemMark(item.key, item.url, "duplicate", article_id=existing)
            outcome = await self._fetch_article(item.url, title=item.title, published=item.published, source=source)
        except (FetchError, PageError, ArticleError) as exc:
            return ItemMark(item.key, item.url, "failed", error=one_line(exc),
                            retryable=bool(getattr(exc, "retryable", False)))
        if isinstance(outcome, _Known):
            return ItemMark(item.key, item.url, "duplicate", article_id=outcome.article_id)
        return outcome

    async def _fetch_article(self, url: str, *, title: str | None = None, published: str | None = None,
                             source: str | None = None) -> ParsedArticle | _Known:
        """One page as an article, or the article it already is (same canonical URL, or same text)."""
        fetched = await self._fetcher.get(url, accept=PAGE_ACCEPT)
        if fetched.content_type not in PAGE_TYPES:
            raise PageError(f"not an article page: {fetched.url} is {fetched.content_type}")
        page = await asyncio.to_thread(extract_page, fetched.body, fetched.url, charset=fetched.charset)
        if page.url != fetched.url:  # the canonical URL is checked with the text, below
            existing = await self._feeds.article_for_url(fetched.url)
            if existing is not None:
                return _Known(existing, "same URL")
        page_title = page.title or title
        article = article_from_page(
            article_id=article_id_for(page.url, page_title), url=page.url, title=page_title, text=page.text,
            published=page.published or published, source=page.site_name or source or _host(page.url))
        return await self._known(article) or article

    async def ingest_url(self, url: str) -> tuple[str | None, str]:
        """Fetch one article page and store it: (article id, what happened) or (None, why not)."""
        url = url.strip()
        try:
            existing = await self._feeds.article_for_url(url)
            outcome = _Known(existing, "same URL") if existing else await self._fetch_article(url)
        except (FetchError, PageError, ArticleError) as exc:
            return None, one_line(exc)
        if isinstance(outcome, _Known):
            return outcome.article_id, f"{url} is already stored as {outcome.article_id} ({outcome.why})"
        async with self._writing:
            known = await self._known(outcome)  # stored by a poll while this page was fetched?
            if known is None:
                await self._store(self._corpus, self._embedder, [outcome])
        if known is not None:
            return known.article_id, f"{url} is already stored as {known.article_id} ({known.why})"
        record = outcome.record
        return record.id, f"stored {record.id}: {record.title}" + (f" ({record.published})" if record.published
                                                                  else " (undated)")


def article_id_for(url: str, title: str | None) -> str:
    """A readable id: the site and title as a slug, plus a short hash of the URL so it is unique."""
    words = unicodedata.normalize("NFKD", f"{_host(url)} {title or ''}").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:_SLUG_CHARS].rstrip("-") or "web"
    return f"{slug}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
