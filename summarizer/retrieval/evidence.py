"""From ranked passages to the few sentences an answer may rest on, and whether they answer.

Sentences are scored by cosine to the question (and their passage's), how much of the
question's vocabulary (weighted by rarity) they contain, whether they and their article carry
the question's names, and whether they state the kind of thing asked; then picked with MMR so
the evidence does not repeat itself.

Only sentences that meet the question's own constraints (``constraints.py``: its names, its
day, month or year, a figure when one is asked for) where they stand may be evidence. When
none does but related material exists, the answer is ``partial``: that material, cited and
said not to be the answer. Thresholds were set on the calibration part of the development
questions (../shared/eval), where out-of-scope questions are mostly near misses: the same
people at another time, or the same kind of action with another party."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Set
from dataclasses import dataclass

import numpy as np

from store import Article, Corpus, Passage, Sentence
from summarizer.retrieval.constraints import (Constraints, Entity, Period, expand_shorthand, has_figure, month_only_periods,
                                              names_stated, periods_in, read_constraints,
                                              states_answer_kind)
from summarizer.ingest.attribution import QUESTION_SPEAKER
from summarizer.retrieval.places import countries_stated
from summarizer.retrieval.search import Ranked
from summarizer.text import STOPWORDS, content_words, forms_of, stem, word_forms, words

EVIDENCE_SENTENCES = 6
RELATED_KEPT = 3
MMR_LAMBDA = 0.7
LEXICAL_WEIGHT = 0.35
CONTEXT_WEIGHT = 0.3  # a sentence borrows meaning from its passage ("the situation in Myanmar" → which visit)
ARTICLE_KEY_WEIGHT = 0.2  # the question's names found in the sentence's article: ranking, not a constraint
# ... and in the sentence itself or as its speaker: "He called the Quad an 'Asian NATO'" (he: Lavrov)
# answers "What did Lavrov say about the Quad?" better than "Lavrov added that he had held discussions".
SENTENCE_KEY_WEIGHT = 0.15
# A sentence that states what kind of thing is asked (a name for "who", a figure for "how
# much") and the question does not already say, over one that only shares its words.
ANSWER_KIND_WEIGHT = 0.3
# Kinds of answer recognised exactly, so that a sentence without one is known not to answer.
EXACTLY_RECOGNISED_KINDS = frozenset({"country"})
BACKGROUND_NAME_SHARE = 0.1
MIN_SENTENCE_WORDS = 5
MIN_COSINE = 0.30
MIN_RELATED_COSINE = 0.30  # below this, what was found is not even related: a plain refusal
ARTICLE_LEAD_CHARS = 600
SHORT_ARTICLE_CHARS = 6000  # about a thousand words: one story, not a transcript of many
NAME_CASED_SHARE = 0.8
CASING_SAMPLE_PASSAGES = 3
DISTINCTIVE_SHARE = 0.02  # a name in at most 2 % of passages identifies an event


@dataclass(frozen=True, eq=False)  # identity: sentences carry NumPy vectors
class Evidence:
    sentence: Sentence
    passage: Passage
    article: Article
    relevance: float
    unmet: tuple[str, ...] = ()  # the question's constraints this sentence does not meet where it stands


@dataclass(frozen=True)
class Findings:
    """What retrieval found for a question: evidence that meets its constraints (best first,
    without repeats) and, when none does, the closest related sentences, each with what it misses."""

    evidence: list[Evidence]
    related: list[Evidence]
    constraints: Constraints
    question_forms: frozenset[str] = frozenset()
    background: frozenset[str] = frozenset()  # names too common around the question to answer it

    def addresses(self, answer: str) -> bool:
        """Whether an answer states the kind of thing asked — a name not already in the question
        for "who", a figure for "how much", a date for "when". Someone's words are judged on the
        evidence instead: a summary may paraphrase them."""
        kind = self.constraints.answer_kind
        if kind in (None, "words"):
            return True
        return states_answer_kind(kind, answer, self.question_forms, self.background, self.constraints.countries)


@dataclass(frozen=True)
class Support:
    enough: bool
    best_cosine: float
    missing: tuple[str, ...]  # the question's constraints no evidence meets
    related: Evidence | None = None  # the closest material, for "nothing on that; the closest is …"


async def select_evidence(corpus: Corpus, question: str, query_vector: np.ndarray, ranked: list[Ranked],
                          articles: dict[str, Article], limit: int = EVIDENCE_SENTENCES) -> Findings:
    passages = await corpus.passages([r.passage_id for r in ranked])
    passage_cosine = {r.passage_id: r.cosine for r in ranked}
    candidates = [s for s in await corpus.sentences_of(list(passages))
                  if _is_statement(s.text) and s.speaker != QUESTION_SPEAKER]
    counts = await _document_counts(corpus, question)
    constraints = question_constraints(question, counts, await _casing_sample(corpus, question, counts, passages))
    if not candidates:
        return Findings([], [], constraints)
    total = max(1, await corpus.passage_count())
    weights = term_weights(question, counts, total)
    question_forms = word_forms(question)
    background = _background_names(candidates)
    vectors = np.vstack([s.embedding for s in candidates])
    passage_forms = {pid: forms_of(p.text) for pid, p in passages.items()}
    distinctive = await _distinctive_entities(corpus, constraints, counts, total)
    # The question's names in each retrieved passage with its headline (a passage of an interview
    # names "Nord Stream 2", its headline "Der Spiegel"), read once for every candidate's bridges.
    named_together = [frozenset(e for e in constraints.entities
                                if e.found_in(forms | forms_of(articles[passages[pid].article_id].title)))
                      for pid, forms in passage_forms.items()]
    surroundings = {pid: _surroundings(forms, articles[passages[pid].article_id])
                    for pid, forms in passage_forms.items()}
    unmet = [_unmet(constraints, s, surroundings[s.passage_id], articles[s.article_id], distinctive, named_together)
             for s in candidates]
    article_share = {a: _entity_share(constraints, _article_forms(articles[a])) for a in {s.article_id for s in candidates}}
    states_asked = [_states_what_is_asked(constraints, s, question_forms, background) for s in candidates]
    relevance = (1 - CONTEXT_WEIGHT) * (vectors @ query_vector) + np.array([
        CONTEXT_WEIGHT * passage_cosine[s.passage_id]
        + LEXICAL_WEIGHT * _weighted_coverage(weights, forms_of(s.text))
        + ARTICLE_KEY_WEIGHT * article_share[s.article_id]
        + SENTENCE_KEY_WEIGHT * _entity_share(constraints, forms_of(s.text) | forms_of(_speaker(s)))
        + ANSWER_KIND_WEIGHT * asked
        for s, asked in zip(candidates, states_asked)])

    def evidence(i: int) -> Evidence:
        s = candidates[i]
        return Evidence(s, passages[s.passage_id], articles[s.article_id], float(relevance[i]), unmet[i])

    meeting = [i for i in range(len(candidates)) if not unmet[i]]
    if constraints.answer_kind in EXACTLY_RECOGNISED_KINDS:
        # A sentence naming no country cannot say which country: those that do go first.
        ranks = [[i for i in meeting if states_asked[i]], [i for i in meeting if not states_asked[i]]]
    else:
        ranks = [meeting]
    chosen: list[int] = []
    for rank in ranks:
        if rank and len(chosen) < limit:
            chosen += [rank[i] for i in _mmr(relevance[rank], vectors[rank], limit - len(chosen))]
    # The closest material misses the fewest of the question's constraints, then is the most relevant.
    others = sorted((i for i in range(len(candidates)) if unmet[i]), key=lambda i: (len(unmet[i]), -relevance[i]))
    return Findings([evidence(i) for i in chosen], [evidence(i) for i in others[:RELATED_KEPT]], constraints,
                    frozenset(question_forms), frozenset(background))


async def _document_counts(corpus: Corpus, question: str) -> dict[str, int]:
    """How many passages hold each word of the question (one FTS5 count each), read once for
    the names, the rarity weights and what the corpus has never seen."""
    return await corpus.term_document_counts(sorted(set(_question_vocabulary(question)) | set(content_words(question))))


def _question_vocabulary(question: str) -> list[str]:
    return [w for w in dict.fromkeys(re.sub(r"['’]s$", "", w.lower()) for w in words(expand_shorthand(question)))
            if w not in STOPWORDS and not any(ch.isdigit() for ch in w)]


async def _casing_sample(corpus: Corpus, question: str, counts: dict[str, int],
                         retrieved: dict[int, Passage]) -> list[str]:
    """Where to see how the corpus writes the question's words: the retrieved passages, and a few
    holding each word they lack ("kamilov" typed in chat, when the retrieved passages are other
    calls): a name retrieval missed is still a name, and still a constraint."""
    texts = [p.text for p in retrieved.values()]
    seen = " ".join(texts).lower()
    lacking = [w for w in _question_vocabulary(question) if counts.get(w, 0) and w not in seen]
    holding: list[int] = []
    for word in lacking:
        holding += [pid for pid, _ in await corpus.fts_passages(word, CASING_SAMPLE_PASSAGES) if pid not in retrieved]
    return texts + [p.text for p in (await corpus.passages(holding)).values()]


def question_constraints(question: str, counts: dict[str, int], sample: list[str]) -> Constraints:
    """The question's constraints, with names told apart by how the corpus itself writes them
    (judged on ``sample``, the passages retrieved for the question, which hold its words)."""
    vocabulary = _question_vocabulary(question)
    known = {w for w in vocabulary if counts.get(w, 0) > 0}
    known |= {stem(w) for w in known}
    cased = _written_capitalised([w for w in vocabulary if w in known], sample)
    return read_constraints(question, corpus_cased=cased, corpus_known=known)


def _written_capitalised(terms: list[str], texts: list[str]) -> set[str]:
    """The terms ``texts`` write with a capital letter inside sentences ("Belarus", "Ryanair")."""
    cased = set()
    for term in terms:
        capitalised = lower = 0
        pattern = re.compile(rf"(?<![\w'’])({re.escape(term)})(?![\w'’])", re.IGNORECASE)
        for text in texts:
            for match in pattern.finditer(text):
                before = text[:match.start()].rstrip(" \"“‘(")
                if not before or before[-1] in ".!?:":
                    continue  # capitalised by position
                if match.group(1)[:1].isupper():
                    capitalised += 1
                else:
                    lower += 1
        if capitalised and capitalised >= NAME_CASED_SHARE * (capitalised + lower):
            cased.add(term)
    return cased


def _states_what_is_asked(constraints: Constraints, sentence: Sentence, question_forms: set[str],
                          background: set[str]) -> bool:
    """Whether the sentence states the kind of thing asked. For someone's words, they must be the
    asked person's: Wang Yi's words do not answer what Lavrov said."""
    kind = constraints.answer_kind
    if kind != "words":
        return states_answer_kind(kind, sentence.text, question_forms, background, constraints.countries)
    if sentence.speaker and not (word_forms(sentence.speaker) & question_forms):
        return False
    return sentence.verbatim or states_answer_kind(kind, sentence.text, question_forms, background)


def _background_names(candidates: list[Sentence]) -> set[str]:
    """Names and countries in a large share of the candidate sentences ("United States" in State
    Department releases, Russia and India in reports of their talks): present everywhere, they
    tell no answer apart."""
    counts: dict[str, int] = {}
    for s in candidates:
        for name in names_stated(s.text) | countries_stated(s.text):
            counts[name] = counts.get(name, 0) + 1
    return {name for name, n in counts.items() if n > BACKGROUND_NAME_SHARE * len(candidates)}


def _speaker(sentence: Sentence) -> str:
    """Who speaks in the sentence, as attributed at ingest ("he" resolved), or nothing."""
    return sentence.speaker or ""


def _entity_share(constraints: Constraints, forms: set[str]) -> float:
    if not constraints.entities:
        return 1.0
    return sum(e.found_in(forms) for e in constraints.entities) / len(constraints.entities)


async def _distinctive_entities(corpus: Corpus, constraints: Constraints, counts: dict[str, int],
                                total: int) -> list[Entity]:
    """The question's names that few passages mention: enough to tie two passages to one event."""
    if not constraints.entities:
        return []
    heads = {e: e.parts[-1] for e in constraints.entities}
    unread = [h for h in dict.fromkeys(heads.values()) if h not in counts]
    counts = counts | await corpus.term_document_counts(unread) if unread else counts
    # A name no passage holds may still be in headlines ("Der Spiegel"): the most distinctive of all.
    return [e for e, head in heads.items() if counts.get(head, 0) <= DISTINCTIVE_SHARE * total]


def _surroundings(passage_forms: set[str], article: Article) -> frozenset[str] | set[str]:
    """Where a sentence's names may be: its article when that is a single news story (short);
    its passage, headline and lead when the article is long (a briefing transcript covers a
    dozen topics)."""
    if len(article.body) <= SHORT_ARTICLE_CHARS:
        return _article_forms(article)
    return passage_forms | _article_head_forms(article)


def _unmet(constraints: Constraints, sentence: Sentence, surroundings: Set[str], article: Article,
           distinctive: list[Entity], named_together: list[frozenset[Entity]]) -> tuple[str, ...]:
    """The constraints ``sentence`` fails where it stands: a name must be in its surroundings or
    be its speaker, and so must the occasion asked about (a visit, a call); a time must be the
    article's date (give or take the week of reporting) or a date the sentence itself states.

    Questions often name an event more fully than any one report does ("Ryanair flight FR4978"
    where a statement says only "flight FR4978"). A name missing here is still met when a
    retrieved passage names it together with a distinctive name this sentence does carry; a
    near miss ("Pfizer doses to Moldova" where Moldova got Johnson & Johnson) has no such bridge."""
    speaker = _speaker(sentence)
    local = surroundings | forms_of(speaker) if speaker else surroundings
    carried = frozenset(e for e in distinctive if e.found_in(local))
    missing = [e.text for e in constraints.entities if not e.found_in(local)
               and not any(e in names and not names.isdisjoint(carried) for names in named_together)]
    missing += [o.text for o in constraints.occasions if not o.found_in(local)]
    if constraints.periods and not _in_period(constraints.periods, sentence.text, article):
        missing.append(" ".join(p.text for p in constraints.periods))
    if constraints.wants_quantity and not has_figure(sentence.text):
        missing.append("a figure")
    return tuple(missing)


def _in_period(periods: tuple[Period, ...], text: str, article: Article) -> bool:
    published = dt.date.fromisoformat(article.published) if article.published else None
    stated, rest = periods_in(text, default_year=published.year if published else None)
    stated += month_only_periods(rest, published.year if published else None)
    for period in periods:
        if published is not None and period.reported_on(published):
            continue
        if any(_overlap(period, s) for s in stated):
            continue
        return False
    return True


def _overlap(asked: Period, stated: Period) -> bool:
    """A stated time no broader than the asked one, within it: "in the first months of 2021"
    does not place anything in January 2021."""
    if (stated.end - stated.start) > (asked.end - asked.start):
        return False
    if asked.year_known and stated.year_known:
        return asked.start <= stated.end and stated.start <= asked.end
    return any(asked.covers(stated.start + dt.timedelta(days=d)) for d in range((stated.end - stated.start).days + 1)) \
        if not asked.year_known else stated.covers(asked.start) or stated.covers(asked.end)


@functools.lru_cache(maxsize=4096)
def _article_forms(article: Article) -> frozenset[str]:
    return frozenset(word_forms(f"{article.title} {article.source or ''} {article.body}"))


@functools.lru_cache(maxsize=4096)
def _article_head_forms(article: Article) -> frozenset[str]:
    """What an article says of itself up front: headline, outlet and first lines."""
    return frozenset(word_forms(f"{article.title} {article.source or ''} {article.body[:ARTICLE_LEAD_CHARS]}"))


def term_weights(question: str, counts: dict[str, int], total: int) -> dict[str, float]:
    """IDF of each content word of the question over the corpus's passages."""
    return {t: math.log((total + 1) / (counts.get(t, 0) + 1)) + 1.0 for t in sorted(set(content_words(question)))}


def _is_statement(text: str) -> bool:
    """A full sentence, not a heading, a label or a question (nor is anything a journalist says
    in a briefing transcript evidence: ``QUESTION_SPEAKER``)."""
    stripped = text.rstrip().rstrip("\"”’)")
    return (len(words(text)) >= MIN_SENTENCE_WORDS and text.rstrip()[-1:] in ".!\"”’)"
            and not stripped.endswith("?") and not text.lstrip().upper().startswith("QUESTION:"))


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


def assess_support(findings: Findings, query_vector: np.ndarray) -> Support:
    """Enough when some evidence meets every constraint and is close enough in meaning; when
    only related material exists, that material is offered as ``related`` and never as the answer."""
    if not findings.evidence:
        related = findings.related[0] if findings.related else None
        cosine = float(related.sentence.embedding @ query_vector) if related else 0.0
        missing = related.unmet if related else ()
        return Support(False, cosine, missing, related if cosine >= MIN_RELATED_COSINE else None)
    best_cosine = max(float(e.sentence.embedding @ query_vector) for e in findings.evidence)
    enough = best_cosine >= MIN_COSINE
    return Support(enough, best_cosine, (), None if enough else findings.evidence[0])
