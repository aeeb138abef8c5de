"""`briefbot chat`: the same engine, line by line, from any text stream."""

from __future__ import annotations

import io

from bot.console import PROMPT, respond, run_console


class TtyInput(io.StringIO):
    def isatty(self) -> bool:
        return True


async def chat(engine, *lines: str, stdin_type=io.StringIO) -> tuple[int, str]:
    stdout = io.StringIO()
    code = await run_console(engine, stdin_type("".join(f"{line}\n" for line in lines)), stdout)
    return code, stdout.getvalue()


async def test_a_bare_question_is_answered_with_sources(engine):
    code, output = await chat(engine, "What did Lavrov say about the Quad?")

    assert code == 0  # end of input ends the session
    assert "[1]" in output.splitlines()[0]
    assert "Sources:" in output and "Lavrov" in output
    assert PROMPT not in output  # not a terminal: no prompt


async def test_ask_prefix_and_commands_use_the_same_engine(engine):
    code, output = await chat(engine, "ask What did Lavrov say about the Quad?", "/sources",
                              "/digest 2022-01-05", "/quotes Sergey Lavrov about the Quad", "/timeline Quad",
                              "/search Asian NATO")

    assert code == 0
    assert "Sources:" in output
    assert "5 articles:" in output
    assert "Daily digest — 2022-01-05" in output and "(2 sources)" in output
    assert "“" in output  # quotes are verbatim
    assert "Asian NATO" in output


async def test_quit_stops_before_later_lines(engine, fake_model):
    code, output = await chat(engine, "help", "quit", "What did Lavrov say about the Quad?")

    assert code == 0
    assert "/search QUERY" in output
    assert fake_model.calls == []


async def test_a_terminal_gets_a_prompt(engine):
    code, output = await chat(engine, "help", stdin_type=TtyInput)

    assert code == 0
    assert output.count(PROMPT) == 2  # before "help" and before end of input


async def test_problems_are_explained_and_the_session_goes_on(engine, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(engine, "search", broken)

    assert "The question is empty" in await respond(engine, "ask")
    assert "Usage: /timeline TOPIC" == await respond(engine, "/timeline")
    assert "not a date" in await respond(engine, "/digest yesterday")
    assert "Sorry, that failed: disk on fire" == await respond(engine, "/search Quad")
