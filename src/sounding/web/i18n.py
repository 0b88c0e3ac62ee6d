"""Words of the family page that come from data (strand names, the grade), marked for the
gettext catalogues (``pybabel extract -F babel.cfg`` reads the ``N_`` calls here)."""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - gettext's marker for extraction only
    return text


#: Strand -> how a parent would name it (translated in the catalogue).
STRAND_NAMES = {
    "number": N_("Whole numbers: counting, place value, adding and multiplying"),
    "algebraic": N_("Operations, expressions and equations"),
    "fractions": N_("Fractions, ratios and rational numbers"),
    "functions": N_("Functions"),
    "data": N_("Measurement, data and statistics"),
    "geometry": N_("Geometry"),
}
GRADE = N_("grade %(n)s")
ALGEBRA = N_("Algebra I")
