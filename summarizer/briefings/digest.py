"""The daily digest: a day's articles grouped into stories, each summarised by its lead
sentences, quoted verbatim and cited ("2 sources" when several outlets covered it).

Leads are what newsrooms write to summarise a story, and quoting them keeps the digest
exact and instant; the model is reserved for answering questions."""

from __future__ import annotations

import numpy as np

from store import Article, Corpus
from summarizer.citations import LEAD_MIN_WORDS, citation
from summarizer.results import Digest, DigestStory
from summarizer.text import words

SUMMARY_MAX_WORDS = 70
REDUNDANT_COSINE = 0.8


async def build_digest(corpus: Corpus, day: str | None = None) -> Digest:
    day = day or await corpus.latest_day()
    if day is None:
        return Digest(None, [])
    articles = await corpus.articles(day=day)
    stories: dict[str, list[Article]] = {}
    for article in sorted(articles, key=lambda a: a.id):
        stories.setdefault(article.story_id, []).append(article)
    return Digest(day, [await _story(corpus, members) for members in stories.values()])


async def _story(corpus: Corpus, members: list[Article]) -> DigestStory:
    """One lead sentence per article, skipping leads that repeat an earlier one."""
    sentences = await corpus.sentences_of_articles([a.id for a in members])
    by_id = {a.id: a for a in members}
    leads = []
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
    passages = await corpus.passages([s.passage_id for s in leads])
    citations = [citation(n, s, passages[s.passage_id], by_id[s.article_id]) for n, s in enumerate(leads, 1)]
    summary = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return DigestStory(headline=members[0].title, summary=summary, citations=citations,
                       article_ids=[a.id for a in members])
