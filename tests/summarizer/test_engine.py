"""The engine's start-up paths: the model's own process starts before the first question."""

from __future__ import annotations

import asyncio
import os

from summarizer.engine import Engine, EngineConfig


def config_for(db_copy, tmp_path) -> EngineConfig:
    return EngineConfig(db_path=db_copy, corpus_dir=tmp_path / "corpus", model="smollm2", runtime="llama.cpp",
                        model_cache=tmp_path / "models", generation_timeout_s=60.0)


async def until(condition, timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_start_model_starts_the_model_process_before_any_question(db_copy, tmp_path, embedder):
    engine = await Engine.open(config_for(db_copy, tmp_path), embedder=embedder)
    try:
        engine.start_model()
        await until(lambda: engine.answerer.models.process_id is not None)
        pid = engine.answerer.models.process_id
        answer = await engine.ask("What did Lavrov say about the Quad?", use_cache=False)
        assert answer.model.startswith("smollm2") and answer.citations
        assert engine.answerer.models.process_id == pid, "the question started a second model process"
    finally:
        await engine.close()
    assert not running(pid)


async def test_closing_while_the_model_still_loads_ends_its_process(db_copy, tmp_path, embedder):
    engine = await Engine.open(config_for(db_copy, tmp_path), embedder=embedder)
    engine.start_model()
    await until(lambda: engine.answerer.models.process_id is not None)
    pid = engine.answerer.models.process_id
    await engine.close()
    await until(lambda: not running(pid), 10.0)


async def test_warm_up_prepares_questions_without_sentence_transformers(db_copy, tmp_path):
    from summarizer.ingest.embeddings import Embedder

    embedder = Embedder()
    engine = await Engine.open(config_for(db_copy, tmp_path), embedder=embedder)
    try:
        await engine.warm_up(model=False)
        assert embedder._model is None, "warm-up loaded sentence-transformers, which questions do not use"
        hits = await engine.search("Asian NATO")
        assert hits and embedder._model is None
    finally:
        await engine.close()
