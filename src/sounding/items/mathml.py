"""Offline math rendering: item prompts to presentation MathML, no CDN, no JavaScript.

Prompts are plain text with math between dollar signs (``Solve $3x + 5 = 20$.``). The math
uses the same ASCII notation students type (``^`` for powers, ``*`` for times, ``a/b`` for a
fraction, ``sqrt(...)``), and is translated token by token, in the order written -- a
computer algebra printer would reorder ``3 + 8`` into ``8 + 3``, which changes the question.
Browsers render MathML natively (MathML Core), screen readers read it aloud.
"""

from __future__ import annotations

import html
import re

_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?|[A-Za-z]+|<=|>=|!=|[-+*/^()=<>,×÷|%°])")
_OPS = {"*": "×", "-": "−", "<=": "≤", ">=": "≥", "!=": "≠"}
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def _tokens(expr: str) -> list[str]:
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            out.append(expr[pos])
            pos += 1
            continue
        out.append(m.group(1))
        pos = m.end()
    return out


def _atom(tok: str) -> str:
    if re.fullmatch(r"\d+(?:\.\d+)?", tok):
        return f"<mn>{tok}</mn>"
    if re.fullmatch(r"[A-Za-z]+", tok):
        if tok == "sqrt":
            return "<mo>√</mo>"
        return "".join(f"<mi>{html.escape(c)}</mi>" for c in tok) if len(tok) <= 3 \
            else f"<mtext>{html.escape(tok)}</mtext>"
    return f"<mo>{html.escape(_OPS.get(tok, tok))}</mo>"


def _group(tokens: list[str], i: int) -> tuple[str, int]:
    """One operand starting at ``i``: a number, a name, ``sqrt(...)`` or a bracketed group."""
    t = tokens[i]
    if t == "(":
        depth, j = 0, i
        while j < len(tokens):
            depth += tokens[j] == "("
            depth -= tokens[j] == ")"
            if depth == 0:
                break
            j += 1
        inner = _row(tokens[i + 1:j])
        return f"<mrow><mo>(</mo>{inner}<mo>)</mo></mrow>", j + 1
    if t == "sqrt" and i + 1 < len(tokens) and tokens[i + 1] == "(":
        body, j = _group(tokens, i + 1)
        body = body[len("<mrow><mo>(</mo>"):-len("<mo>)</mo></mrow>")]
        return f"<msqrt>{body}</msqrt>", j
    return _atom(t), i + 1


def _row(tokens: list[str]) -> str:
    parts: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in ("^", "/") and parts and i + 1 < len(tokens):
            sign = ""
            j = i + 1
            if tokens[j] == "-" and j + 1 < len(tokens):
                sign, j = "<mo>−</mo>", j + 1
            right, nxt = _group(tokens, j)
            if sign:
                right = f"<mrow>{sign}{right}</mrow>"
            left = parts.pop()
            if t == "^":
                parts.append(f"<msup>{left}{_strip_parens(right)}</msup>")
            else:
                parts.append(f"<mfrac>{_strip_parens(left)}{_strip_parens(right)}</mfrac>")
            i = nxt
            continue
        if t in ("(", "sqrt"):
            g, i = _group(tokens, i)
            parts.append(g)
            continue
        parts.append(_atom(t))
        i += 1
    return "".join(parts)


def _strip_parens(s: str) -> str:
    pre, post = "<mrow><mo>(</mo>", "<mo>)</mo></mrow>"
    if s.startswith(pre) and s.endswith(post):
        return f"<mrow>{s[len(pre):-len(post)]}</mrow>"
    return s


def math_to_mathml(expr: str, display: bool = False) -> str:
    """One formula as a ``<math>`` element."""
    disp = ' display="block"' if display else ""
    return f'<math xmlns="{MATHML_NS}"{disp}><mrow>{_row(_tokens(expr))}</mrow></math>'


def prompt_to_html(prompt: str) -> str:
    """A prompt's text (HTML-escaped) with every ``$...$`` span as MathML, newlines as <br/>."""
    pieces = prompt.split("$")
    out = []
    for k, piece in enumerate(pieces):
        if k % 2:
            out.append(math_to_mathml(piece))
        else:
            out.append(html.escape(piece).replace("\n", "<br/>"))
    return "".join(out)


def prompt_to_text(prompt: str) -> str:
    """The prompt as plain text (for the terminal and for screen-reader fallbacks)."""
    return prompt.replace("$", "")
