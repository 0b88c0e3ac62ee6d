"""The diagnostic engine: sessions that resume, an exact look-ahead, placements against truth."""

from __future__ import annotations

import pandas as pd
import pytest

from sounding.diagnostic import DiagnosticEngine, DiagnosticSession, default_model
from sounding.diagnostic.placement import entropy
from sounding.diagnostic.simulate import run_students, true_buckets
from sounding.diagnostic.students import students_from_district, truth_frame
from sounding.errors import InvalidInput
from sounding.items import ItemBank
from sounding.mastery.pipeline import cap_strand_ends
from sounding.mastery.profile import compute_icebergs
from sounding.simulate import DistrictSpec, simulate_district


@pytest.fixture(scope="module")
def engine() -> DiagnosticEngine:
    return DiagnosticEngine(default_model(), ItemBank.default())


@pytest.fixture(scope="module")
def students():
    d = simulate_district(DistrictSpec(n_students=60, seed=11))
    return students_from_district(d, rng_seed=11)


def test_a_test_ends_within_25_items_and_refuses_out_of_turn_answers(engine, students):
    st = students[0]
    s = engine.start(st.student_id, st.grade)
    item = engine.next_item(s)
    assert engine.next_item(s) == item  # the pending item is served again, not a new one
    with pytest.raises(InvalidInput):
        engine.answer(s, "K.CC.A.1/1~1", "3")
    engine.run(s, st.respond)
    assert s.done and 1 <= s.n_answered <= 25 and s.pending is None
    with pytest.raises(InvalidInput):
        engine.answer(s, "K.CC.A.1/1~1", "3")
    res = engine.result(s).to_dict()
    assert res["n_items"] == s.n_answered
    assert len(res["mastery"]) == 288
    assert {p["strand"] for p in res["placements"]} == set(engine.placement.strands)


def test_a_session_resumes_from_its_json_with_the_same_items_and_result(engine, students):
    for st in (s for s in students if s.grade >= 3):
        whole = engine.start(st.student_id, st.grade, session_id="whole")
        engine.run(whole, st.respond)
        if whole.n_answered > 6:
            break
    # the same answers, interrupted after 5 items and resumed in a fresh engine from JSON
    part = engine.start(st.student_id, st.grade, session_id="whole")
    engine.forget(part)
    answers = iter([a.response for a in whole.answers])
    for _ in range(5):
        it = engine.next_item(part)
        engine.answer(part, it.item_id, next(answers))
    text = part.to_json()
    fresh = DiagnosticEngine(default_model(), ItemBank.default())
    resumed = DiagnosticSession.from_json(text)
    item = fresh.next_item(resumed)
    while item is not None:
        item = fresh.answer(resumed, item.item_id, next(answers)).next_item
    assert [a.item_id for a in resumed.answers] == [a.item_id for a in whole.answers]
    a, b = fresh.result(resumed).to_dict(), engine.result(whole).to_dict()
    assert a["placements"] == b["placements"] and a["mastery"] == b["mastery"]
    with pytest.raises(InvalidInput):
        DiagnosticSession.from_json("{not json")
    with pytest.raises(InvalidInput):
        DiagnosticSession.from_json('{"version": 1}')


def test_look_ahead_equals_the_real_update(engine, students,
                                           assert_look_ahead_is_the_real_update):
    """The expected-entropy look-ahead predicts exactly the posterior an answer produces."""
    st = [s for s in students if s.grade >= 4][1]
    assert_look_ahead_is_the_real_update(engine, st, 4, 7, "entropy", entropy)


def test_true_placement_matches_the_iceberg_profile_on_truth(engine, students):
    """The engine's placement definition is the profile's (with the strand-end rule)."""
    truth = truth_frame(students)
    grades = pd.DataFrame({"student_id": [s.student_id for s in students],
                           "grade": [s.grade for s in students]})
    prof = cap_strand_ends(compute_icebergs(truth, grades, engine.model.graph),
                           engine.model.graph).strands
    for st in students:
        mine = true_buckets(engine, st)
        rows = prof[prof["student_id"] == st.student_id].set_index("strand")
        for s, b in mine.items():
            gb = int(rows.loc[engine.placement.strands[s], "grades_below"])
            assert b == min(gb, 3), (st.student_id, s)


def test_placements_are_accurate_against_the_truth(engine, students):
    """Measured on 60 simulated students (seed 11): see notes/diagnostic.md for 2,000."""
    rep = run_students(engine, students[:40])
    s = rep.summary()
    assert s["items_p95"] <= 25
    assert s["exact_placement"] >= 0.8, s
    assert s["curve"]["0"] < s["exact_placement"] - 0.2  # the answers, not the prior, place


def test_kindergarten_gets_a_short_check_of_its_own_grade(engine, students):
    import random

    from sounding.diagnostic.students import SimulatedStudent

    st = SimulatedStudent("k-1", 0, students[0].mastered, random.Random(0))
    s = engine.start(st.student_id, st.grade)
    engine.run(s, st.respond)
    assert 1 <= s.n_answered <= 10
    assert all(engine.model.graph[a.standard].grade_num == 0 for a in s.answers)


def test_selection_rules_all_run(students):
    for strategy in ("variance", "half", "random"):
        eng = DiagnosticEngine(default_model(), ItemBank.default(), strategy=strategy,
                               max_items=6)
        s = eng.start(students[3].student_id, students[3].grade)
        eng.run(s, students[3].respond)
        assert s.n_answered <= 6
    with pytest.raises(InvalidInput):
        DiagnosticEngine(default_model(), ItemBank.default(), strategy="psychic")


def test_no_strand_is_placed_on_the_prior_alone(engine):
    """A young student who answers the first item right used to be placed "on grade" in every
    strand after one item (the prior alone was 90% sure); every placed strand now rests on at
    least one answer of its own, and the graph-model engine without the rule still stops
    after one or two (the level model's prior is less sure: it asks more)."""
    strand_of = dict(zip(engine.codes, engine.placement.sidx, strict=True))
    for grade in (2, 3):
        for eng in (engine, DiagnosticEngine(engine.model, engine.bank, min_per_strand=0,
                                             levels=None)):
            s = eng.start(f"g{grade}-{eng.min_per_strand}", grade)
            while (item := eng.next_item(s)) is not None:
                eng.answer(s, item.item_id, item.key)
            placed = {p.strand for p in eng.result(s).placements if p.label != "n/a"}
            asked = {eng.placement.strands[strand_of[a.standard]] for a in s.answers}
            if eng.min_per_strand:
                assert placed and placed <= asked, (grade, placed - asked)
            else:
                assert s.n_answered <= 2
    with pytest.raises(InvalidInput):
        DiagnosticEngine(engine.model, engine.bank, min_per_strand=-1)
