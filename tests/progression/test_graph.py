"""The shipped progression: shape, invariants, queries, the seed's fractions chain."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sounding.errors import InvalidFramework, NotFound
from sounding.progression import Standard, StandardsGraph, grade_number, load_default


@pytest.fixture(scope="module")
def g() -> StandardsGraph:
    return load_default()


def test_counts_match_the_coherence_map(g):
    s = g.stats()
    assert s["nodes"] == 480
    assert s["edges_substandard_level"] == 757
    assert s["edges_crossing_grades"] == 370 and s["edges_within_grade"] == 387
    assert s["standards"] + s["substandards"] == 480


def test_every_edge_goes_to_same_or_later_grade_and_graph_is_a_dag(g):
    for level in ("standard", "substandard"):
        order = {c: i for i, c in enumerate(g.topological_order(level))}
        for a, b in g.edges(level):
            assert g[a].grade_num <= g[b].grade_num, (a, b)
            assert order[a] < order[b], (a, b)


def test_fifth_grade_fraction_addition_rests_on_fourth_and_third_grade(g):
    assert g.prerequisites("5.NF.A.1") == ["4.NF.A.1", "4.NF.B.3"]
    everything = g.prerequisites("5.NF.A.1", transitive=True)
    assert {"3.NF.A.1", "3.NF.A.3"} <= set(everything)
    below = g.below_grade_foundations("5.NF.A.1")
    assert all(g[c].grade_num < 5 for c in below)
    assert "4.NF.A.1" in below


@pytest.mark.parametrize(
    "earlier, later",
    [("1.G.A.3", "3.NF.A.3"), ("3.NF.A.3", "5.NF.A.1"), ("5.NF.A.1", "A-APR.D.7")],
)
def test_seed_fractions_example_is_a_chain(g, earlier, later):
    chain = g.chain(earlier, later)
    assert chain is not None and chain[0] == earlier and chain[-1] == later
    for a, b in zip(chain, chain[1:], strict=False):
        assert a in g.prerequisites(b)
    assert g.path_exists("1.G.A.3", "A-APR.D.7")


def test_rollup_gives_standards_their_substandards_edges(g):
    assert g.prerequisites("7.NS.A.1", level="substandard") == []  # as published
    assert "5.NF.A.1" in g.prerequisites("7.NS.A.1d", level="substandard")
    assert g.prerequisites("7.NS.A.1") != []  # after roll-up
    assert g.rollup("4.NF.B.3a") == "4.NF.B.3"
    assert "4.NF.B.3a" in g.children("4.NF.B.3")
    assert "5.NF.A.1" in g.successors("4.NF.B.3")
    assert "4.NF.B.3a" not in g.standard_codes


def test_algebra1_set_and_k8_subgraph(g):
    alg = set(g.algebra1_codes)
    assert "A-REI.B.3" in alg and "F-IF.A.1" in alg and "G-CO.A.1" not in alg
    k = g.k8_algebra1()
    assert all(k[c].grade_num < 9 or k[c].is_algebra1 for c in k.codes)
    assert 280 <= len(k.standard_codes) <= 300
    # reachability is kept when nodes are dropped
    assert k.path_exists("3.NF.A.1", "5.NF.A.1")


def test_strands_and_grades(g):
    assert g["4.NF.A.1"].strand == "fractions"
    assert g["6.EE.A.1"].strand == "algebraic"
    assert set(g.grade_codes(4)) == {c for c in g.standard_codes if g[c].grade == "4"}
    assert grade_number("KG") == 0 and grade_number("04") == 4 and grade_number("HS") == 9


def test_unknown_code_is_not_found(g):
    with pytest.raises(NotFound, match="unknown standard '9.XX'"):
        g["9.XX"]


def _std(code, grade, parent=None):
    return Standard(code=code, grade=grade, domain_code="X", parent=parent)


def test_backward_grade_edge_is_rejected():
    with pytest.raises(InvalidFramework, match="edges must go to the same or a later grade"):
        StandardsGraph([_std("a", "5"), _std("b", "3")], [("a", "b")])


def test_cycle_is_rejected_with_the_cycle_named():
    nodes = [_std("a", "3"), _std("b", "3"), _std("c", "3")]
    with pytest.raises(InvalidFramework, match="cycle") as exc:
        StandardsGraph(nodes, [("a", "b"), ("b", "c"), ("c", "a")])
    rotations = ("a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c")
    assert any(r in str(exc.value) for r in rotations), str(exc.value)


def test_cycle_created_by_rollup_is_rejected():
    nodes = [_std("4.X.A.1", "4"), _std("4.X.A.1a", "4", "4.X.A.1"), _std("4.X.A.2", "4")]
    with pytest.raises(InvalidFramework, match="standard level"):
        StandardsGraph(nodes, [("4.X.A.1a", "4.X.A.2"), ("4.X.A.2", "4.X.A.1")])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_transitive_prerequisites_are_closed_and_ordered(g, data):
    code = data.draw(st.sampled_from(g.standard_codes))
    pre = set(g.prerequisites(code, transitive=True))
    assert code not in pre
    for p in pre:
        assert set(g.prerequisites(p, transitive=True)) <= pre
        assert code in g.successors(p, transitive=True)
