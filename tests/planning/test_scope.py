"""Scope and sequence: the shipped default, the reader's errors, the next unit."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from sounding.errors import InvalidData
from sounding.planning import build_default_scope, default_scope_sequence, read_scope_sequence
from sounding.planning.scope import default_scope_path


def test_shipped_default_is_what_the_builder_makes():
    shipped = pd.read_csv(default_scope_path(), dtype=str, keep_default_na=False)
    built = build_default_scope()
    pd.testing.assert_frame_equal(shipped, built.astype(str))


def test_default_covers_k8_and_algebra1_once(graph):
    scope = default_scope_sequence()
    t = scope.table
    assert sorted(t["grade"].unique()) == list(range(10))
    wanted = {c for c in graph.standard_codes if graph[c].grade_num < 9} | set(
        graph.algebra1_codes)
    assert set(t["standard"]) == wanted and not t["standard"].duplicated().any()


def test_default_units_come_after_what_they_rest_on(graph):
    scope = default_scope_sequence()
    for g in scope.grades:
        pos = {c: k for k, u in enumerate(scope.units(g)) for c in u.standards}
        for c, k in pos.items():
            for p in graph.prerequisites(c):
                if p in pos:
                    assert pos[p] <= k, (p, c)


def test_next_unit_and_year_alignment():
    scope = default_scope_sequence()
    units = scope.units(4)
    second = units[1]
    day = second.start_date
    assert scope.next_unit(4, day).unit_id == second.unit_id
    assert scope.next_unit(4, units[0].start_date.replace(day=units[0].start_date.day + 1)
                           ).unit_id == second.unit_id
    # the same day two school years later maps onto the same unit, dates moved along
    later = scope.next_unit(4, day.replace(year=day.year + 2))
    assert later.unit_id == second.unit_id and later.start_date.year == day.year + 2
    # after the last unit: the next grade's first unit
    end = scope.units(4)[-1].start_date
    after = scope.next_unit(4, date(end.year, 6, 1))
    assert after.grade == 5 and after.unit_id == scope.units(5)[0].unit_id
    assert scope.next_unit(9, date(end.year, 6, 1)) is None


def test_reader_names_file_line_and_field(tmp_path):
    p = tmp_path / "scope.csv"
    p.write_text(
        "grade,unit_id,unit_title,standard,start_date,end_date\n"
        "4,U1,Fractions,4.NF.A.1,2025-09-01,2025-09-30\n"
        "4,U1,Fractions,4.NF.Z.9,2025-09-01,2025-09-30\n"
        "4,U2,Place value,4.NBT.A.1,2025-10-01,2025-09-30\n"
        "Q,U3,,4.NBT.A.2,2025/10/01,2025-10-30\n"
        "4,U1,Other title,4.NF.A.2,2025-09-01,2025-09-30\n"
    )
    with pytest.raises(InvalidData) as err:
        read_scope_sequence(p)
    got = {(pr.line, pr.field) for pr in err.value.problems}
    assert {(3, "standard"), (4, "end_date"), (5, "grade"), (5, "unit_title"),
            (5, "start_date"), (6, "unit_title")} <= got
    assert all(pr.file == str(p) for pr in err.value.problems)


def test_reader_missing_column_and_good_file(tmp_path):
    p = tmp_path / "scope.csv"
    p.write_text("grade,unit_id,standard\n4,U1,4.NF.A.1\n")
    with pytest.raises(InvalidData) as err:
        read_scope_sequence(p)
    assert {(pr.line, pr.field) for pr in err.value.problems} == {
        (1, "unit_title"), (1, "start_date"), (1, "end_date")}
    p.write_text("grade,unit_id,unit_title,standard,start_date,end_date\n"
                 "A1,ALG-1,Linear equations,A-REI.B.3,2025-09-01,2025-09-30\n"
                 "4,U1,Fractions,4.NF.B.3a,2025-09-01,2025-09-30\n")
    scope = read_scope_sequence(p)
    assert scope.units(9)[0].standards == ("A-REI.B.3",)
    assert scope.units(4)[0].standards == ("4.NF.B.3",)  # rolled up
