"""Feed documents in the three formats people publish, broken ones, and a very long one."""

import json
import time

import pytest

from summarizer.web.feeds import FeedError, newest_first, parse_feed

FEED_URL = "https://news.example/section/feed.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example  Wire</title>
<item><title>Ministers meet in Delhi</title><link>/2022/01/05/ministers</link>
  <guid isPermaLink="false">wire-1</guid><pubDate>Wed, 05 Jan 2022 22:30:00 -0500</pubDate>
  <description>Two ministers met.</description></item>
<item><title>Talks resume</title><link>https://other.example/talks</link>
  <pubDate>Tue, 04 Jan 2022 09:00:00 GMT</pubDate></item>
<item><title>No link, so nothing to fetch</title><guid isPermaLink="false">wire-3</guid></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Ministère des affaires étrangères</title>
<entry><title>Déclaration conjointe</title><id>tag:mfa.example,2022:1</id>
  <link rel="alternate" href="https://mfa.example/declaration"/><updated>2022-01-03T10:00:00Z</updated>
  <summary>Une déclaration.</summary></entry>
</feed>""".encode()

JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "JSON Desk",
    "items": [
        {"id": 17, "url": "posts/17", "title": "Summit ends", "date_published": "2022-01-06T01:00:00+05:30",
         "content_text": "The summit ended."},
        {"id": "18", "external_url": "https://elsewhere.example/18", "title": "Elsewhere"},
        {"id": "19", "title": "No URL at all"},
        "not an item",
    ],
}).encode()


def test_rss_items_have_keys_absolute_urls_and_utc_dates():
    feed = parse_feed(RSS, FEED_URL)
    assert feed.title == "Example Wire"
    first, second = feed.items
    assert (first.key, first.url, first.title) == ("wire-1", "https://news.example/2022/01/05/ministers",
                                                   "Ministers meet in Delhi")
    assert first.published == "2022-01-06" and first.summary == "Two ministers met."
    # No guid: the link is the key.
    assert (second.key, second.published) == ("https://other.example/talks", "2022-01-04")


def test_atom_entries_are_read_with_their_ids_and_dates():
    (entry,) = parse_feed(ATOM, "https://mfa.example/atom").items
    assert parse_feed(ATOM, "https://mfa.example/atom").title == "Ministère des affaires étrangères"
    assert (entry.key, entry.url, entry.published) == ("tag:mfa.example,2022:1", "https://mfa.example/declaration",
                                                       "2022-01-03")


def test_json_feed_items_resolve_against_the_feed_url():
    feed = parse_feed(JSON_FEED, "https://desk.example/feed.json")
    assert feed.title == "JSON Desk"
    assert [(i.key, i.url, i.published) for i in feed.items] == [
        ("17", "https://desk.example/posts/17", "2022-01-05"),
        ("18", "https://elsewhere.example/18", None),
    ]
    assert feed.items[0].summary == "The summit ended."


def test_a_flawed_feed_that_still_has_items_is_used():
    body = (b"<rss version='2.0'><channel><title>Sloppy & Co</title>"
            b"<item><title>Kept</title><link>https://h.example/a</link></item>"
            b"<item><title>Cut off</title><link>https://h.example/b</lin")
    feed = parse_feed(body, FEED_URL)
    assert [i.url for i in feed.items] == ["https://h.example/a"]


def test_an_empty_but_valid_feed_has_no_items():
    assert parse_feed(b"<rss version='2.0'><channel><title>Quiet</title></channel></rss>", FEED_URL).items == []


@pytest.mark.parametrize("body, reason", [
    (b"", "the document is empty"),
    (b"<html><body><p>Welcome to our site</p></body></html>", "no RSS, Atom or JSON Feed items"),
    (b"<rss><channel><item><title>x</titl", "unclosed token"),
    (b"{not json", "invalid JSON"),
    (b'{"items": []}', "JSON without a JSON Feed version"),
    (b'{"version": "https://jsonfeed.org/version/1", "items": 3}', "without an items list"),
    (b"\xff\xfe\x00\x01 binary", "not well-formed"),
])
def test_what_is_not_a_feed_is_one_line_saying_so(body, reason):
    with pytest.raises(FeedError) as caught:
        parse_feed(body, FEED_URL)
    message = str(caught.value)
    assert message.startswith(f"not a feed: {FEED_URL}: ") and reason in message and "\n" not in message


def test_newest_first_puts_undated_items_last_in_feed_order():
    feed = parse_feed(RSS + b"", FEED_URL)
    undated = parse_feed(b"<rss version='2.0'><channel><item><link>https://u.example/1</link></item>"
                         b"<item><link>https://u.example/2</link></item></channel></rss>", FEED_URL).items
    ordered = newest_first(list(reversed(feed.items)) + undated)
    assert [i.url for i in ordered] == ["https://news.example/2022/01/05/ministers", "https://other.example/talks",
                                        "https://u.example/1", "https://u.example/2"]


def test_a_feed_of_five_thousand_items_parses():
    items = "".join(
        f"<item><title>Story {n}</title><link>https://big.example/{n}</link><guid>big-{n}</guid>"
        f"<pubDate>Mon, 03 Jan 2022 10:{n % 60:02d}:00 GMT</pubDate><description>About {n}.</description></item>"
        for n in range(5000))
    body = f"<rss version='2.0'><channel><title>Big</title>{items}</channel></rss>".encode()
    started = time.perf_counter()
    feed = parse_feed(body, "https://big.example/feed")
    elapsed = time.perf_counter() - started
    print(f"\nparsed a 5,000-item RSS feed ({len(body) / 1e6:.1f} MB) in {elapsed:.2f} s")
    assert len(feed.items) == 5000 and len({i.key for i in feed.items}) == 5000
