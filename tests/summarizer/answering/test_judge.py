"""The model judge: one call continuing the answer's conversation, parsed robustly. The fake
model pins the exact parsing; SmolLM2 (too weak to be right) exercises the real path."""

from pathlib import Path

import pytest

from summarizer.answering.generation.factory import load_generator
from summarizer.answering.judge import (JUDGE_OPENING, JUDGE_REFUSED, JudgeVerdict, confirm_claims, judge_claims,
                                        parse_verdicts)
from summarizer.answering.model_files import resolve_model
from summarizer.answering.model_process import ModelUnavailable
from summarizer.answering.model_slot import ModelSlot
from summarizer.answering.probes import Probe, probe_messages
from summarizer.answering.verify import check_answer

SOURCE = "India and Russia are not doing joint military exercises this year, the ministry said."
CLAIMS = [("India and Russia are doing joint military exercises this year.", [SOURCE]),
          ("The ministry said India and Russia are not doing joint exercises.", [SOURCE])]


def slot_for(generator) -> ModelSlot:
    return ModelSlot(spec="test", runtime="test", cache_dir=Path("."), timeout_s=60.0, generator=generator)


def conversation() -> tuple[list[dict[str, str]], str]:
    probe = Probe(CLAIMS[0][0], SOURCE, ("The ministers met in Moscow.",), "", "unnegated", False, "test")
    messages, answer, _ = probe_messages(probe)
    return messages, answer


async def test_judge_continues_the_answer_conversation(fake_model):
    messages, answer = conversation()
    fake_model.queue("1 no\n2 yes\nQ yes")
    verdict = await judge_claims(slot_for(fake_model), messages, answer, CLAIMS, question="Are they exercising?")
    assert verdict == JudgeVerdict(True, [False, True])
    sent = fake_model.calls[-1]
    assert sent[:len(messages)] == messages  # the evidence prompt is a shared prefix
    assert sent[len(messages)] == {"role": "assistant", "content": answer}
    assert sent[-1]["content"].startswith(JUDGE_OPENING)
    assert "Claim 2: The ministry said" in sent[-1]["content"] and SOURCE in sent[-1]["content"]


@pytest.mark.parametrize("reply, expected", [
    ("1 yes\n2 no", [True, False]),
    ("1. Yes\n2: No.", [True, False]),
    ("Claim 1: yes\nClaim 2 - no", [True, False]),
    ("2 yes", [False, True]),  # a claim the model skipped is not confirmed
    ("I think both are fine.", [False, False]),
    ("1 no\n1 yes\n2 yes", [False, True]),  # the first verdict on a claim counts
])
def test_parsing(reply, expected):
    assert parse_verdicts(reply, 2, asked_question=False).entailed == expected


def test_a_bare_answer_counts_for_a_single_claim_only():
    assert parse_verdicts("No.", 1, asked_question=False).entailed == [False]
    assert parse_verdicts("Yes", 1, asked_question=False).entailed == [True]
    assert parse_verdicts("Yes", 2, asked_question=False).entailed == [False, False]


def test_question_verdict_is_read_only_when_asked():
    assert parse_verdicts("1 yes\nQ no", 1, asked_question=True) == JudgeVerdict(False, [True])
    assert parse_verdicts("1 yes\nQ no", 1, asked_question=False) == JudgeVerdict(None, [True])
    assert parse_verdicts("1 yes", 1, asked_question=True) == JudgeVerdict(None, [True])


async def test_unavailable_model_gives_no_verdict(fake_model):
    messages, answer = conversation()
    fake_model.queue(ModelUnavailable("busy"))
    verdict = await judge_claims(slot_for(fake_model), messages, answer, CLAIMS)
    assert verdict == JudgeVerdict(None, [None, None])


async def test_fake_model_approves_every_claim_by_default(fake_model):
    messages, answer = conversation()
    verdict = await judge_claims(slot_for(fake_model), messages, answer, CLAIMS, question="Are they exercising?")
    assert verdict == JudgeVerdict(True, [True, True])


async def test_nothing_to_judge_costs_no_call(fake_model):
    messages, answer = conversation()
    assert await judge_claims(slot_for(fake_model), messages, answer, []) == JudgeVerdict(None, [])
    assert fake_model.calls == []


@pytest.fixture(scope="module")
def smollm2_slot(tmp_path_factory):
    generator = load_generator(resolve_model("smollm2", tmp_path_factory.mktemp("models")), runtime="llama.cpp",
                               n_threads=2, context_tokens=2048)
    return slot_for(generator)


async def test_real_small_model_through_the_real_path(smollm2_slot):
    messages, answer = conversation()
    verdict = await judge_claims(smollm2_slot, messages, answer, CLAIMS, question="What does the evidence say?")
    # SmolLM2-135M's verdicts are not worth asserting; that a reply came back and was read is.
    assert len(verdict.entailed) == 2
    assert all(v in (True, False) for v in verdict.entailed)
    assert verdict.addresses_question in (True, False, None)


EVIDENCE = [SOURCE, "The Deputy Secretary will meet with Japanese officials in Tokyo to discuss climate and health security."]
ANSWER = ("The Deputy Secretary will meet with Japanese officials in Tokyo [2]. "
          "Japanese officials will host the Deputy Secretary in Tokyo for talks [2].")


async def test_confirm_claims_asks_only_about_rewordings_and_drops_what_the_judge_rejects(fake_model):
    checked = check_answer(ANSWER, EVIDENCE)
    assert [c.needs_judge for c in checked] == [False, True]
    fake_model.queue("1 no\nQ yes")
    messages, _ = conversation()
    confirmed, addresses = await confirm_claims(slot_for(fake_model), messages, ANSWER, checked, EVIDENCE,
                                                question="Who will the Deputy Secretary meet?")
    assert [c.supported for c in confirmed] == [True, False]
    assert confirmed[1].problem == JUDGE_REFUSED and addresses is True
    prompt = fake_model.calls[-1][-1]["content"]
    assert "Claim 1: Japanese officials will host" in prompt and "Claim 2" not in prompt


async def test_confirm_claims_makes_no_call_for_copies(fake_model):
    checked = check_answer("The Deputy Secretary will meet with Japanese officials in Tokyo [2].", EVIDENCE)
    messages, _ = conversation()
    confirmed, addresses = await confirm_claims(slot_for(fake_model), messages, ANSWER, checked, EVIDENCE)
    assert confirmed == checked and addresses is None and fake_model.calls == []


async def test_confirm_claims_keeps_the_rules_verdict_when_the_model_is_busy(fake_model):
    checked = check_answer(ANSWER, EVIDENCE)
    fake_model.queue(ModelUnavailable("busy"))
    messages, _ = conversation()
    confirmed, addresses = await confirm_claims(slot_for(fake_model), messages, ANSWER, checked, EVIDENCE)
    assert all(c.supported for c in confirmed) and addresses is None
