"""The briefing engine: the one object front ends talk to.

It opens the database once and hands each part to what needs it: the corpus to search,
evidence, lookups, digests and ingest; the answer cache to answering; the delivery log to
digest delivery. It owns the embedder, the search index and the answer model. Everything
slow (embedding, generation, index building) runs in worker threads, so an event loop that
awaits these methods keeps beating."""

from __future__ import annotations

import asyncio
import importlib
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator, Sequence

from store import Answers, Corpus, Database, Deliveries
from store.digests import Digests
from store.feeds import Feed, Feeds, utc_now
from summarizer.answering.answerer import DEFAULT_SUMMARY_WAIT_S, Answerer, DraftShown
from summarizer.answering.generation import Generator
from summarizer.answering.model_slot import ModelSlot
from summarizer.briefings.delivery import DigestDelivery
from summarizer.briefings.digest import Digester
from summarizer.briefings.lookups import article_brief, find_quotes, source_infos, timeline
from summarizer.ingest.embeddings import Embedder
from summarizer.ingest.documents import ParsedArticle
from summarizer.ingest.pipeline import IngestReport, ingest, store_articles
from summarizer.ingest.uploads import UploadNotSaved, save_upload
from summarizer.results import (
    Answer,
    ArticleBrief,
    Digest,
    EngineStats,
    Quote,
    SearchHit,
    SourceInfo,
    TimelineEvent,
)
from summarizer.retrieval.search import Filters, SearchIndex
from summarizer.web.schedule import DEFAULT_FEED_EVERY_S, MIN_FEED_EVERY_S

if TYPE_CHECKING:
    from summarizer.web.poller import FeedPoller, PollResult

log = logging.getLogger(__name__)
UPLOAD_FOLDER = "uploads"


# How long a question waits for generated prose before it is answered extractively.
DEFAULT_GENERATION_TIMEOUT_S = 30.0


class FeedNotAdded(Exception):
    """Why a feed was not followed, in one line for the user."""


@dataclass(frozen=True)
class FeedAdded:
    feed: Feed
    first_poll: "PollResult"


@dataclass(frozen=True)
class UrlIngested:
    url: str
    article_id: str | None  # None when nothing could be stored
    message: str

    @property
    def ok(self) -> bool:
        return self.article_id is not None


@dataclass(frozen=True)
class EngineConfig:
    db_path: Path
    corpus_dir: Path
    model: str = "default"  # "default", "smollm2", a .gguf file, a model folder, or a server's http(s)://…/v1
    server_model: str | None = None  # the model to ask a server for (default: the first it lists)
    server_api_key: str | None = None
    runtime: str = "auto"  # "auto", "llama.cpp" or "transformers"
    model_cache: Path = Path("data/models")
    generation_timeout_s: float = DEFAULT_GENERATION_TIMEOUT_S
    summary_wait_s: float = DEFAULT_SUMMARY_WAIT_S  # when a draft is already shown
    max_concurrent_generations: int = 1
    read_only: bool = False
    # Feeds and pages: private addresses are refused unless allowed (tests, intranet news).
    allow_private_urls: bool = False
    feed_every_s: float = DEFAULT_FEED_EVERY_S
    feed_min_every_s: float = MIN_FEED_EVERY_S


def model_slot(config: EngineConfig, generator: Generator | None = None) -> ModelSlot:
    """The answer model the config names (or ``generator``, ready in process), not yet started."""
    return ModelSlot(
        spec=config.model, runtime=config.runtime, cache_dir=config.model_cache, generator=generator,
        server_model=config.server_model, api_key=config.server_api_key,
        timeout_s=config.generation_timeout_s, concurrency=config.max_concurrent_generations,
    )


class Engine:
    def __init__(self, config: EngineConfig, database: Database, embedder: Embedder, models: ModelSlot) -> None:
        self.config = config
        self._database = database
        # The store's parts. Front ends use the methods below; benchmarks measure these directly.
        self.corpus = Corpus(database)
        self.answers = Answers(database)
        self.embedder = embedder
        self.index = SearchIndex(self.corpus, embedder)
        self.answerer = Answerer(self.corpus, self.answers, self.index, models, summary_wait_s=config.summary_wait_s)
        # Digest subscriptions and once-a-day delivery; the front end passes in how to post.
        self.deliveries = DigestDelivery(Deliveries(database), Digester(self.corpus, Digests(database), models))
        self.followed = Feeds(database)
        self._ingest_lock = asyncio.Lock()
        self._polling = asyncio.Lock()
        self._model_loading: asyncio.Future[str | None] | None = None

    @classmethod
    async def open(
        cls,
        config: EngineConfig,
        *,
        generator: Generator | None = None,
        embedder: Embedder | None = None,
    ) -> "Engine":
        """Open the database (raises StoreError subclasses for corrupt/read-only files).

        ``generator`` injects a ready in-process model (tests, benchmarks); otherwise the model
        named in the config runs in its own supervised process, started on first use."""
        database = await Database.open(config.db_path, read_only=config.read_only)
        return cls(config, database, embedder or Embedder(), model_slot(config, generator))

    async def close(self) -> None:
        await self.deliveries.close()  # digests being written ahead stop before the store closes
        await self.answerer.drain()
        await self.answerer.models.close()
        if self._model_loading is not None:
            await asyncio.gather(self._model_loading, return_exceptions=True)
        self.index.close()
        await self._database.close()

    @property
    def model_name(self) -> str:
        """The answer model, as answers and /stats name it."""
        return self.answerer.models.name

    def start_model(self) -> None:
        """Start loading the answer model without waiting for it.

        The model loads in its own process, on the other core, while this one embeds the question
        and retrieves: a one-shot `briefbot ask` calls this first, so the load overlaps retrieval
        instead of following it (docs/architecture.md, "Cold start")."""
        if self._model_loading is None:
            self._model_loading = asyncio.ensure_future(self.answerer.models.load())

    async def warm_up(self, *, model: bool = True) -> None:
        """Load what a question needs (the query encoder, the index and, optionally, the answer
        model) before the first one. The model loads in its own process meanwhile."""
        if model:
            self.start_model()
        await asyncio.to_thread(self.embedder.load_for_queries)
        await self.index.refresh()
        if model:
            await asyncio.shield(self._model_loading)  # a cancelled warm-up leaves the load to close()

    # -- corpus ---------------------------------------------------------------------------

    async def ingest(self, paths: Sequence[Path] | None = None, *, prune: bool = False,
                     progress: bool = False) -> IngestReport:
        async with self._ingest_lock, self._refreshed_even_if_interrupted():
            report = await ingest(self.corpus, self.embedder, list(paths or [self.config.corpus_dir]),
                                  prune=prune, progress=progress)
        if report.changed or report.attributed:
            await self.index.refresh()
        return report

    @asynccontextmanager
    async def _refreshed_even_if_interrupted(self) -> AsyncIterator[None]:
        """Ingest commits batch by batch: after a failure part-way, what was committed is searchable."""
        try:
            yield
        except BaseException:
            await asyncio.shield(self.index.refresh())
            raise

    async def ingest_upload(self, filename: str, data: bytes) -> IngestReport:
        """Save an uploaded article under the corpus folder and ingest it (the file is the record)."""
        try:
            target = await save_upload(self.config.corpus_dir / UPLOAD_FOLDER, filename, data)
        except UploadNotSaved as exc:
            report = IngestReport()
            report.failed.append((exc.filename, str(exc)))
            return report
        report = await self.ingest([target])
        if report.failed:
            target.unlink(missing_ok=True)
        return report

    async def _store_web_articles(self, corpus: Corpus, embedder: Embedder,
                                  articles: Sequence[ParsedArticle]) -> IngestReport:
        """Feed and page articles go through the same lock and index refresh as files."""
        async with self._ingest_lock, self._refreshed_even_if_interrupted():
            report = await store_articles(corpus, embedder, articles)
        if report.changed:
            await self.index.refresh()
        return report

    @asynccontextmanager
    async def _poller(self) -> AsyncIterator["FeedPoller"]:
        # The web stack (httpx, feedparser) is imported only by what fetches, so a one-shot
        # `briefbot ask` does not pay for it; importing it and building the HTTP client (its TLS
        # context) take a tenth of a second or more, done in a thread so the gateway keeps beating.
        web = await asyncio.to_thread(importlib.import_module, "summarizer.web.poller")
        # One poll at a time: a feed added while a round runs is due in that round too, and two
        # pollers would each fetch and store its new items.
        async with self._polling:
            fetcher = await asyncio.to_thread(web.Fetcher, allow_private=self.config.allow_private_urls)
            async with fetcher:
                yield web.FeedPoller(self.followed, self.corpus, self.embedder, fetcher,
                                     store=self._store_web_articles)

    async def ingest_url(self, url: str) -> UrlIngested:
        """Fetch one article page and add it (an address already stored, or the same text, is said so)."""
        async with self._poller() as poller:
            article_id, message = await poller.ingest_url(url)
        return UrlIngested(url, article_id, message)

    # -- feeds ----------------------------------------------------------------------------

    async def feeds(self) -> list[Feed]:
        return await self.followed.list()

    async def add_feed(self, url: str, *, every_s: float | None = None, guild_id: int | None = None,
                       added_by: int | None = None) -> FeedAdded:
        """Follow a feed and poll it at once. An address that is refused, or that answers with
        something other than a feed, is not kept (FeedNotAdded says why); a feed that is only
        unreachable for now is kept and retried with backoff."""
        from summarizer.web.urls import FetchError, check_url_async

        try:
            checked = await check_url_async(url, allow_private=self.config.allow_private_urls)
        except FetchError as exc:
            raise FeedNotAdded(str(exc)) from None
        async with self._poller() as poller:  # stored and first polled before any round can see it
            feed = await self.followed.add(checked.url, int(every_s or self.config.feed_every_s), guild_id=guild_id,
                                           added_by=added_by)
            first = await poller.poll(feed)
        if first.error and not first.retryable:
            await self.followed.remove(feed.id)
            raise FeedNotAdded(f"not following {url}: {first.error}")
        return FeedAdded(first.feed, first)

    async def remove_feed(self, id_or_url: str) -> Feed | None:
        feed = await self.followed.get(id_or_url)  # a number is the feed's id, anything else its URL
        if feed is not None:
            await self.followed.remove(feed.id)
        return feed

    async def poll_feeds(self, *, due_only: bool = True) -> list["PollResult"]:
        """One round: the feeds that are due (or all), concurrently, politely per host."""
        feeds = await (self.followed.due(utc_now()) if due_only else self.followed.list())
        if not feeds:  # the loop ticks every minute: a tick with nothing due costs one query
            return []
        async with self._poller() as poller:
            return await poller.poll_many(feeds)

    async def sources(self) -> list[SourceInfo]:
        return await source_infos(self.corpus)

    async def article(self, id_or_title: str) -> ArticleBrief | None:
        return await article_brief(self.corpus, id_or_title)

    # -- questions ------------------------------------------------------------------------

    async def search(self, query: str, *, k: int = 5, since: str | None = None, until: str | None = None,
                     source: str | None = None) -> list[SearchHit]:
        return await self.index.search(query, k=k, filters=Filters(since, until, source))

    async def ask(self, question: str, *, since: str | None = None, until: str | None = None,
                  source: str | None = None, use_cache: bool = True, on_draft: DraftShown | None = None) -> Answer:
        """Raises QuestionError for a question that cannot be asked; otherwise always answers
        (generated, extractive or refused). ``on_draft`` is awaited with an extractive draft
        first when the answer is to be generated (front ends that can edit what they showed)."""
        return await self.answerer.ask(question, Filters(since, until, source), use_cache=use_cache,
                                       on_draft=on_draft)

    async def shown_answer(self, ref: str) -> Answer | None:
        """An answer shown before (its ``ref``), for its evidence; None when unknown."""
        return await self.answerer.shown_answer(ref)

    async def quotes(self, speaker: str, topic: str | None = None, *, limit: int = 5) -> list[Quote]:
        return await find_quotes(self.corpus, self.index, speaker, topic, limit=limit)

    async def timeline(self, topic: str, *, limit: int = 10) -> list[TimelineEvent]:
        return await timeline(self.corpus, self.index, topic, limit=limit)

    async def digest(self, day: str | None = None, *, wait_s: float | None = None) -> Digest:
        """The digest for ``day`` (YYYY-MM-DD); default the latest day with articles. Stored
        digests are instant; otherwise the model writes it, and with ``wait_s`` what is ready
        by then is returned (the rest quoted) while the writing goes on."""
        return await self.deliveries.digests.digest(day, wait_s=wait_s)

    async def stats(self) -> EngineStats:
        """The corpus size, how questions have been answered, and the answer model."""
        return EngineStats(await self.corpus.counts(), await self.answers.ask_stats(), self.model_name)
