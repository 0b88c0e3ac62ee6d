"""Rich renderings of the mastery views and of a fit's progress, for ``sounding mastery``.

The views themselves (:func:`sounding.services.views.student_view`, ``class_view``, the fit
summary) are JSON-ready dicts computed below the CLI; how they look in a terminal is the
CLI's business, so the Rich code lives here (moved from ``sounding.mastery.pipeline``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sounding.mastery.pipeline import STAGE_LABELS, ProgressCallback, strand_title
from sounding.mastery.profile import BELOW_BUCKETS
from sounding.progression import grade_label


@contextmanager
def rich_progress(console: Any = None, *, transient: bool = True
                  ) -> Iterator[ProgressCallback]:
    """A progress callback drawing Rich bars (on stderr by default, so JSON stdout stays clean).

        with rich_progress() as cb:
            result = fit_store_mastery(store, progress=cb)

    One bar per stage: the EM bar moves per iteration and shows the log-likelihood, the
    posterior bar per chunk of students.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    con = console if console is not None else Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=con,
                  transient=transient) as prog:
        tasks: dict[str, Any] = {}

        def callback(stage: str, done: int, total: int, detail: str | None = None) -> None:
            label = STAGE_LABELS.get(stage, stage)
            if detail:
                label = f"{label} ({detail})"
            if stage not in tasks:
                tasks[stage] = prog.add_task(label, total=total)
            prog.update(tasks[stage], completed=done, total=total, description=label)

        yield callback


def _below_style(n: int | None) -> str:
    if n is None:
        return "dim"
    return ("green", "yellow", "dark_orange", "red")[min(max(n, 0), 3)]


def _below_text(n: int | None) -> str:
    return "?" if n is None else str(n)


def text_summary(summary: Mapping[str, Any]) -> Any:
    """A Rich renderable of :meth:`MasteryResult.summary` (what ``mastery fit`` prints)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Text()
    head.append(f"{summary['n_students']:,} students x {summary['n_standards']} standards",
                style="bold")
    head.append(f" estimated by the {summary['model']} model from "
                f"{summary['n_answers']:,} answers")
    parts: list[Any] = [head]
    fit = summary.get("fit") or {}
    if fit.get("sampled"):
        parts.append(Text(
            f"Parameters fitted on a sample of {fit['fit_students']:,} of "
            f"{fit['students']:,} students (stratified by grade and school; --fit-sample); "
            f"every student's estimates use them, computed in {fit['chunks']:,} chunk(s) of "
            f"{fit['chunk_size']:,}.", style="dim"))
    if fit.get("em_iterations"):
        parts.append(Text(f"EM: {fit['em_iterations']} iteration(s), log-likelihood "
                          f"{fit['log_likelihood']:,.1f}.", style="dim"))
    if summary["model"] == "bkt":
        parts.append(Text("BKT knows nothing of untested standards: they are unknown (not "
                          "secure, not unsecured), so placements rest on tested standards "
                          "only; a strand with none is unknown.", style="yellow"))
    if summary["n_students_without_answers"]:
        parts.append(Text(f"{summary['n_students_without_answers']:,} students have no answers "
                          "yet (their grade's prior).", style="yellow"))
    parts.append(Text(f"{100 * summary['depth_2plus']:.0f}% of students have unfinished major "
                      "work 2+ grades below their own."))
    t = Table(title="Students by grades below, per strand", title_justify="left")
    t.add_column("Strand")
    unknown = any(c.get("unknown") for c in summary["grades_below"].values())
    buckets = [*BELOW_BUCKETS, "unknown"] if unknown else list(BELOW_BUCKETS)
    for b in buckets:
        t.add_column("on grade" if b == "0" else b if b == "unknown" else f"{b} below",
                     justify="right")
    for s, counts in summary["grades_below"].items():
        t.add_row(Text(strand_title(s)), *[Text(f"{counts.get(b, 0):,}") for b in buckets])
    parts.append(t)
    return Group(*parts)


def text_student(view: Mapping[str, Any], *, n_unfinished: int = 12) -> Any:
    """A Rich renderable of :func:`student_view` (user strings are never read as markup)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Text()
    head.append(f"{view['name']}", style="bold")
    head.append(f"  ({view['student_id']})  grade {view['grade_label']}")
    if view.get("algebra1"):
        rg = view.get("roster_grade")
        head.append(f" (grade {'?' if rg is None else grade_label(rg)} student in Algebra I)")
    if view.get("classes"):
        head.append("  ·  " + ", ".join(c["title"] for c in view["classes"]))
    parts: list[Any] = [head]
    if not view.get("n_answers"):
        parts.append(Text("No answers yet: these are the grade's prior estimates.",
                          style="yellow"))
    else:
        parts.append(Text(f"{view['n_answers']} answers; deepest unfinished major work "
                          f"{view['depth']} grade(s) below.", style="dim"))
    if any(st.get("n_unknown") for st in view["strands"]):
        parts.append(Text("Some standards have no estimate (a per-standard model knows nothing "
                          "of untested ones): they are unknown, not unsecured, and the "
                          "placements rest on the tested standards only.", style="yellow"))
    t = Table(title="Foundations by strand", title_justify="left",
              caption="How sure = probability that this placement is the right one")
    for col, j in (("Strand", "left"), ("Secure through", "left"), ("Grades below", "right"),
                   ("How sure", "right"), ("Unfinished", "right")):
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    for s in view["strands"]:
        gb = s["grades_below"]
        t.add_row(Text(s["strand_title"]), Text(s["label"]),
                  Text(_below_text(gb), style=_below_style(gb)),
                  Text("-" if s["p_secure"] is None else f"{100 * s['p_secure']:.0f}%"),
                  Text(str(s["n_unfinished"])))
    parts.append(t)
    un = view["unfinished"]
    if un:
        u = Table(title=f"Unfinished below grade ({len(un)}; most depended-on first)",
                  title_justify="left")
        for col, j in (("#", "right"), ("Standard", "left"), ("Grade", "left"),
                       ("P(mastered)", "right"), ("Rests on it", "right"), ("", "left")):
            u.add_column(col, justify=j)  # type: ignore[arg-type]
        for r in un[:n_unfinished]:
            u.add_row(Text(str(r["rank"])), Text(r["standard"]), Text(r["grade_label"]),
                      Text(f"{r['p_mastered']:.2f}"), Text(str(r["n_dependents"])),
                      Text("major" if r["is_major"] else "", style="bold"))
        parts.append(u)
        if len(un) > n_unfinished:
            parts.append(Text(f"... {len(un) - n_unfinished} more (--format json lists all)",
                              style="dim"))
    else:
        parts.append(Text("No unfinished standards below grade.", style="green"))
    if view["ready_to_learn"]:
        r = Table(title="Ready to learn next (probably not mastered, probably ready)",
                  title_justify="left")
        for col in ("Standard", "Grade", "P(mastered)", "How sure", "Unlocks", "Text"):
            r.add_column(col)
        for x in view["ready_to_learn"]:
            text = x["text"] if len(x["text"]) <= 70 else x["text"][:67] + "..."
            r.add_row(Text(x["standard"]), Text(x["grade_label"]),
                      Text(f"{x['p_mastered']:.2f}"), Text(f"{x['sure']:.0%}"),
                      Text(str(x["n_dependents"])), Text(text))
        parts.append(r)
    return Group(*parts)


def text_class(view: Mapping[str, Any], *, n_standards: int = 15) -> Any:
    """A Rich renderable of :func:`class_view`: students x strands, the iceberg, hot spots."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    strands = view["strands"]
    head = Text()
    head.append(view["title"], style="bold")
    head.append(f"  ({view['class_id']})  grade {view['grade_label']}, "
                f"{view['n_students']} students")
    parts: list[Any] = [head]
    t = Table(title="Grades below, per student and strand (deepest first)",
              title_justify="left")
    t.add_column("Student")
    for s in strands:
        t.add_column(strand_title(s), justify="right")
    t.add_column("Depth", justify="right")
    t.add_column("Unfinished", justify="right")
    for r in view["students"]:
        t.add_row(Text(r["name"]),
                  *[Text(_below_text(r["grades_below"][s]),
                         style=_below_style(r["grades_below"][s]))
                    for s in strands],
                  Text(str(r["depth"])), Text(str(r["n_unfinished"])))
    parts.append(t)
    d = Table(title="The iceberg: students by grades below", title_justify="left")
    d.add_column("Strand")
    for b in view["buckets"]:
        d.add_column("on grade" if b == "0" else f"{b} below", justify="right")
    for s in strands:
        counts = view["distribution"].get(s, {})
        d.add_row(Text(strand_title(s)), *[Text(str(counts.get(b, 0))) for b in view["buckets"]])
    parts.append(d)
    hot = sorted(view["standards"], key=lambda r: (-(r["share_not_secure"] or 0),
                                                   -r["grade"], r["standard"]))
    hot = [r for r in hot if r["n_not_secure"] > 0][:n_standards]
    if hot:
        h = Table(title=f"Standards the class has not secured (P(mastered) < "
                        f"{view['secure']:.1f}); top {len(hot)} of {len(view['standards'])}",
                  title_justify="left")
        for col, j in (("Standard", "left"), ("Grade", "left"), ("Not secure", "right"),
                       ("Unfinished", "right"), ("", "left")):
            h.add_column(col, justify=j)  # type: ignore[arg-type]
        for r in hot:
            h.add_row(Text(r["standard"]), Text(r["grade_label"]),
                      Text(f"{100 * r['share_not_secure']:.0f}% ({r['n_not_secure']})"),
                      Text(f"{100 * r['share_unfinished']:.0f}%"),
                      Text("major" if r["is_major"] else "", style="bold"))
        parts.append(h)
    return Group(*parts)
