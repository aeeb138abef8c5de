"""Persistence: SQLite through aiosqlite. No ML, no Discord.

One :class:`Database` (connection, migrations, transactions) is shared by the parts that
own its tables: :class:`Corpus`, :class:`Answers`, :class:`Deliveries`, :class:`Digests` and :class:`Feeds`."""

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
    SentenceSpan,
    VectorMatrix,
)
from store.deliveries import Deliveries, Subscription
from store.digests import Digests
from store.feeds import Feed, FeedExistsError, Feeds, InvalidFeedError, ItemMark

__all__ = [
    "Answers", "Article", "AskStats", "Corpus", "CorpusCounts", "CorruptDatabaseError", "Database",
    "Deliveries", "Digests", "Feed", "FeedExistsError", "Feeds", "InvalidFeedError", "ItemMark", "NewPassage",
    "NewSentence", "Passage", "ReadOnlyStoreError", "Sentence", "SentenceSpan", "StoreError", "Subscription", "VectorMatrix",
]
