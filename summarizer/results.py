"""What the engine hands back: plain dataclasses, printed as JSON by the CLI's --json.

Front ends (CLI, console, Discord) format these; they never reach into the store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from store import AskStats, CorpusCounts

# "partial": the corpus has related material but nothing that meets the question; it is
# shown as such and never as the answer.
Mode = Literal["generated", "extractive", "partial", "refused"]


class QuestionError(ValueError):
    """A question that cannot be asked as given (empty, too long, no words); the message is for the user."""


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    title: str
    source: str | None
    published: str | None
    path: str
    quote: str  # the exact evidence sentence the answer relies on
    passage: str  # the passage around it, for "show evidence"
    url: str | None = None  # where the article can be read, when it came from the web or said so

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    mode: Mode
    cached: bool
    citations: list[Citation]
    model: str
    timings_ms: dict[str, float]
    closest_topics: list[str] = field(default_factory=list)  # offered when refusing
    # A hash of what is shown (question, answer, citations): the evidence button's handle on it.
    ref: str | None = None
    # Quoted from the sources while the model writes its summary; the final answer replaces it.
    draft: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data["citations"] = [c.to_dict() for c in self.citations]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Answer":
        fields = dict(data)
        fields["citations"] = [Citation(**c) for c in data["citations"]]
        return cls(**fields)


@dataclass(frozen=True)
class SearchHit:
    passage_id: int
    article_id: str
    title: str
    source: str | None
    published: str | None
    path: str
    text: str
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SourceInfo:
    article_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    path: str
    story_id: str
    passages: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ArticleBrief:
    info: SourceInfo
    summary: str  # the article's lead sentences, verbatim
    same_story: list[SourceInfo]  # other coverage of the same event

    def to_dict(self) -> dict:
        return {"article": self.info.to_dict(), "summary": self.summary,
                "same_story": [s.to_dict() for s in self.same_story]}


@dataclass(frozen=True)
class Quote:
    speaker: str
    text: str  # the speaker's own words: the quoted part of the cited sentence, or a whole transcript turn
    citation: Citation

    def to_dict(self) -> dict:
        return {"speaker": self.speaker, "text": self.text, "citation": self.citation.to_dict()}


@dataclass(frozen=True)
class TimelineEvent:
    date: str | None  # YYYY-MM-DD of the article reporting it
    text: str
    citation: Citation

    def to_dict(self) -> dict:
        return {"date": self.date, "text": self.text, "citation": self.citation.to_dict()}


@dataclass(frozen=True)
class DigestStory:
    headline: str
    summary: str  # one or two sentences with [n] markers into ``citations``
    citations: list[Citation]
    article_ids: list[str]
    # "generated": written by the model and verified; "extractive": the articles' leads, quoted.
    mode: Mode = "extractive"
    # Where outlets differ on a fact, one note each, e.g. "Sources differ on a number: 12 [1], 15 [2]."
    # Its [n] markers point into ``citations`` like the summary's.
    disagreements: list[str] = field(default_factory=list)

    @property
    def source_count(self) -> int:
        return len(self.article_ids)

    def to_dict(self) -> dict:
        return {"headline": self.headline, "summary": self.summary, "sources": self.source_count,
                "article_ids": self.article_ids, "citations": [c.to_dict() for c in self.citations],
                "mode": self.mode, "disagreements": self.disagreements}

    @classmethod
    def from_dict(cls, data: dict) -> "DigestStory":
        return cls(headline=data["headline"], summary=data["summary"],
                   citations=[Citation(**c) for c in data["citations"]], article_ids=data["article_ids"],
                   mode=data["mode"], disagreements=data["disagreements"])


@dataclass(frozen=True)
class Digest:
    date: str | None  # None when the corpus holds no dated article
    stories: list[DigestStory]

    def to_dict(self) -> dict:
        return {"date": self.date, "stories": [s.to_dict() for s in self.stories]}

    @classmethod
    def from_dict(cls, data: dict) -> "Digest":
        return cls(data["date"], [DigestStory.from_dict(s) for s in data["stories"]])


@dataclass(frozen=True)
class EngineStats:
    """What `/stats` shows: the corpus size, how questions have been answered, and the model."""

    corpus: CorpusCounts
    asks: AskStats
    model: str
