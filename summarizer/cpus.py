"""How many cores this process may use: the model runtimes size their threads by it, and so
does the passage scan."""

from __future__ import annotations

import os


def cpu_count() -> int:
    """The cores this process may run on (its affinity, where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
