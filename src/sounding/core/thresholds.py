"""Numbers that decide what Sounding says, each defined once.

Why one module: ``SECURE`` used to be written in mastery, planning and growth, and the
smallest published group in four places; a change in one place silently made pages disagree.
"""

from __future__ import annotations

#: P(mastered) at or above which a standard counts as secure (the classroom reteach signal
#: and the growth "newly secured" count use the same line).
SECURE: float = 0.8
#: P(mastered) below which a standard counts as unfinished (not yet learned).
UNFINISHED: float = 0.5
#: Planning's name for the same line: below it a student has clearly not secured a standard.
NOT_SECURE: float = UNFINISHED
#: Smallest group whose figures are published to anyone outside the school (state, provider,
#: researcher, public reports); smaller groups are suppressed (FERPA small-cell practice, the
#: n >= 10 rule most state report cards use).
MIN_N: int = 10
