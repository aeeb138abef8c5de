"""The answer model as judge: does each generated claim follow from the evidence it cites?

The judge continues the answer's own conversation (the evidence is already in its prompt, and
llama.cpp reuses the evaluated prefix), so one call for all claims costs little more than the
claims' tokens. Each claim is shown with the sentence(s) it cites, since a small model matches
a claim against text in front of it far better than against a number. The reply is one line
per claim, "1 yes" / "2 no", plus "Q yes|no" for whether the answer addresses the question."""

from __future__ import annotations

import dataclasses
import logging
import re

from summarizer.answering.model_process import ModelUnavailable
from summarizer.answering.model_slot import ModelSlot
from summarizer.answering.verify import Checked

log = logging.getLogger(__name__)

# Recognised by tests/conftest.py's FakeGenerator, which approves every claim by default.
JUDGE_OPENING = "Check your answer against the evidence."
JUDGE_TOKENS_PER_CLAIM = 4
VERDICT_LINE = re.compile(r"^\W*(?:claim\s*)?(\d+|q)\b\W*(yes|no|true|false|supported|not supported)\b", re.I)


@dataclasses.dataclass(frozen=True)
class JudgeVerdict:
    addresses_question: bool | None  # None: not asked, or no verdict
    entailed: list[bool | None]  # per claim; None only when the model gave no reply at all


def judge_instruction(claims: list[tuple[str, list[str]]], question: str | None) -> str:
    # Naming the changes to look for, rather than asking "is it supported?", is what makes a
    # 1.5B model say no at all: asked plainly, Qwen2.5-Coder-1.5B approved every probe claim.
    lines = [
        JUDGE_OPENING,
        "Compare each claim with its evidence sentence. Look for these changes: a \"not\" or \"never\" "
        "added or removed; \"may\", \"could\" or \"plans to\" added or removed; \"will\" changed to a past "
        "tense or the reverse; two names swapped; a number changed. Other rewording, and \"According to ...\" "
        "or \"... said that\" in front, is not a change.",
        "",
    ]
    for n, (claim, cited) in enumerate(claims, 1):
        lines.append(f"Claim {n}: {claim}")
        lines.extend(f"Evidence for claim {n}: {sentence}" for sentence in cited)
        lines.append("")
    lines.append("If a claim has any such change, answer no; if it means the same as its evidence, answer yes.")
    example = [f"{n} yes" for n in range(1, min(len(claims), 2) + 1)]
    if question is not None:
        lines.append(f"Also answer Q: does your answer address the question \"{question}\"?")
        example.append("Q yes")
    lines.append("Reply with one line per claim, the claim number then yes or no, like:")
    lines.extend(example)
    return "\n".join(lines)


def parse_verdicts(reply: str, claim_count: int, *, asked_question: bool) -> JudgeVerdict:
    """Lines "N yes|no" (and "Q yes|no"); a claim without a readable verdict is not confirmed."""
    found: dict[str, bool] = {}
    for line in reply.splitlines():
        match = VERDICT_LINE.match(line.strip())
        if match:
            key = match.group(1).lower()
            found.setdefault(key, match.group(2).lower() in {"yes", "true", "supported"})
    if not found and claim_count == 1:  # a bare "yes" or "No." for the only claim
        bare = re.match(r"^\W*(yes|no)\b", reply.strip(), re.I)
        if bare:
            found["1"] = bare.group(1).lower() == "yes"
    entailed = [found.get(str(n), False) for n in range(1, claim_count + 1)]
    addresses = found.get("q") if asked_question else None
    return JudgeVerdict(addresses, entailed)


async def judge_claims(models: ModelSlot, messages: list[dict[str, str]], answer: str,
                       claims: list[tuple[str, list[str]]], *, question: str | None = None,
                       wait_s: float | None = None) -> JudgeVerdict:
    """Verdicts on ``claims`` (each: the claim, the evidence sentences it cites), asked as the next
    turn of ``messages`` after the model's ``answer``. With ``question``, also whether the answer
    addresses it. When the model is unavailable every verdict is None."""
    if not claims and question is None:
        return JudgeVerdict(None, [])
    conversation = messages + [{"role": "assistant", "content": answer},
                               {"role": "user", "content": judge_instruction(claims, question)}]
    max_tokens = JUDGE_TOKENS_PER_CLAIM * (len(claims) + (question is not None)) + 4
    try:
        generation = await models.generate(conversation, max_tokens, wait_s=wait_s)
    except ModelUnavailable as exc:
        log.warning("no judge verdict: %s", exc)
        return JudgeVerdict(None, [None] * len(claims))
    verdict = parse_verdicts(generation.text, len(claims), asked_question=question is not None)
    log.debug("judge replied %r -> %s", generation.text, verdict)
    return verdict


JUDGE_REFUSED = "the judge found it does not follow from its evidence"


async def confirm_claims(models: ModelSlot, messages: list[dict[str, str]], answer: str, checked: list[Checked],
                         evidence: list[str], *, question: str | None = None,
                         wait_s: float | None = None) -> tuple[list[Checked], bool | None]:
    """``checked`` with every kept claim that ``needs_judge`` and that the judge rejects marked
    unsupported, and the judge's view on whether the answer addresses ``question``.

    No call is made when no claim needs the judge and no question is given. A claim the judge
    could not be asked about (model busy or gone) keeps the rules' verdict: the rules already
    passed it, and a busy model must not cost an answer its prose."""
    pending = [c for c in checked if c.supported and c.needs_judge]
    if not pending and question is None:
        return checked, None
    claims = [(c.text, [evidence[n - 1] for n in c.cites]) for c in pending]
    verdict = await judge_claims(models, messages, answer, claims, question=question, wait_s=wait_s)
    rejected = {id(c) for c, ok in zip(pending, verdict.entailed) if ok is False}
    for claim in pending:
        if id(claim) in rejected:
            log.info("judge rejected %r", claim.text)
    confirmed = [dataclasses.replace(c, problem=JUDGE_REFUSED) if id(c) in rejected else c for c in checked]
    return confirmed, verdict.addresses_question
