"""Who speaks in each sentence of an article, and whether the sentence carries their own words.

Pure functions over an article's sentences in order; no I/O. Two kinds of text are read:

* prose: a quotation (“…” or "…") belongs to the subject of the verb of speech it is attached
  to — "“…,” Lavrov said", "Lavrov said: “…”", "…, said Lavrov", "according to Lavrov, “…”".
  The subject is a named person (titles dropped: "Foreign Minister Sergey Lavrov" → "Sergey
  Lavrov"; a later "Lavrov" resolves to the name as first written in full), "he"/"she" resolved
  to the speaker or first-named person of the sentences just before, or a role ("the Russian
  minister") resolved to the last person of the article who was given that title. Reported
  speech without quotation marks gets its speaker but is not verbatim. A quotation whose speaker
  cannot be resolved gets no speaker: a wrong name is worse than none.
* transcripts: a paragraph opening with an upper-case label ("MR PRICE:", "QUESTION:") starts a
  turn; every sentence until the next label is that speaker's own words.

The rules are heuristics for English news and government releases; ``RULES_VERSION`` changes
whenever they do, so stored attributions are recomputed on the next ingest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

RULES_VERSION = "1"

QUESTION_SPEAKER = "a journalist (question)"
PRONOUN_LOOKBACK_SENTENCES = 3  # how far back "he said" may look for its person
MAX_NAME_TOKENS = 5


@dataclass(frozen=True)
class Attribution:
    speaker: str | None = None
    verbatim: bool = False  # the sentence carries the speaker's own words


# -- vocabulary ----------------------------------------------------------------------------------

_SPEECH_VERBS = (
    # Present forms that are also plural nouns ("claims", "notes", "states", "calls") are left out.
    "said|says|say|told|tells|added|adds|stated|noted|tweeted|tweets|wrote|writes|asked|asks|"
    "warned|warns|stressed|stresses|declared|declares|reiterated|reiterates|recalled|recalls|explained|"
    "explains|insisted|insists|argued|argues|remarked|emphasi[sz]ed|emphasi[sz]es|underlined|"
    "underscored|observed|replied|responded|answered|announced|announces|acknowledged|admitted|"
    "claimed|called|described|describes|echoed|urged|cautioned|commented|posted|"
    "continued|concluded|affirmed|reaffirmed|expressed|highlighted|confirmed|assured|maintained|suggested|"
    "clarified|reminded|informed|"
    "pointed\\s+out|went\\s+on|according\\s+to"
)
_SPEECH = re.compile(rf"\b(?:{_SPEECH_VERBS})\b", re.IGNORECASE)

# Words that introduce a person's name and are not part of it.
_TITLES = frozenset("""
mr mr. mrs mrs. ms ms. dr dr. prof prof. sir dame lord lady
minister secretary president vice prime premier chancellor king queen prince princess sheikh emir sultan
spokesperson spokesman spokeswoman ambassador envoy senator sen. rep. representative congressman
congresswoman governor mayor diplomat official officer chairman chairwoman chair director deputy
coordinator administrator commissioner general admiral colonel major captain lieutenant commander
adviser advisor counselor counsellor undersecretary under assistant special chief head leader fm eam
prez pm cm expert analyst professor economist judge justice attorney pope cardinal bishop archbishop
ceo founder chief-of-staff spokesperson-designate state coordinator-designate nominee
""".split())

# Lower-case words that may sit inside a run of title and name ("Secretary of State Antony Blinken").
_RUN_JOINERS = frozenset({"of", "for", "the"})
_NAME_PARTICLES = frozenset({"bin", "ibn", "al", "al-", "el", "de", "del", "der", "van", "von", "da", "di", "du",
                             "dos", "la", "le"})

# Capitalised words that do not make a run a person's name (places, peoples, institutions, dates).
_NOT_NAME = frozenset(w.lower() for w in """
The A An In On At This That These Those However But And As For With While After Before During When Meanwhile
Incidentally Simultaneously Moreover Also Both Then Thus Still Yet If Since Although Though Because So
Today Yesterday Tomorrow Here There It Its We Our They Their He His She Her I You Your My Mine
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August
September October November December
Russia Russian Russians India Indian Indians China Chinese America American Americans United States US USA UK
Britain British Europe European EU Japan Japanese Korea Korean Germany German France French Israel Israeli
Palestine Palestinian Iran Iranian Iraq Iraqi Afghanistan Afghan Pakistan Pakistani Ukraine Ukrainian Belarus
Syria Syrian Turkey Turkish Egypt Egyptian Saudi Arabia Arab Qatar Qatari Lebanon Lebanese Jordan Jordanian
Australia Australian Canada Canadian Mexico Mexican Brazil Brazilian Taiwan Myanmar Burma Ethiopia Ethiopian
Sudan Yemen Libya Venezuela Cuba Haiti Guatemala Honduras Salvador Colombia Nigeria Kenya Somalia Italy
Italian Spain Spanish Poland Polish Greece Greek Ireland Irish Albania Armenia Azerbaijan Georgia Africa
African Asia Asian Pacific Atlantic Arctic Indo-Pacific Middle East West North South Eastern Western Northern
Southern Central Gulf Latin
New Delhi Moscow Beijing Washington London Paris Berlin Tokyo Kabul Islamabad Geneva Brussels Jerusalem
York Kremlin Ladakh Afghanistan
Department Ministry Office Embassy Consulate Mission Government Administration Council Committee Commission
Agency Bureau Group Forum Summit Conference Meeting Dialogue Treaty Agreement Act Program Programme
Initiative Fund Bank Union Nations Organization Organisation Association Party Army Forces Force Navy Court
Parliament Congress Senate House University Institute Center Centre Foundation Partnership Cooperation
News Times Post Express Journal Press Media Daily Herald Tribune Network Corporation Company Inc Ltd
Republic Kingdom Federation Federal National International Global Public Health Security Defense Defence
Affairs Foreign External Strategic Economic Energy Trade Human Rights Climate Development Relations Nuclear
Space Annual Quad NATO Covid COVID-19 COVID Vaccine Bharat Read Leave Published Click Please
""".split())

_TIME_WORDS = frozenset(w.lower() for w in """Monday Tuesday Wednesday Thursday Friday Saturday Sunday Today
Yesterday Tomorrow""".split())
_PRONOUNS = {"he", "she"}
# Case-sensitive: "US" is the country, "us" the pronoun.
_FIRST_PERSON = re.compile(r"\b(?:I|I['’](?:m|ve|ll|d)|[Ww]e|[Ww]e['’](?:re|ve|ll|d)|[Oo]urs?|[Oo]urselves|[Uu]s|"
                           r"[Mm]y|[Mm]e|[Mm]yself|[Mm]ine)\b")

_LABEL = re.compile(r"^((?:[A-Z][A-Z.'’-]*\s+){0,5}[A-Z][A-Z.'’-]*)\s*:\s+\S")
_HONORIFICS = {"MR", "MR.", "MS", "MS.", "MRS", "MRS.", "DR", "DR."}
_GENERIC_ROLES = {"MODERATOR": "the moderator", "OPERATOR": "the operator", "PARTICIPANT": "a participant",
                  "STAFF": "a staff member"}
_QUESTION_LABELS = {"QUESTION", "Q"}
_ROLE_LOWER = {"SENIOR", "ADMINISTRATION", "OFFICIAL", "U.S.", "US"}

_STAGE_DIRECTION = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\.?\s*")
_WORD = re.compile(r"[A-Za-z][\w'’.-]*")
_OPEN = "“"
_CLOSE = "”"
_MASK = "\x00"


# -- public -------------------------------------------------------------------------------------------


def attribute_article(body: str, spans: Sequence[tuple[int, int, str]]) -> list[Attribution]:
    """Attributions for an article's sentences given as (start, end, text) offsets into ``body``,
    in order; a line break between two sentences is a paragraph boundary."""
    new_paragraph = [i == 0 or "\n" in body[spans[i - 1][1]:start] for i, (start, _, _) in enumerate(spans)]
    return attribute([text for _, _, text in spans], new_paragraph)


def attribute(sentences: Sequence[str], new_paragraph: Sequence[bool] | None = None) -> list[Attribution]:
    """One :class:`Attribution` per sentence. ``new_paragraph[i]``: sentence i opens a paragraph
    (transcript labels only count there); default: every sentence does."""
    if new_paragraph is None:
        new_paragraph = [True] * len(sentences)
    labels = [_label(text) if starts else None for text, starts in zip(sentences, new_paragraph)]
    is_transcript = _is_transcript([lab for lab in labels if lab])
    names = _Names.collect(sentences)
    out: list[Attribution] = []
    history: list[_Said] = []
    turn: str | None = None
    open_quote_by: str | None = None  # the speaker of a quotation still open at the end of the last sentence
    for index, text in enumerate(sentences):
        if is_transcript and labels[index]:
            turn = _turn_speaker(labels[index], names)
        if turn is not None and _STAGE_DIRECTION.fullmatch(text):
            out.append(Attribution(None, False))  # "(Applause.)", "(The briefing was concluded at 2:29 p.m.)"
            history.append(_Said(None, ()))
            continue
        if turn is not None:
            out.append(Attribution(turn, True))
            history.append(_Said(turn, names.people_in(text)))
            open_quote_by = None
            continue
        said = _prose(text, index, history, names, open_quote_by)
        out.append(Attribution(said.speaker, said.verbatim))
        history.append(said)
        open_quote_by = said.speaker if _ends_inside_quote(text, open_quote_by is not None) else None
    return out


def first_person(text: str) -> bool:
    """The sentence speaks in the first person (I, we, our, us, my, me) in words that are not
    already put in someone's mouth by the sentence itself: outside quotation marks, or inside a
    quotation the sentence does not attribute (so stating it plainly would misattribute it)."""
    spans = _quote_spans(text, continues_quote=False)
    masked = _masked(text, spans)
    if _FIRST_PERSON.search(masked.replace(_MASK, " ")):
        return True
    if not spans:
        return False
    attributed = any(_speech_subject_in_sentence(masked, span) for span in spans)
    return not attributed and any(_FIRST_PERSON.search(text[a:b]) for a, b in spans)


def quoted_with_speaker(text: str, speaker: str) -> str:
    """``Lavrov said: “We did not discuss …”``: the speaker's own words in quotation marks after
    their name — the quoted parts of a sentence that has them, else the whole sentence without
    its transcript label. Quotation marks already around the whole sentence are not doubled."""
    words = text.strip()
    label = _label(words)
    if label is not None:
        words = words[_LABEL.match(words).end(1):].lstrip(" :")
    if len(words) >= 2 and words[0] in "“\"" and words[-1] in "”\"" and not _quote_spans(words[1:-1], False):
        words = words[1:-1].strip()
    elif _quote_spans(words, False):
        words = verbatim_words(words)
    return f"{speaker} said: “{words}”"


def verbatim_words(text: str) -> str:
    """The words a verbatim sentence quotes: its quoted parts (joined by " … "), or the whole
    sentence when it has none (a transcript turn)."""
    parts = [text[a:b].strip(" ,") for a, b in _quote_spans(text, continues_quote=False)]
    parts = [p for p in parts if p]
    return " … ".join(parts) if parts else text.strip()


# -- transcripts --------------------------------------------------------------------------------------


def _label(text: str) -> str | None:
    match = _LABEL.match(text)
    if not match:
        return None
    label = " ".join(match.group(1).split())
    letters = [ch for ch in label if ch.isalpha()]
    return label if len(letters) >= 1 and (len(label) > 1 or label in _QUESTION_LABELS) else None


def _is_transcript(labels: list[str]) -> bool:
    """Two labelled turns make a transcript; one alone must look like a speaker (a title, an
    honorific or a role), so a dateline such as "NEW DELHI:" does not open a turn."""
    if len(labels) >= 2:
        return True
    return any(_looks_like_speaker(label) for label in labels)


def _looks_like_speaker(label: str) -> bool:
    words = label.split()
    return (label in _QUESTION_LABELS or label in _GENERIC_ROLES or "OFFICIAL" in words
            or words[0] in _HONORIFICS or words[0].lower() in _TITLES)


def _turn_speaker(label: str, names: "_Names") -> str:
    words = label.split()
    if label in _QUESTION_LABELS:
        return QUESTION_SPEAKER
    if label in _GENERIC_ROLES:
        return _GENERIC_ROLES[label]
    if "OFFICIAL" in words:  # "a senior State Department official": a role, not a name
        return "a " + " ".join(w.lower() if w in _ROLE_LOWER else _title_case(w) for w in words)
    if words[0] in _HONORIFICS and len(words) > 1:
        surname = " ".join(_title_case(w) for w in words[1:])
        return names.full_name(surname) or surname
    return " ".join(_title_case(w) for w in words)


def _title_case(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


# -- prose --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Said:
    speaker: str | None
    people: tuple[str, ...]  # persons named in the sentence, in order
    verbatim: bool = False
    is_speech: bool = False  # the speaker was the subject of a verb of speech here


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    name: str  # canonical name
    titles: frozenset[str]
    possessive: bool  # "Lavrov’s visit": named, but not the subject of what follows


class _Names:
    """The people of one article: the name as first written in full for each surname, and the
    titles each was given ("russian", "foreign", "minister")."""

    def __init__(self) -> None:
        self.by_surname: dict[str, str] = {}
        self.titles: dict[str, set[str]] = {}

    @classmethod
    def collect(cls, sentences: Sequence[str]) -> "_Names":
        names = cls()
        for text in sentences:
            masked = _masked(text, _quote_spans(text, continues_quote=False))
            for tokens, title in _runs(masked):
                name = _person_name(tokens, title, masked)
                if name and (title or len(name.split()) >= 2):
                    names._learn(name, title)
        return names

    def _learn(self, name: str, title: frozenset[str]) -> None:
        surname = name.split()[-1].lower()
        full = self.by_surname.setdefault(surname, name)
        if len(name.split()) > len(full.split()) and len(full.split()) == 1:
            self.by_surname[surname] = full = name  # "President Biden" then "Joe Biden": keep the full one
        self.titles.setdefault(full, set()).update(title)

    def full_name(self, name: str) -> str | None:
        return self.by_surname.get(name.split()[-1].lower())

    def people_in(self, text: str) -> tuple[str, ...]:
        masked = _masked(text, _quote_spans(text, continues_quote=False))
        return tuple(m.name for m in self.mentions(masked))

    def mentions(self, masked: str) -> list[_Mention]:
        found = []
        for tokens, title in _runs(masked):
            name = _person_name(tokens, title, masked)
            canonical = self.full_name(name) if name else None
            if canonical:
                possessive = re.search(r"['’]s$", tokens[-1][0]) is not None
                found.append(_Mention(tokens[0][1], tokens[-1][2], canonical, title, possessive))
        return found

    def by_role(self, role_words: list[str], before: list[str]) -> str | None:
        """The most recently named person (``before``: names in article order) who was given
        every one of ``role_words`` as a title."""
        for name in reversed(before):
            if all(w in self.titles.get(name, ()) for w in role_words):
                return name
        return None


def _runs(masked: str) -> list[tuple[list[tuple[str, int, int]], frozenset[str]]]:
    """Runs of capitalised words and titles ("Russian Foreign minister Sergey Lavrov"), each
    split into its name tokens (after the last title) and the lower-cased title words before."""
    tokens = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(masked)]
    runs, current = [], []
    for i, tok in enumerate(tokens):
        word = tok[0]
        gap = masked[current[-1][2]:tok[1]] if current else " "
        joins = gap.strip() == "" and _MASK not in gap
        name_like = word[0].isupper() or word.lower() in _TITLES or (
            word.lower() in _NAME_PARTICLES | _RUN_JOINERS and current)
        if current and joins and name_like:
            current.append(tok)
            continue
        if current:
            runs.append(current)
        current = [tok] if name_like else []
    if current:
        runs.append(current)
    out = []
    for run in runs:
        while run and run[-1][0].lower() in _RUN_JOINERS | _NAME_PARTICLES:
            run = run[:-1]
        last_title = max((i for i, t in enumerate(run) if _bare(t[0]).lower() in _TITLES), default=-1)
        title = frozenset(_bare(t[0]).lower() for t in run[:last_title + 1])
        name = run[last_title + 1:]
        if name:
            out.append((name, title))
    return out


def _bare(word: str) -> str:
    """A token without a possessive or a sentence-final full stop ("Lavrov’s" → "Lavrov")."""
    word = re.sub(r"['’]s$", "", word)
    if word.endswith(".") and len(word) > 2:
        word = word[:-1]
    return word


def _person_name(tokens: list[tuple[str, int, int]], title: frozenset[str], masked: str) -> str | None:
    words = [_bare(t[0]) for t in tokens]
    while words and words[0].lower() in _NOT_NAME and not title:
        words = words[1:]
    while words and words[-1].lower() in _TIME_WORDS:  # "Sergey Lavrov Tuesday"
        words = words[:-1]
    if not words or len(words) > MAX_NAME_TOKENS:
        return None
    if any(w.lower() in _RUN_JOINERS for w in words):
        return None
    if any(w.lower() in _NOT_NAME for w in words):
        return None
    if any(len(w.rstrip(".")) > 1 and w.isupper() for w in words):  # an acronym ("ETV"), not an initial ("J.")
        return None
    if not words[-1][0].isupper() or len(words[-1]) < 2:
        return None
    return " ".join(words)


def _prose(text: str, index: int, history: list[_Said], names: _Names, open_quote_by: str | None) -> _Said:
    spans = _quote_spans(text, continues_quote=open_quote_by is not None)
    masked = _masked(text, spans)
    mentions = names.mentions(masked)
    people = tuple(m.name for m in mentions)
    quote_speakers: list[str | None] = []  # one per quotation attached to a verb of speech
    for span in spans:
        if span[0] == 0 and open_quote_by is not None and not _attached_after(masked, span):
            quote_speakers.append(open_quote_by)  # the rest of a quotation opened in an earlier sentence
            continue
        verb = _verb_for(masked, span)
        if verb:  # a quotation with no verb of speech is a term in the reporter's words ("the “resilient” ground")
            quote_speakers.append(_subject(masked, verb, mentions, history, names))
    if spans and not quote_speakers and _PARTICIPLE_OPENING.match(masked):
        speaker = _sole_recent_speaker(history, people)
        return _Said(speaker, people, verbatim=speaker is not None, is_speech=speaker is not None)
    if spans:
        if quote_speakers and None not in quote_speakers and len(set(quote_speakers)) == 1:
            return _Said(quote_speakers[0], people, verbatim=True, is_speech=True)
        return _Said(None, people)  # unattributable, or several speakers in one sentence: no guess
    for verb in _speech_verbs(masked, masked):
        speaker = _subject(masked, verb, mentions, history, names)
        if speaker:
            return _Said(speaker, people, is_speech=True)
    return _Said(None, people)


# "Responding to a question on …, “…”": the quotation's speaker is the participle's unstated subject.
_PARTICIPLE_OPENING = re.compile(r"\s*(?:Responding|Answering|Replying|Reacting|Asked|Speaking|Commenting)\b")
DANGLING_QUOTE_LOOKBACK_SENTENCES = 8


def _sole_recent_speaker(history: list[_Said], people: tuple[str, ...]) -> str | None:
    """The last person quoted in the few sentences before, if no one else is named since (nor in
    the sentence itself): the only person the unstated subject can be. Otherwise no one."""
    named_since: set[str] = set(people)
    for said in reversed(history[-DANGLING_QUOTE_LOOKBACK_SENTENCES:]):
        if said.verbatim and said.speaker:
            return said.speaker if named_since <= {said.speaker} else None
        named_since.update(said.people)
    return None


def _quote_spans(text: str, continues_quote: bool) -> list[tuple[int, int]]:
    """(start, end) of the words inside quotation marks. A quotation left open runs to the end of
    the sentence; a closing mark with no opening one closes a quotation from an earlier sentence
    when one is open (``continues_quote``) and is a stray mark otherwise."""
    spans: list[tuple[int, int]] = []
    opened: int | None = 0 if continues_quote else None
    straight_open = continues_quote
    for i, ch in enumerate(text):
        if ch == _OPEN and opened is None:
            opened = i + 1
            straight_open = False
        elif ch == _CLOSE and opened is not None and not straight_open:
            spans.append((opened, i))
            opened = None
        elif ch == '"':
            if opened is None:
                opened, straight_open = i + 1, True
            elif straight_open or (continues_quote and not spans):
                spans.append((opened, i))
                opened, straight_open = None, False
        elif ch == _CLOSE and opened == 0 and continues_quote and not spans:
            spans.append((0, i))
            opened = None
    if opened is not None and opened < len(text):
        spans.append((opened, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip(" ,.")]


def _ends_inside_quote(text: str, continues_quote: bool) -> bool:
    spans = _quote_spans(text, continues_quote)
    if not spans or spans[-1][1] != len(text):
        return False
    return text.rstrip()[-1:] not in "”\""


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """The sentence with quoted words blanked out (same length), so only the reporter's words
    are searched for verbs and names."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = _MASK * (b - a)
    return "".join(chars)


_TAIL = re.compile(r"^[\s,.;:!?…”\"'’)\-–—]*((?:[\w'’.-]+\s+){0,6}?)(" + _SPEECH.pattern + r")",
                   re.IGNORECASE)


def _attached_after(masked: str, span: tuple[int, int]) -> re.Match | None:
    """'“…,” Lavrov said' / '“…”, said Lavrov': a verb of speech within a few words after the
    quotation, before any other clause begins."""
    tail = masked[span[1]:]
    match = _TAIL.match(tail)
    if not match or _MASK in match.group(0):
        return None
    between = match.group(1).lower().split()
    if any(w in {"while", "and", "but", "as", "when", "which", "who", "that", "because"} for w in between):
        return None
    return match


@dataclass(frozen=True)
class _Verb:
    start: int
    end: int
    after_quote: bool  # the inverted "…,” said Lavrov" order is possible


def _verb_for(masked: str, span: tuple[int, int]) -> _Verb | None:
    after = _attached_after(masked, span)
    if after:
        return _Verb(span[1] + after.start(2), span[1] + after.end(2), after_quote=True)
    before = _speech_verbs(masked[:span[0]], masked)
    if before:
        return _Verb(before[-1].start(), before[-1].end(), after_quote=False)
    return None


def _speech_verbs(text: str, masked: str) -> list[re.Match]:
    """Verbs of speech in ``text`` (a prefix of ``masked``), without passives ("announced by the
    United States"), whose subject is not the speaker."""
    return [m for m in _SPEECH.finditer(text) if not re.match(r"\s+by\b", masked[m.end():])]


def _speech_subject_in_sentence(masked: str, span: tuple[int, int]) -> bool:
    """Whether the sentence itself names someone (or "he"/"she") as the speaker of ``span``."""
    verb = _verb_for(masked, span)
    if not verb:
        return False
    left = masked[:verb.start]
    right = masked[verb.end:verb.end + 80]
    person = re.compile(r"\b(?:he|she|they|[A-Z][\w'’.-]+)\b")
    return bool(person.search(left.replace(_MASK, " "))) or (verb.after_quote and bool(person.search(right)))


def _subject(masked: str, verb, mentions: list[_Mention], history: list[_Said], names: _Names) -> str | None:
    """The speaker of a verb of speech: the person or pronoun just after it in the inverted order
    ("…,” said Lavrov" / "according to Lavrov"), else the person, pronoun or role before it in its clause."""
    start, end = (verb.start, verb.end) if isinstance(verb, _Verb) else (verb.start(), verb.end())
    verb_text = masked[start:end].lower()
    inverted_ok = verb_text.startswith("according") or (isinstance(verb, _Verb) and verb.after_quote)
    if inverted_ok:
        right = masked[end:]
        lead = re.match(r"^[\s,]*(?:the\s+)?", right)
        after = right[lead.end():]
        pronoun = re.match(r"^(he|she)\b", after, re.IGNORECASE)
        if pronoun:
            return _resolve_pronoun(masked[:start], mentions, history)
        for m in mentions:
            if start < m.start and masked[end:m.start].strip(" ,").replace(_MASK, "") == "" or (
                    m.start > end and _only_titles(masked[end:m.start])):
                return m.name
        if verb_text.startswith("according"):
            return None
    # The subject stands before the verb, in the same clause.
    region_start = max(masked.rfind(ch, 0, start) for ch in (_MASK, ";", "—", "–")) + 1
    region = [m for m in mentions if region_start <= m.start and m.end <= start and not m.possessive]
    if region and re.fullmatch(r"[\s,]*", masked[region_start:region[0].start]) \
            and masked[region[0].end:start].lstrip().startswith(",") and masked[:start].rstrip().endswith(","):
        # "Lavrov, responding to a question on …, said": the clause-opening subject, not the names in the aside.
        return region[0].name
    clause_start = region_start
    for conj in re.finditer(r"\b(?:while|whereas|but|and|because)\b", masked[region_start:start]):
        clause_start = region_start + conj.end()
    clause = masked[clause_start:start]
    before = [m for m in region if m.start >= clause_start]
    if before and _joined_to_another(masked, before[-1], mentions):
        return None  # "Jaishankar and Lavrov clarified": several speakers
    if before:
        return before[-1].name
    words = clause.split()
    if words and words[-1].lower() in _PRONOUNS | {"he,", "she,"}:
        return _resolve_pronoun(masked[:start], mentions, history)
    pron = re.search(r"\b(he|she)\b(?:\s+\w+){0,3}\s*$", clause, re.IGNORECASE)
    if pron:
        return _resolve_pronoun(masked[:start], mentions, history)
    role = re.search(r"\b((?:[A-Za-z-]+\s+){0,2})(" + "|".join(sorted(_ROLE_NOUNS)) + r")\b\s*(?:\w+\s+){0,2}$",
                     clause, re.IGNORECASE)
    if role and re.search(r"\b(?:and|&)\s+(?:the\s+)?$", masked[region_start:clause_start + role.start(1)]):
        return None  # "The Deputy Secretary and the Vice Foreign Minister reaffirmed": several speakers
    if role:
        modifiers = [w.lower() for w in role.group(1).split() if w.lower() not in {"the", "a", "an", "visiting"}]
        earlier = [name for said in history for name in said.people]
        return names.by_role([role.group(2).lower(), *modifiers], earlier)
    return None


def _joined_to_another(masked: str, mention: _Mention, mentions: list[_Mention]) -> bool:
    """A coordinated subject: "Jaishankar and Lavrov", "Deputy Secretary Sherman and Foreign
    Minister Francis", "The Secretary and President Ghani"."""
    words = masked[max(0, mention.start - 200):mention.start].split()
    while words and (words[-1][0].isupper() or words[-1].lower().rstrip(".") in _TITLES | {"the"}):
        words.pop()  # the titles of the second subject: "and Cabinet Secretary", "and the Foreign Minister"
    if not words or words[-1] not in {"and", "&"}:
        return False
    cut = masked.rfind(" " + words[-1] + " ", 0, mention.start)
    before = masked[:cut].rstrip() if cut >= 0 else ""
    return (any(other.end == len(before) for other in mentions)
            or re.search(r"\b(?:" + "|".join(sorted(_ROLE_NOUNS)) + r")$", before, re.IGNORECASE) is not None)


_ROLE_NOUNS = {"minister", "secretary", "president", "spokesperson", "spokesman", "spokeswoman", "ambassador",
               "envoy", "diplomat", "official", "chancellor", "premier", "senator", "governor", "expert",
               "analyst", "coordinator", "director", "counterpart"}


def _only_titles(text: str) -> bool:
    words = [w for w in re.findall(r"[\w'’.-]+", text)]
    return all(w.lower() in _TITLES | _RUN_JOINERS or w.lower() in _NOT_NAME for w in words) and len(words) <= 6


def _resolve_pronoun(left: str, mentions: list[_Mention], history: list[_Said]) -> str | None:
    """"he"/"she": a person named earlier in the same sentence, else the speaker of one of the
    last few sentences, else the first person named in the nearest of them that names anyone."""
    in_sentence = [m for m in mentions if m.end <= len(left)]
    if in_sentence:
        return in_sentence[0].name
    recent = history[-PRONOUN_LOOKBACK_SENTENCES:]
    for said in reversed(recent):
        if said.speaker and said.is_speech and not said.speaker[:1].islower():
            return said.speaker
    for said in reversed(recent):
        if said.people:
            return said.people[0]
    return None
