"""What the feeds commands say, for Discord and the terminal alike (no discord import).

``mark`` escapes article and feed text for where it is shown: Discord markdown in the cogs,
nothing in the terminal."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Sequence

from bot.render.safety import clean
from store.feeds import Feed
from summarizer.web.schedule import format_interval

Mark = Callable[[str], str]


def _plain(text: str) -> str:
    return text


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def feed_line(number: int, feed: Feed, mark: Mark = _plain) -> str:
    name = mark(clean(feed.name))
    head = f"{number}. {name} — {mark(feed.url)}" if feed.title else f"{number}. {name}"
    facts = [f"every {format_interval(feed.every_s)}", f"last successful poll {_when(feed.last_ok_at)}",
             f"{feed.articles_taken} article{'s' if feed.articles_taken != 1 else ''} taken"]
    if feed.last_error:
        facts.append(f"last error: {mark(clean(feed.last_error))}"
                     + (f" (next try {_when(feed.next_poll_at)})" if feed.failures else ""))
    return f"{head}\n   " + " · ".join(facts)


def feed_list_text(feeds: Sequence[Feed], mark: Mark = _plain) -> str:
    if not feeds:
        return "No feeds are followed. Add one with /feeds add url:<feed address> (or `briefbot feeds add URL`)."
    return "\n".join(feed_line(feed.id, feed, mark) for feed in feeds)


def poll_text(result, mark: Mark = _plain) -> str:
    """One line on one poll of one feed (a ``summarizer.web.poller.PollResult``)."""
    name = mark(clean(result.feed.name))
    if result.error:
        return f"{name}: {mark(clean(result.error))}"
    if result.not_modified:
        return f"{name}: unchanged since the last poll"
    parts = [f"{result.stored} new article{'s' if result.stored != 1 else ''}"]
    if result.duplicates:
        parts.append(f"{result.duplicates} already stored")
    if result.failed:
        parts.append(f"{result.failed} could not be read")
    return f"{name}: " + ", ".join(parts)


def feed_added_text(added, mark: Mark = _plain) -> str:
    feed = added.feed
    text = (f"Following {mark(clean(feed.name))} (feed {feed.id}), polled every {format_interval(feed.every_s)}.\n"
            f"First poll — {poll_text(added.first_poll, mark)}.")
    return text


def feed_removed_text(feed: Feed, mark: Mark = _plain) -> str:
    return (f"No longer following {mark(clean(feed.name))}. Its {feed.articles_taken} article"
            f"{'s' if feed.articles_taken != 1 else ''} stay in the corpus.")
