"""`briefbot eval`: the project's quality gate on a JSONL file of questions.

In scope, an answer is correct when it is not a refusal, contains one of the expected
strings and cites an expected article (by file-name prefix or title). Out of scope, only
a refusal is correct. An answered out-of-scope question fails the gate outright: a wrong
briefing is worse than none."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from summarizer.results import Answer
from summarizer.text import fold

MIN_CORRECT_SHARE = 12 / 13


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
            total_ms=answer.timings_ms.get("total", 0.0),
        ))
    return report


def judge(q: EvalQuestion, answer: Answer) -> tuple[bool, str]:
    if q.refuse:
        return (True, "refused") if answer.mode == "refused" else (False, "answered, should refuse")
    if answer.mode == "refused":
        return False, "refused, should answer"
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
        lines.append(f"{r.id:<5} {r.mode:<10} {'yes' if r.correct else 'NO':<3} {r.total_ms:>7.0f}  {r.reason}")
    data = report.to_dict()
    lines.append("-" * 60)
    lines.append(f"correct {data['correct']}/{data['total']}; out-of-scope answered: "
                 f"{data['out_of_scope_answered']}; median {data['median_ms']:.0f} ms; "
                 f"gate {'passed' if data['passed'] else 'FAILED'}")
    return "\n".join(lines)
