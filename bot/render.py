"""Everything the user reads: embeds and plain text built from engine results.

Discord rejects a message that breaks any of its limits, so every embed built here is
packed to fit them, long text is split on paragraph and sentence boundaries (never inside
a ``[n]`` citation marker), and every piece of user or article text is cleaned of
invisible direction-changing characters and escaped, so it can neither restyle the
message nor ping anyone. The views (evidence button, pager) live here too: paging is
presentation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import discord

from summarizer.ingest import IngestReport
from summarizer.results import Answer, ArticleBrief, Citation, Digest, Quote, SearchHit, SourceInfo, TimelineEvent

log = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000  # per embed, and for all embeds of one message together
EMBEDS_PER_MESSAGE = 10
# Our own cap, so a footer on every embed never crowds out the text.
FOOTER_LIMIT = 200

NO_MENTIONS = discord.AllowedMentions.none()
CONTINUED = " (continued)"
ELLIPSIS = "…"
MODE_LABELS = {"generated": "Generated", "extractive": "Extractive (quoted from the sources)",
               "refused": "Not in the corpus"}
MODE_COLOURS = {"generated": discord.Colour.blurple(), "extractive": discord.Colour.teal(),
                "refused": discord.Colour.light_grey()}
LIST_COLOUR = discord.Colour.dark_teal()
PAGER_TIMEOUT_S = 600.0
EVIDENCE_TIMEOUT_S = 3600.0

# Zero-width characters and bidirectional overrides: invisible, yet they can hide or
# reorder text (an RTL override makes "gpj.exe" read as "exe.jpg").
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?:\s*\[\d+\])*\s+")
_PARTIAL_MARKER = re.compile(r"\s*\[\d*$")
_ESCAPED_MARKDOWN = re.compile(r"\\([\\*_~|`>#\-\[\]()])")


# -- text safety ------------------------------------------------------------------------------

def clean(text: str) -> str:
    """Text without invisible control characters (for the terminal and for Discord)."""
    return _INVISIBLE.sub("", text)


def escape(text: str) -> str:
    """User or article text made inert for Discord: no markdown, no mentions, no hidden characters."""
    # Clean first: escape_mentions itself inserts a zero-width space after "@".
    return discord.utils.escape_mentions(discord.utils.escape_markdown(clean(text)))


def unescape(text: str) -> str:
    """Undo :func:`escape` well enough to recover a question from an embed title."""
    return _ESCAPED_MARKDOWN.sub(r"\1", text).replace("@\u200b", "@")


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word and marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    cut = _PARTIAL_MARKER.sub("", cut)
    # A trailing backslash from escaping would escape the ellipsis instead.
    return cut.rstrip("\\ ").rstrip() + ELLIPSIS


# -- splitting --------------------------------------------------------------------------------

def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most ``limit`` characters, broken between paragraphs, else between
    sentences, else between words; a citation marker stays with its sentence."""
    text = text.strip()
    if not text:
        return []
    chunks: list[str] = []
    for piece, separator in _pieces(text, limit):
        if chunks and len(chunks[-1]) + len(separator) + len(piece) <= limit:
            chunks[-1] += separator + piece
        else:
            chunks.append(piece)
    return chunks


def _pieces(text: str, limit: int) -> Iterable[tuple[str, str]]:
    """(piece, separator to join it to the previous one), each piece within ``limit``."""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        separator = "\n\n"
        for sentence in _split_if_long(paragraph, limit, _sentences):
            for word_run in _split_if_long(sentence, limit, str.split):
                for hard_piece in _split_if_long(word_run, limit, lambda w: _hard_cut(w, limit)):
                    yield hard_piece, separator
                    separator = " "


def _split_if_long(text: str, limit: int, splitter) -> list[str]:
    return [text] if len(text) <= limit else splitter(text)


def _sentences(paragraph: str) -> list[str]:
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        parts.append(paragraph[start:match.end()].strip())
        start = match.end()
    parts.append(paragraph[start:].strip())
    return [p for p in parts if p]


def _hard_cut(word: str, limit: int) -> list[str]:
    return [word[i:i + limit] for i in range(0, len(word), limit)]


# -- packing embeds ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    value: str


def pack_embeds(title: str, description: str = "", fields: Sequence[Field] = (), *, footer: str | None = None,
                colour: discord.Colour | None = None, max_fields: int = FIELD_COUNT_LIMIT) -> list[discord.Embed]:
    """As many embeds as the text and fields need, each within every limit.

    The footer goes on every embed, so each message of a long answer says what it is."""
    title = truncate(title, TITLE_LIMIT)
    footer = truncate(footer, FOOTER_LIMIT) if footer else None

    def new_embed(first: bool) -> discord.Embed:
        heading = title if first else truncate(title, TITLE_LIMIT - len(CONTINUED)) + CONTINUED
        embed = discord.Embed(title=heading, colour=colour)
        if footer:
            embed.set_footer(text=footer)
        return embed

    embeds = [new_embed(first=True)]
    for chunk in split_text(description, DESCRIPTION_LIMIT):
        if embeds[-1].description:
            embeds.append(new_embed(first=False))
        embeds[-1].description = chunk
    for field in fields:
        name, value = truncate(field.name, FIELD_NAME_LIMIT), truncate(field.value, FIELD_VALUE_LIMIT)
        current = embeds[-1]
        if len(current.fields) >= max_fields or len(current) + len(name) + len(value) > EMBED_TOTAL_LIMIT:
            current = new_embed(first=False)
            embeds.append(current)
        current.add_field(name=name, value=value, inline=False)
    return embeds


def message_batches(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages: at most 10 per message and 6,000 characters in all."""
    batches: list[list[discord.Embed]] = []
    total = 0
    for embed in embeds:
        size = len(embed)
        if not batches or len(batches[-1]) >= EMBEDS_PER_MESSAGE or total + size > EMBED_TOTAL_LIMIT:
            batches.append([])
            total = 0
        batches[-1].append(embed)
        total += size
    return batches


def pages(title: str, fields: Sequence[Field], *, per_page: int, description: str = "",
          empty: str = "Nothing found.") -> list[discord.Embed]:
    """Embeds to flip through, each with its page number in the footer."""
    if not fields:
        return [discord.Embed(title=truncate(title, TITLE_LIMIT), description=empty, colour=LIST_COLOUR)]
    embeds = pack_embeds(title, description, fields, colour=LIST_COLOUR, max_fields=per_page)
    for number, embed in enumerate(embeds, 1):
        embed.title = embeds[0].title  # pages are one list, not a continuation
        embed.set_footer(text=f"Page {number} of {len(embeds)}")
    return embeds


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


def answer_footer(answer: Answer) -> str:
    parts = [MODE_LABELS.get(answer.mode, answer.mode)]
    if answer.cached:
        parts.append("cached")
    if answer.mode == "generated":
        parts.append(f"model {answer.model}")
    total_ms = answer.timings_ms.get("total")
    if total_ms is not None:
        parts.append(f"{total_ms / 1000:.1f} s")
    return " · ".join(parts)


def question_of_answer(embed: discord.Embed) -> str | None:
    """The question an answer embed answered, or None when the embed is not an answer."""
    footer = embed.footer.text or ""
    if not embed.title or not any(footer.startswith(label) for label in MODE_LABELS.values()):
        return None
    title = embed.title.removesuffix(CONTINUED).removesuffix(ELLIPSIS)
    return unescape(title)


def _citation_field(c: Citation) -> Field:
    name = f"[{c.n}] {_outlet(c.source)} — {escape(c.title)}"
    prefix = f"{c.published or 'undated'} · "
    quote = truncate(escape(c.quote), FIELD_VALUE_LIMIT - len(prefix) - 2)
    return Field(name, f"{prefix}“{quote}”")


def _outlet(source: str | None) -> str:
    return escape(source) if source else "Unknown outlet"


def evidence_embeds(answer: Answer) -> list[discord.Embed]:
    """The passages behind each citation, for the person who asked to see them."""
    sections = [f"**[{c.n}] {_outlet(c.source)} — {escape(c.title)}** ({c.published or 'undated'})\n"
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
        summary = truncate(escape(story.summary), FIELD_VALUE_LIMIT - len(sources) - 1)
        fields.append(Field(f"{escape(story.headline)} · {_sources_count(story.source_count)}",
                            f"{summary}\n{sources}"))
    return pack_embeds(title, fields=fields, colour=LIST_COLOUR, footer=f"{len(digest.stories)} stories")


def stats_embed(stats: dict) -> discord.Embed:
    median = stats.get("median_answer_ms")
    fields = [
        Field("Articles", str(stats.get("articles", 0))),
        Field("Passages", str(stats.get("passages", 0))),
        Field("Stories", str(stats.get("stories", 0))),
        Field("Questions answered", str(stats.get("questions", 0))),
        Field("Cache hit rate", f"{stats.get('cache_hit_rate', 0.0):.0%}"),
        Field("Median answer time", f"{median / 1000:.1f} s" if median is not None else "no answers yet"),
        Field("Model", escape(str(stats.get("model", "unknown")))),
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


def _sources_count(count: int) -> str:
    return "1 source" if count == 1 else f"{count} sources"


# -- views ------------------------------------------------------------------------------------

class ExpiringView(discord.ui.View):
    """Buttons that disappear from their message when they stop working (after ``timeout``)."""

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.message: discord.Message | None = None  # set once the message is sent

    async def on_timeout(self) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit(view=None)
        except discord.HTTPException as exc:  # deleted, or the interaction token expired: nothing to tidy
            log.debug("could not remove expired buttons: %s", exc)


class EvidenceView(ExpiringView):
    """A "Show evidence" button that shows the cited passages only to whoever clicks it."""

    def __init__(self, answer: Answer, *, timeout: float = EVIDENCE_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout)
        self.answer = answer

    @discord.ui.button(label="Show evidence", style=discord.ButtonStyle.secondary)
    async def show_evidence(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        batches = message_batches(evidence_embeds(self.answer))
        await interaction.response.send_message(embeds=batches[0], ephemeral=True, allowed_mentions=NO_MENTIONS)
        for batch in batches[1:]:
            await interaction.followup.send(embeds=batch, ephemeral=True, allowed_mentions=NO_MENTIONS)


class Pager(ExpiringView):
    """Previous/next buttons over a list of embeds; only the person who asked turns the pages."""

    def __init__(self, embeds: Sequence[discord.Embed], owner_id: int, *, timeout: float = PAGER_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout)
        self.embeds = list(embeds)
        self.owner_id = owner_id
        self.index = 0
        self._sync_buttons()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("Only the person who asked can turn these pages.", ephemeral=True)
        return False

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.index + 1)

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = max(0, min(index, len(self.embeds) - 1))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.embeds[self.index], view=self)

    def _sync_buttons(self) -> None:
        self.previous_page.disabled = self.index == 0
        self.next_page.disabled = self.index >= len(self.embeds) - 1


# -- plain text (terminal) --------------------------------------------------------------------

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
    return f"{_source_text(c)}\n      “{clean(c.quote)}”"


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
        blocks.append(f"• {clean(story.headline)} ({_sources_count(story.source_count)})\n"
                      f"  {clean(story.summary)}\n{sources}")
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
