"""Templates for expressions, equations and functions (grade 6 -> Algebra I).

Most answers are expressions or equations checked by SymPy equivalence, so a student may
write ``3+2x``, ``2*x + 3`` or ``x*2+3``; items about a *form* (expanded, factored, solved
for y) say so and check the form on what the student wrote.
"""

from __future__ import annotations

import math
from fractions import Fraction as F
from random import Random

from sounding.items.model import (
    Draft,
    choice,
    equation,
    expression,
    fmt,
    inequality,
    number,
    numbers,
    point,
)
from sounding.items.registry import template


def nz(r: Random, lo: int, hi: int) -> int:
    """A nonzero integer in [lo, hi]."""
    v = 0
    while v == 0:
        v = r.randint(lo, hi)
    return v


def lin(m, b, var: str = "x") -> str:  # noqa: ANN001
    """``m x + b`` written as a student would (``2x - 3``, ``-x``, ``5``)."""
    m, b = F(m), F(b)
    if m == 0:
        return fmt(b)
    mt = {1: var, -1: f"-{var}"}.get(m, f"{fmt(m) if m.denominator == 1 else '(' + fmt(m) + ')'}"
                                         f"{var}")
    if b == 0:
        return mt
    return f"{mt} {'+' if b > 0 else '-'} {fmt(abs(b))}"


# ============================================================================ grade 6


@template("6.EE.A.1", "procedural")
def _power(r: Random) -> Draft:
    b, e = r.randint(2, 9), r.randint(2, 4)
    return number(f"${b}^{e} = $ ?", b**e, wrong=(b * e, b ** (e - 1)))


@template("6.EE.A.1", "procedural")
def _power_expr(r: Random) -> Draft:
    b, e, c = r.randint(2, 5), r.randint(2, 3), r.randint(1, 20)
    return number(f"${c} + {b}^{e} = $ ?", c + b**e, wrong=((c + b) ** e, c + b * e))


@template("6.EE.A.2", "procedural")
def _evaluate(r: Random) -> Draft:
    a, b, x = r.randint(2, 9), r.randint(1, 20), r.randint(1, 9)
    return number(f"Evaluate ${a}x + {b}$ when $x = {x}$.", a * x + b,
                  wrong=(a + x + b, a * (x + b)))


@template("6.EE.A.2", "conceptual")
def _write_var(r: Random) -> Draft:
    k = r.randint(2, 20)
    phrase, key = r.choice(((f"{k} more than a number n", f"n + {k}"),
                            (f"{k} less than a number n", f"n - {k}"),
                            (f"{k} times a number n", f"{k}n"),
                            (f"a number n divided by {k}", f"n/{k}")))
    return expression(f"Write an expression for \"{phrase}\".", key, ("n",),
                      wrong=(f"{k} - n",))


@template("6.EE.A.3", "procedural")
def _distribute(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(1, 9)
    return expression(f"Expand: ${a}({b} + x)$", f"{a * b} + {a}x", form="expanded",
                      wrong=(f"{a * b} + x", f"{b} + {a}x"))


@template("6.EE.A.3", "procedural")
def _factor_common(r: Random) -> Draft:
    g, a, b = r.randint(2, 9), r.randint(1, 5), r.randint(1, 5)
    return expression(f"Factor: ${g * a}x + {g * b}$ (write it as a number times a sum).",
                      f"{g}({a}x + {b})", form="factored", wrong=(f"{g}({a}x + {g * b})",))


@template("6.EE.A.4", "conceptual")
def _equivalent(r: Random) -> Draft:
    a = r.randint(2, 6)
    return choice(f"Which expression is equivalent to $x + x + {'+ x ' * (a - 2)}$?"
                  .replace("+ +", "+"), f"{a}x", [f"x^{a}", f"x + {a}", f"{a + 1}x"], r)


@template("6.EE.A.4", "conceptual")
def _equivalent2(r: Random) -> Draft:
    a, b = r.randint(2, 6), r.randint(1, 9)
    return choice(f"Which expression is equivalent to ${a}(x + {b})$?", f"{a}x + {a * b}",
                  [f"{a}x + {b}", f"x + {a * b}", f"{a + b}x"], r)


@template("6.EE.B.5", "conceptual")
def _which_solves(r: Random) -> Draft:
    a, x = r.randint(2, 9), r.randint(1, 9)
    cands = sorted({x, x + 1, x + 2, max(0, x - 1), x * 2})
    return number(f"Which value from {{{', '.join(map(str, cands))}}} makes ${a}x = {a * x}$ "
                  "true?", x, wrong=tuple(c for c in cands if c != x))


@template("6.EE.B.5", "conceptual")
def _ineq_set(r: Random) -> Draft:
    c = r.randint(3, 12)
    cands = sorted(r.sample(range(c - 6, c + 7), 5))
    n = sum(v > c for v in cands)
    return number(f"How many values from {{{', '.join(map(str, cands))}}} make $x > {c}$ true?",
                  n, wrong=(sum(v >= c for v in cands) if c in cands else n + 1, 5 - n))


@template("6.EE.B.6", "application")
def _variable_story(r: Random) -> Draft:
    p = r.randint(2, 9)
    return expression(f"Each ticket costs {p} dollars. Write an expression for the cost of t "
                      "tickets.", f"{p}t", ("t",), wrong=(f"t + {p}",))


@template("6.EE.B.6", "application")
def _variable_story2(r: Random) -> Draft:
    a = r.randint(3, 30)
    return expression(f"Sam is {a} years older than Lea. Lea is L years old. Write an "
                      "expression for Sam's age.", f"L + {a}", ("L",), wrong=(f"L - {a}",))


@template("6.EE.B.7", "procedural")
def _x_plus_p(r: Random) -> Draft:
    p, x = r.randint(1, 50), r.randint(1, 50)
    return number(f"Solve $x + {p} = {x + p}$.", x, wrong=(x + 2 * p,))


@template("6.EE.B.7", "procedural")
def _px_eq_q(r: Random) -> Draft:
    p = r.randint(2, 12)
    x = F(r.randint(1, 40), r.choice((1, 1, 2, 3)))
    q = p * x
    return number(f"Solve ${p}x = {fmt(q)}$.", x, wrong=(q - p, q * p))


@template("6.EE.B.8", "application")
def _write_ineq(r: Random) -> Draft:
    c = r.randint(3, 60)
    phrase, op = r.choice(((f"more than {c}", ">"), (f"less than {c}", "<"),
                           (f"at least {c}", ">="), (f"at most {c}", "<=")))
    return inequality(f"Riders must be {phrase} inches tall. Write an inequality for the height "
                      "h.", op, c, var="h", wrong=(f"h = {c}",))


@template("6.EE.B.8", "application")
def _write_ineq2(r: Random) -> Draft:
    c = r.randint(5, 40)
    return inequality(f"A bag can hold at most {c} pounds. Write an inequality for the weight "
                      "w it can hold.", "<=", c, var="w", wrong=(f"w >= {c}",))


@template("6.EE.C.9", "application")
def _dependent(r: Random) -> Draft:
    k = r.randint(2, 12)
    rows = ", ".join(f"({t}, {k * t})" for t in (1, 2, 3))
    return equation(f"Hours h and pay p: {rows}. Write an equation for p in terms of h.",
                    f"p = {k}h", ("p", "h"), form="solved", wrong=(f"p = h + {k}",))


@template("6.EE.C.9", "application")
def _dependent2(r: Random) -> Draft:
    s = r.randint(20, 70)
    return equation(f"A car drives at {s} miles per hour. Write an equation for the distance d "
                    "after t hours.", f"d = {s}t", ("d", "t"), form="solved",
                    wrong=(f"d = t + {s}",))


# ============================================================================ grade 7


@template("7.EE.A.1", "procedural")
def _expand_rational(r: Random) -> Draft:
    a = F(r.randint(2, 5), r.choice((1, 2, 4)))
    b, c = nz(r, -9, 9), nz(r, -9, 9)
    return expression(f"Expand: ${fmt(a) if a.denominator == 1 else '(' + fmt(a) + ')'}"
                      f"({b}x + {c})$".replace("+ -", "- "),
                      f"{fmt(a * b)}x + {fmt(a * c)}".replace("+ -", "- "), form="expanded",
                      wrong=(f"{fmt(a * b)}x + {c}",))


@template("7.EE.A.1", "procedural")
def _combine(r: Random) -> Draft:
    a, b, c, d = nz(r, -9, 9), r.randint(1, 9), nz(r, -9, 9), r.randint(1, 9)
    if a + c == 0:
        c += 1
    return expression(f"Simplify: $({a}x + {b}) + ({c}x - {d})$",
                      f"{a + c}x + {b - d}", wrong=(f"{a + c}x + {b + d}",))


@template("7.EE.A.2", "conceptual")
def _rewrite_percent(r: Random) -> Draft:
    p = r.choice((3, 5, 6, 8, 10, 15, 20))
    return number(f"\"Increase a by {p}%\" can be written $a + {p / 100}a$, which is the same "
                  "as k·a. What is k?", 1 + F(p, 100), wrong=(F(p, 100), 1 + p))


@template("7.EE.A.2", "conceptual")
def _rewrite_sum(r: Random) -> Draft:
    k = r.randint(3, 9)
    return expression(f"A regular polygon has {k} sides of length s. Its perimeter is "
                      f"s + s + ... + s ({k} times). Write the perimeter as a product.",
                      f"{k}s", ("s",), wrong=(f"s^{k}", f"s + {k}"))


@template("7.EE.B.3", "application")
def _multi_step(r: Random) -> Draft:
    wage = r.randint(15, 40)
    p = r.choice((10, 20, 25))
    return number(f"A worker earns {wage} dollars an hour and gets a {p}% raise. What is the "
                  "new hourly wage, in dollars?", wage + F(wage * p, 100), units=("dollars",),
                  wrong=(wage + p, F(wage * p, 100)))


@template("7.EE.B.3", "application")
def _multi_step2(r: Random) -> Draft:
    a = F(r.randint(3, 9), 2)
    n = r.randint(2, 6)
    total = r.randint(30, 60)
    return number(f"A board is {total} inches long. {n} pieces, each ${fmt(a)}$ inches, are "
                  "cut off. How many inches are left?", total - n * a, units=("inches",),
                  wrong=(total - a, total - n - a))


@template("7.EE.B.4", "procedural")
def _px_q_r(r: Random) -> Draft:
    p, x, q = nz(r, -9, 9), r.randint(-10, 10), r.randint(-20, 20)
    return number(f"Solve ${p}x + {q} = {p * x + q}$.".replace("+ -", "- "), x,
                  wrong=(F(p * x + 2 * q, p), -x if x else 1))


@template("7.EE.B.4", "application")
def _ineq_story(r: Random) -> Draft:
    pay, base, goal = r.randint(2, 9), r.randint(10, 50), r.randint(100, 200)
    x = F(goal - base, pay)
    return inequality(f"A salesperson earns {base} dollars plus {pay} dollars per sale s. They "
                      f"want at least {goal} dollars. Solve for s (write s >= ...).", ">=", x,
                      var="s", wrong=(f"s <= {fmt(x)}",))


# ============================================================================ grade 8


@template("8.EE.A.1", "procedural")
def _int_exp(r: Random) -> Draft:
    b = r.randint(2, 5)
    m, n = r.randint(-4, 4), r.randint(-4, 4)
    return number(f"${b}^{m} × {b}^{n} = $ ?".replace("^-", "^(-").replace(" ×", ") ×", 1)
                  if m < 0 else f"${b}^{m} × {b}^({n})$ = ?", F(b) ** (m + n),
                  wrong=(F(b) ** (m * n), b * (m + n)))


@template("8.EE.A.1", "procedural")
def _neg_exp(r: Random) -> Draft:
    b, e = r.randint(2, 6), r.randint(1, 3)
    return number(f"${b}^(-{e}) = $ ?", F(1, b**e), wrong=(-(b**e), F(-b * e)))


@template("8.EE.A.2", "procedural")
def _sqrt_eq(r: Random) -> Draft:
    k = r.randint(2, 15)
    return numbers(f"Solve $x^2 = {k * k}$. Give every solution.", (k, -k), wrong=(str(k),))


@template("8.EE.A.2", "procedural")
def _cube_root(r: Random) -> Draft:
    k = r.randint(2, 9)
    return number(f"Solve $x^3 = {k**3}$.", k, wrong=(F(k**3, 3),))


@template("8.EE.A.3", "conceptual")
def _times_larger(r: Random) -> Draft:
    a, b = r.randint(5, 9), r.randint(1, 4)
    d = r.randint(2, 5)
    return number(f"About how many times larger is ${a} × 10^{b + d}$ than ${a} × 10^{b}$?",
                  10**d, wrong=(d, 10 * d))


@template("8.EE.A.3", "conceptual")
def _estimate_pow10(r: Random) -> Draft:
    e = r.randint(3, 9)
    d = r.randint(2, 8)
    n = d * 10**e + r.randint(0, 10 ** (e - 1))
    return number(f"Estimate {n:,} as a single digit times a power of 10: $k × 10^{e}$. What is "
                  "k?", d, wrong=(d + 1, e))


@template("8.EE.A.4", "procedural")
def _sci_mult(r: Random) -> Draft:
    a, b = r.randint(1, 3), r.randint(1, 3)
    m, n = r.randint(2, 8), r.randint(2, 8)
    return number(f"$({a} × 10^{m}) × ({b} × 10^{n}) = k × 10^{m + n}$. What is k?", a * b,
                  wrong=(a + b,))


@template("8.EE.A.4", "procedural")
def _sci_div(r: Random) -> Draft:
    b = r.randint(2, 4)
    a = b * r.randint(2, 9)
    m, n = r.randint(6, 12), r.randint(1, 5)
    return number(f"$({a} × 10^{m}) ÷ ({b} × 10^{n}) = k × 10^{m - n}$. What is k?", F(a, b),
                  wrong=(a - b, a * b))


@template("8.EE.B.5", "conceptual")
def _prop_slope(r: Random) -> Draft:
    k = F(r.randint(1, 12), r.choice((1, 2, 4)))
    x = r.randint(2, 8)
    return number(f"The graph of a proportional relationship passes through $({x}, "
                  f"{fmt(k * x)})$. What is its slope (the unit rate)?", k,
                  wrong=(F(x) / (k * x), k * x))


@template("8.EE.B.5", "conceptual")
def _compare_rates(r: Random) -> Draft:
    a = r.randint(2, 9)
    b = a + nz(r, -3, 3)
    if b <= 0:
        b = a + 1
    return number(f"Runner A: $d = {a}t$. Runner B covers {b * 3} meters in 3 seconds. What "
                  "is the speed of the faster runner, in meters per second?", max(a, b),
                  wrong=(min(a, b),))


@template("8.EE.B.6", "procedural")
def _line_two_points(r: Random) -> Draft:
    m, b = nz(r, -5, 5), r.randint(-9, 9)
    x1, x2 = r.sample(range(-5, 6), 2)
    return equation(f"Write the equation of the line through $({x1}, {m * x1 + b})$ and "
                    f"$({x2}, {m * x2 + b})$ in the form $y = mx + b$.", f"y = {lin(m, b)}",
                    form="solved", wrong=(f"y = {lin(m, -b)}", f"y = {lin(-m, b)}"))


@template("8.EE.B.6", "conceptual")
def _slope_two_points(r: Random) -> Draft:
    m = F(nz(r, -6, 6), r.choice((1, 2, 3)))
    x1 = r.randint(-5, 5)
    dx = r.choice((2, 3, 6))
    y1 = r.randint(-5, 5)
    return number(f"What is the slope of the line through $({x1}, {y1})$ and $({x1 + dx}, "
                  f"{fmt(y1 + m * dx)})$?", m, wrong=(1 / m, -m))


@template("8.EE.C.7", "procedural")
def _solve_both_sides(r: Random) -> Draft:
    a, c = r.sample(range(-9, 10), 2)
    x = r.randint(-10, 10)
    b = r.randint(-15, 15)
    d = a * x + b - c * x
    return number(f"Solve ${lin(a, b)} = {lin(c, d)}$.", x,
                  wrong=(F(d + b, a - c) if a != c else 1, -x if x else 2))


@template("8.EE.C.7", "procedural")
def _solve_distribute(r: Random) -> Draft:
    a, b = r.randint(2, 6), r.randint(-9, 9)
    x = F(r.randint(-12, 12), r.choice((1, 1, 2)))
    c = a * (x + b)
    return number(f"Solve ${a}(x + {b}) = {fmt(c)}$.".replace("+ -", "- "), x,
                  wrong=(c / a + b, (c - b) / a))


@template("8.EE.C.8", "procedural")
def _system(r: Random) -> Draft:
    x, y = r.randint(-6, 6), r.randint(-6, 6)
    a, b, c, d = nz(r, -4, 4), nz(r, -4, 4), nz(r, -4, 4), nz(r, -4, 4)
    while a * d - b * c == 0:
        d = nz(r, -4, 4)
    e1 = f"{a}x + {b}y = {a * x + b * y}".replace("+ -", "- ")
    e2 = f"{c}x + {d}y = {c * x + d * y}".replace("+ -", "- ")
    return point(f"Solve the system: ${e1}$ and ${e2}$. Give (x, y).", x, y,
                 wrong=((y, x), (-x, -y)))


@template("8.EE.C.8", "conceptual")
def _system_count(r: Random) -> Draft:
    m, b = nz(r, -4, 4), r.randint(-5, 5)
    kind = r.choice(("parallel", "same", "crossing"))
    m2, b2 = (m, b + nz(r, -3, 3)) if kind == "parallel" else (m, b) if kind == "same" else \
        (m + nz(r, 1, 3), b)
    n = {"parallel": "none", "same": "infinitely many", "crossing": "exactly one"}[kind]
    return choice(f"How many solutions does the system $y = {lin(m, b)}$, $y = {lin(m2, b2)}$ "
                  "have?", n, ["none", "exactly one", "infinitely many"], r)


@template("8.F.A.1", "conceptual")
def _is_function(r: Random) -> Draft:
    xs = r.sample(range(-5, 6), 4)
    ys = [r.randint(-5, 5) for _ in xs]
    func = r.random() < 0.5
    if not func:
        xs[3] = xs[0]
        ys[3] = ys[0] + 1
    pairs = ", ".join(f"({x}, {y})" for x, y in zip(xs, ys, strict=True))
    return choice(f"Is the relation {{{pairs}}} a function of x?", "yes" if func else "no",
                  ["yes", "no"], r)


@template("8.F.A.1", "conceptual")
def _function_output(r: Random) -> Draft:
    m, b, x = nz(r, -5, 5), r.randint(-9, 9), r.randint(-5, 5)
    return number(f"A function's rule is \"multiply the input by {m}, then add {b}\". What is "
                  f"the output for input {x}?", m * x + b, wrong=(m * (x + b), m + x + b))


@template("8.F.A.2", "conceptual")
def _compare_functions(r: Random) -> Draft:
    m1 = r.randint(1, 9)
    m2 = m1 + nz(r, -3, 3)
    if m2 <= 0:
        m2 = m1 + 2
    rows = ", ".join(f"({x}, {m2 * x + 1})" for x in (0, 1, 2))
    return number(f"Function A: $y = {m1}x + 4$. Function B has table {rows}. What is the "
                  "greater rate of change?", max(m1, m2), wrong=(min(m1, m2), 4))


@template("8.F.A.2", "conceptual")
def _compare_intercepts(r: Random) -> Draft:
    b1, b2 = r.sample(range(-9, 10), 2)
    return number(f"Function A: $y = 2x + {b1}$. Function B's graph crosses the y-axis at "
                  f"{b2}. What is the larger initial value?", max(b1, b2), wrong=(min(b1, b2),))


@template("8.F.A.3", "conceptual")
def _linear_or_not(r: Random) -> Draft:
    ex, ans = r.choice(((f"y = {r.randint(2, 9)}x + {r.randint(1, 9)}", "linear"),
                        (f"y = x^2 + {r.randint(1, 9)}", "not linear"),
                        (f"y = {r.randint(2, 9)}/x", "not linear"),
                        (f"y = {r.randint(2, 9)} - x", "linear"),
                        (f"A = s^2 (s = {r.randint(2, 9)}, ...)", "not linear")))
    return choice(f"Is ${ex}$ a linear function?", ans, ["linear", "not linear"], r)


@template("8.F.A.3", "conceptual")
def _linear_table(r: Random) -> Draft:
    m, b = nz(r, -5, 5), r.randint(-5, 5)
    sq = r.random() < 0.5
    rows = [(x, x * x + b if sq else m * x + b) for x in (0, 1, 2, 3)]
    return choice(f"Does the table {', '.join(f'({x}, {y})' for x, y in rows)} show a linear "
                  "function?", "no" if sq else "yes", ["yes", "no"], r)


@template("8.F.B.4", "application")
def _rate_initial(r: Random) -> Draft:
    fee, rate = r.randint(5, 40), r.randint(2, 15)
    h = r.randint(2, 6)
    return equation(f"A rental costs {fee + rate} dollars for 1 hour and {fee + rate * h} "
                    f"dollars for {h} hours (linear). Write C in terms of the hours h.",
                    f"C = {rate}h + {fee}", ("C", "h"), form="solved",
                    wrong=(f"C = {fee + rate}h",))


@template("8.F.B.4", "application")
def _rate_from_table(r: Random) -> Draft:
    m, b = nz(r, -6, 6), r.randint(-10, 10)
    rows = ", ".join(f"({x}, {m * x + b})" for x in (1, 3, 5))
    return number(f"A linear function has values {rows}. What is its rate of change?", m,
                  wrong=(2 * m, m + b))


@template("8.F.B.5", "conceptual")
def _increasing(r: Random) -> Draft:
    m = nz(r, -6, 6)
    return choice(f"Is the function $y = {lin(m, r.randint(-9, 9))}$ increasing or "
                  "decreasing?", "increasing" if m > 0 else "decreasing",
                  ["increasing", "decreasing", "constant"], r)


@template("8.F.B.5", "conceptual")
def _graph_story(r: Random) -> Draft:
    seg = r.choice((("rises", "the distance from home grows"),
                    ("is flat", "the person is standing still"),
                    ("falls", "the distance from home shrinks")))
    return choice(f"A distance-from-home graph {seg[0]} for a while. What does that mean?",
                  seg[1], [s for s in ("the distance from home grows",
                                       "the person is standing still",
                                       "the distance from home shrinks") if s != seg[1]], r)


# ============================================================================ Algebra I: A-*


@template("A-APR.A.1", "procedural")
def _poly_add(r: Random) -> Draft:
    a, b, c, d, e, f = (nz(r, -7, 7) for _ in range(6))
    p1 = f"{a}x^2 + {b}x + {c}".replace("+ -", "- ")
    p2 = f"{d}x^2 + {e}x + {f}".replace("+ -", "- ")
    op = r.choice("+-")
    s = 1 if op == "+" else -1
    key = f"{a + s * d}x^2 + {b + s * e}x + {c + s * f}"
    return expression(f"Simplify: $({p1}) {op} ({p2})$", key, form="expanded",
                      wrong=(f"({p1}) {'-' if op == '+' else '+'} ({p2})",))


@template("A-APR.A.1", "procedural")
def _poly_mult(r: Random) -> Draft:
    a, b = nz(r, -9, 9), nz(r, -9, 9)
    return expression(f"Multiply and write in expanded form: $(x + {a})(x + {b})$"
                      .replace("+ -", "- "), f"x^2 + {a + b}x + {a * b}", form="expanded",
                      wrong=(f"x^2 + {a * b}", f"x^2 + {a + b}x"))


@template("A-REI.A.1", "conceptual")
def _justify(r: Random) -> Draft:
    a, b, c = r.randint(2, 9), r.randint(1, 20), r.randint(21, 60)
    return choice(f"From ${a}x + {b} = {c}$ a student writes ${a}x = {c - b}$. Which step was "
                  "used?", f"subtract {b} from both sides",
                  [f"divide both sides by {a}", f"add {b} to both sides",
                   f"subtract {b} from one side"], r)


@template("A-REI.A.1", "conceptual")
def _justify2(r: Random) -> Draft:
    a, c = r.randint(2, 9), r.randint(2, 9)
    return choice(f"From ${a}x = {a * c}$ a student writes $x = {c}$. Which step was used?",
                  f"divide both sides by {a}",
                  [f"subtract {a} from both sides", f"multiply both sides by {a}",
                   f"divide one side by {a}"], r)


@template("A-REI.A.2", "procedural")
def _radical_eq(r: Random) -> Draft:
    c, a = r.randint(2, 9), r.randint(1, 20)
    return number(f"Solve $sqrt(x + {a}) = {c}$.", c * c - a, wrong=(c - a, c * c + a))


@template("A-REI.A.2", "procedural")
def _rational_eq(r: Random) -> Draft:
    k = r.randint(2, 9)
    x = r.choice([v for v in range(-9, 10) if v not in (0, -1)])
    return number(f"Solve ${k}/(x + 1) = {fmt(F(k, x + 1))}$.", x, wrong=(x + 1, k))


@template("A-REI.B.3", "procedural")
def _linear_solve(r: Random) -> Draft:
    a, c = r.sample([v for v in range(-9, 10) if v], 2)
    x = F(r.randint(-20, 20), r.choice((1, 1, 2, 3)))
    b = r.randint(-15, 15)
    d = a * x + b - c * x
    return number(f"Solve ${lin(a, b)} = {lin(c, d)}$.", x, wrong=(-x if x else 1, x + 1))


@template("A-REI.B.3", "procedural")
def _linear_ineq(r: Random) -> Draft:
    a = nz(r, -6, 6)
    b, x = r.randint(-10, 10), r.randint(-8, 8)
    op = r.choice(("<", ">", "<=", ">="))
    flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
    res = op if a > 0 else flip[op]
    return inequality(f"Solve ${lin(a, b)} {op} {a * x + b}$.", res, x,
                      wrong=(f"x {flip[res]} {x}",))


@template("A-REI.B.4", "procedural")
def _quadratic_roots(r: Random) -> Draft:
    p, q = r.randint(-9, 9), r.randint(-9, 9)
    return numbers(f"Solve $x^2 {'-' if p + q >= 0 else '+'} {abs(p + q)}x "
                   f"{'+' if p * q >= 0 else '-'} {abs(p * q)} = 0$. Give every solution.",
                   (p, q), wrong=(f"{-p}, {-q}",))


@template("A-REI.B.4", "procedural")
def _square_root_method(r: Random) -> Draft:
    h, k = r.randint(-6, 6), r.randint(1, 9)
    return numbers(f"Solve $(x - {h})^2 = {k * k}$. Give every solution.".replace("- -", "+ "),
                   (h + k, h - k), wrong=(f"{h + k}",))


@template("A-REI.C.5", "conceptual")
def _elimination(r: Random) -> Draft:
    a, b, c = nz(r, -5, 5), nz(r, -5, 5), r.randint(-9, 9)
    d, e, f = nz(r, -5, 5), nz(r, -5, 5), r.randint(-9, 9)
    k = nz(r, -3, 3)
    return equation(f"Replace the first equation of ${a}x + {b}y = {c}$, ${d}x + {e}y = {f}$ "
                    f"by (first) + {k}·(second). What is the new equation?".replace("+ -", "- "),
                    f"{a + k * d}x + {b + k * e}y = {c + k * f}", wrong=(f"{a}x + {b}y = {f}",))


@template("A-REI.C.5", "conceptual")
def _same_solution(r: Random) -> Draft:
    x, y = r.randint(-5, 5), r.randint(-5, 5)
    k = r.randint(2, 4)
    return point(f"The system $x + y = {x + y}$, $x - y = {x - y}$ has solution $({x}, {y})$. "
                 f"What is the solution of $x + y = {x + y}$, ${k + 1}x + {1 - k}y = "
                 f"{x + y + k * (x - y)}$?".replace("+ -", "- "), x, y, wrong=((y, x),))


@template("A-REI.C.6", "procedural")
def _system_hs(r: Random) -> Draft:
    x, y = r.randint(-8, 8), r.randint(-8, 8)
    m = nz(r, -3, 3)
    b = y - m * x
    return point(f"Solve: $y = {lin(m, b)}$ and $x + y = {x + y}$. Give (x, y).", x, y,
                 wrong=((y, x),))


@template("A-REI.C.6", "application")
def _system_story(r: Random) -> Draft:
    a = r.randint(2, 9)
    p, q = r.sample(range(5, 21), 2)
    return point(f"Adult tickets cost {a + 5} dollars, child tickets {a} dollars. {p + q} "
                 f"tickets sold for {(a + 5) * p + a * q} dollars. How many (adult, child)?",
                 p, q, wrong=((q, p),))


@template("A-REI.C.7", "procedural")
def _line_parabola(r: Random) -> Draft:
    p, q = r.sample(range(-5, 6), 2)
    # y = x^2 and y = (p+q)x - pq meet at x = p, q
    return numbers(f"Find the x-coordinates where $y = x^2$ meets $y = {lin(p + q, -p * q)}$.",
                   (p, q), wrong=(f"{-p}, {-q}",))


@template("A-REI.C.7", "procedural")
def _circle_line(r: Random) -> Draft:
    k = r.choice((5, 10, 13))
    pts = {5: (3, 4), 10: (6, 8), 13: (5, 12)}[k]
    return numbers(f"Find the x-values where the line $y = {pts[1]}$ meets the circle "
                   f"$x^2 + y^2 = {k * k}$.", (pts[0], -pts[0]), wrong=(str(pts[0]),))


@template("A-REI.D.10", "conceptual")
def _on_graph(r: Random) -> Draft:
    m, b, x = nz(r, -5, 5), r.randint(-9, 9), r.randint(-5, 5)
    on = r.random() < 0.5
    y = m * x + b + (0 if on else nz(r, -2, 2))
    return choice(f"Is the point $({x}, {y})$ on the graph of $y = {lin(m, b)}$?",
                  "yes" if on else "no", ["yes", "no"], r)


@template("A-REI.D.10", "conceptual")
def _missing_coord(r: Random) -> Draft:
    m, b, x = nz(r, -5, 5), r.randint(-9, 9), r.randint(-5, 5)
    return number(f"The point $({x}, k)$ is on the graph of $y = {lin(m, b)}$. What is k?",
                  m * x + b, wrong=(m * x - b,))


@template("A-REI.D.11", "conceptual")
def _intersect_x(r: Random) -> Draft:
    a, c = r.sample(range(-5, 6), 2)
    x = r.randint(-6, 6)
    b = r.randint(-9, 9)
    d = a * x + b - c * x
    return number(f"The graphs of $f(x) = {lin(a, b)}$ and $g(x) = {lin(c, d)}$ intersect. What "
                  "is the x-coordinate of the intersection?", x, wrong=(a * x + b,))


@template("A-REI.D.11", "conceptual")
def _intersect_meaning(r: Random) -> Draft:
    x = r.randint(-5, 5)
    y = r.randint(-9, 9)
    return number(f"The graphs of y = f(x) and y = g(x) meet at $({x}, {y})$. Which x solves "
                  "f(x) = g(x)?", x, wrong=(y,))


@template("A-REI.D.12", "conceptual")
def _half_plane(r: Random) -> Draft:
    m, b = nz(r, -4, 4), r.randint(-5, 5)
    x, y = r.randint(-5, 5), r.randint(-9, 9)
    op = r.choice((">", "<"))
    ok = (y > m * x + b) if op == ">" else (y < m * x + b)
    return choice(f"Is $({x}, {y})$ in the solution region of $y {op} {lin(m, b)}$?",
                  "yes" if ok else "no", ["yes", "no"], r)


@template("A-REI.D.12", "conceptual")
def _boundary(r: Random) -> Draft:
    m, b = nz(r, -4, 4), r.randint(-5, 5)
    op = r.choice(("<", "<=", ">", ">="))
    return choice(f"Is the boundary line of $y {op} {lin(m, b)}$ included (solid) or excluded "
                  "(dashed)?", "solid" if "=" in op else "dashed", ["solid", "dashed"], r)


@template("A-SSE.A.1", "conceptual")
def _interpret_coef(r: Random) -> Draft:
    p, n = r.randint(2, 20), r.randint(2, 9)
    return number(f"The cost of n notebooks is ${p}n + {n}$ dollars, including a flat shipping "
                  "fee. What is the price of one notebook?", p, wrong=(n, p + n))


@template("A-SSE.A.1", "conceptual")
def _interpret_factor(r: Random) -> Draft:
    rate = r.choice((2, 3, 4, 5, 6, 8))
    return number(f"An amount grows as $P(1 + 0.0{rate})^t$. By what percent does it grow each "
                  "period?", rate, units=("%", "percent"), wrong=(F(rate, 100), 100 + rate))


@template("A-SSE.A.2", "procedural")
def _diff_squares(r: Random) -> Draft:
    a = r.randint(1, 12)
    return expression(f"Factor: $x^2 - {a * a}$", f"(x - {a})(x + {a})", form="factored",
                      wrong=(f"(x - {a})^2",))


@template("A-SSE.A.2", "procedural")
def _factor_trinomial(r: Random) -> Draft:
    p, q = nz(r, -9, 9), nz(r, -9, 9)
    while p + q == 0:
        q = nz(r, -7, 7)
    return expression(f"Factor: $x^2 + {p + q}x + {p * q}$".replace("+ -", "- "),
                      f"(x + {p})(x + {q})", form="factored", wrong=(f"(x - {p})(x - {q})",))


@template("A-SSE.B.3", "procedural")
def _zeros_from_factors(r: Random) -> Draft:
    p, q = r.sample(range(-9, 10), 2)
    return numbers(f"What are the zeros of $f(x) = (x - {p})(x - {q})$?".replace("- -", "+ "),
                   (p, q), wrong=(f"{-p}, {-q}",))


@template("A-SSE.B.3", "procedural")
def _vertex_complete(r: Random) -> Draft:
    h, k = r.randint(-6, 6), r.randint(-9, 9)
    return number(f"Complete the square: $x^2 + {-2 * h}x + {h * h + k} = (x - {h})^2 + c$. "
                  "What is c?".replace("+ -", "- ").replace("- -", "+ "), k,
                  wrong=(h * h + k, -k if k else 1))


@template("A-SSE.B.4", "procedural")
def _geo_series(r: Random) -> Draft:
    a, q, n = r.randint(1, 5), r.choice((2, 3)), r.randint(3, 6)
    return number(f"Find the sum of the first {n} terms of the geometric series {a} + {a * q} + "
                  f"{a * q * q} + ...", a * (q**n - 1) // (q - 1), wrong=(a * q ** (n - 1),))


@template("A-SSE.B.4", "application")
def _geo_savings(r: Random) -> Draft:
    a, n = r.randint(1, 5), r.randint(4, 8)
    return number(f"You save {a} dollar(s) on day 1 and double it each day. How much have you "
                  f"saved in total after {n} days?", a * (2**n - 1), units=("dollars",),
                  wrong=(a * 2 ** (n - 1), a * 2**n))


@template("A-CED.A.1", "application")
def _create_solve(r: Random) -> Draft:
    base, per = r.randint(20, 60), r.randint(3, 12)
    n = r.randint(3, 15)
    return number(f"A gym charges {base} dollars to join and {per} dollars per visit. "
                  f"{who_pay(base, per, n)} How many visits?", n, wrong=(n + 1, F(base + per * n,
                                                                                  per)))


def who_pay(base: int, per: int, n: int) -> str:
    return f"Someone paid {base + per * n} dollars in total."


@template("A-CED.A.1", "application")
def _area_quadratic(r: Random) -> Draft:
    w = r.randint(2, 12)
    d = r.randint(1, 6)
    return number(f"A rectangle is {d} m longer than it is wide, and its area is {w * (w + d)} "
                  "square meters. What is its width, in meters?", w, units=("m", "meters"),
                  wrong=(w + d,))


@template("A-CED.A.2", "application")
def _two_var(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    t = r.randint(20, 80)
    return equation(f"Apples cost {a} dollars per bag (x bags) and pears {b} dollars per bag "
                    f"(y bags). Write an equation for spending exactly {t} dollars.",
                    f"{a}x + {b}y = {t}", wrong=(f"x + y = {t}",))


@template("A-CED.A.2", "application")
def _two_var2(r: Random) -> Draft:
    m, b = r.randint(2, 9), r.randint(5, 50)
    return equation(f"A tank holds {b} liters and fills at {m} liters per minute. Write an "
                    "equation for the volume V after t minutes.", f"V = {m}t + {b}", ("V", "t"),
                    form="solved", wrong=(f"V = {b}t + {m}",))


@template("A-CED.A.3", "application")
def _viable(r: Random) -> Draft:
    a, b, t = r.randint(2, 6), r.randint(2, 6), r.randint(30, 60)
    x, y = r.randint(1, 8), r.randint(1, 8)
    ok = a * x + b * y <= t
    return choice(f"A baker has at most {t} hours: cakes take {a} hours, pies {b} hours "
                  f"(${a}x + {b}y <= {t}$). Is {x} cakes and {y} pies viable?",
                  "viable" if ok else "not viable", ["viable", "not viable"], r)


@template("A-CED.A.3", "application")
def _constraint(r: Random) -> Draft:
    a, t = r.randint(2, 9), r.randint(20, 90)
    return inequality(f"Each box weighs {a} kg and a cart holds at most {t} kg. Write the "
                      "constraint on the number of boxes n, solved for n.", "<=", F(t, a),
                      var="n", wrong=(f"n >= {fmt(F(t, a))}",))


@template("A-CED.A.4", "procedural")
def _rearrange(r: Random) -> Draft:
    f, key = r.choice((("V = I R", "V/R"), ("A = L W", "A/W"), ("d = r t", "d/t"),
                       ("P = 2L + 2W", "(P - 2W)/2")))
    vars_ = tuple(sorted({c for c in f if c.isalpha()}))
    target = {"V/R": "I", "A/W": "L", "d/t": "r", "(P - 2W)/2": "L"}[key]
    return expression(f"Solve ${f}$ for {target}. Write the expression for {target}.", key,
                      vars_, wrong=(key.replace("/", "*"),))


@template("A-CED.A.4", "procedural")
def _rearrange_line(r: Random) -> Draft:
    a, b, c = nz(r, -6, 6), r.choice((-5, -4, -3, -2, 2, 3, 4, 5)), r.randint(-12, 12)
    return equation(f"Solve ${a}x + {b}y = {c}$ for y.".replace("+ -", "- "),
                    f"y = ({c} - ({a})x)/({b})", form="solved",
                    wrong=(f"y = {c} - ({a})x", f"y = ({c} + ({a})x)/({b})"))


@template("A-APR.B.2", "procedural")
def _remainder_thm(r: Random) -> Draft:
    a, b, c = nz(r, -5, 5), r.randint(-9, 9), r.randint(-9, 9)
    k = nz(r, -4, 4)
    return number(f"What is the remainder when $p(x) = {a}x^2 + {b}x + {c}$ is divided by "
                  f"$x - {k}$?".replace("+ -", "- ").replace("- -", "+ "), a * k * k + b * k + c,
                  wrong=(a * k * k - b * k + c, c))


@template("A-APR.B.2", "conceptual")
def _factor_thm(r: Random) -> Draft:
    p, q = r.sample(range(-6, 7), 2)
    k = r.choice((p, q, p + q + 1))
    ok = k in (p, q)
    return choice(f"Is $x - {k}$ a factor of $(x - {p})(x - {q})$ expanded?"
                  .replace("- -", "+ "), "yes" if ok else "no", ["yes", "no"], r)


@template("A-APR.B.3", "procedural")
def _poly_zeros(r: Random) -> Draft:
    p, q, s = r.sample(range(-6, 7), 3)
    return numbers(f"List the zeros of $f(x) = (x - {p})(x - {q})(x - {s})$."
                   .replace("- -", "+ "), (p, q, s), wrong=(f"{-p}, {-q}, {-s}",))


@template("A-APR.B.3", "procedural")
def _poly_zeros2(r: Random) -> Draft:
    a = r.randint(1, 9)
    return numbers(f"List the zeros of $f(x) = x(x^2 - {a * a})$.", (0, a, -a),
                   wrong=(f"{a}, {-a}",))


@template("A-APR.C.4", "conceptual")
def _identity(r: Random) -> Draft:
    a, b = r.randint(1, 9), r.randint(1, 9)
    return number(f"Use $(a + b)^2 = a^2 + 2ab + b^2$: what is $2ab$ when $a = {a}$ and "
                  f"$b = {b}$, given $(a + b)^2 = {(a + b) ** 2}$?", 2 * a * b,
                  wrong=(a * b, a * a + b * b))


@template("A-APR.C.4", "conceptual")
def _identity_diff(r: Random) -> Draft:
    n = r.randint(11, 99)
    d = r.randint(1, 9)
    return number(f"Use $(x + y)(x - y) = x^2 - y^2$ to compute ${n + d} × {n - d}$.",
                  n * n - d * d, wrong=(n * n, n * n + d * d))


@template("A-APR.C.5", "procedural")
def _binomial(r: Random) -> Draft:
    n = r.randint(3, 7)
    k = r.randint(1, n - 1)
    return number(f"What is the coefficient of $x^{k} y^{n - k}$ in $(x + y)^{n}$?",
                  math.comb(n, k), wrong=(n, k * (n - k)))


@template("A-APR.C.5", "procedural")
def _binomial2(r: Random) -> Draft:
    n = r.randint(2, 5)
    a = r.randint(2, 3)
    return number(f"What is the constant term of $(x + {a})^{n}$?", a**n, wrong=(a * n,))


@template("A-APR.D.6", "procedural")
def _poly_div(r: Random) -> Draft:
    k, c = nz(r, -6, 6), nz(r, -9, 9)
    q = f"x + {c}"
    return expression(f"Divide: $(x^2 + {c - k}x + {-k * c}) ÷ (x - {k})$. Write the quotient."
                      .replace("+ -", "- ").replace("- -", "+ "), q,
                      wrong=(f"x - {c}",))


@template("A-APR.D.6", "procedural")
def _poly_div_rem(r: Random) -> Draft:
    k, c, rem = nz(r, -5, 5), nz(r, -9, 9), nz(r, -9, 9)
    return number(f"$(x^2 + {c - k}x + {-k * c + rem}) ÷ (x - {k})$ has quotient $x + {c}$. What "
                  "is the remainder?".replace("+ -", "- ").replace("- -", "+ "), rem,
                  wrong=(-rem, rem + k))


@template("A-APR.D.7", "procedural")
def _add_rational_expr(r: Random) -> Draft:
    a, b = r.randint(1, 9), r.randint(1, 9)
    return expression(f"Write as a single fraction: ${a}/x + {b}/(x + 1)$",
                      f"{a}/x + {b}/(x + 1)", wrong=(f"{a + b}/(2x + 1)",))


@template("A-APR.D.7", "procedural")
def _mult_rational_expr(r: Random) -> Draft:
    a = r.randint(2, 9)
    return expression(f"Simplify: $(x^2 - {a * a})/(x + {a})$", f"x - {a}",
                      wrong=(f"x + {a}",))


# ============================================================================ Algebra I: F-*


@template("F-IF.A.1", "conceptual")
def _domain_range(r: Random) -> Draft:
    xs = sorted(r.sample(range(-9, 10), 4))
    ys = [r.randint(-5, 5) for _ in xs]
    pairs = ", ".join(f"({x}, {y})" for x, y in zip(xs, ys, strict=True))
    return number(f"The function {{{pairs}}}: how many elements are in its range?",
                  len(set(ys)), wrong=(4,) if len(set(ys)) != 4 else (3,))


@template("F-IF.A.1", "conceptual")
def _f_of_x(r: Random) -> Draft:
    xs = sorted(r.sample(range(-9, 10), 4))
    ys = [r.randint(-9, 9) for _ in xs]
    i = r.randrange(4)
    pairs = ", ".join(f"({x}, {y})" for x, y in zip(xs, ys, strict=True))
    return number(f"f = {{{pairs}}}. What is f({xs[i]})?", ys[i], wrong=(xs[i],))


@template("F-IF.A.2", "procedural")
def _eval_f(r: Random) -> Draft:
    a, b, c = nz(r, -4, 4), r.randint(-9, 9), r.randint(-9, 9)
    x = r.randint(-4, 4)
    return number(f"$f(x) = {a}x^2 + {b}x + {c}$. What is f({x})?".replace("+ -", "- "),
                  a * x * x + b * x + c, wrong=(a * 2 * x + b * x + c, -(a * x * x) + b * x + c))


@template("F-IF.A.2", "application")
def _eval_context(r: Random) -> Draft:
    m, b, t = r.randint(2, 9), r.randint(10, 50), r.randint(2, 10)
    return number(f"$h(t) = {m}t + {b}$ gives a plant's height in cm after t weeks. What is "
                  f"h({t})?", m * t + b, wrong=(m + t + b,))


@template("F-IF.A.3", "procedural")
def _recursive(r: Random) -> Draft:
    a1, d, n = r.randint(-5, 10), nz(r, -5, 6), r.randint(4, 6)
    return number(f"$f(1) = {a1}$ and $f(n + 1) = f(n) + {d}$. What is f({n})?"
                  .replace("+ -", "- "), a1 + (n - 1) * d, wrong=(a1 + n * d,))


@template("F-IF.A.3", "procedural")
def _fib(r: Random) -> Draft:
    a, b = r.randint(1, 5), r.randint(1, 5)
    s = [a, b]
    for _ in range(4):
        s.append(s[-1] + s[-2])
    return number(f"$f(0) = {a}$, $f(1) = {b}$, $f(n + 1) = f(n) + f(n - 1)$. What is f(5)?",
                  s[5], wrong=(s[4], s[5] + s[4]))


@template("F-BF.A.1", "application")
def _write_function(r: Random) -> Draft:
    m, b = r.randint(2, 15), r.randint(5, 60)
    return expression(f"A taxi charges {b} dollars plus {m} dollars per mile. Write the cost "
                      "as a function of the miles m: C(m) = ?", f"{m}m + {b}", ("m",),
                      wrong=(f"{b}m + {m}",))


@template("F-BF.A.1", "application")
def _write_exp_function(r: Random) -> Draft:
    a, g = r.randint(2, 50), r.choice((2, 3))
    return expression(f"A population starts at {a} and is multiplied by {g} each year. Write "
                      "P(t) for t years.", f"{a}*{g}^t", ("t",), wrong=(f"{a} + {g}t",))


@template("F-BF.A.2", "procedural")
def _arith_explicit(r: Random) -> Draft:
    a, d = r.randint(-5, 10), nz(r, -5, 6)
    terms = ", ".join(str(a + k * d) for k in range(4))
    return expression(f"Write an explicit formula $a(n)$ (n = 1, 2, ...) for {terms}, ...",
                      f"{a} + {d}*(n - 1)", ("n",), wrong=(f"{a} + {d}n",))


@template("F-BF.A.2", "procedural")
def _geo_explicit(r: Random) -> Draft:
    a, q = r.randint(1, 6), r.choice((2, 3, -2))
    terms = ", ".join(str(a * q**k) for k in range(4))
    return expression(f"Write an explicit formula $a(n)$ (n = 1, 2, ...) for {terms}, ...",
                      f"{a}*({q})^(n - 1)", ("n",), wrong=(f"{a}*({q})^n",))


@template("F-BF.B.3", "conceptual")
def _shift(r: Random) -> Draft:
    k = nz(r, -6, 6)
    return number(f"The graph of $g(x) = f(x) + {k}$ is the graph of f moved up by how many "
                  "units? (Negative means down.)".replace("+ -", "- "), k, wrong=(-k,))


@template("F-BF.B.3", "conceptual")
def _shift_h(r: Random) -> Draft:
    k = nz(r, -6, 6)
    return number(f"$g(x) = f(x + {k})$. The graph of f moves right by how many units? "
                  "(Negative means left.)".replace("+ -", "- "), -k, wrong=(k,))


@template("F-BF.B.4", "procedural")
def _inverse(r: Random) -> Draft:
    m, b = nz(r, -6, 6), r.randint(-9, 9)
    return expression(f"Find the inverse of $f(x) = {lin(m, b)}$. Write $f^(-1)(x)$.",
                      f"(x - ({b}))/({m})", wrong=(f"(x + ({b}))/({m})", f"({m})x - ({b})"))


@template("F-BF.B.4", "procedural")
def _inverse_value(r: Random) -> Draft:
    m, b, x = nz(r, -6, 6), r.randint(-9, 9), r.randint(-6, 6)
    return number(f"$f(x) = {lin(m, b)}$. What is $f^(-1)({m * x + b})$?", x,
                  wrong=(m * (m * x + b) + b,))


@template("F-BF.B.5", "procedural")
def _log(r: Random) -> Draft:
    b, e = r.choice((2, 3, 10)), r.randint(1, 5)
    return number(f"$log_{b}({b**e})$ = ?".replace("log_", "log base "), e,
                  wrong=(b**e, F(b**e, b)))


@template("F-BF.B.5", "procedural")
def _exp_from_log(r: Random) -> Draft:
    b, e = r.choice((2, 3, 5)), r.randint(2, 4)
    return number(f"If $log base {b} (x) = {e}$, what is x?", b**e, wrong=(b * e, e**b))


@template("F-IF.B.4", "conceptual")
def _vertex_max(r: Random) -> Draft:
    h, k = r.randint(1, 6), r.randint(10, 80)
    return number(f"A ball's height is $h(t) = -(t - {h})^2 + {k}$ meters. What is the maximum "
                  "height?", k, units=("m", "meters"), wrong=(h,))


@template("F-IF.B.4", "conceptual")
def _intercept_context(r: Random) -> Draft:
    m, b = r.randint(2, 9), r.randint(10, 90)
    return number(f"A candle's height is $h(t) = {b} - {m}t$ cm. What is its height at "
                  "$t = 0$?", b, wrong=(m,))


@template("F-IF.B.5", "conceptual")
def _domain_context(r: Random) -> Draft:
    n = r.randint(20, 200)
    return number(f"$h(n)$ is the hours to build n engines; the factory can build at most {n}."
                  " How many whole numbers are in the domain, counting 0?", n + 1,
                  wrong=(n, n - 1))


@template("F-IF.B.5", "conceptual")
def _domain_sqrt(r: Random) -> Draft:
    a = r.randint(-9, 9)
    return inequality(f"What is the domain of $f(x) = sqrt(x - {a})$? (Write x >= ...)"
                      .replace("- -", "+ "), ">=", a, wrong=(f"x > {a}",))


@template("F-IF.B.6", "procedural")
def _avg_rate(r: Random) -> Draft:
    a, b = r.randint(1, 4), r.randint(-5, 5)
    x1, x2 = sorted(r.sample(range(-4, 6), 2))
    f = lambda x: a * x * x + b  # noqa: E731
    return number(f"$f(x) = {a}x^2 + {b}$. Average rate of change from $x = {x1}$ to "
                  f"$x = {x2}$?".replace("+ -", "- "), F(f(x2) - f(x1), x2 - x1),
                  wrong=(f(x2) - f(x1), F(x2 - x1, f(x2) - f(x1) or 1)))


@template("F-IF.B.6", "procedural")
def _avg_rate_table(r: Random) -> Draft:
    xs = [0, 2, 4]
    ys = [r.randint(0, 20) for _ in xs]
    return number(f"Table: {', '.join(f'({x}, {y})' for x, y in zip(xs, ys, strict=True))}. "
                  "What is the average rate of change from x = 0 to x = 4?",
                  F(ys[2] - ys[0], 4), wrong=(ys[2] - ys[0],))


@template("F-IF.C.7", "procedural")
def _x_intercepts(r: Random) -> Draft:
    p, q = r.sample(range(-8, 9), 2)
    return numbers(f"Where does $y = x^2 {'-' if p + q >= 0 else '+'} {abs(p + q)}x "
                   f"{'+' if p * q >= 0 else '-'} {abs(p * q)}$ cross the x-axis? Give the "
                   "x-values.", (p, q), wrong=(f"{-p}, {-q}",))


@template("F-IF.C.7", "procedural")
def _vertex(r: Random) -> Draft:
    h, k = r.randint(-5, 5), r.randint(-9, 9)
    return point(f"What is the vertex of $y = x^2 {'-' if h >= 0 else '+'} {abs(2 * h)}x "
                 f"{'+' if h * h + k >= 0 else '-'} {abs(h * h + k)}$?", h, k,
                 wrong=((-h, k), (h, h * h + k)))


@template("F-IF.C.8", "procedural")
def _factored_form(r: Random) -> Draft:
    p, q = nz(r, -7, 7), nz(r, -7, 7)
    while p + q == 0:
        q = nz(r, -7, 7)
    return expression(f"Write $f(x) = x^2 + {p + q}x + {p * q}$ in factored form."
                      .replace("+ -", "- "), f"(x + {p})(x + {q})", form="factored",
                      wrong=(f"(x - {p})(x - {q})",))


@template("F-IF.C.8", "conceptual")
def _growth_rate(r: Random) -> Draft:
    g = r.choice((F(102, 100), F(95, 100), F(110, 100), F(80, 100), F(125, 100)))
    pct = abs(g - 1) * 100
    return choice(f"$y = 500({fmt(g)})^t$. Does this show growth or decay, and by what percent "
                  "per period?", f"{'growth' if g > 1 else 'decay'} of {fmt(pct)}%",
                  [f"{'decay' if g > 1 else 'growth'} of {fmt(pct)}%",
                   f"{'growth' if g > 1 else 'decay'} of {fmt(g * 100)}%"], r)


@template("F-IF.C.9", "conceptual")
def _compare_max(r: Random) -> Draft:
    k1, k2 = r.sample(range(1, 20), 2)
    return number(f"f(x) = $-(x - 2)^2 + {k1}$. g has a table whose largest value is {k2} at "
                  "its vertex. Which maximum is greater? Give its value.", max(k1, k2),
                  wrong=(min(k1, k2),))


@template("F-IF.C.9", "conceptual")
def _compare_slopes(r: Random) -> Draft:
    m1, m2 = r.sample(range(1, 10), 2)
    return number(f"f(x) = ${m1}x + 3$; g passes through (0, 1) and (1, {1 + m2}). What is the "
                  "larger rate of change?", max(m1, m2), wrong=(min(m1, m2),))


@template("F-LE.A.1", "conceptual")
def _lin_vs_exp(r: Random) -> Draft:
    kind = r.choice(("linear", "exponential"))
    n = r.randint(2, 20)
    desc = (f"increases by {n} dollars every year" if kind == "linear"
            else f"increases by {n}% every year")
    return choice(f"A value {desc}. Is it modelled by a linear or an exponential function?",
                  kind, ["linear", "exponential"], r)


@template("F-LE.A.1", "conceptual")
def _equal_factors(r: Random) -> Draft:
    a, q = r.randint(1, 5), r.choice((2, 3))
    xs = range(4)
    ys = [a * q**x for x in xs]
    return number(f"Table: {', '.join(f'({x}, {y})' for x, y in zip(xs, ys, strict=True))}. "
                  "By what factor does y change each time x increases by 1?", q,
                  wrong=(ys[1] - ys[0],))


@template("F-LE.A.2", "procedural")
def _exp_two_points(r: Random) -> Draft:
    a, b = r.randint(1, 6), r.choice((2, 3, 4))
    return expression(f"An exponential function $f(x) = a·b^x$ has $f(0) = {a}$ and "
                      f"$f(1) = {a * b}$. Write f(x).", f"{a}*{b}^x",
                      wrong=(f"{a} + {a * b - a}x",))


@template("F-LE.A.2", "procedural")
def _lin_two_points(r: Random) -> Draft:
    m, b = nz(r, -6, 6), r.randint(-9, 9)
    x1, x2 = r.sample(range(-4, 5), 2)
    return expression(f"A linear function has $f({x1}) = {m * x1 + b}$ and $f({x2}) = "
                      f"{m * x2 + b}$. Write f(x).", lin(m, b), wrong=(lin(m, -b),))


@template("F-LE.A.3", "conceptual")
def _exceeds(r: Random) -> Draft:
    m = r.randint(10, 60)
    x = next(x for x in range(1, 60) if 2**x > m * x)
    return number(f"What is the smallest whole number x > 0 where $2^x$ is greater than "
                  f"${m}x$?", x, wrong=(x - 1, x + 1))


@template("F-LE.A.3", "conceptual")
def _exceeds_choice(r: Random) -> Draft:
    m = r.randint(100, 1000)
    b = r.choice(("1.01", "1.05", "1.1", "1.2", "1.5"))
    return choice(f"Eventually, which is larger for large x: ${b}^x$ or ${m}x^2$?", f"{b}^x",
                  [f"{m}x^2", "they stay equal"], r)


@template("F-LE.A.4", "procedural")
def _log_solve(r: Random) -> Draft:
    a, b, e = r.randint(2, 5), r.choice((2, 10)), r.randint(1, 4)
    return number(f"Solve ${a}·{b}^x = {a * b**e}$.", e, wrong=(F(a * b**e, a * b), a * e))


@template("F-LE.A.4", "procedural")
def _log_eval(r: Random) -> Draft:
    e = r.randint(1, 6)
    return number(f"Solve $10^x = {10**e}$.", e, wrong=(10 * e,))


@template("F-LE.B.5", "application")
def _param_meaning(r: Random) -> Draft:
    a, p = r.randint(100, 900), r.choice((2, 3, 5, 8))
    return number(f"$V(t) = {a}(1.0{p})^t$ is an investment's value. What was the starting "
                  "value?", a, wrong=(p, a * p))


@template("F-LE.B.5", "application")
def _param_rate(r: Random) -> Draft:
    m, b = r.randint(2, 30), r.randint(10, 200)
    return number(f"$C(n) = {m}n + {b}$ is the cost of n shirts. How much does each extra "
                  "shirt add?", m, wrong=(b,))
