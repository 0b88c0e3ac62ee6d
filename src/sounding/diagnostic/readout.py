"""The placement readout, recalibrated: the graph model's placement posterior, corrected.

Why: the engine's placement posterior is exact *for the graph model*, but the model is not
the world. It makes a strand's standards independent given the strand ability, while real
(and simulated) gaps are gated by prerequisites and shared by all of a school year's
standards; and the placement buckets are cut on counts (``round(10 %)`` of a strand's
standards so far) whose rounding differs for every strand and grade. Measured against the
simulator's truth the posterior is well calibrated on average (claimed 0.93, right 0.91-0.95)
but biased for particular strands and grades -- e.g. it reads "on grade" where the student
is one grade below.

What: a multinomial logistic correction of the posterior ``D`` (four buckets),

    P(bucket c) = softmax_c( sum_b W[c, b] log D_b + bias[G, s, c] ),

with a shared ``W`` (how much to trust the model's odds) and a bias per student grade ``G``
and strand ``s`` (the bucket base rates the model gets wrong there). The identity readout
(``W = I``, ``bias = 0``) returns ``D`` unchanged. It is fitted by :func:`fit_readout`
(L2-penalised maximum likelihood, scipy's L-BFGS) on the final posteriors of simulated
*calibration* students (the calibration district, seed 101, never the benchmark's) against
their true placements; ``sounding diagnostic calibrate`` writes ``readout.json`` beside
``params.json``. The corrected distribution is what the engine reports, stops on and looks
ahead with, so the certainty it shows is the corrected one.

The honest caveat: the correction is learned from the simulator's truth. A district would
fit it from students who also took a long linking form (a classification-accuracy study);
until then the shipped one encodes how the simulated world differs from the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from sounding.core.resources import packaged_or_given_json

READOUT_FILE = "readout.json"
NB = 4
N_GRADES = 10
_FLOOR = 1e-9


@dataclass
class Readout:
    """``weight`` (4, 4) and ``bias`` (10 grades, strands, 4) of the corrected readout."""

    strands: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray

    @classmethod
    def identity(cls, strands: tuple[str, ...]) -> Readout:
        return cls(tuple(strands), np.eye(NB), np.zeros((N_GRADES, len(strands), NB)))

    @property
    def is_identity(self) -> bool:
        return bool(np.array_equal(self.weight, np.eye(NB)) and not self.bias.any())

    def apply(self, D: np.ndarray, grade: int, strand: int) -> np.ndarray:
        """Corrected distributions for ``D`` of shape ``(..., 4)`` of one grade and strand."""
        if self.is_identity:
            return D
        z = np.log(np.clip(D, _FLOOR, 1.0)) @ self.weight.T
        z = z + self.bias[min(max(int(grade), 0), N_GRADES - 1), strand]
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def to_json(self) -> dict[str, Any]:
        return {"strands": list(self.strands), "weight": np.round(self.weight, 6).tolist(),
                "bias": np.round(self.bias, 6).tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Readout:
        return cls(tuple(d["strands"]), np.asarray(d["weight"], dtype=float),
                   np.asarray(d["bias"], dtype=float))


def default_readout(strands: tuple[str, ...], path: str | Path | None = None) -> Readout:
    """The shipped (or given) readout; the identity when none is shipped or the strands
    differ from the model's."""
    d = packaged_or_given_json("sounding.diagnostic", READOUT_FILE, path)
    if d is None:
        return Readout.identity(strands)
    r = Readout.from_json(d)
    if r.strands != tuple(strands):
        return Readout.identity(strands)
    return r


def fit_readout(D: np.ndarray, grade: np.ndarray, strand: np.ndarray, truth: np.ndarray,
                strands: tuple[str, ...], *, l2_weight: float = 1.0, l2_bias: float = 1.0
                ) -> Readout:
    """Fit the correction on posteriors ``D`` (n, 4) with their grades, strands and true
    buckets. ``W`` is shrunk towards the identity and the biases towards 0 (so a grade and
    strand with few students keeps the model's posterior)."""
    D = np.asarray(D, dtype=float)
    L = np.log(np.clip(D, _FLOOR, 1.0))
    g = np.clip(np.asarray(grade, dtype=int), 0, N_GRADES - 1)
    s = np.asarray(strand, dtype=int)
    t = np.asarray(truth, dtype=int)
    n, S = len(t), len(strands)
    cell = g * S + s
    nW = NB * NB

    def unpack(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x[:nW].reshape(NB, NB), x[nW:].reshape(N_GRADES * S, NB)

    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        W, B = unpack(x)
        z = L @ W.T + B[cell]
        z = z - z.max(axis=1, keepdims=True)
        P = np.exp(z)
        P /= P.sum(axis=1, keepdims=True)
        nll = -np.log(np.clip(P[np.arange(n), t], 1e-300, None)).sum()
        R = P.copy()
        R[np.arange(n), t] -= 1.0
        gW = R.T @ L
        gB = np.zeros_like(B)
        np.add.at(gB, cell, R)
        dW = W - np.eye(NB)
        val = nll + l2_weight * (dW ** 2).sum() + l2_bias * (B ** 2).sum()
        grad = np.concatenate([(gW + 2 * l2_weight * dW).ravel(),
                               (gB + 2 * l2_bias * B).ravel()])
        return float(val / n), grad / n

    x0 = np.concatenate([np.eye(NB).ravel(), np.zeros(N_GRADES * S * NB)])
    r = minimize(f, x0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    W, B = unpack(r.x)
    # the bias is only identified up to a constant per cell: centre it for readability
    B = B - B.mean(axis=1, keepdims=True)
    return Readout(tuple(strands), W, B.reshape(N_GRADES, S, NB))
