"""/stats reports the corpus and how questions have been answered."""

from __future__ import annotations

from tests.bot.harness import DEFERRED_CHANNEL_MESSAGE, option


async def test_stats_counts_the_corpus_and_the_cache(bot, alice, channel, interactions, engine):
    question = [option("question", "What did Lavrov say about the Quad?")]
    await interactions.slash("ask", question, member=alice, channel=channel)
    await interactions.slash("ask", question, member=alice, channel=channel)  # from the cache
    await engine.answerer.drain()  # statistics are written after replying

    sent = await interactions.slash("stats", member=alice, channel=channel)

    assert sent[0].response_type == DEFERRED_CHANNEL_MESSAGE
    fields = {f.name: f.value for f in sent[-1].embeds[0].fields}
    assert fields["Articles"] == "5"
    assert fields["Questions answered"] == "2"
    assert fields["Cache hit rate"] == "50%"
    assert fields["Model"] == "fake@test"
    assert fields["Median answer time"].endswith(" s")
