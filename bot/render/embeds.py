"""The Discord embeds for each engine result, every one packed to fit Discord's limits."""

from __future__ import annotations

from typing import Sequence

import discord

from bot.render.labels import MODE_LABELS, answer_footer, sources_count
from bot.render.limits import (
    CONTENT_LIMIT, CONTINUED, FIELD_VALUE_LIMIT, LIST_COLOUR, Field, escape, pack_embeds, pages, unescape,
)
from bot.render.safety import ELLIPSIS, truncate
from summarizer.ingest.pipeline import IngestReport
from summarizer.results import (
    Answer, ArticleBrief, Citation, Digest, EngineStats, Quote, SearchHit, SourceInfo, TimelineEvent,
)

MODE_COLOURS = {"generated": discord.Colour.blurple(), "extractive": discord.Colour.teal(),
                "partial": discord.Colour.gold(), "refused": discord.Colour.light_grey()}


# -- answers ----------------------------------------------------------------------------------

def answer_embeds(answer: Answer) -> list[discord.Embed]:
    """The answer with its sources; more than one embed when it is long."""
    body = escape(answer.answer)
    if answer.mode == "refused" and answer.closest_topics:
        topics = "\n".join(f"• {escape(t)}" for t in answer.closest_topics)
        body += f"\n\nThe closest topics I know about:\n{topics}"
    fields = [_citation_field(c) for c in answer.citations]
    return pack_embeds(escape(answer.question), body, fields, footer=answer_footer(answer),
                       colour=MODE_COLOURS.get(answer.mode))


def question_of_answer(embed: discord.Embed) -> str | None:
    """The question an answer embed answered, or None when the embed is not an answer."""
    footer = embed.footer.text or ""
    if not embed.title or not any(footer.startswith(label) for label in MODE_LABELS.values()):
        return None
    title = embed.title.removesuffix(CONTINUED).removesuffix(ELLIPSIS)
    return unescape(title)


def _citation_field(c: Citation) -> Field:
    name = f"[{c.n}] {_outlet(c.source)} — {escape(c.title)}"
    prefix = f"{c.published or 'undated'}{_link(c.url)} · "
    quote = truncate(escape(c.quote), FIELD_VALUE_LIMIT - len(prefix) - 2)
    return Field(name, f"{prefix}“{quote}”")


def _link(url: str | None) -> str:
    """A " · [read](url)" for a web address; one that would break the markdown is left out."""
    if not url or not url.startswith(("http://", "https://")) or any(ch in url for ch in "()<> []"):
        return ""
    return f" · [read]({url})"


def _outlet(source: str | None) -> str:
    return escape(source) if source else "Unknown outlet"


def evidence_embeds(answer: Answer) -> list[discord.Embed]:
    """The passages behind each citation, for the person who asked to see them."""
    sections = [f"**[{c.n}] {_outlet(c.source)} — {escape(c.title)}** ({c.published or 'undated'}){_link(c.url)}\n"
                f"{escape(c.passage)}" for c in answer.citations]
    return pack_embeds(f"Evidence: {escape(answer.question)}", "\n\n".join(sections) or "No passages were cited.",
                       colour=LIST_COLOUR)


# -- lookups ----------------------------------------------------------------------------------

def search_pages(query: str, hits: Sequence[SearchHit]) -> list[discord.Embed]:
    fields = [Field(f"{n}. {escape(h.title)}", f"{_outlet(h.source)} · {h.published or 'undated'} · "
                    f"`{h.article_id}`\n{escape(h.text)}") for n, h in enumerate(hits, 1)]
    return pages(f"Search: {escape(query)}", fields, per_page=3, empty="No passages match that search.")


def sources_pages(infos: Sequence[SourceInfo]) -> list[discord.Embed]:
    fields = [Field(escape(i.title), f"{_outlet(i.source)} · {i.published or 'undated'} · `{i.article_id}` · "
                    f"{i.passages} passages") for i in infos]
    return pages(f"The corpus: {len(infos)} articles", fields, per_page=10, empty="The corpus is empty.")


def article_embed(brief: ArticleBrief) -> discord.Embed:
    info = brief.info
    fields = [Field("Outlet", _outlet(info.source)), Field("Published", info.published or "undated"),
              Field("ID", f"`{info.article_id}`"), Field("Passages", str(info.passages))]
    if info.url:
        fields.append(Field("Link", escape(info.url)))
    if brief.same_story:
        fields.append(Field("Also covered by", "\n".join(
            f"• {_outlet(s.source)} — {escape(s.title)} (`{s.article_id}`)" for s in brief.same_story)))
    return pack_embeds(escape(info.title), escape(brief.summary) or "No summary available.", fields,
                       colour=LIST_COLOUR)[0]


def quotes_pages(speaker: str, quotes: Sequence[Quote]) -> list[discord.Embed]:
    fields = [Field(f"[{q.citation.n}] {_outlet(q.citation.source)} — {q.citation.published or 'undated'}",
                    f"“{escape(q.text)}”\n— {escape(q.citation.title)}") for q in quotes]
    return pages(f"What {escape(speaker)} said", fields, per_page=5,
                 empty=f"I found no quotes from {escape(speaker)} in the corpus.")


def timeline_pages(topic: str, events: Sequence[TimelineEvent]) -> list[discord.Embed]:
    fields = [Field(f"{e.date or 'undated'} [{e.citation.n}]",
                    f"{escape(e.text)}\n— {_outlet(e.citation.source)}, {escape(e.citation.title)}")
              for e in events]
    return pages(f"Timeline: {escape(topic)}", fields, per_page=6, empty="Nothing in the corpus on that topic.")


def digest_embeds(digest: Digest) -> list[discord.Embed]:
    if digest.date is None:
        return [discord.Embed(title="Daily digest", description="The corpus holds no dated articles yet.",
                              colour=LIST_COLOUR)]
    title = f"Daily digest — {digest.date}"
    if not digest.stories:
        return [discord.Embed(title=title, description=f"No articles on {digest.date}.", colour=LIST_COLOUR)]
    fields = []
    for story in digest.stories:
        sources = "; ".join(f"[{c.n}] {_outlet(c.source)}" for c in story.citations)
        # Notes of disagreement are short and the reason to read twice: the summary gives way to
        # them, up to half the room, and each is cut on its own so its italics stay closed.
        note_room = (FIELD_VALUE_LIMIT - len(sources)) // (2 * max(1, len(story.disagreements))) - 3
        notes = "\n".join(f"*{truncate(escape(note), note_room)}*" for note in story.disagreements)
        room = FIELD_VALUE_LIMIT - len(sources) - 1 - (len(notes) + 1 if notes else 0)
        lines = [truncate(escape(story.summary), room), notes, sources]
        fields.append(Field(f"{escape(story.headline)} · {sources_count(story.source_count)}",
                            "\n".join(line for line in lines if line)))
    return pack_embeds(title, fields=fields, colour=LIST_COLOUR, footer=f"{len(digest.stories)} stories")


def stats_embed(stats: EngineStats) -> discord.Embed:
    median = stats.asks.median_answer_ms
    fields = [
        Field("Articles", str(stats.corpus.articles)),
        Field("Passages", str(stats.corpus.passages)),
        Field("Stories", str(stats.corpus.stories)),
        Field("Questions answered", str(stats.asks.questions)),
        Field("Cache hit rate", f"{stats.asks.cache_hit_rate:.0%}"),
        Field("Median answer time", f"{median / 1000:.1f} s" if median is not None else "no answers yet"),
        Field("Model", escape(stats.model)),
    ]
    embed = discord.Embed(title="briefbot statistics", colour=LIST_COLOUR)
    for field in fields:
        embed.add_field(name=field.name, value=field.value, inline=True)
    return embed


def ingest_report_text(filename: str, report: IngestReport) -> str:
    name = escape(filename)
    if report.failed:
        reasons = "; ".join(escape(reason) for _, reason in report.failed)
        return truncate(f"Could not ingest {name}: {reasons}", CONTENT_LIMIT)
    if report.added:
        return f"Added {name} to the corpus ({escape(report.summary())})."
    if report.updated:
        return f"Updated {name} in the corpus ({escape(report.summary())})."
    return f"{name} is already in the corpus, unchanged."
