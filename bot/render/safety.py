"""Text safety that needs no Discord: used by the terminal and by Discord alike.

Every piece of user or article text is cleaned of invisible characters (zero-width,
soft hyphens, bidirectional overrides) before it is shown, so it can neither hide nor
reorder what the reader sees (an RTL override makes "gpj.exe" read as "exe.jpg").
"""

from __future__ import annotations

import re

from summarizer.text import INVISIBLE

ELLIPSIS = "…"

_PARTIAL_MARKER = re.compile(r"\s*\[\d*$")


def clean(text: str) -> str:
    """Text without invisible control characters (for the terminal and for Discord)."""
    return INVISIBLE.sub("", text)


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
