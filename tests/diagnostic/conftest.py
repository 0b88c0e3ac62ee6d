"""Helpers shared by the diagnostic tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest


def _assert_look_ahead_is_the_real_update(eng, st, n_answers: int, step: int, loss: str,
                                          lossf: Callable[[np.ndarray], np.ndarray]) -> None:
    """After ``n_answers`` of ``st``'s answers, the look-ahead's expected ``loss`` of every
    ``step``-th askable standard equals the outcome-weighted ``lossf`` of the open strands'
    posteriors after the real update."""
    s = eng.start(st.student_id, st.grade)
    for _ in range(n_answers):
        it = eng.next_item(s)
        eng.answer(s, it.item_id, st.respond(it))
    cur = eng.placement.current(eng.state(s))
    active = [sg.strand for sg in cur.rows if sg.applicable]
    cands = np.flatnonzero(eng.placement.std_grade <= st.grade)[::step]
    got = eng.placement.expected_entropy(cur, cands, active, loss=loss)
    for j, e in zip(cands, got, strict=True):
        code = eng.codes[j]
        pc = eng.model.predict_correct(eng.state(s), code)
        L = [sum(lossf(eng.placement.current(
            eng.model.update(eng.state(s), code, ok)).D[t]) for t in active)
            for ok in (True, False)]
        assert e == pytest.approx(pc * L[0] + (1 - pc) * L[1], abs=1e-6), code


@pytest.fixture
def assert_look_ahead_is_the_real_update():
    return _assert_look_ahead_is_the_real_update
