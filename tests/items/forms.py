"""Equivalent and wrong spellings of an item's key, for the property tests."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from sounding.items.answers import parse_expression, parse_number, parse_numbers, parse_point
from sounding.items.model import Item, fmt


def _sym(e: sp.Expr) -> str:
    return str(e).replace("**", "^")


def equivalents(item: Item) -> list[str]:
    """Other ways a student writes the right answer (respecting a required form)."""
    t, k, form = item.answer_type, item.key, item.form
    out: list[str] = []
    if t == "number":
        v = parse_number(k)[0]
        if form in (None, "fraction", "simplest", "mixed") and v.denominator != 1:
            out.append(f"{v.numerator}/{v.denominator}")
        if form in (None, "fraction"):
            out.append(f"{2 * v.numerator}/{2 * v.denominator}")
        if form in (None, "decimal") and fmt(v) != f"{v.numerator}/{v.denominator}":
            out.append(fmt(v))
        if form in (None, "simplest", "mixed", "fraction") and abs(v) > 1 and v.denominator > 1:
            w, r = divmod(abs(v.numerator), v.denominator)
            out.append(f"{'-' if v < 0 else ''}{w} {r}/{v.denominator}")
        if form is None and v.denominator == 1:
            out.append(f"{v.numerator}.0")
        if item.units:
            out.append(f"{k} {item.units[0]}")
    elif t == "expression":
        e = parse_expression(k, item.variables)
        if form != "factored":
            ex = sp.expand(e)
            out.append(_sym(ex))
            if isinstance(ex, sp.Add):
                out.append(" + ".join(f"({_sym(a)})" for a in reversed(ex.args)))
        if form != "expanded":
            f = sp.factor(e)
            if form != "factored" or isinstance(f, sp.Mul | sp.Pow):
                out.append(_sym(f))
    elif t == "equation":
        lhs, rhs = k.split("=")
        if form != "solved":
            out.append(f"{rhs.strip()} = {lhs.strip()}")
            out.append(f"2*({lhs.strip()}) = 2*({rhs.strip()})")
        else:
            e = parse_expression(rhs, item.variables)
            out.append(f"{lhs.strip()} = {_sym(sp.expand(e))}")
    elif t == "point":
        a, b = parse_point(k)
        out += [f"({fmt(a)},{fmt(b)})", f"{fmt(a)}, {fmt(b)}"]
    elif t == "numbers":
        vals = sorted(parse_numbers(k, item.variables), reverse=True)
        out.append(", ".join(fmt(v) for v in vals))
        v0 = item.variables[0] if item.variables else "x"
        out.append(" or ".join(f"{v0} = {fmt(v)}" for v in vals))
    elif t == "inequality":
        var, op, c = k.split(" ")
        flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}[op]
        out.append(f"{c} {flip} {var}")
        out.append(f"{var}{op}{c}")
    elif t == "choice":
        out.append(chr(ord("A") + item.options.index(k)))
        out.append(k.upper())
    return out


def wrongs(item: Item) -> list[str]:
    """Answers that are certainly wrong."""
    t, k = item.answer_type, item.key
    out: list[str] = list(item.distractors)
    if t == "number":
        v = parse_number(k)[0]
        out += [fmt(v + 1), fmt(v - Fraction(1, 2))]
        if v != 0:
            out += [fmt(-v), fmt(2 * v)]
    elif t == "expression":
        out += [f"({k}) + 1", f"({k}) - 2"]
    elif t == "equation":
        lhs, rhs = k.split("=")
        out.append(f"{lhs} = ({rhs}) + 1")
    elif t == "point":
        a, b = parse_point(k)
        out.append(f"({fmt(a + 1)}, {fmt(b)})")
        if a != b:
            out.append(f"({fmt(b)}, {fmt(a)})")
    elif t == "numbers":
        vals = parse_numbers(k, item.variables)
        extra = max(vals) + 1
        out.append(", ".join(fmt(v) for v in sorted(vals) + [extra]))
        if len(vals) > 1:
            out.append(fmt(min(vals)))
    elif t == "inequality":
        var, op, c = k.split(" ")
        out.append(f"{var} {({'<': '>', '>': '<', '<=': '>', '>=': '<'})[op]} {c}")
        out.append(f"{var} {op} {fmt(Fraction(c) + 1)}")
    elif t == "choice":
        out += [o for o in item.options if o != k]
    return out
