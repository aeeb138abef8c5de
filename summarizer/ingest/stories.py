"""Group articles into stories: near-duplicates and coverage of the same event.

Sentence embeddings rate every India–Russia article alike, so stories are found on
vocabulary instead: TF-IDF cosine over words, where the names, numbers
and phrases of one event are what two reports share. Two articles are one story when
they are near-duplicates, or when each is the other's closest article and their dates
(when both are known) are within a few days. Groups are connected components."""

from __future__ import annotations

import datetime as dt

import numpy as np

from store import Article, Corpus

NEAR_DUPLICATE = 0.6
SAME_EVENT = 0.22
SAME_STORY_DAYS = 3


def same_story_groups(articles: list[Article]) -> dict[str, str]:
    """article id → story id (the smallest article id of its group)."""
    ids = [a.id for a in articles]
    parent = {i: i for i in ids}
    if len(ids) < 2:
        return parent

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Imported here, not at the top: scikit-learn takes about a second to import, and every
    # `briefbot ask` imports this module (through the engine) without ever linking stories.
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 1), min_df=1)
    matrix = tfidf.fit_transform([f"{a.title}\n{a.body}" for a in articles])
    similarity = (matrix @ matrix.T).toarray()
    np.fill_diagonal(similarity, -1.0)
    best = similarity.argmax(axis=1)
    dates = [a.published for a in articles]
    for x in range(len(ids)):
        for y in range(x + 1, len(ids)):
            score = similarity[x, y]
            mutual_best = best[x] == y and best[y] == x
            if score >= NEAR_DUPLICATE or (mutual_best and score >= SAME_EVENT and _close_in_time(dates[x], dates[y])):
                a, b = root(ids[x]), root(ids[y])
                parent[max(a, b)] = min(a, b)
    return {i: root(i) for i in ids}


def _close_in_time(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days) <= SAME_STORY_DAYS


async def link_stories(corpus: Corpus) -> int:
    """Recompute story ids for the whole corpus; returns the number of stories."""
    articles = await corpus.articles()
    groups = same_story_groups(articles)
    changed = {a.id: groups[a.id] for a in articles if groups[a.id] != a.story_id}
    if changed:
        await corpus.set_stories(changed)
    return len(set(groups.values()))
