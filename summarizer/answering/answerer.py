"""Ask: question → cache → evidence → model → verified, cited answer (or a clear refusal).

The answer cache key is the normalised question, the filters, the corpus version, the
model and the answer version (prompt and verification rules), so ingesting anything or changing the model or prompt
never serves a stale answer. Identical questions arriving together are computed once.

A front end that can update what it has shown (Discord edits its reply) passes ``on_draft``:
it then gets the extractive answer as soon as the evidence is chosen, and the generated one
when the model gets to it, which may be minutes later when many questions queue for one
model. Every answer with citations is remembered by a hash of its content (``ref``), so its
evidence can be shown for as long as the answer is."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
import time
from typing import Awaitable, Callable

from store import Answers, Article, Corpus, ReadOnlyStoreError
from summarizer.retrieval.evidence import Evidence, Findings, Support, assess_support, select_evidence
from summarizer.citations import citation
from summarizer.ingest.attribution import first_person, quoted_with_speaker
from summarizer.answering.model_process import ModelUnavailable
from summarizer.answering.model_slot import ModelSlot
from summarizer.results import Answer, Citation, QuestionError
from summarizer.retrieval.search import Filters, SearchIndex
from summarizer.text import clean_text, words
from summarizer.answering.judge import confirm_claims
from summarizer.answering.verify import Checked, check_answer, citation_numbers

log = logging.getLogger(__name__)

# Part of every cache key: bump it whenever the prompt or the verification rules change,
# so no answer made under older rules is served again.
ANSWER_VERSION = "9"  # 9: answerability constraints, partial mode, meaning checks, speakers quoted
MAX_QUESTION_CHARS = 500
MAX_ANSWER_WORDS = 80
MAX_NEW_TOKENS = 96
PASSAGES_CONSIDERED = 20
CLOSEST_TOPICS = 3
# How long a question whose extractive draft is already shown waits for the model's summary.
# Discord lets a reply to a slash command be edited for 15 minutes.
DEFAULT_SUMMARY_WAIT_S = 300.0
# Answers kept in memory when the store is read-only, so their evidence stays reachable.
UNSAVED_SHOWN_KEPT = 1000
SYSTEM_PROMPT = (
    "You write one- to three-sentence briefings for diplomats, using only the numbered evidence. "
    "Copy the evidence's own wording rather than paraphrasing it, above all for names, numbers and key phrases. "
    "End every sentence with the number of the evidence it comes from, "
    "for example: Lavrov called the Quad an \"Asian NATO\" [2]."
)


def normalise_question(question: str) -> str:
    text = clean_text(question)
    # Mentions are never part of a question; "@everyone" must not survive into any output.
    text = re.sub(r"<[@#][!&]?\d+>|@(everyone|here)\b", " ", text)
    text = clean_text(text)
    if not text:
        raise QuestionError("The question is empty. Ask something like: What did Lavrov say about the Quad?")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"The question is {len(text):,} characters long; please keep it under "
                            f"{MAX_QUESTION_CHARS} characters.")
    if not any(len(w) > 1 or w.isdigit() for w in words(text)):
        raise QuestionError("The question has no words to search for. Ask in words, e.g. "
                            "What did Jaishankar say about Ukraine?")
    return text


def cache_key(question: str, filters: Filters, model: str) -> str:
    """What an answer is cached under; the corpus version it was computed on is kept beside it."""
    payload = json.dumps([question.casefold(), filters.key(), model, ANSWER_VERSION])
    return hashlib.sha256(payload.encode()).hexdigest()


DraftShown = Callable[[Answer], Awaitable[None]]


@dataclasses.dataclass
class _InFlight:
    """A question being answered: later askers of the same question join it."""

    final: asyncio.Future[Answer]
    draft: asyncio.Future[Answer | None]  # None when there will be no draft (refused, cached, failed)


def answer_ref(question: str, body: str, citations: list[Citation]) -> str:
    """A short content hash of what an answer shows: the same answer always gets the same ref."""
    payload = json.dumps([question, body, [c.to_dict() for c in citations]], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


class Answerer:
    def __init__(self, corpus: Corpus, answers: Answers, index: SearchIndex, models: ModelSlot, *,
                 summary_wait_s: float = DEFAULT_SUMMARY_WAIT_S) -> None:
        self.corpus = corpus
        self.answers = answers
        self.index = index
        self.models = models
        self.summary_wait_s = summary_wait_s
        self._in_flight: dict[str, _InFlight] = {}
        self._background: set[asyncio.Task] = set()
        self._unsaved_shown: collections.OrderedDict[str, Answer] = collections.OrderedDict()

    async def ask(self, question: str, filters: Filters = Filters(), *, use_cache: bool = True,
                  on_draft: DraftShown | None = None) -> Answer:
        """The final answer. With ``on_draft``, an answer that will be generated is first shown
        extractively through it (and the model is given ``summary_wait_s`` rather than the
        generation timeout)."""
        started = time.perf_counter()
        text = normalise_question(question)
        key = cache_key(text, filters, self.models.identity)
        if use_cache:
            hit = await self.answers.cached_answer(key)
            if hit is not None:
                answer = Answer.from_dict(hit | {"cached": True, "question": question,
                                                 "timings_ms": {"total": _ms_since(started)}})
                self._log_in_background(answer)
                return answer
        # Read before computing: an answer finished after an ingest is cached as of the older corpus.
        corpus_version = await self.corpus.corpus_version()
        in_flight_key = f"{key}@{corpus_version}"
        if in_flight_key in self._in_flight:
            return await self._join(self._in_flight[in_flight_key], on_draft)
        loop = asyncio.get_running_loop()
        pending = _InFlight(loop.create_future(), loop.create_future())
        self._in_flight[in_flight_key] = pending

        async def show_draft(draft: Answer) -> None:
            pending.draft.set_result(draft)
            if on_draft is not None:
                await on_draft(draft)

        try:
            answer, cacheable = await self._compute(question, text, filters, started,
                                                    show_draft if on_draft is not None else None)
            if use_cache and cacheable:
                await self._cache(key, text, answer, corpus_version)
            pending.final.set_result(answer)
        except BaseException as exc:
            pending.final.set_exception(exc)
            pending.final.exception()  # mark retrieved: waiters re-raise it, no "never retrieved" warning
            raise
        finally:
            if not pending.draft.done():
                pending.draft.set_result(None)
            del self._in_flight[in_flight_key]
        self._log_in_background(answer)
        return answer

    @staticmethod
    async def _join(pending: _InFlight, on_draft: DraftShown | None) -> Answer:
        if on_draft is not None:
            draft = await asyncio.shield(pending.draft)
            if draft is not None:
                await on_draft(draft)
        return await asyncio.shield(pending.final)

    async def shown_answer(self, ref: str) -> Answer | None:
        """An answer shown earlier, by its ``ref`` (None when it is not known)."""
        stored = await self.answers.shown_answer(ref)
        if stored is not None:
            return Answer.from_dict(stored)
        return self._unsaved_shown.get(ref)

    async def _compute(self, question: str, text: str, filters: Filters, started: float,
                       show_draft: DraftShown | None) -> tuple[Answer, bool]:
        ranked, query_vector = await self.index.rank(text, filters=filters, limit=PASSAGES_CONSIDERED)
        findings = await select_evidence(self.corpus, text, query_vector, ranked, self.index.articles)
        evidence = findings.evidence
        retrieve_ms = _ms_since(started)
        support = assess_support(findings, query_vector)
        timings = {"retrieve": retrieve_ms, "generate": 0.0, "prefill": 0.0, "decode": 0.0}
        if not support.enough:
            log.info("declined %r: cosine %.2f, unmet %s", text, support.best_cosine, support.missing)
            if support.related is not None:
                return await self._shown(self._answer(
                    question, partial_text(support, filters), "partial", [support.related], timings, started)), True
            topics = list(dict.fromkeys(self.index.articles[r.article_id].title for r in ranked))
            return self._answer(question, _refusal_text(filters), "refused", [], timings, started,
                                topics[:CLOSEST_TOPICS]), True
        quoted, quoted_cited = extractive_answer(evidence)
        wait_s = None
        if show_draft is not None:
            draft = self._answer(question, quoted, "extractive", quoted_cited, timings, started, draft=True)
            await self._remember(draft)
            await show_draft(draft)
            wait_s = self.summary_wait_s
        messages = build_messages(text, evidence)
        try:
            generation = await self.models.generate(messages, MAX_NEW_TOKENS, wait_s=wait_s)
        except ModelUnavailable as exc:
            log.warning("answering extractively: %s", exc)
            return await self._shown(self._answer(question, quoted, "extractive", quoted_cited, timings,
                                                  started)), False
        timings.update(generate=generation.prefill_ms + generation.decode_ms,
                       prefill=generation.prefill_ms, decode=generation.decode_ms)
        sentences = [e.sentence.text for e in evidence]
        checked = check_answer(generation.text, sentences, [provenance(e.article) for e in evidence])
        judged_at = time.perf_counter()
        checked, _ = await confirm_claims(self.models, messages, generation.text, checked, sentences, wait_s=wait_s)
        timings["judge"] = _ms_since(judged_at)
        body, cited = verified_answer(_speakers_words_attributed(checked, evidence), evidence)
        if not body:
            log.info("the model's answer failed verification; quoting the evidence instead: %r", generation.text[:200])
        elif not findings.addresses(body):
            log.info("the model's answer does not state the %s asked for; quoting the evidence instead: %r",
                     findings.constraints.answer_kind, body[:200])
            body = ""
        mode = "generated" if body else "extractive"
        if not body:
            body, cited = extractive_answer(_pointed_first(generation.text, checked, evidence, findings))
        return await self._shown(self._answer(question, body, mode, cited, timings, started)), True

    async def _shown(self, answer: Answer) -> Answer:
        await self._remember(answer)
        return answer

    async def _remember(self, answer: Answer) -> None:
        try:
            await self.answers.remember_shown(answer.ref, answer.to_dict())
        except ReadOnlyStoreError:
            self._unsaved_shown[answer.ref] = answer
            while len(self._unsaved_shown) > UNSAVED_SHOWN_KEPT:
                self._unsaved_shown.popitem(last=False)

    def _answer(self, question: str, body: str, mode: str, cited: list[Evidence], timings: dict[str, float],
                started: float, topics: list[str] | None = None, *, draft: bool = False) -> Answer:
        citations = [citation(n, e.sentence, e.passage, e.article) for n, e in enumerate(cited, 1)]
        timings = {k: round(v, 1) for k, v in timings.items()} | {"total": _ms_since(started)}
        return Answer(question=question, answer=body, mode=mode, cached=False, citations=citations,
                      model=self.models.name, timings_ms=timings, closest_topics=topics or [],
                      ref=answer_ref(question, body, citations), draft=draft)

    async def _cache(self, key: str, text: str, answer: Answer, corpus_version: str) -> None:
        try:
            await self.answers.cache_answer(key, text, answer.to_dict(), corpus_version)
        except ReadOnlyStoreError as exc:
            log.warning("answer not cached: %s", exc)

    async def drain(self) -> None:
        """Finish pending statistics writes (before the store closes)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def _log_in_background(self, answer: Answer) -> None:
        """Statistics are not worth delaying an answer for; write them after replying."""
        task = asyncio.ensure_future(self._log(answer))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _log(self, answer: Answer) -> None:
        try:
            await self.answers.log_ask(answer.mode, answer.cached, answer.timings_ms["total"])
        except ReadOnlyStoreError:
            pass  # statistics are optional on a read-only disk


# One worked example teaches the format better than more instructions. It sits in the
# fixed prefix of every prompt, which llama.cpp keeps evaluated between calls, so it is free.
EXAMPLE_EVIDENCE = [
    "The ministry said the visa rules remain under review and no decision has been taken.",
    "The two ministers met in Geneva on Monday and agreed to hold talks again “at an early date”.",
]
EXAMPLE_QUESTION = "What did the ministers agree in Geneva?"
EXAMPLE_ANSWER = "The two ministers agreed to hold talks again “at an early date” [2]."


def build_messages(question: str, evidence: list[Evidence]) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": _user_turn(EXAMPLE_QUESTION, EXAMPLE_EVIDENCE)},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
        {"role": "user", "content": _user_turn(question, [e.sentence.text for e in evidence])},
    ]


def _user_turn(question: str, sentences: list[str]) -> str:
    lines = "\n".join(f"[{n}] {text}" for n, text in enumerate(sentences, 1))
    return f"Evidence:\n{lines}\n\nQuestion: {question}"


def verified_answer(checked: list[Checked], evidence: list[Evidence]) -> tuple[str, list[Evidence]]:
    """The generated sentences that passed verification, renumbered against the evidence they cite."""
    for dropped in (c for c in checked if not c.supported):
        log.info("dropped unsupported sentence (%s): %r", dropped.problem, dropped.text)
    kept = [c for c in checked if c.supported]
    cited_numbers: list[int] = []  # evidence numbers in order of first citation
    sentences = []
    word_count = 0
    for claim in kept:
        count = len(words(claim.text))
        if sentences and word_count + count > MAX_ANSWER_WORDS:
            break
        word_count += count
        cited_numbers.extend(n for n in claim.cites if n not in cited_numbers)
        sentences.append(_with_markers(claim.text, [cited_numbers.index(n) + 1 for n in claim.cites]))
    return " ".join(sentences), [evidence[n - 1] for n in cited_numbers]


def extractive_answer(evidence: list[Evidence]) -> tuple[str, list[Evidence]]:
    """The first evidence sentences (most relevant first), verbatim, within the word budget."""
    chosen: list[Evidence] = []
    word_count = 0
    for item in evidence[:2]:
        count = len(words(item.sentence.text))
        if chosen and word_count + count > MAX_ANSWER_WORDS:
            break
        chosen.append(item)
        word_count += count
    body = " ".join(_with_markers(in_speakers_voice(e), [n]) for n, e in enumerate(chosen, 1))
    return body, chosen


def in_speakers_voice(evidence: Evidence) -> str:
    """A sentence in someone's own first person ("We did not discuss …") is quoted with its
    speaker, never left to read as the bot's words; other sentences are shown as they are."""
    sentence = evidence.sentence
    if sentence.speaker and first_person(sentence.text):
        return quoted_with_speaker(_trim(sentence.text), sentence.speaker)
    return _trim(sentence.text)


def _speakers_words_attributed(checked: list[Checked], evidence: list[Evidence]) -> list[Checked]:
    """A generated sentence in the first person repeats a source's words in the bot's voice: it is
    replaced by those words quoted with their speaker, or dropped when nobody is known to say them."""
    attributed = []
    for claim in checked:
        if not claim.supported or not first_person(claim.text):
            attributed.append(claim)
            continue
        source = evidence[claim.cites[0] - 1]
        if source.sentence.speaker:
            attributed.append(dataclasses.replace(claim, text=in_speakers_voice(source), cites=claim.cites[:1],
                                                  needs_judge=False))
        else:
            attributed.append(dataclasses.replace(claim, problem="first-person words with no known speaker"))
    return attributed


def _pointed_first(generated: str, checked: list[Checked], evidence: list[Evidence],
                   findings: Findings) -> list[Evidence]:
    """When nothing the model wrote survives, the evidence it drew its words from (or merely
    cited: it sometimes replies with just "[2]") is still its best judgement of what answers
    the question, so the extractive answer quotes that first — unless it does not state what
    was asked (no name for "who"), when the evidence that does comes first."""
    numbers = [c.drawn_from for c in checked if c.drawn_from] + list(citation_numbers(generated, len(evidence)))
    order = list(dict.fromkeys(numbers)) + [n for n in range(1, len(evidence) + 1) if n not in numbers]
    pointed = [evidence[n - 1] for n in order]
    return sorted(pointed, key=lambda e: not findings.addresses(e.sentence.text))


def provenance(article: Article) -> str:
    """What the source says about every sentence in it: its headline and its date."""
    if not article.published:
        return article.title
    day = dt.date.fromisoformat(article.published)
    return f"{article.title} {day.strftime('%B')} {day.day}, {day.year}"


def _trim(sentence: str) -> str:
    tokens = sentence.split()
    if len(tokens) <= MAX_ANSWER_WORDS:
        return sentence
    return " ".join(tokens[:MAX_ANSWER_WORDS]) + " …"


def _with_markers(sentence: str, numbers: list[int]) -> str:
    markers = "".join(f"[{n}]" for n in numbers)
    stripped = sentence.rstrip()
    if stripped.endswith((".", "!", "?")):
        return f"{stripped[:-1]} {markers}{stripped[-1]}"
    return f"{stripped} {markers}"


def partial_text(support: Support, filters: Filters) -> str:
    """Related material offered plainly as *not* the answer: what was asked and not found,
    then the closest sentence, dated and cited."""
    related = support.related
    asked = "; ".join(support.missing) if support.missing else "exactly that"
    when = _spoken_date(related.article.published)
    return (f"{_nothing_on_that(filters)}: nothing matches {asked}. "
            f"The closest it has{when}: “{_trim(related.sentence.text)}” [1]")


def _spoken_date(published: str | None) -> str:
    if not published:
        return ""
    day = dt.date.fromisoformat(published)
    return f", from {day.day} {day.strftime('%B')} {day.year}"


def _refusal_text(filters: Filters) -> str:
    return f"{_nothing_on_that(filters)}."


def _nothing_on_that(filters: Filters) -> str:
    scope = " in the selected date range or outlet" if filters.active else ""
    return f"The briefing corpus has nothing on that{scope}"


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
