"""Ingest: files → clean articles → embedded passages → one transaction per article.

Content hashes make it idempotent: an unchanged file is skipped before it is even parsed,
so re-running ingest on the same corpus does no embedding work."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from store import Corpus, NewPassage, NewSentence
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


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    sentences_embedded: int = 0
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
        work = (f"embedded {self.sentences_embedded} sentences" if self.sentences_embedded
                else "nothing to embed")
        return f"ingest: {', '.join(parts)}; {work}; {self.stories} stories"


async def ingest(
    corpus: Corpus,
    embedder: Embedder,
    roots: Sequence[Path],
    *,
    prune: bool = False,
    progress: bool = False,
) -> IngestReport:
    report = IngestReport()
    files = _collect(roots, report)
    known = await corpus.known_files()
    taken_ids = {article_id: path for path, (article_id, _) in known.items()}
    parsed: list[tuple[ParsedArticle, bool]] = []
    for path in files:
        key = str(path.resolve())
        try:
            raw = read_file(path)
            digest = content_hash(raw)
            previous = known.get(key)
            if previous and previous[1] == digest:
                report.unchanged += 1
                continue
            article = read_article(path, raw)
        except ArticleError as exc:
            report.failed.append((str(path), str(exc)))
            continue
        article_id = _unique_id(article.record.id, key, taken_ids)
        taken_ids[article_id] = key
        record = replace(article.record, id=article_id, path=key, story_id=article_id)
        parsed.append((replace(article, record=record), previous is not None))

    vectors = await _embed(embedder, parsed, progress)
    report.sentences_embedded = sum(len(v) for v in vectors)
    for (article, is_update), sentence_vectors in zip(parsed, vectors):
        await corpus.replace_article(article.record, _passages(article, sentence_vectors))
        (report.updated if is_update else report.added).append(article.record.id)

    if prune:
        gone = [article_id for path, (article_id, _) in known.items() if not Path(path).exists()]
        await corpus.delete_articles(gone)
        report.removed.extend(gone)

    if report.changed:
        report.stories = await link_stories(corpus)
    else:
        report.stories = len({a.story_id for a in await corpus.articles()})
    return report


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


def _unique_id(stem: str, path: str, taken: dict[str, str]) -> str:
    if taken.get(stem, path) == path:
        return stem
    return f"{stem}-{hashlib.sha1(path.encode()).hexdigest()[:6]}"


async def _embed(embedder: Embedder, parsed: list[tuple[ParsedArticle, bool]], progress: bool) -> list[np.ndarray]:
    """Embed every sentence of every changed article in one batched call, off the event loop."""
    texts = [s.text for article, _ in parsed for p in article.passages for s in p.sentences]
    if not texts:
        return [np.zeros((0, 0), dtype=np.float32) for _ in parsed]
    matrix = await asyncio.to_thread(embedder.encode, texts, progress)
    out, start = [], 0
    for article, _ in parsed:
        count = sum(len(p.sentences) for p in article.passages)
        out.append(matrix[start:start + count])
        start += count
    return out


def _passages(article: ParsedArticle, sentence_vectors: np.ndarray) -> list[NewPassage]:
    """A passage's vector is the normalised mean of its sentences' vectors: one encoder pass serves both."""
    passages, row = [], 0
    for passage in article.passages:
        vectors = sentence_vectors[row:row + len(passage.sentences)]
        row += len(passage.sentences)
        mean = vectors.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        sentences = [NewSentence(s.start, s.end, s.text, v) for s, v in zip(passage.sentences, vectors)]
        passages.append(NewPassage(passage.start, passage.end, passage.text, mean, sentences))
    return passages
