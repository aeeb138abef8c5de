"""`briefbot eval`: the project's quality gate on a JSONL file of questions.

In scope, an answer is correct when it is not a refusal, contains one of the expected
strings and cites an expected article (by file-name prefix or title). Out of scope, only
a refusal is correct. An answered out-of-scope question fails the gate outright: a wrong
briefing is worse than none."""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from summarizer.results import Answer
from summarizer.text import fold

MIN_CORRECT_SHARE = 12 / 13
# "partial" offers related material as not the answer: declining on an out-of-scope question,
# a miss on an in-scope one.
DECLINING = ("refused", "partial")


class EvalFileError(ValueError):
    pass


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    expected: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # file-name prefixes
    titles: tuple[str, ...] = ()
    refuse: bool = False


@dataclass(frozen=True)
class EvalRow:
    id: str
    question: str
    mode: str
    correct: bool
    reason: str
    answer: str
    cited: list[str]
    total_ms: float
    should_refuse: bool = False
    held_out: bool = False


def held_out(question_id: str) -> bool:
    """A fixed quarter of the dev questions, by a hash of their id: thresholds are not tuned on
    them, so their figures show what tuning on the rest does to questions it has not seen."""
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 4 == 0


def slice_figures(rows: list[EvalRow]) -> dict:
    """Answer accuracy on in-scope questions and precision/recall of declining (refused or
    partial) against the out-of-scope ones."""
    in_scope = [r for r in rows if not r.should_refuse]
    out_of_scope = [r for r in rows if r.should_refuse]
    declined = [r for r in rows if r.mode in DECLINING]
    declined_right = sum(1 for r in declined if r.should_refuse)
    return {
        "questions": len(rows),
        "in_scope": len(in_scope), "in_scope_correct": sum(r.correct for r in in_scope),
        "answer_accuracy": _share(sum(r.correct for r in in_scope), len(in_scope)),
        "out_of_scope": len(out_of_scope), "out_of_scope_answered": sum(not r.correct for r in out_of_scope),
        "refusal_precision": _share(declined_right, len(declined)),
        "refusal_recall": _share(declined_right, len(out_of_scope)),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class EvalReport:
    rows: list[EvalRow] = field(default_factory=list)

    @property
    def correct(self) -> int:
        return sum(r.correct for r in self.rows)

    @property
    def out_of_scope_answered(self) -> int:
        return sum(1 for r in self.rows if r.reason == "answered, should refuse")

    @property
    def passed(self) -> bool:
        return (bool(self.rows) and self.out_of_scope_answered == 0
                and self.correct >= MIN_CORRECT_SHARE * len(self.rows) - 1e-9)

    def to_dict(self) -> dict:
        times = [r.total_ms for r in self.rows]
        return {
            "total": len(self.rows), "correct": self.correct,
            "out_of_scope_answered": self.out_of_scope_answered, "passed": self.passed,
            "median_ms": statistics.median(times) if times else None,
            "all": slice_figures(self.rows),
            "calibration": slice_figures([r for r in self.rows if not r.held_out]),
            "held_out": slice_figures([r for r in self.rows if r.held_out]),
            "rows": [asdict(r) for r in self.rows],
        }


def load_questions(path: Path) -> list[EvalQuestion]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot read ({exc})") from None
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            questions.append(EvalQuestion(
                id=str(item["id"]), question=item["q"], expected=tuple(item.get("any", ())),
                sources=tuple(item.get("src", ())), titles=tuple(item.get("src_title", ())),
                refuse=bool(item.get("refuse", False)),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path}:{number}: not an eval question ({exc})") from None
    if not questions:
        raise EvalFileError(f"{path}: no questions")
    return questions


async def run_eval(engine, questions: list[EvalQuestion], *, use_cache: bool = True) -> EvalReport:
    report = EvalReport()
    for q in questions:
        answer = await engine.ask(q.question, use_cache=use_cache)
        correct, reason = judge(q, answer)
        report.rows.append(EvalRow(
            id=q.id, question=q.question, mode=answer.mode, correct=correct, reason=reason,
            answer=answer.answer, cited=[c.article_id for c in answer.citations],
            total_ms=answer.timings_ms.get("total", 0.0), should_refuse=q.refuse, held_out=held_out(q.id),
        ))
    return report


def judge(q: EvalQuestion, answer: Answer) -> tuple[bool, str]:
    if q.refuse:
        return (True, answer.mode) if answer.mode in DECLINING else (False, "answered, should refuse")
    if answer.mode in DECLINING:
        return False, f"{answer.mode}, should answer"
    text = fold(answer.answer)
    if not any(fold(e) in text for e in q.expected):
        return False, "expected words missing"
    if not any(_expected_source(q, c.article_id, c.title) for c in answer.citations):
        return False, "no citation from an expected article"
    return True, "ok"


def _expected_source(q: EvalQuestion, article_id: str, title: str) -> bool:
    return (any(article_id.startswith(prefix) for prefix in q.sources)
            or any(fold(t) == fold(title) for t in q.titles))



def format_report(report: EvalReport) -> str:
    lines = [f"{'id':<5} {'mode':<10} {'ok':<3} {'ms':>7}  reason", "-" * 60]
    for r in report.rows:
        mark = " (held out)" if r.held_out else ""
        lines.append(f"{r.id:<5} {r.mode:<10} {'yes' if r.correct else 'NO':<3} {r.total_ms:>7.0f}  {r.reason}{mark}")
    data = report.to_dict()
    lines.append("-" * 60)
    lines.append(f"correct {data['correct']}/{data['total']}; out-of-scope answered: "
                 f"{data['out_of_scope_answered']}; median {data['median_ms']:.0f} ms; "
                 f"gate {'passed' if data['passed'] else 'FAILED'}")
    for name in ("calibration", "held_out"):
        f = data[name]
        lines.append(f"{name.replace('_', '-')}: in scope {f['in_scope_correct']}/{f['in_scope']}, "
                     f"out of scope answered {f['out_of_scope_answered']}/{f['out_of_scope']}, "
                     f"refusal precision {_percent(f['refusal_precision'])}, recall {_percent(f['refusal_recall'])}")
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
