"""What a question pins its answer to (summarizer/retrieval/constraints.py), read from the
question alone: no corpus, no model."""

from __future__ import annotations

import datetime as dt

import pytest

from summarizer.retrieval.constraints import (
    Entity, expand_shorthand, has_figure, periods_in, read_constraints, states_answer_kind, term_known,
)


def read(question: str, cased=frozenset(), known=frozenset({"said", "say", "minister", "budget"})):
    return read_constraints(question, corpus_cased=set(cased), corpus_known=set(known))


@pytest.mark.parametrize("text, start, end", [
    ("on August 15, 2021", dt.date(2021, 8, 15), dt.date(2021, 8, 15)),
    ("on 15 August 2021", dt.date(2021, 8, 15), dt.date(2021, 8, 15)),
    ("on july 22 2021", dt.date(2021, 7, 22), dt.date(2021, 7, 22)),
    ("in September 2021", dt.date(2021, 9, 1), dt.date(2021, 9, 30)),
    ("in 2017", dt.date(2017, 1, 1), dt.date(2017, 12, 31)),
    ("Sept. 2021", dt.date(2021, 9, 1), dt.date(2021, 9, 30)),
])
def test_days_months_and_years_are_read_as_periods(text, start, end):
    periods, rest = periods_in(text)
    assert [(p.start, p.end) for p in periods] == [(start, end)]
    assert not any(ch.isdigit() for ch in rest)


def test_a_budget_name_is_not_a_year():
    assert periods_in("the FY2022 budget")[0] == []


def test_a_day_without_a_year_takes_the_articles_year():
    (period,), _ = periods_in("They met on June 9.", default_year=2021)
    assert period.start == dt.date(2021, 6, 9) and period.year_known


def test_a_report_is_on_time_during_the_period_or_the_week_after():
    (day,), _ = periods_in("August 14, 2021")
    assert day.reported_on(dt.date(2021, 8, 14)) and day.reported_on(dt.date(2021, 8, 21))
    assert not day.reported_on(dt.date(2021, 8, 13)) and not day.reported_on(dt.date(2021, 8, 22))


def test_chat_shorthand_is_expanded_before_reading():
    assert expand_shorthand("whats the latest abt iran n the us") == "what is the latest about iran and the us"


def test_names_are_found_without_capitals_when_the_corpus_writes_them_capitalised():
    chat = read("who did belarus arrest in minsk", cased={"belarus", "minsk"}, known={"belarus", "minsk", "arrest"})
    assert [e.text for e in chat.entities] == ["belarus", "minsk"]


def test_a_word_the_corpus_has_never_seen_is_a_constraint_unless_it_is_common_english():
    c = read("what did macron say about the quad originally", known={"quad", "say"})
    assert "macron" in c.unknown and "originally" not in c.unknown
    assert any(e.text == "macron" for e in c.entities)


def test_an_unknown_word_is_never_passed_over_as_part_of_a_known_name():
    c = read("Which Ecuadorian ISIS-GS leader was designated?", known={"isis-gs", "leader", "designated"})
    assert [e.text for e in c.entities] == ["Ecuadorian", "ISIS-GS"]


def test_a_name_of_several_words_is_found_by_its_last_word_and_half_of_it():
    assert Entity(("Secretary", "Blinken"), "Secretary Blinken").found_in({"blinken"})
    assert not Entity(("Secretary", "Blinken"), "Secretary Blinken").found_in({"secretary"})
    assert Entity(("fy", "2022"), "fy2022").found_in({"fy2022"})


@pytest.mark.parametrize("asked, written, same", [
    ("Chinese", "china", True), ("Cuban", "cuba", True), ("Belarusian", "belarus", True),
    ("Iran", "iraq", False), ("Austria", "australia", False),
])
def test_a_countrys_adjective_is_the_country(asked, written, same):
    assert term_known(asked, {written}) is same


@pytest.mark.parametrize("question, kind", [
    ("Who won Mongolia's presidential election?", "name"),
    ("Which country's government did Blinken thank?", "country"),
    ("what countries did the fm visit", "country"),
    ("Which minister did Blinken thank?", "name"),
    ("How much did the budget request?", "figure"),
    ("how complete was the pipeline", "figure"),
    ("When was the meeting originally slotted?", "time"),
    ("What did Lavrov say about the Quad?", "words"),
    ("What is India's approach to alliances?", None),
])
def test_the_kind_of_answer_asked_for(question, kind):
    assert read(question).answer_kind == kind


def test_an_answer_states_the_kind_asked_only_with_something_new():
    question_forms = {"who", "won", "mongolia", "election"}
    assert states_answer_kind("name", "We congratulate Ukhnaa Khurelsukh on his election.", question_forms)
    assert not states_answer_kind("name", "We congratulate Mongolia on its election.", question_forms)
    assert not states_answer_kind("name", "The United States congratulates Mongolia.", question_forms,
                                  background={"united", "states"})
    assert has_figure("more than 500 million doses") and has_figure("two million")
    assert not has_figure("a large share of doses")


def test_only_a_country_the_question_does_not_name_answers_which_country():
    question = read("Which country's government did Blinken thank for Azerbaijan's release of Armenian detainees?")
    assert question.countries == {"Azerbaijan", "Armenia"}

    def answers(sentence: str, background=frozenset()) -> bool:
        return states_answer_kind("country", sentence, set(), background, question.countries)

    assert answers("The Secretary thanked the Government of Georgia for its help.")
    assert answers("He thanked the Georgian prime minister.")  # the adjective names the country
    assert not answers("The Secretary congratulated Armenia on its elections, as did the OSCE.")
    assert not answers("He thanked Prime Minister Garibashvili.")  # a name, but no country
    assert not answers("The United States thanked Georgia.", background={"Georgia", "United States"})


@pytest.mark.parametrize("question, occasion, reported, not_reported", [
    ("Which country situations did Jaishankar and Lavrov discuss during Lavrov's Delhi visit?",
     "Lavrov's Delhi visit", "Lavrov visited New Delhi", "Lavrov and Jaishankar spoke by phone"),
    ("what did blinken n ramirez discuss during their call", "their call",
     "Blinken spoke today with Ramirez", "Blinken met with Ramirez at the Department"),
    ("What did Xi Jinping say at the G20 summit?", "the G20 summit", "the summit in Rome", "a meeting in Rome"),
])
def test_the_occasion_a_question_names_is_a_constraint(question, occasion, reported, not_reported):
    from summarizer.text import word_forms

    [asked] = read(question).occasions
    assert asked.text == occasion
    assert asked.found_in(word_forms(reported))
    assert not asked.found_in(word_forms(not_reported))


def test_a_question_without_an_occasion_has_none():
    assert read("What did Lavrov say about the Quad at all?").occasions == ()
    assert read("Who did Blinken call in Haiti?").occasions == ()


def test_a_name_typed_without_its_accents_is_the_same_name():
    from summarizer.text import word_forms

    assert term_known("Ramirez", word_forms("Marta Lucía Ramírez met the Secretary"))
    assert term_known("Ramírez", word_forms("Marta Lucia Ramirez"))
    assert not term_known("Ramos", word_forms("Marta Lucía Ramírez"))
