"""A story's summary written by the answer model: who did what, and when, in one or two
sentences, cited and verified exactly as answers are (``answerer.build_messages``,
``verify.check_answer``, ``answerer.verified_answer``).

The evidence is a handful of the story's key sentences: among each article's opening full
sentences, those closest to what all its articles say (the mean of the articles' mean
vectors, so each outlet weighs the same), without repeats, in reading order. An outlet's
first sentence is often scene-setting ("India's perfect balancing act … is driving this
week's bonhomie"); the sentence that says what happened is usually among the next few, and
it is the one other outlets also report."""

from __future__ import annotations

import logging

import numpy as np

from store import Article, Corpus, Sentence
from summarizer.answering.answerer import MAX_NEW_TOKENS, provenance, build_messages, verified_answer
from summarizer.answering.model_slot import ModelSlot
from summarizer.answering.verify import check_answer
from summarizer.citations import LEAD_MIN_WORDS, citation
from summarizer.results import Citation
from summarizer.retrieval.evidence import Evidence
from summarizer.text import words

log = logging.getLogger(__name__)

OPENING_SENTENCES = 4  # per article: where newsrooms put who did what
EVIDENCE_SENTENCES = 5
SUMMARY_SENTENCES = 2
REPEAT_COSINE = 0.8


def story_question(headline: str) -> str:
    """The request put to the model in the answer prompt's question slot."""
    return f"In one or two sentences: who did what, and when, in “{headline}”?"


async def story_evidence(corpus: Corpus, members: list[Article]) -> list[Evidence]:
    sentences = await corpus.sentences_of_articles([a.id for a in members])
    openings = []
    for article in members:
        full = [s for s in sentences if s.article_id == article.id and len(words(s.text)) >= LEAD_MIN_WORDS]
        openings.extend(full[:OPENING_SENTENCES])
    if not openings:
        return []
    chosen = _key_sentences(openings)
    passages = await corpus.passages([s.passage_id for s in chosen])
    by_id = {a.id: a for a in members}
    return [Evidence(s, passages[s.passage_id], by_id[s.article_id], 0.0) for s in chosen]


def _key_sentences(openings: list[Sentence]) -> list[Sentence]:
    vectors = np.vstack([s.embedding for s in openings])
    article_means = [vectors[[i for i, s in enumerate(openings) if s.article_id == a]].mean(axis=0)
                     for a in dict.fromkeys(s.article_id for s in openings)]
    centre = np.mean(article_means, axis=0)
    order = np.argsort(-(vectors @ centre), kind="stable")
    picked: list[int] = []
    for i in order:
        if all(float(vectors[i] @ vectors[j]) < REPEAT_COSINE for j in picked):
            picked.append(int(i))
        if len(picked) == EVIDENCE_SENTENCES:
            break
    return [openings[i] for i in sorted(picked)]  # reading order: the model sees the story as told


async def written_summary(models: ModelSlot, headline: str,
                          evidence: list[Evidence]) -> tuple[str, list[Citation]] | None:
    """The model's summary with its citations, or None when none of it survives verification.
    Raises ModelUnavailable when the model cannot write (down, crashed, too slow)."""
    if not evidence:
        return None
    generation = await models.generate(build_messages(story_question(headline), evidence), MAX_NEW_TOKENS)
    checked = check_answer(generation.text, [e.sentence.text for e in evidence],
                           [provenance(e.article) for e in evidence])
    # A digest line is one or two sentences; the answer's own word budget applies on top. The
    # dropped sentences go along only to be logged as answers' are.
    kept = [c for c in checked if c.supported][:SUMMARY_SENTENCES]
    body, cited = verified_answer([c for c in checked if not c.supported] + kept, evidence)
    if not body:
        log.info("the digest summary of %r failed verification; quoting leads instead: %r",
                 headline, generation.text[:200])
        return None
    return body, [citation(n, e.sentence, e.passage, e.article) for n, e in enumerate(cited, 1)]
