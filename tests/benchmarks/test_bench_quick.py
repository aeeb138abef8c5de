"""`briefbot bench --quick` as CI runs it: it finishes, and its JSON holds every figure with
numbers. Timings vary with the machine, so nothing here asserts how fast anything is."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from benchmarks.run import FIGURES
from tests.conftest import CORPUS, REPO

# Where each figure keeps its numbers; a figure's own failure would show up as an "error" key.
REQUIRED_NUMBERS: dict[str, list[tuple[str, ...]]] = {
    "ingest_throughput": [("ours_passages_per_s",), ("baseline_passages_per_s",), ("ratio",), ("peak_rss_mb",)],
    "cached_answer": [("ours", "p50_ms"), ("ours", "p95_ms"), ("baseline", "p50_ms"), ("baseline", "p95_ms"),
                      ("ratio_p50",), ("peak_rss_mb",)],
    "uncached_answer": [("ours", "total", "p50_ms"), ("ours", "total", "p95_ms"), ("ours", "retrieve", "p50_ms"),
                        ("ours", "prefill", "p50_ms"), ("ours", "decode", "p50_ms"),
                        ("baseline", "total", "p50_ms"), ("baseline", "total", "p95_ms"), ("ratio_p50",),
                        ("peak_rss_mb",)],
    "decode_tokens_per_s": [("llama.cpp", "ours"), ("llama.cpp", "baseline"), ("transformers", "ours"),
                            ("transformers", "baseline")],
    "cold_start": [("ours", "p50_ms"), ("baseline", "p50_ms"), ("ratio_p50",), ("peak_rss_mb",), ("prompt_tokens",),
                   ("breakdown_ms", "prefill"), ("breakdown_ms", "decode")],
    "peak_rss": [("serving_max_mb",)],
    "event_loop_gap": [("max_gap_ms",), ("p99_gap_ms",), ("wall_s",)],
    "answers_under_load": [("ours", "first_reply", "p50_ms"), ("ours", "first_reply", "p95_ms"),
                           ("baseline", "first_reply", "p50_ms"), ("baseline", "first_reply", "p95_ms"),
                           ("ours", "generated_share"), ("baseline", "generated_share"),
                           ("ratio_first_reply_p95",)],
}
RETRIEVAL_NUMBERS = [("ours", "p50_ms"), ("ours", "p95_ms"), ("baseline", "p50_ms"), ("baseline", "p95_ms"),
                     ("ratio_p95",), ("peak_rss_mb",)]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict, str]:
    out = tmp_path_factory.mktemp("bench")
    env = os.environ | {"BRIEFBOT_CORPUS": str(CORPUS), "BRIEFBOT_MODEL_CACHE": str(REPO / "data" / "models"),
                        "DISCORD_TOKEN": ""}
    # No --out, as a developer types it: a quick run must not touch the committed docs/ report.
    result = subprocess.run([sys.executable, "-m", "bot.cli", "bench", "--quick", "--json"],
                            capture_output=True, text=True, env=env, cwd=out, timeout=900,
                            stdin=subprocess.DEVNULL)
    report = out / "data" / "bench-quick"
    assert not (out / "docs").exists(), "a quick run wrote where the committed report lives"
    written = json.loads((report / "benchmarks.json").read_text(encoding="utf-8"))
    return result, written, (report / "benchmarks.md").read_text(encoding="utf-8")


def _number_at(figure: dict, path: tuple[str, ...]) -> float:
    value = figure
    for key in path:
        value = value[key]
    return value


def test_quick_bench_exits_cleanly_and_prints_what_it_wrote(quick_run):
    result, written, _ = quick_run
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == written
    assert written["mode"] == "quick" and not written["errors"]


def test_json_has_every_figure_with_numbers(quick_run):
    _, written, _ = quick_run
    figures = written["figures"]
    assert list(figures) == list(FIGURES)
    for name, paths in REQUIRED_NUMBERS.items():
        for path in paths:
            value = _number_at(figures[name], path)
            assert isinstance(value, (int, float)) and math.isfinite(value), (name, path, value)
    assert figures["retrieval"], "no retrieval size was measured"
    for size, figure in figures["retrieval"].items():
        for path in RETRIEVAL_NUMBERS:
            value = _number_at(figure, path)
            assert isinstance(value, (int, float)) and math.isfinite(value), (size, path, value)


def test_json_records_what_was_measured_and_where(quick_run):
    _, written, _ = quick_run
    assert written["plan"]["model"] == "smollm2"
    assert written["figures"]["uncached_answer"]["model"].startswith("smollm2")
    assert {"cpu", "cores", "ram_gib", "python", "libraries"} <= set(written["machine"])
    assert {t["figure"] for t in written["targets"]} >= {"ingest throughput", "cached answer p50",
                                                          "uncached answer vs raw runtime, same prompts",
                                                          "cold start p50 to a generated answer"}
    cold = next(t for t in written["targets"] if t["figure"] == "cold start p50 to a generated answer")
    assert cold["met"] is None, "the quick run's tiny model cannot judge the default model's cold start"


def test_markdown_has_the_table_targets_and_machine(quick_run):
    _, _, markdown = quick_run
    assert "| figure | ours | baseline in the same run |" in markdown
    assert "## Targets" in markdown and "## Machine" in markdown


def test_a_report_with_errors_never_replaces_a_good_one(quick_run, tmp_path):
    from benchmarks.run import write_report

    _, good, _ = quick_run
    kept = write_report(good, tmp_path)
    before = kept.read_text()
    written = write_report(good | {"errors": {"cold_start": "RuntimeError: boom"}}, tmp_path)
    assert kept.name == "benchmarks.md" and written.name == "benchmarks.failed.md"
    assert kept.read_text() == before, "a failed run replaced the good report"
    assert json.loads((tmp_path / "benchmarks.failed.json").read_text())["errors"] == {"cold_start": "RuntimeError: boom"}
