"""Small corpus records for the store tests."""

import numpy as np

from store import Article, NewPassage, NewSentence


def article(article_id: str = "a1", body: str = "One sentence here.") -> Article:
    return Article(id=article_id, path=f"/corpus/{article_id}.txt", content_hash="h", title="T",
                   source="Outlet", published="2022-01-05", url=None, body=body, story_id=article_id)


def passage(text: str = "One sentence here.") -> NewPassage:
    vector = np.ones(4, dtype=np.float32) / 2
    return NewPassage(0, len(text), text, vector, [NewSentence(0, len(text), text, vector)])
