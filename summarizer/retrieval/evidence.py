"""From ranked passages to the few sentences an answer may rest on, and whether they suffice.

Sentences are scored by cosine to the question plus how much of the question's
vocabulary (weighted by rarity in the corpus) they contain, then picked with MMR so the
evidence does not repeat itself.

Refusal is a calibrated threshold on the evidence, not a keyword list. The question's key
terms — names, numbers, dates — must be found in the articles the evidence comes from
(text or metadata), and the best sentence must be close enough in meaning. Thresholds
were set on the development questions (../shared/eval), where out-of-scope questions are
often near misses: the same people at another event, so a date the articles do not
or number
mention is decisive."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Set
from dataclasses import dataclass

import numpy as np

from store import Article, Corpus, Passage, Sentence
from summarizer.retrieval.search import Ranked
from summarizer.text import STOPWORDS, content_words, stem, word_forms, words

EVIDENCE_SENTENCES = 6
MMR_LAMBDA = 0.7
LEXICAL_WEIGHT = 0.35
CONTEXT_WEIGHT = 0.3  # a sentence borrows meaning from its passage ("the situation in Myanmar" → which visit)
ARTICLE_KEY_WEIGHT = 0.2  # names and dates of the question found in the sentence's article
MIN_SENTENCE_WORDS = 5
MIN_COSINE = 0.30
MIN_KEY_COVERAGE = 0.75
MONTHS = {m.lower() for m in ("January February March April May June July August September October November"
                              " December").split()}


@dataclass(frozen=True, eq=False)  # identity: sentences carry NumPy vectors
class Evidence:
    sentence: Sentence
    passage: Passage
    article: Article
    relevance: float


@dataclass(frozen=True)
class Support:
    enough: bool
    best_cosine: float
    key_coverage: float
    missing: tuple[str, ...]  # key terms of the question the evidence lacks


async def select_evidence(corpus: Corpus, question: str, query_vector: np.ndarray, ranked: list[Ranked],
                          articles: dict[str, Article], limit: int = EVIDENCE_SENTENCES) -> list[Evidence]:
    passages = await corpus.passages([r.passage_id for r in ranked])
    passage_cosine = {r.passage_id: r.cosine for r in ranked}
    candidates = [s for s in await corpus.sentences_of(list(passages)) if _is_statement(s.text)]
    if not candidates:
        return []
    weights = await term_weights(corpus, question)
    keys = key_terms(question)
    article_match = {a: _key_coverage(keys, _article_forms(articles[a])) for a in {s.article_id for s in candidates}}
    vectors = np.vstack([s.embedding for s in candidates])
    relevance = (1 - CONTEXT_WEIGHT) * (vectors @ query_vector) + np.array([
        CONTEXT_WEIGHT * passage_cosine[s.passage_id]
        + LEXICAL_WEIGHT * _weighted_coverage(weights, word_forms(s.text)) + ARTICLE_KEY_WEIGHT * article_match[s.article_id]
        for s in candidates])
    chosen = _mmr(relevance, vectors, limit)
    return [Evidence(candidates[i], passages[candidates[i].passage_id], articles[candidates[i].article_id],
                     float(relevance[i])) for i in chosen]


async def term_weights(corpus: Corpus, question: str) -> dict[str, float]:
    """IDF of each content word of the question over the corpus's passages."""
    terms = sorted(set(content_words(question)))
    if not terms:
        return {}
    counts = await corpus.term_document_counts(terms)
    total = max(1, await corpus.passage_count())
    return {t: math.log((total + 1) / (counts.get(t, 0) + 1)) + 1.0 for t in terms}


def _is_statement(text: str) -> bool:
    """A full sentence, not a heading or a label."""
    return len(words(text)) >= MIN_SENTENCE_WORDS and text.rstrip()[-1:] in ".!?\"”’)"


def _weighted_coverage(weights: dict[str, float], forms: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in forms) / total if total else 0.0


def _mmr(relevance: np.ndarray, vectors: np.ndarray, limit: int) -> list[int]:
    chosen: list[int] = []
    remaining = list(range(len(relevance)))
    while remaining and len(chosen) < limit:
        if chosen:
            redundancy = (vectors[remaining] @ vectors[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(remaining))
        scores = MMR_LAMBDA * relevance[remaining] - (1 - MMR_LAMBDA) * redundancy
        pick = remaining[int(np.argmax(scores))]
        chosen.append(pick)
        remaining.remove(pick)
    return chosen


def assess_support(question: str, query_vector: np.ndarray, evidence: list[Evidence]) -> Support:
    if not evidence:
        return Support(False, 0.0, 0.0, ())
    best_cosine = max(float(e.sentence.embedding @ query_vector) for e in evidence)
    known = set()
    for article in {e.article.id: e.article for e in evidence}.values():
        known |= _article_forms(article)
    keys = key_terms(question)
    missing = tuple(k for k in keys if not _term_known(k, known))
    coverage = _key_coverage(keys, known)
    exact_missing = any(_must_match(k) for k in missing)
    enough = best_cosine >= MIN_COSINE and coverage >= MIN_KEY_COVERAGE and not exact_missing
    return Support(enough, best_cosine, coverage, missing)


def key_terms(question: str) -> list[str]:
    """Names, numbers and dates: capitalised words not opening the question, and anything with a digit."""
    terms = []
    tokens = list(re.finditer(r"[^\W_]+(?:[-'’.+][^\W_]+)*", question))
    for i, match in enumerate(tokens):
        token = re.sub(r"['’]s$", "", match.group(0))
        lower = token.lower()
        has_digit = any(ch.isdigit() for ch in token)
        capitalised = token[:1].isupper() and i > 0
        if lower in STOPWORDS and not has_digit:
            continue
        if has_digit or capitalised:
            terms.append(token)
    return list(dict.fromkeys(terms))


def _key_coverage(keys: list[str], forms: Set[str]) -> float:
    return sum(_term_known(k, forms) for k in keys) / len(keys) if keys else 1.0


@functools.lru_cache(maxsize=4096)
def _article_forms(article: Article) -> frozenset[str]:
    forms = word_forms(f"{article.title} {article.source or ''} {article.body}")
    if article.published:
        day = dt.date.fromisoformat(article.published)
        forms |= {day.strftime("%B").lower(), str(day.year), str(day.day)}
    return frozenset(forms)


def _term_known(term: str, forms: Set[str]) -> bool:
    lower = term.lower()
    if lower in forms or stem(term) in forms:
        return True
    parts = [p for p in re.split(r"[-.+]", lower) if p]
    return len(parts) > 1 and all(p in forms or stem(p) in forms for p in parts)


def _must_match(term: str) -> bool:
    """Dates and numbers pin a question to one event; a near miss on them is another event."""
    return term.lower() in MONTHS or any(ch.isdigit() for ch in term)
