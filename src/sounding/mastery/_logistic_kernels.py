"""numba kernels of the feature-based logistic models: history counts before every attempt.

One pass over the answers sorted by (student, order). An *attempt* is one answer to one item;
a data set that lists a multi-skill item once per skill (ASSISTments as processed by AKT)
gives consecutive rows of one attempt, and every row of an attempt gets the counts from
*before* the attempt, so no row sees its own answer through a sibling row.
"""

from __future__ import annotations

import numba
import numpy as np

#: Columns of the per-attempt count matrix :func:`history_counts` returns.
(TOTAL_W, TOTAL_F, ITEM_W, ITEM_F, PRE_W, PRE_F, SUC_W, SUC_F, STRAND_W, STRAND_F,
 TOTAL_RECENT) = range(11)
N_COUNTS = 11


@numba.njit(cache=True)
def history_counts(user_ptr, skill, item, correct, new_attempt, n_skills, n_items,
                   pre_ptr, pre_idx, suc_ptr, suc_idx, strand, n_strands, decay):
    """Counts of earlier answers before every attempt.

    Returns
    -------
    row_attempt : (n,) attempt index of each row
    row_w, row_f : (n,) earlier right / wrong answers of the student on the row's skill
    row_recent : (n,) recency-weighted sum of the student's earlier answers on the row's
        skill (+1 right, -1 wrong, weight ``decay**age``: the newest counts most)
    counts : (n_attempts, N_COUNTS) earlier right / wrong answers overall, on the item, on
        the prerequisites and on the successors of the attempt's skills (summed over its
        skills), and on the strand of its first skill
    """
    n = skill.shape[0]
    n_att = 0
    for i in range(n):
        if new_attempt[i]:
            n_att += 1
    row_attempt = np.empty(n, np.int64)
    row_w = np.zeros(n)
    row_f = np.zeros(n)
    row_recent = np.zeros(n)
    recent = np.zeros(n_skills)
    counts = np.zeros((n_att, N_COUNTS))
    wins = np.zeros(n_skills)
    fails = np.zeros(n_skills)
    iw = np.zeros(max(n_items, 1))
    ifl = np.zeros(max(n_items, 1))
    sw = np.zeros(max(n_strands, 1))
    sf = np.zeros(max(n_strands, 1))
    att = -1
    for u in range(user_ptr.shape[0] - 1):
        a = user_ptr[u]
        b = user_ptr[u + 1]
        tw = 0.0
        tf = 0.0
        tr = 0.0
        i = a
        while i < b:
            j = i + 1
            while j < b and not new_attempt[j]:
                j += 1
            att += 1
            c = counts[att]
            c[TOTAL_W] = tw
            c[TOTAL_F] = tf
            c[TOTAL_RECENT] = tr
            it = item[i]
            if it >= 0:
                c[ITEM_W] = iw[it]
                c[ITEM_F] = ifl[it]
            if n_strands > 0 and strand[skill[i]] >= 0:
                c[STRAND_W] = sw[strand[skill[i]]]
                c[STRAND_F] = sf[strand[skill[i]]]
            for r in range(i, j):
                k = skill[r]
                row_attempt[r] = att
                row_w[r] = wins[k]
                row_f[r] = fails[k]
                row_recent[r] = recent[k]
                for e in range(pre_ptr[k], pre_ptr[k + 1]):
                    c[PRE_W] += wins[pre_idx[e]]
                    c[PRE_F] += fails[pre_idx[e]]
                for e in range(suc_ptr[k], suc_ptr[k + 1]):
                    c[SUC_W] += wins[suc_idx[e]]
                    c[SUC_F] += fails[suc_idx[e]]
            # then the attempt's own answer joins the history
            ok = correct[i] == 1
            for r in range(i, j):
                k = skill[r]
                recent[k] = decay * recent[k] + (1.0 if correct[r] == 1 else -1.0)
                if correct[r] == 1:
                    wins[k] += 1.0
                else:
                    fails[k] += 1.0
                if n_strands > 0 and strand[k] >= 0:
                    if correct[r] == 1:
                        sw[strand[k]] += 1.0
                    else:
                        sf[strand[k]] += 1.0
            if it >= 0:
                if ok:
                    iw[it] += 1.0
                else:
                    ifl[it] += 1.0
            tr = decay * tr + (1.0 if ok else -1.0)
            if ok:
                tw += 1.0
            else:
                tf += 1.0
            i = j
        for r in range(a, b):  # reset what this student touched
            wins[skill[r]] = 0.0
            fails[skill[r]] = 0.0
            recent[skill[r]] = 0.0
            if item[r] >= 0:
                iw[item[r]] = 0.0
                ifl[item[r]] = 0.0
            if n_strands > 0 and strand[skill[r]] >= 0:
                sw[strand[skill[r]]] = 0.0
                sf[strand[skill[r]]] = 0.0
    return row_attempt, row_w, row_f, row_recent, counts


@numba.njit(cache=True)
def online_rasch(user_ptr, easiness, correct, new_attempt, prior_var):
    """Next-answer P(correct) of a Rasch model whose ability is tracked answer by answer.

    Ability ``theta ~ N(0, prior_var)``; after each attempt one Newton step of the Laplace
    approximation (mode and precision of the Gaussian that replaces the posterior). The
    prediction of an attempt uses only the earlier attempts. Returns per row the log-odds
    ``theta + easiness`` before the attempt, and ``theta`` and its precision after the last
    attempt of every student.
    """
    n = easiness.shape[0]
    eta = np.empty(n)
    n_users = user_ptr.shape[0] - 1
    theta_end = np.zeros(n_users)
    prec_end = np.zeros(n_users)
    for u in range(n_users):
        th = 0.0
        prec = 1.0 / prior_var
        i = user_ptr[u]
        b = user_ptr[u + 1]
        while i < b:
            j = i + 1
            while j < b and not new_attempt[j]:
                j += 1
            e = 0.0
            for r in range(i, j):
                e += easiness[r]
            e /= j - i
            for r in range(i, j):
                eta[r] = th + e
            p = 1.0 / (1.0 + np.exp(-(th + e)))
            prec += p * (1.0 - p)
            th += (correct[i] - p) / prec
            i = j
        theta_end[u] = th
        prec_end[u] = prec
    return eta, theta_end, prec_end
