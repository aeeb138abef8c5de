"""What plain CPU buffers cost against llama.cpp's extra (repacked/AMX) buffers, on this machine.

`python -m benchmarks.buffer_types [MODEL]` loads the model both ways, each in a child process
(the extra buffers crash on CPUs that advertise AMX: that child's death is reported, not
fatal), and times prefill and decode on the same prompts, greedy, alternating runs.
The engine always uses plain buffers (see docs/architecture.md, "The answer model")."""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time
from pathlib import Path

PROMPT_WORDS = (150, 300)  # about 400 and 600 prompt tokens with the chat template
ANSWER_TOKENS = 60
ROUNDS = 3


def _prompt(words: int, round_: int) -> list[dict[str, str]]:
    # Each prompt differs in its first words, so no run reuses another's evaluated prompt prefix.
    body = " ".join(f"minister{(i * 7 + round_) % 97} met envoy{i % 13} on talks" for i in range(words // 6))
    return [{"role": "user", "content": f"Round {round_}, part {words}. Summarise in two sentences: {body}"}]


def _measure(model_path: str, extra_buffers: bool, queue: multiprocessing.Queue) -> None:
    import llama_cpp

    from summarizer.answering.generation import SEED, plain_cpu_buffers

    started = time.perf_counter()
    if extra_buffers:
        llm = llama_cpp.Llama(model_path=model_path, n_ctx=2048, seed=SEED, verbose=False)
    else:
        with plain_cpu_buffers(llama_cpp):
            llm = llama_cpp.Llama(model_path=model_path, n_ctx=2048, seed=SEED, verbose=False)
    load_s = time.perf_counter() - started
    rows = []
    for round_ in range(ROUNDS):
        for words in PROMPT_WORDS:
            messages = _prompt(words, round_)
            start = time.perf_counter()
            first = None
            chunks = 0
            for _ in llm.create_chat_completion(messages=messages, temperature=0.0, top_k=1,
                                                max_tokens=ANSWER_TOKENS, seed=SEED, stream=True):
                first = first or time.perf_counter()
                chunks += 1
            end = time.perf_counter()
            rows.append({"words": words, "prefill_s": first - start,
                         "decode_tok_s": max(chunks - 1, 1) / max(end - first, 1e-9)})
    queue.put({"load_s": load_s, "rows": rows})


def _run(model_path: str, extra_buffers: bool) -> dict:
    queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    child = multiprocessing.get_context("spawn").Process(target=_measure, args=(model_path, extra_buffers, queue))
    child.start()
    child.join()
    if child.exitcode != 0:
        return {"crashed": f"exit {child.exitcode}"}
    return queue.get()


def main(argv: list[str]) -> int:
    from summarizer.answering.model_files import resolve_model

    model = resolve_model(argv[0] if argv else "default", Path("data/models"))
    results = {"plain": _run(str(model.path), False), "extra": _run(str(model.path), True)}
    print(f"model {model.name}; {ROUNDS} rounds of {len(PROMPT_WORDS)} prompts, {ANSWER_TOKENS}-token answers")
    for name, result in results.items():
        if "crashed" in result:
            print(f"  {name:<6} buffers: crashed ({result['crashed']})")
            continue
        rows = result["rows"]
        prefill = ", ".join(f"{statistics.median(r['prefill_s'] for r in rows if r['words'] == w):.2f} s"
                            for w in PROMPT_WORDS)
        decode = statistics.median(r["decode_tok_s"] for r in rows)
        print(f"  {name:<6} buffers: load {result['load_s']:.2f} s, prefill {prefill} (median, "
              f"{' and '.join(map(str, PROMPT_WORDS))}-word prompts), decode {decode:.1f} tok/s (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
