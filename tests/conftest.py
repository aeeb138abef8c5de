"""Shared fixtures: the real embedding model (loaded once), a seed store ingested once per
session and copied per test, and a queueable fake answer model at the edge."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
from collections import deque
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from store import Corpus, Database  # noqa: E402
from summarizer.ingest.embeddings import Embedder  # noqa: E402
from summarizer.engine import Engine, EngineConfig  # noqa: E402
from summarizer.answering.generation import Generation  # noqa: E402
from summarizer.ingest.pipeline import ingest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"


class FakeGenerator:
    """Implements the Generator protocol. Replies are queued by the test; with an empty
    queue it echoes the first evidence sentence with a [1] citation, like a careful model,
    and approves every claim when asked as the judge."""

    name = "fake@test"

    def __init__(self) -> None:
        self.replies: deque[str | BaseException] = deque()
        self.calls: list[list[dict[str, str]]] = []
        self.delay_s = 0.0
        self._lock = threading.Lock()

    def queue(self, *replies: str | BaseException) -> "FakeGenerator":
        self.replies.extend(replies)
        return self

    def generate(self, messages: list[dict[str, str]], max_tokens: int = 160) -> Generation:
        with self._lock:
            self.calls.append(messages)
            reply = self.replies.popleft() if self.replies else None
        if self.delay_s:
            threading.Event().wait(self.delay_s)
        if isinstance(reply, BaseException):
            raise reply
        if reply is None:
            reply = _judge_approval(messages) or _first_evidence(messages) + " [1]"
        return Generation(text=reply, prompt_tokens=100, completion_tokens=20, prefill_ms=1.0, decode_ms=2.0)


def _judge_approval(messages: list[dict[str, str]]) -> str | None:
    """"N yes" for every claim of a judge prompt (and "Q yes"); None for any other prompt."""
    from summarizer.answering.judge import JUDGE_OPENING

    prompt = messages[-1]["content"]
    if not prompt.startswith(JUDGE_OPENING):
        return None
    claims = re.findall(r"^Claim (\d+):", prompt, flags=re.M)
    return "\n".join([f"{n} yes" for n in claims] + (["Q yes"] if "\nAlso answer Q:" in prompt else []))


def _first_evidence(messages: list[dict[str, str]]) -> str:
    for line in messages[-1]["content"].splitlines():
        if line.startswith("[1] "):
            return line[4:]
    return "No evidence."


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder()
    model.load()
    return model


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory, embedder) -> Path:
    """The five seed articles, ingested once; tests get copies."""
    path = tmp_path_factory.mktemp("seed") / "seed.db"

    async def build() -> None:
        database = await Database.open(path)
        try:
            report = await ingest(Corpus(database), embedder, [CORPUS])
            assert not report.failed, report.failed
        finally:
            await database.close()

    asyncio.run(build())
    return path


@pytest.fixture
def db_copy(seed_db, tmp_path) -> Path:
    target = tmp_path / "briefbot.db"
    shutil.copy(seed_db, target)
    return target


@pytest.fixture
def fake_model() -> FakeGenerator:
    return FakeGenerator()


@pytest.fixture
async def engine(db_copy, tmp_path, embedder, fake_model):
    # Uploads land in the corpus folder, so tests get their own (the seed copy points at corpus/).
    # Feeds and pages in tests are served on 127.0.0.1, which users' bots refuse by default.
    config = EngineConfig(db_path=db_copy, corpus_dir=tmp_path / "corpus", model_cache=tmp_path / "models",
                          generation_timeout_s=5.0, allow_private_urls=True)
    opened = await Engine.open(config, generator=fake_model, embedder=embedder)
    yield opened
    await opened.close()
