"""Standard texts as people read them: the artifacts of source files cleaned once, at load.

Teachers and families read standard and cluster texts in plans, reports and letters. The
published files carry artifacts of how they were made: CCSS footnote markers run into the
sentence ("...multi-digit arithmetic.* *A range of algorithms may be used"), spaces left
before punctuation where a link or footnote was removed ("whole numbers , e.g."), words split
at a line break ("three- digit"), HTML markup (``<sup>2</sup>``, ``&nbsp;``) and escapes
(``\\$5``). :func:`clean_text` removes them and returns the footnotes apart, so a footnote
stays a footnote and never reads as part of the sentence.
"""

from __future__ import annotations

import html
import re

_SUP = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyz",
                "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ", strict=True))
_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx",
                "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))

_FRACTION_RE = re.compile(r"<sup>\s*([^<]*?)\s*</sup>\s*/\s*<sub>\s*([^<]*?)\s*</sub>", re.I)
_SUP_RE = re.compile(r"<sup>\s*([^<]*?)\s*</sup>", re.I)
_SUB_RE = re.compile(r"<sub>\s*([^<]*?)\s*</sub>", re.I)
_IMG_RE = re.compile(r"<img\b[^>]*>", re.I)           # ASN's empty box for an unknown
_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")
# not before '?': "8 + ? = 11" is an equation with an unknown
_SPACE_BEFORE_RE = re.compile(r"\s+([,;:]|\.(?![.\d])|\))")
_SPACE_AFTER_OPEN_RE = re.compile(r"\(\s+")
_MISSING_SPACE_RE = re.compile(r",(?=[A-Za-z])")        # "a , c ,and d" -> "a, c, and d"
# "three- digit" -> "three-digit"; "one- and two-step" is a suspended hyphen and stays.
_BROKEN_HYPHEN_RE = re.compile(r"(\w)- (?!(?:and|or|to|through|and/or)\b)([a-z])")
# a footnote starts at a '*' that follows a space (or opens the text) and runs to the next one
_RANGE_DASH_RE = re.compile(r"(\d)\s*[—–]\s*(\d)")
_MINUS_DASH_RE = re.compile(r"(?<=[⁰¹²³⁴⁵⁶⁷⁸⁹)]) — (?=[a-z(])")
_FOOTNOTE_START_RE = re.compile(r"(?:^|\s)\*+\s*(?=[^\s*])")
_MARKER_RE = re.compile(r"(?<=\S)\*+")                  # "strategies.*" -> "strategies."
_STAR_RE = re.compile(r"\s*<sup>\s*★\s*</sup>|\s*★\s*$")


def _script(text: str, table: dict[str, str], mark: str) -> str:
    if text and all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return f"{mark}({text})"


def _markup(text: str) -> str:
    """HTML markup to plain text: exponents and indices as Unicode, tags dropped."""
    text = _STAR_RE.sub("", text)  # the CCSS modeling star is a marker, not words
    text = re.sub(r"<sup>\s*(?=\*)", " ", text, flags=re.I)  # a footnote set superscript
    text = _FRACTION_RE.sub(lambda m: f"({m.group(1)})/({m.group(2)})", text)
    text = _SUP_RE.sub(lambda m: _script(m.group(1), _SUP, "^"), text)
    text = _SUB_RE.sub(lambda m: _script(m.group(1), _SUB, "_"), text)
    text = _IMG_RE.sub("□", text)
    text = re.sub(r"<br\s*/?>|</p>\s*<p>", " ", text, flags=re.I)
    text = _TAG_RE.sub("", text)
    return html.unescape(text).replace("\u00a0", " ")


def _tidy(text: str) -> str:
    """Spacing and punctuation of one sentence run."""
    text = text.replace("\\$", "$").replace("\\", "")
    text = re.sub(r"\s+", " ", text).strip()
    text = _SPACE_BEFORE_RE.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN_RE.sub("(", text)
    text = _MISSING_SPACE_RE.sub(", ", text)
    text = _BROKEN_HYPHEN_RE.sub(r"\1-\2", text)
    text = _RANGE_DASH_RE.sub(r"\1–\2", text)          # "11—19" is a range: en dash
    text = _MINUS_DASH_RE.sub(" − ", text)              # "x⁴ — y⁴": a minus sign
    return re.sub(r"\s+", " ", text).strip()


def clean_text(raw: str | None) -> tuple[str, tuple[str, ...]]:
    """``(text, footnotes)`` of a standard, cluster or domain text as published.

    >>> clean_text("Use place value understanding to round.* *A range of algorithms may be used.")
    ('Use place value understanding to round.', ('A range of algorithms may be used.',))
    >>> clean_text("Interpret products of whole numbers , e.g., interpret 5 × 7")[0]
    'Interpret products of whole numbers, e.g., interpret 5 × 7'
    """
    if not raw:
        return "", ()
    text = _markup(str(raw))
    starts = [m for m in _FOOTNOTE_START_RE.finditer(text)]
    body = text[:starts[0].start()] if starts else text
    notes = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        note = _tidy(_MARKER_RE.sub("", text[m.end():end]))
        if note and note not in notes:
            notes.append(note)
    body = _tidy(_MARKER_RE.sub("", body))
    return body, tuple(notes)


def clean_title(raw: str | None) -> str:
    """A cluster or domain title: cleaned, its footnotes dropped, no closing period."""
    text, _ = clean_text(raw)
    return text.rstrip(".").strip()


#: What :func:`artifacts` looks for: each a (name, pattern) that clean text never contains.
ARTIFACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("footnote marker", re.compile(r"\*")),
    ("space before punctuation", re.compile(r"\s(?:[,;:)]|\.(?![.\d]))")),
    ("space after an opening parenthesis", re.compile(r"\(\s")),
    ("HTML markup", re.compile(r"</?[a-zA-Z][^>]*>|&[a-z]+;|&#\d+;")),
    ("line break or tab", re.compile(r"[\r\n\t]")),
    ("doubled space", re.compile(r"  ")),
    ("leading or trailing space", re.compile(r"^\s|\s$")),
    ("word broken at a hyphen", _BROKEN_HYPHEN_RE),
    ("escape character", re.compile(r"\\")),
    ("missing space after a comma", _MISSING_SPACE_RE),
)


def artifacts(text: str) -> list[str]:
    """Names of the source-file artifacts left in ``text`` (empty when it reads clean)."""
    return [name for name, pat in ARTIFACTS if pat.search(text)]
