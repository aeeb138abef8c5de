"""The whole ask path on a real (tiny) model, on both runtimes. SmolLM2-135M invents freely;
what must hold is that nothing it invents reaches the answer."""

import pytest

from summarizer.engine import Engine, EngineConfig
from summarizer.answering.verify import check_answer
from tests.conftest import CORPUS

QUESTION = "What did Jaishankar tweet after speaking to Lavrov in January 2022?"


@pytest.mark.parametrize("runtime", ["llama.cpp", "transformers"])
async def test_real_small_model_answers_are_verified(db_copy, tmp_path, embedder, runtime):
    config = EngineConfig(db_path=db_copy, corpus_dir=CORPUS, model="smollm2", runtime=runtime,
                          model_cache=tmp_path, generation_timeout_s=120)
    engine = await Engine.open(config, embedder=embedder)
    try:
        answer = await engine.ask(QUESTION)
        assert engine.answerer.models.load_error is None
        assert answer.model == f"smollm2-135m-instruct-q4_1@{runtime}"
        assert answer.mode in {"generated", "extractive"} and answer.citations
        # Every sentence that stands re-verifies against the quotes it cites.
        quotes = [c.quote for c in answer.citations]
        assert all(c.supported for c in check_answer(answer.answer, quotes)), answer.answer
    finally:
        await engine.close()
