"""A probe set for meaning-level verification, and its measurement.

Probes are built deterministically from evidence sentences of the dev corpora: TRUE variants a
verifier must keep (the sentence itself, "According to <source>, ...", "<speaker> said that ...",
a trailing sub-clause dropped, a reporting verb swapped for a synonym, a leading phrase moved to
the end) and FALSE variants it must drop (negated or un-negated, two names' roles swapped,
will <-> did, a number shifted, "may"/"plans to" added or a hedge removed). ``run_probes``
reports, per verifier and per variant kind, how many false claims pass and how many true ones
are dropped:

* ``today``: names, numbers and quotations only (``unsupported_detail``);
* ``rules``: that plus ``meaning_conflict`` (an "uncertain" verdict keeps the claim);
* ``judge``: the rules, then the model judge for every claim the rules keep that is not a
  near-verbatim copy, asked in the answerer's own conversation shape."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import re
import time
from collections import defaultdict
from pathlib import Path

from summarizer.answering.entailment import IRREGULAR_PAST, is_uncertain, meaning_conflict, near_verbatim
from summarizer.answering.verify import unsupported_detail
from summarizer.ingest.documents import sentences_of
from summarizer.text import words

SEED = 20211
DEFAULT_SENTENCES = 300
JUDGE_ALONE_SAMPLE = 40  # claims; the judge takes seconds each
NEIGHBOURS = 2  # evidence sentences shown around the probe's own, as the answerer shows several
PROBE_FILE = Path(__file__).resolve().parents[2] / "tests" / "data" / "entailment_probes.jsonl"
TRUE_KINDS = ("verbatim", "according_to", "reported", "clause_dropped", "synonym", "reordered")
FALSE_KINDS = ("negated", "unnegated", "roles_swapped", "tense_shifted", "number_shifted", "modality_shifted")
AUX = r"(?:is|are|was|were|will|would|has|have|had|can|could|should|does|did|do|must)"
SYNONYMS = {"said": "stated", "says": "states", "discussed": "talked about", "emphasized": "stressed",
            "underscored": "stressed", "announced": "made public", "help": "assist", "helped": "assisted",
            "important": "significant", "began": "started", "ensure": "make sure", "commended": "praised",
            "condemn": "denounce", "condemns": "denounces", "condemned": "denounced", "urged": "called on"}
SUBCLAUSE = re.compile(r",\s+(?:which|who|where|including|as well as|in order to|as part of|following|after|"
                       r"while|during|to help|to ensure|through)\b[^,]*[.]?$")
LEADING_PHRASE = re.compile(r"^(On|In|During|After|Before|Following|At|Earlier|Today|Last|This)\b([^,]{3,60}),\s+(.+)$")


@dataclasses.dataclass(frozen=True)
class Probe:
    claim: str
    source: str  # the evidence sentence the claim cites
    neighbours: tuple[str, ...]  # other evidence shown with it, as in an answer prompt
    context: str  # what the source states about every sentence in it (headline, publisher, date)
    kind: str
    entailed: bool
    origin: str  # the file the source sentence came from

    def to_dict(self) -> dict:
        return dataclasses.asdict(self) | {"neighbours": list(self.neighbours)}


def build_probes(corpus_dirs: list[Path], sentences: int = DEFAULT_SENTENCES, seed: int = SEED) -> list[Probe]:
    """Probes from ``sentences`` statements (a verb, at least 8 words) sampled with ``seed``."""
    candidates = []
    for path in sorted(p for d in corpus_dirs for p in Path(d).glob("*.txt")):
        header, paragraphs = _read(path)
        context = " ".join(v for v in (header.get("title", ""), header.get("source", ""),
                                       header.get("published", "")) if v)
        for speaker, paragraph in paragraphs:
            found = [s.strip() for s in sentences_of(paragraph)]
            for i, sentence in enumerate(found):
                if _is_statement(sentence):
                    neighbours = tuple(found[max(0, i - NEIGHBOURS):i] + found[i + 1:i + 1 + NEIGHBOURS])
                    candidates.append((sentence, neighbours, context, speaker, header, path.name))
    rng = random.Random(seed)
    chosen = rng.sample(candidates, min(sentences, len(candidates)))
    probes = []
    for sentence, neighbours, context, speaker, header, origin in chosen:
        for kind, claim, entailed in _variants(sentence, speaker, header, rng):
            probes.append(Probe(claim, sentence, neighbours, context, kind, entailed, origin))
    return probes


def write_probes(probes: list[Probe], path: Path = PROBE_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for probe in probes:
            f.write(json.dumps(probe.to_dict(), ensure_ascii=False) + "\n")


def read_probes(path: Path = PROBE_FILE) -> list[Probe]:
    with open(path, encoding="utf-8") as f:
        return [Probe(**(d | {"neighbours": tuple(d["neighbours"])})) for d in map(json.loads, f) if d]


def _read(path: Path) -> tuple[dict[str, str], list[tuple[str | None, str]]]:
    """The front matter and the body's paragraphs, each with its transcript speaker if any."""
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    if text.startswith("---"):
        front, _, text = text[3:].partition("\n---")
        for line in front.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                header[key.strip()] = value.strip()
    paragraphs = []
    speaker = None
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        label = re.match(r"^([A-Z][A-Z .’'-]{2,40}):\s+(.*)$", paragraph)
        if label:
            speaker, paragraph = label.group(1).title(), label.group(2)
        if paragraph:
            paragraphs.append((speaker, paragraph))
    return header, paragraphs


def _is_statement(sentence: str) -> bool:
    tokens = words(sentence)
    if len(tokens) < 8 or len(tokens) > 45 or sentence.endswith("?") or not sentence.endswith("."):
        return False
    if re.search(r"[\"“”]", sentence):  # quotations make negation and roles ambiguous to vary
        return False
    lowered = [t.lower() for t in tokens]
    return any(re.fullmatch(AUX, t) or t in IRREGULAR_PAST or (t.endswith("ed") and len(t) > 4) for t in lowered)


def _variants(sentence: str, speaker: str | None, header: dict[str, str], rng: random.Random):
    yield "verbatim", sentence, True
    publisher = header.get("source")
    if publisher:
        yield "according_to", f"According to the {publisher.removeprefix('The ')}, {_lower_first(sentence)}", True
    title = header.get("title", "").lower()
    if speaker and " " in speaker and all(w.lower() in title for w in words(speaker)) \
            and sentence.split()[0] not in {"And", "But", "So", "Or", "Now", "Well"}:
        yield "reported", f"{speaker} said that {_lower_first(sentence)}", True
    dropped = SUBCLAUSE.sub(".", sentence)
    if dropped != sentence and len(words(dropped)) >= 6:
        yield "clause_dropped", dropped, True
    swapped = _swap_synonym(sentence)
    if swapped:
        yield "synonym", swapped, True
    reordered = _reorder(sentence)
    if reordered:
        yield "reordered", reordered, True
    for kind, make in (("negated", _negate), ("unnegated", _unnegate), ("roles_swapped", _swap_roles),
                       ("tense_shifted", _shift_tense), ("number_shifted", _shift_number),
                       ("modality_shifted", _shift_modality)):
        changed = make(sentence)
        if changed and changed != sentence:
            yield kind, changed, False


# Sentence openers that are capitalised only by position; anything else (a name, "I") keeps its case.
POSITIONAL_CAPITALS = {"The", "A", "An", "This", "These", "That", "Those", "It", "We", "They", "He", "She", "Our",
                       "In", "On", "As", "At", "For", "With", "There"}


def _lower_first(sentence: str) -> str:
    if sentence.split()[0] not in POSITIONAL_CAPITALS:
        return sentence
    return sentence[0].lower() + sentence[1:]


def _swap_synonym(sentence: str) -> str | None:
    for word, synonym in SYNONYMS.items():
        pattern = re.compile(rf"\b{word}\b")
        if pattern.search(sentence):
            return pattern.sub(synonym, sentence, count=1)
    return None


def _reorder(sentence: str) -> str | None:
    """Move a leading phrase to the end: "In Tokyo, the Secretary met X." -> "The Secretary met X in Tokyo."."""
    match = LEADING_PHRASE.match(sentence)
    if not match or match.group(1) in {"Today", "Last", "This", "Earlier"}:
        return None
    opener, phrase, rest = match.groups()
    rest = rest.rstrip(".")
    return f"{rest[0].upper()}{rest[1:]} {opener.lower()}{phrase}."


def _negate(sentence: str) -> str | None:
    aux = re.search(rf"\b{AUX}\b(?! (?:not|just|only)\b)", sentence)
    if aux and not re.search(r"\b(?:not|n't|never|no)\b", sentence[aux.end():aux.end() + 12]):
        return sentence[:aux.end()] + " not" + sentence[aux.end():]
    past = re.search(r"\b(?:[a-z]{3,}ed|" + "|".join(IRREGULAR_PAST) + r")\b", sentence)
    if past:
        return sentence[:past.start()] + "never " + sentence[past.start():]
    return None


def _unnegate(sentence: str) -> str | None:
    for pattern, replacement in ((r"\b(\w+) not\b", r"\1"), (r"\bnever\s+", ""), (r"\bno longer\s+", ""),
                                 (r"\b(do|does|did|is|are|was|were|has|have|could|would|should)n[’']t\b", r"\1")):
        if re.search(pattern, sentence) and not re.search(r"\bnot (?:only|just)\b", sentence):
            return re.sub(pattern, replacement, sentence, count=1)
    return None


def _swap_roles(sentence: str) -> str | None:
    """The first two distinct names separated by a verb, exchanged."""
    from summarizer.answering.entailment import _entities, _has_verb_between, _key

    # Names only: a run after a positional capital ("Then the Nazis") starts with "the".
    names = [(n, s, e) for n, s, e in _entities(sentence) if s > 0 and n[:1].isupper()]
    for i, (a, a_start, a_end) in enumerate(names):
        for b, b_start, b_end in names[i + 1:]:
            if _key(a) == _key(b) or _key(a) in _key(b) or _key(b) in _key(a):
                continue
            between = sentence[a_end:b_start]
            if re.fullmatch(r"\s*(?:,|and|,\s*and|with|&)\s*", between) or not _has_verb_between(between):
                continue
            return sentence[:a_start] + b + between + a + sentence[b_end:]
    return None


def _shift_tense(sentence: str) -> str | None:
    if re.search(r"\bwill be\b", sentence):
        return re.sub(r"\bwill be\b", "was", sentence, count=1)
    if re.search(r"\bwill\b", sentence):
        return re.sub(r"\bwill\b", "did", sentence, count=1)
    for past, base in IRREGULAR_PAST.items():
        if re.search(rf"\b{past}\b", sentence) and past not in {"put", "set", "cut", "left", "led"}:
            return re.sub(rf"\b{past}\b", f"will {base}", sentence, count=1)
    if re.search(r"\b(?:was|were)\b", sentence):
        return re.sub(r"\b(?:was|were)\b", "will be", sentence, count=1)
    if re.search(r"\b(?:has|have) (?:been|[a-z]+ed)\b", sentence):
        return re.sub(r"\b(?:has|have) ", "will have ", sentence, count=1)
    return None


def _shift_number(sentence: str) -> str | None:
    match = re.search(r"(?<![\w.])(\d+)(?![\w])", sentence)
    if not match:
        return None
    value = int(match.group(1))
    shifted = value + 1 if 1900 <= value <= 2100 else value * 2 if value > 1 else value + 2
    while re.search(rf"(?<![\w.]){shifted}(?![\w])", sentence):  # the new number must be new to the sentence
        shifted += 1
    return sentence[:match.start()] + str(shifted) + sentence[match.end():]


def _shift_modality(sentence: str) -> str | None:
    hedge = re.search(r"\b(may|might|could|would|should)\b", sentence)
    if hedge:
        return sentence[:hedge.start()] + "will" + sentence[hedge.end():]
    plans = re.search(r"\b(plans|intends|seeks|aims|hopes|expects) to\b", sentence)
    if plans:
        return sentence[:plans.start()] + "will" + sentence[plans.end() + 3:]
    will = re.search(r"\bwill\b", sentence)
    if will:
        return sentence[:will.start()] + "may" + sentence[will.end():]
    aux = re.search(r"\b(is|are|was|were)\b", sentence)
    if aux:
        return sentence[:aux.start()] + "may be" + sentence[aux.end():]
    past = re.search(r"\b(?:[a-z]{3,}ed)\b", sentence)
    if past:
        return sentence[:past.start()] + "may have " + sentence[past.start():]
    return None


# --- measurement -------------------------------------------------------------------------

def rules_verdict(probe: Probe) -> tuple[bool, bool]:
    """(kept by today's check, kept by the rules) — an "uncertain" rule verdict keeps the claim."""
    source = f"{probe.source} {probe.context}"
    today = unsupported_detail(probe.claim, source) is None
    conflict = meaning_conflict(probe.claim, probe.source)
    return today, today and (conflict is None or is_uncertain(conflict))


def needs_judge(probe: Probe) -> bool:
    conflict = meaning_conflict(probe.claim, probe.source)
    return is_uncertain(conflict) or not near_verbatim(probe.claim, probe.source)


def probe_messages(probe: Probe) -> tuple[list[dict[str, str]], str, int]:
    """The answerer's conversation for the probe: evidence with the source among its neighbours,
    a neutral question, the claim as the assistant's answer citing it. Returns the messages, the
    cited answer, and the source's evidence number."""
    from summarizer.answering.answerer import EXAMPLE_ANSWER, EXAMPLE_EVIDENCE, EXAMPLE_QUESTION, SYSTEM_PROMPT
    from summarizer.answering.answerer import _user_turn

    evidence = list(probe.neighbours[:NEIGHBOURS]) + [probe.source] + list(probe.neighbours[NEIGHBOURS:])
    number = evidence.index(probe.source) + 1
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": _user_turn(EXAMPLE_QUESTION, EXAMPLE_EVIDENCE)},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
        {"role": "user", "content": _user_turn("What does the evidence say?", evidence)},
    ]
    answer = probe.claim.rstrip(".") + f" [{number}]."
    return messages, answer, number


async def run_probes(probes: list[Probe], models=None, *, judge_alone_limit: int | None = None,
                     wait_s: float | None = None) -> dict:
    """Per verifier and variant kind: false claims passed and true claims dropped.

    ``models`` (a ModelSlot) adds two verifiers. "judge" is the answer path: the rules, then the
    judge on every claim the rules keep but cannot settle (``needs_judge``). "judge_alone" is
    today's check plus the judge on every claim, over the first ``judge_alone_limit`` probes:
    the judge's own accuracy, which is what guards against paraphrases no rule foresees."""
    from summarizer.answering.judge import judge_claims

    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    timing = {"s": 0.0, "n": 0}

    def count(verifier: str, probe: Probe, kept: bool) -> None:
        tally = counts[verifier][probe.kind]
        tally[1] += 1
        tally[0] += int(kept != probe.entailed)  # a false claim kept, or a true one dropped

    async def judge(probe: Probe) -> bool:
        messages, answer, _ = probe_messages(probe)
        started = time.perf_counter()
        verdict = await judge_claims(models, messages, answer, [(probe.claim, [probe.source])], wait_s=wait_s)
        timing["s"] += time.perf_counter() - started
        timing["n"] += 1
        return verdict.entailed[0] is True

    alone = probes if judge_alone_limit is None else probes[:judge_alone_limit]
    alone_ids = {id(p) for p in alone}
    for probe in probes:
        today, rules = rules_verdict(probe)
        count("today", probe, today)
        count("rules", probe, rules)
        if models is None:
            continue
        count("judge", probe, rules and (await judge(probe) if needs_judge(probe) else True))
        if id(probe) in alone_ids:
            count("today_on_judge_sample", probe, today)
            count("judge_alone", probe, today and await judge(probe))
    report = {"verifiers": {}, "judged_claims": timing["n"],
              "seconds_per_judged_claim": round(timing["s"] / timing["n"], 2) if timing["n"] else None}
    for verifier, kinds in counts.items():
        false_passed = sum(v[0] for k, v in kinds.items() if k in FALSE_KINDS)
        false_total = sum(v[1] for k, v in kinds.items() if k in FALSE_KINDS)
        true_dropped = sum(v[0] for k, v in kinds.items() if k in TRUE_KINDS)
        true_total = sum(v[1] for k, v in kinds.items() if k in TRUE_KINDS)
        report["verifiers"][verifier] = {
            "false_passed": [false_passed, false_total], "true_dropped": [true_dropped, true_total],
            "by_kind": {k: v for k, v in sorted(kinds.items())},
        }
    return report


async def probe_report(config, *, judge_alone_sample: int = JUDGE_ALONE_SAMPLE) -> dict:
    """The committed probe set through every verifier, the judge being the configured answer model.
    The judge alone is measured on a seeded sample of whole sentences (all their variants), since
    it takes seconds per claim; the answer path's judge runs wherever the path would run it."""
    from summarizer.engine import model_slot

    slot = model_slot(config)
    try:
        if await slot.load() is None:
            raise RuntimeError(f"the answer model cannot judge the probes: {slot.load_error}")
        probes, sampled = _sample_first(read_probes(), judge_alone_sample)
        report = await run_probes(probes, slot, judge_alone_limit=sampled)
    finally:
        await slot.close()
    report["description"] = (
        f"{len(probes):,} claims made from {len({p.source for p in probes}):,} evidence sentences of the two dev "
        f"corpora ({', '.join(TRUE_KINDS)} are true; {', '.join(FALSE_KINDS)} are false), each checked against "
        "its source. \"today\" is the verifier before meaning checks (names, numbers, quotations); \"rules\" adds "
        "the meaning rules; \"judge\" is the answer path (rules, then the answer model on claims the rules cannot "
        f"settle); \"judge_alone\" is the model on every claim of a {sampled}-claim sample, beside "
        "\"today_on_judge_sample\". The variants are mechanical edits of real sentences, so they test the "
        "checks' reach, not how the model words its own answers.")
    return report


def _sample_first(probes: list[Probe], wanted: int) -> tuple[list[Probe], int]:
    """Probes reordered so that whole sentences (every variant of each), drawn at random with a
    fixed seed, come first up to ``wanted`` probes; and how many that is."""
    sources = sorted({p.source for p in probes})
    random.Random(SEED).shuffle(sources)
    first: list[Probe] = []
    for source in sources:
        variants = [p for p in probes if p.source == source]
        if len(first) + len(variants) > wanted:
            break
        first += variants
    chosen = {id(p) for p in first}
    return first + [p for p in probes if id(p) not in chosen], len(first)


def format_report(report: dict) -> str:
    lines = []
    for verifier, result in report["verifiers"].items():
        fp, ft = result["false_passed"]
        td, tt = result["true_dropped"]
        lines.append(f"{verifier:14} false passed {fp}/{ft} ({100 * fp / max(ft, 1):.1f} %)  "
                     f"true dropped {td}/{tt} ({100 * td / max(tt, 1):.1f} %)")
        lines.append("    " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in result["by_kind"].items()))
    if report["judged_claims"]:
        lines.append(f"judge: {report['judged_claims']} claims judged, "
                     f"{report['seconds_per_judged_claim']} s per judged claim")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m summarizer.answering.probes [--write]: rebuild the set; rules only
    import sys

    shared = Path(__file__).resolve().parents[3] / "shared"
    if "--write" in sys.argv:
        write_probes(build_probes([shared / "corpus", shared / "news-dev"]))
    print(format_report(asyncio.run(run_probes(read_probes()))))
