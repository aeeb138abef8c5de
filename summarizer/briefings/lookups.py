"""Lookups that need no model: the corpus list, one article, who said what, and timelines.

All of them quote the corpus verbatim, so they are exact by construction."""

from __future__ import annotations

import re

from store import Article, Corpus, Sentence
from summarizer.citations import LEAD_MIN_WORDS, citation
from summarizer.results import ArticleBrief, Quote, SourceInfo, TimelineEvent
from summarizer.retrieval.search import SearchIndex
from summarizer.text import clean_text, words

LEAD_SENTENCES = 2
QUOTE_CANDIDATE_PASSAGES = 40
TIMELINE_CANDIDATE_PASSAGES = 30
TIMELINE_MIN_COSINE = 0.25
SPEECH = re.compile(r"[\"“”]|\b(said|says|told|stated|added|tweeted|wrote|remarked|noted|stressed|asserted|"
                    r"underlined|emphasi[sz]ed|described|called)\b", re.IGNORECASE)


async def source_infos(corpus: Corpus) -> list[SourceInfo]:
    counts = await corpus.passage_counts()
    articles = await corpus.articles()
    return [_info(a, counts.get(a.id, 0)) for a in articles]


async def article_brief(corpus: Corpus, id_or_title: str) -> ArticleBrief | None:
    wanted = clean_text(id_or_title).casefold()
    if not wanted:
        return None
    articles = await corpus.articles()
    match = (next((a for a in articles if a.id.casefold() == wanted), None)
             or next((a for a in articles if a.title.casefold() == wanted), None)
             or next((a for a in articles if wanted in a.title.casefold() or a.id.casefold().startswith(wanted)),
                     None))
    if match is None:
        return None
    counts = await corpus.passage_counts()
    sentences = await corpus.sentences_of_articles([match.id])
    lead = [s.text for s in sentences if len(words(s.text)) >= LEAD_MIN_WORDS][:LEAD_SENTENCES]
    siblings = [_info(a, counts.get(a.id, 0)) for a in articles
                if a.story_id == match.story_id and a.id != match.id]
    return ArticleBrief(_info(match, counts.get(match.id, 0)), " ".join(lead), siblings)


async def find_quotes(corpus: Corpus, index: SearchIndex, speaker: str, topic: str | None,
                      *, limit: int = 5) -> list[Quote]:
    """Sentences in which ``speaker`` speaks: they name the speaker (or continue a passage that
    does) and carry quotation marks or a verb of speech. Ordered by closeness to ``topic``."""
    surname = _surname(speaker)
    if not surname:
        return []
    ranked, query_vector = await index.rank(f"{speaker} {topic or ''} said".strip(),
                                            limit=QUOTE_CANDIDATE_PASSAGES)
    passages = await corpus.passages([r.passage_id for r in ranked])
    speaking = [
        s for s in await corpus.sentences_of(list(passages))
        if SPEECH.search(s.text) and _names(s.text, surname)
        or (_has_quotation(s.text) and _names(passages[s.passage_id].text, surname))
    ]
    if topic:
        speaking.sort(key=lambda s: -float(s.embedding @ query_vector))
    unique = list({s.text: s for s in speaking}.values())[:limit]
    return [Quote(speaker, s.text, citation(n, s, passages[s.passage_id], index.articles[s.article_id]))
            for n, s in enumerate(unique, 1)]


async def timeline(corpus: Corpus, index: SearchIndex, topic: str, *, limit: int = 10) -> list[TimelineEvent]:
    """The sentences most about ``topic``, at most two per article, in date order."""
    ranked, query_vector = await index.rank(topic, limit=TIMELINE_CANDIDATE_PASSAGES)
    passages = await corpus.passages([r.passage_id for r in ranked])
    sentences = [s for s in await corpus.sentences_of(list(passages)) if len(words(s.text)) >= LEAD_MIN_WORDS]
    scored = sorted(sentences, key=lambda s: -float(s.embedding @ query_vector))
    per_article: dict[str, int] = {}
    chosen: list[Sentence] = []
    for s in scored:
        if float(s.embedding @ query_vector) < TIMELINE_MIN_COSINE or len(chosen) >= limit:
            break
        if per_article.get(s.article_id, 0) < 2:
            per_article[s.article_id] = per_article.get(s.article_id, 0) + 1
            chosen.append(s)
    chosen.sort(key=lambda s: (index.articles[s.article_id].published or "9999", s.article_id, s.start))
    return [TimelineEvent(index.articles[s.article_id].published, s.text,
                          citation(n, s, passages[s.passage_id], index.articles[s.article_id]))
            for n, s in enumerate(chosen, 1)]


def _info(article: Article, passages: int) -> SourceInfo:
    return SourceInfo(article_id=article.id, title=article.title, source=article.source,
                      published=article.published, url=article.url, path=article.path,
                      story_id=article.story_id, passages=passages)


def _surname(speaker: str) -> str:
    names = [w for w in words(clean_text(speaker)) if len(w) > 1]
    return names[-1] if names else ""


def _names(text: str, surname: str) -> bool:
    return re.search(rf"\b{re.escape(surname)}", text, re.IGNORECASE) is not None


def _has_quotation(text: str) -> bool:
    return bool(re.search(r"[\"“”]", text))
