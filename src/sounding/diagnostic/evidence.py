"""Diagnostic answers into the store: responses with source ``diagnostic``, and mastery.

Every answer becomes a response row (student, item, standard, correct, time, source
``diagnostic``) -- the same evidence table district imports fill, so the next mastery fit
and everything planned from it use the diagnostic at once. The diagnostic's own posterior is
also kept as mastery model ``diagnostic`` (one row per student and standard), so a teacher's
view can show results before any refit. Writing a session twice adds nothing: responses are
keyed by (student, item, time, source) and the mastery rows of a student are replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd

from sounding.diagnostic.engine import DiagnosticEngine
from sounding.diagnostic.session import DiagnosticSession

SOURCE = "diagnostic"
MODEL = "diagnostic"


def _naive_utc(ts: str) -> datetime:
    d = datetime.fromisoformat(ts)
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d


def responses_frame(sessions: Iterable[DiagnosticSession]) -> pd.DataFrame:
    rows = [(s.student_id, a.item_id, a.standard, int(a.correct), _naive_utc(a.answered_at),
             SOURCE) for s in sessions for a in s.answers]
    return pd.DataFrame(rows, columns=["student_id", "item_id", "standard", "correct",
                                       "timestamp", "source"])


def write_sessions(store, engine: DiagnosticEngine,  # noqa: ANN001
                   sessions: list[DiagnosticSession]) -> dict[str, int]:
    """Write the sessions' answers and posteriors to ``store`` (a :class:`Store`)."""
    from sounding.evidence.checks import RESPONSE_KEY
    from sounding.store.store import bulk_write, count_rows
    from sounding.store.tables import responses

    df = responses_frame(sessions)
    with store.begin() as conn:
        before = count_rows(store, conn)["responses"]
        bulk_write(conn, responses, df, on_conflict="ignore", key_cols=list(RESPONSE_KEY))
        added = count_rows(store, conn)["responses"] - before
    ids = {s.student_id for s in sessions}
    old = store.mastery(model=MODEL)
    keep = old[~old["student_id"].isin(ids)][["student_id", "standard", "p_mastered", "sd",
                                                "n_evidence"]]
    new = []
    for s in sessions:
        fr = engine.state(s).to_frame()
        fr.insert(0, "student_id", s.student_id)
        new.append(fr)
    allm = pd.concat([keep] + new, ignore_index=True)
    written = store.write_mastery([g for _, g in allm.groupby("student_id", sort=False)],
                                  model=MODEL)
    return {"responses_added": int(added), "mastery_rows": int(written)}
