"""Discord's limits, and text made to fit them.

Discord rejects a message that breaks any of its limits, so every embed built with
:func:`pack_embeds` fits them; long text is split on paragraph and sentence boundaries
(never inside a ``[n]`` citation marker), and user or article text is escaped, so it can
neither restyle the message nor ping anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import discord

from bot.render.safety import clean, truncate

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
LIST_COLOUR = discord.Colour.dark_teal()

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?:\s*\[\d+\])*\s+")
_ESCAPED_MARKDOWN = re.compile(r"\\([\\*_~|`>#\-\[\]()])")


# -- escaping ---------------------------------------------------------------------------------

def escape(text: str) -> str:
    """User or article text made inert for Discord: no markdown, no mentions, no hidden characters."""
    # Clean first: escape_mentions itself inserts a zero-width space after "@".
    return discord.utils.escape_mentions(discord.utils.escape_markdown(clean(text)))


def unescape(text: str) -> str:
    """Undo :func:`escape` well enough to recover a question from an embed title."""
    return _ESCAPED_MARKDOWN.sub(r"\1", text).replace("@\u200b", "@")


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
