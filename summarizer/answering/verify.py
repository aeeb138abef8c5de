"""Check a generated answer against the evidence it cites, sentence by sentence.

A sentence survives only if it cites evidence and every number, name and quoted phrase
in one sentence it cites, and that sentence does not say otherwise: no flipped negation,
hedge, tense or roles (entailment.py). Paraphrase is allowed; invention and splicing are not.
A kept sentence that is not a near copy of its evidence, or whose meaning the rules could not
settle, is marked ``needs_judge`` for the model judge (judge.py). A sentence
the model forgot to cite, or cited wrongly, is re-cited to the evidence sentence it is
visibly drawn from, and checked against it like any other."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.answering.entailment import is_uncertain, meaning_conflict, near_verbatim
from summarizer.ingest.documents import sentences_of
from summarizer.text import content_words, fold, word_forms, words

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
RECITE_OVERLAP = 0.7
CLOSEST_OVERLAP = 0.5


@dataclass(frozen=True)
class Checked:
    text: str  # the sentence without its citation markers
    cites: tuple[int, ...]  # 1-based evidence numbers
    problem: str | None  # why it was dropped; None when it stands
    drawn_from: int | None  # the evidence sentence sharing most of its words, cited or not
    needs_judge: bool = False  # kept, but only the model judge can confirm it says what it cites

    @property
    def supported(self) -> bool:
        return self.problem is None


def check_answer(answer: str, evidence: list[str], context: list[str] | None = None) -> list[Checked]:
    """Every sentence of ``answer`` judged against ``evidence`` (numbered from 1).

    ``context`` adds, per evidence sentence, what its source states about it (headline,
    date), so "on July 22, 2021" is supported by a release of that date.

    One evidence sentence must carry every detail of a claim. Checking against the union of
    several would let a claim join facts that were never said together — Lavrov's name from
    one sentence and Wang Yi's words from the next."""
    sources = [f"{e} {c}" for e, c in zip(evidence, context)] if context else evidence
    results = []
    for sentence in sentences_of(answer):
        text = _strip_citations(sentence)
        if not words(text):
            continue
        cited = citation_numbers(sentence, len(evidence))
        drawn_from = _closest(text, evidence)
        backing = [n for n in cited if backing_problem(text, evidence[n - 1], sources[n - 1]) is None]
        if not backing:
            backing = [n for n in [_recited(text, evidence, sources)] if n]
        if backing:
            results.append(Checked(text, tuple(backing), None, drawn_from,
                                   needs_judge=_needs_judge(text, [evidence[n - 1] for n in backing])))
        elif not cited:
            results.append(Checked(text, (), "cites no evidence", drawn_from))
        else:
            results.append(Checked(text, cited, backing_problem(text, evidence[cited[0] - 1], sources[cited[0] - 1]),
                                   drawn_from))
    return results


def backing_problem(claim: str, sentence: str, source: str) -> str | None:
    """Why the evidence ``sentence`` (with its provenance, ``source``) does not back ``claim``:
    a detail it lacks, or a meaning it contradicts. An uncertain meaning verdict backs the
    claim here; the judge decides it."""
    detail = unsupported_detail(claim, source)
    if detail:
        return detail
    conflict = meaning_conflict(claim, sentence)
    return None if conflict is None or is_uncertain(conflict) else conflict


def _needs_judge(claim: str, backing: list[str]) -> bool:
    """Only a claim that copies its evidence, with nothing a rule doubts, goes unjudged."""
    return not any(near_verbatim(claim, s) and meaning_conflict(claim, s) is None for s in backing)


def _closest(text: str, evidence: list[str]) -> int | None:
    claim = set(content_words(text))
    overlaps = [len(claim & word_forms(e)) / len(claim) if claim else 0.0 for e in evidence]
    best = max(range(len(evidence)), key=overlaps.__getitem__, default=None)
    return best + 1 if best is not None and overlaps[best] >= CLOSEST_OVERLAP else None


def _recited(text: str, evidence: list[str], sources: list[str]) -> int | None:
    """Small models often cite the neighbour of the right sentence, or nothing. A claim is
    re-cited to the evidence sentence it is drawn from — most of its words, and every name,
    number and quotation — or not at all."""
    claim = set(content_words(text))
    if not claim:
        return None
    for n in sorted(range(1, len(evidence) + 1), key=lambda n: -len(claim & word_forms(evidence[n - 1]))):
        drawn = len(claim & word_forms(evidence[n - 1])) / len(claim)
        if drawn >= RECITE_OVERLAP and backing_problem(text, evidence[n - 1], sources[n - 1]) is None:
            return n
    return None


def unsupported_detail(claim: str, source: str) -> str | None:
    """The first number, name or quotation in ``claim`` that ``source`` does not contain."""
    source_numbers = {number_value(n) for n in NUMBER.findall(source)}
    for number in NUMBER.findall(claim):
        if number_value(number) not in source_numbers:
            return f"number {number} not in the cited evidence"
    source_forms = word_forms(source)
    for scale in SCALE_WORDS & set(words(claim.lower())):
        if scale not in source_forms and not (scale == "percent" and "%" in source):
            return f"'{scale}' not in the cited evidence"
    for name in names_in(claim):
        if not _name_in(name, source_forms):
            return f"name '{name}' not in the cited evidence"
    folded_source = fold(source)
    for match in QUOTED.finditer(claim):
        quoted = match.group(1) or match.group(2)
        if len(words(quoted)) >= 2 and fold(quoted) not in folded_source:
            return f"quotation '{quoted}' not in the cited evidence"
    return None


def citation_numbers(sentence: str, limit: int) -> tuple[int, ...]:
    """The valid evidence numbers cited in ``sentence``, in order, without repeats."""
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


def names_in(sentence: str) -> list[str]:
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


def number_value(text: str) -> str:
    return text.replace(",", "").rstrip(".")

