"""Running the real `briefbot` as a subprocess against the double, and what tests assert with.

The bot runs exactly as a user runs it: the installed `briefbot` console script, settings
from the environment, a working directory of its own (so no developer `.env` leaks in);
the only difference is ``BRIEFBOT_DISCORD_API_BASE`` pointing at the double."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bot.render.labels import DRAFT_NOTE
from tests.e2e.discord_double import DiscordDouble, Posted

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BRIEFBOT = BIN / "briefbot"
# A token in Discord's format (base64 user id . timestamp . HMAC); fake, and searched for everywhere.
TOKEN = "MTU3NDQ2MTE1Nzc0NDQ0MzM5Mg.GE2eTk.e2e-Fake-Token-7f3a9c1d5b8e2f4a6c0d"
WARMED_UP_LOG = "engine warmed up"
BIDI_AND_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class BotFiles:
    """One bot's private copy of the seed store and corpus, and its working directory."""
    home: Path
    db: Path
    corpus: Path

    @classmethod
    def copy_of(cls, seed_db: Path, seed_corpus: Path, home: Path) -> "BotFiles":
        home.mkdir(parents=True, exist_ok=True)
        files = cls(home, home / "data" / "briefbot.db", home / "corpus")
        files.db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(seed_db, files.db)
        shutil.copytree(seed_corpus, files.corpus)
        return files


def bot_env(double: DiscordDouble, files: BotFiles, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "DISCORD_"))}
    env.update(
        DISCORD_TOKEN=double.token, BRIEFBOT_DISCORD_API_BASE=double.api_base, BRIEFBOT_DB=str(files.db),
        BRIEFBOT_CORPUS=str(files.corpus), BRIEFBOT_MODEL_CACHE=str(files.home / "models"),
        # The 135M test model: the plumbing is under test, not the prose. A busy machine can slow
        # llama.cpp a lot; past the timeout the bot answers extractively, which is still an answer.
        BRIEFBOT_MODEL="smollm2", BRIEFBOT_GENERATION_TIMEOUT="10",
        BRIEFBOT_ASK_COOLDOWN="0", BRIEFBOT_LOG_LEVEL="INFO",
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class BotProcess:
    """`briefbot run` (or another command) in a subprocess, its output captured to files."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.cwd = cwd
        self.stdout_path = cwd / f"{name}.stdout"
        self.stderr_path = cwd / f"{name}.stderr"
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        self.stopped_at = 0.0

    async def start(self) -> "BotProcess":
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.proc = await asyncio.create_subprocess_exec(*self.argv, env=self.env, cwd=self.cwd, stdout=out,
                                                             stderr=err, stdin=asyncio.subprocess.DEVNULL)
        self.started_at = time.monotonic()
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def log(self) -> str:
        """Everything the process wrote, stdout then stderr."""
        return "\n".join(p.read_text(errors="replace") for p in (self.stdout_path, self.stderr_path) if p.exists())

    async def wait_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if not self.running:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}) before logging {text!r}:\n"
                                     f"{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not log {text!r} within {timeout:.0f}s:\n{self.tail()}")
            await asyncio.sleep(0.05)

    async def wait_connected(self, double: DiscordDouble, timeout: float) -> None:
        """Until the bot is on the double's gateway; fails at once, with its output, if it exits."""
        await double.wait_for(lambda: not self.running or double.connected(), timeout, f"{self.name} to connect")
        if not self.running:
            raise AssertionError(f"{self.name} exited ({self.proc.returncode}) before connecting:\n{self.tail()}")

    async def wait(self, timeout: float) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self, sig: int = signal.SIGINT, timeout: float = 20.0) -> int | None:
        """Ctrl-C (SIGINT) by default, as a user stops it; SIGKILL after ``timeout``."""
        if not self.running:
            return self.proc.returncode if self.proc else None
        self.stopped_at = time.monotonic()
        self.proc.send_signal(sig)
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            self.proc.kill()
            return await self.proc.wait()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.splitlines()[-lines:])


async def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120.0) -> tuple[int, str, str]:
    """One `briefbot` command to completion: (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(str(BRIEFBOT), *args, env=env, cwd=cwd,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def read_probe(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


# -- assertions on what the double received ------------------------------------------------------

def assert_no_pings(double: DiscordDouble) -> None:
    """Nothing the bot posted would notify anyone, by Discord's allowed_mentions rules."""
    noisy = [(m.kind, m.pings, m.text[:80]) for m in double.posted if m.pings]
    assert not noisy, f"messages that would ping: {noisy}"
    missing = [m.kind for m in double.posted if m.kind != "edit" and "allowed_mentions" not in m.body
               and m.body.get("content")]
    assert not missing, f"messages with text but no allowed_mentions: {missing}"
    for m in double.posted:
        if "allowed_mentions" in m.body:
            assert m.body["allowed_mentions"].get("parse") == [], m.body["allowed_mentions"]


def assert_token_never_sent(double: DiscordDouble, bots: list[BotProcess], token: str) -> None:
    """The token appears only in the Authorization header and IDENTIFY/RESUME (both redacted
    when recorded): never in a path, query, other header, body, gateway payload or log."""
    for r in double.requests:
        where = " ".join([r.path, json.dumps(r.query), json.dumps(r.headers), r.raw])
        assert token not in where, f"token sent in {r.method} {r.path}"
    assert not [f for f in double.frames if token in json.dumps(f.d, ensure_ascii=False)], "token in a gateway frame"
    assert not [m for m in double.posted if token in json.dumps(m.message, ensure_ascii=False)], "token posted"
    for bot in bots:
        assert token not in bot.log, f"token in the output of {bot.name}"
        for secret_part in token.split(".")[1:]:
            assert secret_part not in bot.log, f"part of the token in the output of {bot.name}"


def assert_no_rejections(double: DiscordDouble, allowed: set[int] = frozenset({429})) -> None:
    """Discord's API accepted every request, apart from faults the test injected (the CDN,
    where tests remove files on purpose, is not the API)."""
    injected = {id(r) for r in double.rest.faults_served}
    rejected = [(r.method, r.path, r.status, r.response) for r in double.requests
                if r.status and r.status >= 400 and id(r) not in injected and r.status not in allowed
                and not r.route.startswith("/attachments/")]
    assert not rejected, f"Discord would have rejected: {rejected}"


def answer_embed(posted: Posted) -> dict | None:
    embeds = posted.message.get("embeds") or []
    return embeds[0] if embeds else None


def footer_of(message: dict) -> str:
    embeds = message.get("embeds") or []
    return (embeds[0].get("footer") or {}).get("text", "") if embeds else ""


def settled(double: DiscordDouble, posted: Posted) -> dict | None:
    """The posted message as it reads now, once it is no longer a draft awaiting the model's summary."""
    message = double.messages[posted.message["id"]]
    return None if DRAFT_NOTE in footer_of(message) else message


def citations_of(posted: Posted) -> list[str]:
    """The "[n] Outlet — Title" field names of an answer embed."""
    return [f["name"] for e in posted.message.get("embeds") or [] for f in e.get("fields") or []
            if re.match(r"\[\d+\]", f.get("name", ""))]
