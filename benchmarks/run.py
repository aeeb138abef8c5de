"""`briefbot bench [--quick] [--json] [--out DIR]`: every figure in one run, beside its baseline.

The parent plans the run, starts one child process per heavy figure (``benchmarks.probe``),
assembles their results into one JSON document, and writes ``<out>/benchmarks.json`` and
``<out>/benchmarks.md`` (``docs/`` for a full run, ``data/bench-quick/`` for a quick one). A
figure that fails is recorded with its error and the run goes on; the exit code is then 1 and
the report is written as ``benchmarks.failed.*``, so it never replaces a good one. Missed
targets are reported, never turned into failures."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from benchmarks import coldstart
from benchmarks.harness import generation_summary, generations_from_json
from benchmarks.machine import load_average, machine_info
from benchmarks.measures import ratio, run_child
from benchmarks.report import evaluate_targets, render_markdown, render_table
from benchmarks.synthetic import sample_questions, sentence_pool
from summarizer.answering.model_files import resolve_model
from summarizer.engine import DEFAULT_SUMMARY_WAIT_S

RUNTIME = "llama.cpp"  # the figures compare against raw llama_cpp.Llama
PROBE_TIMEOUT_S = 1800
# The answer figures time the model, not the bot's patience: no generation may time out there.
ANSWER_FIGURE_TIMEOUT_S = 600.0
# The figures of the table, in its order: the JSON's contract.
FIGURES = ("ingest_throughput", "retrieval", "cached_answer", "uncached_answer", "decode_tokens_per_s",
           "cold_start", "peak_rss", "event_loop_gap", "answers_under_load", "feeds")


@dataclass(frozen=True)
class Plan:
    quick: bool
    model: str
    ingest_passages: int
    ingest_repetitions: int
    retrieval_sizes: tuple[int, ...]
    retrieval_queries: int
    questions: int  # distinct questions for the answer figures
    uncached_passes: int
    cached_rounds: int
    transformers_prompts: int
    transformers_warm_up: bool  # replay the engine's warm-up prompt first (unmeasured)
    cold_starts: int
    event_loop_timeout_s: float | None  # None: the bot's generation timeout
    feed_articles: int = 48  # new items in the measured poll (one poll takes at most 50)
    feed_rounds: int = 5  # all-304 poll rounds, ours and raw alternated
    concurrent_asks: int = 20
    seed: int = 7


def make_plan(quick: bool, model: str) -> Plan:
    if quick:
        # CI smoke: every figure, small sizes, the tiny model, under two minutes. A short
        # generation timeout turns the asks still queued for the model into extractive answers
        # sooner; the loop is probed under 20 concurrent asks all the same.
        return Plan(quick=True, model="smollm2", ingest_passages=150, ingest_repetitions=1,
                    retrieval_sizes=(1000,), retrieval_queries=20, questions=3, uncached_passes=1,
                    cached_rounds=30, transformers_prompts=1, transformers_warm_up=False, cold_starts=1,
                    event_loop_timeout_s=5.0, feed_articles=8, feed_rounds=2)
    return Plan(quick=False, model=model, ingest_passages=2000, ingest_repetitions=2,
                retrieval_sizes=(1000, 10000, 100000), retrieval_queries=100, questions=6, uncached_passes=2,
                cached_rounds=50, transformers_prompts=2, transformers_warm_up=True, cold_starts=3,
                event_loop_timeout_s=None)


@dataclass(frozen=True)
class Inputs:
    """Where the run reads from; paths are absolute because children run in a scratch folder."""
    source_corpus: Path
    model_cache: Path
    generation_timeout_s: float


FULL_REPORT_DIR = Path("docs")  # the committed report: only a full run without errors replaces it
QUICK_REPORT_DIR = Path("data/bench-quick")
FAILED_STEM = "benchmarks.failed"


async def run_benchmarks(settings, *, quick: bool = False, as_json: bool = False, out_dir: Path | None = None) -> int:
    plan = make_plan(quick, settings.model)
    inputs = Inputs(settings.corpus.resolve(), settings.model_cache.resolve(), settings.generation_timeout)
    results = await asyncio.to_thread(run_all, plan, inputs, _progress(as_json))
    written = write_report(results, out_dir or (QUICK_REPORT_DIR if quick else FULL_REPORT_DIR))
    print(json.dumps(results, indent=2, ensure_ascii=False) if as_json else render_table(results))
    print(f"bench: report written to {written}", file=sys.stderr)
    return 1 if results["errors"] else 0


def write_report(results: dict, out_dir: Path) -> Path:
    """Write ``benchmarks.md`` and ``.json`` in ``out_dir``; a run with errors writes
    ``benchmarks.failed.*`` instead, so it never replaces a good report. The markdown path."""
    stem = FAILED_STEM if results["errors"] else "benchmarks"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown = out_dir / f"{stem}.md"
    markdown.write_text(render_markdown(results), encoding="utf-8")
    return markdown


def _progress(quiet: bool) -> Callable[[str], None]:
    def say(message: str) -> None:
        if not quiet:
            print(f"bench: {message}", file=sys.stderr, flush=True)
    return say


def run_all(plan: Plan, inputs: Inputs, say: Callable[[str], None]) -> dict:
    started_at = dt.datetime.now(dt.timezone.utc)
    clock = time.perf_counter()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as scratch:
        bench = Bench(plan, inputs, Path(scratch), say)
        figures = bench.run()
    results = {
        "mode": "quick" if plan.quick else "full",
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - clock, 1),
        "machine": machine_info() | {"load_average_before": load_before, "load_average_after": load_average()},
        "plan": asdict(plan),
        "figures": figures,
        "processes": bench.processes,
        "errors": bench.errors,
    }
    results["targets"] = [asdict(t) for t in evaluate_targets(results)]
    return results


class FigureError(Exception):
    pass


class Bench:
    def __init__(self, plan: Plan, inputs: Inputs, scratch: Path, say: Callable[[str], None]) -> None:
        self.plan = plan
        self.inputs = inputs
        self.scratch = scratch
        self.say = say
        self.processes: dict[str, dict] = {}
        self.errors: dict[str, str] = {}
        self.env = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                                 "TOKENIZERS_PARALLELISM": "false"}
        self.answer_db = scratch / "answers.db"
        pool = sentence_pool(inputs.source_corpus)
        # Distinct questions, each answerable from the corpus (see sample_questions).
        questions = iter(sample_questions(pool, plan.questions + plan.concurrent_asks + 2, plan.seed))
        self.warm_up_question = next(questions)
        self.cold_question = next(questions)
        self.questions = [next(questions) for _ in range(plan.questions)]
        self.concurrent_questions = [next(questions) for _ in range(plan.concurrent_asks)]
        # Assemble (or verify) the model file now, so no figure pays for it.
        self.model_path = resolve_model(plan.model, inputs.model_cache).path

    # -- running -------------------------------------------------------------------------

    def run(self) -> dict:
        figures: dict = {}
        figures["ingest_throughput"] = self.attempt("ingest_throughput", self.ingest_throughput)
        figures["retrieval"] = {str(n): self.attempt(f"retrieval_{n}", lambda n=n: self.retrieval(n))
                                for n in self.plan.retrieval_sizes}
        answers = self.attempt("answers", self.answers)
        figures["cached_answer"] = self.attempt("cached_answer", lambda: cached_figure(answers))
        figures["uncached_answer"] = self.attempt("uncached_answer", lambda: uncached_figure(answers))
        figures["decode_tokens_per_s"] = self.attempt("decode_tokens_per_s", lambda: self.decode_figure(answers))
        figures["event_loop_gap"] = self.attempt("event_loop_gap", self.event_loop)
        figures["answers_under_load"] = self.attempt("answers_under_load",
                                                     lambda: under_load_figure(figures["event_loop_gap"], self.plan.model))
        figures["cold_start"] = self.attempt("cold_start", self.cold_start)
        figures["feeds"] = self.attempt("feeds", self.feeds)
        figures["peak_rss"] = self.peak_rss(figures)
        return {name: figures[name] for name in FIGURES}

    def attempt(self, name: str, work: Callable[[], dict]) -> dict:
        self.say(f"{name} …")
        try:
            return work()
        except Exception as exc:  # one failing figure must not cost the others
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            self.say(f"{name} failed: {self.errors[name]}")
            return {"error": self.errors[name]}

    def probe(self, name: str, label: str, params: dict) -> dict:
        params_file = self.scratch / f"{label}.params.json"
        result_file = self.scratch / f"{label}.result.json"
        params_file.write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")
        run = run_child([sys.executable, "-m", "benchmarks.probe", name, str(params_file), str(result_file)],
                        env=self.env, cwd=self.scratch, timeout_s=PROBE_TIMEOUT_S)
        self.processes[label] = {"wall_s": round(run.wall_ms / 1000, 1), "peak_rss_mb": run.peak_rss_mb}
        if not run.ok:
            raise FigureError(f"{label} process failed ({run.failure()})")
        return json.loads(result_file.read_text(encoding="utf-8"))

    def _model_params(self) -> dict:
        return {"model": self.plan.model, "model_cache": str(self.inputs.model_cache), "runtime": RUNTIME,
                "generation_timeout_s": self.inputs.generation_timeout_s}

    # -- figures ---------------------------------------------------------------------------

    def ingest_throughput(self) -> dict:
        # The ingested store is kept: the answer figures ask their questions against it.
        return self.probe("ingest", "ingest", {
            "source_corpus": str(self.inputs.source_corpus), "corpus_dir": str(self.scratch / "corpus"),
            "db_path": str(self.answer_db), "passages": self.plan.ingest_passages,
            "repetitions": self.plan.ingest_repetitions, "seed": self.plan.seed,
        })

    def retrieval(self, passages: int) -> dict:
        return self.probe("retrieval", f"retrieval_{passages}", {
            "source_corpus": str(self.inputs.source_corpus), "db_path": str(self.scratch / "scale.db"),
            "passages": passages, "queries": self.plan.retrieval_queries, "seed": self.plan.seed,
        })

    def answers(self) -> dict:
        return self.probe("answers", "answers", self._model_params() | {
            "db_path": str(self.answer_db), "corpus_dir": str(self.scratch / "corpus"),
            "questions": self.questions, "warm_up_question": self.warm_up_question,
            "passes": self.plan.uncached_passes, "cached_rounds": self.plan.cached_rounds,
            "generation_timeout_s": ANSWER_FIGURE_TIMEOUT_S,
        })

    def replay(self, probe_name: str, answers: dict) -> list[dict]:
        """The engine's first prompts on another runtime: its warm-up prompt (unless the plan skips
        it), then the measured ones; returns the measured generations."""
        warm_up = 1 if self.plan.transformers_warm_up else 0
        calls = answers["calls"][1 - warm_up:1 + self.plan.transformers_prompts]
        result = self.probe(probe_name, probe_name, self._model_params() | {"calls": calls})
        return result["generations"][warm_up:]

    def decode_figure(self, answers: dict) -> dict:
        _require(answers, "the answers figure")
        llama = answers["decode_tokens_per_s"]
        ours_tf = _decode_speed(self.replay("ours_transformers", answers))
        raw_tf = _decode_speed(self.replay("raw_transformers", answers))
        return {
            "model": answers["model"].split("@")[0],
            "llama.cpp": {"ours": llama["ours"], "baseline": llama["baseline"],
                          "ratio": ratio(llama["ours"], llama["baseline"])},
            "transformers": {"ours": ours_tf, "baseline": raw_tf, "ratio": ratio(ours_tf, raw_tf),
                             "prompts": self.plan.transformers_prompts},
        }

    def event_loop(self) -> dict:
        timeout = self.plan.event_loop_timeout_s or self.inputs.generation_timeout_s
        return self.probe("event_loop", "event_loop", self._model_params() | {
            "db_path": str(self.answer_db), "corpus_dir": str(self.scratch / "corpus"),
            "questions": self.concurrent_questions, "warm_up_question": self.warm_up_question,
            "generation_timeout_s": timeout, "summary_wait_s": DEFAULT_SUMMARY_WAIT_S,
        })

    def feeds(self) -> dict:
        return self.probe("feeds", "feeds", {
            "source_corpus": str(self.inputs.source_corpus), "db_path": str(self.scratch / "feeds.db"),
            "corpus_dir": str(self.scratch / "feeds-corpus"), "articles": self.plan.feed_articles,
            "rounds": self.plan.feed_rounds, "seed": self.plan.seed,
        })

    def cold_start(self) -> dict:
        env = self.env | {
            "BRIEFBOT_DB": str(self.answer_db), "BRIEFBOT_CORPUS": str(self.scratch / "corpus"),
            "BRIEFBOT_MODEL": self.plan.model, "BRIEFBOT_MODEL_CACHE": str(self.inputs.model_cache),
            "BRIEFBOT_RUNTIME": RUNTIME, "BRIEFBOT_LOG_LEVEL": "WARNING",
        }
        return coldstart.measure(self.plan.cold_starts, self.cold_question, self.model_path, env, self.scratch)

    def peak_rss(self, figures: dict) -> dict:
        """Each figure's own peak; 'ours' only, read before any in-process baseline loaded."""
        readings = {"ingest": figures["ingest_throughput"].get("peak_rss_mb")}
        for size, figure in figures["retrieval"].items():
            readings[f"retrieval_{size}"] = figure.get("peak_rss_mb")
        readings["answers"] = figures["uncached_answer"].get("peak_rss_mb")
        for label in ("ours_transformers", "raw_transformers", "event_loop"):
            readings[label] = self.processes.get(label, {}).get("peak_rss_mb")
        readings["cold_start_ask"] = figures["cold_start"].get("peak_rss_mb")
        readings["cold_start_raw_load_and_generate"] = figures["cold_start"].get("baseline_peak_rss_mb")
        readings["feeds"] = figures["feeds"].get("peak_rss_mb")
        serving = [readings[k] for k in ("answers", "event_loop", "cold_start_ask") if readings[k] is not None]
        return {"model": self.plan.model, "by_figure_mb": readings,
                "serving_max_mb": max(serving) if serving else math.nan}


def cached_figure(answers: dict) -> dict:
    _require(answers, "the answers figure")
    cached = answers["cached"]
    return {
        "ours": cached["ours"], "baseline": cached["baseline"],
        "ratio_p50": ratio(cached["ours"]["p50_ms"], cached["baseline"]["p50_ms"]),
        "misses": cached["misses"], "parts": cached["parts"], "peak_rss_mb": answers["peak_rss_mb"],
    }


def uncached_figure(answers: dict) -> dict:
    _require(answers, "the answers figure")
    return answers["uncached"] | {
        "model": answers["model"], "prompt_tokens_mean": answers["prompt_tokens_mean"],
        "modes": answers["modes"], "peak_rss_mb": answers["peak_rss_mb"],
    }


def _decode_speed(generations: list[dict]) -> float:
    return generation_summary(generations_from_json(generations))["decode_tokens_per_s"]


def under_load_figure(event_loop: dict, model_setting: str) -> dict:
    """The two bursts of the event-loop probe: today's one reply when done, against draft then edit."""
    _require(event_loop, "the event-loop figure")
    ours, baseline = event_loop["ours"], event_loop["baseline"]
    return {
        "model": event_loop["model"], "model_setting": model_setting, "concurrent_asks": event_loop["concurrent_asks"],
        "ours": ours, "baseline": baseline,
        "ratio_first_reply_p95": ratio(ours["first_reply"]["p95_ms"], baseline["first_reply"]["p95_ms"]),
        "generation_timeout_s": event_loop["generation_timeout_s"], "summary_wait_s": event_loop["summary_wait_s"],
    }


def _require(result: dict, what: str) -> None:
    if "error" in result:
        raise FigureError(f"needs {what}, which failed")
