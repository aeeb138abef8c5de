"""Persistence: SQLite through aiosqlite. No ML, no Discord."""

from store.db import (
    Article,
    CorruptDatabaseError,
    NewPassage,
    NewSentence,
    Passage,
    ReadOnlyStoreError,
    Sentence,
    Store,
    StoreError,
    Subscription,
    VectorMatrix,
)

__all__ = [
    "Article", "CorruptDatabaseError", "NewPassage", "NewSentence", "Passage", "ReadOnlyStoreError",
    "Sentence", "Store", "StoreError", "Subscription", "VectorMatrix",
]
