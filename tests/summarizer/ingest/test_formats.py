"""Articles in the formats people have: Markdown, HTML, front matter of many spellings, web pages."""

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from store import Corpus, Database
from summarizer.ingest.documents import (
    ArticleError,
    article_files,
    article_from_page,
    read_article,
    split_sentences,
)
from summarizer.ingest.pipeline import ingest
from tests.conftest import CORPUS

FILES = Path(__file__).parent / "files"
BODY = "India and Russia agreed on Tuesday to resume talks on the long-delayed defence pact.\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_front_matter(tmp_path: Path, lines: str, name: str = "article.md") -> Path:
    return write(tmp_path, name, f"---\n{lines}\n---\n{BODY}")


def all_sentences(article) -> list[str]:
    return [s.text for p in article.passages for s in p.sentences]


# --- plain text stays exactly as it was -------------------------------------------------------

def test_seed_corpus_parses_exactly_as_before_the_new_formats():
    """Expected output was computed with the reader as it was before Markdown and HTML support."""
    expected = json.loads((FILES / "corpus_parsed_before_formats.json").read_text(encoding="utf-8"))
    paths = sorted(CORPUS.glob("*.txt"))
    assert sorted(p.name for p in paths) == sorted(expected), "corpus changed: regenerate the fixture"
    for path in paths:
        article = read_article(path)
        record = dataclasses.asdict(article.record)
        assert record.pop("path") == str(path)
        assert record == expected[path.name]["record"], path.name
        passages = [{"start": p.start, "end": p.end, "sentences": [[s.start, s.end] for s in p.sentences]}
                    for p in article.passages]
        assert passages == expected[path.name]["passages"], path.name


def test_text_files_are_not_read_as_markdown(tmp_path):
    path = write(tmp_path, "note.txt", "Officials called the talks **very** productive and [useful](x) on Monday.\n")
    assert read_article(path).record.body == "Officials called the talks **very** productive and [useful](x) on Monday."


def test_folders_yield_every_article_format(tmp_path):
    for name in ("a.txt", "b.md", "c.markdown", "d.html", "e.HTM", "f.pdf", ".hidden.md"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in article_files(tmp_path)] == ["a.txt", "b.md", "c.markdown", "d.html", "e.HTM"]


# --- Markdown -----------------------------------------------------------------------------------

def test_markdown_reads_as_prose_with_front_matter_fields():
    article = read_article(FILES / "blinken_lavrov.md")
    record = article.record
    assert record.title == "Jaishankar speaks to Blinken and Lavrov"
    assert record.url == "https://example.com/blinken-lavrov"
    assert record.source == "The Wire"
    assert record.published == "2022-01-04"
    for markup in ("[", "](", "**", "\\", "_Sergey", "https://", "![", "<", "var x"):
        assert markup not in record.body, markup
    assert "Jaishankar speaks to Blinken" not in record.body  # the heading became the title
    assert "photo of the ministers" not in record.body  # images are dropped with their alt text
    sentences = [s.text for paragraph in record.body.split("\n\n") for s in split_sentences(paragraph)]
    assert sentences == all_sentences(article)
    assert all("\n" not in s for s in sentences)
    assert ('External affairs minister S Jaishankar spoke with Antony Blinken on Monday, calling it a '
            'broad-ranging conversation on "current bilateral issues, Indo-Pacific and pressing global '
            'matters", officials said.') in sentences
    assert "He then spoke with Sergey Lavrov about *strategic* ties and the 2+2 dialogue." in sentences
    assert '"We had a good conversation," Lavrov said after the call.' in sentences
    assert "An HTML block with bold text inside it." in sentences
    # each list item is its own line, not run into the next
    assert "Talks on defence research were held this week in New Delhi" in sentences
    assert "Officials said the next round will be in Moscow in February" in sentences


def test_markdown_title_falls_back_to_the_first_heading_and_front_matter_wins(tmp_path):
    text = ("Some intro words\n\n## Background\n\n# Delhi and Moscow sign a pact\n\n"
            "India and Russia *signed* a pact on Tuesday. Officials said more talks would follow.\n")
    assert read_article(write(tmp_path, "pact.markdown", text)).record.title == "Delhi and Moscow sign a pact"
    stated = read_article(write(tmp_path, "stated.md", "---\nheadline: Pact signed\n---\n" + text)).record
    assert stated.title == "Pact signed"
    assert "Delhi and Moscow sign a pact" in stated.body


def test_markdown_wrapped_quote_is_one_sentence_without_line_breaks(tmp_path):
    path = write(tmp_path, "wrapped.md",
                 "Lavrov said the talks were \u201cuseful but\ndifficult, and we will\nmeet again\u201d "
                 "before he left.\nThe next round is in\nGeneva.\n")
    article = read_article(path)
    assert all_sentences(article) == [
        "Lavrov said the talks were \u201cuseful but difficult, and we will meet again\u201d before he left.",
        "The next round is in Geneva."]


def test_markdown_tables_code_and_html_blocks_become_plain_lines(tmp_path):
    path = write(tmp_path, "blocks.md", (
        "Ministers met on ~~Monday~~ Tuesday to sign the `2+2` pact &amp; a trade note.\n\n"
        "| Minister | Said |\n|---|---|\n| Antony Blinken | talks were *frank* and useful |\n"
        "| Sergey Lavrov | the proposals were not negotiable |\n\n"
        "    An indented paragraph that a\n    converter left behind in the file.\n\n"
        "<div class=\"box\"><p>First line<br>of a boxed quote.</p>"
        "<table><tr><td>Seats won in the vote</td><td>12</td></tr></table>"
        "<style>p { color: red }</style></div>\n"))
    assert read_article(path).record.body.split("\n\n") == [
        "Ministers met on Monday Tuesday to sign the 2+2 pact & a trade note.",
        # a short header row is a label, dropped like any short line that is not a sentence
        "Antony Blinken; talks were frank and useful", "Sergey Lavrov; the proposals were not negotiable",
        "An indented paragraph that a converter left behind in the file.",
        "First line of a boxed quote.", "Seats won in the vote 12",
    ]


# --- HTML ---------------------------------------------------------------------------------------

def test_html_file_gives_article_text_and_page_metadata():
    path = FILES / "lavrov_page.html"
    article = read_article(path)
    record = article.record
    assert record.title == "Lavrov warns of \u201cred lines\u201d before Geneva talks"
    assert record.source == "Diplomatic Wire"
    assert record.url == "https://wire.example.org/2022/01/09/lavrov-red-lines"
    assert record.published == "2022-01-09"
    assert record.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.body.startswith("Russian foreign minister Sergey Lavrov said on Sunday")
    assert "missile deployments in Europe." in record.body
    for furniture in ("Home", "Subscribe", "Cricket", "Most read", "\u00a9", "Cookie", "newsletter"):
        assert furniture not in record.body, furniture
    assert all("\n" not in s for s in all_sentences(article))


def test_html_page_without_article_text_is_refused_in_one_line(tmp_path):
    path = write(tmp_path, "empty.htm", "<html><head><title>Nothing</title></head><body><nav><a href='/'>Home</a>"
                                        "</nav></body></html>")
    with pytest.raises(ArticleError) as err:
        read_article(path)
    assert "no article text" in str(err.value) and "\n" not in str(err.value)


LATIN1_PARAGRAPH = "<p>Ministers met in a caf\u00e9 in Paris on Monday to talk about the \u201cnext steps\u201d.</p>"


@pytest.mark.parametrize("name, raw", [
    ("latin1.md", "# Caf\u00e9 talks\n\nMinisters met in a caf\u00e9 in Paris on Monday.\n".encode("latin-1")),
    ("undeclared.html", f"<html><body>{LATIN1_PARAGRAPH}</body></html>".encode("cp1252")),
    ("wrong.html", f"<html><head><meta charset='no-such-codec'></head><body>{LATIN1_PARAGRAPH}</body></html>"
                   .encode("cp1252")),
])
def test_non_utf8_markdown_and_undeclared_html_get_the_clear_message(tmp_path, name, raw):
    path = tmp_path / name
    path.write_bytes(raw)
    with pytest.raises(ArticleError) as err:
        read_article(path)
    assert str(err.value).startswith("not UTF-8 text (invalid byte at offset ")
    assert str(err.value).endswith("re-save it as UTF-8") and "\n" not in str(err.value)


@pytest.mark.parametrize("head", [
    "<meta charset='windows-1252'>",
    '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
])
def test_html_in_its_declared_charset_is_decoded(tmp_path, head):
    path = tmp_path / "cp1252.html"
    path.write_bytes(f"<html><head>{head}</head><body><article>{LATIN1_PARAGRAPH}</article></body></html>"
                     .encode("cp1252"))
    article = read_article(path)
    assert article.record.body == ("Ministers met in a caf\u00e9 in Paris on Monday to talk about the "
                                   "\u201cnext steps\u201d.")
    assert article.record.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_valid_utf8_wins_over_a_stale_charset_declaration(tmp_path):
    path = tmp_path / "resaved.html"
    path.write_bytes(f"<html><head><meta charset='iso-8859-1'></head><body>{LATIN1_PARAGRAPH}</body></html>"
                     .encode("utf-8"))
    assert "caf\u00e9" in read_article(path).record.body


# --- front matter -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["published", "date", "published_time", "pubDate", "pub_date", "published_at",
                                 "PubDate"])
def test_every_date_key_is_read(tmp_path, key):
    assert read_article(with_front_matter(tmp_path, f"{key}: 2022-01-04")).record.published == "2022-01-04"


@pytest.mark.parametrize("value, expected", [
    ("2022-01-04", "2022-01-04"),
    ("'2022-01-04'", "2022-01-04"),
    ("2022-01-04 10:00:00", "2022-01-04"),
    ("2022-01-04T23:30:00-05:00", "2022-01-04"),
    ("'2022-01-04T10:00:00Z'", "2022-01-04"),
    ("'2022-01-04T10:00:00+05:30'", "2022-01-04"),
    ("Tue, 04 Jan 2022 10:00:00 GMT", "2022-01-04"),
    ("Tue, 04 Jan 2022 10:00:00 +0000", "2022-01-04"),
    ("January 4, 2022", "2022-01-04"),
    ("Jan. 4, 2022", "2022-01-04"),
    ("4 January 2022", "2022-01-04"),
])
def test_date_formats(tmp_path, value, expected):
    assert read_article(with_front_matter(tmp_path, f"date: {value}")).record.published == expected


@pytest.mark.parametrize("key", ["url", "source_url", "link", "canonical_url"])
def test_every_url_key_is_read(tmp_path, key):
    path = with_front_matter(tmp_path, f"{key}: https://example.com/a?b=1")
    assert read_article(path).record.url == "https://example.com/a?b=1"


@pytest.mark.parametrize("key", ["source", "site_name", "outlet", "publisher"])
def test_every_source_key_is_read(tmp_path, key):
    assert read_article(with_front_matter(tmp_path, f"{key}: The Hindu")).record.source == "The Hindu"


@pytest.mark.parametrize("lines, title", [
    ('title: "Lavrov\\u2019s \\"warning\\" to NATO"', "Lavrov\u2019s \"warning\" to NATO"),
    ("headline: 'It''s a deal, says Blinken'", "It's a deal, says Blinken"),
    ("title: >-\n  Blinken and Lavrov\n  speak again", "Blinken and Lavrov speak again"),
    ("title: |\n  Blinken and Lavrov\n  speak again\n", "Blinken and Lavrov speak again"),
    ('title: "Russia: talks begin in Geneva"', "Russia: talks begin in Geneva"),
    ("title: Russia: talks begin in Geneva\ndate: 2022-01-10", "Russia: talks begin in Geneva"),
    ("title: Russia: talks: day one\nsource: Reuters: World", "Russia: talks: day one"),
])
def test_titles_come_out_as_one_clean_line(tmp_path, lines, title):
    assert read_article(with_front_matter(tmp_path, lines)).record.title == title


def test_unquoted_colons_keep_the_other_fields(tmp_path):
    record = read_article(with_front_matter(tmp_path, "title: Russia: talks\nsource: Reuters: World\n"
                                                      "date: 2022-01-10")).record
    assert (record.source, record.published) == ("Reuters: World", "2022-01-10")


@pytest.mark.parametrize("value", ["sometime last week", "2022-13-45", "'2022-02-30'", "2022", "[2022, 1, 4]"])
def test_undatable_file_is_ingested_undated(tmp_path, value):
    article = read_article(with_front_matter(tmp_path, f"title: Talks\ndate: {value}"))
    assert article.undated and article.record.published is None
    assert article.record.body == BODY.strip()


def test_undatable_front_matter_date_falls_back_to_the_text(tmp_path):
    path = write(tmp_path, "a.md", "---\ndate: soon\n---\nPublished on Jan 05, 2022\n\n" + BODY)
    article = read_article(path)
    assert article.record.published == "2022-01-05" and not article.undated


def test_invalid_yaml_is_still_a_clear_error(tmp_path):
    with pytest.raises(ArticleError) as err:
        read_article(with_front_matter(tmp_path, "title: [unclosed"))
    assert "front matter is not valid YAML" in str(err.value) and "\n" not in str(err.value)


# --- web pages ----------------------------------------------------------------------------------

PAGE_TEXT = ("Russian foreign minister Sergey Lavrov said on Sunday that Moscow would not accept the outcome.\n"
             "US deputy secretary of state Wendy Sherman will lead the American delegation on Monday.")


def page(url: str, text: str = PAGE_TEXT, **fields):
    fields = {"title": None, "published": None, "source": None} | fields
    return article_from_page(article_id=url.rsplit("/", 1)[-1], url=url, text=text, **fields)


def test_same_text_under_two_urls_has_one_hash():
    first = page("https://a.example/lavrov-1")
    syndicated = page("https://b.example/world/lavrov-2", "Read more: the latest on Ukraine\n\n" + PAGE_TEXT + "\n")
    other = page("https://a.example/sherman", PAGE_TEXT.replace("Monday", "Tuesday"))
    assert first.record.body == syndicated.record.body
    assert first.record.content_hash == syndicated.record.content_hash
    assert first.record.content_hash == hashlib.sha256(first.record.body.encode()).hexdigest()
    assert other.record.content_hash != first.record.content_hash
    assert (syndicated.record.path, syndicated.record.url) == ("https://b.example/world/lavrov-2",) * 2
    assert syndicated.record.id == syndicated.record.story_id == "lavrov-2"


def test_page_fields_are_cleaned_and_gaps_filled():
    article = page("https://a.example/x", title="  Lavrov warns\n NATO ", published="2022-01-09T08:30:00+03:00",
                   source="Diplomatic Wire")
    record = article.record
    assert (record.title, record.published, record.source) == ("Lavrov warns NATO", "2022-01-09", "Diplomatic Wire")
    assert [len(p.sentences) for p in article.passages] == [1, 1]
    untitled = page("https://a.example/y", published="not a date").record
    assert untitled.title.startswith("Russian foreign minister Sergey Lavrov said")
    assert untitled.published is None


def test_too_short_page_is_refused():
    with pytest.raises(ArticleError, match="no article text"):
        page("https://a.example/short", "Subscribe now.\n\nToo short.")


# --- through the real pipeline into SQLite ------------------------------------------------------

async def test_markdown_and_html_files_are_stored_with_their_fields(tmp_path, embedder):
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(FILES / "blinken_lavrov.md", folder)
    shutil.copy(FILES / "lavrov_page.html", folder)
    with_front_matter(folder, "title: Undated talks\ndate: whenever", name="undated.markdown")
    database = await Database.open(tmp_path / "b.db")
    try:
        report = await ingest(Corpus(database), embedder, [folder])
        assert not report.failed and len(report.added) == 3
        stored = {a.id: a for a in await Corpus(database).articles()}
        assert stored["blinken_lavrov"].url == "https://example.com/blinken-lavrov"
        assert stored["lavrov_page"].source == "Diplomatic Wire"
        assert stored["undated"].published is None
        passages = await database.fetchall(
            "SELECT text FROM passages WHERE article_id = 'blinken_lavrov'")
        assert passages and all("\n" not in row[0] and "](" not in row[0] for row in passages)
    finally:
        await database.close()
