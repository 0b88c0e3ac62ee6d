"""The diagnostic through the query layer: who may start, answer and read which sessions.

- A student starts (or resumes) their own diagnostic and answers its items
  (:func:`diagnostic_start`, :func:`diagnostic_answer`); no other role may -- a teacher or a
  guardian answering for a child would make the evidence worthless -- and they get NotFound.
- What a student sees never says right or wrong, during the test or after: the end shows
  where they are secure and what they are ready to learn next (growth-framed), not a score.
- Whoever may open the student's record (the student, their guardians, staff in scope) reads
  a session's state (:func:`diagnostic_status`, :func:`diagnostic_session`); staff read
  their classes' results as they come in (:func:`diagnostic_class_results`). An id outside
  scope answers NotFound exactly like a missing one.

The reads are registered services, so the access sweep covers them; the two writes are not
(like ``record_intervention``) and are checked role by role in ``tests/services``.
"""

from __future__ import annotations

from typing import Any

from sounding.access.policy import Resource
from sounding.access.roles import Role
from sounding.diagnostic import durable
from sounding.errors import NotFound
from sounding.services.context import Context
from sounding.services.registry import service


def evidence_writer(store: Any) -> durable.EvidenceWriter:
    """The background writer that turns finished sessions into evidence (one per app)."""
    return durable.EvidenceWriter(store)


def warm_engine() -> None:
    """Build the diagnostic engine now (a few seconds) rather than in a student's request."""
    durable.default_engine()


def _item_view(item: Any, number: int) -> dict[str, Any]:
    """An item as a student sees it: prompt (text and MathML), how to answer -- not its key."""
    from sounding.items.mathml import prompt_to_html, prompt_to_text

    return {"item_id": item.item_id, "number": number, "answer_type": item.answer_type,
            "prompt": prompt_to_text(item.prompt), "prompt_html": prompt_to_html(item.prompt),
            "options": [{"letter": chr(65 + i), "text": prompt_to_text(o),
                         "html": prompt_to_html(o)} for i, o in enumerate(item.options)],
            "units": list(item.units)}


def _placements(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"strand": p["strand"], "grades_below": p["grades_below"], "label": p["label"],
             "secure_through": p["secure_through_label"], "certainty": p["certainty"]}
            for p in res["placements"] if p["grades_below"] is not None]


def _step_view(step: durable.Step, *, for_student: bool) -> dict[str, Any]:
    """The state of a session: items answered, done, the next item or the placement.

    ``for_student``: the student's own view (no marks at all); staff also get how many
    answers were right, which a teacher needs and a student mid-test must not see.
    """
    s = step.session
    out: dict[str, Any] = {
        "session_id": s.session_id, "student_id": s.student_id, "grade": s.grade,
        "items_answered": s.n_answered, "done": s.done, "started_at": s.started_at,
        "finished_at": s.finished_at,
        "item": None if step.item is None else _item_view(step.item, s.n_answered + 1),
        "placement": None, "ready_to_learn": None,
    }
    if step.repeated:
        out["repeated"] = True
    if s.done:
        res = durable.result(s)
        out["placement"] = _placements(res)
        out["ready_to_learn"] = [{k: r[k] for k in ("standard", "grade", "strand", "text")}
                                 for r in res["ready_to_learn"]]
        if not for_student:
            out["unfinished"] = res["unfinished"]
    if not for_student:
        out["items_correct"] = sum(1 for a in s.answers if a.correct)
    return out


def _own_student(ctx: Context) -> str:
    """The student a student principal is; anyone else cannot take a diagnostic."""
    if ctx.principal.role is not Role.student or ctx.reach.everything:
        raise NotFound("no diagnostic")
    ids = sorted(ctx.reach.students)
    if len(ids) != 1:
        raise NotFound("no diagnostic")
    return ids[0]


def _roster_grade(ctx: Context, student_id: str) -> Any:
    import sqlalchemy as sa

    from sounding.mastery.pipeline import grade_value
    from sounding.store import tables as T

    u = T.users.c
    with ctx.store.engine.connect() as conn:
        row = conn.execute(sa.select(u.grade, u.grades).where(u.user_id == student_id)).first()
    if row is None:
        raise NotFound("no diagnostic")
    if row.grade is not None:
        return row.grade
    first = (row.grades or "").replace(";", ",").split(",")[0].strip()
    return grade_value(first) if first else None


def _readable_session(ctx: Context, session_id: str) -> str:
    """The session's student when the principal may read their record, else NotFound."""
    try:
        student_id = durable.student_of(ctx.store, session_id)
    except NotFound:
        raise NotFound(f"no diagnostic session {session_id!r}") from None
    try:
        ctx.require(Resource.student, student_id)
    except NotFound:
        raise NotFound(f"no diagnostic session {session_id!r}") from None
    return student_id


def diagnostic_start(ctx: Context) -> dict[str, Any]:
    """The signed-in student's diagnostic: resumed where they left off, or begun."""
    student_id = _own_student(ctx)
    step = durable.start(ctx.store, student_id, _roster_grade(ctx, student_id))
    return ctx.finish(_step_view(step, for_student=True), action="diagnostic_start",
                      resource=Resource.student, obj_id=student_id, students=[student_id])


def diagnostic_answer(ctx: Context, session_id: str, item_id: Any, response: Any
                      ) -> dict[str, Any]:
    """Record the student's answer to the pending item (committed before anything is sent
    back) and return the next item or, at the end, the placement."""
    student_id = _own_student(ctx)
    if durable.student_of_or_none(ctx.store, session_id) != student_id:
        raise NotFound(f"no diagnostic session {session_id!r}")
    step = durable.answer(ctx.store, session_id, item_id, response)
    return ctx.finish(_step_view(step, for_student=True), action="diagnostic_answer",
                      resource=Resource.student, obj_id=student_id, students=[student_id])


def diagnostic_session(ctx: Context, session_id: str) -> dict[str, Any]:
    """One session's state, for whoever may open the student's record."""
    student_id = _readable_session(ctx, session_id)
    step = durable.current(ctx.store, session_id)
    view = _step_view(step, for_student=ctx.principal.role is Role.student)
    return ctx.finish(view, action="diagnostic_session", resource=Resource.student,
                      obj_id=student_id, students=[student_id])


@service(Resource.student, target="student_id")
def diagnostic_status(ctx: Context, student_id: str) -> dict[str, Any]:
    """A student's latest diagnostic (open, else finished), or ``status: not_started``."""
    ctx.require(Resource.student, student_id)
    if student_id not in set(ctx.store.student_ids()):
        raise NotFound(f"no student {student_id!r}")
    sid = durable.latest(ctx.store, student_id)
    if sid is None:
        view: dict[str, Any] = {"student_id": student_id, "status": "not_started"}
    else:
        step = durable.current(ctx.store, sid)
        view = _step_view(step, for_student=ctx.principal.role is Role.student)
        view["status"] = "done" if step.session.done else "in_progress"
    return ctx.finish(view, action="diagnostic_status", resource=Resource.student,
                      obj_id=student_id, students=[student_id])


@service(Resource.class_, target="class_id")
def diagnostic_class_results(ctx: Context, class_id: str) -> dict[str, Any]:
    """A class's diagnostic results as they come in: per student, not started / in progress
    (items answered) / done with the placement per strand and what they are ready for."""
    from sounding.services._data import roster

    ctx.require(Resource.class_, class_id)
    students, classes, enrollments = roster(ctx)
    if classes is None or not (classes["class_id"].astype(str) == str(class_id)).any():
        raise NotFound(f"no class {class_id!r}")
    ids: list[str] = []
    if enrollments is not None:
        ids = sorted({str(s) for s in enrollments.loc[
            enrollments["class_id"].astype(str) == str(class_id), "student_id"]})
    if not ctx.reach.everything:
        ids = [s for s in ids if s in ctx.reach.students]
    names = dict(zip(students["student_id"].astype(str), students["name"].astype(str),
                     strict=True))
    latest: dict[str, dict[str, Any]] = {}
    for r in durable.sessions_of(ctx.store, ids):
        cur = latest.get(r["student_id"])
        if cur is None or (cur["done"] and not r["done"]):
            latest[r["student_id"]] = r
    rows = []
    for sid in ids:
        r = latest.get(sid)
        row: dict[str, Any] = {"student_id": sid, "name": names.get(sid, sid),
                               "status": "not_started", "items_answered": 0,
                               "placement": None, "ready_to_learn": None,
                               "session_id": None, "finished_at": None}
        if r is not None:
            row.update(session_id=r["session_id"], items_answered=int(r["n_answered"]),
                       status="done" if r["done"] else "in_progress",
                       finished_at=r["finished_at"])
            if r["done"]:
                step = durable.current(ctx.store, r["session_id"])
                res = durable.result(step.session)
                row["placement"] = _placements(res)
                row["ready_to_learn"] = [x["standard"] for x in res["ready_to_learn"][:3]]
        rows.append(row)
    out = {"class_id": class_id, "students": rows,
           "counts": {k: sum(1 for r in rows if r["status"] == k)
                      for k in ("not_started", "in_progress", "done")}}
    return ctx.finish(out, action="diagnostic_class_results", resource=Resource.class_,
                      obj_id=class_id, students=ids)
