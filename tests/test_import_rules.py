"""The import rules, enforced: lower layers never import higher ones, and no import cycles.

Layers, lowest first (a package may import its own layer and any lower one):

0. ``core``, ``errors``: shared vocabulary and thresholds
1. ``progression``: the standards graph
2. ``store``, ``roster``, ``evidence``, ``simulate``: where data comes from and is kept
3. ``mastery``
4. ``planning``, ``growth``
5. ``access``, ``services``: who may see what; the query layer
6. ``report``, ``cli``, ``web``, ``pipeline``, ``testing``, ``__main__``: the faces and jobs

Every import counts, including imports inside functions (a lazy import is still a
dependency, and a cycle hidden behind one is still a cycle); only ``if TYPE_CHECKING``
imports are left out. A package's ``__init__`` re-exporting its own modules is not a cycle.
The rules are strict, with no allow-list.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "sounding"

LAYERS: dict[str, int] = {
    "core": 0, "errors": 0,
    "progression": 1,
    "store": 2, "roster": 2, "evidence": 2, "simulate": 2, "items": 2,
    "mastery": 3,
    "planning": 4, "growth": 4, "diagnostic": 4,
    "access": 5, "services": 5,
    "report": 6, "cli": 6, "web": 6, "pipeline": 6, "testing": 6, "__main__": 6,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, *, top_level_only: bool) -> set[str]:
    """Modules of sounding that ``module`` imports (``from a import b`` counts a.b when it is a
    module, else a)."""
    out: set[str] = set()

    def visit(nodes, top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name.startswith("sounding"))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = module.split(".")
                    base = ".".join(pkg[:len(pkg) - node.level + (1 if _is_pkg(module)
                                                                  else 0)] + ([base] if base
                                                                              else []))
                if base.startswith("sounding"):
                    for a in node.names:
                        full = f"{base}.{a.name}"
                        out.add(full if _exists(full) else base)
            if top_level_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef
                                             | ast.Lambda):
                continue
            children = [c for c in ast.iter_child_nodes(node)]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and top_level_only:
                continue
            visit(children, top)

    visit(list(ast.iter_child_nodes(tree)), True)
    return out


def _is_pkg(module: str) -> bool:
    return (ROOT.parent / module.replace(".", "/") / "__init__.py").exists()


def _exists(module: str) -> bool:
    p = ROOT.parent / module.replace(".", "/")
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    graph = {}
    for path in ROOT.rglob("*.py"):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {m for m in _imports(tree, module, top_level_only=top_level_only)
                         if m != module}
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "sounding"


def test_every_package_has_a_layer():
    packages = {_package(m) for m in _graph(False)} - {"sounding"}
    assert packages <= set(LAYERS), sorted(packages - set(LAYERS))


def test_no_upward_import():
    upward = []
    for module, targets in sorted(_graph(False).items()):
        src = _package(module)
        for t in sorted(targets):
            dst = _package(t)
            if "sounding" in (src, dst) or src == dst:
                continue
            if LAYERS[dst] > LAYERS[src]:
                upward.append(f"{module} imports {t} ({src} layer {LAYERS[src]} -> "
                              f"{dst} layer {LAYERS[dst]})")
    assert not upward, "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def _without_package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's ``__init__`` re-exporting its modules is not a cycle with them: a module
    importing its own package's ``__init__`` is the only edge into it we drop."""
    out = {}
    for m, targets in graph.items():
        out[m] = {t for t in targets if not (m.startswith(t + ".") and _is_pkg(t))}
    return out


def test_no_import_cycle():
    cycles = _cycles(_without_package_inits(_graph(False)))
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_the_checks_can_fail():
    graph = {"sounding.a": {"sounding.b"}, "sounding.b": {"sounding.a"}, "sounding.c": set()}
    assert _cycles(graph) == [["sounding.a", "sounding.b"]]
    tree = ast.parse("import sounding.cli\nfrom sounding.store import tables\n"
                     "def f():\n    from sounding.planning import triage\n")
    assert _imports(tree, "sounding.mastery.x", top_level_only=True) == {
        "sounding.cli", "sounding.store.tables"}
    assert "sounding.planning.triage" in _imports(tree, "sounding.mastery.x",
                                                  top_level_only=False)
