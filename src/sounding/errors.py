"""One error tree for the whole system.

Each error knows its HTTP-ish status and a hint that tells the user how to fix it, so the CLI
can print ``Error: ...`` plus the hint (exit 1, no traceback) and the web layer can render one
JSON shape.
"""

from __future__ import annotations

from dataclasses import dataclass


class SoundingError(Exception):
    """Base class: anything the user can fix or should know about."""

    status: int = 400
    hint: str = ""


class NotFound(SoundingError):
    status = 404


class InvalidInput(SoundingError):
    """Generic bad user input (arguments, options)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one line of one file."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


class InvalidData(SoundingError):
    """A file was rejected; nothing from it was written."""

    hint = "Fix the rows listed; nothing was imported."
    kind = "data"

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("InvalidData needs at least one problem")
        self.problems = list(problems)
        if all(p.line is None for p in self.problems) and type(self).hint == InvalidData.hint:
            self.hint = "Fix the file named above; nothing was imported."
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


class InvalidRoster(InvalidData):
    kind = "roster"


class InvalidEvidence(InvalidData):
    kind = "evidence"


class InvalidScores(InvalidData):
    kind = "scores"


class InvalidFramework(InvalidData):
    """A standards framework (CASE JSON or CSV) that cannot be loaded as a progression."""

    kind = "framework"
    hint = "Fix the framework file; the progression was not loaded."


class NotFitted(SoundingError, AttributeError):
    hint = "Call fit() first."
