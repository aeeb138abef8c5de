"""A citation: one evidence sentence with its passage and article, as every answer and briefing cites it."""

from __future__ import annotations

from store import Article, Passage, Sentence
from summarizer.results import Citation

# A sentence shorter than this is a dateline, a byline or a caption, not a lead worth quoting.
LEAD_MIN_WORDS = 8


def citation(n: int, sentence: Sentence, passage: Passage, article: Article) -> Citation:
    return Citation(n=n, article_id=article.id, title=article.title, source=article.source,
                    published=article.published, path=article.path, quote=sentence.text, passage=passage.text,
                    url=article.url)
