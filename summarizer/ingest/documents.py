"""From a file on disk (plain text, Markdown, HTML) or a fetched web page to a clean article
split into passages and sentences.

Every reader turns its input into plain text with one paragraph per block and hands it to
`_article_from_text`, so cleaning and splitting have one home. Offsets of passages and
sentences point into the cleaned body, so a citation can always quote exactly the text it
came from."""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import blingfire
import frontmatter
import yaml

from store import Article

MAX_FILE_BYTES = 5 * 1024 * 1024
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
ARTICLE_SUFFIXES = {".txt"} | MARKDOWN_SUFFIXES | HTML_SUFFIXES
PASSAGE_CHARS = 700
MIN_BODY_CHARS = 40

# Front matter keys as people write them, most specific first; matched without regard to case.
TITLE_KEYS = ("title", "headline")
DATE_KEYS = ("published", "date", "published_time", "pubDate", "pub_date", "published_at")
URL_KEYS = ("url", "source_url", "link", "canonical_url")
SOURCE_KEYS = ("source", "site_name", "outlet", "publisher")


class ArticleError(Exception):
    """Why one file could not be ingested, in one line."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class PassageSpan(Span):
    sentences: tuple[Span, ...] = field(default=())


@dataclass(frozen=True)
class ParsedArticle:
    record: Article  # what the store keeps; each article starts as its own story
    passages: tuple[PassageSpan, ...]

    @property
    def undated(self) -> bool:
        return self.record.published is None


# Lines that belong to the web page around the article, not to the article.
_BOILERPLATE_LINE = re.compile(
    r"""^(
        leave\ a\ reply
      | your\ email\ address\ will\ not\ be\ published.*
      | please\ enter\ your\ (comment|name|email).*
      | (read|read\ also|also\ read|read\ more|see\ also|also\ see)\s*:.*
      | .*wants\ to\ start\ sending\ you\ push\ notifications.*
      | click\ allow\ to\ subscribe
      | (save\ my\ name|post\ comment|share\ this|follow\ us).*
      | published\ on\ .*
      | by\ ?[A-Z][\w.]*(\ [A-Z][\w.]*)*\ correspondent
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_DATE_MARKER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s*")
_PUBLISHED_ON = re.compile(r"Published on ([A-Z][a-z]{2,8}\.? \d{1,2}, \d{4})")
_DATELINE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.? (\d{1,2}), (\d{4})\b"
)
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]\s*$")


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def article_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
                  and not p.name.startswith("."))


def read_article(path: Path, raw: bytes | None = None) -> ParsedArticle:
    """Parse one article file, read by its suffix (anything unknown is plain text).

    Raises ArticleError with a one-line reason."""
    if raw is None:
        raw = read_file(path)
    suffix = path.suffix.lower()
    text = _decode(raw, html=suffix in HTML_SUFFIXES)
    if suffix in HTML_SUFFIXES:
        return _html_article(path, text, content_hash(raw))
    meta, content = _front_matter(text)
    heading = None
    if suffix in MARKDOWN_SUFFIXES:
        content, heading = markdown_text(content)
    return _article_from_text(
        article_id=path.stem, path=str(path), text=content, digest=content_hash(raw),
        title=_text_field(meta, TITLE_KEYS) or heading, published=parse_date(_field(meta, DATE_KEYS)),
        source=_text_field(meta, SOURCE_KEYS), url=_text_field(meta, URL_KEYS),
    )


def article_from_page(*, article_id: str, url: str, title: str | None, text: str, published: str | None,
                      source: str | None) -> ParsedArticle:
    """A fetched web page's main text as an article keyed by its URL.

    The hash is of the cleaned body, not of the page, so the same story syndicated under two
    URLs (different page furniture, same text) has one hash."""
    return _article_from_text(
        article_id=article_id, path=url, text=_lines_as_paragraphs(text), digest=None,
        title=_one_line(title), published=parse_date(published), source=_one_line(source), url=url,
    )


def _html_article(path: Path, html: str, digest: str) -> ParsedArticle:
    import trafilatura  # about 1 s of imports that `briefbot ask` must not pay

    document = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if document is None or not (document.text or "").strip():
        raise ArticleError("no article text found in the HTML page")
    return _article_from_text(
        article_id=path.stem, path=str(path), text=_lines_as_paragraphs(document.text), digest=digest,
        title=_one_line(document.title), published=parse_date(document.date),
        source=_one_line(document.sitename), url=_one_line(document.url),
    )


def _article_from_text(*, article_id: str, path: str, text: str, digest: str | None, title: str | None,
                       published: str | None, source: str | None, url: str | None) -> ParsedArticle:
    """The one step from a reader's plain text to an article: clean, check, fill gaps, split.

    `title` is the title the input states; only a stated title is removed from the body as a
    repeated headline, an inferred one is the body's own first line."""
    body, marker_date = clean_body(text, title)
    if len(body) < MIN_BODY_CHARS:
        raise ArticleError("no article text after removing page furniture")
    record = Article(
        id=article_id, path=path, content_hash=digest or content_hash(body.encode("utf-8")),
        title=title or infer_title(text), source=source,
        published=published or marker_date or infer_date(text), url=url, body=body, story_id=article_id,
    )
    return ParsedArticle(record, tuple(split_passages(body)))


def _lines_as_paragraphs(text: str) -> str:
    """Extracted page text has one block element per line: each becomes its own paragraph, so the
    sentence splitter never runs a heading or a caption into the next paragraph's sentence."""
    return "\n\n".join(line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line)


def read_file(path: Path) -> bytes:
    """The file's bytes, refusing oversized files before reading them."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArticleError(_too_large(size))
        return path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read ({exc.strerror})") from None


def text_problem(raw: bytes) -> str | None:
    """Why these bytes cannot be an article's text (a few words), or None: the one rule for files and uploads."""
    return _shape_problem(raw) or _utf8_problem(raw)


def _shape_problem(raw: bytes) -> str | None:
    if len(raw) > MAX_FILE_BYTES:
        return _too_large(len(raw))
    if not raw.strip():
        return "empty file"
    if b"\x00" in raw[:8192]:
        return "binary file, not text"
    return None


def _utf8_problem(raw: bytes) -> str | None:
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (invalid byte at offset {exc.start}); re-save it as UTF-8"
    return None


def _decode(raw: bytes, *, html: bool) -> str:
    """UTF-8 text; an HTML page that is not UTF-8 is read in the charset its <meta> declares
    (pages saved from a browser keep their original encoding). Valid UTF-8 wins over a declaration,
    as in browsers: a page re-saved as UTF-8 often keeps its old <meta>."""
    if problem := _shape_problem(raw):
        raise ArticleError(problem)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if html and (charset := _declared_charset(raw)):
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    raise ArticleError(_utf8_problem(raw))


def _declared_charset(raw: bytes) -> str | None:
    from email.message import Message

    from lxml import etree
    from lxml import html as lxml_html

    try:  # any ASCII-compatible reading finds the <meta> tags; latin-1 never fails
        tree = lxml_html.document_fromstring(raw.decode("latin-1"))
    except (etree.ParserError, ValueError):
        return None
    for charset in tree.xpath("//meta/@charset"):
        if charset.strip():
            return charset.strip()
    for meta in tree.xpath("//meta[@http-equiv and @content]"):
        if meta.get("http-equiv").strip().lower() == "content-type":
            header = Message()
            header["content-type"] = meta.get("content")
            if charset := header.get_content_charset():
                return charset
    return None


def _too_large(size: int) -> str:
    return f"too large ({size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB)"


class _ForgivingYAML(frontmatter.YAMLHandler):
    """Front matter as people write it: an unquoted title with a colon in it is read as text, and
    a date YAML itself cannot build (2022-13-45) is kept as text, so the article is only undated."""

    def load(self, fm: str, **kwargs: Any) -> Any:
        for _ in range(_MAX_COLON_REPAIRS):
            try:
                return super().load(fm, **kwargs)
            except yaml.MarkedYAMLError as exc:
                repaired = _quote_value_with_colon(fm, exc)
                if repaired is None:
                    raise
                fm = repaired
            except ValueError:  # YAML reads 2022-13-45 as a timestamp and fails building the date
                return super().load(fm, Loader=_DatesAsTextLoader)
        return super().load(fm, **kwargs)


class _DatesAsTextLoader(yaml.SafeLoader):
    pass


_DatesAsTextLoader.add_constructor("tag:yaml.org,2002:timestamp",
                                   lambda loader, node: loader.construct_scalar(node))
_FRONT_MATTER = _ForgivingYAML()
_MAX_COLON_REPAIRS = 20
_PLAIN_KEY_VALUE = re.compile(r"^(\s*[A-Za-z_][\w-]*):[ \t]+([^'\"\[{|>&*!%@`#\s].*?)\s*$")


def _quote_value_with_colon(fm: str, exc: yaml.MarkedYAMLError) -> str | None:
    """`title: Russia: talks` is invalid YAML; quote the value on the line YAML complains about."""
    if "mapping values are not allowed" not in str(exc.problem) or exc.problem_mark is None:
        return None
    lines = fm.split("\n")
    index = exc.problem_mark.line
    match = _PLAIN_KEY_VALUE.match(lines[index]) if index < len(lines) else None
    if not match:
        return None
    key, value = match.groups()
    lines[index] = f"{key}: '{value.replace(chr(39), chr(39) * 2)}'"
    return "\n".join(lines)


def _front_matter(text: str) -> tuple[dict, str]:
    if not text.lstrip().startswith("---"):
        return {}, text
    # Without a YAML block python-frontmatter returns the text unparsed: pass no handler then.
    handler = _FRONT_MATTER if _FRONT_MATTER.detect(text.strip()) else None
    try:
        post = frontmatter.loads(text.lstrip(), handler=handler)
    except (yaml.YAMLError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        raise ArticleError(f"front matter is not valid YAML ({reason})") from None
    return dict(post.metadata), post.content


def _field(meta: dict, keys: Iterable[str]) -> Any:
    """The first of `keys` present with a value, whatever the case of the key in the file."""
    by_lower = {str(key).lower(): value for key, value in meta.items()}
    for key in keys:
        value = by_lower.get(key.lower())
        if value is not None and value != "":
            return value
    return None


def _text_field(meta: dict, keys: Iterable[str]) -> str | None:
    value = _field(meta, keys)
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value if item is not None)
    return _one_line(None if value is None else str(value))


def _one_line(text: str | None) -> str | None:
    """Folded, literal and hard-wrapped values as one clean line."""
    if text is None:
        return None
    return " ".join(text.split()) or None


_MONTH_DAY_YEAR = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")


def parse_date(value: object) -> str | None:
    """A publication date as YYYY-MM-DD, from what YAML, feeds and pages give: date and datetime
    objects, ISO dates and datetimes, RFC 822 dates, "January 4, 2022". None when it is not a date:
    an article that cannot be dated is kept, undated, rather than refused."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat, email.utils.parsedate_to_datetime):
        try:
            return parse_date(parse(text))
        except (ValueError, TypeError, IndexError):
            continue
    cleaned = text.replace(".", "").replace("Sept ", "Sep ")
    for fmt in _MONTH_DAY_YEAR:
        try:
            return dt.datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def markdown_text(source: str) -> tuple[str, str | None]:
    """Markdown read as Markdown: plain prose with one paragraph per block (paragraph, heading,
    list item, quote, table row), markup and escapes gone, hard-wrapped lines joined; and the
    text of the first level-1 heading, which can serve as the title."""
    blocks: list[str] = []
    heading: str | None = None
    row: list[str] | None = None
    tokens = _markdown().parse(source)
    for index, token in enumerate(tokens):
        if token.type == "inline":
            text = _inline_text(token.children or [])
            if row is not None:
                row.append(text)
                continue
            blocks.append(text)
            opener = tokens[index - 1] if index else None
            if heading is None and opener is not None and opener.type == "heading_open" and opener.tag == "h1":
                heading = _one_line(text)
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append("; ".join(cell for cell in (_one_line(c) for c in row) if cell))
            row = None
        elif token.type == "code_block":
            # Indented by accident far more often than code in a news article: read it as prose.
            blocks.extend(re.split(r"\n\s*\n", token.content))
        elif token.type == "fence":
            blocks.extend(token.content.splitlines())
        elif token.type == "html_block":
            blocks.extend(_html_fragment_text(token.content))
    lines = (_one_line(block) for block in blocks)
    return "\n\n".join(line for line in lines if line), heading


@functools.cache
def _markdown():
    from markdown_it import MarkdownIt  # only ingest reads Markdown; answering never imports it

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _inline_text(children: list) -> str:
    # Link, emphasis and inline-HTML tokens carry markup only (their text is in the text tokens
    # between them); an image is dropped with its alt text; any line break inside a paragraph is
    # a space, so no sentence is cut by the file's wrapping.
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


_HTML_BLOCK_TAGS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr",
                    "section", "article", "figcaption", "pre", "table", "ul", "ol", "dd", "dt")
# A line break is a space, as in Markdown paragraphs; table cells must not run together.
_HTML_SPACED_TAGS = ("br", "td", "th")


def _html_fragment_text(html: str) -> list[str]:
    """The text of an HTML block inside Markdown, one entry per block element."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    for hidden in root.xpath("//script|//style|//noscript|//template|//comment()"):
        hidden.drop_tree()
    for element in root.iter(*_HTML_BLOCK_TAGS):
        element.tail = "\n\n" + (element.tail or "")
    for element in root.iter(*_HTML_SPACED_TAGS):
        element.tail = " " + (element.tail or "")
    return re.split(r"\n\s*\n", root.text_content())


def clean_body(content: str, title: str | None = None) -> tuple[str, str | None]:
    """Remove page furniture; return the body and a date found in a leading ``date`` marker."""
    marker_date = None
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if not kept and (match := _DATE_MARKER.match(line)):
            marker_date = match.group(1)
            line = line[match.end():]
        stripped = " ".join(line.split())
        if not stripped:
            kept.append("")
            continue
        if _BOILERPLATE_LINE.match(stripped) or _is_label(stripped, title):
            continue
        kept.append(stripped)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return body, marker_date


def _is_label(line: str, title: str | None) -> bool:
    """Section labels, datelines and repeated headlines: short lines that are not sentences."""
    if title and _normalise(line) == _normalise(title):
        return True
    words = line.split()
    return len(words) <= 4 and not _SENTENCE_END.search(line)


def _normalise(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def infer_title(content: str) -> str:
    for line in content.splitlines():
        line = " ".join(_DATE_MARKER.sub("", line).split())
        if not line or _BOILERPLATE_LINE.match(line):
            continue
        if len(line) <= 160 and not line.endswith("."):
            return line
        first = line.split(". ")[0]
        return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"
    return "Untitled"


def infer_date(content: str) -> str | None:
    if match := _PUBLISHED_ON.search(content):
        parsed = parse_date(match.group(1))
        if parsed:
            return parsed
    if match := _DATELINE.search(content[:400]):
        return parse_date(match.group(0))
    return None


def sentences_of(text: str) -> list[str]:
    return [span.text for span in split_sentences(text)]


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentences with offsets; a quotation the segmenter splits is joined back into one sentence."""
    if not text:  # blingfire fails an assertion on "" (an empty model reply reaches here)
        return []
    _, bounds = blingfire.text_to_sentences_and_offsets(text)
    spans = [Span(offset + start, offset + end, text[start:end]) for start, end in bounds]
    merged: list[Span] = []
    for span in spans:
        if merged and _inside_quote(text[merged[-1].start - offset:merged[-1].end - offset]):
            last = merged.pop()
            span = Span(last.start, span.end, text[last.start - offset:span.end - offset])
        merged.append(span)
    return [Span(s.start + _lead(s.text), s.end - _trail(s.text), s.text.strip()) for s in merged if s.text.strip()]


def _inside_quote(text: str) -> bool:
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def _lead(text: str) -> int:
    return len(text) - len(text.lstrip())


def _trail(text: str) -> int:
    return len(text) - len(text.rstrip())


def split_passages(body: str) -> list[PassageSpan]:
    """Paragraphs, cut at sentence boundaries into passages of about PASSAGE_CHARS."""
    passages: list[PassageSpan] = []
    for para in re.finditer(r"[^\n]+(?:\n[^\n]+)*", body):
        sentences = split_sentences(para.group(0), para.start())
        group: list[Span] = []
        for sentence in sentences:
            if group and sentence.end - group[0].start > PASSAGE_CHARS:
                passages.append(_passage(body, group))
                group = []
            group.append(sentence)
        if group:
            passages.append(_passage(body, group))
    return passages


def _passage(body: str, sentences: list[Span]) -> PassageSpan:
    start, end = sentences[0].start, sentences[-1].end
    return PassageSpan(start, end, body[start:end], tuple(sentences))
