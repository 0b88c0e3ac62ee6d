"""Privacy-safe public tables: primary and complementary cell suppression.

Accountability tables are published per school, district or provider and per student subgroup.
A group with very few students must not be shown (its median growth or share proficient is
close to a statement about named children), and hiding it is not enough when the hidden number
can be worked out from what *is* shown: if a school publishes "All students: 45" and
"Not English learner: 41", the suppressed "English learner" row holds 4 students, and its share
proficient follows from the two published shares weighted by their counts.

The rule, in the order it is applied
-------------------------------------
1. **Primary suppression.** Every cell whose count is below ``min_n`` (default :data:`MIN_N`,
   the one place the default lives) or missing is suppressed: its count and every value column
   are replaced by the marker.
2. **Complementary suppression.** The table's *margins* say which published cells add up:
   each :class:`Partition` contributes equations ``total = part_1 + ... + part_k`` (for
   example, per school: "All students" = "English learner" + "Not English learner"; per
   subgroup: "All schools" = the sum of the school rows). An equation whose cells contain
   exactly one suppressed cell reveals it (total minus the published parts), so the smallest
   published *part* of that equation (the total only if every part is already suppressed) is
   suppressed as well; ties prefer cells with students, so the hidden cells never sum to a
   known zero. The same happens when the suppressed parts of an equation with a published total
   are all empty (they would be pinned at 0). This repeats until no equation changes (a cell
   suppressed for one equation can isolate a cell in another: school rows with an "All
   students" total, EL/non-EL, SWD/non-SWD and race/ethnicity partitions, and a district total
   per subgroup all interact).
3. **Exact audit.** The equation-by-equation rule is not enough in a multi-way table: two
   blocks of suppressed cells joined by one "bridge" cell let a reader add and subtract whole
   rows and columns until the bridge is isolated. :func:`disclosed_cells` therefore checks the
   whole system: with the published cells known and the suppressed counts unknown but
   non-negative, a suppressed count is *disclosed* when it takes one value in every solution
   of the equations. Any disclosed cell gets one more complement (the smallest published cell
   in one of its equations) and steps 2-3 repeat.
4. **Pruning.** Greedy choices can leave a complement that a later one made unnecessary, so
   each complementary cell (largest first, because larger cells are the most useful to publish)
   is published again if the table stays safe without it. After this every complementary cell
   is needed: publishing any one of them alone would disclose a suppressed cell.

Several statistics and several tables released together (:func:`suppress_families`): each
statistic has its own denominator (a catch-up share is about the students who needed to catch
up, not the whole cell), suppressed when *it* is under ``min_n``; all denominators, of every
released table, form one system of equations (they add up the same way, and per cell they
are tied to the cell's count), so the exact audit runs over the union and nothing hidden in one
statistic or table can be recovered from another.

Values derived from counts (means and shares weighted by ``n``) add up with the same equations
as the counts (``total_n * total_mean = sum(n_i * mean_i)``), so the same suppression pattern
protects them; values are always suppressed together with their cell's count. Medians are not
additive and need no further protection. Not covered: a published 0 % or 100 % share in a total
reveals every part's share whatever is suppressed (report such totals as "<5 %"/">95 %" when
that matters), and equations the table does not declare in ``margins``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

# MIN_N: smallest group size published (the Colorado and federal ESSA-reporting convention is
# 10-16; the design asks for 10, configurable), defined once in core; every default in the
# package points here.
from sounding.core.thresholds import MIN_N as MIN_N
from sounding.errors import InvalidInput

#: What a suppressed count or value reads as in a published table.
SUPPRESSED: str = "*"

#: Values of the status column :func:`suppress_table` adds.
PRIMARY = "primary"
COMPLEMENTARY = "complementary"

Equation = tuple[int, tuple[int, ...]]
"""``(total_row, (part_rows...))`` by position: the total equals the sum of the parts."""


@dataclass(frozen=True)
class Partition:
    """Rows of a table in which one *total* row equals the sum of its *part* rows.

    Parameters
    ----------
    column
        Column whose value names the cell inside one instance of the partition (for example
        ``"subgroup"`` or ``"school_id"``).
    total
        Value of ``column`` on the total row (``"All students"``, ``"ALL"``).
    parts
        Values of ``column`` on the part rows; ``None`` means every other row of the instance.
        A part with no row in an instance counts as a published zero (the group is absent).
    within
        Columns that identify one instance (``("school_id",)``: one equation per school). Empty:
        the whole table is one instance.

    Examples
    --------
    Per school, the English-learner split of "All students", and per subgroup the schools of
    a district adding up to the district row ``"ALL"``::

        Partition("subgroup", "All students", ("English learner", "Not English learner"),
                  within=("school_id",))
        Partition("school_id", "ALL", None, within=("subgroup",))
    """

    column: str
    total: Hashable
    parts: tuple[Hashable, ...] | None = None
    within: tuple[str, ...] = ()

    def equations(self, table: pd.DataFrame) -> list[Equation]:
        """The equations this partition states about ``table`` (positional row indices).

        Raises
        ------
        InvalidInput
            When a column is missing or an instance has more than one total row (the table
            would then state two different totals for the same thing).
        """
        missing = [c for c in (self.column, *self.within) if c not in table.columns]
        if missing:
            raise InvalidInput(f"partition on {self.column!r}: table has no column(s) {missing}")
        labels = table[self.column].to_numpy()
        positions = np.arange(len(table))
        if self.within:
            keys = table[list(self.within)].astype(object).itertuples(index=False, name=None)
            groups: dict[tuple, list[int]] = {}
            for pos, key in zip(positions, keys, strict=True):
                groups.setdefault(key, []).append(int(pos))
            instances: Iterable[tuple[tuple, list[int]]] = groups.items()
        else:
            instances = [((), [int(p) for p in positions])]
        part_set = None if self.parts is None else set(self.parts)
        out: list[Equation] = []
        for key, rows in instances:
            totals = [r for r in rows if labels[r] == self.total]
            if not totals:
                continue  # nothing published to subtract from
            if len(totals) > 1:
                raise InvalidInput(
                    f"partition on {self.column!r}: {len(totals)} rows are the total "
                    f"{self.total!r} for {dict(zip(self.within, key, strict=True))}")
            parts = [r for r in rows if labels[r] != self.total
                     and (part_set is None or labels[r] in part_set)]
            if parts:
                out.append((totals[0], tuple(parts)))
        return out


def _hide(out: pd.DataFrame, cols: list[str], hidden: np.ndarray, marker: object) -> None:
    """Blank the hidden cells of ``cols`` in place: missing (integers become nullable Int64)
    or, when ``marker`` is given (e.g. ``"*"``), that marker."""
    for col in cols:
        if marker is None:
            series = out[col]
            if pd.api.types.is_integer_dtype(series):
                series = series.astype("Int64")
            out[col] = series.mask(hidden)
        else:
            col_values = out[col].astype(object).to_numpy(copy=True)
            col_values[hidden] = marker
            out[col] = col_values


def suppress_table(
    table: pd.DataFrame,
    *,
    min_n: int = MIN_N,
    count_col: str = "n",
    value_cols: Sequence[str] | None = None,
    margins: Sequence[Partition | Equation] = (),
    marker: str | None = SUPPRESSED,
    status_col: str = "suppression",
    prune: bool = True,
) -> pd.DataFrame:
    """The public version of ``table``: small cells and their complements suppressed.

    Parameters
    ----------
    table
        One row per published cell (group x subgroup), with a count column and value columns.
    min_n
        Cells with fewer students are suppressed (primary suppression).
    count_col
        The column holding each cell's number of students.
    value_cols
        Columns suppressed together with the count. ``None``: every numeric column except the
        count and the columns named by the margins.
    margins
        What adds up in the table, as :class:`Partition` objects or raw
        ``(total_position, (part_positions...))`` equations. Without margins nothing can be
        recovered by subtraction and only primary suppression applies.
    marker
        What suppressed counts and values read as (the columns become ``object``). ``None``
        keeps the numeric dtypes and writes missing values instead, for code that reads the
        status column.
    status_col
        Name of the added column: ``"primary"``, ``"complementary"`` or ``""`` (published).
    prune
        Re-publish complementary cells that turn out to be unnecessary (see module docs).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with suppressed cells masked and ``status_col`` added.

    Raises
    ------
    InvalidInput
        When a named column is missing or the counts are negative.
    """
    if count_col not in table.columns:
        raise InvalidInput(f"suppress_table: no count column {count_col!r}")
    if min_n < 1:
        raise InvalidInput(f"min_n must be at least 1, not {min_n}")
    equations = _resolve_margins(table, margins)
    if value_cols is None:
        skip = {count_col, status_col}
        for m in margins:
            if isinstance(m, Partition):
                skip.update((m.column, *m.within))
        value_cols = [c for c in table.columns
                      if c not in skip and pd.api.types.is_numeric_dtype(table[c])
                      and not pd.api.types.is_bool_dtype(table[c])]
    missing = [c for c in value_cols if c not in table.columns]
    if missing:
        raise InvalidInput(f"suppress_table: no value column(s) {missing}")
    counts = pd.to_numeric(table[count_col], errors="coerce").to_numpy(dtype=float)
    if np.any(counts[~np.isnan(counts)] < 0):
        raise InvalidInput(f"suppress_table: negative counts in {count_col!r}")

    status = suppression_pattern(counts, equations, min_n=min_n, prune=prune)
    hidden = status != ""
    out = table.copy()
    _hide(out, [count_col, *value_cols], hidden, marker)
    out[status_col] = status
    return out


@dataclass(frozen=True)
class Family:
    """One statistic's denominator (students it is computed on) and what is published on it.

    A share over the students who needed to catch up is a statement about *those* students:
    it must be hidden when they are fewer than ``min_n``, even in a large group, and the
    hidden denominators must be protected like the group counts (they add up over subgroups,
    schools and providers the same way).

    Parameters
    ----------
    count_col
        The denominator column.
    value_cols
        Columns published on that denominator, masked with it.
    status_col
        Name of the status column added for this family.
    group
        Families in one group are disjoint subsets of the first (base) family's students
        (catch-up and keep-up: not proficient / proficient last year). Per row, the base count
        equals the group's counts plus the students in none of them, which a reader is assumed
        to know (for example, that every student with a growth percentile has a prior year's
        level): so a group member's hidden count cannot be recovered as base minus the others.
        ``None``: a group of its own.
    """

    count_col: str
    value_cols: tuple[str, ...] = ()
    status_col: str = "suppression"
    group: str | None = None


def suppress_families(
    table: pd.DataFrame,
    families: Sequence[Family],
    equations: Sequence[Equation],
    *,
    min_n: int = MIN_N,
    marker: str | None = SUPPRESSED,
    prune: bool = True,
    nonempty_rows: bool = True,
    status_known: bool = True,
) -> pd.DataFrame:
    """Suppress several statistics of one table (or a union of tables) jointly.

    Every family's counts satisfy the same ``equations`` (positional, over ``table``'s rows:
    school rows add up to district rows, schools to providers, subgroups to "All students");
    the families are tied per row by their groups (see :class:`Family`). All of it is one
    system of linear equations, so the exact audit (:func:`disclosed_cells`) runs over every
    statistic and every table at once: a count hidden in one statistic or table cannot be
    recovered from what another publishes.

    The first family is the base (every student of the cell: ``n``). A family whose count
    equals the base count in every row is folded into it (suppressed exactly when the base is).

    The audit assumes a reader who knows that every listed row has a student
    (``nonempty_rows``: a subgroup with none is not listed) and, with ``status_known``, the
    published reason for each hidden cell (see :func:`suppression_pattern`).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with each family's count and value columns masked where that
        family is suppressed, and one status column per family (``primary``,
        ``complementary`` or ``""``).

    Raises
    ------
    InvalidInput
        Missing columns, negative counts, or a family larger than the base in some row.
    """
    if not families:
        raise InvalidInput("suppress_families needs at least one family")
    if min_n < 1:
        raise InvalidInput(f"min_n must be at least 1, not {min_n}")
    for fam in families:
        missing = [c for c in (fam.count_col, *fam.value_cols) if c not in table.columns]
        if missing:
            raise InvalidInput(f"suppress_families: no column(s) {missing}")
    n_rows = len(table)
    eqs = [(int(t), tuple(int(p) for p in parts)) for t, parts in equations]
    for t, parts in eqs:
        if any(not 0 <= c < n_rows for c in (t, *parts)):
            raise InvalidInput(f"equation {(t, parts)!r} refers to a row outside the table")
    raw = {f.count_col: pd.to_numeric(table[f.count_col], errors="coerce").to_numpy(float)
           for f in families}
    for f in families:
        if np.any(raw[f.count_col][~np.isnan(raw[f.count_col])] < 0):
            raise InvalidInput(f"suppress_families: negative counts in {f.count_col!r}")
    base = families[0]
    xb = np.nan_to_num(raw[base.count_col])
    groups: dict[str, list[Family]] = {}
    for f in families[1:]:
        groups.setdefault(f.group or f.count_col, []).append(f)
    folded: list[Family] = []
    active: list[Family] = [base]
    group_members: list[list[int]] = []  # indices into active, per kept group
    for members in groups.values():
        total = sum(np.nan_to_num(raw[f.count_col]) for f in members)
        if np.any(total > xb + 1e-9):
            raise InvalidInput(f"suppress_families: {[f.count_col for f in members]} exceed "
                               f"{base.count_col!r} in some row")
        if len(members) == 1 and np.array_equal(np.nan_to_num(raw[members[0].count_col]), xb):
            folded.append(members[0])
            continue
        group_members.append(list(range(len(active), len(active) + len(members))))
        active.extend(members)

    # cells: (family k, row r) at k * n_rows + r, then one locked "in none" cell per group/row
    n_fam = len(active)
    size = (n_fam + len(group_members)) * n_rows
    counts = np.zeros(size)
    primary = np.zeros(size, dtype=bool)
    locked = np.zeros(size, dtype=bool)
    for k, f in enumerate(active):
        v = raw[f.count_col]
        counts[k * n_rows:(k + 1) * n_rows] = np.nan_to_num(v)
        primary[k * n_rows:(k + 1) * n_rows] = np.isnan(v) | (np.nan_to_num(v) < min_n)
    all_eqs: list[Equation] = []
    for k in range(n_fam):
        off = k * n_rows
        all_eqs.extend((t + off, tuple(p + off for p in parts)) for t, parts in eqs)
    for g, members in enumerate(group_members):
        off = (n_fam + g) * n_rows
        rest = xb - sum(counts[k * n_rows:(k + 1) * n_rows] for k in members)
        counts[off:off + n_rows] = rest
        locked[off:off + n_rows] = True
        for r in range(n_rows):
            all_eqs.append((r, (*(k * n_rows + r for k in members), off + r)))
    lower = np.zeros(size)
    if nonempty_rows:
        lower[:n_rows] = np.minimum(1.0, counts[:n_rows])
    lower[locked] = counts[locked]
    status = suppression_pattern(counts, all_eqs, min_n=min_n, prune=prune, locked=locked,
                                 primary=primary, lower=lower, status_known=status_known)

    out = table.copy()
    per_family = {f.count_col: status[k * n_rows:(k + 1) * n_rows] for k, f in enumerate(active)}
    for f in folded:
        per_family[f.count_col] = per_family[base.count_col]
    for f in families:
        st = per_family[f.count_col]
        _hide(out, [f.count_col, *f.value_cols], st != "", marker)
        out[f.status_col] = st
    return out


def suppression_pattern(
    counts: Sequence[float] | np.ndarray,
    equations: Sequence[Equation],
    *,
    min_n: int = MIN_N,
    prune: bool = True,
    locked: Sequence[bool] | np.ndarray | None = None,
    primary: Sequence[bool] | np.ndarray | None = None,
    lower: Sequence[float] | np.ndarray | float = 0.0,
    status_known: bool = True,
) -> np.ndarray:
    """Which cells to suppress, and why: ``"primary"``, ``"complementary"`` or ``""``.

    The array-level core of :func:`suppress_table` (rule in the module docstring), usable for
    any table whose additive structure is given as equations over cell positions.

    Parameters
    ----------
    counts
        Students per cell; missing (NaN) counts are suppressed and treated as 0.
    equations
        ``(total, parts)`` position tuples: ``counts[total] == sum(counts[parts])``.
    min_n
        Primary-suppression threshold.
    prune
        Re-publish complements that are not needed.
    locked
        Cells every reader knows and that are never suppressed (for example the number of
        students in a group without a prior achievement level, which links two statistics'
        denominators to the group's count). They are constants in the equations.
    primary
        Cells to suppress outright; default: count below ``min_n`` or missing (locked cells
        excepted).
    lower
        What every reader knows each count is at least, whatever is hidden: 1 for a row that
        is listed at all (a subgroup appears only when it has a student), else 0.
    status_known
        The published table says *why* each cell is hidden (``primary`` / ``complementary``),
        so a reader knows a primary count is below ``min_n`` and a complementary one is not.
        The audit then uses those bounds too (without them, "total 11, English learners
        primary, the others complementary" would pin the English learners at exactly 1).

    Returns
    -------
    numpy.ndarray
        ``object`` array of status strings, one per cell.
    """
    x = np.nan_to_num(np.asarray(counts, dtype=float), nan=0.0)
    raw = np.asarray(counts, dtype=float)
    lock = (np.zeros(len(x), dtype=bool) if locked is None
            else np.asarray(locked, dtype=bool).copy())
    if primary is None:
        primary = (np.isnan(raw) | (x < min_n)) & ~lock
    else:
        primary = np.asarray(primary, dtype=bool) & ~lock
    eqs = [(int(t), tuple(int(p) for p in parts)) for t, parts in equations]
    by_cell: dict[int, list[int]] = {}
    for k, (t, parts) in enumerate(eqs):
        for c in (t, *parts):
            by_cell.setdefault(c, []).append(k)

    base_lb = np.broadcast_to(np.asarray(lower, dtype=float), x.shape).copy()

    def bounds(hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _reader_bounds(x, hidden, primary, base_lb, min_n, status_known)

    sup = primary.copy()
    while True:
        _close_equations(x, sup, eqs, lock)
        leaks = disclosed_cells(x, sup, eqs, *bounds(sup))
        if leaks.size == 0:
            break
        added = False
        for cell in leaks:
            pick = _complement_for(x, sup, eqs, by_cell.get(int(cell), []), lock)
            if pick is not None and not sup[pick]:
                sup[pick] = True
                added = True
        if not added:
            # Every cell the leaking equations touch is hidden already; widen to the whole
            # component so the loop always ends (in the worst case with everything hidden).
            comp = _component_cells(int(leaks[0]), eqs, by_cell)
            free = [c for c in comp if not sup[c] and not lock[c]]
            if not free:
                break
            sup[min(free, key=lambda c: (x[c] == 0, x[c], c))] = True

    if prune:
        while True:
            changed = False
            comp_cells = np.flatnonzero(sup & ~primary)
            for cell in sorted(comp_cells, key=lambda c: (-x[c], c)):
                trial = sup.copy()
                trial[cell] = False
                # only the hidden cells linked to this one can become disclosed by it
                near = {d for k in by_cell.get(int(cell), [])
                        for d in (eqs[k][0], *eqs[k][1]) if trial[d]}
                if _safe(x, trial, eqs, focus=near, bounds=bounds(trial)):
                    sup = trial
                    changed = True
            if not changed:
                break

    status = np.full(len(x), "", dtype=object)
    status[sup] = COMPLEMENTARY
    status[primary] = PRIMARY
    return status


def disclosed_cells(
    counts: Sequence[float] | np.ndarray,
    suppressed: Sequence[bool] | np.ndarray,
    equations: Sequence[Equation],
    lower: Sequence[float] | np.ndarray | None = None,
    upper: Sequence[float] | np.ndarray | None = None,
    *,
    focus: Iterable[int] | None = None,
) -> np.ndarray:
    """Suppressed cells whose count a reader can work out exactly from the published table.

    The reader knows every published count, that each equation holds, and that each hidden
    count lies within ``[lower, upper]`` (default ``[0, inf)``: counts are non-negative; a
    listed subgroup has at least one student; a published reason "primary" says the count is
    below the minimum). A suppressed count is disclosed when it has the same value in every
    solution within those bounds. Two mechanisms cover all cases:

    * cells forced to one of their bounds (found with a few linear programmes,
      :func:`_forced_to_bounds`: only a cell whose true count sits on a bound can be forced
      there, since the true table is a solution);
    * cells fixed by the linear equations once the forced ones are known: the other unknowns
      can all be strictly inside their bounds at once (an average of solutions), so they can
      move a little in every direction the equations allow, and a count is fixed exactly when
      its unit vector lies in the row space of the equations (exact modular elimination,
      :func:`_fixed_by_equations`).

    Integer counts do not add disclosure beyond this for tables whose equations form a
    hierarchy or a two-way table (their matrices are totally unimodular, so interval ends are
    integers).

    Parameters
    ----------
    counts
        True counts of every cell (NaN read as 0).
    suppressed
        Which cells are hidden.
    equations
        ``(total, parts)`` position tuples.
    focus
        Only examine the groups of linked hidden cells that contain one of these cells (the
        rest are known to be safe: pruning re-publishes one cell at a time).

    Returns
    -------
    numpy.ndarray
        Sorted positions of the disclosed cells (empty when the table is safe).
    """
    x = np.nan_to_num(np.asarray(counts, dtype=float), nan=0.0)
    sup = np.asarray(suppressed, dtype=bool)
    lo = np.zeros(x.shape) if lower is None else np.minimum(np.asarray(lower, float), x)
    hi = np.full(x.shape, np.inf) if upper is None else np.maximum(np.asarray(upper, float), x)
    rows: list[dict[int, float]] = []
    for t, parts in equations:
        row: dict[int, float] = {}
        for c, coef in ((t, 1.0), *((p, -1.0) for p in parts)):
            if sup[c]:
                row[c] = row.get(c, 0.0) + coef
        row = {c: v for c, v in row.items() if v != 0.0}
        if row:
            rows.append(row)
    if not rows:
        return np.flatnonzero(sup & (lo == hi)).astype(int)

    # Connected components of hidden cells that share an equation.
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for row in rows:
        cells = list(row)
        for c in cells[1:]:
            parent[find(c)] = find(cells[0])
        find(cells[0])
    comps: dict[int, list[int]] = {}
    for c in parent:
        comps.setdefault(find(c), []).append(c)
    comp_rows: dict[int, list[dict[int, float]]] = {}
    for row in rows:
        comp_rows.setdefault(find(next(iter(row))), []).append(row)

    disclosed: list[int] = []
    wanted = None if focus is None else {find(c) for c in focus if c in parent}
    for root, cells in comps.items():
        if wanted is not None and root not in wanted:
            continue
        cells = sorted(cells)
        col = {c: j for j, c in enumerate(cells)}
        a = np.zeros((len(comp_rows[root]), len(cells)))
        for i, row in enumerate(comp_rows[root]):
            for c, v in row.items():
                a[i, col[c]] = v
        b = a @ x[cells]
        forced = _forced_to_bounds(a, b, x[cells], lo[cells], hi[cells])
        disclosed.extend(c for j, c in enumerate(cells) if forced[j])
        gone = {c for j, c in enumerate(cells) if forced[j]}
        sparse = [{c: v for c, v in row.items() if c not in gone} for row in comp_rows[root]]
        disclosed.extend(_fixed_by_equations(sparse))
    pinned = np.flatnonzero(sup & (lo == hi))  # bounds alone give it away (min_n of 2)
    if focus is None:
        disclosed.extend(int(c) for c in pinned)
    return np.array(sorted(set(disclosed)), dtype=int)


#: Two 61-bit primes for the modular elimination in :func:`_fixed_by_equations`.
_PRIMES = (2**61 - 1, 2**61 - 31)


def _fixed_by_equations(rows: list[dict[int, float]]) -> list[int]:
    """Unknowns whose value every solution of the (homogeneous part of the) equations shares.

    An unknown is fixed exactly when its unit vector lies in the row space of the equations.
    That is decided by sparse Gauss-Jordan elimination in exact integer arithmetic modulo a
    large prime, once per prime of :data:`_PRIMES`, and a cell fixed under either counts as
    fixed: each nonzero row ends up owning a pivot column no other row has, so a unit vector
    is in the row space exactly when some row has that column as its only entry. Modular
    arithmetic is exact; it could only *miss* a fixed cell if both primes divided the same
    determinant of the (small-integer) equation matrix, and the tables' matrices are sums of
    hierarchies whose determinants are tiny. The equations are sparse (a few cells each), so
    this is far cheaper than a dense SVD, and it needs no floating-point tolerance.
    """
    ints: list[dict[int, int]] = []
    for row in rows:
        r = {}
        for c, v in row.items():
            iv = int(round(v))
            if iv != v:
                raise ValueError("equation coefficients must be integers")
            if iv:
                r[c] = iv
        if r:
            ints.append(r)
    fixed: set[int] = set()
    for prime in _PRIMES:
        fixed |= _fixed_mod(ints, prime)
    return sorted(fixed)


def _fixed_mod(rows: list[dict[int, int]], prime: int) -> set[int]:
    work = [{c: v % prime for c, v in r.items() if v % prime} for r in rows]
    holders: dict[int, set[int]] = {}
    for i, r in enumerate(work):
        for c in r:
            holders.setdefault(c, set()).add(i)
    pivots: dict[int, int] = {}
    for i in range(len(work)):
        if not work[i]:
            continue
        j = min(work[i], key=lambda c: (len(holders[c]), c))  # least fill-in
        pivots[i] = j
        inv = pow(work[i][j], prime - 2, prime)
        if inv != 1:
            work[i] = {c: v * inv % prime for c, v in work[i].items()}
        pivot_row = work[i]
        for i2 in list(holders[j]):
            if i2 == i:
                continue
            r2 = work[i2]
            f = r2[j]
            for c, v in pivot_row.items():
                nv = (r2.get(c, 0) - f * v) % prime
                if nv == 0:
                    if c in r2:
                        del r2[c]
                        holders[c].discard(i2)
                else:
                    if c not in r2:
                        holders.setdefault(c, set()).add(i2)
                    r2[c] = nv
    return {j for i, j in pivots.items() if len(work[i]) == 1}


def _forced_to_bounds(a: np.ndarray, b: np.ndarray, values: np.ndarray,
                      lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Which unknowns sit on the same bound in every solution of ``a v = b, lower <= v <= upper``.

    Only a cell whose true value is on a bound can be forced there (the true table is a
    solution). First one linear programme asks whether every such cell can leave its bound at
    once (maximise the smallest slack): in a safe table they can, and that settles it.
    Otherwise: maximise the sum of the candidates' slacks (each capped, so the programme is
    bounded); every candidate with slack at the optimum is free, the rest are tested again,
    and an optimum of 0 proves all remaining candidates forced. A cell whose bounds meet is
    forced outright.
    """
    from scipy.sparse import csr_matrix, hstack

    n = len(values)
    forced = np.zeros(n, dtype=bool)
    fixed = lower >= upper
    forced[fixed] = True
    lo_c = np.flatnonzero(~fixed & (values <= lower))
    hi_c = np.flatnonzero(~fixed & np.isfinite(upper) & (values >= upper))
    if lo_c.size + hi_c.size == 0:
        return forced
    cap = float(np.abs(b).sum() + np.abs(values).sum() + np.abs(lower).sum()) + 1.0
    ub_v = np.where(np.isfinite(upper), upper, lower + cap)
    bnds = list(zip(lower, ub_v, strict=True))
    A = csr_matrix(a)
    k = lo_c.size + hi_c.size
    # slack_i = v_i - lower_i (low candidates) or upper_i - v_i (high candidates)
    sign = np.concatenate([np.ones(lo_c.size), -np.ones(hi_c.size)])
    cells = np.concatenate([lo_c, hi_c])
    const = np.concatenate([lower[lo_c], -upper[hi_c]])  # slack = sign * v - const
    # max t  s.t.  t - slack_i <= 0,  A v = b,  bounds,  0 <= t <= 1
    ub = csr_matrix((np.concatenate([-sign, np.ones(k)]),
                     (np.concatenate([np.arange(k)] * 2),
                      np.concatenate([cells, np.full(k, n)]))), shape=(k, n + 1))
    obj = np.zeros(n + 1)
    obj[n] = -1.0
    res = linprog(obj, A_ub=ub, b_ub=-const,
                  A_eq=hstack([A, csr_matrix((a.shape[0], 1))]).tocsr(), b_eq=b,
                  bounds=[*bnds, (0, 1)], method="highs")
    if res.status == 0 and -res.fun > 1e-9:
        return forced  # every candidate can leave its bound at once: none is forced
    live = np.ones(k, dtype=bool)
    while live.any():
        obj = np.zeros(n)
        np.add.at(obj, cells[live], -sign[live])
        res = linprog(obj, A_eq=A, b_eq=b, bounds=bnds, method="highs")
        if res.status != 0:
            return forced  # cannot prove anything forced: report none (not expected)
        slack = sign * res.x[cells] - const
        free = live & (slack > 1e-9)
        if not free.any():
            forced[cells[live]] = True
            break
        live &= ~free
    return forced


def _resolve_margins(table: pd.DataFrame, margins: Sequence[Partition | Equation]
                     ) -> list[Equation]:
    eqs: list[Equation] = []
    n = len(table)
    for m in margins:
        if isinstance(m, Partition):
            eqs.extend(m.equations(table))
            continue
        t, parts = m
        cells = (int(t), *(int(p) for p in parts))
        if any(not 0 <= c < n for c in cells):
            raise InvalidInput(f"equation {m!r} refers to a row outside the table (0..{n - 1})")
        eqs.append((cells[0], cells[1:]))
    return eqs


def _close_equations(x: np.ndarray, sup: np.ndarray, eqs: list[Equation],
                     lock: np.ndarray | None = None) -> None:
    """Step 2 of the rule: fix every single-equation leak, in place, until stable."""
    changed = True
    while changed:
        changed = False
        for k, (t, parts) in enumerate(eqs):
            hidden_parts = [p for p in parts if sup[p]]
            n_hidden = len(hidden_parts) + int(sup[t])
            if n_hidden == 0:
                continue
            zero_parts = (not sup[t] and hidden_parts
                          and all(x[p] == 0.0 for p in hidden_parts))
            if n_hidden == 1 or zero_parts:
                pick = _complement_for(x, sup, eqs, [k], lock)
                if pick is not None:
                    sup[pick] = True
                    changed = True


def _complement_for(x: np.ndarray, sup: np.ndarray, eqs: list[Equation],
                    eq_ids: Sequence[int], lock: np.ndarray | None = None) -> int | None:
    """The published cell to hide next: a part before a total, cells with students first,
    then the smallest count, then the earliest row (deterministic). Locked cells never."""
    best: tuple | None = None
    pick: int | None = None
    for k in eq_ids:
        t, parts = eqs[k]
        for c, is_total in ((t, True), *((p, False) for p in parts)):
            if sup[c] or (lock is not None and lock[c]):
                continue
            key = (is_total, x[c] == 0.0, x[c], c)
            if best is None or key < best:
                best, pick = key, c
    return pick


def _component_cells(cell: int, eqs: list[Equation], by_cell: dict[int, list[int]]) -> list[int]:
    seen = {cell}
    stack = [cell]
    while stack:
        c = stack.pop()
        for k in by_cell.get(c, []):
            t, parts = eqs[k]
            for d in (t, *parts):
                if d not in seen:
                    seen.add(d)
                    stack.append(d)
    return sorted(seen)


def _reader_bounds(x: np.ndarray, hidden: np.ndarray, primary: np.ndarray,
                   base_lb: np.ndarray, min_n: int, status_known: bool
                   ) -> tuple[np.ndarray, np.ndarray]:
    """What a reader of the published table knows about each hidden count: at least
    ``base_lb``; with the reasons published, a primary count is below ``min_n`` and a
    complementary one (a published-size cell hidden to protect another) at least ``min_n``."""
    lb = base_lb.copy()
    ub = np.full(x.shape, np.inf)
    if status_known:
        comp = hidden & ~primary
        # (with min_n 1 a primary count of 0 would be pinned by its reason alone, which no
        # complement can help: that bound is left out, and such a min_n protects nothing)
        prim = hidden & primary & (x < min_n) & (base_lb < min_n - 1)
        lb[comp] = np.maximum(lb[comp], float(min_n))
        ub[prim] = float(min_n - 1)
    lb = np.minimum(lb, x)  # never claim more than the truth (a locked or odd cell)
    ub = np.maximum(ub, x)
    return lb, ub


def _safe(x: np.ndarray, sup: np.ndarray, eqs: list[Equation],
          focus: Iterable[int] | None = None,
          bounds: tuple[np.ndarray, np.ndarray] | None = None) -> bool:
    for t, parts in eqs:
        hidden_parts = [p for p in parts if sup[p]]
        n_hidden = len(hidden_parts) + int(sup[t])
        if n_hidden == 1:
            return False
        if not sup[t] and hidden_parts and all(x[p] == 0.0 for p in hidden_parts):
            return False
    lb, ub = bounds if bounds is not None else (None, None)
    return disclosed_cells(x, sup, eqs, lb, ub, focus=focus).size == 0
