"""`briefbot chat`: the bot's features in a terminal, on the same engine, without Discord.

Lines are read in a worker thread so the event loop stays free for the engine's own
background work while the console waits for input."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Awaitable, Callable, TextIO

from bot.render.text import (
    format_answer_text, format_digest_text, format_quotes_text, format_search_text, format_sources_text,
    format_timeline_text,
)
from summarizer.engine import Engine
from summarizer.results import QuestionError

log = logging.getLogger(__name__)
PROMPT = "briefbot> "
HELP = """\
Ask a question as it is, or:
  ask QUESTION                    a short cited answer (same as a bare question)
  /search QUERY                   the passages that best match
  /digest [YYYY-MM-DD]            the digest for a day (default: the latest day with articles)
  /quotes SPEAKER [about TOPIC]   what someone said, verbatim
  /timeline TOPIC                 dated events on a topic, in order
  /sources                        what the corpus holds
  help                            this text
  quit                            leave (so does end of input, Ctrl-D)"""
QUIT_WORDS = {"quit", "exit", "/quit", "/exit"}
HELP_WORDS = {"help", "/help", "?"}


async def run_console(engine: Engine, stdin: TextIO, stdout: TextIO) -> int:
    interactive = _is_tty(stdin)
    if interactive:
        _write(stdout, "briefbot console: ask a question, or type help.")
    # Models load while the user types the first question.
    warm_up = asyncio.create_task(engine.warm_up())
    try:
        return await _read_eval_print(engine, stdin, stdout, interactive)
    finally:
        warm_up.cancel()
        await asyncio.gather(warm_up, return_exceptions=True)


async def _read_eval_print(engine: Engine, stdin: TextIO, stdout: TextIO, interactive: bool) -> int:
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:  # end of input
            if interactive:
                stdout.write("\n")
            return 0
        line = line.strip()
        if not line:
            continue
        if line.lower() in QUIT_WORDS:
            return 0
        _write(stdout, await respond(engine, line))


async def respond(engine: Engine, line: str) -> str:
    """The console's reply to one line; failures become a message, never the end of the session."""
    if line.lower() in HELP_WORDS:
        return HELP
    command, _, argument = line.partition(" ")
    handler = _COMMANDS.get(command.lower())
    if handler is None:
        handler, argument = _ask, line
    try:
        return await handler(engine, argument.strip())
    except QuestionError as exc:
        return str(exc)
    except Exception as exc:
        log.exception("console command failed: %s", line)
        return f"Sorry, that failed: {exc}"


async def _ask(engine: Engine, question: str) -> str:
    return format_answer_text(await engine.ask(question))


async def _search(engine: Engine, query: str) -> str:
    if not query:
        return "Usage: /search QUERY"
    return format_search_text(await engine.search(query))


async def _digest(engine: Engine, day: str) -> str:
    if day:
        try:
            day = dt.date.fromisoformat(day).isoformat()
        except ValueError:
            return f"{day!r} is not a date. Usage: /digest [YYYY-MM-DD]"
    return format_digest_text(await engine.digest(day or None))


async def _quotes(engine: Engine, argument: str) -> str:
    speaker, _, topic = argument.partition(" about ")
    if not speaker.strip():
        return "Usage: /quotes SPEAKER [about TOPIC]"
    return format_quotes_text(speaker.strip(), await engine.quotes(speaker.strip(), topic.strip() or None))


async def _timeline(engine: Engine, topic: str) -> str:
    if not topic:
        return "Usage: /timeline TOPIC"
    return format_timeline_text(topic, await engine.timeline(topic))


async def _sources(engine: Engine, _: str) -> str:
    return format_sources_text(await engine.sources())


_COMMANDS: dict[str, Callable[[Engine, str], Awaitable[str]]] = {
    "ask": _ask, "/ask": _ask, "/search": _search, "/digest": _digest, "/quotes": _quotes,
    "/timeline": _timeline, "/sources": _sources,
}


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _write(stdout: TextIO, text: str) -> None:
    stdout.write(text + "\n")
    stdout.flush()
