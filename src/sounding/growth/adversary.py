"""An intruder's audit of released accountability tables: what can be worked out from them?

The suppression (:mod:`sounding.growth.suppression`) and the coding of shares
(:mod:`sounding.growth.coding`) are meant to make the released tables safe *together*. This
module checks that claim the way an intruder would, from the published tables alone: it
rebuilds every linear relation between the published cells (subgroups add up to "All
students", schools to their district, districts to the state, a district-table row equals the
school table's district row, a provider's row is the sum of its schools), turns every published
number into what it says about the underlying counts, and bounds each unknown with linear
programmes (scipy's HiGHS): the standard interval audit of statistical disclosure control.

What the intruder is assumed to know:

* every published count, and every published share or mean as the interval its label stands
  for (a plain number is exact: ``0.25`` of 12 is 3 students);
* that every listed row has at least one student, that a denominator (students who needed to
  catch up, ...) never exceeds the group, that the catch-up and keep-up groups are disjoint,
  that the students meeting a target are among its denominator, and that the secured-standards
  means add up (below + on + above = total);
* the published reason for each hidden cell: "primary" means fewer than ``min_n`` students,
  "complementary" at least ``min_n``;
* which schools each provider serves (public in the provider evaluation).

What counts as a disclosure (:class:`Finding`):

* ``count``: a hidden count has one possible value;
* ``share`` / ``mean``: a hidden share or mean has one possible value (its count or sum and
  its denominator are pinned);
* ``all_met`` / ``none_met``: in a group known to have students, every member met (or none
  met) the target or standard, in every solution: each member's own result is known;
* ``all_zero``: every member of a group secured no standard (a mean forced to 0).

:func:`audit_release` works from the published tables; :func:`audit_union` is the same audit
on rows and equations already assembled (the release itself uses it to blur further until
nothing is disclosed). Integer rounding of the LP bounds makes the audit exact for the count
intervals the tables give (they are hierarchies and two-way tables, whose LP bounds are
integral).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from sounding.errors import InvalidInput
from sounding.growth.coding import DEFAULT_CODING, ShareCoding, mean_interval, share_count_bounds
from sounding.growth.suppression import MIN_N, SUPPRESSED, Equation

TOTAL = "ALL"
ALL_STUDENTS = "All students"

#: Denominator columns, their value columns, and what each value is (share of the
#: denominator, or mean of a non-negative count over it).
SHARES = (("proficient_n", "proficient_share"), ("catch_up_n", "catch_up_share"),
          ("keep_up_n", "keep_up_share"))
MEANS = ("mean_grade_span_growth", "mean_secured_below", "mean_secured_on",
         "mean_secured_above")
#: Means of quantities that can be negative: sums bounded only by their labels.
SIGNED_MEANS = ("mean_span_growth",)
STATUS = {"n": "suppression", "proficient_n": "proficient_suppression",
          "catch_up_n": "catch_up_suppression", "keep_up_n": "keep_up_suppression",
          "grade_span_n": "grade_span_suppression"}


@dataclass(frozen=True)
class Finding:
    """One thing the intruder learns that the release meant to hide."""

    kind: str  # count | share | mean | all_met | none_met | all_zero
    row: int  # position in the audited union
    column: str
    value: float | None = None
    where: str = ""

    def __str__(self) -> str:
        v = "" if self.value is None else f" = {self.value:g}"
        return f"{self.kind}: {self.column}{v} at {self.where or f'row {self.row}'}"


@dataclass
class AuditResult:
    """Findings, and how much was audited (for the report)."""

    findings: list[Finding] = field(default_factory=list)
    rows: int = 0
    hidden_cells: int = 0
    linear_programs: int = 0

    @property
    def recovered(self) -> list[Finding]:
        """Hidden cells worked out exactly (counts or shares)."""
        return [f for f in self.findings if f.kind in ("count", "share", "mean")]

    @property
    def individual(self) -> list[Finding]:
        """Groups where every member's own result is known."""
        return [f for f in self.findings if f.kind in ("all_met", "none_met", "all_zero")]

    @property
    def safe(self) -> bool:
        return not self.findings

    def summary(self) -> dict:
        kinds: dict[str, int] = {}
        for f in self.findings:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        return {"rows": self.rows, "hidden_cells": self.hidden_cells,
                "linear_programs": self.linear_programs, "findings": len(self.findings),
                "by_kind": kinds, "examples": [str(f) for f in self.findings[:10]]}


# ---------------------------------------------------------------------------- equations


def release_equations(tables: Mapping[str, pd.DataFrame],
                      school_providers: Mapping[str, Sequence[str]] | None = None,
                      ) -> tuple[pd.DataFrame, list[Equation]]:
    """Stack the released tables and rebuild, from their labels only, every sum between rows.

    Returns the union (column ``_table`` names the level) and ``(total, parts)`` equations by
    position in it.
    """
    order = [lv for lv in ("school", "district", "provider") if lv in tables]
    union = pd.concat([tables[lv].assign(_table=lv) for lv in order], ignore_index=True)
    col = {c: (union[c].astype(object).to_numpy() if c in union.columns
               else np.full(len(union), None, dtype=object))
           for c in ("subject", "district_id", "school_id", "provider_id", "subgroup_type",
                     "subgroup", "_table")}
    key: dict[tuple, int] = {}
    for i in range(len(union)):
        t = col["_table"][i]
        grp = {"school": (col["district_id"][i], col["school_id"][i]),
               "district": (col["district_id"][i],),
               "provider": (col["provider_id"][i],)}[t]
        key[(t, col["subject"][i], tuple(str(g) for g in grp), col["subgroup_type"][i],
             col["subgroup"][i])] = i
    eqs: list[Equation] = []
    groups: dict[tuple, dict[str, list[int]]] = {}
    for (t, sj, grp, st, _lab), i in key.items():
        groups.setdefault((t, sj, grp), {}).setdefault(st, []).append(i)
    for (t, sj, grp), types in groups.items():
        tot = key.get((t, sj, grp, "all", ALL_STUDENTS))
        if tot is None:
            continue
        eqs += [(tot, tuple(rows)) for st, rows in types.items() if st != "all"]
    sums: dict[tuple, list[int]] = {}
    for (t, sj, grp, st, lab), i in key.items():
        if t == "school":
            d, s = grp
            if s != TOTAL and d != TOTAL:
                sums.setdefault(("school", sj, (d, TOTAL), st, lab), []).append(i)
                for p in (school_providers or {}).get(s, ()):
                    sums.setdefault(("provider", sj, (str(p),), st, lab), []).append(i)
            elif d != TOTAL:
                sums.setdefault(("school", sj, (TOTAL, TOTAL), st, lab), []).append(i)
                twin = key.get(("district", sj, (d,), st, lab))
                if twin is not None:
                    eqs.append((twin, (i,)))
            else:
                for lv in ("district", "provider"):
                    twin = key.get((lv, sj, (TOTAL,), st, lab))
                    if twin is not None and not (lv == "provider" and _overlap(school_providers)):
                        eqs.append((twin, (i,)))
        elif t == "district" and grp[0] != TOTAL:
            sums.setdefault(("district", sj, (TOTAL,), st, lab), []).append(i)
        elif t == "provider" and grp[0] != TOTAL and not _overlap(school_providers):
            sums.setdefault(("provider", sj, (TOTAL,), st, lab), []).append(i)
    for k, parts in sums.items():
        tot = key.get(k)
        if tot is not None:
            eqs.append((tot, tuple(parts)))
    return union, eqs


def _overlap(school_providers: Mapping[str, Sequence[str]] | None) -> bool:
    return bool(school_providers) and any(len(v) > 1 for v in school_providers.values())


# ---------------------------------------------------------------------------- the audit


def audit_release(tables: Mapping[str, pd.DataFrame], *, min_n: int = MIN_N,
                  coding: ShareCoding = DEFAULT_CODING,
                  school_providers: Mapping[str, Sequence[str]] | None = None,
                  providers: pd.DataFrame | None = None) -> AuditResult:
    """Audit tables as released (``accountability_tables(..., public=True)``).

    ``providers`` (``provider_id, school_id``) or ``school_providers`` (school -> providers)
    tell which schools a provider serves; schools of no provider belong to ``"none"`` when
    the provider table has such a row.
    """
    if school_providers is None and "provider" in tables:
        if providers is None:
            raise InvalidInput("auditing a provider table needs the provider -> school "
                               "mapping (providers= or school_providers=)")
        school_providers = (providers.astype(str).groupby("school_id")["provider_id"]
                            .agg(list).to_dict())
        listed = set(tables["provider"]["provider_id"].astype(str))
        if "none" in listed:
            schools = tables["school"]["school_id"].astype(str)
            for s in set(schools) - {TOTAL}:
                school_providers.setdefault(s, ["none"])
    union, eqs = release_equations(tables, school_providers)
    return audit_union(union, eqs, min_n=min_n, coding=coding)


class _LP:
    """Variables with bounds, equalities and inequalities, solved by HiGHS."""

    def __init__(self) -> None:
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.eq: list[dict[int, float]] = []
        self.le: list[dict[int, float]] = []  # row <= 0
        self.solved = 0
        self._mats: tuple | None = None

    def var(self, lo: float, hi: float) -> int:
        self.lo.append(lo)
        self.hi.append(hi)
        self._mats = None
        return len(self.lo) - 1

    def _matrices(self) -> tuple:
        if self._mats is None:
            n = len(self.lo)

            def mat(rows: list[dict[int, float]]):
                if not rows:
                    return None
                r, c, v = [], [], []
                for i, row in enumerate(rows):
                    for j, x in row.items():
                        r.append(i)
                        c.append(j)
                        v.append(x)
                return coo_matrix((v, (r, c)), shape=(len(rows), n)).tocsr()

            big = 1e7
            bounds = np.column_stack([np.maximum(self.lo, -big), np.minimum(self.hi, big)])
            self._mats = (mat(self.eq), mat(self.le), bounds)
        return self._mats

    def optimum(self, obj: dict[int, float], sense: int) -> tuple[float, np.ndarray] | None:
        """``sense`` 1: minimise, -1: maximise. None when infeasible."""
        if not self.lo:  # nothing unknown: the empty programme is feasible
            self.solved += 1
            return 0.0, np.zeros(0)
        a_eq, a_le, bounds = self._matrices()
        c = np.zeros(len(self.lo))
        for j, x in obj.items():
            c[j] += sense * x
        res = linprog(c, A_ub=a_le, b_ub=None if a_le is None else np.zeros(a_le.shape[0]),
                      A_eq=a_eq, b_eq=None if a_eq is None else np.zeros(a_eq.shape[0]),
                      bounds=bounds, method="highs")
        self.solved += 1
        if res.status != 0:
            return None
        return sense * res.fun, res.x


def _value(v: object) -> tuple[str, object]:
    """('hidden'|'missing'|'label'|'number', value) of one published cell: a number is
    taken as exact, text as the coded interval it stands for."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "missing", None
    if isinstance(v, str):  # published text is a coded value ("47%", "3.2", "<0.5")
        text = v.strip()
        if text == SUPPRESSED:
            return "hidden", None
        if text.isdigit():  # a count written as text (a CSV read back)
            return "number", float(text)
        return "label", text
    return "number", float(v)  # a bare number is exact


def audit_union(union: pd.DataFrame, equations: Sequence[Equation], *, min_n: int = MIN_N,
                coding: ShareCoding = DEFAULT_CODING, counts_only: bool = False,
                values_only: bool = False) -> AuditResult:
    """The interval audit on stacked published rows and their equations (see module docs).

    ``values_only`` skips bounding hidden counts (the release's own loop, which has already
    proved the counts safe, uses it); ``counts_only`` skips the shares and means.
    """
    lp = _LP()
    n_rows = len(union)
    res = AuditResult(rows=n_rows)
    if n_rows == 0:
        return res
    where = _where(union)
    den_cols = ["n"] + [c for c in ("proficient_n", "catch_up_n", "keep_up_n", "grade_span_n")
                        if c in union.columns]
    var: dict[tuple[str, int], int] = {}
    hidden: list[tuple[str, int]] = []
    for c in den_cols:
        st_col = STATUS.get(c)
        for r in range(n_rows):
            kind, v = _value(union[c].iat[r])
            status = str(union[st_col].iat[r]) if st_col in union.columns else ""
            if status in ("nan", "<NA>", "None"):
                status = ""
            lo = 1.0 if c == "n" else 0.0
            hi = math.inf
            if kind == "number":
                lo = hi = v
            else:
                if status.startswith("primary") and min_n - 1 > lo:
                    hi = float(min_n - 1)
                elif status.startswith("complementary"):
                    lo = max(lo, float(min_n))
                hidden.append((c, r))
            var[(c, r)] = lp.var(lo, hi)
    if "proficient_n" not in union.columns:
        for r in range(n_rows):
            var[("proficient_n", r)] = var[("n", r)]
    res.hidden_cells = len(hidden)
    for r in range(n_rows):
        nv = var[("n", r)]
        for c in den_cols[1:]:
            lp.le.append({var[(c, r)]: 1.0, nv: -1.0})
        if "catch_up_n" in union.columns and "keep_up_n" in union.columns:
            lp.le.append({var[("catch_up_n", r)]: 1.0, var[("keep_up_n", r)]: 1.0, nv: -1.0})
    # attribute counts (met a target, proficient) and sums of means
    checks: list[tuple[str, int, str, dict[int, float], int]] = []  # kind,row,col,expr,den
    if not counts_only:
        for den, share in SHARES:
            if share not in union.columns:
                continue
            for r in range(n_rows):
                d = var[(den, r)]
                a = lp.var(0.0, math.inf)
                var[(share, r)] = a
                lp.le.append({a: 1.0, d: -1.0})
                kind, v = _value(union[share].iat[r])
                dk, dv = _value(union[den].iat[r] if den in union.columns else union["n"].iat[r])
                if kind in ("number", "label") and dk == "number" and dv and dv > 0:
                    if kind == "number":
                        k = round(v * dv)
                        lo, hi = k, k
                    else:
                        lo, hi = share_count_bounds(v, int(dv), coding)
                    lp.lo[a], lp.hi[a] = float(lo), float(hi)
                checks.append(("none_met", r, share, {a: 1.0}, d))
                checks.append(("all_met", r, share, {d: 1.0, a: -1.0}, d))
        if "grade_span_n" in union.columns:
            for m in SIGNED_MEANS:
                if m not in union.columns:
                    continue
                for r in range(n_rows):
                    dk, dv = _value(union["grade_span_n"].iat[r])
                    kind, v = _value(union[m].iat[r])
                    s = lp.var(-math.inf, math.inf)
                    var[(m, r)] = s
                    if kind in ("number", "label") and dk == "number" and dv:
                        lo, hi = (v, v) if kind == "number" else mean_interval(v, signed=True)
                        lp.lo[s], lp.hi[s] = lo * dv, hi * dv
            present = [m for m in MEANS if m in union.columns]
            for r in range(n_rows):
                d = var[("grade_span_n", r)]
                dk, dv = _value(union["grade_span_n"].iat[r])
                sv = {}
                for m in present:
                    s = lp.var(0.0, math.inf)
                    sv[m] = s
                    var[(m, r)] = s
                    kind, v = _value(union[m].iat[r])
                    if kind in ("number", "label") and dk == "number" and dv:
                        lo, hi = (v, v) if kind == "number" else mean_interval(v)
                        lp.lo[s], lp.hi[s] = lo * dv, hi * dv
                    else:  # a hidden mean is still bounded by the group: 0 <= sum
                        lp.le.append({s: 1.0, d: -1e6})  # no students, no sum
                    checks.append(("all_zero", r, m, {s: 1.0}, d))
                if "mean_grade_span_growth" in sv and len(sv) == 4:
                    lp.eq.append({sv["mean_grade_span_growth"]: 1.0,
                                  **{sv[m]: -1.0 for m in MEANS[1:]}})
    # every quantity adds up along every equation
    quantities = {q for q, _ in var}
    for t, parts in equations:
        for q in quantities:
            row: dict[int, float] = {}
            for c, coef in ((t, 1.0), *((p, -1.0) for p in parts)):
                j = var.get((q, c))
                if j is None:
                    break
                row[j] = row.get(j, 0.0) + coef
            else:
                row = {j: x for j, x in row.items() if x != 0.0}
                if row and not (q == "proficient_n" and "proficient_n" not in union.columns):
                    lp.eq.append(row)

    if lp.optimum({}, 1) is None:
        res.linear_programs = lp.solved
        res.findings.append(Finding("infeasible", -1, "", where="the release contradicts "
                                    "itself (the audit's assumptions do not hold)"))
        return res

    # 1. hidden counts: pinned when the minimum equals the maximum
    if not values_only:
        cand = _vary(lp, [var[h] for h in hidden])
        for (c, r) in hidden:
            j = var[(c, r)]
            if j in cand:
                continue
            lo = lp.optimum({j: 1.0}, 1)
            hi = lp.optimum({j: 1.0}, -1)
            if lo is None or hi is None:
                continue
            if math.floor(hi[0] + 1e-6) <= math.ceil(lo[0] - 1e-6):
                res.findings.append(Finding("count", r, c, round(lo[0]), where[r]))
    if counts_only:
        res.linear_programs = lp.solved
        return res

    # 2. individual results: an expression (met, not met, sum) forced to 0 in a group known
    #    to have students
    #    (the forced ones are few: only their groups are checked for students)
    forced = _forced_zero(lp, checks)
    groups_with_students = _positive(lp, {d for *_, d in forced})
    for kind, r, colname, _expr, d in forced:
        if d in groups_with_students:
            res.findings.append(Finding(kind, r, colname, None, where[r]))

    # 3. hidden values: a hidden share whose count and denominator are both pinned, a hidden
    #    mean whose sum and denominator are. (In the release's own loop the hidden counts
    #    are already proved unpinned, so only values hidden beside a published denominator,
    #    by the blurring, are checked there.)
    share_cols = {share for _, share in SHARES}
    den_of = {share: den for den, share in SHARES}
    den_of.update({m: "grade_span_n" for m in (*MEANS, *SIGNED_MEANS)})
    hidden_values = []
    for col, den in den_of.items():
        if col not in union.columns or (col, 0) not in var:
            continue
        den_col = den if den in union.columns else "n"
        for r in range(n_rows):
            if _value(union[col].iat[r])[0] != "hidden":
                continue
            if values_only and _value(union[den_col].iat[r])[0] != "number":
                continue
            hidden_values.append((den, col, r))
    free = _vary(lp, [var[(c, r)] for _, c, r in hidden_values])
    for den, col, r in hidden_values:
        d, a = var[(den, r)], var[(col, r)]
        if a in free:
            continue
        vals = []
        for j, integral in ((d, True), (a, col in share_cols)):  # counts vs sums of means
            lo = lp.optimum({j: 1.0}, 1)
            hi = lp.optimum({j: 1.0}, -1)
            if lo is None or hi is None:
                vals.append(None)
            elif integral:
                vals.append(None if math.floor(hi[0] + 1e-6) > math.ceil(lo[0] - 1e-6)
                            else round(lo[0]))
            else:
                vals.append(None if hi[0] - lo[0] > 1e-6 else lo[0])
            if vals[-1] is None:
                break
        if len(vals) == 2 and None not in vals and vals[0] > 0:
            kind = "share" if col in share_cols else "mean"
            res.findings.append(Finding(kind, r, col, vals[1] / vals[0], where[r]))
    res.linear_programs = lp.solved
    return res


def _where(union: pd.DataFrame) -> list[str]:
    out = []
    for rec in union.to_dict(orient="records"):
        grp = {"school": f"{rec.get('district_id')}/{rec.get('school_id')}",
               "district": str(rec.get("district_id")),
               "provider": str(rec.get("provider_id"))}.get(rec.get("_table", "school"),
                                                           str(rec.get("school_id")))
        out.append(f"{rec.get('_table', '')} {rec.get('subject', '')} {grp} "
                   f"{rec.get('subgroup')}")
    return out


def _vary(lp: _LP, js: list[int]) -> set[int]:
    """Variables seen at two different values across a few solutions (so not pinned)."""
    if not js:
        return set()
    sols = []
    obj = {j: 1.0 for j in js}
    for sense in (1, -1):
        got = lp.optimum(obj, sense)
        if got is not None:
            sols.append(got[1])
    rng = np.random.default_rng(0)
    for _ in range(6):
        w = rng.standard_normal(len(js))
        got = lp.optimum(dict(zip(js, w, strict=True)), 1)
        if got is not None:
            sols.append(got[1])
    if len(sols) < 2:
        return set()
    arr = np.array(sols)[:, js]
    spread = arr.max(axis=0) - arr.min(axis=0)
    return {j for j, s in zip(js, spread, strict=True) if s > 0.5}


def _positive(lp: _LP, js: set[int]) -> set[int]:
    """Of ``js`` (counts), those at least 1 in every solution.

    One programme minimising their sum rules out every count it leaves below 1; only the
    rest are minimised one by one.
    """
    out = {j for j in js if lp.lo[j] >= 1}
    rest = sorted(j for j in js if lp.lo[j] < 1)
    if rest:
        got = lp.optimum({j: 1.0 for j in rest}, 1)
        if got is not None:
            rest = [j for j in rest if got[1][j] >= 1 - 1e-6]
    for j in rest:
        got = lp.optimum({j: 1.0}, 1)
        if got is not None and got[0] >= 1 - 1e-6:
            out.add(j)
    return out


def _forced_zero(lp: _LP, checks: list) -> list:
    """The checks whose (non-negative) expression is 0 in every solution.

    Iterated as in :func:`sounding.growth.suppression._forced_to_bounds`: maximise the sum of
    the live expressions, each capped at 1 through an extra variable; every expression
    positive at the optimum is free; when the optimum is 0 every live one is forced.
    """
    live = list(range(len(checks)))
    forced: list = []
    base_le = len(lp.le)
    base_vars = len(lp.lo)
    try:
        while live:
            del lp.le[base_le:]
            del lp.lo[base_vars:]
            del lp.hi[base_vars:]
            lp._mats = None
            ts = []
            for k in live:
                t = lp.var(0.0, 1.0)
                row = {t: 1.0}
                for j, x in checks[k][3].items():
                    row[j] = row.get(j, 0.0) - x
                lp.le.append(row)
                ts.append(t)
            got = lp.optimum({t: 1.0 for t in ts}, -1)
            if got is None:
                break
            if got[0] <= 1e-7:
                forced.extend(checks[k] for k in live)
                break
            x = got[1]
            live = [k for k, t in zip(live, ts, strict=True) if x[t] <= 1e-7]
    finally:
        del lp.le[base_le:]
        del lp.lo[base_vars:]
        del lp.hi[base_vars:]
        lp._mats = None
    return forced
