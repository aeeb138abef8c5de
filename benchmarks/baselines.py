"""The raw libraries, used the plain way a script would use them: the yardsticks for our figures."""

from __future__ import annotations

import sqlite3

import numpy as np

from summarizer.ingest.embeddings import bundled_model_path


def raw_sentence_transformer():
    """The bundled all-MiniLM-L6-v2 through sentence-transformers, with no wrapper of ours."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(bundled_model_path()), device="cpu", local_files_only=True)


def brute_force_top_k(matrix: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Row indices of the k best cosines (rows and query are unit vectors), best first."""
    scores = matrix @ query
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top])]


def bare_cache_lookup(connection: sqlite3.Connection, key: str) -> tuple | None:
    """A cached answer by primary key with Python's sqlite3: the least any cache can cost."""
    return connection.execute("SELECT response FROM answer_cache WHERE key = ?", (key,)).fetchone()
