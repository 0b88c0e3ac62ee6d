"""Compiled kernels for Bayesian Knowledge Tracing (numba, no C compiler needed at install).

Layout shared by every kernel. Answers are sorted by (skill, student, order) into one
contiguous ``int8`` array ``correct``. A *sequence* is one student's answers on one skill:
sequence ``s`` occupies ``correct[seq_ptr[s]:seq_ptr[s + 1]]``, and the sequences of skill
``k`` are ``skill_seq_ptr[k]:skill_seq_ptr[k + 1]`` (CSR twice). A parameter vector is
``(prior, learn, forget, guess, slip)`` (indices :data:`PRIOR` ... :data:`SLIP`).

Why the E-step looks the way it does:

* Without forgetting (classic BKT, the default), "mastered" is an absorbing state, so a
  sequence's hidden path is fully described by tau, the first answer given in the mastered
  state (0 .. T, T = never within the sequence). The posterior over tau gives *exactly* the
  expected counts of the forward-backward algorithm, and consecutive weights differ by one
  factor: ``w[tau+1] = w[tau] * P(tau+1)/P(tau) * P(answer | not mastered)/P(answer |
  mastered)``. One multiplication and three accumulations per answer, no division, no
  backward pass and no buffer: several times faster than forward-backward, and the
  dependency chain is a single multiply. (:func:`_e_step_absorbing`.)
* With forgetting, a scaled forward-backward (:func:`_e_step_forward_backward`): each step is
  normalised by the answer's predictive probability ``c_t``, and the backward pass reuses the
  stored ``1 / c_t``, so it needs no division. Mastered and unmastered probabilities are
  carried separately (never as ``1 - p``), so long runs of correct answers cannot cancel to
  zero and produce 0/0.
* Logarithms are rare: the likelihood is a running product, logged only when it leaves
  ``[1e-150, 1e150]``.
* Skills are independent, so the fit is ``prange`` over worker tasks, each a pre-balanced list
  of skills (largest first, greedy), so one huge skill does not leave a core idle.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

PRIOR, LEARN, FORGET, GUESS, SLIP = 0, 1, 2, 3, 4
N_PARAMS = 5
# expected-count accumulators filled by the E-steps
LL, G_FIRST, G_LAST, G_SUM, G_COR, X01, X10 = 0, 1, 2, 3, 4, 5, 6
N_ACC = 7
_BIG = 1e100
_LOG_BIG = math.log(_BIG)


@njit(cache=True)
def _e_step_absorbing(correct, seq_ptr, s0, s1, th, acc):
    """Expected counts of one skill (sequences ``s0:s1``) when ``forget == 0``.

    ``w[tau]`` (tau = index of the first answer in the mastered state, T = never) is kept
    relative to "mastered from the start": ``w[tau] = P(tau) * prod_{t < tau} r(c_t)`` with
    ``r = P(c | not mastered) / P(c | mastered)``; the common factor ``prod_t P(c_t |
    mastered)`` only enters the log-likelihood, through the answer counts. From ``Z = sum w``,
    ``M = sum w * tau`` and ``C = sum w * k_tau`` (k_tau = correct answers before tau):

    * P(mastered at the first answer) = w[0] / Z; at the last = 1 - w[T] / Z
    * expected learn transitions = 1 - (w[0] + w[T]) / Z
    * sum_t P(mastered at t) = T - M / Z; the same over correct answers = K - C / Z
    """
    prior = th[PRIOR]
    learn = th[LEARN]
    guess = th[GUESS]
    slip = th[SLIP]
    r_c = guess / (1.0 - slip)
    r_w = (1.0 - guess) / slip
    stay = 1.0 - learn
    sr_c = stay * r_c
    sr_w = stay * r_w
    last_c = stay / learn * r_c
    last_w = stay / learn * r_w
    log_z = 0.0
    pz = 1.0
    g_first = 0.0
    g_last = 0.0
    g_sum = 0.0
    g_cor = 0.0
    x01 = 0.0
    n_cor = 0
    n_resp = 0
    # answers select factors arithmetically (x + c * (y - x)): a data-dependent branch would
    # be mispredicted on every other answer
    d_r = r_c - r_w
    d_sr = sr_c - sr_w
    d_last = last_c - last_w
    for s in range(s0, s1):
        a = seq_ptr[s]
        T = seq_ptr[s + 1] - a
        w0 = prior
        c = correct[a]
        k = c
        w = (1.0 - prior) * (r_w + c * d_r)
        if T > 1:
            w *= learn
        Z = w0 + w
        M = w
        C = w * k
        for tau in range(2, T):
            c = correct[a + tau - 1]
            w *= sr_w + c * d_sr
            k += c
            Z += w
            M += w * tau
            C += w * k
            if w > _BIG:  # rescale everything linear in w; remembered in log_z
                w /= _BIG
                w0 /= _BIG
                Z /= _BIG
                M /= _BIG
                C /= _BIG
                log_z += _LOG_BIG
        if T > 1:
            c = correct[a + T - 1]
            w *= last_w + c * d_last
            k += c
            Z += w
            M += w * T
            C += w * k
        inv = 1.0 / Z
        g_first += w0 * inv
        g_last += 1.0 - w * inv
        x01 += (Z - w0 - w) * inv
        g_sum += T - M * inv
        g_cor += k - C * inv
        n_cor += k
        n_resp += T
        pz *= Z
        if pz > 1e150 or pz < 1e-150:
            log_z += math.log(pz)
            pz = 1.0
    log_z += math.log(pz)
    acc[LL] = log_z + n_cor * math.log(1.0 - slip) + (n_resp - n_cor) * math.log(slip)
    acc[G_FIRST] = g_first
    acc[G_LAST] = g_last
    acc[G_SUM] = g_sum
    acc[G_COR] = g_cor
    acc[X01] = x01
    acc[X10] = 0.0


@njit(cache=True)
def _e_step_forward_backward(correct, seq_ptr, s0, s1, th, acc, f_buf, u_buf, ic_buf):
    """Expected counts of one skill by scaled forward-backward (any ``forget``).

    ``f_buf`` / ``u_buf`` hold the filtered P(mastered) / P(not mastered) and ``ic_buf`` the
    inverse predictive probability of each answer of the current sequence.
    """
    prior = th[PRIOR]
    learn = th[LEARN]
    forget = th[FORGET]
    guess = th[GUESS]
    slip = th[SLIP]
    keep = 1.0 - forget
    stay0 = 1.0 - learn
    ll = 0.0
    prod = 1.0
    g_first = 0.0
    g_last = 0.0
    g_sum = 0.0
    g_cor = 0.0
    x01 = 0.0
    x10 = 0.0
    for s in range(s0, s1):
        a = seq_ptr[s]
        n = seq_ptr[s + 1] - a
        pm = prior
        pu = 1.0 - prior
        for t in range(n):  # forward (filter)
            if correct[a + t]:
                a1 = pm * (1.0 - slip)
                a0 = pu * guess
            else:
                a1 = pm * slip
                a0 = pu * (1.0 - guess)
            cn = a1 + a0
            ic = 1.0 / cn
            f = a1 * ic
            u = a0 * ic
            f_buf[t] = f
            u_buf[t] = u
            ic_buf[t] = ic
            prod *= cn
            if prod < 1e-150:
                ll += math.log(prod)
                prod = 1.0
            pm = learn * u + keep * f
            pu = stay0 * u + forget * f
        # backward: scaled beta, no division
        g = f_buf[n - 1]
        g_last += g
        g_sum += g
        g_cor += g * correct[a + n - 1]
        b1 = 1.0
        b0 = 1.0
        for t in range(n - 2, -1, -1):
            if correct[a + t + 1]:
                e1 = 1.0 - slip
                e0 = guess
            else:
                e1 = slip
                e0 = 1.0 - guess
            m1 = e1 * b1 * ic_buf[t + 1]
            m0 = e0 * b0 * ic_buf[t + 1]
            f = f_buf[t]
            x01 += u_buf[t] * learn * m1
            x10 += f * forget * m0
            b1 = keep * m1 + forget * m0
            b0 = learn * m1 + stay0 * m0
            g = f * b1
            g_sum += g
            g_cor += g * correct[a + t]
        g_first += g if n > 1 else f_buf[0]
    ll += math.log(prod)
    acc[LL] = ll
    acc[G_FIRST] = g_first
    acc[G_LAST] = g_last
    acc[G_SUM] = g_sum
    acc[G_COR] = g_cor
    acc[X01] = x01
    acc[X10] = x10


@njit(cache=True)
def e_step(correct, seq_ptr, s0, s1, th, absorbing):
    """Expected counts (see the ``LL`` ... ``X10`` indices) of one skill for parameters ``th``.

    ``absorbing`` selects the closed form (valid only when ``th[FORGET] == 0``). Exposed so
    tests can check the two E-steps agree.
    """
    acc = np.empty(N_ACC)
    if absorbing:
        _e_step_absorbing(correct, seq_ptr, s0, s1, th, acc)
    else:
        max_len = 1
        for s in range(s0, s1):
            max_len = max(max_len, seq_ptr[s + 1] - seq_ptr[s])
        _e_step_forward_backward(correct, seq_ptr, s0, s1, th, acc, np.empty(max_len),
                                 np.empty(max_len), np.empty(max_len))
    return acc


@njit(cache=True)
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@njit(cache=True)
def _m_step(th, acc, n_seq, n_resp, n_cor, fit_forget, lo, hi, w, centre, out):
    """MAP M-step: expected counts plus ``w`` Beta pseudo-counts at ``centre``, then clipped.

    Each parameter's EM objective is concave and separable, so clipping to the box is the
    constrained optimum (EM stays monotone).
    """
    g_first = acc[G_FIRST]
    g_sum = acc[G_SUM]
    g_cor = acc[G_COR]
    den1 = g_sum - acc[G_LAST]               # time mastered before the last answer
    den0 = (n_resp - n_seq) - den1           # time not mastered before the last answer
    out[:] = th
    if n_seq + w > 0:
        out[PRIOR] = (g_first + w * centre[PRIOR]) / (n_seq + w)
    if den0 + w > 0:
        out[LEARN] = (acc[X01] + w * centre[LEARN]) / (den0 + w)
    if fit_forget and den1 + w > 0:
        out[FORGET] = (acc[X10] + w * centre[FORGET]) / (den1 + w)
    den_g = n_resp - g_sum
    if den_g + w > 0:
        out[GUESS] = ((n_cor - g_cor) + w * centre[GUESS]) / (den_g + w)
    if g_sum + w > 0:
        out[SLIP] = ((g_sum - g_cor) + w * centre[SLIP]) / (g_sum + w)
    for j in range(N_PARAMS):
        out[j] = _clip(out[j], lo[j], hi[j])


@njit(cache=True)
def _e(correct, seq_ptr, s0, s1, th, acc, fit_forget, f_buf, u_buf, ic_buf):
    if fit_forget:
        _e_step_forward_backward(correct, seq_ptr, s0, s1, th, acc, f_buf, u_buf, ic_buf)
    else:
        _e_step_absorbing(correct, seq_ptr, s0, s1, th, acc)


@njit(cache=True)
def _max_change(a, b):
    d = 0.0
    for j in range(a.shape[0]):
        d = max(d, abs(a[j] - b[j]))
    return d


@njit(cache=True)
def _fit_skill(correct, seq_ptr, s0, s1, init, max_iter, tol, fit_forget, lo, hi,
               prior_w, prior_m, out_params, out_ll, out_iter):
    """EM for one skill from every start in ``init`` (restarts x 5); writes the out_* rows.

    EM on BKT crawls along a ridge (prior, learn and guess trade off), so it is accelerated
    with SQUAREM (Varadhan & Roland 2008, scheme S3): from two EM steps ``r = t1 - t0`` and
    ``v = (t2 - t1) - r`` it jumps to ``t0 - 2 a r + a^2 v`` with ``a = -|r| / |v|`` (at most
    -1, where the jump is plain EM ``t2``), clipped to the parameter box. The jump is kept
    only if its log-likelihood is at least that of ``t1``; otherwise EM's ``t2`` is used, so
    the likelihood never goes down. A start stops when an EM step moves no parameter by
    ``tol`` or more, or after ``max_iter`` E-steps; the parameters kept are those of the last
    E-step, so the stored log-likelihood is exactly theirs (restarts are compared on it).
    """
    n_seq = s1 - s0
    n_resp = seq_ptr[s1] - seq_ptr[s0]
    n_cor = 0
    max_len = 1
    for s in range(s0, s1):
        max_len = max(max_len, seq_ptr[s + 1] - seq_ptr[s])
        for i in range(seq_ptr[s], seq_ptr[s + 1]):
            n_cor += correct[i]
    buf_len = max_len if fit_forget else 1
    f_buf = np.empty(buf_len)
    u_buf = np.empty(buf_len)
    ic_buf = np.empty(buf_len)
    acc0 = np.empty(N_ACC)
    acc1 = np.empty(N_ACC)
    t0 = np.empty(N_PARAMS)
    t1 = np.empty(N_PARAMS)
    t2 = np.empty(N_PARAMS)
    tj = np.empty(N_PARAMS)
    for r in range(init.shape[0]):
        t0[:] = init[r]
        if not fit_forget:
            t0[FORGET] = 0.0
        _e(correct, seq_ptr, s0, s1, t0, acc0, fit_forget, f_buf, u_buf, ic_buf)
        it = 1
        keep_ll = acc0[LL]
        while True:
            if it >= max_iter:
                break
            _m_step(t0, acc0, n_seq, n_resp, n_cor, fit_forget, lo, hi, prior_w, prior_m, t1)
            if _max_change(t1, t0) < tol:
                break
            _e(correct, seq_ptr, s0, s1, t1, acc1, fit_forget, f_buf, u_buf, ic_buf)
            it += 1
            if it >= max_iter:
                t0[:] = t1
                acc0[:] = acc1
                break
            _m_step(t1, acc1, n_seq, n_resp, n_cor, fit_forget, lo, hi, prior_w, prior_m, t2)
            if _max_change(t2, t1) < tol:
                t0[:] = t1
                acc0[:] = acc1
                break
            rr = 0.0
            vv = 0.0
            for j in range(N_PARAMS):
                d1 = t1[j] - t0[j]
                d2 = t2[j] - t1[j] - d1
                rr += d1 * d1
                vv += d2 * d2
            a = -math.sqrt(rr / vv) if vv > 0.0 else -1.0
            if a > -1.0:
                a = -1.0
            for j in range(N_PARAMS):
                d1 = t1[j] - t0[j]
                d2 = t2[j] - t1[j] - d1
                tj[j] = _clip(t0[j] - 2.0 * a * d1 + a * a * d2, lo[j], hi[j])
            _e(correct, seq_ptr, s0, s1, tj, acc0, fit_forget, f_buf, u_buf, ic_buf)
            it += 1
            if acc0[LL] >= acc1[LL]:
                t0[:] = tj
            else:  # the jump lost likelihood: take the plain EM step instead
                t0[:] = t2
                _e(correct, seq_ptr, s0, s1, t0, acc0, fit_forget, f_buf, u_buf, ic_buf)
                it += 1
        keep_ll = acc0[LL]
        out_params[r, :] = t0
        out_ll[r] = keep_ll
        out_iter[r] = it


@njit(cache=True, parallel=True)
def fit_skills(correct, seq_ptr, skill_seq_ptr, task_ptr, task_skills, init, max_iter, tol,
               fit_forget, lo, hi, prior_w, prior_m):
    """EM for every skill, every restart; returns (params, loglik, iterations) per restart.

    ``init`` is (n_skills, restarts, 5). Task ``j`` fits skills
    ``task_skills[task_ptr[j]:task_ptr[j + 1]]``; tasks run in parallel.
    """
    n_skills, R = init.shape[0], init.shape[1]
    params = np.empty((n_skills, R, N_PARAMS))
    ll = np.empty((n_skills, R))
    iters = np.zeros((n_skills, R), dtype=np.int64)
    for j in prange(task_ptr.shape[0] - 1):
        for q in range(task_ptr[j], task_ptr[j + 1]):
            k = task_skills[q]
            _fit_skill(correct, seq_ptr, skill_seq_ptr[k], skill_seq_ptr[k + 1], init[k],
                       max_iter, tol, fit_forget, lo, hi, prior_w, prior_m,
                       params[k], ll[k], iters[k])
    return params, ll, iters


@njit(cache=True, parallel=True)
def predict_correct(correct, seq_ptr, seq_skill, params):
    """P(correct) of every answer given only the earlier answers of its sequence."""
    out = np.empty(correct.shape[0])
    for s in prange(seq_ptr.shape[0] - 1):
        k = seq_skill[s]
        learn = params[k, LEARN]
        forget = params[k, FORGET]
        guess = params[k, GUESS]
        slip = params[k, SLIP]
        pm = params[k, PRIOR]
        pu = 1.0 - pm
        for i in range(seq_ptr[s], seq_ptr[s + 1]):
            out[i] = pm * (1.0 - slip) + pu * guess
            if correct[i]:
                a1 = pm * (1.0 - slip)
                a0 = pu * guess
            else:
                a1 = pm * slip
                a0 = pu * (1.0 - guess)
            ic = 1.0 / (a1 + a0)
            f = a1 * ic
            u = a0 * ic
            pm = learn * u + (1.0 - forget) * f
            pu = (1.0 - learn) * u + forget * f
    return out


@njit(cache=True, parallel=True)
def final_mastery(correct, seq_ptr, seq_skill, params):
    """P(mastered) after each sequence's last answer and one learning transition."""
    n_seq = seq_ptr.shape[0] - 1
    out = np.empty(n_seq)
    for s in prange(n_seq):
        k = seq_skill[s]
        learn = params[k, LEARN]
        forget = params[k, FORGET]
        guess = params[k, GUESS]
        slip = params[k, SLIP]
        pm = params[k, PRIOR]
        pu = 1.0 - pm
        for i in range(seq_ptr[s], seq_ptr[s + 1]):
            if correct[i]:
                a1 = pm * (1.0 - slip)
                a0 = pu * guess
            else:
                a1 = pm * slip
                a0 = pu * (1.0 - guess)
            ic = 1.0 / (a1 + a0)
            f = a1 * ic
            u = a0 * ic
            pm = learn * u + (1.0 - forget) * f
            pu = (1.0 - learn) * u + forget * f
        out[s] = pm / (pm + pu)
    return out


@njit(cache=True)
def sequence_bounds(group):
    """Start offsets (plus the end) of the runs of equal values in a sorted int64 array."""
    n = group.shape[0]
    count = 1 if n > 0 else 0
    for i in range(1, n):
        if group[i] != group[i - 1]:
            count += 1
    ptr = np.empty(count + 1, dtype=np.int64)
    j = 0
    if n > 0:
        ptr[0] = 0
        j = 1
        for i in range(1, n):
            if group[i] != group[i - 1]:
                ptr[j] = i
                j += 1
    ptr[count] = n
    return ptr


@njit(cache=True)
def _less(o, c, i, j):
    """Position i before j: by order, then wrong before right (ties are identical rows)."""
    return o[i] < o[j] or (o[i] == o[j] and c[i] < c[j])


@njit(cache=True)
def group_sort(group, n_groups, order, correct):
    """Rows sorted by (group, order, correct), and the start offsets of the non-empty groups.

    A counting sort on the group code (O(n), one pass to count, one to place), then each group
    is put in (order, correct) order: usually it already is (answers are logged in time order),
    which costs one comparison per row; short groups use insertion sort, long ones a merge sort
    followed by an insertion pass that settles ties. This replaces a general 1 M-row argsort.
    The placing pass also gathers order and correctness, so the per-group pass reads memory
    sequentially.

    Returns
    -------
    perm : int64 array
        Input row of each sorted position.
    correct_sorted : int8 array
        ``correct[perm]``.
    seq_ptr : int64 array
        Offsets of the non-empty groups (plus the end).
    seq_group : int64 array
        Group code of each non-empty group.
    """
    n = group.shape[0]
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n):
        start[group[i] + 1] += 1
    n_seq = 0
    for g in range(n_groups):
        if start[g + 1] > 0:
            n_seq += 1
        start[g + 1] += start[g]
    pos = start[:n_groups].copy()
    perm = np.empty(n, dtype=np.int64)
    o = np.empty(n, dtype=order.dtype)
    c = np.empty(n, dtype=np.int8)
    for i in range(n):
        g = group[i]
        k = pos[g]
        perm[k] = i
        o[k] = order[i]
        c[k] = correct[i]
        pos[g] = k + 1
    seq_ptr = np.empty(n_seq + 1, dtype=np.int64)
    seq_group = np.empty(n_seq, dtype=np.int64)
    s = 0
    for g in range(n_groups):
        a = start[g]
        b = start[g + 1]
        if b == a:
            continue
        seq_ptr[s] = a
        seq_group[s] = g
        s += 1
        in_order = True
        for k in range(a + 1, b):
            if _less(o, c, k, k - 1):
                in_order = False
                break
        if in_order:
            continue
        if b - a > 64:
            idx = np.argsort(o[a:b], kind="mergesort")
            sp = perm[a:b].copy()
            so = o[a:b].copy()
            sc = c[a:b].copy()
            for k in range(b - a):
                perm[a + k] = sp[idx[k]]
                o[a + k] = so[idx[k]]
                c[a + k] = sc[idx[k]]
        for k in range(a + 1, b):  # insertion sort (a final pass after the merge sort)
            vp = perm[k]
            vo = o[k]
            vc = c[k]
            m = k - 1
            while m >= a and (vo < o[m] or (vo == o[m] and vc < c[m])):
                perm[m + 1] = perm[m]
                o[m + 1] = o[m]
                c[m + 1] = c[m]
                m -= 1
            perm[m + 1] = vp
            o[m + 1] = vo
            c[m + 1] = vc
    seq_ptr[n_seq] = n
    return perm, c, seq_ptr, seq_group
