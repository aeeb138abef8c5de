import pytest

from summarizer.ingest.documents import ArticleError, read_article, sentences_of
from tests.conftest import CORPUS


def seed(prefix: str):
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    return read_article(path)


def test_front_matter_fields_are_read():
    article = seed("004").record
    assert article.source == "Hindustan Times"
    assert article.published == "2022-01-05"
    assert "Jaishankar" in article.title


def test_undated_article_has_no_guessed_date():
    assert seed("002").record.published is None


def test_boilerplate_and_cross_links_are_removed():
    for path in sorted(CORPUS.glob("*.txt")):
        body = read_article(path).record.body
        for furniture in ("World Cup", "Mianwali", "Leave a Reply", "Please enter your", "Read Also"):
            assert furniture not in body, (path.name, furniture)


def test_passages_keep_offsets_into_the_clean_text():
    article = seed("003")
    body = article.record.body
    assert article.passages
    for passage in article.passages:
        assert body[passage.start:passage.end] == passage.text
        for sentence in passage.sentences:
            assert body[sentence.start:sentence.end] == sentence.text


def test_quoted_speech_stays_one_sentence():
    article = seed("003")
    sentences = [s.text for p in article.passages for s in p.sentences]
    quoted = [s for s in sentences if "energetic and forward looking" in s]
    assert len(quoted) == 1 and quoted[0].count("“") == quoted[0].count("”")


def test_empty_text_has_no_sentences():
    """An empty model reply is split too, before verification rejects it."""
    assert sentences_of("") == [] and sentences_of("  ") == []


def test_metadata_is_inferred_without_front_matter(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("Delhi and Moscow sign a pact\n\nPublished on Jan 05, 2022\n\n"
                    "India and Russia signed a pact on Tuesday. Officials said more talks would follow soon.\n")
    article = read_article(path).record
    assert article.title == "Delhi and Moscow sign a pact"
    assert article.published == "2022-01-05"


_BAD_BYTES = [(b"", "empty"), (b"\x00\x01\x02binary" * 10, "binary"), (b"caf\xe9 is not utf-8 " * 10, "UTF-8")]
_BAD_YAML = (b"---\ntitle: [unclosed\n---\nSome body text that is long enough to be an article here.\n", "YAML")


@pytest.mark.parametrize("suffix, raw, reason",
                         [(suffix, *case) for suffix in (".txt", ".md", ".html") for case in _BAD_BYTES]
                         + [(suffix, *_BAD_YAML) for suffix in (".txt", ".md")])
def test_bad_files_get_a_one_line_reason(tmp_path, suffix, raw, reason):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(raw)
    with pytest.raises(ArticleError) as err:
        read_article(path)
    assert reason in str(err.value) and "\n" not in str(err.value)


def test_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.truncate(50 * 1024 * 1024)
    with pytest.raises(ArticleError, match="too large"):
        read_article(path)


def test_impossible_date_is_ingested_undated(tmp_path):
    """YAML refuses to build 2022-13-45; the article is kept, undated, for the ingest report to list."""
    path = tmp_path / "impossible.txt"
    path.write_bytes(b"---\ntitle: x\npublished: 2022-13-45\n---\n"
                     b"Some body text that is long enough to be an article.\n")
    article = read_article(path)
    assert article.undated and article.record.title == "x"
