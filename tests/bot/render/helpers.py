"""Builders and limit checks shared by the rendering tests."""

from __future__ import annotations

import re

import discord

from bot.render import limits
from summarizer.results import Answer, Citation

MARKER = re.compile(r"\[\d+\]")


def citation(n: int, *, quote: str = "Lavrov called the Quad an Asian NATO.", source: str | None = "Outlet",
             title: str = "A title", passage: str = "Lavrov called the Quad an Asian NATO. He said more.") -> Citation:
    return Citation(n, f"a{n}", title, source, "2021-04-06", f"a{n}.txt", quote, passage)


def answer(body: str, citations: list[Citation] | None = None, *, question: str = "What about the Quad?",
           mode: str = "generated", cached: bool = False) -> Answer:
    return Answer(question, body, mode, cached, citations if citations is not None else [citation(1)],
                  "qwen@llama.cpp", {"total": 1234.0})


def cited_sentences(count: int) -> str:
    return " ".join(f"Sentence {i} says something about the Quad and India [{i % 9 + 1}][{(i + 1) % 9 + 1}]."
                    for i in range(count))


def assert_within_limits(embeds: list[discord.Embed]) -> None:
    for embed in embeds:
        assert len(embed) <= limits.EMBED_TOTAL_LIMIT
        assert len(embed.title or "") <= limits.TITLE_LIMIT
        assert len(embed.description or "") <= limits.DESCRIPTION_LIMIT
        assert len(embed.fields) <= limits.FIELD_COUNT_LIMIT
        for field in embed.fields:
            assert len(field.name) <= limits.FIELD_NAME_LIMIT and len(field.value) <= limits.FIELD_VALUE_LIMIT
    for batch in limits.message_batches(embeds):
        assert len(batch) <= limits.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in batch) <= limits.EMBED_TOTAL_LIMIT
