"""Check a generated answer against the evidence it cites, sentence by sentence.

A sentence survives only if it cites evidence and every number, name and quoted phrase
in it appears in what it cites. Paraphrase is allowed; invention is not. A sentence the
model forgot to cite is attributed to one evidence sentence only when nearly all of its
content words come from that sentence; the checks then run against it as usual."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.text import content_words, sentences_of, word_forms, words

CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*\d|(?<![\w.])\d")
QUOTED = re.compile(r"[\"“”]([^\"“”]{3,}?)[\"“”]|‘([^‘’]{3,}?)’")
CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*\w|\b[A-Z]\b")
SCALE_WORDS = {"million", "billion", "trillion", "thousand", "hundred", "percent"}
# Sentence-initial words that are capitalised only by position.
ORDINARY_OPENERS = {
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "this", "that", "these", "those", "in", "on",
    "at", "as", "after", "before", "during", "according", "both", "while", "when", "however", "also",
    "his", "her", "their", "its", "there", "following", "with", "by", "for", "from", "to", "of", "and",
    "but", "no", "yes", "not", "although", "since", "meanwhile", "further", "furthermore", "besides",
    "additionally", "moreover", "then", "later", "earlier", "today", "yesterday", "last", "next",
}
ATTRIBUTION_OVERLAP = 0.8


@dataclass(frozen=True)
class Checked:
    text: str  # the sentence without its citation markers
    cites: tuple[int, ...]  # 1-based evidence numbers
    problem: str | None  # why it was dropped; None when it stands

    @property
    def supported(self) -> bool:
        return self.problem is None


def check_answer(answer: str, evidence: list[str]) -> list[Checked]:
    """Every sentence of ``answer`` judged against ``evidence`` (numbered from 1)."""
    results = []
    for sentence in sentences_of(answer):
        cites = _citations(sentence, len(evidence))
        text = _strip_citations(sentence)
        if not words(text):
            continue
        if not cites:
            attributed = _attribute(text, evidence)
            cites = (attributed,) if attributed else ()
        if not cites:
            results.append(Checked(text, (), "cites no evidence"))
            continue
        cited_text = " ".join(evidence[n - 1] for n in cites)
        results.append(Checked(text, cites, unsupported_detail(text, cited_text)))
    return results


def unsupported_detail(claim: str, source: str) -> str | None:
    """The first number, name or quotation in ``claim`` that ``source`` does not contain."""
    source_numbers = {_number(n) for n in NUMBER.findall(source)}
    for number in NUMBER.findall(claim):
        if _number(number) not in source_numbers:
            return f"number {number} not in the cited evidence"
    source_forms = word_forms(source)
    for scale in SCALE_WORDS & set(words(claim.lower())):
        if scale not in source_forms and not (scale == "percent" and "%" in source):
            return f"'{scale}' not in the cited evidence"
    for name in _names(claim):
        if not _name_in(name, source_forms):
            return f"name '{name}' not in the cited evidence"
    folded_source = _fold(source)
    for match in QUOTED.finditer(claim):
        quoted = match.group(1) or match.group(2)
        if len(words(quoted)) >= 2 and _fold(quoted) not in folded_source:
            return f"quotation '{quoted}' not in the cited evidence"
    return None


def _citations(sentence: str, limit: int) -> tuple[int, ...]:
    found = []
    for group in CITATION.findall(sentence):
        for part in group.split(","):
            n = int(part)
            if 1 <= n <= limit and n not in found:
                found.append(n)
    return tuple(found)


def _strip_citations(sentence: str) -> str:
    text = CITATION.sub("", sentence)
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def _attribute(text: str, evidence: list[str]) -> int | None:
    claim = set(content_words(text))
    if not claim:
        return None
    best, best_overlap = None, 0.0
    for n, sentence in enumerate(evidence, 1):
        overlap = len(claim & word_forms(sentence)) / len(claim)
        if overlap > best_overlap:
            best, best_overlap = n, overlap
    return best if best_overlap >= ATTRIBUTION_OVERLAP else None


def _names(sentence: str) -> list[str]:
    names = []
    for match in CAPITALISED.finditer(sentence):
        token = re.sub(r"['’]s$", "", match.group(0)).strip(".")
        at_start = not sentence[:match.start()].strip(" \"“‘(")
        if at_start and token.lower() in ORDINARY_OPENERS:
            continue
        if token and token.lower() not in ORDINARY_OPENERS | {"i"}:
            names.append(token)
    return names


def _name_in(name: str, source_forms: set[str]) -> bool:
    """A name is supported when each of its parts is in the source, allowing inflection
    (Russia/Russian, Lavrov/Lavrov's) but not a different word."""
    for part in re.split(r"[-–.]", name.lower()):
        if not part:
            continue
        if part in source_forms:
            continue
        if not any(_inflection_of(part, form) for form in source_forms):
            return False
    return True


def _inflection_of(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3


def _number(text: str) -> str:
    return text.replace(",", "").rstrip(".")


def _fold(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).casefold().strip()
