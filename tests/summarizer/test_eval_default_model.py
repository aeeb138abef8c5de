"""The quality gate on the default 1.5B model (`make test-slow`): minutes, not seconds."""

import pytest

from summarizer.engine import Engine, EngineConfig
from summarizer.evaluation import load_questions, run_eval
from tests.conftest import CORPUS, REPO, SHARED

pytestmark = pytest.mark.slow
QUESTIONS = SHARED / "eval" / "questions.jsonl"


@pytest.mark.skipif(not QUESTIONS.exists(), reason="needs ../shared/eval")
async def test_default_model_passes_the_seed_questions(db_copy, embedder):
    config = EngineConfig(db_path=db_copy, corpus_dir=CORPUS, model="default",
                          model_cache=REPO / "data" / "models", generation_timeout_s=120)
    engine = await Engine.open(config, embedder=embedder)
    try:
        await engine.warm_up()
        report = await run_eval(engine, load_questions(QUESTIONS), use_cache=False)
    finally:
        await engine.close()
    failures = [(r.id, r.reason, r.answer) for r in report.rows if not r.correct]
    assert report.out_of_scope_answered == 0, failures
    assert report.correct >= 12, failures
