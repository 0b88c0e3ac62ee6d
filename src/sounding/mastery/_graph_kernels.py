"""Numba kernels for :mod:`sounding.mastery.graph_model`.

The model (see that module's docstring) gives every student a general ability ``g`` and one
strand ability ``z_s`` per strand; given ``z_s`` the standards of strand ``s`` are mastered
independently with ``P1[grade, j, k] = sigmoid(c_j + delta[bucket(grade, j)] + scale_s * z_k)``
and every answer on standard ``j`` is correct with ``1 - slip_j`` (mastered) or ``guess_j``.
Both abilities live on fixed grids (``g`` on ``Q`` points, ``z`` on ``K`` points) and ``z_s | g``
is a discretised Gaussian kernel ``W[s, q, k]``, so every posterior is an exact finite sum.

Everything is done in log space per strand: ``logS[s, k]`` is the log-likelihood of the
student's answers in strand ``s`` at ``z_s = z_k``; ``logA[s, q]`` integrates ``z_s`` out at
``g = g_q``; the posterior of ``g`` is ``logw[q] + sum_s logA[s, q]`` normalised. Students are
independent, so the batch kernels split them into chunks processed in parallel (``prange``),
each chunk with its own scratch space and its own accumulators for the EM statistics.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# ---------------------------------------------------------------------------- small helpers


@njit(cache=True, inline="always")
def _log_mix(p1: float, l1: float, l0: float) -> float:
    """``log(p1 * exp(l1) + (1 - p1) * exp(l0))`` without overflow."""
    m = l1 if l1 > l0 else l0
    return m + np.log(p1 * np.exp(l1 - m) + (1.0 - p1) * np.exp(l0 - m))


@njit(cache=True, inline="always")
def _post_mastered(p1: float, l1: float, l0: float) -> float:
    """P(mastered | z, this standard's answers) from the prior ``p1`` and the log-likelihoods."""
    d = l0 - l1
    if d > 700.0:
        return 0.0
    return p1 / (p1 + (1.0 - p1) * np.exp(d))


@njit(cache=True, inline="always")
def _standard_moments(m_s, P1_Gj, answered, a1, a0):
    """Mean and sd of P(mastered) of one standard over its strand's ``z`` marginal ``m_s``:
    the prior ``P1_Gj[k]`` updated by the standard's own answers when it has any."""
    p = 0.0
    p2 = 0.0
    for k in range(m_s.shape[0]):
        pi = _post_mastered(P1_Gj[k], a1, a0) if answered else P1_Gj[k]
        p += m_s[k] * pi
        p2 += m_s[k] * pi * pi
    v = p2 - p * p
    return p, (np.sqrt(v) if v > 0.0 else 0.0)


@njit(cache=True)
def _strand_logA(logS_s, W_s, logA_s, e_s):
    """Integrate ``z`` out of one strand: ``logA[q] = log sum_k W[q, k] exp(logS[k])``.

    Also leaves ``e_s[k] = exp(logS[k] - M)`` and returns ``M = max_k logS[k]`` so callers can
    reuse the scaled likelihood.
    """
    Q, K = W_s.shape
    M = logS_s[0]
    for k in range(1, K):
        if logS_s[k] > M:
            M = logS_s[k]
    for k in range(K):
        e_s[k] = np.exp(logS_s[k] - M)
    for q in range(Q):
        a = 0.0
        for k in range(K):
            a += W_s[q, k] * e_s[k]
        logA_s[q] = np.log(a) + M
    return M


@njit(cache=True)
def _g_posterior(logw, logA, touched_strand, lpg):
    """Normalised log posterior of ``g``; returns the student's marginal log-likelihood."""
    Q = logw.shape[0]
    S = logA.shape[0]
    mx = -np.inf
    for q in range(Q):
        v = logw[q]
        for s in range(S):
            if touched_strand[s]:
                v += logA[s, q]
        lpg[q] = v
        if v > mx:
            mx = v
    tot = 0.0
    for q in range(Q):
        tot += np.exp(lpg[q] - mx)
    lz = mx + np.log(tot)
    for q in range(Q):
        lpg[q] -= lz
    return lz


@njit(cache=True)
def _strand_marginal(lpg, logA_s, W_s, e_s, M, m_s, coef):
    """Posterior of ``z_s`` on its grid: ``m[k] = sum_q p(g_q) W[q,k] exp(logS[k]) / A[q]``."""
    Q, K = W_s.shape
    for q in range(Q):
        coef[q] = np.exp(lpg[q] - logA_s[q] + M)
    tot = 0.0
    for k in range(K):
        acc = 0.0
        for q in range(Q):
            acc += coef[q] * W_s[q, k]
        m_s[k] = acc * e_s[k]
        tot += m_s[k]
    for k in range(K):
        m_s[k] /= tot


# ---------------------------------------------------------------------------- one student


@njit(cache=True)
def _student(
    G, tested, n_tested, nc, nw, strand_of, P1, lg, l1mg, ls, l1ms, logw, W,
    logS, logA, e, Ms, lpg, touched, m, coef, l1, l0,
):
    """Posterior machinery for one student whose answers are aggregated per standard.

    Fills ``logS``, ``logA``, ``e``, ``Ms``, ``lpg``, ``touched``, ``m`` (strand marginals of
    ``z``) and ``l1``/``l0`` (per tested standard log-likelihoods if mastered / not mastered)
    and returns the marginal log-likelihood of the student's answers.
    """
    S, K = logS.shape
    for s in range(S):
        touched[s] = False
        for k in range(K):
            logS[s, k] = 0.0
    for t in range(n_tested):
        j = tested[t]
        s = strand_of[j]
        touched[s] = True
        a1 = nc[j] * l1ms[j] + nw[j] * ls[j]
        a0 = nc[j] * lg[j] + nw[j] * l1mg[j]
        l1[j] = a1
        l0[j] = a0
        for k in range(K):
            logS[s, k] += _log_mix(P1[G, j, k], a1, a0)
    for s in range(S):
        if touched[s]:
            Ms[s] = _strand_logA(logS[s], W[s], logA[s], e[s])
    ll = _g_posterior(logw, logA, touched, lpg)
    for s in range(S):
        if touched[s]:
            _strand_marginal(lpg, logA[s], W[s], e[s], Ms[s], m[s], coef)
        else:
            # z_s untouched by evidence: its posterior is the prior mixed over g's posterior.
            for k in range(K):
                m[s, k] = 0.0
            Q = lpg.shape[0]
            for q in range(Q):
                pq = np.exp(lpg[q])
                for k in range(K):
                    m[s, k] += pq * W[s, q, k]
    return ll


# ---------------------------------------------------------------------------- batch kernels


@njit(cache=True, parallel=True)
def posterior_batch(
    ptr, std, cor, grade, strand_of, P1, guess, slip, logw, W, chunk, out_p, out_sd, out_n,
):
    """P(mastered) and its posterior sd for every student x standard.

    Parameters
    ----------
    ptr : int64[N + 1]
        Student ``i``'s answers are ``std[ptr[i]:ptr[i+1]]`` / ``cor[...]``.
    std, cor : int32[n], int8[n]
        Standard index and correctness of each answer.
    grade : int64[N]
        Each student's grade (0..9), which selects the row of ``P1``.
    out_p, out_sd : float32[N, J]
        Posterior mean of mastery and the posterior sd of the mastery probability across the
        ability posterior (how much more evidence could still move it).
    out_n : int32[N, J]
        Answers seen per standard.
    """
    N = grade.shape[0]
    J = strand_of.shape[0]
    S, Q, K = W.shape
    lg = np.log(guess)
    l1mg = np.log1p(-guess)
    ls = np.log(slip)
    l1ms = np.log1p(-slip)
    n_chunks = (N + chunk - 1) // chunk
    for c in prange(n_chunks):
        nc = np.zeros(J)
        nw = np.zeros(J)
        seen = np.zeros(J, dtype=np.bool_)
        tested = np.empty(J, dtype=np.int64)
        l1 = np.zeros(J)
        l0 = np.zeros(J)
        logS = np.zeros((S, K))
        logA = np.zeros((S, Q))
        e = np.zeros((S, K))
        Ms = np.zeros(S)
        lpg = np.zeros(Q)
        touched = np.zeros(S, dtype=np.bool_)
        m = np.zeros((S, K))
        coef = np.zeros(Q)
        for i in range(c * chunk, min(N, (c + 1) * chunk)):
            nt = 0
            for r in range(ptr[i], ptr[i + 1]):
                j = std[r]
                if not seen[j]:
                    seen[j] = True
                    tested[nt] = j
                    nt += 1
                if cor[r]:
                    nc[j] += 1.0
                else:
                    nw[j] += 1.0
            G = grade[i]
            _student(G, tested, nt, nc, nw, strand_of, P1, lg, l1mg, ls, l1ms, logw, W,
                     logS, logA, e, Ms, lpg, touched, m, coef, l1, l0)
            for j in range(J):
                out_p[i, j], out_sd[i, j] = _standard_moments(
                    m[strand_of[j]], P1[G, j], seen[j], l1[j], l0[j])
            for t in range(nt):
                j = tested[t]
                out_n[i, j] = np.int32(nc[j] + nw[j])
                nc[j] = 0.0
                nw[j] = 0.0
                seen[j] = False


@njit(cache=True, parallel=True)
def estep_batch(
    ptr, std, cor, grade, strand_of, bucket, n_buckets, P1, guess, slip, logw, W, chunk,
):
    """One EM E-step: expected sufficient statistics over all students.

    Returns
    -------
    n, n1 : float64[J, B, K]
        Posterior mass of ``z_s = z_k`` among students tested on standard ``j`` whose grade puts
        ``j`` in offset bucket ``b``, and the part of it where ``j`` is mastered. These are the
        soft counts of the mastery layer's logistic M-step.
    T : float64[S, Q, K]
        Posterior joint mass of ``(g_q, z_k)`` per strand, over students with answers in the
        strand: the statistic of the general-factor loading ``rho_s``.
    gs : float64[J, 4]
        Guess / slip soft counts: sum (1-p) * correct, sum (1-p) * answers, sum p * wrong,
        sum p * answers, with ``p`` the posterior P(mastered) given everything.
    ll : float
        Marginal log-likelihood of all answers (before this step's update).
    """
    N = grade.shape[0]
    J = strand_of.shape[0]
    S, Q, K = W.shape
    lg = np.log(guess)
    l1mg = np.log1p(-guess)
    ls = np.log(slip)
    l1ms = np.log1p(-slip)
    n_chunks = (N + chunk - 1) // chunk
    acc_n = np.zeros((n_chunks, J, n_buckets, K))
    acc_n1 = np.zeros((n_chunks, J, n_buckets, K))
    acc_T = np.zeros((n_chunks, S, Q, K))
    acc_gs = np.zeros((n_chunks, J, 4))
    acc_ll = np.zeros(n_chunks)
    for c in prange(n_chunks):
        nc = np.zeros(J)
        nw = np.zeros(J)
        seen = np.zeros(J, dtype=np.bool_)
        tested = np.empty(J, dtype=np.int64)
        l1 = np.zeros(J)
        l0 = np.zeros(J)
        logS = np.zeros((S, K))
        logA = np.zeros((S, Q))
        e = np.zeros((S, K))
        Ms = np.zeros(S)
        lpg = np.zeros(Q)
        touched = np.zeros(S, dtype=np.bool_)
        m = np.zeros((S, K))
        coef = np.zeros(Q)
        for i in range(c * chunk, min(N, (c + 1) * chunk)):
            nt = 0
            for r in range(ptr[i], ptr[i + 1]):
                j = std[r]
                if not seen[j]:
                    seen[j] = True
                    tested[nt] = j
                    nt += 1
                if cor[r]:
                    nc[j] += 1.0
                else:
                    nw[j] += 1.0
            if nt == 0:
                continue
            G = grade[i]
            acc_ll[c] += _student(G, tested, nt, nc, nw, strand_of, P1, lg, l1mg, ls, l1ms,
                                  logw, W, logS, logA, e, Ms, lpg, touched, m, coef, l1, l0)
            for s in range(S):
                if touched[s]:
                    for q in range(Q):
                        cq = np.exp(lpg[q] - logA[s, q] + Ms[s])
                        for k in range(K):
                            acc_T[c, s, q, k] += cq * W[s, q, k] * e[s, k]
            for t in range(nt):
                j = tested[t]
                s = strand_of[j]
                b = bucket[G, j]
                p = 0.0
                for k in range(K):
                    pi = _post_mastered(P1[G, j, k], l1[j], l0[j])
                    acc_n[c, j, b, k] += m[s, k]
                    acc_n1[c, j, b, k] += m[s, k] * pi
                    p += m[s, k] * pi
                tot = nc[j] + nw[j]
                acc_gs[c, j, 0] += (1.0 - p) * nc[j]
                acc_gs[c, j, 1] += (1.0 - p) * tot
                acc_gs[c, j, 2] += p * nw[j]
                acc_gs[c, j, 3] += p * tot
                nc[j] = 0.0
                nw[j] = 0.0
                seen[j] = False
    return (acc_n.sum(axis=0), acc_n1.sum(axis=0), acc_T.sum(axis=0), acc_gs.sum(axis=0),
            acc_ll.sum())


@njit(cache=True, parallel=True)
def predict_batch(ptr, std, cor, grade, strand_of, P1, guess, slip, logw, W, chunk, out):
    """P(answer r is correct | the same student's earlier answers), answers in time order.

    The state of a student (per-strand log-likelihood grids and per-standard answer
    log-likelihoods) is updated after each answer in ``O(K * Q)``: only the strand of the
    answered standard changes, so the other strands' integrals are reused.
    """
    N = grade.shape[0]
    J = strand_of.shape[0]
    S, Q, K = W.shape
    lg = np.log(guess)
    l1mg = np.log1p(-guess)
    ls = np.log(slip)
    l1ms = np.log1p(-slip)
    n_chunks = (N + chunk - 1) // chunk
    for c in prange(n_chunks):
        l1 = np.zeros(J)
        l0 = np.zeros(J)
        logS = np.zeros((S, K))
        logA = np.zeros((S, Q))
        e = np.zeros((S, K))
        Ms = np.zeros(S)
        lpg = np.zeros(Q)
        touched = np.zeros(S, dtype=np.bool_)
        m_s = np.zeros(K)
        coef = np.zeros(Q)
        for i in range(c * chunk, min(N, (c + 1) * chunk)):
            G = grade[i]
            for s in range(S):
                touched[s] = False
                for k in range(K):
                    logS[s, k] = 0.0
                    e[s, k] = 1.0
                for q in range(Q):
                    logA[s, q] = 0.0
                Ms[s] = 0.0
            for r in range(ptr[i], ptr[i + 1]):
                j = std[r]
                s = strand_of[j]
                a1 = l1[j]
                a0 = l0[j]
                # predictive probability from the current posterior
                _g_posterior(logw, logA, touched, lpg)
                _strand_marginal(lpg, logA[s], W[s], e[s], Ms[s], m_s, coef)
                pc = 0.0
                for k in range(K):
                    pi = _post_mastered(P1[G, j, k], a1, a0)
                    pc += m_s[k] * (pi * (1.0 - slip[j]) + (1.0 - pi) * guess[j])
                out[r] = pc
                # absorb the answer
                if cor[r]:
                    b1 = a1 + l1ms[j]
                    b0 = a0 + lg[j]
                else:
                    b1 = a1 + ls[j]
                    b0 = a0 + l1mg[j]
                for k in range(K):
                    p1 = P1[G, j, k]
                    logS[s, k] += _log_mix(p1, b1, b0) - _log_mix(p1, a1, a0)
                l1[j] = b1
                l0[j] = b0
                touched[s] = True
                Ms[s] = _strand_logA(logS[s], W[s], logA[s], e[s])
            for r in range(ptr[i], ptr[i + 1]):
                l1[std[r]] = 0.0
                l0[std[r]] = 0.0


# ---------------------------------------------------------------------------- online state


@njit(cache=True)
def state_absorb(G, j, correct, nc, nw, logS, logA, e, Ms, touched, strand_of, P1, guess,
                 slip, W):
    """Absorb one answer on standard ``j`` into a student's strand grid, in place.

    ``nc``/``nw`` are the answers on each standard *before* this one. Only the answered
    strand changes: ``logS[s]`` moves by the change of standard ``j``'s mixture term
    (``O(K)``) and its integral ``logA[s]`` is redone (``O(Q K)``); the other strands' are
    reused. The caller then updates ``nc``/``nw``.
    """
    s = strand_of[j]
    l1ms = np.log1p(-slip[j])
    ls = np.log(slip[j])
    lg = np.log(guess[j])
    l1mg = np.log1p(-guess[j])
    a1 = nc[j] * l1ms + nw[j] * ls
    a0 = nc[j] * lg + nw[j] * l1mg
    if correct:
        b1 = a1 + l1ms
        b0 = a0 + lg
    else:
        b1 = a1 + ls
        b0 = a0 + l1mg
    K = logS.shape[1]
    for k in range(K):
        p1 = P1[G, j, k]
        logS[s, k] += _log_mix(p1, b1, b0) - _log_mix(p1, a1, a0)
    touched[s] = True
    Ms[s] = _strand_logA(logS[s], W[s], logA[s], e[s])


@njit(cache=True)
def state_marginals(G, nc, nw, logA, e, Ms, touched, strand_of, P1, guess, slip, logw, W,
                    out_p, out_sd):
    """P(mastered) and its sd for every standard from a student's strand grids.

    ``O(S Q K + J K)``: the posterior of ``g``, each strand's ``z`` marginal, then each
    standard (the same sums as :func:`posterior_batch` for one student).
    """
    S, Q, K = W.shape
    J = strand_of.shape[0]
    lpg = np.zeros(Q)
    _g_posterior(logw, logA, touched, lpg)
    m = np.zeros((S, K))
    coef = np.zeros(Q)
    for s in range(S):
        if touched[s]:
            _strand_marginal(lpg, logA[s], W[s], e[s], Ms[s], m[s], coef)
        else:
            for q in range(Q):
                pq = np.exp(lpg[q])
                for k in range(K):
                    m[s, k] += pq * W[s, q, k]
    for j in range(J):
        answered = nc[j] + nw[j] > 0
        a1 = nc[j] * np.log1p(-slip[j]) + nw[j] * np.log(slip[j]) if answered else 0.0
        a0 = nc[j] * np.log(guess[j]) + nw[j] * np.log1p(-guess[j]) if answered else 0.0
        out_p[j], out_sd[j] = _standard_moments(m[strand_of[j]], P1[G, j], answered, a1, a0)


# ---------------------------------------------------------------------------- M-step helper


@njit(cache=True)
def dag_isotonic(c, w, pre, succ, tol, max_sweeps):
    """Weighted projection of intercepts onto the DAG order: ``c_i >= c_j`` on every edge.

    Minimises ``sum_j w_j (x_j - c_j)^2`` subject to ``x_pre >= x_succ`` for each edge
    ``(pre[k], succ[k])`` by Hildreth's algorithm (cyclic coordinate ascent on the dual, i.e.
    Dykstra's alternating projections for half-spaces), which converges to the exact
    projection; stops when no multiplier moves the point by more than ``tol``. The residual
    violations (below ``tol``) are then closed exactly by lowering successors, in the order of
    the edges, which must be grouped by successor in topological order. Returns the projected
    copy.
    """
    x = c.copy()
    E = pre.shape[0]
    lam = np.zeros(E)
    for _ in range(max_sweeps):
        moved = 0.0
        for k in range(E):
            i = pre[k]
            j = succ[k]
            inv = 1.0 / w[i] + 1.0 / w[j]
            new = lam[k] - (x[i] - x[j]) / inv
            if new < 0.0:
                new = 0.0
            d = new - lam[k]
            if d != 0.0:
                x[i] += d / w[i]
                x[j] -= d / w[j]
                lam[k] = new
                ad = abs(d) * inv
                if ad > moved:
                    moved = ad
        if moved <= tol:
            break
    for k in range(E):
        if x[succ[k]] > x[pre[k]]:
            x[succ[k]] = x[pre[k]]
    return x
