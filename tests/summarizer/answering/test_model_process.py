"""The answer model in its own process, on the real llama.cpp build with the small model:
crashes, kills and hangs of the child never reach the caller as anything but
ModelUnavailable, are logged once with their cause, and the next request is generated."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from summarizer.answering.model_process import ModelProcess, ModelUnavailable, describe_exit, fix_for_exit

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
DEATH_LOG = "answer model process"


@pytest.fixture
async def model(tmp_path):
    process = ModelProcess("smollm2", "llama.cpp", tmp_path, first_backoff_s=0.1)
    yield process
    await process.close()


def deaths(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and " died " in r.getMessage()]


async def generate_while_stopped(model: ModelProcess, then: list[signal.Signals]) -> BaseException | None:
    """Freeze the child, send it a request (so it dies mid-generation), then deliver ``then``."""
    pid = model.pid
    os.kill(pid, signal.SIGSTOP)
    task = asyncio.ensure_future(model.generate(MESSAGES, 8, limit_s=30))
    await asyncio.sleep(0.3)  # the request is in the child's pipe, unanswered
    assert not task.done()
    for sig in then:
        os.kill(pid, sig)
    try:
        await asyncio.wait_for(task, 20)
    except ModelUnavailable as exc:
        return exc
    return None


async def test_generates_in_a_child_process(model):
    name = await model.start()
    assert name == "smollm2-135m-instruct-q4_1@llama.cpp"
    assert model.pid and model.pid != os.getpid()
    generation = await model.generate(MESSAGES, 8, limit_s=30)
    assert generation.text.strip() and 0 < generation.completion_tokens <= 8
    assert generation.prompt_tokens > 0


async def test_the_child_gives_the_bot_the_cpu_first(model):
    await model.start()
    # Field 19 of /proc/PID/stat is the nice value (after the command name in parentheses).
    child_nice = int(open(f"/proc/{model.pid}/stat").read().rsplit(")", 1)[1].split()[16])
    assert child_nice >= os.nice(0) + 10


@pytest.mark.parametrize("signals, cause", [
    ([signal.SIGKILL], "SIGKILL"),
    ([signal.SIGSEGV, signal.SIGCONT], "SIGSEGV"),
    ([signal.SIGABRT, signal.SIGCONT], "SIGABRT"),
])
async def test_a_crash_mid_generation_fails_that_request_and_the_next_is_generated(model, caplog, signals, cause):
    caplog.set_level(logging.INFO, logger="summarizer.answering.model_process")
    await model.start()
    first_pid = model.pid
    error = await generate_while_stopped(model, signals)
    assert isinstance(error, ModelUnavailable) and cause in str(error)
    (death,) = deaths(caplog)
    assert cause in death and "while generating" in death and "restarting" in death

    generation = await model.generate(MESSAGES, 8, limit_s=60)
    assert generation.text.strip()
    assert model.pid != first_pid
    assert len(deaths(caplog)) == 1, "the crash was logged more than once"


async def test_a_hung_generation_is_killed_at_its_limit_and_the_model_restarts(model, caplog):
    caplog.set_level(logging.INFO, logger="summarizer.answering.model_process")
    await model.start()
    hung = model.pid
    os.kill(hung, signal.SIGSTOP)  # a real hang: the child never answers
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="no answer in 1.5 s"):
        await model.generate(MESSAGES, 8, limit_s=1.5)
    assert time.monotonic() - started < 5
    await asyncio.sleep(0.5)
    assert not _alive(hung), "the hung model process was left running"
    (death,) = deaths(caplog)
    assert "hung" in death
    assert (await model.generate(MESSAGES, 8, limit_s=60)).text.strip()


async def test_consecutive_crashes_back_off_longer(model, caplog):
    caplog.set_level(logging.INFO, logger="summarizer.answering.model_process")
    await model.start()
    for _ in range(2):
        os.kill(model.pid, signal.SIGKILL)
        await _until(lambda: model.pid is None, 10)
        await model.start()  # waits for the scheduled restart
    assert ["restarting in 0.1 s" in d for d in deaths(caplog)] == [True, False]
    assert "restarting in 0.2 s" in deaths(caplog)[1]


async def test_questions_do_not_wait_for_a_restart_due_after_their_limit(tmp_path):
    model = ModelProcess("smollm2", "llama.cpp", tmp_path, first_backoff_s=30)
    try:
        await model.start()
        os.kill(model.pid, signal.SIGKILL)
        await _until(lambda: model.pid is None, 10)
        started = time.monotonic()
        with pytest.raises(ModelUnavailable, match="restarting after a crash"):
            await model.generate(MESSAGES, 8, limit_s=2)
        assert time.monotonic() - started < 1
    finally:
        await model.close()


async def test_a_model_that_cannot_load_is_reported_once_and_not_restarted(tmp_path, caplog):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + os.urandom(4096))  # the right magic, garbage after it
    model = ModelProcess(str(bad), "llama.cpp", tmp_path)
    try:
        with pytest.raises(ModelUnavailable, match="broken.gguf"):
            await model.start()
        assert model.load_error and "broken.gguf" in model.load_error
        with pytest.raises(ModelUnavailable, match="broken.gguf"):
            await model.generate(MESSAGES, 8, limit_s=5)
        assert model.pid is None
    finally:
        await model.close()


async def test_the_child_keeps_the_answer_prompts_fixed_part_for_the_next_start(tmp_path):
    from summarizer.answering.answerer import build_messages

    first = ModelProcess("smollm2", "llama.cpp", tmp_path)
    try:
        await first.start()
    finally:
        await first.close()
    (saved,) = (tmp_path / "prompt-state").glob("*.kv")
    written = saved.stat().st_mtime_ns
    second = ModelProcess("smollm2", "llama.cpp", tmp_path)
    try:
        await second.start()
        generation = await second.generate(build_messages("Where did the ministers meet?", []), 8, limit_s=30)
    finally:
        await second.close()
    assert generation.completion_tokens > 0
    assert saved.stat().st_mtime_ns == written, "the second child evaluated the prefix again instead of restoring it"


async def test_close_does_not_wait_for_a_child_still_loading(tmp_path):
    """A one-shot ask answered from the cache closes right after starting the model."""
    model = ModelProcess("smollm2", "llama.cpp", tmp_path)
    starting = asyncio.ensure_future(model.start())
    while model.pid is None:
        await asyncio.sleep(0.001)
    pid = model.pid
    os.kill(pid, signal.SIGSTOP)  # held mid-load: it cannot reach its end of input
    began = time.monotonic()
    await model.close()
    assert time.monotonic() - began < 2.0
    assert not _alive(pid)
    await asyncio.gather(starting, return_exceptions=True)


async def test_close_ends_the_child(model):
    await model.start()
    pid = model.pid
    await model.close()
    assert not _alive(pid)


def test_the_child_dies_with_its_parent(tmp_path):
    """A bot killed with SIGKILL must not leave the model holding gigabytes."""
    script = textwrap.dedent(f"""
        import asyncio, sys
        from summarizer.answering.model_process import ModelProcess
        async def main():
            model = ModelProcess("smollm2", "llama.cpp", {str(tmp_path)!r})
            await model.start()
            print(model.pid, flush=True)
            await asyncio.sleep(600)
        asyncio.run(main())
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the model process outlived the bot"


def test_exits_are_described_for_people():
    assert describe_exit(-signal.SIGSEGV).startswith("killed by SIGSEGV (a segmentation fault")
    assert "out-of-memory" in describe_exit(-signal.SIGKILL)
    assert describe_exit(2) == "exit code 2"
    assert "make clean install" in fix_for_exit(-signal.SIGILL)
    assert "BRIEFBOT_RUNTIME=transformers" in fix_for_exit(-signal.SIGSEGV)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


async def _until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)
