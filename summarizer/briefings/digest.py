"""The daily digest: a day's articles grouped into stories, each summarised in one or two
sentences by the answer model, verified and cited like an answer, with a note wherever the
outlets disagree on a fact.

A story whose summary fails verification, or that the model cannot write (down, crashed, too
slow), is summarised by its lead sentences, quoted verbatim and cited: a digest never fails
because of the model. Writing a digest costs model time (seconds per story), so digests are
written ahead of their posting minute and kept in the store by day, corpus version and model;
an ingest moves the corpus version on, and the next digest of that day is written afresh."""

from __future__ import annotations

import asyncio
import logging

import numpy as np

from store import Article, Corpus, ReadOnlyStoreError, Sentence
from store.digests import Digests
from summarizer.answering.model_process import ModelUnavailable
from summarizer.answering.model_slot import ModelSlot
from summarizer.briefings.disagreements import Disagreement, find_disagreements
from summarizer.briefings.story_summary import story_evidence, written_summary
from summarizer.citations import LEAD_MIN_WORDS, citation
from summarizer.results import Citation, Digest, DigestStory
from summarizer.text import words

log = logging.getLogger(__name__)

# Part of the digest cache key with the model: bump it whenever the story prompt, the evidence
# chosen or the disagreement rules change, so no digest written under older rules is posted.
DIGEST_VERSION = "1"
SUMMARY_MAX_WORDS = 70
REDUNDANT_COSINE = 0.8


async def build_digest(corpus: Corpus, day: str | None = None) -> Digest:
    """The digest without the model: every story summarised by its leads. Instant."""
    day = day or await corpus.latest_day()
    if day is None:
        return Digest(None, [])
    return Digest(day, [await extractive_story(corpus, members) for members in await _stories(corpus, day)])


async def _stories(corpus: Corpus, day: str) -> list[list[Article]]:
    stories: dict[str, list[Article]] = {}
    for article in sorted(await corpus.articles(day=day), key=lambda a: a.id):
        stories.setdefault(article.story_id, []).append(article)
    return list(stories.values())


async def extractive_story(corpus: Corpus, members: list[Article]) -> DigestStory:
    """One lead sentence per article, skipping leads that repeat an earlier one."""
    sentences = await corpus.sentences_of_articles([a.id for a in members])
    leads: list[Sentence] = []
    for article in members:
        lead = next((s for s in sentences if s.article_id == article.id and len(words(s.text)) >= LEAD_MIN_WORDS),
                    None)
        if lead is None:
            continue
        repeats = any(float(np.dot(lead.embedding, other.embedding)) >= REDUNDANT_COSINE for other in leads)
        too_long = leads and sum(len(words(s.text)) for s in leads) + len(words(lead.text)) > SUMMARY_MAX_WORDS
        if not repeats and not too_long:
            leads.append(lead)
    if not leads and sentences:  # only short sentences: quote the first, a story must never go uncited
        leads.append(min(sentences, key=lambda s: (s.article_id, s.id)))
    citations = await _citations(corpus, leads, members)
    summary = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return await _noted(corpus, members, sentences, summary, citations, "extractive")


async def _citations(corpus: Corpus, cited: list[Sentence], members: list[Article], first: int = 1) -> list[Citation]:
    passages = await corpus.passages([s.passage_id for s in cited])
    by_id = {a.id: a for a in members}
    return [citation(n, s, passages[s.passage_id], by_id[s.article_id]) for n, s in enumerate(cited, first)]


async def _noted(corpus: Corpus, members: list[Article], sentences: list[Sentence], summary: str,
                 citations: list[Citation], mode: str) -> DigestStory:
    """The story with a note per disagreement between its outlets, cited after the summary's own
    citations (a sentence the summary already cites keeps its number)."""
    found = find_disagreements(sentences, {a.id: a for a in members})
    citations = list(citations)
    notes = []
    for disagreement in found:
        numbers = []
        for sentence in (disagreement.first, disagreement.second):
            known = next((c.n for c in citations if c.article_id == sentence.article_id and c.quote == sentence.text),
                         None)
            if known is None:
                citations += await _citations(corpus, [sentence], members, first=len(citations) + 1)
                known = len(citations)
            numbers.append(known)
        notes.append(_note(disagreement, *numbers))
    return DigestStory(headline=members[0].title, summary=summary, citations=citations,
                       article_ids=[a.id for a in members], mode=mode, disagreements=notes)


def _note(disagreement: Disagreement, first: int, second: int) -> str:
    return (f"Sources differ on {disagreement.what}: {disagreement.first_says} [{first}], "
            f"{disagreement.second_says} [{second}].")


class Digester:
    """Digests written by the model, kept in the store, and shared while being written: the
    scheduler preparing a digest and a user asking for it wait for one writing, not two."""

    def __init__(self, corpus: Corpus, stored: Digests, models: ModelSlot) -> None:
        self._corpus = corpus
        self._stored = stored
        self._models = models
        self._writing: dict[tuple[str, str], asyncio.Task[Digest]] = {}
        # Stories finished by a writing still under way, by their articles: posted before the rest.
        self._written: dict[tuple[str, str], dict[tuple[str, ...], DigestStory]] = {}

    @property
    def _model_key(self) -> str:
        return f"{self._models.identity}#digest-{DIGEST_VERSION}"

    async def digest(self, day: str | None = None, *, wait_s: float | None = None) -> Digest:
        """The digest of ``day`` (default: the latest day with articles): stored if fresh, else
        written now. With ``wait_s``, what is ready after that long (the rest extractive) while the
        writing goes on and is stored for the next caller."""
        day = day or await self._corpus.latest_day()
        if day is None:
            return Digest(None, [])
        version = await self._corpus.corpus_version()
        stored = await self._stored.stored(day, version, self._model_key)
        if stored is not None:
            return Digest.from_dict(stored)
        writing = self._start(day, version)
        try:
            return await asyncio.wait_for(asyncio.shield(writing), wait_s)
        except asyncio.TimeoutError:
            return await self._so_far(day, version)

    async def ready(self, day: str) -> Digest:
        """The digest of ``day`` at once: stored if fresh; otherwise the stories already written,
        the others by their leads, while the writing goes on in the background."""
        return await self.digest(day, wait_s=0)

    async def prepare(self, day: str) -> None:
        """Start writing the digest of ``day`` in the background unless it is stored or under way."""
        version = await self._corpus.corpus_version()
        if await self._stored.stored(day, version, self._model_key) is None:
            self._start(day, version)

    async def close(self) -> None:
        """Stop writing (the process is leaving); what was finished is already stored."""
        tasks = list(self._writing.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _start(self, day: str, version: str) -> asyncio.Task[Digest]:
        key = (day, version)
        if key not in self._writing:
            task = asyncio.ensure_future(self._write(day, version))
            self._writing[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return self._writing[key]

    def _finished(self, key: tuple[str, str], task: asyncio.Task) -> None:
        self._writing.pop(key, None)
        self._written.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("writing the digest of %s failed", key[0], exc_info=task.exception())

    async def _so_far(self, day: str, version: str) -> Digest:
        written = self._written.get((day, version), {})
        quoted = await build_digest(self._corpus, day)
        return Digest(day, [written.get(tuple(s.article_ids), s) for s in quoted.stories])

    async def _write(self, day: str, version: str) -> Digest:
        written = self._written.setdefault((day, version), {})
        model_down: str | None = None
        stories = []
        for members in await _stories(self._corpus, day):
            story = None
            if model_down is None:
                try:
                    story = await self._summarised(members)
                except ModelUnavailable as exc:
                    model_down = str(exc)
                    log.warning("digest of %s: the model cannot write (%s); quoting leads for the rest", day, exc)
            story = story or await extractive_story(self._corpus, members)
            written[tuple(story.article_ids)] = story
            stories.append(story)
        digest = Digest(day, stories)
        if model_down is None:  # a digest quoted only because the model was down is written again next time
            try:
                await self._stored.store(day, version, self._model_key, digest.to_dict())
            except ReadOnlyStoreError as exc:
                log.warning("digest of %s not stored: %s", day, exc)
        return digest

    async def _summarised(self, members: list[Article]) -> DigestStory | None:
        """The story summarised by the model, or None when its summary failed verification."""
        written = await written_summary(self._models, members[0].title, await story_evidence(self._corpus, members))
        if written is None:
            return None
        summary, citations = written
        sentences = await self._corpus.sentences_of_articles([a.id for a in members])
        return await _noted(self._corpus, members, sentences, summary, citations, "generated")
