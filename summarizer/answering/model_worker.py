"""The answer model's own process: `python -m summarizer.answering.model_worker MODEL RUNTIME CACHE_DIR`.

Native runtimes can crash (a CPU fast path that faults, an abort inside llama.cpp) or be
killed for memory. Here such a crash ends only this process; the bot's supervisor
(``summarizer.answering.model_process``) sees it, answers extractively meanwhile and starts a new one.

Protocol: one JSON object per line. The worker first writes ``{"event": "ready", "name": …}``
once the model has loaded *and* generated a token (so "ready" means "can answer"), or
``{"event": "load_failed", "error": …}`` and exits. On llama.cpp that probe token is generated
from the answer prompt's fixed part, which then stays evaluated for every answer (and is saved
in the model cache, so the next process restores it instead of computing it). Then each request
``{"id": N, "messages": […], "max_tokens": M}`` gets ``{"id": N, "generation": {…}}`` or
``{"id": N, "error": …}``. End of input ends the worker.

File descriptor 1 is pointed at stderr before the model loads: llama.cpp and torch write
to stdout from native code, and a stray byte there would corrupt the protocol.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import dataclasses
import faulthandler
import json
import os
import signal
import sys
from pathlib import Path
from typing import BinaryIO

LOAD_FAILED_EXIT = 3
PROBE_MESSAGES = [{"role": "user", "content": "Say OK."}]
# Under the model cache: evaluated answer-prompt prefixes, restored at start (see LlamaCppGenerator.prime).
PROMPT_STATE_DIR = "prompt-state"
# Prefer this process to the bot when the kernel must kill something for memory.
OOM_SCORE_ADJ = 500
# When both want the CPU, the bot goes first: a quoted draft or a gateway heartbeat needs
# milliseconds, a summary seconds. With the bot idle the model still gets every core.
NICENESS = 10
_PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> int:
    spec, runtime, cache_dir = argv
    protocol = _claim_stdout()
    faulthandler.enable()  # a native crash prints the Python stack to stderr, read by the supervisor
    _die_with_parent()
    _volunteer_for_oom_killer()
    _yield_cpu_to_the_bot()

    from summarizer.answering.generation import load_generator
    from summarizer.answering.model_files import ModelError, resolve_model

    answer_prefix = _answer_prefix_soon()
    try:
        generator = load_generator(resolve_model(spec, Path(cache_dir)), runtime)
        if hasattr(generator, "prime"):
            generator.prime(answer_prefix.result(), Path(cache_dir) / PROMPT_STATE_DIR)
        else:
            generator.generate(PROBE_MESSAGES, max_tokens=1)
    except ModelError as exc:
        _send(protocol, {"event": "load_failed", "error": str(exc)})
        return LOAD_FAILED_EXIT
    except Exception as exc:  # noqa: BLE001 - any load failure is reported, not raised
        _send(protocol, {"event": "load_failed", "error": f"{type(exc).__name__}: {exc}"})
        return LOAD_FAILED_EXIT
    _send(protocol, {"event": "ready", "name": generator.name})

    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            generation = generator.generate(request["messages"], max_tokens=request["max_tokens"])
        except Exception as exc:  # noqa: BLE001 - one failed generation costs one answer its prose
            _send(protocol, {"id": request["id"], "error": str(exc) or type(exc).__name__})
        else:
            _send(protocol, {"id": request["id"], "generation": dataclasses.asdict(generation)})
    # Freeing the model and tearing the interpreter down take about 0.15 s, which a closing bot
    # (or a one-shot `briefbot ask`) would wait for; replies are unbuffered and nothing else
    # needs an orderly exit, so the kernel reclaims the memory instead.
    sys.stderr.flush()
    os._exit(0)


def _answer_prefix_soon() -> concurrent.futures.Future:
    """The probe for a runtime that keeps evaluated prompts: the answer prompt with no evidence
    and no question, so its fixed part (instructions and worked example, about 160 of a typical
    450 tokens) is evaluated before the first question and reused by every answer. Imported in
    a thread: answering's modules take about 0.2 s to import, which then overlaps the model's
    load (native code that releases the GIL)."""
    def build() -> list[dict[str, str]]:
        from summarizer.answering.answerer import build_messages

        return build_messages("", [])

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer-prefix")
    future = pool.submit(build)
    pool.shutdown(wait=False)
    return future


def _claim_stdout() -> BinaryIO:
    protocol = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def _send(protocol: BinaryIO, message: dict) -> None:
    protocol.write(json.dumps(message).encode() + b"\n")


def _die_with_parent() -> None:
    # Without this, a bot killed with SIGKILL would leave the model holding its memory.
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(0)


def _yield_cpu_to_the_bot() -> None:
    try:
        os.nice(NICENESS)
    except OSError:
        pass


def _volunteer_for_oom_killer() -> None:
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write(str(OOM_SCORE_ADJ))
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
