"""Lookups that need no model (summarizer/briefings/lookups.py) through the Engine: the source list,
one article, who said what, timelines, and the citations they all carry, which quote the
corpus verbatim."""

from __future__ import annotations

import pytest

from tests.conftest import CORPUS

MALHOTRA_S400 = "S-400 is in the national and defence security interest of India."
WANG_YI = "Chinese Foreign minister Wang Yi has called Quad the “Indo-Pacific NATO” in the past."
LAVROV_RESILIENCE = "We both agree that this attests to the maturity and remarkable resilience of our relations,"
JAISHANKAR_TWEET = "Jaishankar tweeted, \"Glad to exchange New Year greetings with Russian FM Sergey Lavrov"


def assert_cites_the_corpus_verbatim(citation, text: str) -> None:
    assert citation.quote == text
    assert text in citation.passage
    source_file = CORPUS / citation.path.rsplit("/", 1)[-1]
    raw = " ".join(source_file.read_text(encoding="utf-8").split())
    assert " ".join(citation.passage.split()) in raw  # what is shown is what the file says


async def test_sources_list_every_article_with_its_metadata(engine):
    infos = {s.article_id[:3]: s for s in await engine.sources()}
    assert set(infos) == {"000", "001", "002", "003", "004"}
    assert infos["003"].source == "The Indian Express" and infos["003"].published is None
    assert infos["001"].published == "2023-12-28" and infos["001"].source is None
    assert infos["004"].title == "Jaishankar reviews bilateral ties with US, Russia ahead of talks"
    assert all(s.passages > 0 for s in infos.values())
    assert infos["000"].story_id == infos["004"].story_id
    assert all(s.path.endswith(".txt") and s.to_dict()["article_id"] == s.article_id for s in infos.values())


@pytest.mark.parametrize("wanted", [
    "003_a9a0456af7e62718",  # the full id
    "003",  # an id prefix
    "Moscow plays down Beijing, pledges deeper Delhi ties: S-400 to Afghanistan",  # the exact title
    "moscow PLAYS down beijing, pledges deeper delhi ties: s-400 to afghanistan",  # any case
    "pledges deeper Delhi ties",  # part of the title
])
async def test_article_is_found_by_id_prefix_or_title(engine, wanted):
    brief = await engine.article(wanted)
    assert brief is not None and brief.info.article_id == "003_a9a0456af7e62718"
    assert brief.summary.startswith("In a bid to iron out divergences")  # its lead, verbatim
    assert [s.article_id[:3] for s in brief.same_story] == ["002"]  # the other report of Lavrov's visit


async def test_article_lead_is_verbatim_and_same_story_coverage_is_offered(engine):
    brief = await engine.article("004")
    assert brief.summary.startswith("External affairs minister S Jaishankar has reviewed bilateral relations")
    raw = " ".join((CORPUS / "004_7ecfe26781f484f4.txt").read_text(encoding="utf-8").split())
    assert brief.summary in raw
    assert [s.source for s in brief.same_story] == ["ETV Bharat"]
    assert (await engine.article("001")).same_story == []


@pytest.mark.parametrize("wanted", ["no such article", "999", "", "   ", "\u200b"])
async def test_unknown_or_blank_article_is_none(engine, wanted):
    assert await engine.article(wanted) is None


def assert_quotes_its_sentence(quote) -> None:
    """A quote is the quoted words of its cited sentence, which is itself the corpus verbatim."""
    assert_cites_the_corpus_verbatim(quote.citation, quote.citation.quote)
    assert all(part in quote.citation.quote for part in quote.text.split(" … "))
    assert quote.text[:1] not in "“\"" and quote.text[-1:] not in "”\""


async def test_quotes_list_quotations_of_the_named_speaker(engine):
    quotes = await engine.quotes("Achal Malhotra")
    assert quotes and {q.citation.article_id[:3] for q in quotes} == {"000"}
    assert any(q.text.startswith(MALHOTRA_S400) for q in quotes)
    assert any("Malhotra said" in q.citation.quote for q in quotes)  # "… former diplomat Achal Malhotra said, “…”"
    assert not [q for q in quotes if q.citation.quote.startswith("He recalled")]  # reported, not his words
    for n, q in enumerate(quotes, 1):
        assert q.speaker == "Achal Malhotra" and q.citation.n == n
        assert_quotes_its_sentence(q)


async def test_quotes_by_surname_are_the_quoted_words_of_the_sentence(engine):
    quotes = await engine.quotes("Wang Yi")
    assert [(q.text, q.citation.quote) for q in quotes] == [("Indo-Pacific NATO", WANG_YI)]
    assert quotes[0].citation.source == "The Indian Express"


async def test_quotes_of_someone_the_corpus_never_quotes_are_empty(engine):
    assert await engine.quotes("Emmanuel Macron") == []
    assert await engine.quotes("   ") == []


async def test_quotes_on_a_topic_come_closest_to_it_first(engine):
    quotes = await engine.quotes("Lavrov", "Asian NATO", limit=3)
    assert quotes and len(quotes) <= 3
    assert "NATO" in quotes[0].text and quotes[0].citation.article_id[:3] == "003"
    assert len({q.text for q in quotes}) == len(quotes)


async def test_quotes_respect_the_limit(engine):
    assert len(await engine.quotes("Jaishankar", limit=2)) == 2
    assert len(await engine.quotes("Jaishankar", limit=1)) == 1


async def test_quotes_do_not_attribute_anothers_words_to_the_named_speaker(engine):
    quotes = await engine.quotes("Lavrov", limit=20)
    cited = [q.citation.quote for q in quotes]
    assert not [c for c in cited if c.startswith(JAISHANKAR_TWEET)]
    assert not [c for c in cited if "Jaishankar" in c and "Lavrov" not in c]
    # "“We both agree …,” Russian minister said." is Lavrov's, found through his title
    assert any(q.text.startswith(LAVROV_RESILIENCE.rstrip(",")) for q in quotes)
    # reported speech ("Lavrov also said that …") is not a quotation
    assert not [c for c in cited if c.startswith("Lavrov also said that")]
    for q in quotes:
        assert_quotes_its_sentence(q)


async def test_timeline_is_in_date_order_with_undated_reports_last(engine):
    events = await engine.timeline("Jaishankar Lavrov talks")
    assert 2 <= len(events) <= 10
    dated = [e.date for e in events if e.date]
    assert dated == sorted(dated)
    assert [e.date is None for e in events] == sorted(e.date is None for e in events)  # undated at the end
    per_article: dict[str, int] = {}
    for n, e in enumerate(events, 1):
        per_article[e.citation.article_id] = per_article.get(e.citation.article_id, 0) + 1
        assert e.citation.n == n and e.date == e.citation.published
        assert_cites_the_corpus_verbatim(e.citation, e.text)
    assert max(per_article.values()) <= 2 and len(per_article) >= 3


async def test_timeline_respects_the_limit_and_finds_the_topic(engine):
    events = await engine.timeline("S-400 air defence system", limit=2)
    assert 1 <= len(events) <= 2
    assert all("S-400" in e.text for e in events)


async def test_timeline_of_an_unrelated_topic_is_empty(engine):
    assert await engine.timeline("router password reset") == []


async def test_timeline_of_a_topic_the_corpus_lacks_is_empty(engine):
    assert await engine.timeline("World Cup") == []
