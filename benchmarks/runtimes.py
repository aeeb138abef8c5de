"""The answer model on each runtime, ours against the raw library, on the prompts the engine sent.

The raw calls are what a script would write: ``Llama.create_chat_completion`` streamed
(the first chunk marks the end of prefill), and ``AutoModelForCausalLM.generate`` with a
streamer (its second ``put`` is the first new token). Both decode greedily with the same
context size and thread count as ours, so only the wrapping differs.

Raw llama.cpp runs beside the engine in the answers probe (see ``answers``). The
transformers probes load the fp32 model in a process each (two copies would need twice
its ~7 GiB), replay the engine's prompts in the order it sent them and return one
Generation per prompt; the first prompt is the engine's warm-up and is not counted."""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.harness import generations_to_json
from benchmarks.measures import peak_rss_mb
from summarizer.answering.generation import SEED, Generation, cpu_count, load_generator, plain_cpu_buffers
from summarizer.answering.model_files import ModelFile, resolve_model

CONTEXT_TOKENS = 2048  # load_generator's default, which the engine uses


def engine_threads() -> int:
    """The thread count load_generator gives the engine's model: the raw runs use the same."""
    return cpu_count()


class RawLlamaCpp:
    """``llama_cpp.Llama`` as a script would drive it: ``create_chat_completion``, streamed so the
    first chunk marks the end of prefill; greedy, with the engine's context size, threads and
    plain CPU buffers (the extra ones crash on AMX machines), so only the wrapping differs."""

    def __init__(self, model_path: Path) -> None:
        import llama_cpp

        threads = engine_threads()
        with plain_cpu_buffers(llama_cpp):
            self._llm = llama_cpp.Llama(model_path=str(model_path), n_ctx=CONTEXT_TOKENS, n_threads=threads,
                                        n_threads_batch=threads, seed=SEED, verbose=False)

    def generate(self, messages: list[dict], max_tokens: int) -> Generation:
        start = time.perf_counter()
        first = None
        pieces = []
        for chunk in self._llm.create_chat_completion(messages=messages, temperature=0.0, top_k=1,
                                                      max_tokens=max_tokens, seed=SEED, stream=True):
            first = first or time.perf_counter()
            pieces.append(chunk["choices"][0]["delta"].get("content") or "")
        end = time.perf_counter()
        first = first or end
        text = "".join(pieces)
        # A stream carries no token counts. Re-tokenising the greedy output gives the completion's;
        # the prompt is the engine's, whose size the answers probe reports, so it is not recounted.
        completion = len(self._llm.tokenize(text.encode(), add_bos=False, special=True)) if text else 0
        return Generation(text=text.strip(), prompt_tokens=0, completion_tokens=completion,
                          prefill_ms=(first - start) * 1000, decode_ms=(end - first) * 1000)


def ours_transformers(params: dict) -> dict:
    generator = load_generator(_model(params), "transformers")
    generations = [generator.generate(c["messages"], c["max_tokens"]) for c in params["calls"]]
    return {"runtime": "transformers", "name": generator.name, "generations": generations_to_json(generations),
            "peak_rss_mb": peak_rss_mb()}


def raw_transformers(params: dict) -> dict:
    import torch
    import transformers

    model_file = _model(params)
    source, extra = _transformers_source(model_file)
    tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True, **extra)
    model = transformers.AutoModelForCausalLM.from_pretrained(source, local_files_only=True, dtype=torch.float32,
                                                              **extra)
    model.eval()
    generations = [_transformers_generate(model, tokenizer, c["messages"], c["max_tokens"]) for c in params["calls"]]
    return {"runtime": "transformers", "generations": generations_to_json(generations), "peak_rss_mb": peak_rss_mb()}


def _transformers_generate(model, tokenizer, messages: list[dict], max_tokens: int) -> Generation:
    import torch

    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    prompt_tokens = inputs["input_ids"].shape[1]
    streamer = _FirstTokenStreamer()
    start = time.perf_counter()
    with torch.inference_mode():
        output = model.generate(**inputs, max_new_tokens=max_tokens, do_sample=False, streamer=streamer)
    end = time.perf_counter()
    new = output[0, prompt_tokens:].tolist()
    eos = model.generation_config.eos_token_id
    eos_ids = set(eos) if isinstance(eos, list) else {eos}
    completion = len(new) - (1 if new and new[-1] in eos_ids else 0)  # the stop token is no output
    first = streamer.first_token_at or end
    return Generation(text=tokenizer.decode(new, skip_special_tokens=True).strip(), prompt_tokens=prompt_tokens,
                      completion_tokens=completion, prefill_ms=(first - start) * 1000,
                      decode_ms=(end - first) * 1000)


class _FirstTokenStreamer:
    """``generate`` calls ``put`` with the prompt, then with each new token: the second call ends prefill."""

    def __init__(self) -> None:
        self.calls = 0
        self.first_token_at: float | None = None

    def put(self, value) -> None:
        self.calls += 1
        if self.calls == 2:
            self.first_token_at = time.perf_counter()

    def end(self) -> None:
        pass


def _model(params: dict) -> ModelFile:
    return resolve_model(params["model"], Path(params["model_cache"]))


def _transformers_source(model: ModelFile) -> tuple[str, dict]:
    if model.kind == "gguf":
        return str(model.path.parent), {"gguf_file": model.path.name}
    return str(model.path), {}
