"""The cold-start target is judged honestly from the figure: only the default model, only when
every run ended generated, and a miss says where the time went."""

from benchmarks.report import _cold_start_target


def figure(p50_ms: float, modes: dict[str, int], model_setting: str = "default") -> dict:
    return {
        "ours": {"p50_ms": p50_ms, "n": sum(modes.values())},
        "baseline": {"p50_ms": 6000.0},
        "modes": modes,
        "model": "qwen2.5-coder-1.5b-instruct-q4_k_m@llama.cpp",
        "model_setting": model_setting,
        "breakdown_ms": {"process_start_and_exit": 500.0, "prefill": 2100.0, "decode": 1200.0},
    }


def judged(f: dict):
    (target,) = _cold_start_target({"cold_start": f})
    assert target.figure == "cold start p50 to a generated answer" and target.goal == "< 5 s, answer generated"
    return target


def test_under_five_seconds_and_generated_is_met():
    target = judged(figure(4800.0, {"generated": 3}))
    assert target.met is True and target.note == "" and "4.80 s" in target.measured


def test_a_miss_names_where_the_time_went():
    target = judged(figure(5300.0, {"generated": 3}))
    assert target.met is False and "prefill 2.10 s" in target.note and "6.00 s" in target.note


def test_a_fast_answer_that_was_not_generated_is_a_miss():
    target = judged(figure(3000.0, {"generated": 2, "extractive": 1}))
    assert target.met is False and "Not every run ended generated" in target.note


def test_the_tiny_model_is_not_judged():
    assert judged(figure(2000.0, {"generated": 1}, model_setting="smollm2")).met is None
