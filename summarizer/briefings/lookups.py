"""Lookups that need no model: the corpus list, one article, who said what, and timelines.

All of them quote the corpus verbatim, so they are exact by construction."""

from __future__ import annotations

from store import Article, Corpus, Sentence
from summarizer.citations import LEAD_MIN_WORDS, citation
from summarizer.ingest.attribution import verbatim_words
from summarizer.results import ArticleBrief, Quote, SourceInfo, TimelineEvent
from summarizer.retrieval.evidence import Evidence, select_evidence
from summarizer.retrieval.search import SearchIndex
from summarizer.text import clean_text, words

LEAD_SENTENCES = 2
TIMELINE_CANDIDATE_PASSAGES = 30
TIMELINE_MIN_COSINE = 0.25


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
    """The own words of ``speaker`` (matched by surname): sentences attributed to them at ingest
    that quote them or are their transcript turns, never reported speech or another person's
    words that merely name them. Closest to ``topic`` first; without one, newest article first."""
    surname = _surname(speaker)
    if not surname:
        return []
    sentences = await corpus.verbatim_sentences(surname)
    if not sentences:
        return []
    await index.ensure_fresh()
    if topic and topic.strip():
        query_vector = await index.embed(f"{speaker} {topic}")
        sentences.sort(key=lambda s: -float(s.embedding @ query_vector))
    else:
        sentences.sort(key=lambda s: index.articles[s.article_id].published or "", reverse=True)  # stable
    unique: dict[str, Sentence] = {}
    for s in sentences:  # the same words reported twice (a syndicated copy) are listed once
        unique.setdefault(verbatim_words(s.text), s)
        if len(unique) == limit:
            break
    passages = await corpus.passages([s.passage_id for s in unique.values()])
    return [Quote(speaker, words, citation(n, s, passages[s.passage_id], index.articles[s.article_id]))
            for n, (words, s) in enumerate(unique.items(), 1)]


async def timeline(corpus: Corpus, index: SearchIndex, topic: str, *, limit: int = 10) -> list[TimelineEvent]:
    """The sentences most about ``topic``, at most two per article, in date order. Like evidence
    for an answer, a sentence must meet the topic's own names and times where it stands: a topic
    the corpus lacks ("World Cup") gets no timeline rather than its nearest neighbours."""
    ranked, query_vector = await index.rank(topic, limit=TIMELINE_CANDIDATE_PASSAGES)
    findings = await select_evidence(corpus, topic, query_vector, ranked, index.articles,
                                     limit=TIMELINE_CANDIDATE_PASSAGES)
    scored = sorted((e for e in findings.evidence if len(words(e.sentence.text)) >= LEAD_MIN_WORDS),
                    key=lambda e: -float(e.sentence.embedding @ query_vector))
    per_article: dict[str, int] = {}
    chosen: list[Evidence] = []
    for e in scored:
        if float(e.sentence.embedding @ query_vector) < TIMELINE_MIN_COSINE or len(chosen) >= limit:
            break
        if per_article.get(e.article.id, 0) < 2:
            per_article[e.article.id] = per_article.get(e.article.id, 0) + 1
            chosen.append(e)
    chosen.sort(key=lambda e: (e.article.published or "9999", e.article.id, e.sentence.start))
    return [TimelineEvent(e.article.published, e.sentence.text, citation(n, e.sentence, e.passage, e.article))
            for n, e in enumerate(chosen, 1)]


def _info(article: Article, passages: int) -> SourceInfo:
    return SourceInfo(article_id=article.id, title=article.title, source=article.source,
                      published=article.published, url=article.url, path=article.path,
                      story_id=article.story_id, passages=passages)


def _surname(speaker: str) -> str:
    names = [w for w in words(clean_text(speaker)) if len(w) > 1]
    return names[-1] if names else ""
