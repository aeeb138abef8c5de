"""A synthetic corpus of any size, made from the real one, so scale runs need no download.

Articles are real sentences recombined into new paragraphs, under fresh dates and
(fictional) outlets. For ingest the articles are written as files and ingested for real.
For the retrieval scale stores, embedding 100k passages on two cores would take most of
an hour, so each synthetic sentence gets the real embedding of the sentence it copies,
perturbed by a little Gaussian noise and renormalised; a passage vector is then the
normalised mean of its sentences, exactly as ingest computes it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from store import Article, Corpus, NewPassage, NewSentence
from summarizer.ingest.documents import ArticleError, article_files, read_article

OUTLETS = (
    "The Meridian Ledger", "Harbour Gazette", "Continental Wire", "The Northern Courier",
    "Capital Dispatch", "Eastern Standard", "The Atlas Review", "Monsoon Daily",
    "Frontier Times", "The Summit Post", "Global Bulletin", "Riverside Herald",
)
FIRST_DAY = dt.date(2031, 1, 1)  # after any real article, so dates are fresh
DAYS_SPANNED = 730
PASSAGES_PER_ARTICLE = (4, 12)
SENTENCES_PER_PASSAGE = (2, 5)
PASSAGE_BUDGET_CHARS = 650  # below the ingest passage size, so one paragraph stays one passage
MIN_POOL_SENTENCE_CHARS = 40
VECTOR_NOISE = 0.35  # relative noise norm: cosine to the copied sentence's vector ≈ 0.94
QUERY_WORDS = (5, 9)


@dataclass(frozen=True)
class SyntheticArticle:
    slug: str
    title: str
    source: str
    published: str
    paragraphs: tuple[tuple[int, ...], ...]  # pool indices of each paragraph's sentences


@dataclass(frozen=True)
class SentenceSpan:
    pool_index: int
    start: int
    end: int


def sentence_pool(corpus_dir: Path) -> list[str]:
    """The distinct, reasonably long sentences of every readable article in ``corpus_dir``."""
    seen: dict[str, None] = {}
    for path in article_files(corpus_dir):
        try:
            article = read_article(path)
        except ArticleError:
            continue
        for passage in article.passages:
            for sentence in passage.sentences:
                if len(sentence.text) >= MIN_POOL_SENTENCE_CHARS:
                    seen.setdefault(sentence.text, None)
    if not seen:
        raise ValueError(f"no sentences to build a synthetic corpus from in {corpus_dir}")
    return list(seen)


def synthetic_articles(pool: list[str], passages: int, seed: int) -> list[SyntheticArticle]:
    """Articles holding ``passages`` paragraphs in total, reproducible for a given seed."""
    rng = random.Random(seed)
    articles: list[SyntheticArticle] = []
    remaining = passages
    while remaining > 0:
        count = min(remaining, rng.randint(*PASSAGES_PER_ARTICLE))
        paragraphs = tuple(_paragraph(pool, rng) for _ in range(count))
        first = pool[paragraphs[0][0]]
        articles.append(SyntheticArticle(
            slug=f"synthetic-{seed}-{len(articles):06d}",
            title=" ".join(first.split()[:10]).rstrip(",.;:"),
            source=rng.choice(OUTLETS),
            published=(FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS_SPANNED))).isoformat(),
            paragraphs=paragraphs,
        ))
        remaining -= count
    return articles


def _paragraph(pool: list[str], rng: random.Random) -> tuple[int, ...]:
    wanted = rng.randint(*SENTENCES_PER_PASSAGE)
    chosen = [rng.randrange(len(pool))]
    length = len(pool[chosen[0]])
    while len(chosen) < wanted:
        candidate = rng.randrange(len(pool))
        if length + 1 + len(pool[candidate]) > PASSAGE_BUDGET_CHARS:
            break
        chosen.append(candidate)
        length += 1 + len(pool[candidate])
    return tuple(chosen)


def layout(article: SyntheticArticle, pool: list[str]) -> tuple[str, list[list[SentenceSpan]]]:
    """The article body (paragraphs separated by blank lines) and where each sentence sits in it."""
    body = ""
    paragraphs: list[list[SentenceSpan]] = []
    for paragraph in article.paragraphs:
        if body:
            body += "\n\n"
        spans = []
        for position, index in enumerate(paragraph):
            if position:
                body += " "
            spans.append(SentenceSpan(index, len(body), len(body) + len(pool[index])))
            body += pool[index]
        paragraphs.append(spans)
    return body, paragraphs


def write_corpus(folder: Path, articles: list[SyntheticArticle], pool: list[str]) -> list[Path]:
    """One front-matter file per article, as a user's corpus folder would hold them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for article in articles:
        body, _ = layout(article, pool)
        path = folder / f"{article.slug}.txt"
        # JSON strings are valid YAML scalars, so titles with quotes or colons stay intact.
        path.write_text(
            f"---\ntitle: {json.dumps(article.title)}\nsource: {json.dumps(article.source)}\n"
            f"published: {article.published}\n---\n{body}\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def perturbed(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near ``vectors`` (rows), so copies of one sentence are not identical points."""
    noise = rng.standard_normal(vectors.shape).astype(np.float32) * (VECTOR_NOISE / math.sqrt(vectors.shape[1]))
    moved = vectors + noise
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


async def fill_store(corpus: Corpus, pool: list[str], pool_vectors: np.ndarray, passages: int, seed: int) -> int:
    """Write a synthetic corpus of ``passages`` passages through the store API; returns the article count."""
    rng = np.random.default_rng(seed)
    articles = synthetic_articles(pool, passages, seed)
    for article in articles:
        body, paragraphs = layout(article, pool)
        new_passages = [_new_passage(body, spans, pool_vectors, rng) for spans in paragraphs]
        await corpus.replace_article(_record(article, body), new_passages)
    return len(articles)


def _new_passage(body: str, spans: list[SentenceSpan], pool_vectors: np.ndarray,
                 rng: np.random.Generator) -> NewPassage:
    vectors = perturbed(pool_vectors[[s.pool_index for s in spans]], rng)
    mean = vectors.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-12)
    sentences = [NewSentence(s.start, s.end, body[s.start:s.end], v) for s, v in zip(spans, vectors)]
    start, end = spans[0].start, spans[-1].end
    return NewPassage(start, end, body[start:end], mean, sentences)


def _record(article: SyntheticArticle, body: str) -> Article:
    return Article(
        id=article.slug, path=f"synthetic/{article.slug}.txt", content_hash=article.slug, title=article.title,
        source=article.source, published=article.published, url=None, body=body, story_id=article.slug,
    )


def sample_queries(pool: list[str], count: int, seed: int) -> list[str]:
    """Distinct search queries: runs of a few words from random corpus sentences.

    Distinct, so that no cache anywhere on the path can serve a repeat."""
    rng = random.Random(seed)
    queries: dict[str, None] = {}
    attempts = 0
    while len(queries) < count and attempts < count * 50:
        attempts += 1
        tokens = re.findall(r"[\w'’-]+", rng.choice(pool))
        size = rng.randint(*QUERY_WORDS)
        if len(tokens) < size:
            continue
        start = rng.randrange(len(tokens) - size + 1)
        queries.setdefault(" ".join(tokens[start:start + size]), None)
    return list(queries)


def sample_questions(pool: list[str], count: int, seed: int) -> list[str]:
    """Questions the corpus can answer, phrased around a run of words from one of its sentences."""
    return [f"What was reported about {query}?" for query in sample_queries(pool, count, seed)]
