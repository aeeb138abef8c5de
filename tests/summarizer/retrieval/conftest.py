"""A crowded corpus for the answerability rules: the 104 news-dev releases, ingested once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from store import Corpus, Database
from summarizer.engine import Engine, EngineConfig
from summarizer.ingest.pipeline import ingest

NEWS_DEV = Path(__file__).resolve().parents[3].parent / "shared" / "news-dev"


@pytest.fixture(scope="session")
def news_dev_db(tmp_path_factory, embedder) -> Path:
    if not NEWS_DEV.is_dir():
        pytest.fail(f"{NEWS_DEV} is missing: the answerability tests need ../shared/news-dev")
    path = tmp_path_factory.mktemp("news-dev") / "news-dev.db"

    async def build() -> None:
        database = await Database.open(path)
        try:
            await ingest(Corpus(database), embedder, [NEWS_DEV])
        finally:
            await database.close()

    import asyncio
    asyncio.run(build())
    return path


@pytest.fixture
async def news_engine(news_dev_db, tmp_path, embedder, fake_model):
    copy = tmp_path / "news-dev.db"
    shutil.copy(news_dev_db, copy)
    config = EngineConfig(db_path=copy, corpus_dir=tmp_path / "corpus", model_cache=tmp_path / "models",
                          generation_timeout_s=5.0)
    engine = await Engine.open(config, generator=fake_model, embedder=embedder)
    yield engine
    await engine.close()
