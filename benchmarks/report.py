"""From the run's JSON to words: the summary table, the targets with the reason for each miss,
and the full ``benchmarks.md``. Nothing here measures anything."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from summarizer.retrieval.search import SEARCH_SCORED_MATCHES

GIB_MB = 1024.0
DEFAULT_MODEL = "default"


@dataclass(frozen=True)
class Target:
    figure: str
    goal: str
    measured: str
    met: bool | None  # None: not measured by this run (e.g. a quick run)
    note: str  # why it was missed and what would close it, or why it is not judged


# -- formatting ---------------------------------------------------------------------------

def _num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _ms(value: float | None) -> str:
    """Milliseconds, in seconds once they pass one."""
    if value is None or math.isnan(value):
        return "n/a"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value < 1:
        return f"{value:.3f} ms"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def _p50_p95(stats: dict) -> str:
    return f"{_ms(stats['p50_ms'])} / {_ms(stats['p95_ms'])}"


def _times(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}×"


def _modes(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {mode}" for mode, n in counts.items())


# -- the summary table --------------------------------------------------------------------

Row = tuple[str, str, str, str]


def summary_rows(results: dict) -> list[Row]:
    figures = results["figures"]
    rows = [_row("ingest throughput, passages/s", figures["ingest_throughput"], _ingest_cells)]
    rows += [_row(f"retrieval p50 / p95, {int(size):,} passages", figure, _retrieval_cells)
             for size, figure in figures["retrieval"].items()]
    rows.append(_row("cached answer p50 / p95", figures["cached_answer"], _cached_cells))
    uncached = figures["uncached_answer"]
    rows.append(_row(f"uncached answer p50 / p95{_model_of(uncached)}", uncached, _uncached_cells))
    decode = figures["decode_tokens_per_s"]
    rows += [_row(f"decode tokens/s, {runtime}{_model_of(decode)}", decode,
                  lambda f, runtime=runtime: _decode_cells(f, runtime)) for runtime in ("llama.cpp", "transformers")]
    rows.append(_row("cold start to a generated answer, p50", figures["cold_start"], _cold_start_cells))
    rows.append(_row(f"peak RSS, whole bot process ({figures['peak_rss']['model']} model)", figures["peak_rss"],
                     _rss_cells))
    rows.append(_row("event-loop max gap, 20 concurrent asks", figures["event_loop_gap"], _event_loop_cells))
    rows.append(_row("20 concurrent asks: first cited reply p50 / p95; share ending generated",
                     figures["answers_under_load"], _under_load_cells))
    feeds = figures.get("feeds", {"error": "not measured in this run"})
    rows.append(_row("feed poll, articles/min (fetch to searchable)", feeds, _poll_cells))
    rows.append(_row("poll of 50 feeds all answering 304", feeds, _quiet_poll_cells))
    return rows


def _model_of(figure: dict) -> str:
    return f" ({figure['model']})" if "model" in figure else ""


def _row(name: str, figure: dict, cells: Callable[[dict], tuple[str, str, str]]) -> Row:
    if "error" in figure:
        return name, f"failed: {figure['error']}", "", ""
    return (name, *cells(figure))


def _ingest_cells(f: dict) -> tuple[str, str, str]:
    return (f"{_num(f['ours_passages_per_s'])} (full ingest, {f['passages']:,} passages)",
            f"{_num(f['baseline_passages_per_s'])} (raw `SentenceTransformer.encode`, "
            f"same {f['sentences']:,} sentences)",
            f"{_times(f['ratio'])} throughput")


def _retrieval_cells(f: dict) -> tuple[str, str, str]:
    return (f"{_p50_p95(f['ours'])} (`briefbot search` path)",
            f"{_p50_p95(f['baseline'])} (query encoding + brute-force NumPy cosine)",
            f"{_times(f['ratio_p95'])} at p95")


def _cached_cells(f: dict) -> tuple[str, str, str]:
    return (f"{_p50_p95(f['ours'])} (whole ask path)", f"{_p50_p95(f['baseline'])} (bare SQLite primary-key lookup)",
            f"{_times(f['ratio_p50'])} at p50")


def _uncached_cells(f: dict) -> tuple[str, str, str]:
    ours, raw = f["ours"], f["baseline"]
    return (f"{_p50_p95(ours['total'])}; p50 split: retrieve {_ms(ours['retrieve']['p50_ms'])}, "
            f"prefill {_ms(ours['prefill']['p50_ms'])}, decode {_ms(ours['decode']['p50_ms'])}",
            f"{_p50_p95(raw['total'])} (raw `llama_cpp.Llama`, same prompts); prefill {_ms(raw['prefill']['p50_ms'])}, "
            f"decode {_ms(raw['decode']['p50_ms'])}",
            f"{_times(f['ratio_p50'])} at p50")


def _decode_cells(f: dict, runtime: str) -> tuple[str, str, str]:
    return (_num(f[runtime]["ours"]), f"{_num(f[runtime]['baseline'])} (raw {runtime} generate, same prompts)",
            _times(f[runtime]["ratio"]))


def _cold_start_cells(f: dict) -> tuple[str, str, str]:
    return (f"{_ms(f['ours']['p50_ms'])} (`briefbot ask --no-cache`, fresh process, {f['ours']['n']} runs)",
            f"{_ms(f['baseline']['p50_ms'])} (raw load+generate: import llama_cpp, load the model, "
            f"`create_chat_completion` on the same {f['prompt_tokens']}-token prompt)", f"{_times(f['ratio_p50'])}")


def _rss_cells(f: dict) -> tuple[str, str, str]:
    by = f["by_figure_mb"]
    baseline = f"raw load+generate alone: {_num(by.get('cold_start_raw_load_and_generate'), 0)} MiB"
    if by.get("ours_transformers") is not None:
        baseline += f"; ours on transformers (fp32): {_num(by['ours_transformers'], 0)} MiB"
    return f"{_num(f['serving_max_mb'], 0)} MiB", baseline, "—"


def _event_loop_cells(f: dict) -> tuple[str, str, str]:
    return f"{_ms(f['max_gap_ms'])} (p99 {_ms(f['p99_gap_ms'])}; {f['wall_s']} s for all asks)", "—", "—"


def _under_load_cells(f: dict) -> tuple[str, str, str]:
    def cell(burst: dict, how: str) -> str:
        first = burst["first_reply"]
        return (f"{_ms(first['p50_ms'])} / {_ms(first['p95_ms'])}; {burst['generated_share']:.0%} generated "
                f"({how})")
    return (cell(f["ours"], "quoted draft at once, edited into the answer"),
            cell(f["baseline"], "one reply when done, the path before drafts"),
            f"{_times(f['ratio_first_reply_p95'])} at p95")


def _poll_cells(f: dict) -> tuple[str, str, str]:
    poll = f["poll"]
    return (f"{_num(poll['articles_per_min'])} ({poll['articles']} new items: feed, pages over HTTP, extraction, "
            f"embedding, store, index; {_num(poll['wall_s'], 2)} s)",
            f"{_num(poll['raw_extract_articles_per_min'])} (raw `trafilatura.extract`, same pages in memory)",
            f"{_times(poll['ratio'])}")


def _quiet_poll_cells(f: dict) -> tuple[str, str, str]:
    quiet = f["all_304"]
    return (f"{_ms(quiet['ours_ms'])} (`Engine.poll_feeds`, {quiet['requests_per_round']} requests incl. robots.txt)",
            f"{_ms(quiet['baseline_ms'])} (raw httpx, the same {quiet['feeds']} conditional GETs, 2 per host)",
            f"{_times(quiet['ratio'])}")


def render_table(results: dict) -> str:
    lines = ["| figure | ours | baseline in the same run | ours ÷ baseline |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in summary_rows(results)]
    return "\n".join(lines)


# -- targets ------------------------------------------------------------------------------

def evaluate_targets(results: dict) -> list[Target]:
    figures = results["figures"]
    checks: list[Callable[[dict], list[Target]]] = [
        _ingest_target, _retrieval_targets, _cached_targets, _uncached_target, _cold_start_target, _rss_target,
        _under_load_targets, _feed_targets]
    targets = []
    for check in checks:
        try:
            targets += check(figures)
        except (KeyError, TypeError, ValueError) as exc:  # a failed figure: say so rather than guess
            targets.append(Target(check.__name__.strip("_").replace("_", " "), "", "not measured", None,
                                  f"the figure failed ({exc})"))
    return targets


def _ingest_target(figures: dict) -> list[Target]:
    f = figures["ingest_throughput"]
    met = f["ratio"] >= 0.9
    settings = f["encoder_settings"]
    # Split by CPU time, which other processes on the machine disturb less than wall time.
    settings_cpu = f["encoder_only_cpu_s"] - f["baseline_cpu_s"]
    rest_cpu = max(0.0, f["ours_cpu_s"] - f["encoder_only_cpu_s"])
    note = "" if met else (
        f"Ingest took {_num(f['ours_s'])} s where raw encoding of the same sentences took {_num(f['baseline_s'])} s. "
        f"In CPU time ingest used {_num(f['ours_cpu_s'])} s, our encoder wrapper alone (`Embedder.encode`: "
        f"length-sorted batches of {settings['batch_size']}) {_num(f['encoder_only_cpu_s'])} s and raw encoding "
        f"{_num(f['baseline_cpu_s'])} s: {_num(settings_cpu)} s of the gap is the wrapper and {_num(rest_cpu)} s "
        "the rest of ingest (parsing, SQLite and FTS5 writes, story linking). "
        + ("Runs of the same encoder on this machine vary by ±20 % under load; compare CPU times."
           if settings_cpu > rest_cpu else
           "Writing overlaps encoding already; story linking over the whole corpus is the next cost to cut."))
    return [Target("ingest throughput", "≥ 0.9× raw encode", _times(f["ratio"]), met, note)]


def _feed_targets(figures: dict) -> list[Target]:
    f = figures["feeds"]
    poll, quiet = f["poll"], f["all_304"]
    # A poll takes at most 50 new items: at this rate a full one is searchable within 100 s.
    poll_met = poll["articles_per_min"] >= 30
    quiet_met = quiet["ours_ms"] < 1000
    return [
        Target("feed poll throughput, fetch to searchable", "≥ 30 articles/min", f"{_num(poll['articles_per_min'])}/min",
               poll_met, "" if poll_met else "Extraction is a small part (see the raw figure); the rest is embedding "
               "and storing, as for files."),
        Target("poll of 50 feeds that all answer 304", "< 1 s", _ms(quiet["ours_ms"]), quiet_met,
               "" if quiet_met else f"{_times(quiet['ratio'])} the raw conditional GETs: the rest is one SQLite "
               "write per feed recording the poll."),
    ]


def _retrieval_targets(figures: dict) -> list[Target]:
    sizes = {int(k): v for k, v in figures["retrieval"].items() if "error" not in v}
    largest = max(sizes)
    f = sizes[largest]
    judged = largest >= 100_000
    where = "" if judged else f" (at {largest:,} passages, the largest measured; the full run reaches 100k)"
    parts = f["parts"]
    breakdown = (
        f"At p95: query encoding {_ms(parts['query_encoding']['p95_ms'])}, our ranking given the query vector "
        f"(cosine + FTS5 + fusion) {_ms(parts['hybrid_ranking_given_vector']['p95_ms'])}, of which NumPy cosine "
        f"+ top-k alone is {_ms(parts['numpy_cosine_top_k']['p95_ms'])}. ")
    p95 = f["ours"]["p95_ms"]
    latency_met = p95 < 50 if judged else None
    ratio_met = f["ratio_p95"] <= 2 if judged else None
    closing = ("The rest is the FTS5 half, whose cost grows with the number of query words and of passages that "
               "hold them all (the synthetic corpus repeats its sentences, so more do than in a real one). It "
               f"already runs while the question is encoded and scores at most the newest {SEARCH_SCORED_MATCHES:,} "
               "matches.")
    return [
        Target("retrieval p95 at 100k passages", "< 50 ms", _ms(p95) + where, latency_met,
               "" if latency_met in (True, None) else breakdown + closing),
        Target("retrieval p95 vs brute force at 100k", "≤ 2×", _times(f["ratio_p95"]) + where, ratio_met,
               "" if ratio_met in (True, None) else breakdown + closing),
    ]


def _cached_targets(figures: dict) -> list[Target]:
    f = figures["cached_answer"]
    parts = f["parts"]
    p50 = f["ours"]["p50_ms"]
    read = parts["store_cached_answer"]["p50_ms"]
    ratio_met = f["ratio_p50"] <= 10
    ratio_note = "" if ratio_met else (
        f"The bare lookup is one synchronous sqlite3 call ({_ms(f['baseline']['p50_ms'])}). A cache hit in the "
        f"engine makes one store read through aiosqlite, the lookup checking the corpus version in the same "
        f"query ({_ms(read)} p50, timed alone): a hand-off to aiosqlite's worker thread and back; the other "
        f"{_ms(max(0.0, p50 - read))} normalise the question, hash the key, decode the JSON answer and queue a "
        "statistics write.")
    return [
        Target("cached answer p50", "< 5 ms", _ms(p50), p50 < 5, "" if p50 < 5 else ratio_note),
        Target("cached answer vs bare SQLite lookup", "≤ 10×", _times(f["ratio_p50"]), ratio_met, ratio_note),
    ]


UNCACHED_RATIO_TARGET = 1.3  # issue #11: meaning checks may cost at most 30 % over answering without them


def _uncached_target(figures: dict) -> list[Target]:
    f = figures["uncached_answer"]
    met = f["ratio_p50"] <= UNCACHED_RATIO_TARGET
    ours, raw = f["ours"], f["baseline"]
    note = "" if met else (
        f"Ours p50 {_ms(ours['total']['p50_ms'])} against raw {_ms(raw['total']['p50_ms'])}: retrieval adds "
        f"{_ms(ours['retrieve']['p50_ms'])}; prefill {_ms(ours['prefill']['p50_ms'])} vs "
        f"{_ms(raw['prefill']['p50_ms'])}, decode {_ms(ours['decode']['p50_ms'])} vs {_ms(raw['decode']['p50_ms'])}.")
    # The raw runtime answers the same prompt without the meaning checks that may follow it (judge).
    return [Target("uncached answer vs raw runtime, same prompts", f"≤ {UNCACHED_RATIO_TARGET}×",
                   _times(f["ratio_p50"]), met, note)]


def _under_load_targets(figures: dict) -> list[Target]:
    f = figures["answers_under_load"]
    ours, baseline = f["ours"], f["baseline"]
    first_p95 = ours["first_reply"]["p95_ms"]
    first_met = first_p95 < 5000
    wait_s = f["summary_wait_s"]
    all_in_time = ours["final"]["max_ms"] < wait_s * 1000
    # Load must not cost an answer its summary; whether the verifier keeps what the model wrote is
    # a question of quality (docs/quality.md), so the share ending generated is shown, not judged.
    reached = (f"{'every' if all_in_time else 'not every'} model answer within the {wait_s:g} s summary wait "
               f"(the last after {_ms(ours['final']['max_ms'])}); {ours['generated_share']:.0%} ended generated, "
               f"the rest quoted because the verifier rejected the model's sentences (before drafts: "
               f"{baseline['generated_share']:.0%} generated)")
    return [
        Target("first cited reply p95, 20 concurrent asks", "< 5 s", _ms(first_p95), first_met,
               "" if first_met else "A draft is retrieval and evidence selection only (tens of milliseconds "
                                    "alone: the uncached split above), but the 20 drafts take turns on one event "
                                    "loop and one SQLite thread while the model process (at nice 10) generates on "
                                    "both cores, and evidence selection's constraint checks are Python on that "
                                    "loop (word forms are kept across questions; the rest is per question). The "
                                    "p95 of 20 is set by the slowest one or two drafts, which wait behind the "
                                    "loop's longest stall (the event-loop figure above): it varies from run to "
                                    "run."),
        Target("those asks' model answers, under load", "all within the summary wait", reached, all_in_time,
               "" if all_in_time else "Generations queued past the summary wait; a faster model, or a model "
                                      "server (BRIEFBOT_MODEL=http://…/v1), serves more within it."),
    ]


def _cold_start_target(figures: dict) -> list[Target]:
    f = figures["cold_start"]
    p50 = f["ours"]["p50_ms"]
    runs = f["ours"]["n"]
    all_generated = f["modes"].get("generated", 0) == runs
    measured = f"{_ms(p50)} ({_modes(f['modes'])} of {runs})"
    goal = "< 5 s, answer generated"
    if f["model_setting"] != DEFAULT_MODEL:
        return [Target("cold start p50 to a generated answer", goal, f"{measured} with {f['model']}", None,
                       "the quick run uses the tiny model; the full run measures the default model")]
    met = p50 < 5000 and all_generated
    steps = "; ".join(f"{name.replace('_', ' ')} {_ms(ms)}" for name, ms in f["breakdown_ms"].items())
    note = "" if met else (
        (f"Not every run ended generated ({_modes(f['modes'])}). " if not all_generated else "")
        + f"The last run: {steps}. The raw runtime alone took {_ms(f['baseline']['p50_ms'])} (p50) to load and "
        "generate the same answer from a full prefill. What is left above prefill and decode is the model "
        "process's start (interpreter, llama.cpp import, model load: its wait shows only where retrieval did "
        "not hide it) and this process's imports before it can start the model; starting the model before the "
        "engine's modules are imported would take about 0.2 s off.")
    return [Target("cold start p50 to a generated answer", goal, measured, met, note)]


def _rss_target(figures: dict) -> list[Target]:
    f = figures["peak_rss"]
    peak = f["serving_max_mb"]
    if f["model"] != DEFAULT_MODEL:
        return [Target("peak RSS with the default model", "< 3 GiB", f"{_num(peak, 0)} MiB with {f['model']}", None,
                       "the quick run uses the tiny model; the full run measures the default model")]
    met = peak < 3 * GIB_MB
    note = "" if met else ("The model's weights are memory-mapped and count fully once touched; the "
                           "embedding model, PyTorch and the passage matrix come on top.")
    return [Target("peak RSS with the default model", "< 3 GiB", f"{_num(peak, 0)} MiB", met, note)]


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not judged"}[met]


def render_targets(results: dict) -> str:
    lines = ["| target | goal | measured | verdict | why, and what would close it |", "|---|---|---|---|---|"]
    for t in results["targets"]:
        lines.append(f"| {t['figure']} | {t['goal']} | {t['measured']} | {_verdict(t['met'])} | {t['note'] or '—'} |")
    return "\n".join(lines)


# -- the document -------------------------------------------------------------------------

def render_markdown(results: dict) -> str:
    sections = [
        "# Benchmarks",
        f"Generated by `briefbot bench{' --quick' if results['mode'] == 'quick' else ''}` on "
        f"{results['started_at']} ({results['duration_s']} s). Every figure and its baseline were measured in the "
        "same run on the machine below; re-run `make bench` to reproduce.",
        "## Summary",
        render_table(results),
        "## Targets",
        render_targets(results),
        "## Machine",
        _machine_table(results["machine"]),
        "## Details",
        _details(results),
        "## Method",
        METHOD,
    ]
    if results["errors"]:
        sections += ["## Failures", "\n".join(f"- {name}: {error}" for name, error in results["errors"].items())]
    return "\n\n".join(sections) + "\n"


def _machine_table(machine: dict) -> str:
    libraries = ", ".join(f"{name} {version}" for name, version in machine["libraries"].items() if version)
    rows = [
        ("CPU", machine["cpu"]),
        ("cores", f"{machine['cores']} ({machine['cores_usable']} usable)"),
        ("RAM", f"{machine['ram_gib']} GiB"),
        ("OS", machine["os"]),
        ("Python", machine["python"]),
        ("SQLite", machine["sqlite"]),
        ("libraries", libraries),
        ("load average before / after (1, 5, 15 min)",
         f"{machine['load_average_before']} / {machine['load_average_after']}"),
    ]
    return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def _details(results: dict) -> str:
    figures = results["figures"]
    out = []
    retrieval = ["| passages | ours p50 / p95 | brute force p50 / p95 | query encoding p95 | NumPy cosine p95 "
                 "| our ranking given the vector, p95 | ask-path FTS5 OR-query p95 | store build |",
                 "|---|---|---|---|---|---|---|---|"]
    for size, f in figures["retrieval"].items():
        if "error" in f:
            continue
        parts = f["parts"]
        retrieval.append(f"| {int(size):,} | {_p50_p95(f['ours'])} | {_p50_p95(f['baseline'])} | "
                         f"{_ms(parts['query_encoding']['p95_ms'])} | {_ms(parts['numpy_cosine_top_k']['p95_ms'])} | "
                         f"{_ms(parts['hybrid_ranking_given_vector']['p95_ms'])} | "
                         f"{_ms(parts['ask_path_fts5_or_query']['p95_ms'])} | {f['store_build_s']} s |")
    out += ["### Retrieval by corpus size", "\n".join(retrieval)]
    uncached = figures["uncached_answer"]
    if "error" not in uncached:
        out += ["### Uncached answers", (
            f"With {uncached['model']}: asks by mode {_modes(uncached['modes'])}; the engine's prompts average "
            f"{uncached['prompt_tokens_mean']} tokens. Mean ratio to the raw runtime on the same prompts "
            f"{_times(uncached['ratio_mean'])}.")]
    event_loop = figures["event_loop_gap"]
    if "error" not in event_loop:
        out += ["### Event loop under 20 concurrent asks", (
            f"Max gap {_ms(event_loop['max_gap_ms'])}, p99 {_ms(event_loop['p99_gap_ms'])}, p50 "
            f"{_ms(event_loop['p50_gap_ms'])} over {event_loop['probe_samples']} probe wake-ups while 20 asks were "
            f"answered draft first; answers: {_modes(event_loop['modes'])}."
            + (" Discord's gateway heartbeat interval is about 41 s, so gaps of this size are harmless."
               if event_loop["max_gap_ms"] < 1000 else ""))]
    load = figures["answers_under_load"]
    if "error" not in load:
        ours, before = load["ours"], load["baseline"]
        out += ["### Answers under load", (
            f"The same {load['concurrent_asks']} uncached questions, asked at once, twice, against the model in its "
            f"own process ({load['model']}). Before drafts each asker saw one reply when its answer was done: "
            f"first reply p50 {_ms(before['first_reply']['p50_ms'])}, p95 {_ms(before['first_reply']['p95_ms'])}; "
            f"answers {_modes(before['modes'])} (asks still queued at the {load['generation_timeout_s']:g} s "
            f"generation timeout are answered extractively). Now the quoted draft is the first reply: p50 "
            f"{_ms(ours['first_reply']['p50_ms'])}, p95 {_ms(ours['first_reply']['p95_ms'])}; the model's answers "
            f"replace the drafts as it gets to them, the last after {_ms(ours['final']['max_ms'])} (summary wait "
            f"{load['summary_wait_s']:g} s); final answers {_modes(ours['modes'])}.")]
    cold = figures["cold_start"]
    if "error" not in cold:
        steps = "; ".join(f"{name.replace('_', ' ')} {_ms(ms)}" for name, ms in cold["breakdown_ms"].items())
        out += ["### Cold start", (
            f"The last fresh `briefbot ask` ({cold['mode']}; {cold['prompt_tokens']}-token prompt): {steps}. The model "
            "process starts first and loads while the question is embedded and retrieved, and restores the answer "
            "prompt's evaluated fixed part instead of prefilling it; decode is the model's own speed.")]
    rss = figures["peak_rss"]["by_figure_mb"]
    out += ["### Peak RSS by process", "| process | peak RSS (MiB) |\n|---|---|\n"
            + "\n".join(f"| {name} | {_num(mb, 0)} |" for name, mb in rss.items())]
    return "\n\n".join(out)


METHOD = """\
- **Synthetic corpus.** Generated by the benchmark from the sentences of the configured corpus
  (`corpus/`), recombined into new paragraphs and articles with fresh dates and fictional outlets,
  so scale runs need no download. Ingest throughput is a real, full `briefbot ingest` of such a
  corpus; its sentences are then encoded again with raw `SentenceTransformer.encode` (library
  defaults) as the baseline. Runs alternate ours / raw and the best of each counts.
- **Scale stores.** Embedding 100k passages on two cores would take most of an hour, so the
  retrieval stores are written through the store API (`Corpus.replace_article`) with vectors made
  from the real embeddings of the corpus sentences, each copy perturbed by Gaussian noise and
  renormalised (cosine ≈ 0.94 to the original); a passage vector is the normalised mean of its
  sentences, as in ingest. The synthetic corpus repeats a few hundred distinct sentences, so common
  words match more passages than in a real corpus of that size: the BM25 half is measured on the
  pessimistic side.
- **Retrieval.** Distinct queries (runs of words from corpus sentences), after warm-up queries.
  Ours is `Engine.search` (what `briefbot search` calls): query embedding, NumPy cosine over the
  in-memory matrix (split by rows across the cores), FTS5 BM25, rank fusion and the passages'
  text. The baseline encodes the query with raw sentence-transformers and takes a NumPy top-k
  over the same matrix, with NumPy's default BLAS threads (the engine runs BLAS single-threaded).
  They alternate query by query.
- **Answers.** The engine asks each question uncached (the first time on an empty cache, then
  with `use_cache=False`) and records the prompts it sends; right after each ask, raw
  `llama_cpp.Llama.create_chat_completion` (a second instance of the same model in the same
  process; greedy, same context size and threads) gets exactly that prompt, so the two alternate
  prompt by prompt. Cached answers repeat the questions, each on a settled store (the previous
  ask's background statistics write done, as between a user's questions), and alternate with a
  bare `SELECT` by primary key through Python's `sqlite3`.
- **Decode tokens/s** counts the tokens after the first over the time after the first token (the
  first token ends prefill), for ours and raw alike, on llama.cpp and on transformers (GGUF
  dequantised to fp32).
- **Cold start** is spawn-to-exit of `briefbot ask --json --no-cache` against spawn-to-exit of "raw
  load+generate": a process that imports llama_cpp, loads the same model (plain CPU buffers, same
  context and threads) and runs `create_chat_completion` greedily on exactly the prompt our ask
  sends (recorded first by asking the engine with a model that only records), with the same token
  limit. The two alternate. The model file is in the page cache, and so is the answer prompt's
  evaluated fixed part that the model process saved when it first started: a restart, not the
  first start after installing (which prefills that part once, about 1.5 s more).
- **Peak RSS** is each process's own `ru_maxrss` (`os.wait4`), or read inside the process before an
  in-process baseline was loaded (for the answers, after the engine's warm-up answer). Every heavy
  figure runs in its own process; "whole bot process" is the largest of the answers, event-loop
  and cold-start processes.
- **Answers under load.** The same 20 uncached questions are asked at once twice, against the model
  in its own process as the bot runs it: first as before drafts (the reply is the finished answer;
  asks still queued at the generation timeout become extractive), then draft first (the reply is
  the quoted draft; the model's answer replaces it within the summary wait). "First cited reply"
  is the time from the burst's start to each asker's first reply.
- **Event loop.** During the draft-first burst a task sleeps 10 ms at a time and records how late
  it wakes.
- **Feeds.** A real HTTP server on 127.0.0.1 (`benchmarks/news_site.py`) publishes synthetic
  articles as web pages (navigation, cookie notice, footer, OpenGraph and canonical metadata
  around the text) listed in an RSS feed. Poll throughput is one `Engine.poll_feeds` of a feed
  with that many new items, from the conditional GET to the last article searchable, beside raw
  `trafilatura.extract(with_metadata=True)` on the same pages already in memory. The all-304
  figure follows 50 feeds whose validators are known, then times full poll rounds in which every
  feed answers 304, alternated with raw httpx sending the same 50 conditional GETs two at a time.
- **Shared machine.** Other work on the machine slows both sides of a comparison; the load average
  is recorded above. Ratios are more stable than absolute times."""
