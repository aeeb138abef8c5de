"""Small word-level helpers shared by retrieval, refusal and verification."""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from pathlib import Path


WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*")
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
QUESTION_WORDS = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "did", "does",
                  "do", "say", "said", "tell", "according", "has", "have", "is", "was", "were", "are"}


def _english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words. Importing them the usual way runs scikit-learn's package
    init (SciPy and more: about a second on our 2-core machine, on every `briefbot ask`); the list
    is one self-contained module, so it is executed on its own."""
    try:
        package = importlib.util.find_spec("sklearn")
        source = Path(next(iter(package.submodule_search_locations))) / "feature_extraction" / "_stop_words.py"
        spec = importlib.util.spec_from_file_location("_briefbot_english_stop_words", source)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return frozenset(module.ENGLISH_STOP_WORDS)
    except Exception:  # another scikit-learn layout: the slow import still gives the same list
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
        return frozenset(ENGLISH_STOP_WORDS)


STOPWORDS = _english_stop_words() | QUESTION_WORDS


def clean_text(text: str) -> str:
    """NFKC, without invisible and direction-override characters, whitespace collapsed."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> list[str]:
    return WORD.findall(text)


def stem(word: str) -> str:
    """A deliberately light stemmer: possessives and plural -s only, so names stay intact."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def content_words(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w.lower() not in STOPWORDS]


def without_accents(word: str) -> str:
    """ "Ramírez" as a question typed in chat writes it: "Ramirez"."""
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def word_forms(text: str) -> set[str]:
    """Every word of ``text`` lower-cased and stemmed, also without accents, plus the parts of
    hyphenated words."""
    forms = set()
    for w in words(text):
        forms.add(stem(w))
        forms.add(w.lower())
        if not w.isascii():
            forms.add(without_accents(w.lower()))
        if "-" in w or "." in w:
            forms.update(stem(part) for part in re.split(r"[-.]", w) if part)
    return forms


@functools.lru_cache(maxsize=4096)  # at most about 20 MB, measured on news-dev passages
def forms_of(text: str) -> frozenset[str]:
    """``word_forms`` of a passage or sentence, kept: the same passages come back question after
    question, and a burst of asks must not re-read them each time."""
    return frozenset(word_forms(text))


def fold(text: str) -> str:
    """Text as compared for "the same words": NFKC, straight quotes, one space, no case."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.casefold().split())
