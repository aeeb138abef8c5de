from summarizer import health


async def test_the_embedder_check_needs_question_and_ingest_vectors_to_agree(embedder, monkeypatch):
    good = await health.check_embedder(embedder)
    assert good.ok and "questions ready in" in good.detail

    monkeypatch.setattr(embedder, "encode_query", lambda text: -embedder.encode([text])[0])
    bad = await health.check_embedder(embedder)
    assert not bad.ok and "differently" in bad.detail and bad.fix
