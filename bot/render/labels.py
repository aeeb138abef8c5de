"""Wording shared by Discord embeds and terminal text (no Discord needed)."""

from __future__ import annotations

from summarizer.results import Answer

MODE_LABELS = {"generated": "Generated", "extractive": "Extractive (quoted from the sources)",
               "partial": "Not in the corpus; related material shown", "refused": "Not in the corpus"}
DRAFT_NOTE = "summary on the way"


def answer_footer(answer: Answer) -> str:
    parts = [MODE_LABELS.get(answer.mode, answer.mode)]
    if answer.draft:
        parts.append(DRAFT_NOTE)
    if answer.cached:
        parts.append("cached")
    if answer.mode == "generated":
        parts.append(f"model {answer.model}")
    total_ms = answer.timings_ms.get("total")
    if total_ms is not None:
        parts.append(f"{total_ms / 1000:.1f} s")
    return " · ".join(parts)


def sources_count(count: int) -> str:
    return "1 source" if count == 1 else f"{count} sources"
