"""The layers of apps (docs/ARCHITECTURE.md, "Layers of apps"), read from the source with `ast`.
Every import of every project module counts, whether at the top of the file or inside a function;
only imports under `if TYPE_CHECKING:` do not, since they never run. A task queued by its
registered name is not an import, and that is the point of queueing it so.

- `orgs`, the ground floor, imports no other project package;
- no app imports `ops`, the app above the domains (benchmarks/, a client of it, may);
- no project module imports itself back, directly or round a circle;
- two apps import each other only where the architecture says so.
"""

import ast
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(  # the project's top-level packages: the apps, config, benchmarks
    p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"
)
APPS = sorted(c.name for c in apps.get_app_configs() if Path(c.path).parent == ROOT)
GROUND, TOP = "orgs", "ops"
# Apps that import each other today, as modules that do not: a target change asks letters to
# follow (appraisal → letters, a call when the change commits), while letters reads appraisal's
# years and targets. (A recompute refreshes payroll's drafts by the task's name: no import.)
MUTUAL_APPS_ALLOWED = {frozenset({"appraisal", "letters"})}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "payroll.tasks"
    target: str  # the project module it imports
    where: str  # file:line of the import statement

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.where})"


def package_of(module: str) -> str:
    return module.partition(".")[0]


def project_modules() -> dict[str, Path]:
    """{dotted name: file} of every module of the project's packages (migrations included)."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(nodes):
    """Every Import / ImportFrom in `nodes`, at any depth, except under `if TYPE_CHECKING:`."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_nodes(node.orelse)
        else:
            yield from _import_nodes(ast.iter_child_nodes(node))


def module_imports(
    module: str, source: str, *, is_package: bool, known: set[str], where: str = ""
) -> list[Import]:
    """The project modules (among `known`) that `module` imports, in source order, each once. A
    name imported from a module (`from a.b import c`) counts as `a.b.c` when that is a module,
    else as `a.b`."""
    package = module if is_package else module.rpartition(".")[0]
    found: dict[str, Import] = {}
    for node in _import_nodes([ast.parse(source)]):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            if node.level:
                parts = package.split(".")
                if node.level - 1 >= len(parts):
                    continue  # beyond the top package: not a project module
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name not in found:
                found[name] = Import(module, name, f"{where}:{node.lineno}")
    return list(found.values())


def project_imports() -> list[Import]:
    modules = project_modules()
    known = set(modules)
    edges = []
    for module, path in sorted(modules.items()):
        edges += module_imports(
            module,
            path.read_text(encoding="utf-8"),
            is_package=path.name == "__init__.py",
            known=known,
            where=str(path.relative_to(ROOT)),
        )
    return edges


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def shortest_cycle(graph: dict[str, set[str]], start: str, within: set[str]) -> list[str]:
    """The shortest circle of imports from `start` back to it, through modules of `within`."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & within):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"{start} is in a component but on no cycle")


@pytest.fixture(scope="module")
def edges() -> list[Import]:
    return project_imports()


def test_the_parser_counts_what_runs():
    known = {"a", "a.b", "a.b.c", "a.d", "e", "e.f"}
    source = (
        "import e.f as g\n"
        "from . import c\n"
        "from ..d import x\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from e import never\n"
        "else:\n"
        "    from a import d\n"
        "def later():\n"
        "    from e import anything\n"
    )
    found = module_imports("a.b.m", source, is_package=False, known=known | {"a.b.m"})
    assert [(x.target, x.where) for x in found] == [
        ("e.f", ":1"),
        ("a.b", ":2"),
        ("a.b.c", ":2"),
        ("a.d", ":3"),
        ("a", ":8"),
        ("e", ":10"),  # not :6, under TYPE_CHECKING
    ]
    graph = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set()}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert shortest_cycle(graph, "b", {"a", "b", "c"}) == ["b", "c", "a", "b"]


def test_the_ground_floor_imports_no_other_app(edges):
    wrong = [e for e in edges if package_of(e.source) == GROUND and package_of(e.target) != GROUND]
    assert not wrong, f"{GROUND} imports other project packages:\n" + "\n".join(map(str, wrong))


def test_no_app_imports_the_top_floor(edges):
    assert TOP in APPS and GROUND in APPS
    below = {*APPS, "config"} - {TOP}
    wrong = [e for e in edges if package_of(e.source) in below and package_of(e.target) == TOP]
    assert not wrong, f"apps below {TOP} import it:\n" + "\n".join(map(str, wrong))


def test_no_import_cycle_between_modules(edges):
    graph: dict[str, set[str]] = {m: set() for m in project_modules()}
    where = {}
    for e in edges:
        graph[e.source].add(e.target)
        where[e.source, e.target] = e
    cycles = []
    for component in strongly_connected(graph):
        cycle = shortest_cycle(graph, component[0], set(component))
        steps = [str(where[step]) for step in pairwise(cycle)]
        cycles.append(
            f"{' → '.join(cycle)}  (the circle's modules: {', '.join(component)})\n    "
            + "\n    ".join(steps)
        )
    assert not cycles, "import cycles between project modules:\n" + "\n".join(cycles)


def test_apps_import_each_other_only_where_allowed(edges):
    pairs = {(package_of(e.source), package_of(e.target)) for e in edges}
    mutual = {
        frozenset(p) for p in pairs if p[0] != p[1] and p[::-1] in pairs and set(p) <= set(APPS)
    }
    assert mutual <= MUTUAL_APPS_ALLOWED, "apps that now import each other: " + ", ".join(
        " ↔ ".join(sorted(p)) for p in mutual - MUTUAL_APPS_ALLOWED
    )
