from summarizer.answering.verify import check_answer

EVIDENCE = [
    "Jaishankar called the cooperation “energetic and forward looking” while Lavrov said bilateral ties were "
    "“valuable, mutually respectful”.",
    "The meeting was initially slotted for last November but was put off for a variety of reasons.",
    "Russia's trade with India reached $13 billion in 2021.",
]


def verdicts(answer: str) -> list[tuple[str, bool]]:
    return [(c.text, c.supported) for c in check_answer(answer, EVIDENCE)]


def test_true_cited_sentence_stands():
    [(text, ok)] = verdicts("Jaishankar called the cooperation “energetic and forward looking” [1].")
    assert ok and "[1]" not in text


def test_fabricated_number_is_removed():
    [(_, ok)] = verdicts("Trade reached $14 billion in 2021 [3].")
    assert not ok


def test_true_number_stays():
    [(_, ok)] = verdicts("Trade between Russia and India reached $13 billion in 2021 [3].")
    assert ok


def test_fabricated_name_is_removed():
    [(_, ok)] = verdicts("Blinken called the cooperation energetic and forward looking [1].")
    assert not ok


def test_name_from_uncited_evidence_does_not_count():
    [(_, ok)] = verdicts("The meeting with Lavrov was initially slotted for last November [2].")
    assert not ok


def test_invented_quotation_is_removed():
    [(_, ok)] = verdicts("Lavrov said the ties were “the best they have ever been” [1].")
    assert not ok


def test_uncited_sentence_is_dropped_unless_it_restates_one_evidence_sentence():
    [(_, restated)] = verdicts("The meeting was initially slotted for last November.")
    [(_, loose)] = verdicts("Relations are improving.")
    assert restated and not loose


def test_citation_to_missing_evidence_counts_as_no_citation():
    [(_, ok)] = verdicts("Everything is fine [9].")
    assert not ok


def test_each_sentence_is_judged_on_its_own():
    results = verdicts("The meeting was initially slotted for last November [2]. It was held in Paris [2].")
    assert [ok for _, ok in results] == [True, False]


def test_details_spliced_from_two_cited_sentences_are_removed():
    evidence = [
        "This is not the first time that Lavrov has expressed his apprehension about the Quad.",
        "Chinese Foreign minister Wang Yi has called Quad the “Indo-Pacific NATO” in the past.",
    ]
    [spliced] = check_answer("Lavrov called the Quad the “Indo-Pacific NATO” [1][2].", evidence)
    [honest] = check_answer("Wang Yi has called the Quad the “Indo-Pacific NATO” [1][2].", evidence)
    assert not spliced.supported
    assert honest.supported and honest.cites == (2,)


def test_wrongly_cited_claim_is_recited_to_its_source():
    [claim] = check_answer("The meeting was initially slotted for last November [1].", EVIDENCE)
    assert claim.supported and claim.cites == (2,)


def test_the_sources_own_date_and_headline_support_a_claim():
    evidence = ["The Treasury designated the minister for the repression of protests."]
    claim = "The minister was designated on July 22, 2021 [1]."
    [without] = check_answer(claim, evidence)
    [with_date] = check_answer(claim, evidence, ["Sanctioning Cuban Security Forces July 22, 2021"])
    assert not without.supported and with_date.supported


MEANING_EVIDENCE = [
    "India and Russia are not doing joint military exercises this year, the ministry said.",
    "The Secretary may travel to Cairo next week to meet President el-Sisi.",
    "The Deputy Secretary will meet with Japanese officials in Tokyo to discuss climate and health security.",
]


def test_flipped_negation_is_dropped_though_every_name_is_cited():
    # The example: names and citation intact, meaning reversed.
    [claim] = check_answer("India and Russia are doing joint military exercises this year [1].", MEANING_EVIDENCE)
    assert not claim.supported and "negates" in claim.problem


def test_hedge_and_tense_flips_are_dropped():
    [asserted] = check_answer("The Secretary will travel to Cairo next week to meet President el-Sisi [2].",
                              MEANING_EVIDENCE)
    [done] = check_answer("The Deputy Secretary met with Japanese officials in Tokyo [3].", MEANING_EVIDENCE)
    assert not asserted.supported and not done.supported


def test_a_flipped_claim_is_not_recited_to_the_sentence_it_contradicts():
    [claim] = check_answer("India and Russia are doing joint military exercises this year [2].", MEANING_EVIDENCE)
    assert not claim.supported


def test_a_copy_of_its_evidence_needs_no_judge_and_a_rewording_does():
    [copy] = check_answer("The Deputy Secretary will meet with Japanese officials in Tokyo [3].", MEANING_EVIDENCE)
    [reworded] = check_answer("Japanese officials will host the Deputy Secretary in Tokyo for talks [3].",
                              MEANING_EVIDENCE)
    assert copy.supported and not copy.needs_judge
    assert reworded.supported and reworded.needs_judge


def test_faithful_report_of_a_negation_stands():
    [claim] = check_answer("The ministry said India and Russia are not doing joint military exercises [1].",
                           MEANING_EVIDENCE)
    assert claim.supported and not claim.needs_judge
