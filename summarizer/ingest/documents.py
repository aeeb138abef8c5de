"""From a file on disk to a clean article split into passages and sentences.

Offsets of passages and sentences point into the cleaned body, so a citation can always
quote exactly the text it came from."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import blingfire
import frontmatter
import yaml

from store import Article

MAX_FILE_BYTES = 5 * 1024 * 1024
ARTICLE_SUFFIXES = {".txt", ".md"}
PASSAGE_CHARS = 700


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
    """Parse one article file. Raises ArticleError with a one-line reason."""
    if raw is None:
        raw = read_file(path)
    problem = text_problem(raw)
    if problem:
        raise ArticleError(problem)
    text = raw.decode("utf-8-sig")
    meta, content = _front_matter(text)
    body, marker_date = clean_body(content, meta.get("title"))
    if len(body) < 40:
        raise ArticleError("no article text after removing page furniture")
    title = _text_field(meta, "title") or infer_title(content)
    published = _date_field(meta) or marker_date or infer_date(content)
    record = Article(
        id=path.stem, path=str(path), content_hash=content_hash(raw), title=title,
        source=_text_field(meta, "source"), published=published, url=_text_field(meta, "url"),
        body=body, story_id=path.stem,
    )
    return ParsedArticle(record, tuple(split_passages(body)))


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
    if len(raw) > MAX_FILE_BYTES:
        return _too_large(len(raw))
    if not raw.strip():
        return "empty file"
    if b"\x00" in raw[:8192]:
        return "binary file, not text"
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (invalid byte at offset {exc.start}); re-save it as UTF-8"
    return None


def _too_large(size: int) -> str:
    return f"too large ({size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB)"


def _front_matter(text: str) -> tuple[dict, str]:
    if not text.lstrip().startswith("---"):
        return {}, text
    try:
        post = frontmatter.loads(text.lstrip())
    except yaml.YAMLError as exc:
        reason = str(exc).splitlines()[0]
        raise ArticleError(f"front matter is not valid YAML ({reason})") from None
    except ValueError as exc:  # YAML reads 2022-13-45 as a timestamp and fails building the date
        raise ArticleError(f"front matter has an impossible date ({exc})") from None
    if not isinstance(post.metadata, dict):
        raise ArticleError("front matter is not a mapping of fields")
    return dict(post.metadata), post.content


def _text_field(meta: dict, key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def _date_field(meta: dict) -> str | None:
    value = meta.get("published", meta.get("date"))
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ArticleError(f"front matter date {str(value)[:40]!r} is not a YYYY-MM-DD date") from None


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
        parsed = _parse_month_date(match.group(1))
        if parsed:
            return parsed
    if match := _DATELINE.search(content[:400]):
        return _parse_month_date(match.group(0))
    return None


def _parse_month_date(text: str) -> str | None:
    cleaned = text.replace(".", "").replace("Sept ", "Sep ")
    for fmt in ("%b %d, %Y", "%B %d, %Y"):
        try:
            return dt.datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
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
