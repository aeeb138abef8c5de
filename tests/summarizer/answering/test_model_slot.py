"""The answer model slot (summarizer/answering/model_slot.py): an injected in-process generator, the
bounded queue ("busy"), the deadline (ModelUnavailable while the slot stays held until the
generation really ends), failures and load errors, and what a user then gets from Engine.ask."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from summarizer.engine import Engine, EngineConfig
from summarizer.answering.generation import Generation
from summarizer.answering.model_process import ModelUnavailable
from summarizer.answering.model_slot import ModelSlot

MESSAGES = [{"role": "user", "content": "Evidence:\n[1] Lavrov spoke.\n\nQuestion: Who spoke?"}]


class GatedGenerator:
    """Blocks every generation until ``open_gate`` (or the safety timeout), counting overlap."""

    name = "gated@test"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls = 0
        self.finished = 0
        self.active = 0
        self.most_active = 0
        self.max_tokens: list[int] = []
        self._lock = threading.Lock()

    def open_gate(self) -> None:
        self.gate.set()

    def generate(self, messages, max_tokens=160) -> Generation:
        with self._lock:
            self.calls += 1
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            self.max_tokens.append(max_tokens)
            n = self.calls
        self.gate.wait(10)
        with self._lock:
            self.active -= 1
            self.finished += 1
        return Generation(text=f"reply {n} [1]", prompt_tokens=10, completion_tokens=3, prefill_ms=1.0, decode_ms=1.0)


class FailingGenerator:
    name = "failing@test"

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    def generate(self, messages, max_tokens=160) -> Generation:
        self.calls += 1
        if self.calls == 1:
            raise self.error
        return Generation(text="recovered [1]", prompt_tokens=1, completion_tokens=1, prefill_ms=0.0, decode_ms=0.0)


@pytest.fixture
def gated():
    generator = GatedGenerator()
    yield generator
    generator.open_gate()  # never leave a worker thread blocked behind the test


def slot_for(generator, *, timeout_s: float = 5.0, concurrency: int = 1, tmp_path=None) -> ModelSlot:
    return ModelSlot(spec="injected", runtime="auto", cache_dir=tmp_path or "unused", timeout_s=timeout_s,
                     generator=generator, concurrency=concurrency)


async def until(condition, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_an_injected_generator_answers_in_process_under_its_own_name(gated):
    gated.open_gate()
    slot = slot_for(gated)
    assert slot.identity == slot.name == "gated@test"
    assert slot.process_id is None and slot.load_error is None
    assert await slot.load() == "gated@test"
    generation = await slot.generate(MESSAGES, 42)
    assert generation.text == "reply 1 [1]" and gated.max_tokens == [42]
    await slot.close()


async def test_past_the_deadline_the_caller_gets_model_unavailable_but_the_slot_stays_held(gated):
    slot = slot_for(gated, timeout_s=0.4)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match=r"took longer than 0.4 s"):
        await slot.generate(MESSAGES, 16)
    assert 0.35 <= time.monotonic() - started < 3.0
    assert gated.calls == 1 and gated.finished == 0  # the abandoned generation is still running

    with pytest.raises(ModelUnavailable, match="busy"):  # so the next question cannot start one beside it
        await slot.generate(MESSAGES, 16)
    assert gated.calls == 1

    gated.open_gate()
    await until(lambda: gated.finished == 1)
    reply = await slot.generate(MESSAGES, 16)  # the slot was released when the generation really ended
    assert reply.text == "reply 2 [1]" and gated.most_active == 1


async def test_a_caller_may_wait_longer_than_the_timeout_in_the_queue(gated):
    slot = slot_for(gated, timeout_s=0.3)
    first = asyncio.ensure_future(slot.generate(MESSAGES, 16, wait_s=5.0))
    await until(lambda: gated.calls == 1)
    second = asyncio.ensure_future(slot.generate(MESSAGES, 16, wait_s=5.0))
    await asyncio.sleep(0.6)  # both past the timeout, neither past its own wait
    gated.open_gate()
    assert [g.text for g in await asyncio.gather(first, second)] == ["reply 1 [1]", "reply 2 [1]"]
    assert gated.most_active == 1
    await slot.close()


async def test_a_full_queue_answers_busy_without_reaching_the_model(gated):
    slot = slot_for(gated, timeout_s=0.5)
    first = asyncio.ensure_future(slot.generate(MESSAGES, 16))
    await until(lambda: gated.calls == 1)
    with pytest.raises(ModelUnavailable, match="the answer model is busy with other questions"):
        await slot.generate(MESSAGES, 16)
    assert gated.calls == 1
    with pytest.raises(ModelUnavailable):
        await first
    gated.open_gate()


async def test_a_queued_question_gets_the_slot_when_it_frees(gated):
    slot = slot_for(gated, timeout_s=5.0)
    first = asyncio.ensure_future(slot.generate(MESSAGES, 16))
    second = asyncio.ensure_future(slot.generate(MESSAGES, 16))
    await until(lambda: gated.calls == 1)
    await asyncio.sleep(0.2)
    assert gated.calls == 1 and not second.done()  # waiting in the queue, not running beside the first
    gated.open_gate()
    replies = await asyncio.gather(first, second)
    assert sorted(r.text for r in replies) == ["reply 1 [1]", "reply 2 [1]"]
    assert gated.most_active == 1


async def test_concurrency_bounds_how_many_generations_run_at_once(gated):
    slot = slot_for(gated, timeout_s=5.0, concurrency=2)
    tasks = [asyncio.ensure_future(slot.generate(MESSAGES, 16)) for _ in range(3)]
    await until(lambda: gated.calls == 2)
    await asyncio.sleep(0.2)
    assert gated.calls == 2
    gated.open_gate()
    await asyncio.gather(*tasks)
    assert gated.calls == 3 and gated.most_active == 2


async def test_a_failing_generation_costs_one_answer_and_frees_the_slot():
    generator = FailingGenerator(RuntimeError("CUDA out of memory"))
    slot = slot_for(generator, timeout_s=5.0)
    with pytest.raises(ModelUnavailable, match="generation failed: CUDA out of memory"):
        await slot.generate(MESSAGES, 16)
    assert (await slot.generate(MESSAGES, 16)).text == "recovered [1]"


async def test_model_unavailable_from_the_model_passes_through_unchanged():
    slot = slot_for(FailingGenerator(ModelUnavailable("answer model restarting after a crash")), timeout_s=5.0)
    with pytest.raises(ModelUnavailable, match="^answer model restarting after a crash$"):
        await slot.generate(MESSAGES, 16)


async def test_a_model_that_cannot_load_reports_why(tmp_path):
    missing = tmp_path / "missing.gguf"
    slot = ModelSlot(spec=str(missing), runtime="auto", cache_dir=tmp_path, timeout_s=10.0)
    try:
        assert slot.identity == f"{missing}@auto"
        assert await slot.load() is None
        assert "missing.gguf" in slot.load_error and "not found" in slot.load_error
        with pytest.raises(ModelUnavailable, match="missing.gguf"):
            await slot.generate(MESSAGES, 16)
        assert slot.process_id is None
    finally:
        await slot.close()


async def test_a_slow_model_still_gets_the_user_a_cited_answer_in_time(db_copy, tmp_path, embedder, fake_model):
    fake_model.delay_s = 1.5
    config = EngineConfig(db_path=db_copy, corpus_dir=tmp_path / "corpus", model_cache=tmp_path / "models",
                          generation_timeout_s=0.3)
    engine = await Engine.open(config, generator=fake_model, embedder=embedder)
    try:
        await engine.index.refresh()
        started = time.monotonic()
        answer = await engine.ask("What did Lavrov say about the Quad?")
        assert time.monotonic() - started < 1.4  # did not wait for the model
        assert answer.mode == "extractive" and answer.citations
        assert answer.citations[0].quote.rstrip(".")[:40] in answer.answer
    finally:
        await engine.close()


async def test_a_model_that_cannot_load_still_gets_the_user_a_cited_answer(db_copy, tmp_path, embedder):
    config = EngineConfig(db_path=db_copy, corpus_dir=tmp_path / "corpus", model_cache=tmp_path / "models",
                          model=str(tmp_path / "missing.gguf"), generation_timeout_s=10.0)
    engine = await Engine.open(config, embedder=embedder)
    try:
        answer = await engine.ask("What did Lavrov say about the Quad?")
        assert answer.mode == "extractive" and answer.citations
        refused = await engine.ask("Who won the World Cup?")
        assert refused.mode == "refused"
    finally:
        await engine.close()
