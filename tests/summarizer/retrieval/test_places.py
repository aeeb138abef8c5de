"""Which words name a country (summarizer/retrieval/places.py): ISO names, the names news uses,
and adjectives, written as names are."""

from __future__ import annotations

import pytest

from summarizer.retrieval.places import countries_stated


@pytest.mark.parametrize("text, countries", [
    ("the situation in Afghanistan and Myanmar", {"Afghanistan", "Myanmar"}),
    ("The Secretary thanked the Government of Georgia.", {"Georgia"}),
    ("Russian FM Lavrov met U.S. officials", {"Russian Federation", "United States"}),  # news names, adjectives
    ("talks in South Sudan", {"South Sudan"}),  # the longest name, not "Sudan" inside it
    ("the Republic of Korea and North Korea", {"Korea, Republic of", "Korea, Democratic People's Republic of"}),
    ("Afghan refugees reached Britain", {"Afghanistan", "United Kingdom"}),
    ("Côte d'Ivoire and Viet Nam", {"Côte d'Ivoire", "Viet Nam"}),
    ("They ate turkey with us and chad.", set()),  # not written as names
    ("Syrian Arab Republic", {"Syrian Arab Republic"}),
])
def test_countries_are_read_by_name_or_adjective(text, countries):
    assert countries_stated(text) == countries


def test_questions_typed_in_lower_case_still_name_their_countries():
    assert countries_stated("did georgia help armenian detainees", any_case=True) == {"Georgia", "Armenia"}
    assert countries_stated("tell us what happened", any_case=True) == set()  # "us" is not the US
