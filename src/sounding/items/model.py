"""Items and templates: what an item is, and how a template makes one from a seed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from typing import Any

from sounding.items import answers
from sounding.items.mathml import prompt_to_html, prompt_to_text

KINDS = ("conceptual", "procedural", "application")


@dataclass(frozen=True)
class Item:
    """One generated item.

    ``item_id`` is ``<template_id>~<seed>``: the template regenerates the same item from it,
    so a session only needs to keep ids. ``key`` is one correct response (the checker accepts
    every equivalent one); ``distractors`` are wrong answers a student plausibly gives (common
    errors), used by the simulator and the property tests. ``difficulty`` and
    ``discrimination`` are the item's calibration on the logit scale (2PL: P(correct) =
    guess + (1 - guess - slip) * sigmoid(discrimination * (theta - difficulty))); ``guess``
    and ``slip`` the chance of a right answer without mastery and of a wrong one with it.
    """

    item_id: str
    template_id: str
    standard: str
    kind: str
    prompt: str
    answer_type: str
    key: str
    options: tuple[str, ...] = ()
    form: str | None = None
    variables: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    distractors: tuple[str, ...] = ()
    difficulty: float = 0.0
    discrimination: float = 1.0
    guess: float = 0.05
    slip: float = 0.1

    def check(self, response: object) -> bool:
        """Whether ``response`` is correct (exact; never raises)."""
        return answers.check(self, response)

    @property
    def html(self) -> str:
        """The prompt with its math as MathML (and the options, for a choice item)."""
        body = f"<p>{prompt_to_html(self.prompt)}</p>"
        if self.options:
            body += "<ol type=\"A\">" + "".join(
                f"<li>{prompt_to_html(o)}</li>" for o in self.options) + "</ol>"
        return body

    @property
    def text(self) -> str:
        lines = [prompt_to_text(self.prompt)]
        for i, o in enumerate(self.options):
            lines.append(f"  {chr(65 + i)}. {prompt_to_text(o)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("options", "variables", "units", "distractors"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Item:
        d = dict(d)
        for k in ("options", "variables", "units", "distractors"):
            d[k] = tuple(d.get(k) or ())
        return cls(**d)


@dataclass(frozen=True)
class Draft:
    """What a template function returns: the item's content without its bookkeeping."""

    prompt: str
    answer_type: str
    key: str
    options: tuple[str, ...] = ()
    form: str | None = None
    variables: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    distractors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A family member bound to one standard: ``make(rng) -> Draft``."""

    template_id: str
    standard: str
    kind: str
    make: Callable[[random.Random], Draft] = field(repr=False, compare=False)
    difficulty: float = 0.0
    discrimination: float = 1.0

    def generate(self, seed: int) -> Item:
        d = self.make(random.Random(f"{self.template_id}~{seed}"))
        item = Item(
            item_id=f"{self.template_id}~{seed}", template_id=self.template_id,
            standard=self.standard, kind=self.kind, prompt=d.prompt,
            answer_type=d.answer_type, key=d.key, options=d.options, form=d.form,
            variables=d.variables, units=d.units,
            distractors=tuple(x for x in d.distractors if x != d.key),
            difficulty=self.difficulty, discrimination=self.discrimination, guess=_guess(d),
        )
        # a distractor that a degenerate draw makes correct (the roots of x^2 - 9 listed in
        # either order) is not a distractor
        return replace(item, distractors=tuple(x for x in item.distractors
                                               if not item.check(x)))

    def with_calibration(self, difficulty: float, discrimination: float) -> Template:
        return replace(self, difficulty=float(difficulty), discrimination=float(discrimination))


def _guess(d: Draft) -> float:
    """Chance of a right answer without mastery: 1/options for a choice, small for open."""
    if d.answer_type == "choice" and d.options:
        return round(1.0 / len(d.options), 3)
    return 0.05


# ============================================================================ draft helpers


def fmt(x: Fraction | int | float) -> str:
    """A number as a student would write it: integer, terminating decimal, else a/b."""
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    d = x.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        s = f"{float(x):.10f}".rstrip("0").rstrip(".")
        if Fraction(s) == x:
            return s
    return f"{x.numerator}/{x.denominator}"


def frac(x: Fraction) -> str:
    """A fraction written ``a/b`` (never a decimal)."""
    x = Fraction(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def number(prompt: str, value: Fraction | int, *, form: str | None = None,
           units: tuple[str, ...] = (), wrong: tuple = ()) -> Draft:
    value = Fraction(value)
    key = frac(value) if form in ("simplest", "fraction") else fmt(value)
    if form == "mixed" and abs(value) > 1 and value.denominator != 1:
        w, r = divmod(abs(value.numerator), value.denominator)
        key = f"{'-' if value < 0 else ''}{w} {r}/{value.denominator}"
    wrongs = tuple(dict.fromkeys(fmt(Fraction(w)) for w in wrong if Fraction(w) != value))
    return Draft(prompt, "number", key, form=form, units=units, distractors=wrongs)


def choice(prompt: str, correct: str, wrong: list[str] | tuple[str, ...],
           rng: random.Random) -> Draft:
    opts = [correct] + [w for w in dict.fromkeys(wrong) if w != correct]
    rng.shuffle(opts)
    return Draft(prompt, "choice", correct, options=tuple(opts),
                 distractors=tuple(o for o in opts if o != correct))


def expression(prompt: str, key: str, variables: tuple[str, ...] = ("x",), *,
               form: str | None = None, wrong: tuple[str, ...] = ()) -> Draft:
    return Draft(prompt, "expression", key, form=form, variables=variables,
                 distractors=wrong)


def equation(prompt: str, key: str, variables: tuple[str, ...] = ("x", "y"), *,
             form: str | None = None, wrong: tuple[str, ...] = ()) -> Draft:
    return Draft(prompt, "equation", key, form=form, variables=variables, distractors=wrong)


def point(prompt: str, x: Fraction | int, y: Fraction | int, wrong: tuple = ()) -> Draft:
    w = tuple(f"({fmt(a)}, {fmt(b)})" for a, b in wrong if (a, b) != (x, y))
    return Draft(prompt, "point", f"({fmt(x)}, {fmt(y)})", distractors=w)


def numbers(prompt: str, values, variables: tuple[str, ...] = ("x",),  # noqa: ANN001
            wrong: tuple[str, ...] = ()) -> Draft:
    vals = sorted(set(Fraction(v) for v in values))
    key = ", ".join(fmt(v) for v in vals)
    same = {frozenset(Fraction(x) for x in w.split(", ")) for w in wrong if "=" not in w}
    wrong = tuple(w for w in wrong if frozenset(Fraction(x) for x in w.split(", "))
                  != frozenset(vals)) if same else wrong
    return Draft(prompt, "numbers", key, variables=variables, distractors=wrong)


def inequality(prompt: str, op: str, value: Fraction | int, var: str = "x",
               wrong: tuple[str, ...] = ()) -> Draft:
    return Draft(prompt, "inequality", f"{var} {op} {fmt(value)}", variables=(var,),
                 distractors=wrong)
