"""How often feeds are polled: the defaults, and intervals as people write them ("30m", "2h", "1d")."""

from __future__ import annotations

import re

DEFAULT_FEED_EVERY_S = 30 * 60
# Politeness floor: outlets publish a few times an hour, and a 304 is cheap but not free for them.
MIN_FEED_EVERY_S = 5 * 60
MAX_FEED_EVERY_S = 7 * 24 * 3600

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)


class IntervalError(ValueError):
    """An interval that cannot be read or is out of bounds, explained in one line."""


def parse_interval(text: str, *, minimum_s: float = MIN_FEED_EVERY_S) -> float:
    """Seconds in "90s", "30m", "2h", "1d" (a bare number is minutes); within [minimum_s, a week]."""
    match = _INTERVAL.match(text or "")
    if not match:
        raise IntervalError(f"“{text}” is not an interval: use a number with s, m, h or d, e.g. 30m or 2h")
    seconds = float(match[1]) * _UNITS[(match[2] or "m").lower()]
    if seconds < minimum_s:
        raise IntervalError(f"{text.strip()} is too often: feeds are polled at most every {format_interval(minimum_s)}")
    if seconds > MAX_FEED_EVERY_S:
        raise IntervalError(f"{text.strip()} is too rare: poll at least once a week (7d)")
    return seconds


def format_interval(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
