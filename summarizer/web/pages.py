"""An article page's bytes → its main text and metadata, by trafilatura.

trafilatura (and lxml, htmldate, charset_normalizer behind it) takes about a second to import,
so every import of them is inside a function: `briefbot ask` imports this package's neighbours
but never extracts a page."""

from __future__ import annotations

import codecs
import email.message
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

# Below this much text a "page" is a menu, a paywall or a cookie wall, not an article.
MIN_TEXT_CHARS = 40
# The HTML standard looks for <meta charset> in the first 1024 bytes; some sites put it a little later.
META_CHARSET_WINDOW = 4096
# Browsers decode an undeclared Western page as windows-1252, and a page labelled ISO-8859-1 or
# ASCII too: such pages use its “smart quotes”, which ISO-8859-1 lacks.
WEB_DEFAULT_ENCODING = "cp1252"
LATIN1_LABELS = frozenset({"iso8859-1", "ascii", "latin-1"})


class PageError(Exception):
    """No article could be taken from the page; str() is one line for the user."""


@dataclass(frozen=True)
class Page:
    url: str                    # the page's declared canonical URL when it is http(s), else the fetched URL
    title: str | None
    text: str                   # main text; paragraphs separated by blank lines
    published: str | None       # YYYY-MM-DD
    site_name: str | None
    author: str | None


def decode_html(body: bytes, charset: str | None) -> str:
    """The page as text, with its accents right whatever it was encoded in; never raises."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    if not body.isascii():
        try:
            # Valid UTF-8 with non-ASCII bytes practically never happens by chance, while pages
            # that declare ISO-8859-1 but are UTF-8 (an old template's <meta>) are common.
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    for declared, in_meta in ((charset, False), (_meta_charset(body), True)):
        encoding = _python_encoding(declared)
        if in_meta and encoding and encoding.startswith(("utf-16", "utf-32")):
            encoding = "utf-8"  # a <meta> readable as ASCII is not in UTF-16 whatever it says (HTML standard)
        if encoding:
            try:
                return body.decode(encoding)
            except UnicodeDecodeError:
                continue  # the declaration is wrong; look further
    return body.decode(_guess_encoding(body), errors="replace")


def extract_page(html: str | bytes, url: str, *, charset: str | None = None) -> Page:
    """The article in `html` (bytes are decoded by :func:`decode_html` with the header's charset);
    PageError when the page holds no article text."""
    import trafilatura

    text_html = decode_html(html, charset) if isinstance(html, bytes) else html
    document = trafilatura.bare_extraction(
        text_html, url=url, with_metadata=True, include_comments=False, include_tables=False,
        favor_precision=True,
        # No extensive search: a date guessed from any date in the text is worse than no date.
        date_extraction_params={"original_date": True, "extensive_search": False,
                                "max_date": datetime.now().astimezone().strftime("%Y-%m-%d")})
    title = _clean(document.title) if document is not None else None
    text = _paragraphs(document.text if document is not None else "", title)
    if len(text) < MIN_TEXT_CHARS:
        raise PageError(f"no article text could be extracted from {url}")
    return Page(url=_canonical(document.url, url), title=title, text=text,
                published=_clean(document.date), site_name=_clean(document.sitename),
                author=_clean(document.author))


def _paragraphs(text: str | None, title: str | None) -> str:
    # trafilatura puts one block (paragraph, heading, list item) per line.
    blocks = [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
    # The headline is the title, not a sentence of the article: kept, it would be cited as one.
    if blocks and title and blocks[0].casefold() == " ".join(title.split()).casefold():
        blocks = blocks[1:]
    return "\n\n".join(blocks)


def _canonical(declared: str | None, fetched_url: str) -> str:
    if declared:
        absolute = urljoin(fetched_url, declared.strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.netloc:
            return absolute
    return fetched_url


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _python_encoding(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return WEB_DEFAULT_ENCODING if name in LATIN1_LABELS else name


def _meta_charset(body: bytes) -> str | None:
    """The charset a <meta charset> or <meta http-equiv="Content-Type"> declares, read by lxml."""
    import lxml.html
    from lxml.etree import ParserError

    try:
        # Parsed as latin-1 so that no byte can fail to decode; the declaration itself is ASCII.
        head = lxml.html.document_fromstring(body[:META_CHARSET_WINDOW].decode("latin-1"))
    except (ParserError, ValueError):
        return None
    for meta in head.iter("meta"):
        if meta.get("charset"):
            return meta.get("charset")
        if (meta.get("http-equiv") or "").strip().lower() == "content-type":
            message = email.message.Message()  # the standard library's MIME parameter parsing
            message["content-type"] = meta.get("content") or ""
            if message.get_content_charset():
                return message.get_content_charset()
    return None


def _guess_encoding(body: bytes) -> str:
    """An undeclared, non-UTF-8 page's encoding: windows-1252 when charset_normalizer finds it as
    plausible as its best guess (it prefers windows-1250 on Western text, turning ï into ď),
    otherwise its best guess (windows-1251 for Russian, say)."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(body))
    if not matches:
        return WEB_DEFAULT_ENCODING
    best = matches[0]
    for match in matches:
        if codecs.lookup(match.encoding).name == WEB_DEFAULT_ENCODING and match.chaos <= best.chaos:
            return WEB_DEFAULT_ENCODING
    return best.encoding
