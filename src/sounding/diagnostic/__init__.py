"""The adaptive diagnostic: sessions, item selection, stopping, results into the store.

    from sounding.diagnostic import DiagnosticEngine, default_model
    from sounding.items import ItemBank
    engine = DiagnosticEngine(default_model(), ItemBank.default())
    session = engine.start("stu-1", grade=5)
    item = engine.next_item(session)
    outcome = engine.answer(session, item.item_id, "3/4")     # -> next item or done
    engine.result(session).to_dict()                           # placements, mastery, ...
    DiagnosticSession.from_json(session.to_json())             # persist / resume
"""

from sounding.diagnostic.engine import (
    MAX_ITEMS,
    STOP_CERTAINTY,
    STRATEGIES,
    AnswerOutcome,
    DiagnosticEngine,
    DiagnosticResult,
    StrandPlacement,
)
from sounding.diagnostic.model import default_model
from sounding.diagnostic.placement import BUCKETS
from sounding.diagnostic.session import Answer, DiagnosticSession

__all__ = [
    "BUCKETS", "MAX_ITEMS", "STOP_CERTAINTY", "STRATEGIES", "Answer", "AnswerOutcome",
    "DiagnosticEngine", "DiagnosticResult", "DiagnosticSession", "StrandPlacement",
    "default_model",
]
