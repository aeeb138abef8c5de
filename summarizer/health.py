"""Self-checks behind `briefbot doctor`: can this machine answer a question?

Each check does the real thing once (open the database, embed a sentence, start the model
process and generate a few tokens) and reports one line: what works, or what failed and
the one thing to do about it. Nothing here raises: a failed check is a result.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from store import Corpus, Database, StoreError
from summarizer.ingest.embeddings import Embedder
from summarizer.answering.model_process import ModelProcess, ModelUnavailable, fix_for_exit
from summarizer.answering.model_server import is_server_url
from summarizer.answering.model_slot import open_backend
from summarizer.engine import EngineConfig

PROBE_MESSAGES = [{"role": "user", "content": "In one word: what colour is the sky on a clear day?"}]
PROBE_TOKENS = 8
# Question and ingest vectors of one sentence; they agree to float32 rounding (about 1 - 1e-7).
ENCODERS_AGREE = 0.9999


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, or what went wrong
    fix: str = ""  # one sentence, for a failure
    required: bool = True  # False: informative only, never fails the doctor


async def check_database(path: Path) -> Check:
    if not path.exists():
        return Check("database", False, f"{path} does not exist", "run `briefbot ingest` (or `make run`)")
    try:
        database = await Database.open(path, read_only=True)
    except StoreError as exc:
        return Check("database", False, str(exc), "run `briefbot ingest` to build it again")
    try:
        corpus = Corpus(database)
        articles = len(await corpus.articles())
        passages = await corpus.passage_count()
    finally:
        await database.close()
    if not articles:
        return Check("database", False, f"{path} holds no articles", "run `briefbot ingest` on a corpus folder")
    return Check("database", True, f"{path}: {articles} articles, {passages} passages")


async def check_embedder(embedder: Embedder | None = None) -> Check:
    """Both encoders: questions' (NumPy, see query_encoder) and ingest's (sentence-transformers),
    which must give the same vector, or questions would be matched against another space."""
    embedder = embedder or Embedder()
    probe = "A probe sentence about foreign ministers."
    reinstall = "reinstall the environment with `make install`"
    started = time.perf_counter()
    try:
        question = await asyncio.to_thread(embedder.encode_query, probe)
        questions_s = time.perf_counter() - started
        vectors = await asyncio.to_thread(embedder.encode, [probe])
    except Exception as exc:  # noqa: BLE001 - any failure is a finding
        return Check("embedder", False, f"{type(exc).__name__}: {exc}", reinstall)
    agreement = float(question @ vectors[0])
    if agreement < ENCODERS_AGREE:
        return Check("embedder", False, f"questions and ingest embed the same sentence differently "
                                        f"(cosine {agreement:.5f})", reinstall)
    return Check("embedder", True, f"{embedder.name}, {vectors.shape[1]} dimensions; questions ready in "
                                   f"{questions_s:.1f} s, ingest's encoder loaded in "
                                   f"{time.perf_counter() - started - questions_s:.1f} s")


async def check_answer_model(config: EngineConfig) -> Check:
    """Start the configured model as the bot does (its own process, or its server) and generate a few tokens."""
    model = open_backend(config.model, config.runtime, config.model_cache, server_model=config.server_model,
                         api_key=config.server_api_key)
    timeout_s = config.generation_timeout_s
    started = time.perf_counter()
    try:
        await asyncio.wait_for(model.start(), max(timeout_s, 300.0))  # the first start may join 1 GB of parts
        generation = await model.generate(PROBE_MESSAGES, PROBE_TOKENS, limit_s=timeout_s)
    except (ModelUnavailable, asyncio.TimeoutError) as exc:
        if model.load_error:
            return Check("answer model", False, model.load_error, _load_fix(model.load_error))
        if isinstance(model, ModelProcess) and model.last_exit_code is not None:
            return Check("answer model", False, f"the model process crashed: {model.last_crash}",
                         fix_for_exit(model.last_exit_code))
        if is_server_url(config.model):
            return Check("answer model", False, str(exc), "start the model server, or correct BRIEFBOT_MODEL")
        return Check("answer model", False, str(exc) or "did not start in time",
                     "the machine may be overloaded; raise BRIEFBOT_GENERATION_TIMEOUT or use BRIEFBOT_MODEL=smollm2")
    finally:
        await model.close()
    said = " ".join(generation.text.split())[:40]
    tokens = generation.completion_tokens
    where = "on its server" if is_server_url(config.model) else "in its own process"
    return Check("answer model", True, f"{model.name} {where} generated {tokens} "
                                       f"token{'s' * (tokens != 1)} (\u201c{said}\u201d) "
                                       f"in {time.perf_counter() - started:.1f} s")


def check_discord_token(token_set: bool) -> Check:
    if token_set:
        return Check("discord token", True, "set", required=False)
    return Check("discord token", False, "not set: `briefbot run` opens the local console instead",
                 "put DISCORD_TOKEN=… in .env to connect to Discord", required=False)


def _load_fix(error: str) -> str:
    if "make install" in error:
        return "run `make install`"
    if "not found" in error:
        return "set BRIEFBOT_MODEL in .env, or remove it to use the default model"
    return "try BRIEFBOT_RUNTIME=transformers, or another model with BRIEFBOT_MODEL"
