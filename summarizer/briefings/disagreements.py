"""Where outlets covering one story disagree on a fact: a number, a date, or who said it.

Candidates are pairs of sentences from different outlets that say nearly the same thing
(cosine of their stored embeddings at least SAME_CLAIM_COSINE). A pair disagrees when it
differs in exactly one kind of fact and agrees on everything else it states: two sentences
that differ in a number *and* in when it happened, or that name different places or people,
are about different events that share words, and saying "sources differ" there would be a
false alarm. Numbers and names are read with the verifier's own rules (``verify.py``), so a
number means the same thing to the digest as to the answer check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

import numpy as np

from store import Article, Sentence
from summarizer.answering.verify import NUMBER, QUOTED, SCALE_WORDS, names_in, number_value
from summarizer.text import fold, stem, word_forms, words

SAME_CLAIM_COSINE = 0.7
MAX_PER_STORY = 2

_MONTHS = ("January February March April May June July August September October November December").split()
_MONTH = "|".join(_MONTHS + [m[:3] for m in _MONTHS] + ["Sept"])
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
DAY_OF_MONTH = re.compile(rf"\b(?:({_MONTH})\.?\s+{_DAY}|{_DAY}\s+({_MONTH}))\b")
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
WEEKDAY = re.compile(rf"\b({'|'.join(_WEEKDAYS)})\b")
CALENDAR_WORDS = {w.lower() for w in _MONTHS + [m[:3] for m in _MONTHS] + ["Sept"] + _WEEKDAYS}
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NAME = r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}"
SPEAKER = re.compile(rf"(?:\b({_NAME})\s+(?:said|says|told|added|stated|tweeted)\b"
                     rf"|\b(?:said|says|according to)\s+({_NAME}))")
NOT_SPEAKERS = {"he", "she", "they", "it", "we", "i", "this", "that", "officials", "the"}


@dataclass(frozen=True)
class Facts:
    """What one sentence states that sources can disagree on."""

    numbers: dict[str, dict[str, str]]  # unit (stemmed word after the number) → value → as written
    dates: dict[str, dict[str, str]]  # kind (day of month, weekday, year) → value → as written
    speakers: set[str]
    quotes: set[str]  # quoted words, folded
    names: set[str]  # every other name: people, places, organisations


@dataclass(frozen=True)
class Disagreement:
    what: str  # "a number", "the date", "who said it"
    first: Sentence
    first_says: str
    second: Sentence
    second_says: str


def facts(sentence: str) -> Facts:
    dates: dict[str, dict[str, str]] = {}
    taken: list[tuple[int, int]] = []  # spans read as dates, so their digits are not counted as numbers
    for match in DAY_OF_MONTH.finditer(sentence):
        month = (match[1] or match[4])[:3].lower()
        dates.setdefault("day of month", {})[f"{month} {int(match[2] or match[3])}"] = match[0]
        taken.append(match.span())
    for kind, pattern in (("weekday", WEEKDAY), ("year", YEAR)):
        for match in pattern.finditer(sentence):
            dates.setdefault(kind, {})[match[1].lower()] = match[0]
            taken.append(match.span())
    numbers: dict[str, dict[str, str]] = {}
    for match in NUMBER.finditer(sentence):
        if any(start <= match.start() < end for start, end in taken):
            continue
        following = words(sentence[match.end():])[:2]
        scale = following[0].lower() if following and following[0].lower() in SCALE_WORDS else ""
        unit_words = following[1:] if scale else following[:1]
        unit = stem(unit_words[0]) if unit_words else ""
        value = f"{number_value(match[0])} {scale}".strip()
        written = " ".join([match[0], *([scale] if scale else []), *unit_words[:1]])
        numbers.setdefault(unit, {})[value] = written
    speakers = {(m[1] or m[2]).split()[-1] for m in SPEAKER.finditer(sentence)}
    speakers = {s for s in speakers if s.lower() not in NOT_SPEAKERS}
    names = {n for n in names_in(sentence) if n.lower() not in CALENDAR_WORDS and n not in speakers
             and not any(n in s.split() or s in n.split() for s in speakers)}
    quotes = {fold(m[1] or m[2]) for m in QUOTED.finditer(sentence) if len(words(m[1] or m[2])) >= 2}
    return Facts(numbers, dates, speakers, quotes, names)


def differing_fact(a: str, b: str) -> tuple[str, str, str] | None:
    """(what, what ``a`` says, what ``b`` says) when the two sentences disagree on exactly one
    kind of fact and agree on the rest; None otherwise."""
    fa, fb = facts(a), facts(b)
    found = []
    number = _differing_number(fa, fb)
    if number:
        found.append(("a number", *number))
    date = _differing_date(fa, fb)
    if date:
        found.append(("the date", *date))
    # Two people may well say similar things; the same words given to different people may not be.
    if fa.speakers and fb.speakers and not fa.speakers & fb.speakers and fa.quotes & fb.quotes:
        found.append(("who said it", " and ".join(sorted(fa.speakers)), " and ".join(sorted(fb.speakers))))
    if len(found) != 1:
        return None
    what = found[0][0]
    if what != "the date" and _date_values(fa) != _date_values(fb):
        return None  # the same figure at another time is another event, not a disagreement
    if _unshared(fa.names, b) and _unshared(fb.names, a):
        return None  # each names someone or somewhere the other does not: different events
    return found[0]


def find_disagreements(sentences: list[Sentence], articles: dict[str, Article]) -> list[Disagreement]:
    """Disagreements between different outlets' sentences in one story, the closest pairs first."""
    if len(sentences) < 2:
        return []
    vectors = np.vstack([s.embedding for s in sentences])
    similarity = vectors @ vectors.T
    pairs = []
    for i, j in product(range(len(sentences)), repeat=2):
        a, b = sentences[i], sentences[j]
        if i < j and _outlet(articles[a.article_id]) != _outlet(articles[b.article_id]) \
                and similarity[i, j] >= SAME_CLAIM_COSINE:
            pairs.append((float(similarity[i, j]), i, j))
    found: list[Disagreement] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    for _, i, j in sorted(pairs, reverse=True):
        a, b = sentences[i], sentences[j]
        differing = differing_fact(a.text, b.text)
        if differing is None:
            continue
        what, a_says, b_says = differing
        key = (what, frozenset((a_says, b_says)))
        if key in seen:
            continue
        seen.add(key)
        found.append(Disagreement(what, a, a_says, b, b_says))
        if len(found) == MAX_PER_STORY:
            break
    return found


def _differing_number(fa: Facts, fb: Facts) -> tuple[str, str] | None:
    for unit in sorted(fa.numbers.keys() & fb.numbers.keys()):
        values_a, values_b = fa.numbers[unit], fb.numbers[unit]
        if not values_a.keys() & values_b.keys():
            return ", ".join(values_a.values()), ", ".join(values_b.values())
    return None


def _differing_date(fa: Facts, fb: Facts) -> tuple[str, str] | None:
    for kind in sorted(fa.dates.keys() & fb.dates.keys()):
        if not fa.dates[kind].keys() & fb.dates[kind].keys():
            return ", ".join(fa.dates[kind].values()), ", ".join(fb.dates[kind].values())
    return None


def _date_values(facts_: Facts) -> dict[str, set[str]]:
    return {kind: set(values) for kind, values in facts_.dates.items()}


def _unshared(names: set[str], other: str) -> bool:
    forms = word_forms(other)
    return any(not all(part in forms for part in word_forms(name)) for name in names)


def _outlet(article: Article) -> str:
    """Two articles of one outlet are one voice; an article without an outlet speaks for itself."""
    return article.source or article.id
