"""Item calibration from responses: a unidimensional IRT model fitted by marginal EM.

Each template gets a discrimination ``a`` and a difficulty ``b`` on one ability scale
(4PL with the guess fixed by the item type and the upper asymptote by the usual slip:
``P = c + (d - c) / (1 + exp(-a (theta - b)))``), by Bock-Aitkin EM over a 41-point
quadrature of a standard-normal ability, with weak priors (``log a ~ N(0, 0.5)``,
``b ~ N(0, 2)``) so sparse templates stay sensible. The bank starts from the progression's
guess (:func:`sounding.items.bank.initial_calibration`); this replaces it with estimates from
answers -- simulated ones for the shipped calibration (``sounding.diagnostic.calibrate``).

This unidimensional calibration is what a classic CAT (catsim's maximum-information
selection) needs; the diagnostic itself places students with the multidimensional graph
model, which is calibrated by the same responses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

UPPER = 0.91  # 1 - the bank's typical slip


def fit_irt(responses: pd.DataFrame, guess: dict[str, float], *, n_iter: int = 30,
            tol: float = 1e-4) -> pd.DataFrame:
    """Fit ``a, b`` per template.

    Parameters
    ----------
    responses : DataFrame
        ``student_id, template_id, correct`` (0/1).
    guess : mapping
        Lower asymptote per template id.

    Returns
    -------
    DataFrame indexed by template_id: ``discrimination, difficulty, guess, upper, n``.
    """
    stu, sid = pd.factorize(responses["student_id"])
    itm, tid = pd.factorize(responses["template_id"])
    y = responses["correct"].to_numpy(dtype=float)
    n_s, n_i = len(sid), len(tid)
    theta = np.linspace(-4, 4, 41)
    logprior = -0.5 * theta**2
    c = np.array([guess.get(t, 0.05) for t in tid])
    a = np.ones(n_i)
    b = np.zeros(n_i)
    prev = -np.inf
    for _ in range(n_iter):
        P = c[:, None] + (UPPER - c[:, None]) * expit(a[:, None] * (theta[None, :] - b[:, None]))
        lp = np.where(y[:, None] > 0, np.log(P[itm]), np.log1p(-P[itm]))  # (n, Q)
        L = np.zeros((n_s, len(theta)))
        np.add.at(L, stu, lp)
        L += logprior
        lz = np.logaddexp.reduce(L, axis=1)
        ll = lz.sum()
        post = np.exp(L - lz[:, None])                                      # (S, Q)
        w = post[stu]                                                        # (n, Q)
        n_iq = np.zeros((n_i, len(theta)))
        r_iq = np.zeros((n_i, len(theta)))
        np.add.at(n_iq, itm, w)
        np.add.at(r_iq, itm, w * y[:, None])

        def negll(x: np.ndarray, r_iq: np.ndarray = r_iq, n_iq: np.ndarray = n_iq
                  ) -> tuple[float, np.ndarray]:
            la, bb = x[:n_i], x[n_i:]
            aa = np.exp(la)
            s = expit(aa[:, None] * (theta[None, :] - bb[:, None]))
            p = np.clip(c[:, None] + (UPPER - c[:, None]) * s, 1e-9, 1 - 1e-9)
            f = (r_iq * np.log(p) + (n_iq - r_iq) * np.log1p(-p)).sum()
            f -= (la**2 / (2 * 0.5**2)).sum() + (bb**2 / (2 * 2.0**2)).sum()
            dp = (r_iq / p - (n_iq - r_iq) / (1 - p)) * (UPPER - c[:, None]) * s * (1 - s)
            g_la = (dp * (theta[None, :] - bb[:, None])).sum(axis=1) * aa - la / 0.5**2
            g_b = (dp * -aa[:, None]).sum(axis=1) - bb / 2.0**2
            return -f, -np.concatenate([g_la, g_b])

        res = minimize(negll, np.concatenate([np.log(a), b]), jac=True, method="L-BFGS-B",
                       options={"maxiter": 50})
        a, b = np.exp(res.x[:n_i]), res.x[n_i:]
        if abs(ll - prev) <= tol * abs(ll):
            break
        prev = ll
    counts = np.bincount(itm, minlength=n_i)
    return pd.DataFrame({"discrimination": a, "difficulty": b, "guess": c, "upper": UPPER,
                         "n": counts}, index=pd.Index(list(tid), name="template_id"))
