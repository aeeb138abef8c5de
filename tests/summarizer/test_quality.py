"""docs/quality.md as `briefbot quality` writes it: figures per slice, every miss with its cause."""

from __future__ import annotations

from summarizer.evaluation import EvalReport, EvalRow
from summarizer.quality import render_markdown, write_report


def _row(id_, mode, correct, reason, *, refuse=False, held_out=False, answer="An answer [1]."):
    return EvalRow(id=id_, question=f"question {id_}?", mode=mode, correct=correct, reason=reason, answer=answer,
                   cited=["a1"], total_ms=1000.0, should_refuse=refuse, held_out=held_out)


def test_the_report_shows_each_slice_and_explains_each_miss(tmp_path):
    report = EvalReport([
        _row("q1", "generated", True, "ok"),
        _row("q2", "partial", False, "partial, should answer",
             answer="The briefing corpus has nothing on that: nothing matches May 2021. The closest it has: “x” [1]"),
        _row("x1", "partial", True, "partial", refuse=True, held_out=True),
        _row("x2", "generated", False, "answered, should refuse", refuse=True),
    ])
    data = {"generated": "now", "model": "default", "sets": {"news-dev": report.to_dict()}, "probes": None}
    markdown = render_markdown(data)
    assert "| news-dev | all | 1/2 | 50% | 1/2 | 50% | 50% |" in markdown
    assert "| news-dev | held-out | 0/0 | n/a | 0/1 | 100% | 100% |" in markdown
    assert "no evidence met the question's constraints (May 2021)" in markdown
    assert "the cited evidence met every name, time and figure" in markdown
    assert "**news-dev q1**" not in markdown  # only misses are listed under Misses
    md, js = write_report(data, tmp_path)
    assert md.read_text(encoding="utf-8") == markdown and js.exists()
