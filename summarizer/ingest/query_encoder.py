"""The embedding model run in NumPy, one text at a time: how questions are embedded.

sentence-transformers imports torch, transformers and scikit-learn, which takes about 8 s on
our 2-core machine: most of a one-shot `briefbot ask`, for a single short text. The bundled
model (all-MiniLM-L6-v2) is a six-layer BERT with mean pooling and L2 normalisation, so
NumPy runs it in a few milliseconds after a 0.1 s load (the `tokenizers` and `safetensors`
packages read the model's own files). Its vectors agree with sentence-transformers' to float32
rounding (about 1e-7; tests/summarizer/ingest/test_query_encoder.py), far below any score
difference retrieval or refusal turns on. Ingest, which encodes thousands of sentences in
batches, keeps sentence-transformers.

Only the layout sentence-transformers would run as plain BERT + mean pooling + normalisation
is accepted (``supports``); for any other model the embedder uses sentence-transformers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

_MODULES = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
            "sentence_transformers.models.Normalize")
# GELU needs erf, which NumPy lacks: a table of math.erf on [0, _ERF_RANGE), linearly
# interpolated, is within 2e-9 of it (far below float32 rounding); erf is ±1 beyond.
_ERF_STEP = 1e-4
_ERF_RANGE = 6.0


def supports(path: Path) -> bool:
    """Whether the model folder is one this encoder reproduces exactly."""
    try:
        modules = [m["type"] for m in _json(path / "modules.json")]
        config = _json(path / "config.json")
        pooling = _json(path / _pooling_dir(path) / "config.json")
        st_config = _json(path / "config_sentence_transformers.json") if (
            path / "config_sentence_transformers.json").exists() else {}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    pooling_modes = {k: v for k, v in pooling.items() if k.startswith("pooling_mode_")}
    return (
        tuple(modules) == _MODULES
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and pooling_modes.get("pooling_mode_mean_tokens") is True
        and not any(v for k, v in pooling_modes.items() if k != "pooling_mode_mean_tokens")
        and not st_config.get("default_prompt_name")
        and (path / "tokenizer.json").exists()
        and (path / "model.safetensors").exists()
    )


class QueryEncoder:
    """Encodes one text to the L2-normalised float32 vector sentence-transformers would give."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = _json(path / "config.json")
        max_length = int(_json(path / "sentence_bert_config.json")["max_seq_length"])
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length)
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        weights = load_file(str(path / "model.safetensors"))
        self._w = {name: w.astype(np.float32, copy=False) for name, w in weights.items()
                   if w.dtype.kind == "f"}
        for i in range(self._layers):  # query, key and value in one product
            prefix = f"encoder.layer.{i}.attention.self."
            for kind in ("weight", "bias"):
                self._w[f"{prefix}qkv.{kind}"] = np.concatenate(
                    [self._w.pop(f"{prefix}{part}.{kind}") for part in ("query", "key", "value")])
        # Stored as PyTorch keeps them (out × in); NumPy multiplies faster by the contiguous transpose.
        self._w = {name: np.ascontiguousarray(w.T) if name.endswith(".weight") and w.ndim == 2
                   and not name.startswith("embeddings.") else w for name, w in self._w.items()}
        grid = np.arange(0.0, _ERF_RANGE + 2 * _ERF_STEP, _ERF_STEP)
        self._erf_table = np.array([math.erf(x) for x in grid])

    def encode(self, text: str) -> np.ndarray:
        ids = np.array(self._tokenizer.encode(text).ids, dtype=np.int64)
        w = self._w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][0]
             + w["embeddings.position_embeddings.weight"][: len(ids)])
        x = self._layer_norm(x, "embeddings.LayerNorm")
        for i in range(self._layers):
            x = self._layer(x, f"encoder.layer.{i}.")
        pooled = x.sum(axis=0) / np.float32(len(ids))
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def _layer(self, x: np.ndarray, prefix: str) -> np.ndarray:
        n, width = x.shape
        head = width // self._heads
        qkv = self._linear(x, f"{prefix}attention.self.qkv").reshape(n, 3, self._heads, head)
        q, k, v = (qkv[:, part].transpose(1, 0, 2) for part in range(3))
        scores = q @ k.transpose(0, 2, 1) / np.float32(math.sqrt(head))
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, width)
        x = self._layer_norm(self._linear(context, f"{prefix}attention.output.dense") + x,
                             f"{prefix}attention.output.LayerNorm")
        hidden = self._gelu(self._linear(x, f"{prefix}intermediate.dense"))
        return self._layer_norm(self._linear(hidden, f"{prefix}output.dense") + x, f"{prefix}output.LayerNorm")

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w[f"{name}.weight"] + self._w[f"{name}.bias"]

    def _layer_norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        return centred / np.sqrt(variance + np.float32(self._eps)) * self._w[f"{name}.weight"] + self._w[f"{name}.bias"]

    def _gelu(self, x: np.ndarray) -> np.ndarray:
        """The exact GELU BERT uses: x/2 · (1 + erf(x/√2))."""
        scaled = np.abs(x.astype(np.float64)) / math.sqrt(2.0)
        position = np.minimum(scaled, _ERF_RANGE) / _ERF_STEP
        index = position.astype(np.int64)
        fraction = position - index
        erf = self._erf_table[index] * (1.0 - fraction) + self._erf_table[index + 1] * fraction
        return (0.5 * x * (1.0 + np.copysign(erf, x))).astype(np.float32)


def _pooling_dir(path: Path) -> str:
    return next(m["path"] for m in _json(path / "modules.json") if m["type"].endswith(".Pooling"))


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
