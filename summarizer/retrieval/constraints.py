"""What a question pins its answer to, read from the question alone: the people, places and
things it names, the day, month or year it asks about, and whether it asks for a figure.

Evidence that is merely *about the same people* is not an answer: a question on visa
restrictions for Cuba is not answered by restrictions on Nicaragua, and a question about
September is not answered by July. ``evidence.py`` checks each candidate sentence against
these constraints where the sentence stands (its passage, its article's headline and lead,
its speaker), never against the whole of a long transcript.

Names are found without relying on capital letters, because people type questions in chat
("who did belarus arrest"): a word is a name when the corpus itself writes it capitalised
mid-sentence, or when the corpus has never seen it and it is not an ordinary English word
(the embedding model's own word list stands in for a dictionary)."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Set
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.retrieval.places import countries_stated
from summarizer.text import STOPWORDS, stem, without_accents

MONTH_NUMBER = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTH_NUMBER |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}
MONTH_NUMBER["sept"] = 9
CALENDAR_WORDS = frozenset(MONTH_NUMBER) | frozenset(d.lower() for d in calendar.day_name)
MONTH = r"(?:" + "|".join(sorted(MONTH_NUMBER, key=len, reverse=True)) + r")\.?"
ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS = (
    # June 10, 2021 · june 10 2021 · June 10th, 2021
    ("day", re.compile(rf"\b(?P<month>{MONTH})\s+(?P<day>\d{{1,2}}){ORDINAL},?\s+(?P<year>(?:19|20)\d\d)\b", re.I)),
    # 10 June 2021
    ("day", re.compile(rf"\b(?P<day>\d{{1,2}}){ORDINAL}\s+(?:of\s+)?(?P<month>{MONTH}),?\s+(?P<year>(?:19|20)\d\d)\b", re.I)),
    # June 2021
    ("month", re.compile(rf"\b(?P<month>{MONTH}),?\s+(?P<year>(?:19|20)\d\d)\b", re.I)),
    # June 10 (year from context)
    ("day", re.compile(rf"\b(?P<month>{MONTH})\s+(?P<day>\d{{1,2}}){ORDINAL}\b(?!\s*(?:,\s*)?(?:19|20)\d\d)", re.I)),
    ("day", re.compile(rf"\b(?P<day>\d{{1,2}}){ORDINAL}\s+(?:of\s+)?(?P<month>{MONTH})\b(?!,?\s+(?:19|20)\d\d)", re.I)),
    # 2021 on its own (not part of "FY2022"-style tokens, which are names of budgets, not times)
    ("year", re.compile(r"(?<![\w$.,])(?P<year>(?:19|20)\d\d)(?![\w%])")),
)
# A release about an event usually appears the day of it or within the week after.
REPORTING_LAG = dt.timedelta(days=7)
# Chat shorthand, expanded before anything else reads the question.
CHAT_SHORTHAND = {
    "whats": "what is", "what's": "what is", "whos": "who is", "who's": "who is", "wheres": "where is",
    "hows": "how is", "u": "you", "ur": "your", "n": "and", "abt": "about", "bc": "because", "w/": "with",
    "pls": "please", "plz": "please", "govt": "government", "gov": "government", "intl": "international",
    "mtg": "meeting", "dept": "department", "sec": "secretary", "secy": "secretary", "pres": "president",
    "min": "minister", "fm": "foreign minister", "pm": "prime minister", "yr": "year", "yrs": "years",
    "rn": "right now", "tmrw": "tomorrow", "thx": "thanks", "wrt": "with regard to", "re": "about",
}
# The kinds of occasion a question can place its answer in ("during Lavrov's Delhi visit", "at
# the ministerial meeting"), with the words reports use for each: what was said on a phone call
# does not answer what was discussed during a visit.
_VISIT = ("visit", "visited", "visiting", "trip", "travel", "travelled", "traveled", "tour")
_MEETING = ("meeting", "met", "meet", "meets", "talks", "negotiations")
OCCASION_WORDS = {
    "visit": _VISIT, "trip": _VISIT, "tour": _VISIT,
    "call": ("call", "called", "phone", "telephone", "spoke", "conversation"),
    "meeting": _MEETING, "talks": _MEETING,
    "summit": ("summit",), "conference": ("conference",), "briefing": ("briefing",), "forum": ("forum",),
    "interview": ("interview",), "hearing": ("hearing", "testimony", "testified"),
    "speech": ("speech", "remarks", "address", "addressed"),
}
OCCASION_ASKED = re.compile(
    r"\b(?:during|at)\s+(?P<phrase>(?:[\w'’.,-]+\s+){0,5}?(?P<occasion>"
    + "|".join(OCCASION_WORDS) + r")s?)\b", re.I)
# "Which country's government…", "what countries…": the answer is a country, which unlike a name
# in general can be recognised exactly (``places.py``).
COUNTRY_ASKED = re.compile(r"\b(?:which|what)\s+(?:countr(?:y|ies)|nations?)\b", re.I)
# Degree questions usually want a figure too ("how complete" → "90 percent"), but not always,
# so they only rank sentences with figures higher.
DEGREE_ASKED = re.compile(r"\bhow (?:complete|far along|high|low|often|close|soon|advanced|fast|quickly|serious)\b", re.I)
NAME_ASKED = re.compile(r"^\W*(?:who|whom|whose)\b|\b(?:who|whom|whose)\b|\b(?:which|what)\s+(?:\w+\s+)?"
                        r"(?:country|countries|nation|government|city|journalist|minister|official|person|people|"
                        r"leader|president|organi[sz]ation|group|company|state|agency|ambassador|envoy)\b", re.I)
WORDS_ASKED = re.compile(r"\b(?:say|said|says|describe[ds]?|call(?:ed|s)?|characteri[sz]e[ds]?|term(?:ed)?|tweet(?:ed)?|"
                         r"tell|told|warn(?:ed)?|refer(?:red)? to|react(?:ed)?|respond(?:ed)?|comment(?:ed)?)\b", re.I)
TIME_ASKED = re.compile(r"\bwhen\b|\bwhat (?:date|day|month|year|time)\b", re.I)
QUANTITY_ASKED = re.compile(
    r"\bhow (?:many|much|large|big|long|far|old)\b|\bwhat (?:percentage|percent|share|amount|sum|number|figure)\b"
    r"|\bcost\b|\bhow\s+\w+\s+(?:percent|dollars)\b", re.I)
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve dozen dozens hundred hundreds thousand "
    "thousands million millions billion billions trillion half percent".split())
# Words of the vocabulary ranked above this are in everyday use. Set on the dev questions' words
# absent from their corpus: "originally", "approach", "speaking" rank under 1,900; "submarine",
# "earthquake", "takeover", "kyrgyzstan" over 4,300.
COMMON_WORD_RANKS = 3500
TOKEN = re.compile(r"[^\W_]+(?:[-'’.+][^\W_]+)*\.?|\$?\d[\d,.]*\d|\$?\d")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    text: str  # as the question wrote it, for "nothing on that for <text>"
    year_known: bool = True

    def covers(self, day: dt.date) -> bool:
        if not self.year_known:
            return (day.month, day.day) >= (self.start.month, self.start.day) and \
                   (day.month, day.day) <= (self.end.month, self.end.day)
        return self.start <= day <= self.end

    def reported_on(self, published: dt.date) -> bool:
        """An article published during the period, or within the week after it."""
        if not self.year_known:
            return any(self.covers(published - dt.timedelta(days=lag)) for lag in range(REPORTING_LAG.days + 1))
        return self.start <= published <= self.end + REPORTING_LAG


@dataclass(frozen=True)
class Entity:
    """A name or figure from the question, one or more words ("Kin Moy", "FR4978", "15")."""

    parts: tuple[str, ...]  # as matched: "fy2022" is matched as "fy" and "2022"
    text: str  # as the question wrote it

    def found_in(self, forms: Set[str]) -> bool:
        """All of it, or — for a name of several words — its last word and at least half of it
        ("Secretary Blinken" in a transcript that only says "BLINKEN")."""
        if len(self.parts) > 1 and "".join(self.parts).lower() in forms:
            return True  # "FY 2022" asked, "FY2022" written
        found = [term_known(p, forms) for p in self.parts]
        if all(found):
            return True
        return len(self.parts) > 1 and found[-1] and sum(found) * 2 >= len(found)


@dataclass(frozen=True)
class Occasion:
    """The event a question places its answer in: a visit, a call, a summit."""

    words: tuple[str, ...]  # how reports say it happened
    text: str  # as the question wrote it

    def found_in(self, forms: Set[str]) -> bool:
        return any(w in forms for w in self.words)


@dataclass(frozen=True)
class Constraints:
    entities: tuple[Entity, ...] = ()
    periods: tuple[Period, ...] = ()
    wants_quantity: bool = False
    # What the answer states: "country", "name", "time", "figure" or "words" (someone's own).
    answer_kind: str | None = None
    unknown: tuple[str, ...] = field(default=())  # words the corpus has never seen
    countries: frozenset[str] = frozenset()  # those the question names: not an answer to "which country"
    occasions: tuple[Occasion, ...] = ()


def expand_shorthand(question: str) -> str:
    return re.sub(r"(?<![\w'’])([\w'’/]+)(?![\w'’])",
                  lambda m: CHAT_SHORTHAND.get(m.group(1).lower(), m.group(1)), question)


def periods_in(text: str, *, default_year: int | None = None) -> tuple[list[Period], str]:
    """The days, months and years ``text`` mentions, and the text with them blanked out.
    Without a year, ``default_year`` (an article's own year) is assumed, else any year."""
    found: list[Period] = []
    rest = text
    for kind, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(rest):
            period = _period(kind, match, default_year)
            if period is not None:
                found.append(period)
        rest = pattern.sub(lambda m: " " * len(m.group(0)), rest)
    return found, rest


def _period(kind: str, match: re.Match, default_year: int | None) -> Period | None:
    groups = match.groupdict()
    year_text = groups.get("year")
    year = int(year_text) if year_text else default_year
    year_known = year is not None
    year = year or 2000  # a leap year, so "February 29" without a year is still a day
    try:
        if kind == "year":
            return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), match.group(0))
        month = MONTH_NUMBER[groups["month"].lower().rstrip(".")]
        if kind == "month":
            last = calendar.monthrange(year, month)[1]
            return Period(dt.date(year, month, 1), dt.date(year, month, last), match.group(0), year_known)
        day = dt.date(year, month, int(groups["day"]))
        return Period(day, day, match.group(0), year_known)
    except (ValueError, KeyError):
        return None


def month_only_periods(text: str, default_year: int | None) -> list[Period]:
    """Bare month names ("in July"): a month of the article's year."""
    found = []
    for match in re.finditer(rf"\b(?:in|during|since|by|until|through|last|this|early|late|mid-?)\s+(?P<month>{MONTH})\b",
                             text, re.I):
        period = _period("month", match, default_year)
        if period is not None:
            found.append(period)
    return found


def read_constraints(question: str, *, corpus_cased: Set[str], corpus_known: Set[str]) -> Constraints:
    """What ``question`` pins its answer to. ``corpus_cased`` holds the lower-cased words the
    corpus writes capitalised mid-sentence; ``corpus_known`` every word form it contains."""
    text = expand_shorthand(question)
    periods, rest = periods_in(text)
    periods += month_only_periods(rest, None)
    wants_quantity = bool(QUANTITY_ASKED.search(text))
    tokens = list(TOKEN.finditer(rest))
    groups: list[list[str]] = []
    unknown: list[str] = []
    previous_end = -10
    for i, match in enumerate(tokens):
        token = re.sub(r"['’]s$", "", match.group(0)).rstrip(".") or match.group(0)
        lower = token.lower()
        has_digit = any(ch.isdigit() for ch in token)
        if (lower in STOPWORDS or lower in CALENDAR_WORDS) and not has_digit:  # "in late june" is a time
            previous_end = -10
            continue
        is_key = has_digit or _is_name(token, i, corpus_cased)
        if not has_digit and lower not in corpus_known and stem(lower) not in corpus_known and not _ordinary(lower):
            unknown.append(lower)
            is_key = True
        if not is_key:
            previous_end = -10
            continue
        adjacent = rest[previous_end:match.start()].strip() in ("", "-") if previous_end >= 0 else False
        # A word the corpus has never seen stands alone: grouped with a known name ("Ecuadorian
        # ISIS-GS") it could be passed over as a first name or title is.
        alone = lower in unknown or (groups and groups[-1][-1].lower() in unknown)
        # A number right after a name is part of it ("Nord Stream 2"); a name after a number is not.
        if adjacent and groups and not alone and not any(ch.isdigit() for ch in groups[-1][-1]):
            groups[-1].append(token)
        else:
            groups.append([token])
        previous_end = match.end()
    entities = tuple(Entity(tuple(_figure_parts(g)), " ".join(g)) for g in groups)
    return Constraints(entities, tuple(periods), wants_quantity, _answer_kind(text, wants_quantity),
                       tuple(dict.fromkeys(unknown)), countries_stated(text, any_case=True),
                       tuple(Occasion(OCCASION_WORDS[m.group("occasion").lower()], m.group("phrase"))
                             for m in OCCASION_ASKED.finditer(text)))


def _answer_kind(question: str, wants_quantity: bool) -> str | None:
    if wants_quantity or DEGREE_ASKED.search(question):
        return "figure"
    if COUNTRY_ASKED.search(question):  # before "when": "which countries … when he spoke with …"
        return "country"
    if TIME_ASKED.search(question):
        return "time"
    if NAME_ASKED.search(question):
        return "name"
    if WORDS_ASKED.search(question):
        return "words"
    return None


SPEAKER_LABEL = re.compile(r"^\s*(?:[A-Z][A-Z .’'-]+):\s*")


def names_stated(sentence: str) -> set[str]:
    """Lower-cased capitalised words inside the sentence (not its first word, not a transcript
    label such as "MS PORTER:")."""
    text = SPEAKER_LABEL.sub("", sentence)
    return {t.group(0).lower().rstrip(".") for i, t in enumerate(TOKEN.finditer(text))
            if i > 0 and t.group(0)[:1].isupper() and t.group(0).lower() not in STOPWORDS
            and t.group(0).lower().rstrip(".") not in CALENDAR_WORDS}


def states_answer_kind(kind: str | None, sentence: str, question_forms: Set[str],
                       background: Set[str] = frozenset(), question_countries: Set[str] = frozenset()) -> bool:
    """Whether ``sentence`` states something of the kind asked that the question does not already
    say: a country for "which country", a name for "who", a date for "when", a figure for "how
    many". ``background`` holds names and countries so common around the question (most candidate
    sentences have them) that they answer nothing."""
    if kind == "country":
        return any(c not in question_countries and c not in background for c in countries_stated(sentence))
    if kind == "figure":
        return has_figure(sentence)
    if kind == "time":
        return bool(periods_in(sentence)[0]) or bool(re.search(
            rf"\b(?:{MONTH}|today|yesterday|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
            r"(?:last|next|this) (?:week|month|year))\b", sentence, re.I))
    if kind == "words":
        return bool(re.search(r"[“”\"]", sentence))
    if kind == "name":
        return any(not term_known(name, question_forms) and name not in background for name in names_stated(sentence))
    return True


def _figure_parts(group: list[str]) -> list[str]:
    """ "fy2022" is written "FY 2022" in the articles: letters and digits are matched apart."""
    parts = []
    for token in group:
        split = re.findall(r"[^\W\d_]+|\d[\d,.]*", token)
        if len(split) > 1 and not re.search(r"[-.'’+]", token):
            parts.extend(s.replace(",", "") for s in split)
        else:
            parts.append(token.lstrip("$").replace(",", "") if token[:1] in "$0123456789" else token)
    return parts


def _is_name(token: str, position: int, corpus_cased: Set[str]) -> bool:
    """Capitalised inside the question, or — as chat questions are typed all lower-case, and
    the first word is capitalised anyway — written capitalised by the corpus."""
    lower = token.lower()
    if token[:1].isupper() and position > 0:
        return True
    return lower in corpus_cased or stem(lower) in corpus_cased


def term_known(term: str, forms: Set[str]) -> bool:
    lower = without_accents(term.lower())
    if lower in forms or stem(term) in forms:
        return True
    parts = [p for p in re.split(r"[-.+]", lower) if p]
    if len(parts) > 1 and all(p in forms or stem(p) in forms for p in parts):
        return True
    if not lower[:1].isalpha():
        return False
    same_start = _by_start(forms).get(lower[:3], ()) if isinstance(forms, frozenset) else \
        [form for form in forms if form[:3] == lower[:3]]
    return any(_same_root(lower, form) for form in same_start)


@functools.lru_cache(maxsize=1024)
def _by_start(forms: frozenset[str]) -> dict[str, list[str]]:
    """An article's word forms by their first three letters: names are compared to their
    adjectives ("China"/"Chinese") often, against the same articles."""
    index: dict[str, list[str]] = {}
    for form in forms:
        index.setdefault(form[:3], []).append(form)
    return index


def _same_root(a: str, b: str) -> bool:
    """Place and people's names and their adjectives: China/Chinese, Cuba/Cuban, Belarus/Belarusian.
    The shared beginning must be all of the shorter word but its last letter."""
    shorter = min(len(a), len(b))
    if shorter < 4:
        return False
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    if shorter == 4:
        return common == 4  # Cuba/Cuban, but not Iran/Iraq
    return common >= shorter - 1 and abs(len(a) - len(b)) <= 4


def has_figure(text: str) -> bool:
    return bool(re.search(r"\d", text)) or any(w in NUMBER_WORDS for w in re.findall(r"[a-z]+", text.lower()))


@functools.lru_cache(maxsize=1)
def _word_ranks() -> dict[str, int]:
    """The embedding model's vocabulary lists whole English words roughly from the most frequent
    down ("the" first): a frequency dictionary that ships with the model already installed."""
    from summarizer.ingest.embeddings import bundled_model_path

    try:
        vocab = (Path(bundled_model_path()) / "vocab.txt").read_text(encoding="utf-8").split("\n")
    except OSError:
        return {}
    words_only = [w for w in vocab if w.isalpha() and w.isascii() and not w.startswith("[")]
    return {w: rank for rank, w in enumerate(words_only)}


def _ordinary(word: str) -> bool:
    """A common English word ("originally", "approach"), as opposed to a name or a rarer word that
    names a topic ("earthquake", "kyrgyzstan"): a question's word the corpus has never seen is a
    constraint unless it is this common."""
    ranks = _word_ranks()
    bases = {word, stem(word), word[:-2] if word.endswith("ed") else word, word[:-1] if word.endswith("ed") else word,
             word[:-3] if word.endswith("ing") else word}
    return any(ranks.get(b, COMMON_WORD_RANKS) < COMMON_WORD_RANKS for b in bases)
