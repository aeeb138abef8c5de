"""An OpenAI-compatible server as the answer model: llama.cpp's server, vLLM, Ollama, LM Studio.

`BRIEFBOT_MODEL=http://host:port/v1` puts the model on another machine (a GPU box serving
many bots) or in a server several bot processes share. It answers the same calls as the
local model process, so the rest of the bot does not know the difference; every failure
of the server (down, an HTTP error, slow, a malformed reply) is one ModelUnavailable line,
and the question is answered extractively. A server is never given up on: the next
question tries it again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

from summarizer.answering.generation import SEED, Generation
from summarizer.answering.model_process import ModelUnavailable

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 10.0
ERROR_BODY_CHARS = 200


def is_server_url(spec: str) -> bool:
    return spec.strip().lower().startswith(("http://", "https://"))


class ModelServer:
    def __init__(self, base_url: str, *, model: str | None = None, api_key: str | None = None) -> None:
        self._base = base_url.strip().rstrip("/")
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._session: aiohttp.ClientSession | None = None
        self._served: str | None = None
        self.load_error: str | None = None  # a server can come back: nothing here is permanent
        self.pid = None  # no process of ours

    @property
    def name(self) -> str | None:
        model = self._model or self._served
        return f"{model}@{urlsplit(self._base).netloc}" if model else None

    async def start(self) -> str:
        """Reach the server and learn the model it serves (when none is configured)."""
        listing = await self._call("GET", "/models", None, CONNECT_TIMEOUT_S)
        try:
            served = [m["id"] for m in listing["data"]]
        except (KeyError, TypeError):
            raise ModelUnavailable(f"the model server at {self._base} sent a malformed model list") from None
        if self._model and self._model not in served:
            log.warning("model server at %s does not list %r (it lists %s); asking for it anyway",
                        self._base, self._model, ", ".join(served) or "nothing")
        self._served = self._model or (served[0] if served else "model")
        log.info("answer model ready on server %s: %s", self._base, self.name)
        return self.name

    async def generate(self, messages: list[dict[str, str]], max_tokens: int, *, limit_s: float) -> Generation:
        if self._served is None:
            await self.start()
        body = {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "seed": SEED, "stream": False}
        if self._model:
            body["model"] = self._model
        started = time.perf_counter()
        reply = await self._call("POST", "/chat/completions", body, limit_s)
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            text = reply["choices"][0]["message"]["content"] or ""
            usage = reply.get("usage") or {}
            prompt_tokens, completion_tokens = int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise ModelUnavailable(f"the model server at {self._base} sent a reply without choices[0].message") from None
        # A server reports no prefill/decode split: the whole call counts as prefill.
        return Generation(text=text.strip(), prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                          prefill_ms=elapsed_ms, decode_ms=0.0)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, body: dict | None, limit_s: float) -> dict:
        # Imported on first use: every `briefbot ask` imports this module, few use a server.
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(headers=self._headers)
        url = self._base + path
        try:
            async with self._session.request(method, url, json=body,
                                             timeout=aiohttp.ClientTimeout(total=limit_s)) as response:
                if response.status != 200:
                    detail = " ".join((await response.text(errors="replace")).split())[:ERROR_BODY_CHARS]
                    raise ModelUnavailable(f"the model server answered HTTP {response.status} to {path}: {detail}")
                return await response.json(content_type=None)
        except asyncio.TimeoutError:
            raise ModelUnavailable(f"the model server at {self._base} gave no answer in {limit_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise ModelUnavailable(f"cannot reach the model server at {self._base}: {exc}") from None
        except ValueError:
            raise ModelUnavailable(f"the model server at {self._base} sent a reply that is not JSON") from None
