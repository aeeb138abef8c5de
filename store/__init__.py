"""Persistence: SQLite through aiosqlite. No ML, no Discord.

One :class:`Database` (connection, migrations, transactions) is shared by the parts that
own its tables: :class:`Corpus`, :class:`Answers` and :class:`Deliveries`."""

from store.answers import Answers, AskStats
from store.connection import CorruptDatabaseError, Database, ReadOnlyStoreError, StoreError
from store.corpus import (
    Article,
    Corpus,
    CorpusCounts,
    NewPassage,
    NewSentence,
    Passage,
    Sentence,
    VectorMatrix,
)
from store.deliveries import Deliveries, Subscription

__all__ = [
    "Answers", "Article", "AskStats", "Corpus", "CorpusCounts", "CorruptDatabaseError", "Database",
    "Deliveries", "NewPassage", "NewSentence", "Passage", "ReadOnlyStoreError", "Sentence", "StoreError",
    "Subscription", "VectorMatrix",
]
