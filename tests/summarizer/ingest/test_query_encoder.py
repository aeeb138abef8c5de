"""Questions are embedded in NumPy (no torch import on the ask path); the vectors must be the
ones sentence-transformers gives, or retrieval and refusal would drift from ingest."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np

from summarizer.ingest import query_encoder
from summarizer.ingest.embeddings import Embedder, bundled_model_path
from tests.conftest import SHARED

TEXTS = [
    "What did Lavrov say about the Quad?",
    "When was the India-US 2+2 meeting originally slotted?",
    "  surrounding spaces and a\ttab\nand a newline  ",
    "naïve café — “curly quotes”, an ellipsis … and O’Brien’s apostrophe",
    "emoji 🙂 and CJK 中文 字",
    "x",
    "",
    " ".join(["word"] * 400),  # past the model's 256-token limit: truncated the same way
]


def eval_questions() -> list[str]:
    return [json.loads(line)["q"] for line in (SHARED / "eval" / "questions.jsonl").read_text().splitlines()
            if line.strip()]


def test_numpy_vectors_are_sentence_transformers_vectors_to_float32_rounding(embedder):
    texts = TEXTS + eval_questions()
    ours = np.stack([embedder.encode_query(t) for t in texts])
    reference = np.stack([embedder.encode([t])[0] for t in texts])  # one at a time, as questions were
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    assert np.abs(ours - reference).max() < 2e-6
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)


async def test_retrieval_ranks_the_same_with_either_vector(engine, embedder):
    for question in eval_questions():
        ranked, _ = await engine.index.rank(question, limit=20)
        reference, _ = await engine.index.rank(question, limit=20, query_vector=embedder.encode([question])[0])
        assert [r.passage_id for r in ranked] == [r.passage_id for r in reference], question


def test_the_bundled_model_is_supported_and_other_layouts_are_not(tmp_path):
    source = bundled_model_path()
    assert query_encoder.supports(source)
    other = tmp_path / "model"
    shutil.copytree(source, other, ignore=shutil.ignore_patterns("model.safetensors"))
    (other / "model.safetensors").symlink_to(source / "model.safetensors")
    assert query_encoder.supports(other)
    pooling = other / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps(config | {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    assert not query_encoder.supports(other)


def test_a_model_the_numpy_encoder_does_not_reproduce_is_embedded_by_sentence_transformers(monkeypatch, embedder):
    monkeypatch.setattr(query_encoder, "supports", lambda path: False)
    fallback = Embedder()
    fallback._model = embedder.load()  # the session's loaded model: no second multi-second load
    vector = fallback.encode_query(TEXTS[0])
    assert np.array_equal(vector, embedder.encode([TEXTS[0]])[0])


def test_gelu_matches_the_exact_erf_form():
    encoder = query_encoder.QueryEncoder(bundled_model_path())
    x = np.linspace(-12, 12, 20001, dtype=np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    assert np.abs(encoder._gelu(x) - exact).max() < 1e-6
