"""The transformers runtime, for model folders and (dequantised) GGUF files."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from typing import Any

from summarizer.answering.generation.base import Generation
from summarizer.answering.model_files import ModelError, ModelFile


class TransformersGenerator:
    def __init__(self, model: ModelFile, n_threads: int) -> None:
        try:
            import torch
            import transformers
        except Exception as exc:
            raise ModelError(
                f"runtime 'transformers' is not installed (pip install transformers): {exc}"
            ) from None
        self.name = f"{model.name}@transformers"
        self._lock = threading.Lock()
        self._torch = torch
        torch.set_num_threads(n_threads)
        if model.kind == "gguf":
            # GGUF weights are dequantised to fp32 on load (needs the `gguf` package).
            source, extra = str(model.path.parent), {"gguf_file": model.path.name}
        else:
            source, extra = str(model.path), {}
        try:
            # Progress bars (GGUF dequantisation, weight loading) would flood the bot's log.
            with contextlib.redirect_stderr(io.StringIO()):
                self._tokenizer = transformers.AutoTokenizer.from_pretrained(
                    source, local_files_only=True, **extra
                )
                self._model = transformers.AutoModelForCausalLM.from_pretrained(
                    source, local_files_only=True, dtype=torch.float32, **extra
                )
        except Exception as exc:
            raise ModelError(
                f"could not load model {model.path} with transformers: {exc}"
            ) from None
        self._model.eval()
        if not self._tokenizer.chat_template:
            raise ModelError(f"model {model.path} has no chat template")
        self._eos = _eos_ids(
            self._model.generation_config.eos_token_id, self._tokenizer.eos_token_id
        )
        pad = self._tokenizer.pad_token_id
        self._pad_id = pad if pad is not None else min(self._eos, default=0)

    def generate(self, messages: list[dict[str, str]], max_tokens: int = 160) -> Generation:
        import transformers

        torch = self._torch
        with self._lock:
            prompt = self._tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            # The template already holds any BOS token; don't add a second one.
            inputs = self._tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
            n_prompt = inputs["input_ids"].shape[1]
            first_token = _FirstCall()
            start = time.perf_counter()
            with torch.inference_mode():
                output = self._model.generate(
                    **inputs,
                    max_new_tokens=max_tokens,
                    do_sample=False,
                    temperature=None,
                    top_p=None,
                    top_k=None,
                    eos_token_id=sorted(self._eos) or None,
                    pad_token_id=self._pad_id,
                    logits_processor=transformers.LogitsProcessorList([first_token]),
                )
            end = time.perf_counter()
        new = output[0, n_prompt:].tolist()
        while new and new[-1] in self._eos:  # the stop token is not part of the answer
            new.pop()
        first = first_token.at or end
        return Generation(
            text=self._tokenizer.decode(new, skip_special_tokens=True).strip(),
            prompt_tokens=n_prompt,
            completion_tokens=len(new),
            prefill_ms=(first - start) * 1000,
            decode_ms=(end - first) * 1000,
        )


class _FirstCall:
    """A no-op logits processor that records when the first logits arrive (end of prefill)."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.at is None:
            self.at = time.perf_counter()
        return scores


def _eos_ids(*values: int | list[int] | None) -> set[int]:
    ids: set[int] = set()
    for v in values:
        if isinstance(v, int):
            ids.add(v)
        elif v:
            ids.update(v)
    return ids
