"""Feed documents → items: RSS 2.0 and Atom through feedparser, JSON Feed 1.x through ``json``.

An item's key is what the outlet promises is stable (guid / id), else its link, so a feed that
re-orders or edits its items does not look new. An item without a link is dropped: there is no
article to fetch for it (so no third kind of key is needed)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9,"
               " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
_JSON_FEED_VERSION = "https://jsonfeed.org/version/1"


class FeedError(Exception):
    """Why a document is not a usable feed, in one line."""


@dataclass(frozen=True)
class FeedItem:
    key: str
    url: str  # absolute
    title: str | None
    published: str | None  # YYYY-MM-DD (UTC)
    summary: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    items: list[FeedItem]


def parse_feed(body: bytes, url: str) -> ParsedFeed:
    """Parse an RSS, Atom or JSON Feed document fetched from ``url``. Raises FeedError."""
    if not body.strip():
        raise FeedError(f"not a feed: {url}: the document is empty")
    if body.lstrip()[:1] == b"{":
        return _parse_json_feed(body, url)
    parsed = feedparser.parse(body)
    # An item without a link has no article to fetch; a broken document's debris is such items.
    items = [item for item in (_feedparser_item(entry, url) for entry in parsed.entries) if item.url]
    if not items and (parsed.bozo or not parsed.get("version")):
        reason = one_line(parsed.get("bozo_exception")) or "no RSS, Atom or JSON Feed items in it"
        raise FeedError(f"not a feed: {url}: {reason}")
    # A feed with a flaw that still yielded items (an unescaped "&", say) is used as parsed.
    return ParsedFeed(title=_clean(parsed.feed.get("title")), items=items)


def newest_first(items: list[FeedItem]) -> list[FeedItem]:
    """Dated items newest first; undated ones after, in the feed's own order (usually newest first)."""
    dated = sorted((i for i in items if i.published), key=lambda i: i.published, reverse=True)
    return dated + [i for i in items if not i.published]


def _feedparser_item(entry, feed_url: str) -> FeedItem:
    link = _clean(entry.get("link"))
    title = _clean(entry.get("title"))
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = time.strftime("%Y-%m-%d", stamp) if stamp else None
    url = urljoin(feed_url, link) if link else None
    return FeedItem(key=_key(_clean(entry.get("id")), url), url=url, title=title,
                    published=published, summary=_clean(entry.get("summary")))


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not a feed: {url}: invalid JSON ({exc})") from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(_JSON_FEED_VERSION):
        raise FeedError(f"not a feed: {url}: JSON without a JSON Feed version")
    entries = document.get("items")
    if not isinstance(entries, list):
        raise FeedError(f"not a feed: {url}: JSON Feed without an items list")
    items = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        link = _clean(entry.get("url")) or _clean(entry.get("external_url"))
        item_url = urljoin(url, link) if link else None
        title = _clean(entry.get("title"))
        published = _json_date(entry.get("date_published") or entry.get("date_modified"))
        summary = _clean(entry.get("summary")) or _clean(entry.get("content_text"))
        guid = entry.get("id")
        if item_url is None:
            continue
        items.append(FeedItem(key=_key(_clean(str(guid)) if guid is not None else None, item_url),
                              url=item_url, title=title, published=published, summary=summary))
    return ParsedFeed(title=_clean(document.get("title")), items=items)


def _json_date(value) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d")


def _key(guid: str | None, url: str) -> str:
    return guid or url


def _clean(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def one_line(exc: BaseException | None) -> str | None:
    """An error's message on one line, for a user or a stored item (its type when it says nothing)."""
    if exc is None:
        return None
    return " ".join(str(exc).split()) or type(exc).__name__
