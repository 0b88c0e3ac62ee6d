"""The corrected placement readout: identity by default, learns a known distortion, and the
engine reports, stops on and looks ahead with the corrected posterior."""

from __future__ import annotations

import numpy as np
import pytest

from sounding.diagnostic import DiagnosticEngine, default_model
from sounding.diagnostic.placement import error_rate
from sounding.diagnostic.readout import Readout, default_readout, fit_readout
from sounding.errors import InvalidInput
from sounding.items import ItemBank

STRANDS = ("a", "b")


def test_identity_readout_returns_the_model_posterior():
    r = Readout.identity(STRANDS)
    D = np.array([[0.7, 0.2, 0.05, 0.05], [0.1, 0.1, 0.1, 0.7]])
    assert r.is_identity
    assert np.array_equal(r.apply(D, 5, 1), D)


def test_fit_recovers_a_bias_the_model_does_not_know():
    """Truth drawn from D shifted towards bucket 1 in grade 4, strand 0 only: the fit moves
    that cell's readout towards bucket 1, leaves a cell without the shift nearly alone, and
    places better than the raw posterior on fresh draws."""
    rng = np.random.default_rng(0)

    def draw(n):
        D = rng.dirichlet(np.ones(4) * 0.7, size=n)
        g = rng.choice([4, 6], size=n)
        s = rng.choice([0, 1], size=n)
        z = np.log(np.clip(D, 1e-9, 1))
        z[(g == 4) & (s == 0), 1] += 1.5
        P = np.exp(z)
        P /= P.sum(axis=1, keepdims=True)
        t = np.array([rng.choice(4, p=p) for p in P])
        return D, g, s, t

    D, g, s, t = draw(4000)
    r = fit_readout(D, g, s, t, STRANDS)
    assert r.bias[4, 0, 1] - r.bias[4, 0].mean() > 0.8
    assert abs(r.bias[6, 1, 1] - r.bias[6, 1].mean()) < 0.4
    D2, g2, s2, t2 = draw(4000)
    fixed = np.array([r.apply(D2[i], g2[i], s2[i]).argmax() for i in range(len(t2))])
    assert (fixed == t2).mean() > (D2.argmax(axis=1) == t2).mean() + 0.02
    back = Readout.from_json(r.to_json())
    assert np.allclose(back.apply(D2[:5], 4, 0), r.apply(D2[:5], 4, 0), atol=1e-5)


def test_shipped_readout_matches_the_model_and_is_used():
    model = default_model()
    strands = tuple(model.params_.strands)
    r = default_readout(strands)
    assert not r.is_identity  # shipped by `python -m sounding.diagnostic.calibrate`
    assert default_readout(("x",)).is_identity  # another progression: not applied
    eng = DiagnosticEngine(model, ItemBank.default())
    assert eng.placement.readout.strands == strands and not eng.placement.readout.is_identity


def test_look_ahead_with_the_error_loss_equals_the_real_update(
        assert_look_ahead_is_the_real_update):
    """The look-ahead scores the corrected posterior, so the expected loss it computes is
    the loss after the real update (here with the expected-error loss)."""
    from sounding.diagnostic.students import students_from_district
    from sounding.simulate import DistrictSpec, simulate_district

    eng = DiagnosticEngine(default_model(), ItemBank.default(), loss="error")
    st = [s for s in students_from_district(simulate_district(DistrictSpec(n_students=30,
                                                                          seed=5)), 5)
          if s.grade >= 5][0]
    assert_look_ahead_is_the_real_update(eng, st, 3, 11, "error", error_rate)
    with pytest.raises(InvalidInput):
        DiagnosticEngine(default_model(), ItemBank.default(), loss="regret")
