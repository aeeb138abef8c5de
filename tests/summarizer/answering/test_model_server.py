"""An OpenAI-compatible server as the answer model: a real `llama_cpp.server` on 127.0.0.1 with the
small model answers the dev questions; a server that is down, errs, stalls or talks nonsense
costs a question its prose, never its answer, and says why in one log line."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from aiohttp import web

from summarizer.answering.model_process import ModelUnavailable
from summarizer.answering.model_server import ModelServer
from summarizer.engine import Engine, EngineConfig
from summarizer.evaluation import load_questions
from tests.conftest import CORPUS, SHARED

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
QUESTIONS = SHARED / "eval" / "questions.jsonl"
ALIAS = "smollm2"
# llama.cpp's server loads with the same plain CPU buffers as the bot (the extra ones crash on AMX CPUs).
SERVER = """
import runpy, sys
import llama_cpp
from summarizer.answering.generation import plain_cpu_buffers
plain_cpu_buffers(llama_cpp).__enter__()
sys.argv = ["llama_cpp.server", *sys.argv[1:]]
runpy.run_module("llama_cpp.server", run_name="__main__")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    from summarizer.answering.model_files import resolve_model

    model = resolve_model("smollm2", tmp_path_factory.mktemp("models"))
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-c", SERVER, "--model", str(model.path), "--model_alias", ALIAS,
                                   "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
                                  stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/models", timeout=2).read()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"llama_cpp.server did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.25)
    yield base
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()


async def test_a_real_server_generates(llama_server):
    server = ModelServer(llama_server)
    try:
        assert await server.start() == f"{ALIAS}@{llama_server.split('/')[2]}"
        generation = await server.generate(MESSAGES, 8, limit_s=60)
        assert generation.text and 0 < generation.completion_tokens <= 8 and generation.prompt_tokens > 0
    finally:
        await server.close()


async def test_the_dev_questions_are_answered_through_a_real_server(llama_server, db_copy, tmp_path, embedder, caplog):
    caplog.set_level(logging.INFO)
    config = EngineConfig(db_path=db_copy, corpus_dir=CORPUS, model=llama_server, server_model=ALIAS,
                          model_cache=tmp_path, generation_timeout_s=60)
    engine = await Engine.open(config, embedder=embedder)
    try:
        await engine.warm_up()
        answers = [await engine.ask(q.question) for q in load_questions(QUESTIONS)]
    finally:
        await engine.close()
    assert len(answers) >= 13
    answered = [a for a in answers if a.mode != "refused"]
    assert answered and all(a.citations for a in answered)
    assert {a.model for a in answers} == {f"{ALIAS}@{llama_server.split('/')[2]}"}
    unavailable = [r.getMessage() for r in caplog.records if "answering extractively:" in r.getMessage()]
    assert not unavailable, unavailable  # every answered question reached the server and got its reply
    assert any(a.timings_ms["generate"] > 0 for a in answered)


async def test_a_server_that_is_down_costs_the_prose_not_the_answer(db_copy, tmp_path, embedder, caplog):
    caplog.set_level(logging.WARNING)
    config = EngineConfig(db_path=db_copy, corpus_dir=CORPUS, model=f"http://127.0.0.1:{free_port()}/v1",
                          model_cache=tmp_path, generation_timeout_s=5)
    engine = await Engine.open(config, embedder=embedder)
    try:
        answer = await engine.ask("What did Lavrov say about the Quad?")
    finally:
        await engine.close()
    assert answer.mode == "extractive" and answer.citations
    (line,) = [r.getMessage() for r in caplog.records if "answering extractively:" in r.getMessage()]
    assert "cannot reach the model server at http://127.0.0.1" in line


@pytest.fixture
async def faulty_server():
    """A server at the edge that lists a model and then misbehaves as the test says."""
    behaviour = {"mode": "500"}

    async def models(request):
        return web.json_response({"object": "list", "data": [{"id": "flaky", "object": "model"}]})

    async def chat(request):
        mode = behaviour["mode"]
        if mode == "500":
            return web.Response(status=500, text='{"error": "out of memory"}')
        if mode == "not json":
            return web.Response(text="<html>proxy error</html>", content_type="text/html")
        if mode == "no choices":
            return web.json_response({"object": "chat.completion", "choices": []})
        await asyncio.sleep(30)  # slow
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1", behaviour
    await runner.cleanup()


@pytest.mark.parametrize("mode, message", [
    ("500", "answered HTTP 500 to /chat/completions: {\"error\": \"out of memory\"}"),
    ("not json", "sent a reply that is not JSON"),
    ("no choices", "sent a reply without choices[0].message"),
    ("slow", "gave no answer in 1 s"),
])
async def test_server_faults_are_one_clear_line(faulty_server, mode, message):
    url, behaviour = faulty_server
    behaviour["mode"] = mode
    server = ModelServer(url, api_key="secret")
    try:
        assert await server.start() == f"flaky@{url.split('/')[2]}"
        started = time.monotonic()
        with pytest.raises(ModelUnavailable) as failure:
            await server.generate(MESSAGES, 8, limit_s=1)
        assert message in str(failure.value)
        assert time.monotonic() - started < 5
    finally:
        await server.close()


def test_doctor_checks_a_server_model(llama_server, db_copy):
    env = os.environ | {"BRIEFBOT_DB": str(db_copy), "BRIEFBOT_MODEL": llama_server, "DISCORD_TOKEN": ""}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "doctor"], capture_output=True, text=True, env=env,
                            cwd=db_copy.parent, timeout=180, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{ALIAS}@{llama_server.split('/')[2]} on its server generated" in result.stdout
