"""/search, /article, /sources, /quotes and /timeline through the real CommandTree."""

from __future__ import annotations

from tests.bot.harness import CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, UPDATE_MESSAGE, option


async def test_search_defers_then_pages_through_the_passages(bot, alice, channel, interactions):
    sent = await interactions.slash("search", [option("query", "Lavrov Quad Asian NATO")],
                                    member=alice, channel=channel)

    assert [s.kind for s in sent] == ["response", "followup"]
    assert sent[0].response_type == DEFERRED_CHANNEL_MESSAGE
    first_page = sent[1].embeds[0]
    assert first_page.title == "Search: Lavrov Quad Asian NATO"
    assert first_page.footer.text == "Page 1 of 3"
    assert "Asian NATO" in "\n".join(f.value for f in first_page.fields)
    assert sent[1].button_labels == ["Previous", "Next"]

    turned = await interactions.click("Next", sent[1].message_id, member=alice, channel=channel)

    assert turned[0].response_type == UPDATE_MESSAGE
    assert turned[0].embeds[0].footer.text == "Page 2 of 3"


async def test_only_the_asker_turns_the_pages(bot, alice, bob, channel, interactions):
    sent = await interactions.slash("search", [option("query", "Lavrov")], member=alice, channel=channel)

    refused = await interactions.click("Next", sent[1].message_id, member=bob, channel=channel)

    assert refused[0].response_type == CHANNEL_MESSAGE and refused[0].ephemeral
    assert "Only the person who asked" in refused[0].content


async def test_sources_lists_the_corpus(bot, alice, channel, interactions):
    sent = await interactions.slash("sources", member=alice, channel=channel)

    page = sent[-1].embeds[0]
    assert page.title == "The corpus: 5 articles"
    assert len(page.fields) == 5
    assert any("Hindustan Times · 2022-01-05" in f.value for f in page.fields)


async def test_article_autocomplete_then_lookup(bot, alice, channel, interactions):
    choices = await interactions.autocomplete("article", [option("id_or_title", "moscow", focused=True)],
                                              member=alice, channel=channel)
    assert choices == [{"name": "Moscow plays down Beijing, pledges deeper Delhi ties: S-400 to Afghanistan",
                        "value": "003_a9a0456af7e62718"}]

    sent = await interactions.slash("article", [option("id_or_title", choices[0]["value"])],
                                    member=alice, channel=channel)

    embed = sent[-1].embeds[0]
    assert embed.title == choices[0]["name"]
    assert {f.name: f.value for f in embed.fields}["Outlet"] == "The Indian Express"
    assert embed.description  # the lead sentences


async def test_unknown_article_says_so(bot, alice, channel, interactions):
    sent = await interactions.slash("article", [option("id_or_title", "no such piece")], member=alice,
                                    channel=channel)

    assert "No article matches" in sent[-1].content


async def test_quotes_are_verbatim_and_cited(bot, alice, channel, interactions, engine):
    sent = await interactions.slash("quotes", [option("speaker", "Lavrov"), option("topic", "Quad")],
                                    member=alice, channel=channel)

    page = sent[-1].embeds[0]
    assert page.title == "What Lavrov said"
    quotes = await engine.quotes("Lavrov", "Quad", limit=10)
    assert page.fields[0].value.startswith(f"“{quotes[0].text[:40]}")
    assert page.fields[0].name.startswith("[1] ")


async def test_timeline_is_in_date_order(bot, alice, channel, interactions):
    sent = await interactions.slash("timeline", [option("topic", "India Russia relations")],
                                    member=alice, channel=channel)

    dates = [f.name.split()[0] for f in sent[-1].embeds[0].fields]
    assert dates and dates == sorted(dates)
