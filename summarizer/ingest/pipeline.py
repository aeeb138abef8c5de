"""Ingest: files or parsed pages → embedded passages → the store, committed batch by batch.

Content hashes make file ingest idempotent: an unchanged file is skipped before it is even
parsed. Articles are embedded and written in batches, each batch one transaction, so an
ingest that stops (a crash, Ctrl-C, a full disk) keeps every finished batch, and the next
run skips those files by their hash and embeds only the rest. While batch k is written,
batch k+1 is already being encoded in a worker thread (torch releases the GIL), so the
writes cost no wall time. Stories are linked once at the end, over the whole corpus."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from store import Corpus, NewPassage, NewSentence
from summarizer.ingest.attribution import RULES_VERSION, attribute_article
from summarizer.ingest.documents import (
    ArticleError,
    ParsedArticle,
    article_files,
    content_hash,
    read_article,
    read_file,
)
from summarizer.ingest.embeddings import Embedder
from summarizer.ingest.stories import link_stories

log = logging.getLogger(__name__)

# A batch is what an interrupted ingest may lose and what Ctrl-C waits for: at most about twenty
# seconds of encoding on two cores (about 100 sentences/s). Smaller batches cost throughput:
# length-sorting has fewer sentences to sort, and the last batch's write overlaps nothing
# (measured on 2,846 sentences: 1,024 gave 0.94x raw encode, 2,048 gave 0.95-1.14x).
BATCH_ARTICLES = 64
BATCH_SENTENCES = 2048
PROGRESS_LOG_EVERY_S = 10.0  # on a non-terminal: one progress line at most this often, and a last one


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)  # ids of articles stored without a date
    sentences_embedded: int = 0
    attributed: int = 0  # stored articles whose speakers were recomputed under new attribution rules
    stories: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{self.unchanged} unchanged"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.undated:
            parts.append(f"{len(self.undated)} undated")
        work = (f"embedded {self.sentences_embedded} sentences" if self.sentences_embedded
                else "nothing to embed")
        if self.attributed:
            work += f"; speakers recomputed for {self.attributed} articles"
        return f"ingest: {', '.join(parts)}; {work}; {self.stories} stories"


@dataclass(frozen=True)
class _Pending:
    article: ParsedArticle
    is_update: bool

    @property
    def sentences(self) -> int:
        return sum(len(p.sentences) for p in self.article.passages)


async def ingest(
    corpus: Corpus,
    embedder: Embedder,
    roots: Sequence[Path],
    *,
    prune: bool = False,
    progress: bool = False,
) -> IngestReport:
    """Ingest article files and folders. ``progress``: a bar on a terminal, log lines otherwise."""
    report = IngestReport()
    files = _collect(roots, report)
    known = await corpus.known_files()
    # Reading and parsing is blocking file work; off the event loop, so a bot stays responsive.
    pending = await asyncio.to_thread(_parse_changed, files, known, report)
    await _store(corpus, embedder, pending, report, progress)

    if prune:
        gone = [article_id for path, (article_id, _) in known.items()
                if not _is_web_address(path) and not Path(path).exists()]
        await corpus.delete_articles(gone)
        report.removed.extend(gone)

    report.attributed = await refresh_attributions(corpus, all_written_now=not known)
    await _link(corpus, report)
    return report


async def store_articles(corpus: Corpus, embedder: Embedder, articles: Sequence[ParsedArticle], *,
                         progress: bool = False) -> IngestReport:
    """Embed and store articles that are not files (fetched pages): batched and committed as it
    goes like file ingest, then stories are linked. An article whose id is stored is replaced."""
    stored = {article_id for article_id, _ in (await corpus.known_files()).values()}
    latest = {a.record.id: a for a in articles}  # an id given twice is stored once, as last given
    report = IngestReport()
    await _store(corpus, embedder, [_Pending(a, a.record.id in stored) for a in latest.values()], report, progress)
    report.attributed = await refresh_attributions(corpus, all_written_now=not stored)
    await _link(corpus, report)
    return report


def _is_web_address(path: str) -> bool:
    """Fetched pages are stored under their URL: they have no file whose deletion prunes them."""
    return path.lower().startswith(("http://", "https://"))


def _collect(roots: Sequence[Path], report: IngestReport) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        if not root.exists():
            report.failed.append((str(root), "no such file or folder"))
            continue
        found = article_files(root)
        if not found:
            report.failed.append((str(root), "no articles (.txt or .md files) found"))
        files.extend(found)
    return files


def _parse_changed(files: list[Path], known: dict[str, tuple[str, str]], report: IngestReport) -> list[_Pending]:
    """The files that are new or changed since they were stored, parsed; the rest are counted unchanged."""
    taken_ids = {article_id: path for path, (article_id, _) in known.items()}
    pending: list[_Pending] = []
    for path in files:
        key = str(path.resolve())
        try:
            raw = read_file(path)
            previous = known.get(key)
            if previous and previous[1] == content_hash(raw):
                report.unchanged += 1
                continue
            article = read_article(path, raw)
        except ArticleError as exc:
            report.failed.append((str(path), str(exc)))
            continue
        article_id = _unique_id(article.record.id, key, taken_ids)
        taken_ids[article_id] = key
        record = replace(article.record, id=article_id, path=key, story_id=article_id)
        pending.append(_Pending(replace(article, record=record), previous is not None))
    return pending


def _unique_id(stem: str, path: str, taken: dict[str, str]) -> str:
    if taken.get(stem, path) == path:
        return stem
    return f"{stem}-{hashlib.sha1(path.encode()).hexdigest()[:6]}"


async def _store(corpus: Corpus, embedder: Embedder, pending: list[_Pending], report: IngestReport,
                 progress: bool) -> None:
    """Encode batch k+1 in a worker thread while batch k is written; each batch is one transaction."""
    batches = list(_batches(pending))
    meter = _Progress(len(pending), sum(p.sentences for p in pending), enabled=progress)
    encoding = _start_encoding(embedder, batches[0]) if batches else None
    try:
        for index, batch in enumerate(batches):
            vectors = await encoding
            encoding = _start_encoding(embedder, batches[index + 1]) if index + 1 < len(batches) else None
            await corpus.replace_articles(
                [(p.article.record, _passages(p.article, v)) for p, v in zip(batch, vectors)]
            )
            for item in batch:
                (report.updated if item.is_update else report.added).append(item.article.record.id)
                if item.article.undated:
                    report.undated.append(item.article.record.id)
            embedded = sum(len(v) for v in vectors)
            report.sentences_embedded += embedded
            meter.advance(len(batch), embedded)
    finally:
        meter.close()
        if encoding is not None:
            # A write failed while the next batch was encoding: wait for that thread, so no
            # encoder is still running on this embedder when the caller retries.
            await asyncio.gather(encoding, return_exceptions=True)


def _batches(pending: list[_Pending]) -> Iterator[list[_Pending]]:
    batch: list[_Pending] = []
    sentences = 0
    for item in pending:
        if batch and (len(batch) >= BATCH_ARTICLES or sentences + item.sentences > BATCH_SENTENCES):
            yield batch
            batch, sentences = [], 0
        batch.append(item)
        sentences += item.sentences
    if batch:
        yield batch


def _start_encoding(embedder: Embedder, batch: list[_Pending]) -> asyncio.Future[list[np.ndarray]]:
    return asyncio.ensure_future(asyncio.to_thread(_encode_batch, embedder, [p.article for p in batch]))


def _encode_batch(embedder: Embedder, articles: list[ParsedArticle]) -> list[np.ndarray]:
    """Each article's sentence vectors, from one encoder call over the whole batch."""
    texts = [s.text for article in articles for p in article.passages for s in p.sentences]
    matrix = embedder.encode(texts)
    out, start = [], 0
    for article in articles:
        count = sum(len(p.sentences) for p in article.passages)
        out.append(matrix[start:start + count])
        start += count
    return out


def _passages(article: ParsedArticle, sentence_vectors: np.ndarray) -> list[NewPassage]:
    """A passage's vector is the normalised mean of its sentences' vectors: one encoder pass serves both.
    Each sentence carries its speaker, read over the whole article (a "he said" looks back)."""
    spans = [(s.start, s.end, s.text) for p in article.passages for s in p.sentences]
    said = iter(attribute_article(article.record.body, spans))
    passages, row = [], 0
    for passage in article.passages:
        vectors = sentence_vectors[row:row + len(passage.sentences)]
        row += len(passage.sentences)
        mean = vectors.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        sentences = []
        for s, v in zip(passage.sentences, vectors):
            attribution = next(said)
            sentences.append(NewSentence(s.start, s.end, s.text, v, attribution.speaker, attribution.verbatim))
        passages.append(NewPassage(passage.start, passage.end, passage.text, mean, sentences))
    return passages


ATTRIBUTION_BATCH_ARTICLES = 200  # articles read at a time when attributions are recomputed


async def refresh_attributions(corpus: Corpus, *, all_written_now: bool = False) -> int:
    """Recompute every stored sentence's speaker when the stored ones were made by other rules (or
    none: a database from before attribution). Needs no embeddings. Returns the articles redone,
    0 when the stored attributions are current. ``all_written_now``: every stored article was
    written by this run (under the current rules), so only the version is recorded."""
    if await corpus.attribution_version() == RULES_VERSION:
        return 0
    if all_written_now:
        await corpus.set_attributions([], RULES_VERSION)
        return 0
    articles = await corpus.articles()
    updates: list[tuple[int, str | None, bool]] = []
    for first in range(0, len(articles), ATTRIBUTION_BATCH_ARTICLES):
        batch = articles[first:first + ATTRIBUTION_BATCH_ARTICLES]
        spans = await corpus.article_sentence_spans([a.id for a in batch])
        for article in batch:
            sentences = spans[article.id]
            said = attribute_article(article.body, [(s.start, s.end, s.text) for s in sentences])
            updates.extend((s.id, a.speaker, a.verbatim) for s, a in zip(sentences, said))
    await corpus.set_attributions(updates, RULES_VERSION)
    return len(articles)


async def _link(corpus: Corpus, report: IngestReport) -> None:
    """Link stories when the corpus changed since they were last linked, including by an earlier
    ingest that stopped after writing its articles: resumed or not, the stories come out the same."""
    if report.changed or not await corpus.stories_linked():
        version = await corpus.corpus_version()
        report.stories = await link_stories(corpus)
        await corpus.mark_stories_linked(version)
    else:
        report.stories = (await corpus.counts()).stories


class _Progress:
    """Articles done of the total: a tqdm bar when stderr is a terminal, otherwise an INFO log
    line at most every ``PROGRESS_LOG_EVERY_S`` seconds and one when done."""

    def __init__(self, articles: int, sentences: int, *, enabled: bool) -> None:
        self._total = articles
        self._done = 0
        self._sentences = 0
        self._started = self._last_line = time.monotonic()
        self._bar = None
        self._lines = False
        if not enabled or not articles:
            return
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=articles, unit="article", desc="ingest", file=sys.stderr)
        else:
            self._lines = True
            log.info("ingest: %d articles to embed (%s sentences)", articles, f"{sentences:,}")

    def advance(self, articles: int, sentences: int) -> None:
        self._done += articles
        self._sentences += sentences
        now = time.monotonic()
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self._sentences / max(now - self._started, 1e-9):,.0f} sentences/s",
                                      refresh=False)
            self._bar.update(articles)
        elif self._lines and (self._done == self._total or now - self._last_line >= PROGRESS_LOG_EVERY_S):
            self._last_line = now
            log.info("ingest: %d/%d articles, %s sentences embedded, %.0f s",
                     self._done, self._total, f"{self._sentences:,}", now - self._started)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
