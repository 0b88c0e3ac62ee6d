"""The whole chain, end to end: what `sounding demo` (and `make demo`) runs.

simulate a district -> import it through the same importers a district's files go through ->
mastery (graph-aware) -> planning -> growth -> one offline HTML report. Each stage is a plain
function of the previous stage's outputs, so a later stage can be added without touching the
others, and the same functions serve `sounding run` on a real district's store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sounding.progression import StandardsGraph

#: ``callback(stage_label)`` called as each stage starts.
StageCallback = Callable[[str], None]


@dataclass
class PipelineResult:
    out_dir: Path
    db_url: str
    report_index: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


class _Timer:
    def __init__(self, result: PipelineResult, on_stage: StageCallback | None) -> None:
        self.result, self.on_stage = result, on_stage

    def stage(self, label: str):
        timer = self

        class _Ctx:
            def __enter__(self_inner):
                if timer.on_stage:
                    timer.on_stage(label)
                self_inner.t = time.perf_counter()

            def __exit__(self_inner, *exc):
                timer.result.timings[label] = round(time.perf_counter() - self_inner.t, 2)
                return False

        return _Ctx()


def simulate_stage(out_dir: Path, *, n_students: int, seed: int) -> dict[str, Any]:
    from sounding.simulate import DistrictSpec, simulate_to_dir

    summary = simulate_to_dir(DistrictSpec(n_students=n_students, seed=seed), out_dir)
    return {"district_dir": out_dir, "simulated": _plain_summary(summary)}


def _plain_summary(summary: Any) -> dict[str, Any]:
    if hasattr(summary, "to_dict"):
        return summary.to_dict()
    if hasattr(summary, "__dataclass_fields__"):
        from dataclasses import asdict

        return {k: v for k, v in asdict(summary).items() if isinstance(v, int | float | str)}
    return {}


def import_stage(store: Any, district_dir: Path) -> dict[str, Any]:
    """Import roster, responses, scores and (when present) family-contact signals and the
    provider mapping, through the public importers."""
    from sounding.evidence import import_responses, import_scores
    from sounding.roster import import_roster
    from sounding.store.quality import data_quality

    roster = import_roster(store, district_dir / "oneroster")
    responses_file = district_dir / "responses.parquet"
    if not responses_file.exists():
        responses_file = district_dir / "responses.csv"
    responses = import_responses(store, responses_file)
    scores = import_scores(store, district_dir / "scores.csv")
    out = {"roster": roster, "responses": responses, "scores": scores}
    if (district_dir / "family_signals.csv").is_file():
        from sounding.planning.imports import import_family_signals

        out["family_signals"] = import_family_signals(store, district_dir / "family_signals.csv")
    pfile = district_dir / "providers.csv"
    if pfile.is_file() and len(pfile.read_text(encoding="utf-8").strip().splitlines()) > 1:
        from sounding.growth.imports import import_providers

        out["providers"] = import_providers(store, pfile)
    out["quality"] = data_quality(store)
    return out


def run_pipeline(
    out_dir: str | Path,
    *,
    n_students: int = 3000,
    seed: int = 7,
    db: str | None = None,
    graph: StandardsGraph | None = None,
    on_stage: StageCallback | None = None,
    report: bool = True,
) -> PipelineResult:
    """Run every stage on a simulated district and write the report under ``out_dir``."""
    from sounding.store import Store

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "sounding.db"
    if db is None:
        for suffix in ("", "-wal", "-shm"):  # the demo starts from a clean store each time
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    db_url = db or str(db_path)
    result = PipelineResult(out_dir=out, db_url=db_url)
    timer = _Timer(result, on_stage)
    with timer.stage("Simulating the district"):
        sim = simulate_stage(out / "district", n_students=n_students, seed=seed)
    with Store.open(db_url) as store:
        with timer.stage("Importing roster, responses and scores"):
            imported = import_stage(store, sim["district_dir"])
        ctx = _Context(store=store, graph=graph or store.progression().k8_algebra1(),
                       imported=imported, district_dir=out / "district")
        ctx.synthetic = True
        _analyse(ctx, timer, out / "report" if report else None, result)
    return result


def render_store_report(db: str, out_dir: str | Path, *, principal: Any = None,
                        providers: str | Path | None = None) -> PipelineResult:
    """``sounding report site``: the report of a store as it is, for one principal (default
    the local operator). Reads only: mastery is the stored estimate (fit it with ``sounding
    mastery fit`` or ``sounding run``), plans and growth are computed in memory, and nothing
    is written back except the access log of a signed-in principal."""
    from sounding.access.principal import Principal
    from sounding.report.build import render_report
    from sounding.store import Store

    out = Path(out_dir)
    result = PipelineResult(out_dir=out, db_url=db)
    with Store.open(db) as store:
        start = time.perf_counter()
        result.report_index = render_report(store, principal or Principal.local_operator(),
                                            out, providers=providers)
        result.timings["Writing the report"] = round(time.perf_counter() - start, 2)
    return result


def run_store(
    db: str,
    out_dir: str | Path,
    *,
    graph: StandardsGraph | None = None,
    providers: str | Path | None = None,
    on_stage: StageCallback | None = None,
) -> PipelineResult:
    """Everything after the import, on a district's own store: mastery, plans, growth, report."""
    from sounding.store import Store
    from sounding.store.quality import data_quality

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = PipelineResult(out_dir=out, db_url=db)
    timer = _Timer(result, on_stage)
    with Store.open(db) as store:
        ctx = _Context(store=store, graph=graph or store.progression().k8_algebra1(),
                       imported={"quality": data_quality(store)},
                       district_dir=Path(providers).parent if providers else out)
        _analyse(ctx, timer, out, result)
    return result


def _analyse(ctx: _Context, timer: _Timer, report_dir: Path | None,
             result: PipelineResult) -> None:
    with timer.stage("Estimating mastery of every standard (graph-aware)"):
        ctx.fit_mastery()
    with timer.stage("Planning: triage, tiers, groups, Algebra I readiness"):
        ctx.plan()
    with timer.stage("Growth: student growth percentiles and accountability"):
        ctx.growth()
    with timer.stage("Storing the web app's class, student and school views"):
        ctx.store_views()
    if report_dir is not None:
        with timer.stage("Writing the report"):
            result.report_index = ctx.write_report(report_dir)
    result.facts = ctx.facts()


@dataclass
class _Context:
    """What the stages share: the store, the graph, and each stage's outputs."""

    store: Any
    graph: StandardsGraph
    imported: dict[str, Any]
    district_dir: Path
    mastery: Any = None
    inputs: Any = None
    plan_result: Any = None
    groups: dict[str, Any] = field(default_factory=dict)
    readiness: Any = None
    sgp: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    grade_span: pd.DataFrame | None = None
    grade_span_info: dict[str, Any] = field(default_factory=dict)
    growth_tables: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = False  # the simulated demo district (its report says so)
    views: dict[str, Any] = field(default_factory=dict)  # stored views: counts and seconds

    def fit_mastery(self) -> None:
        from sounding.mastery.pipeline import fit_store_mastery

        self.mastery = fit_store_mastery(self.store, model="graph", graph=self.graph)

    def plan(self) -> None:
        """Triage, groups, Algebra I readiness and (with a stored intervention log) progress
        monitoring, on what the district imported: its scope and sequence (else the shipped
        one), its family signals, its intervention log."""
        from sounding.planning import algebra_readiness, small_groups, triage
        from sounding.planning.from_store import load_inputs

        inp = load_inputs(self.store)
        self.inputs = inp
        scope = inp.scope()
        ev = inp.evidence()
        self.plan_result = triage(inp.mastery, inp.students, inp.classes, inp.enrollments,
                                  evidence=ev, graph=self.graph, scope=scope,
                                  responses=inp.responses, family_signals=inp.family_signals)
        self.groups = small_groups(inp.mastery, inp.students, inp.classes, inp.enrollments,
                                   graph=self.graph, scope=scope, as_of=self.plan_result.as_of,
                                   evidence=ev)
        self.readiness = algebra_readiness(inp.mastery, inp.students, inp.classes,
                                           inp.enrollments, scores=inp.scores, graph=self.graph)
        if inp.interventions is not None:
            inp.progress = inp.progress_report(as_of=self.plan_result.as_of,
                                               model=getattr(self.mastery, "model", None))

    def store_views(self) -> None:
        """The web app's class, student and school views, computed now from what the store
        holds (``sounding.services.stored``), so that its pages read them instead of
        computing them per request."""
        from sounding.services.stored import persist_views

        self.views = persist_views(self.store, seed={"planning_inputs": self.inputs}
                                   if self.inputs is not None else None)

    def growth(self) -> None:
        """SGPs, lagged targets (last year's score sets the target this year's SGP is judged
        against, as in Colorado) and grade-span growth, exactly as `sounding growth report`
        computes them (:func:`sounding.growth.release.growth_inputs`): spring to spring from
        the district's spring-window file when it has one."""
        from sounding.growth.release import growth_inputs

        windows = self.district_dir / "spring_windows.csv"
        f = growth_inputs(self.store, windows=windows if windows.is_file() else None)
        if f is None:
            return
        self.sgp, self.targets = f["sgp"], f["targets"]
        self.grade_span, self.grade_span_info = f["grade_span"], f["grade_span_info"]

    def write_report(self, out: Path) -> Path:
        """The operator's report, drawn through the services from what the store now holds;
        only the demo's simulated district is labelled synthetic."""
        from sounding.access.principal import Principal
        from sounding.report.build import render_report
        from sounding.report.demo import DEMO_SUBTITLE

        return render_report(self.store, Principal.local_operator(), out,
                             subtitle=DEMO_SUBTITLE if self.synthetic else "")

    def facts(self) -> dict[str, Any]:
        f: dict[str, Any] = {}
        if self.plan_result is not None:
            f["plan"] = self.plan_result.summary()
        if self.sgp is not None and len(self.sgp):
            s = self.sgp.dropna(subset=["sgp"])
            f["sgp"] = {"students": int(len(s)), "median": float(s["sgp"].median())}
        if self.grade_span_info:
            f["grade_span"] = {k: v for k, v in self.grade_span_info.items()
                               if k in ("available", "method", "from_year", "to_year",
                                        "students", "mean_span_growth", "message")}
        return f
