"""The answer model in a supervised child process (see ``summarizer.answering.model_worker``).

A crash, abort, hang or out-of-memory kill of the model ends the child, never the bot:
the question being generated is answered extractively by the caller, the death is logged
once with its cause, and a new child is started after a backoff that doubles with each
consecutive crash and resets after the next good generation. A generation that runs past
its limit is taken as a hang and its child is killed, since a native call cannot be
interrupted any other way.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import signal
import sys
import time
from pathlib import Path

from summarizer.answering.generation import Generation
from summarizer.answering.model_worker import LOAD_FAILED_EXIT

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 60.0
STDERR_LINES_KEPT = 30
CLOSE_GRACE_S = 5.0
# A JSON line carries a whole prompt; asyncio's default 64 KiB line limit is too tight.
LINE_LIMIT = 16 * 1024 * 1024


class ModelUnavailable(Exception):
    """The model could not be loaded or did not answer; the message says why, in one line."""


class ModelProcess:
    """Starts, feeds and restarts the model's child process. One request runs at a time."""

    def __init__(self, spec: str, runtime: str, cache_dir: Path, *,
                 first_backoff_s: float = FIRST_BACKOFF_S, max_backoff_s: float = MAX_BACKOFF_S) -> None:
        self._argv = [sys.executable, "-m", "summarizer.answering.model_worker", spec, runtime, str(cache_dir)]
        self._first_backoff_s = first_backoff_s
        self._max_backoff_s = max_backoff_s
        self._proc: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Future[None] | None = None
        self._restart_due = 0.0
        self._crashes = 0  # consecutive, reset by a good generation
        self._failed: str | None = None  # a load failure that no restart can mend
        self._name: str | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[dict]] = {}
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
        self._tasks: set[asyncio.Task] = set()
        self._lock = asyncio.Lock()
        self._closed = False
        self._kill_reasons: dict[int, str] = {}
        self.last_crash: str | None = None
        self.last_exit_code: int | None = None  # of the last death not caused by a kill of ours

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    @property
    def load_error(self) -> str | None:
        return self._failed

    async def start(self) -> str:
        """Until the child has loaded the model and generated once; its name (e.g. "x@llama.cpp").

        Raises ModelUnavailable if it cannot load or dies while loading."""
        await self._wait_started(None)
        assert self._name is not None
        return self._name

    async def generate(self, messages: list[dict[str, str]], max_tokens: int, *, limit_s: float) -> Generation:
        """Generate in the child; a generation past ``limit_s`` is a hang and kills the child."""
        async with self._lock:
            await self._wait_started(limit_s)
            proc = self._proc
            self._next_id += 1
            request_id = self._next_id
            reply = asyncio.get_running_loop().create_future()
            self._pending[request_id] = reply
            try:
                proc.stdin.write(json.dumps({"id": request_id, "messages": messages,
                                             "max_tokens": max_tokens}).encode() + b"\n")
                await proc.stdin.drain()
                message = await asyncio.wait_for(asyncio.shield(reply), limit_s)
            except asyncio.TimeoutError:
                self._kill(proc, f"hung: no answer after {limit_s:g} s, so it was killed")
                raise ModelUnavailable(f"the answer model gave no answer in {limit_s:g} s") from None
            except (BrokenPipeError, ConnectionResetError):
                message = await reply  # the reader fails it with the cause of death
            finally:
                self._pending.pop(request_id, None)
        if "error" in message:
            raise ModelUnavailable(f"generation failed: {message['error']}")
        self._crashes = 0
        return Generation(**message["generation"])

    async def close(self) -> None:
        self._closed = True
        if self._starting is not None:
            self._starting.cancel()
        for task in list(self._tasks):
            task.cancel()
        proc = self._proc
        if proc is not None and proc.returncode is None:
            if self._name is None:
                # Still loading (a one-shot ask answered from the cache closes this early): it has
                # nothing to finish and would read its end of input only once loaded.
                proc.kill()
            else:
                with contextlib.suppress(Exception):
                    proc.stdin.close()  # end of input: the worker exits by itself
            try:
                await asyncio.wait_for(proc.wait(), CLOSE_GRACE_S)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- lifecycle --------------------------------------------------------------------------

    async def _wait_started(self, limit_s: float | None) -> None:
        if self._failed is not None:
            raise ModelUnavailable(self._failed)
        if self._proc is not None and self._proc.returncode is None and self._name is not None:
            return
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._spawn())
        wait_s = self._restart_due - time.monotonic()
        if limit_s is not None and wait_s > limit_s:
            raise ModelUnavailable(f"the answer model is restarting after a crash: {self.last_crash}")
        await asyncio.shield(self._starting)

    async def _spawn(self) -> None:
        try:
            delay = self._restart_due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._name = None
            self._stderr.clear()
            self._proc = proc = await asyncio.create_subprocess_exec(
                *self._argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, limit=LINE_LIMIT,
                start_new_session=True,  # Ctrl-C in the console is for the bot, which stops the child itself
            )
            self._track(self._read_stderr(proc))
            hello = _parse(await proc.stdout.readline()) or {}
            if hello.get("event") == "ready":
                self._name = hello["name"]
                log.info("answer model ready in process %d: %s", proc.pid, self._name)
                self._track(self._read_replies(proc))
                return
            code = await proc.wait()
            if hello.get("event") == "load_failed" or code == LOAD_FAILED_EXIT:
                self._failed = hello.get("error") or self._last_words() or "the answer model failed to load"
                log.error("answer model unavailable: %s", self._failed)
                raise ModelUnavailable(self._failed)
            cause = self._crashed(proc, "while loading")
            raise ModelUnavailable(f"the answer model process died while loading: {cause}")
        finally:
            self._starting = None

    async def _read_replies(self, proc: asyncio.subprocess.Process) -> None:
        while line := await proc.stdout.readline():
            message = _parse(line)
            if message is None:
                continue
            reply = self._pending.get(message.get("id"))
            if reply is not None and not reply.done():
                reply.set_result(message)
        await proc.wait()
        if self._closed or proc is not self._proc:
            return
        cause = self._crashed(proc, "while generating" if self._pending else "while idle")
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(ModelUnavailable(f"the answer model process died: {cause}"))

    async def _read_stderr(self, proc: asyncio.subprocess.Process) -> None:
        # Drained continuously so a chatty native library never blocks on a full pipe;
        # the last lines name the cause when the child dies.
        while line := await proc.stderr.readline():
            text = line.decode(errors="replace").rstrip()
            if text:
                self._stderr.append(text)
                log.debug("model process: %s", text)

    def _crashed(self, proc: asyncio.subprocess.Process, when: str) -> str:
        """Log the death once, with its cause, and schedule the restart; the cause in a few words."""
        self._crashes += 1
        backoff = min(self._max_backoff_s, self._first_backoff_s * 2 ** (self._crashes - 1))
        self._restart_due = time.monotonic() + backoff
        killed_for = self._kill_reasons.pop(proc.pid, None)
        cause = killed_for or describe_exit(proc.returncode)
        self.last_crash = cause
        self.last_exit_code = None if killed_for else proc.returncode
        detail = self._last_words()
        log.error("answer model process %d died %s: %s%s; answering extractively, restarting in %.1f s",
                  proc.pid, when, cause, f" (last output: {detail})" if detail else "", backoff)
        if not self._closed and self._starting is None:
            self._starting = asyncio.ensure_future(self._spawn())
            self._starting.add_done_callback(_ignore_result)
        return cause

    def _kill(self, proc: asyncio.subprocess.Process, why: str) -> None:
        if proc.returncode is None:
            self._kill_reasons[proc.pid] = why  # logged once, with the restart, when the reader sees it die
            proc.kill()

    def _last_words(self) -> str:
        return " | ".join(list(self._stderr)[-3:])

    def _track(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


# What a death by each signal usually means here, and what a user can do about it.
SIGNAL_CAUSES = {
    signal.SIGSEGV: ("a segmentation fault in the native runtime",
                     "try BRIEFBOT_RUNTIME=transformers, or another model with BRIEFBOT_MODEL"),
    signal.SIGABRT: ("an abort in the native runtime",
                     "try BRIEFBOT_RUNTIME=transformers, or another model with BRIEFBOT_MODEL"),
    signal.SIGILL: ("an illegal instruction: the runtime was built for another CPU",
                    "rebuild it on this machine with `make clean install`"),
    signal.SIGBUS: ("a bus error: the model file is truncated or unreadable",
                    "delete the model cache (BRIEFBOT_MODEL_CACHE) and start again"),
    signal.SIGKILL: ("most often the kernel's out-of-memory killer",
                     "free memory or use a smaller model (BRIEFBOT_MODEL=smollm2)"),
}


def describe_exit(code: int | None) -> str:
    """'killed by SIGSEGV (a segmentation fault in the native runtime)', 'exit code 1', …"""
    if code is None:
        return "still running"
    if code >= 0:
        return f"exit code {code}"
    try:
        sig = signal.Signals(-code)
    except ValueError:
        return f"killed by signal {-code}"
    meaning = SIGNAL_CAUSES[sig][0] if sig in SIGNAL_CAUSES else (signal.strsignal(sig) or "").lower()
    return f"killed by {sig.name} ({meaning})" if meaning else f"killed by {sig.name}"


def fix_for_exit(code: int | None) -> str:
    """One sentence a user can act on after the model died with ``code``."""
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            fix = SIGNAL_CAUSES.get(signal.Signals(-code))
            if fix:
                return fix[1]
    return "run `briefbot doctor` and read the model process's last output in the log"


def _parse(line: bytes) -> dict | None:
    try:
        message = json.loads(line)
    except ValueError:
        log.debug("model process wrote a line that is not protocol: %r", line[:200])
        return None
    return message if isinstance(message, dict) else None


def _ignore_result(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # a failed restart was logged where it failed
