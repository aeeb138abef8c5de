"""Plain text for the terminal (``briefbot ask``, ``briefbot chat``).

Must not import discord, directly or through another module: the terminal never needs it.
"""

from __future__ import annotations

from typing import Sequence

from bot.render.labels import answer_footer, sources_count
from bot.render.safety import clean
from summarizer.results import Answer, Citation, Digest, Quote, SearchHit, SourceInfo, TimelineEvent


def format_answer_text(answer: Answer) -> str:
    lines = [clean(answer.answer)]
    if answer.mode == "refused" and answer.closest_topics:
        lines += ["", "The closest topics I know about:"] + [f"  • {clean(t)}" for t in answer.closest_topics]
    if answer.citations:
        lines += ["", "Sources:"] + [_citation_text(c) for c in answer.citations]
    lines += ["", f"({answer_footer(answer)})"]
    return "\n".join(lines)


def _source_text(c: Citation) -> str:
    return f"  [{c.n}] {clean(c.source or 'Unknown outlet')} — {clean(c.title)} ({c.published or 'undated'})"


def _citation_text(c: Citation) -> str:
    link = f"\n      {clean(c.url)}" if c.url else ""
    return f"{_source_text(c)}{link}\n      “{clean(c.quote)}”"


def format_search_text(hits: Sequence[SearchHit]) -> str:
    if not hits:
        return "No passages match that search."
    return "\n\n".join(f"{n}. {clean(h.title)} — {clean(h.source or 'Unknown outlet')}, {h.published or 'undated'} "
                       f"[{h.article_id}] (score {h.score:.2f})\n   {clean(h.text)}" for n, h in enumerate(hits, 1))


def format_sources_text(infos: Sequence[SourceInfo]) -> str:
    if not infos:
        return "The corpus is empty. Add articles with: briefbot ingest PATH"
    rows = [f"{i.published or 'undated':<10}  {clean(i.source or 'Unknown outlet'):<20}  {clean(i.title)}  "
            f"[{i.article_id}, {i.passages} passages]" for i in infos]
    return "\n".join([f"{len(infos)} articles:"] + rows)


def format_digest_text(digest: Digest) -> str:
    if digest.date is None:
        return "The corpus holds no dated articles yet."
    if not digest.stories:
        return f"No articles on {digest.date}."
    blocks = [f"Daily digest — {digest.date}"]
    for story in digest.stories:
        sources = "\n".join(_citation_text(c) for c in story.citations)
        notes = "".join(f"  {clean(note)}\n" for note in story.disagreements)
        blocks.append(f"• {clean(story.headline)} ({sources_count(story.source_count)})\n"
                      f"  {clean(story.summary)}\n{notes}{sources}")
    return "\n\n".join(blocks)


def format_quotes_text(speaker: str, quotes: Sequence[Quote]) -> str:
    if not quotes:
        return f"I found no quotes from {clean(speaker)} in the corpus."
    return "\n\n".join(f"“{clean(q.text)}”\n{_source_text(q.citation)}" for q in quotes)


def format_timeline_text(topic: str, events: Sequence[TimelineEvent]) -> str:
    if not events:
        return "Nothing in the corpus on that topic."
    return "\n".join(f"{e.date or 'undated'}  {clean(e.text)} [{e.citation.n}] — "
                     f"{clean(e.citation.source or 'Unknown outlet')}" for e in events)
