"""Templates for fractions, decimals, ratios and the number system (grade 3 -> Algebra I).

The fractions strand is the seed's own example of a progression (halves -> comparing ->
unlike denominators -> rational expressions), so its items ask for the quantity itself as an
open response: any equivalent spelling is accepted unless the item asks for simplest form.
"""

from __future__ import annotations

import math
from fractions import Fraction as F
from random import Random

from sounding.items.model import Draft, choice, fmt, frac, number, point
from sounding.items.registry import template
from sounding.items.templates_number import compare_item, who


def _proper(r: Random, dens=(2, 3, 4, 5, 6, 8, 10, 12)) -> F:
    d = r.choice(dens)
    return F(r.randint(1, d - 1), d)


def _sfrac(x: F) -> str:
    """A fraction for a prompt: a/b, with parentheses when negative."""
    s = frac(x)
    return f"({s})" if x < 0 else s


# ============================================================================ grade 3


@template("3.NF.A.1", "conceptual")
def _shaded(r: Random) -> Draft:
    b = r.choice((2, 3, 4, 6, 8))
    a = r.randint(1, b - 1)
    bar = "▮" * a + "▯" * (b - a)
    return number(f"A bar is cut into {b} equal parts and {a} are shaded: {bar}\nWhat "
                  "fraction of the bar is shaded?", F(a, b), form="fraction",
                  wrong=(F(b - a, b), F(a, b - a) if b - a else F(b, a)))


@template("3.NF.A.1", "conceptual")
def _unit_parts(r: Random) -> Draft:
    b = r.choice((2, 3, 4, 6, 8))
    a = r.randint(2, b)
    return number(f"How many copies of $1/{b}$ make ${a}/{b}$?", a, wrong=(b, F(a, b)))


@template("3.NF.A.2", "conceptual")
def _number_line(r: Random) -> Draft:
    b = r.choice((2, 3, 4, 6, 8))
    a = r.randint(1, b)
    return number(f"The space from 0 to 1 on a number line is split into {b} equal parts. A "
                  f"point is at the end of part {a}, counting from 0. What number is the point?",
                  F(a, b), form="fraction", wrong=(F(a, b + 1), F(a + 1, b)))


@template("3.NF.A.2", "conceptual")
def _number_line_beyond(r: Random) -> Draft:
    b = r.choice((2, 3, 4))
    a = r.randint(b + 1, 2 * b)
    return number(f"On a number line, each whole is split into {b} equal parts. Starting at 0, "
                  f"you jump {a} parts. Where do you land? (Write a fraction.)", F(a, b),
                  form="fraction", wrong=(F(b, a), F(a, b) + 1))


@template("3.NF.A.3", "conceptual")
def _equiv_simple(r: Random) -> Draft:
    b = r.choice((2, 3, 4))
    a = r.randint(1, b - 1)
    k = r.choice((2, 3))
    return number(f"${a}/{b} = $ ☐$/{b * k}$. What number goes in the box?", a * k,
                  wrong=(a + k, a))


@template("3.NF.A.3", "conceptual")
def _compare_same(r: Random) -> Draft:
    if r.random() < 0.5:
        b = r.choice((3, 4, 6, 8))
        a1, a2 = r.randint(1, b), r.randint(1, b)
        return compare_item(r, F(a1, b), F(a2, b), f"{a1}/{b}", f"{a2}/{b}")
    a = r.randint(1, 3)
    b1, b2 = r.sample((2, 3, 4, 6, 8), 2)
    return compare_item(r, F(a, b1), F(a, b2), f"{a}/{b1}", f"{a}/{b2}")


# ============================================================================ grade 4


@template("4.NF.A.1", "conceptual")
def _equiv_nk(r: Random) -> Draft:
    b = r.choice((2, 3, 4, 5, 6, 10, 12))
    a = r.randint(1, b - 1)
    k = r.randint(2, 6)
    return number(f"${a}/{b} = {a * k}/$ ☐. What number goes in the box?", b * k,
                  wrong=(b + k, a * k + b - a))


@template("4.NF.A.1", "conceptual")
def _equiv_simplify(r: Random) -> Draft:
    b = r.choice((3, 4, 5, 6, 8))
    a = r.randint(1, b - 1)
    while math.gcd(a, b) != 1:
        a = r.randint(1, b - 1)
    k = r.randint(2, 5)
    return number(f"Write ${a * k}/{b * k}$ in simplest form.", F(a, b), form="simplest",
                  wrong=(F(a * k, b), F(a + 1, b)))


@template("4.NF.A.2", "conceptual")
def _compare_unlike(r: Random) -> Draft:
    x, y = _proper(r), _proper(r)
    while x == y:
        y = _proper(r)
    return compare_item(r, x, y, frac(x), frac(y))


@template("4.NF.A.2", "conceptual")
def _compare_half(r: Random) -> Draft:
    x = _proper(r, (3, 5, 6, 8, 10, 12))
    while x == F(1, 2):
        x = _proper(r, (3, 5, 6, 8, 10, 12))
    return compare_item(r, x, F(1, 2), frac(x), "1/2")


@template("4.NF.B.3", "procedural")
def _add_like(r: Random) -> Draft:
    b = r.choice((3, 4, 5, 6, 8, 10, 12))
    a1, a2 = r.randint(1, b - 1), r.randint(1, b - 1)
    op = r.choice("+-")
    if op == "-" and a1 < a2:
        a1, a2 = a2, a1
    v = F(a1, b) + F(a2, b) if op == "+" else F(a1, b) - F(a2, b)
    return number(f"${a1}/{b} {op} {a2}/{b} = $ ?", v,
                  wrong=(F(a1 + a2, 2 * b) if op == "+" else F(a1 - a2 + 1, b), v + 1))


@template("4.NF.B.3", "application")
def _mixed_like(r: Random) -> Draft:
    b = r.choice((3, 4, 5, 6, 8))
    w1, w2 = r.randint(1, 4), r.randint(1, 3)
    a1, a2 = r.randint(1, b - 1), r.randint(1, b - 1)
    v = w1 + w2 + F(a1 + a2, b)
    return number(f"A rope is ${w1} {a1}/{b}$ m long and another is ${w2} {a2}/{b}$ m long. "
                  "How many meters of rope in all?", v, units=("m",),
                  wrong=(w1 + w2 + F(a1 + a2, 2 * b), v - 1))


@template("4.NF.B.4", "procedural")
def _frac_times_whole(r: Random) -> Draft:
    b = r.choice((2, 3, 4, 5, 6, 8, 10))
    a, n = r.randint(1, b - 1), r.randint(2, 9)
    return number(f"${n} × {a}/{b} = $ ?", n * F(a, b), wrong=(F(n * a, n * b), F(a, n * b)))


@template("4.NF.B.4", "application")
def _frac_times_whole_story(r: Random) -> Draft:
    b = r.choice((2, 3, 4, 8))
    a, n = r.randint(1, b - 1), r.randint(2, 8)
    return number(f"Each of {n} people eats ${a}/{b}$ pound of roast beef. How many pounds of "
                  "roast beef are needed?", n * F(a, b), units=("pounds", "lb"),
                  wrong=(F(a, b), F(n + a, b)))


@template("4.NF.C.5", "procedural")
def _tenths_hundredths(r: Random) -> Draft:
    a, c = r.randint(1, 9), r.randint(1, 99)
    v = F(a, 10) + F(c, 100)
    return number(f"${a}/10 + {c}/100 = $ ?", v, wrong=(F(a + c, 110), F(a + c, 100)))


@template("4.NF.C.5", "conceptual")
def _tenths_to_hundredths(r: Random) -> Draft:
    a = r.randint(1, 9)
    return number(f"${a}/10 = $ ☐$/100$. What number goes in the box?", 10 * a,
                  wrong=(a, a + 90))


@template("4.NF.C.6", "procedural")
def _to_decimal(r: Random) -> Draft:
    d = r.choice((10, 100))
    a = r.randint(1, d - 1)
    return number(f"Write ${a}/{d}$ as a decimal.", F(a, d), form="decimal",
                  wrong=(F(a, d * 10), F(a, d // 10) if d == 100 else F(a, 100)))


@template("4.NF.C.6", "conceptual")
def _decimal_to_frac(r: Random) -> Draft:
    a = r.randint(1, 99)
    return number(f"$0.{a:02d}$ is how many hundredths?", a, wrong=(a * 10, F(a, 100)))


@template("4.NF.C.7", "conceptual")
def _compare_dec(r: Random) -> Draft:
    a, b = r.randint(1, 99), r.randint(1, 9)
    x, y = F(a, 100), F(b, 10)
    return compare_item(r, x, y, f"0.{a:02d}", f"0.{b}")


@template("4.NF.C.7", "conceptual")
def _larger_dec(r: Random) -> Draft:
    a, b = r.sample(range(11, 99), 2)
    x, y = F(a, 100), F(b // 10, 10)
    if x == y:
        y += F(1, 10)
    return number(f"Which is greater: {fmt(x)} or {fmt(y)}?", max(x, y),
                  form="decimal", wrong=(min(x, y),))


# ============================================================================ grade 5


@template("5.NF.A.1", "procedural")
def _add_unlike(r: Random) -> Draft:
    x, y = _proper(r, (2, 3, 4, 5, 6, 8)), _proper(r, (2, 3, 4, 5, 6, 8))
    while x.denominator == y.denominator:
        y = _proper(r, (2, 3, 4, 5, 6, 8))
    op = r.choice("+-")
    if op == "-" and x < y:
        x, y = y, x
    v = x + y if op == "+" else x - y
    naive = F(x.numerator + y.numerator, x.denominator + y.denominator) if op == "+" else \
        F(abs(x.numerator - y.numerator), abs(x.denominator - y.denominator) or 1)
    return number(f"${frac(x)} {op} {frac(y)} = $ ?", v, wrong=(naive, v + 1))


@template("5.NF.A.1", "procedural")
def _add_mixed_unlike(r: Random) -> Draft:
    w1, w2 = r.randint(1, 5), r.randint(1, 4)
    x, y = _proper(r, (2, 3, 4, 6)), _proper(r, (2, 3, 4, 6, 8))
    while x.denominator == y.denominator:
        y = _proper(r, (2, 3, 4, 6, 8))
    v = w1 + x + w2 + y
    return number(f"${w1} {x.numerator}/{x.denominator} + {w2} {y.numerator}/{y.denominator}"
                  " = $ ?", v, wrong=(v - 1, w1 + w2 + F(x.numerator + y.numerator,
                                                           x.denominator + y.denominator)))


@template("5.NF.A.2", "application")
def _frac_story(r: Random) -> Draft:
    x, y = _proper(r, (2, 3, 4, 6, 8)), _proper(r, (2, 3, 4, 6, 8))
    while x.denominator == y.denominator:
        y = _proper(r, (2, 3, 4, 6, 8))
    n = who(r)[0]
    return number(f"{n} walks ${frac(x)}$ mile to the park and then ${frac(y)}$ mile to the "
                  "store. How far does she walk in all, in miles?", x + y,
                  units=("miles", "mile", "mi"),
                  wrong=(F(x.numerator + y.numerator, x.denominator + y.denominator),))


@template("5.NF.A.2", "application")
def _frac_story_sub(r: Random) -> Draft:
    x, y = _proper(r, (2, 3, 4, 6, 8)), _proper(r, (2, 3, 4, 6, 8))
    while x.denominator == y.denominator or x == y:
        y = _proper(r, (2, 3, 4, 6, 8))
    hi, lo = max(x, y), min(x, y)
    return number(f"A jug holds ${frac(hi)}$ liter of juice. Kim pours out ${frac(lo)}$ liter. "
                  "How much juice is left, in liters?", hi - lo, units=("liters", "liter", "l"),
                  wrong=(hi + lo,))


@template("5.NF.B.3", "conceptual")
def _frac_as_div(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    while a % b == 0:
        a = r.randint(2, 9)
    return number(f"${a} ÷ {b} = $ ? (You may answer with a fraction.)", F(a, b),
                  wrong=(F(b, a),))


@template("5.NF.B.3", "application")
def _share_story(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 6)
    while a % b == 0:
        a = r.randint(2, 9)
    return number(f"{b} friends share {a} pizzas equally. How many pizzas does each friend "
                  "get?", F(a, b), units=("pizzas", "pizza"), wrong=(F(b, a),))


@template("5.NF.B.4", "procedural")
def _frac_times_frac(r: Random) -> Draft:
    x, y = _proper(r), _proper(r)
    return number(f"${frac(x)} × {frac(y)} = $ ?", x * y,
                  wrong=(F(x.numerator * y.numerator, x.denominator + y.denominator),
                         x * y + 1))


@template("5.NF.B.4", "conceptual")
def _area_frac(r: Random) -> Draft:
    x, y = _proper(r, (2, 3, 4, 5)), _proper(r, (2, 3, 4, 6))
    return number(f"A rectangle is ${frac(x)}$ m long and ${frac(y)}$ m wide. What is its "
                  "area, in square meters?", x * y, units=("square meters", "m2", "m^2"),
                  wrong=(x + y, 2 * (x + y)))


@template("5.NF.B.5", "conceptual")
def _scaling(r: Random) -> Draft:
    n = r.randint(10, 99)
    f = r.choice((F(r.randint(1, 7), 8), F(r.randint(9, 20), 8)))
    while f == 1:
        f = F(r.randint(9, 20), 8)
    ans = f"greater than {n}" if f > 1 else f"less than {n}"
    return choice(f"Without computing: is ${frac(f)} × {n}$ greater than, less than or equal "
                  f"to {n}?", ans, [f"greater than {n}", f"less than {n}", f"equal to {n}"], r)


@template("5.NF.B.5", "conceptual")
def _scaling_b(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    return number(f"${a} × {b}$ is {a * b}. ${a} × ({b}/{b})$ is ?", a, wrong=(a * b, b))


@template("5.NF.B.6", "application")
def _mixed_mult_story(r: Random) -> Draft:
    w = r.randint(1, 4)
    x = _proper(r, (2, 3, 4))
    n = r.randint(2, 6)
    v = (w + x) * n
    return number(f"One batch of muffins needs ${w} {x.numerator}/{x.denominator}$ cups of "
                  f"flour. How many cups for {n} batches?", v, units=("cups", "cup"),
                  wrong=(w * n + x, (w + x) + n))


@template("5.NF.B.6", "application")
def _frac_of_frac_story(r: Random) -> Draft:
    x, y = _proper(r, (2, 3, 4)), _proper(r, (2, 3, 4, 5))
    return number(f"${frac(x)}$ of a garden is planted, and ${frac(y)}$ of the planted part is "
                  "tomatoes. What fraction of the whole garden is tomatoes?", x * y,
                  wrong=(x + y, x - y if x > y else y - x))


@template("5.NF.B.7", "procedural")
def _unit_div_whole(r: Random) -> Draft:
    b, n = r.randint(2, 9), r.randint(2, 9)
    return number(f"$(1/{b}) ÷ {n} = $ ?", F(1, b * n), wrong=(F(n, b), F(b, n)))


@template("5.NF.B.7", "procedural")
def _whole_div_unit(r: Random) -> Draft:
    b, n = r.randint(2, 9), r.randint(2, 9)
    return number(f"${n} ÷ (1/{b}) = $ ?", n * b, wrong=(F(n, b), F(1, n * b)))


# ============================================================================ grade 6


@template("6.NS.A.1", "procedural")
def _frac_div_frac(r: Random) -> Draft:
    x, y = _proper(r), _proper(r)
    return number(f"$({frac(x)}) ÷ ({frac(y)}) = $ ?", x / y, wrong=(y / x, x * y))


@template("6.NS.A.1", "application")
def _frac_div_story(r: Random) -> Draft:
    y = _proper(r, (2, 3, 4, 6, 8))
    k = r.randint(2, 9)
    x = y * k
    return number(f"How many ${frac(y)}$-cup servings are in ${fmt(x) if x.denominator == 1 else frac(x)}$ "  # noqa: E501
                  "cups of yogurt?", k, wrong=(x * y, F(1, k)))


@template("6.NS.B.2", "procedural")
def _long_div(r: Random) -> Draft:
    b, q = r.randint(13, 89), r.randint(101, 999)
    return number(f"${b * q} ÷ {b} = $ ?", q, wrong=(q + 10, q - 1))


@template("6.NS.B.3", "procedural")
def _dec_ops(r: Random) -> Draft:
    a, b = F(r.randint(101, 9999), 100), F(r.randint(11, 999), 100)
    op = r.choice("+-×")
    v = a + b if op == "+" else a - b if op == "-" else a * b
    return number(f"${fmt(a)} {op.replace('×', '×')} {fmt(b)} = $ ?", v,
                  wrong=(v * 10, v + 1))


@template("6.NS.B.3", "procedural")
def _dec_div(r: Random) -> Draft:
    b = F(r.randint(2, 99), 10)
    q = F(r.randint(2, 99), 10)
    return number(f"${fmt(b * q)} ÷ {fmt(b)} = $ ?", q, wrong=(q * 10, q / 10))


@template("6.NS.B.4", "procedural")
def _gcf(r: Random) -> Draft:
    g = r.randint(2, 12)
    a, b = g * r.randint(1, 8), g * r.randint(1, 8)
    while a == b:
        b = g * r.randint(1, 8)
    return number(f"What is the greatest common factor of {a} and {b}?", math.gcd(a, b),
                  wrong=(math.lcm(a, b), min(a, b)))


@template("6.NS.B.4", "procedural")
def _lcm(r: Random) -> Draft:
    a, b = r.sample(range(2, 13), 2)
    return number(f"What is the least common multiple of {a} and {b}?", math.lcm(a, b),
                  wrong=(a * b if a * b != math.lcm(a, b) else a * b * 2, math.gcd(a, b)))


@template("6.NS.C.5", "conceptual")
def _opposite_quantity(r: Random) -> Draft:
    a = r.randint(5, 200)
    kind = r.choice((("a deposit of ", "a withdrawal"), ("a temperature ", "below zero")))
    if kind[1] == "a withdrawal":
        return number(f"A deposit of {a} dollars is written as {a}. How is a withdrawal of {a} "
                      "dollars written?", -a, wrong=(a, 0))
    return number(f"The temperature is {a % 40 + 1} degrees below zero. Write it as a number.",
                  -(a % 40 + 1), units=("degrees",), wrong=(a % 40 + 1,))


@template("6.NS.C.5", "conceptual")
def _sea_level(r: Random) -> Draft:
    a = r.randint(10, 500)
    return number(f"A diver is {a} feet below sea level. Sea level is 0. What number describes "
                  "the diver's position?", -a, units=("feet", "ft"), wrong=(a,))


@template("6.NS.C.6", "conceptual")
def _opposite(r: Random) -> Draft:
    a = r.choice((-1, 1)) * r.randint(1, 30)
    return number(f"What is the opposite of the opposite of {a}? That is, $-(-({a}))$ = ?", a,
                  wrong=(-a,))


@template("6.NS.C.6", "conceptual")
def _reflect_point(r: Random) -> Draft:
    x, y = r.choice((-1, 1)) * r.randint(1, 9), r.choice((-1, 1)) * r.randint(1, 9)
    axis = r.choice(("x", "y"))
    rx, ry = (x, -y) if axis == "x" else (-x, y)
    return point(f"Reflect the point $({x}, {y})$ across the {axis}-axis. What are the new "
                 "coordinates?", rx, ry, wrong=((-x, -y), (ry, rx)))


@template("6.NS.C.7", "conceptual")
def _abs(r: Random) -> Draft:
    a = r.choice((-1, 1)) * r.randint(1, 50)
    return number(f"$|{a}|$ = ?", abs(a), wrong=(-abs(a),))


@template("6.NS.C.7", "conceptual")
def _order_neg(r: Random) -> Draft:
    a, b = r.sample(range(-20, 21), 2)
    return compare_item(r, a, b, str(a), str(b))


@template("6.NS.C.8", "application")
def _distance_same_x(r: Random) -> Draft:
    x = r.randint(-9, 9)
    y1, y2 = r.sample(range(-9, 10), 2)
    return number(f"How far apart are the points $({x}, {y1})$ and $({x}, {y2})$?",
                  abs(y1 - y2), units=("units",), wrong=(abs(y1 + y2) if y1 + y2 else 1,))


@template("6.NS.C.8", "application")
def _walk_grid(r: Random) -> Draft:
    x, y = r.randint(-8, 8), r.randint(-8, 8)
    dx, dy = r.randint(-5, 5), r.randint(-5, 5)
    if dx == dy == 0:
        dx = 3
    return point(f"Start at $({x}, {y})$. Move {abs(dx)} units {'right' if dx >= 0 else 'left'}"
                 f" and {abs(dy)} units {'up' if dy >= 0 else 'down'}. Where do you end?",
                 x + dx, y + dy, wrong=((x + dy, y + dx), (x - dx, y - dy)))


@template("6.RP.A.1", "conceptual")
def _ratio(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    k = r.randint(2, 5)
    return number(f"In a zoo, the ratio of wings to beaks is {a}:{b}. There are {b * k} "
                  "beaks. How many wings are there?", a * k, wrong=(b * k, a * k + b))


@template("6.RP.A.1", "conceptual")
def _ratio_part(r: Random) -> Draft:
    a, b = r.randint(1, 9), r.randint(1, 9)
    k = r.randint(2, 6)
    return number(f"A bag has red and blue beads in the ratio {a}:{b}. It holds {(a + b) * k} "
                  "beads. How many are red?", a * k, wrong=(b * k, a * (a + b)))


@template("6.RP.A.2", "conceptual")
def _unit_rate(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 12)
    return number(f"{a * b} dollars for {a} pounds. What is the price per pound, in dollars?",
                  b, units=("dollars",), wrong=(F(a, a * b), a * b))


@template("6.RP.A.2", "conceptual")
def _unit_rate_frac(r: Random) -> Draft:
    a, b = r.randint(2, 9), r.randint(2, 9)
    while a % b == 0:
        a = r.randint(2, 9)
    return number(f"A recipe uses {a} cups of flour for {b} cups of sugar. How many cups of "
                  "flour per cup of sugar?", F(a, b), wrong=(F(b, a),))


@template("6.RP.A.3", "application")
def _percent_of(r: Random) -> Draft:
    p = r.choice((5, 10, 15, 20, 25, 30, 40, 50, 60, 75))
    n = r.randint(2, 40) * 4
    return number(f"What is {p}% of {n}?", F(p * n, 100), wrong=(F(n, p), p * n))


@template("6.RP.A.3", "application")
def _rate_table(r: Random) -> Draft:
    a, b = r.randint(2, 6), r.randint(3, 15)
    k = r.randint(3, 12)
    return number(f"A car travels {a * b} miles in {a} hours at a constant speed. How far does "
                  f"it travel in {k} hours?", b * k, units=("miles",), wrong=(a * b + k, a * k))


@template("7.NS.A.1", "procedural")
def _add_signed(r: Random) -> Draft:
    a, b = r.randint(-20, 20), r.randint(-20, 20)
    op = r.choice("+-")
    v = a + b if op == "+" else a - b
    return number(f"${a} {op} ({b}) = $ ?", v, wrong=(-v if v else 1, a - b if op == "+"
                                                         else a + b))


@template("7.NS.A.1", "procedural")
def _add_rational(r: Random) -> Draft:
    x = _proper(r, (2, 3, 4, 5, 6)) * r.choice((-1, 1))
    y = _proper(r, (2, 3, 4, 5, 6)) * r.choice((-1, 1))
    return number(f"${_sfrac(x)} - {_sfrac(y)} = $ ?", x - y, wrong=(x + y, y - x))


@template("7.NS.A.2", "procedural")
def _mult_signed(r: Random) -> Draft:
    a, b = r.choice((-1, 1)) * r.randint(2, 12), r.choice((-1, 1)) * r.randint(2, 12)
    if a > 0 and b > 0:
        a = -a
    return number(f"$({a}) × ({b}) = $ ?", a * b, wrong=(-a * b, a + b))


@template("7.NS.A.2", "procedural")
def _div_rational(r: Random) -> Draft:
    x = -_proper(r, (2, 3, 4, 5))
    y = _proper(r, (2, 3, 4, 5, 6)) * r.choice((-1, 1))
    return number(f"${_sfrac(x)} ÷ {_sfrac(y)} = $ ?", x / y, wrong=(-x / y, y / x))


@template("7.NS.A.3", "application")
def _temp_change(r: Random) -> Draft:
    t = r.randint(-10, 15)
    d = r.randint(5, 25)
    h = r.randint(2, 6)
    return number(f"The temperature is {t} degrees. It drops {d} degrees, then rises {h} "
                  "degrees. What is the temperature now?", t - d + h, units=("degrees",),
                  wrong=(t + d - h, t - d - h))


@template("7.NS.A.3", "application")
def _debt(r: Random) -> Draft:
    owe, n = r.randint(2, 9) * 5, r.randint(2, 6)
    return number(f"A balance changes by $-{owe}$ dollars each week for {n} weeks. What is the "
                  "total change, in dollars?", -owe * n, units=("dollars",), wrong=(owe * n,))


@template("7.RP.A.1", "procedural")
def _complex_rate(r: Random) -> Draft:
    a = F(1, r.choice((2, 3, 4)))
    b = F(1, r.choice((2, 3, 4, 5, 6)))
    while b == a:
        b = F(1, r.choice((5, 6, 8)))
    return number(f"A person walks ${frac(a)}$ mile in every ${frac(b)}$ hour. What is the "
                  "speed in miles per hour?", a / b, units=("miles per hour", "mph"),
                  wrong=(b / a, a * b))


@template("7.RP.A.1", "procedural")
def _area_rate(r: Random) -> Draft:
    a = F(r.randint(1, 5), r.choice((2, 3, 4)))
    b = F(1, r.choice((2, 3, 4, 5)))
    return number(f"A painter covers ${frac(a)}$ square meters in ${frac(b)}$ hour. How many "
                  "square meters per hour?", a / b, wrong=(b / a, a * b))


@template("7.RP.A.2", "conceptual")
def _constant_prop(r: Random) -> Draft:
    k = F(r.randint(1, 12), r.choice((1, 2, 4)))
    xs = r.sample(range(1, 10), 2)
    return number(f"y is proportional to x. When $x = {xs[0]}$, $y = {fmt(k * xs[0])}$. What is "
                  f"y when $x = {xs[1]}$?", k * xs[1], wrong=(k * xs[0] + xs[1] - xs[0],
                                                          F(xs[1], k)))


@template("7.RP.A.2", "conceptual")
def _is_proportional(r: Random) -> Draft:
    k = r.randint(2, 6)
    b = r.choice((0, r.randint(1, 5)))
    xs = [1, 2, 3]
    pairs = ", ".join(f"({x}, {k * x + b})" for x in xs)
    return choice(f"Do the pairs (x, y) {pairs} show a proportional relationship?",
                  "yes" if b == 0 else "no", ["yes", "no"], r)


@template("7.RP.A.3", "application")
def _tax(r: Random) -> Draft:
    p = r.choice((5, 6, 8, 10, 15, 20))
    cost = r.randint(2, 30) * 5
    return number(f"A ${cost} item has a {p}% sales tax. What is the total cost, in dollars?",
                  cost + F(cost * p, 100), units=("dollars",), wrong=(F(cost * p, 100),
                                                                       cost + p))


@template("7.RP.A.3", "application")
def _percent_change(r: Random) -> Draft:
    old = r.randint(2, 20) * 10
    p = r.choice((10, 20, 25, 30, 40, 50))
    up = r.random() < 0.5
    new = old + old * p // 100 if up else old - old * p // 100
    return number(f"A price changes from {old} dollars to {new} dollars. By what percent did "
                  f"it {'increase' if up else 'decrease'}?", p, units=("%", "percent"),
                  wrong=(abs(new - old), F(abs(new - old) * 100, new)))


@template("8.NS.A.1", "conceptual")
def _repeating(r: Random) -> Draft:
    d = r.randint(1, 8)
    return number(f"Write $0.{d}{d}{d}...$ (the digit {d} repeating forever) as a fraction.",
                  F(d, 9), form="fraction", wrong=(F(d, 10), F(d * 111, 1000)))


@template("8.NS.A.1", "conceptual")
def _rational_or_not(r: Random) -> Draft:
    n = r.randint(2, 80)
    sq = math.isqrt(n) ** 2 == n
    return choice(f"Is $sqrt({n})$ rational or irrational?", "rational" if sq else "irrational",
                  ["rational", "irrational"], r)


@template("8.NS.A.2", "conceptual")
def _sqrt_between(r: Random) -> Draft:
    n = r.randint(2, 150)
    while math.isqrt(n) ** 2 == n:
        n += 1
    k = math.isqrt(n)
    return number(f"$sqrt({n})$ lies between two whole numbers next to each other. What is the "
                  "smaller one?", k, wrong=(k + 1, n // 2))


@template("8.NS.A.2", "conceptual")
def _compare_irr(r: Random) -> Draft:
    a, b = r.sample(range(2, 60), 2)
    k = r.randint(2, 8)
    return compare_item(r, a, k * k, f"sqrt({a})", str(k)) if r.random() < 0.5 else \
        compare_item(r, a, b, f"sqrt({a})", f"sqrt({b})")


@template("N-Q.A.1", "application")
def _unit_convert(r: Random) -> Draft:
    mph = r.choice((30, 45, 60, 90))
    mins = r.choice((10, 20, 30, 40, 90))
    return number(f"A car goes {mph} miles per hour. How many miles does it go in {mins} "
                  "minutes?", F(mph * mins, 60), units=("miles",), wrong=(mph * mins, mph))


@template("N-Q.A.1", "application")
def _liters(r: Random) -> Draft:
    m = r.choice((2, 3, 4, 5, 6))
    days = r.randint(1, 4)
    return number(f"A faucet drips {m} liters per hour. How many liters does it drip in {days} "
                  "days?", m * 24 * days, units=("liters",), wrong=(m * days, m * 60 * days))


@template("N-Q.A.2", "application")
def _density(r: Random) -> Draft:
    people = r.randint(2, 9) * 1000
    area = r.choice((2, 4, 5, 8, 10))
    return number(f"A town of {people} people covers {area} square miles. How many people per "
                  "square mile?", F(people, area), wrong=(F(area, people), people * area))


@template("N-Q.A.2", "application")
def _choose_quantity(r: Random) -> Draft:
    gal, miles = r.randint(8, 15), r.randint(20, 40)
    return number(f"A car uses {gal} gallons to drive {gal * miles} miles. What is its fuel "
                  "economy in miles per gallon?", miles, units=("miles per gallon", "mpg"),
                  wrong=(F(gal, gal * miles),))


@template("N-Q.A.3", "application")
def _accuracy(r: Random) -> Draft:
    x = F(r.randint(10_000, 99_999), 1000)
    res = F(round(x * 10), 10)
    if x * 10 - int(x * 10) == F(1, 2):
        x += F(1, 1000)
        res = F(round(x * 10), 10)
    return number(f"A ruler measures to the nearest tenth of a centimeter. A calculator shows "
                  f"{fmt(x)} cm. Report it to the accuracy of the ruler.", res, form="decimal",
                  units=("cm",), wrong=(x, F(round(x), 1)))


@template("N-Q.A.3", "application")
def _sig_round(r: Random) -> Draft:
    n = r.randint(1001, 9999)
    if n % 100 == 50:
        n += 1
    return number(f"A crowd is counted as {n} people, but the count may be off by about 50. "
                  "Round it to the nearest hundred.", rounded_h(n), wrong=(n, n // 100 * 100
                                                                            + 100))


def rounded_h(n: int) -> int:
    return ((n + 50) // 100) * 100


@template("N-RN.A.1", "conceptual")
def _rational_exp(r: Random) -> Draft:
    b = r.choice((2, 3))
    base = r.randint(2, 5) ** b
    return number(f"$5^(1/3)$ is defined so that $(5^(1/3))^3 = 5$. In the same way, what is "
                  f"${base}^(1/{b})$?", round(base ** (1 / b)), wrong=(F(base, b), base * b))


@template("N-RN.A.1", "conceptual")
def _rational_exp2(r: Random) -> Draft:
    root = r.randint(2, 4)
    p = r.randint(2, 3)
    n = root**3
    return number(f"${n}^({p}/3) = $ ?", root**p, wrong=(F(n * p, 3), root * p))


@template("N-RN.A.2", "procedural")
def _radical_rewrite(r: Random) -> Draft:
    a = r.randint(2, 9)
    s = r.choice((2, 3, 5, 6, 7))
    return number(f"$sqrt({a * a * s}) = k × sqrt({s})$. What is k?", a, wrong=(a * a, a * s))


@template("N-RN.A.2", "procedural")
def _exp_rules(r: Random) -> Draft:
    b = r.randint(2, 3)
    m, n = r.randint(1, 4), r.randint(1, 4)
    return number(f"$({b}^(1/2))^{2 * m} × {b}^{n} = $ ?", b ** (m + n),
                  wrong=(b ** (2 * m * n), b ** (m * n)))


@template("N-RN.B.3", "conceptual")
def _rational_sum(r: Random) -> Draft:
    a = r.randint(1, 9)
    s = r.choice((2, 3, 5, 7))
    ex = r.choice(((f"{a} + sqrt({s})", "irrational"), (f"{a} × (1/{a + 1})", "rational"),
                   (f"sqrt({s}) × sqrt({s})", "rational"), (f"{a} × sqrt({s})", "irrational")))
    return choice(f"Is ${ex[0]}$ rational or irrational?", ex[1], ["rational", "irrational"], r)


@template("N-RN.B.3", "conceptual")
def _rational_product(r: Random) -> Draft:
    a, b = F(r.randint(1, 9), r.randint(2, 9)), F(r.randint(1, 9), r.randint(2, 9))
    op = r.choice(("+", "×"))
    v = a + b if op == "+" else a * b
    return number(f"The sum or product of two rational numbers is rational. Write "
                  f"${frac(a)} {op} {frac(b)}$ as a fraction.", v, form="fraction",
                  wrong=(F(a.numerator + b.numerator, a.denominator + b.denominator),))
