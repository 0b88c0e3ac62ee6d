"""A diagnostic session: the student, the items served, the answers -- a plain JSON record.

The session holds only facts (what was asked, what was answered, when); the posterior is
rebuilt from them by replaying the answers through the model's online update (25 answers take
milliseconds), so a session can be written to a database row or a file after every answer and
resumed anywhere -- after a browser is closed or a server killed -- with the same result.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sounding.errors import InvalidInput

SESSION_VERSION = 1


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Answer:
    """One answered item."""

    item_id: str
    standard: str
    response: str
    correct: bool
    answered_at: str


@dataclass
class DiagnosticSession:
    """Everything needed to resume a diagnostic.

    ``pending`` is the item served and not yet answered (a resumed session serves it again,
    so a reload never skips or changes a question); ``done`` is set when the stopping rule
    ends the test.
    """

    student_id: str
    grade: int
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: str = field(default_factory=now_iso)
    answers: list[Answer] = field(default_factory=list)
    pending: str | None = None
    done: bool = False
    finished_at: str | None = None
    version: int = SESSION_VERSION

    @property
    def n_answered(self) -> int:
        return len(self.answers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DiagnosticSession:
        try:
            if int(d.get("version", 0)) != SESSION_VERSION:
                raise InvalidInput(f"diagnostic session version {d.get('version')!r} is not "
                                   f"{SESSION_VERSION}")
            answers = [Answer(**a) for a in d.get("answers", [])]
            return cls(student_id=str(d["student_id"]), grade=int(d["grade"]),
                       session_id=str(d["session_id"]), started_at=str(d["started_at"]),
                       answers=answers, pending=d.get("pending"), done=bool(d.get("done")),
                       finished_at=d.get("finished_at"))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"not a diagnostic session: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> DiagnosticSession:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"not a diagnostic session: {exc}") from None
