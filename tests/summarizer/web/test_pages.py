"""summarizer.web.pages: main text, metadata and encodings of article pages."""

from __future__ import annotations

import pytest

from summarizer.web.fetch import Fetcher
from summarizer.web.pages import Page, PageError, decode_html, extract_page

ARTICLE_URL = "https://news.example.org/world/2022/01/05/jaishankar-calls?utm_source=feed"

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Jaishankar speaks to Blinken, then Lavrov | The Example Herald</title>
  <meta property="og:site_name" content="The Example Herald">
  <meta property="og:title" content="Jaishankar speaks to Blinken, then Lavrov">
  <meta property="article:published_time" content="2022-01-05T09:30:00+05:30">
  <meta name="author" content="Priya Raman">
  <link rel="canonical" href="https://news.example.org/world/jaishankar-calls">
</head>
<body>
  <div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
    <button>Accept all cookies</button></div>
  <header>
    <nav class="main-nav"><ul>
      <li><a href="/">Home</a></li><li><a href="/world">World</a></li>
      <li><a href="/business">Business</a></li><li><a href="/opinion">Opinion</a></li>
      <li><a href="/subscribe">Subscribe now</a></li>
    </ul></nav>
  </header>
  <main>
    <article>
      <h1>Jaishankar speaks to Blinken, then Lavrov</h1>
      <p class="byline">By Priya Raman</p>
      <p>External Affairs Minister S. Jaishankar spoke with US Secretary of State Antony Blinken on
      Tuesday about the situation in Afghanistan and the Indo-Pacific, the ministry said.</p>
      <p>Hours later he held a call with Russian Foreign Minister Sergey Lavrov, discussing the
      upcoming summit and bilateral trade, according to a statement released in New Delhi.</p>
      <p>Analysts described the two conversations as part of India's effort to keep its ties with
      both Washington and Moscow steady during a period of heightened tension in Europe.</p>
    </article>
    <aside class="related"><h2>Most read</h2><ul>
      <li><a href="/a">Markets fall on rate fears</a></li><li><a href="/b">Cricket: India win series</a></li>
    </ul></aside>
  </main>
  <footer><p>© 2022 The Example Herald. All rights reserved.</p>
    <a href="/privacy">Privacy policy</a> <a href="/terms">Terms of use</a></footer>
</body>
</html>
"""

ACCENTED_TEXT = ("“We welcome the détente,” said José María Albares, Spain’s foreign minister, after the "
                 "communiqué was signed in Bogotá. The naïve hope of a quick résumé of talks faded by Tuesday.")


def _western_page(meta: str) -> bytes:
    return (f"<html><head>{meta}<title>Albares in Bogotá</title></head><body><article><h1>Albares in Bogotá</h1>"
            f"<p>{ACCENTED_TEXT}</p><p>{ACCENTED_TEXT}</p></article></body></html>").encode("cp1252")


def test_a_news_page_gives_its_article_and_metadata():
    page = extract_page(NEWS_PAGE, ARTICLE_URL)
    assert page.url == "https://news.example.org/world/jaishankar-calls"
    assert page.title == "Jaishankar speaks to Blinken, then Lavrov"
    assert page.published == "2022-01-05"
    assert page.site_name == "The Example Herald"
    assert page.author == "Priya Raman"
    paragraphs = page.text.split("\n\n")
    assert page.title not in page.text  # the headline is the title, not the first sentence
    assert paragraphs[0].startswith("External Affairs Minister S. Jaishankar spoke with US Secretary of State")
    assert any(paragraph.startswith("Hours later he held a call with Russian Foreign Minister") for paragraph in paragraphs)
    assert "steady during a period of heightened tension in Europe." in page.text
    assert "spoke with US Secretary of State Antony Blinken on Tuesday about" in page.text  # line breaks joined
    for chrome in ("cookies", "Subscribe", "Most read", "Markets fall", "All rights reserved", "Privacy policy"):
        assert chrome not in page.text, chrome


def test_without_a_canonical_link_the_fetched_url_is_kept():
    html = NEWS_PAGE.replace('<link rel="canonical" href="https://news.example.org/world/jaishankar-calls">', "")
    assert extract_page(html, ARTICLE_URL).url == ARTICLE_URL


def test_a_canonical_link_that_is_not_an_absolute_web_url_is_not_trusted():
    # A relative canonical is ambiguous (trafilatura resolves it only against an og: base URL).
    relative = NEWS_PAGE.replace("https://news.example.org/world/jaishankar-calls", "/world/calls")
    assert extract_page(relative, ARTICLE_URL).url == ARTICLE_URL
    odd = NEWS_PAGE.replace("https://news.example.org/world/jaishankar-calls", "ftp://files.example.org/calls")
    assert extract_page(odd, ARTICLE_URL).url == ARTICLE_URL


def test_a_windows_1252_page_declared_only_in_meta_keeps_its_accents():
    body = _western_page('<meta charset="windows-1252">')
    assert decode_html(body, None).count(ACCENTED_TEXT) == 2
    page = extract_page(body, "https://example.org/albares")
    assert ACCENTED_TEXT in page.text and page.title == "Albares in Bogotá"


def test_a_page_labelled_iso_8859_1_is_read_as_browsers_read_it():
    body = _western_page('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">')
    assert ACCENTED_TEXT in decode_html(body, None)  # the smart quotes exist only in windows-1252


def test_an_undeclared_western_page_keeps_its_accents():
    body = _western_page("")
    assert ACCENTED_TEXT in decode_html(body, None)
    assert ACCENTED_TEXT in extract_page(body, "https://example.org/albares").text


def test_an_undeclared_russian_page_is_not_read_as_western():
    text = ("Министр иностранных дел России Сергей Лавров провёл переговоры с государственным секретарём США "
            "Энтони Блинкеном в Женеве.")
    body = f"<html><body><p>{text}</p></body></html>".encode("cp1251")
    assert text in decode_html(body, None)


def test_the_header_charset_wins_and_a_wrong_one_does_not_cause_mojibake():
    body = _western_page("")
    assert ACCENTED_TEXT in decode_html(body, "windows-1252")
    # Declared UTF-8, but the bytes are not: the declaration is set aside instead of raising.
    assert ACCENTED_TEXT in decode_html(body, "utf-8")
    # Declared Latin-1, but the bytes are UTF-8 (an old template): read as UTF-8, not "Ã©".
    utf8 = ACCENTED_TEXT.encode("utf-8")
    assert decode_html(utf8, "iso-8859-1") == ACCENTED_TEXT
    assert decode_html(utf8, "no-such-charset") == ACCENTED_TEXT
    assert decode_html(b"\xef\xbb\xbf" + utf8, "windows-1252") == ACCENTED_TEXT
    lying_meta = '<meta charset="utf-16"><p>caf\u00e9</p>'.encode("utf-8")
    assert "café" in decode_html(lying_meta, None)


def test_a_page_with_only_navigation_has_no_article():
    html = """<html><head><title>Sections</title></head><body>
      <nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
      <li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li></ul></nav>
      <footer><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer></body></html>"""
    with pytest.raises(PageError) as failed:
        extract_page(html, "https://example.org/sections")
    assert str(failed.value) == "no article text could be extracted from https://example.org/sections"


@pytest.mark.parametrize("garbage", [b"", b"\x00\xff\xfe binary", "plain words, no markup at all"])
def test_garbage_is_a_page_error_not_a_traceback(garbage):
    with pytest.raises(PageError):
        extract_page(garbage, "https://example.org/x")


async def test_a_fetched_non_utf8_page_comes_out_right(local_server):
    # The whole path a poller takes: bytes and header charset from the Fetcher into extract_page.
    local_server.route("/albares", body=_western_page(""), content_type="text/html", charset="windows-1252")
    async with Fetcher(allow_private=True) as fetcher:
        fetched = await fetcher.get(local_server.url("/albares"))
    page = extract_page(fetched.body, fetched.url, charset=fetched.charset)
    assert isinstance(page, Page) and ACCENTED_TEXT in page.text and page.url == local_server.url("/albares")
