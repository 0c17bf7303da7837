"""The import rules the README states, checked on the source with ``ast``.

``mock_server`` -> ``contract`` <- ``client``: the mock and the client never import each
other, the contract imports neither; inside ``contract`` the truth (everything but
``contract/conformance/``) never imports the conformance runner; and no package has an
import circle between its modules. Every import counts for the rules, a function's too
(a lazy import is still a dependency); for circles only what runs when a module is
imported counts, so imports inside functions and under ``if TYPE_CHECKING:`` do not.

A new rule is one more row in :data:`RULES`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers.paths import ROOT

PACKAGES = ("contract", "mock_server", "client")


@dataclass(frozen=True)
class Rule:
    """Modules under ``importer`` (but not under any of ``exempt``) never import ``forbidden``.

    Each is a dotted prefix: ``contract`` covers ``contract`` and ``contract.codes``.
    """

    importer: str
    forbidden: str
    why: str
    exempt: tuple[str, ...] = ()

    def applies_to(self, module: str) -> bool:
        return _under(module, self.importer) and not any(_under(module, e) for e in self.exempt)


RULES: tuple[Rule, ...] = (
    Rule("contract", "contract.conformance", "the truth never imports the conformance runner",
         exempt=("contract.conformance",)),
    Rule("contract", "mock_server", "the contract is the truth: it imports neither side"),
    Rule("contract", "client", "the contract is the truth: it imports neither side"),
    Rule("client", "mock_server", "mock_server -> contract <- client: they never meet"),
    Rule("mock_server", "client", "mock_server -> contract <- client: they never meet"),
    Rule("mock_server.state", "flask", "state/ knows nothing of HTTP"),
    Rule("mock_server.state", "werkzeug", "state/ knows nothing of HTTP"),
    Rule("mock_server.state", "mock_server.web", "state/ knows nothing of HTTP"),
    Rule("mock_server.scenario", "flask", "the scenario language knows nothing of HTTP"),
    Rule("mock_server.scenario", "mock_server.state", "the scenario language keeps no state"),
    Rule("mock_server.scenario", "mock_server.web", "the scenario language knows no HTTP"),
    Rule("mock_server.engine", "mock_server.web", "the engine decides; it knows no HTTP"),
    Rule("mock_server.engine", "flask", "the engine decides; it knows no HTTP"),
    Rule("mock_server.runtime", "mock_server.web", "the runtime is state and scenario only"),
    Rule("mock_server.runtime", "flask", "the runtime is state and scenario only"),
    Rule("mock_server.web", "mock_server.serve", "no import back up a layer: serve runs web"),
    Rule("mock_server.admin_client", "mock_server.web", "the admin client speaks HTTP only"),
    Rule("mock_server.admin_client", "mock_server.serve", "the admin client speaks HTTP only"),
    Rule("mock_server.admin_client", "flask", "the admin client speaks HTTP only"),
    Rule("mock_server.verify", "mock_server.web", "verification reads journal entries only"),
    Rule("mock_server.verify", "mock_server.state", "verification reads journal entries only"),
    Rule("mock_server.verify", "flask", "verification reads journal entries only"),
    Rule("mock_server.proxy", "mock_server.web", "the web layer hands the proxy requests; "
         "it never reaches back"),
    Rule("mock_server.proxy", "mock_server.serve", "no import back up a layer: serve runs it"),
    Rule("mock_server.proxy", "flask", "the proxy answers on the event loop, not in Flask"),
    Rule("mock_server.state", "mock_server.proxy", "state/ knows nothing of HTTP"),
    Rule("mock_server.engine", "mock_server.proxy", "the engine decides; the proxy forwards"),
    Rule("mock_server.scenario", "mock_server.proxy", "the scenario language knows no HTTP"),
    Rule("contract.conformance.recording", "requests", "the mock's replay reads recordings "
         "without an HTTP client"),
)  # fmt: skip

#: Whether an import inside a function closes a circle too: yes, a lazy import is still a
#: dependency, and a circle through one is still a circle.
DEFERRED_IMPORTS_MAKE_CIRCLES = True


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    path: Path
    line: int
    #: ``import`` (runs when the importer is imported), ``call`` (inside a function) or
    #: ``typing`` (under ``if TYPE_CHECKING:``, never runs)
    when: str


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def find_modules(root: Path, packages: Sequence[str]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``, by dotted name."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, path: Path, known: Iterable[str]) -> None:
        self.module, self.path, self.known = module, path, set(known)
        self.package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        self.found: list[Import] = []
        self._when = "import"

    def _add(self, imported: str, node: ast.stmt) -> None:
        self.found.append(Import(self.module, imported, self.path, node.lineno, self._when))

    def _visit_as(self, when: str, nodes: Iterable[ast.AST]) -> None:
        outer = self._when
        self._when = "typing" if outer == "typing" else when  # typing stays typing
        for node in nodes:
            self.visit(node)
        self._when = outer

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self._visit_as("call", ast.iter_child_nodes(node))

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        self._visit_as("typing", node.body)
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.package.split(".")
            base = parts[: len(parts) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        for alias in node.names:
            # ``from . import schemas`` imports the module contract.schemas, not a name.
            submodule = f"{source}.{alias.name}"
            self._add(submodule if submodule in self.known else source, node)


def find_imports(modules: dict[str, Path]) -> list[Import]:
    found: list[Import] = []
    for name, path in modules.items():
        collector = _Collector(name, path, modules)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found += collector.found
    return found


def rule_violations(imports: Iterable[Import], rules: Iterable[Rule], root: Path) -> list[str]:
    problems = []
    for rule in rules:
        for imp in imports:
            if rule.applies_to(imp.importer) and _under(imp.imported, rule.forbidden):
                where = f"{imp.path.relative_to(root)}:{imp.line}"
                problems.append(f"{where}: {imp.importer} imports {imp.imported} ({rule.why})")
    return problems


def _strongly_connected(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Tarjan's components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                yield from visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(graph):
        if node not in index:
            yield from visit(node)


def _circle(graph: dict[str, set[str]], members: list[str]) -> list[str]:
    """One circle through the component's first module, for the message."""
    start, inside = members[0], set(members)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & inside):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError("a strongly connected component always has a circle")


def cycle_violations(
    imports: Iterable[Import], packages: Sequence[str], deferred: bool = False
) -> list[str]:
    """Circles between modules of one package; with ``deferred``, lazy imports count too."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        top = imp.importer.split(".")[0]
        same_package = top in packages and _under(imp.imported, top)
        counts = imp.when == "import" or (deferred and imp.when == "call")
        if counts and same_package and imp.imported != imp.importer:
            graph.setdefault(imp.importer, set()).add(imp.imported)
            graph.setdefault(imp.imported, set())
    return [
        "import circle: " + " -> ".join(_circle(graph, members))
        for members in _strongly_connected(graph)
    ]


def check(
    root: Path,
    packages: Sequence[str] = PACKAGES,
    rules: Iterable[Rule] = RULES,
    deferred: bool = DEFERRED_IMPORTS_MAKE_CIRCLES,
) -> list[str]:
    """Every broken rule and every import circle of ``packages`` under ``root``."""
    imports = find_imports(find_modules(root, packages))
    return rule_violations(imports, rules, root) + cycle_violations(imports, packages, deferred)


# --- the project --------------------------------------------------------------------------


def test_the_packages_keep_the_import_rules() -> None:
    assert check(ROOT) == []


def test_every_rule_governs_modules_that_exist() -> None:
    # A rule whose importer was renamed away would pass forever without checking anything.
    modules = find_modules(ROOT, PACKAGES)
    idle = [rule for rule in RULES if not any(rule.applies_to(m) for m in modules)]
    assert idle == []


def test_the_checker_reads_the_real_imports() -> None:
    # The runner does use the truth and the plugin the runner: seen, and allowed.
    imports = {(i.importer, i.imported) for i in find_imports(find_modules(ROOT, PACKAGES))}
    assert ("contract.conformance.budget", "contract.codes") in imports  # relative, two dots
    assert ("mock_server.pytest_plugin", "contract.conformance.target") in imports  # lazy
    assert ("contract", "contract.schemas") in imports  # ``from . import schemas``


# --- the checker itself, on planted trees -------------------------------------------------


def plant(root: Path, files: dict[str, str]) -> Path:
    """A source tree of the three packages (each with an ``__init__``) plus ``files``."""
    for package in PACKAGES:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").touch()
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            if parent != Path("."):
                (root / parent / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.importer}-{r.forbidden}" for r in RULES])
def test_each_rule_fails_on_a_planted_violation(tmp_path: Path, rule: Rule) -> None:
    # Planted inside a function: a lazy import is a dependency all the same.
    planted = rule.importer.replace(".", "/") + "/planted.py"
    text = f"def later():\n    from {rule.forbidden} import anything\n"
    problems = check(plant(tmp_path, {planted: text}))
    assert problems == [
        f"{planted}:2: {rule.importer}.planted imports {rule.forbidden} ({rule.why})"
    ]


#: Each: a planted tree (beyond empty packages) and every problem the checker must report.
PLANTED = [
    ("relative-import-of-the-runner", {
        "contract/conformance/probe.py": "from ..codes import PATH\n",
        "contract/codes.py": "from .conformance import probe\nPATH = '/q'\n",
    }, [
        "contract/codes.py:1: contract.codes imports contract.conformance.probe "
        "(the truth never imports the conformance runner)",
        "import circle: contract.codes -> contract.conformance.probe -> contract.codes",
    ]),
    ("the-runner-may-import-the-truth", {
        "contract/codes.py": "PATH = '/q'\n",
        "contract/conformance/probe.py": "from ..codes import PATH\nfrom . import budget\n",
        "contract/conformance/budget.py": "import contract.codes\n",
    }, []),
    ("circle", {
        "client/a.py": "from . import b\n",
        "client/b.py": "from .c import thing\n",
        "client/c.py": "import client.a\nthing = 1\n",
    }, ["import circle: client.a -> client.b -> client.c -> client.a"]),
    ("circle-through-the-package", {
        "contract/__init__.py": "from .codes import PATH\nMAGIC = {}\n",
        "contract/codes.py": "from contract import MAGIC\nPATH = '/q'\n",
        "contract/magic.py": "from contract import numbers\n",  # a module: no circle
        "contract/numbers.py": "",
    }, ["import circle: contract -> contract.codes -> contract"]),
]  # fmt: skip


@pytest.mark.parametrize(("files", "expected"), [p[1:] for p in PLANTED],
                         ids=[p[0] for p in PLANTED])  # fmt: skip
def test_the_checker_on_planted_trees(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    assert check(plant(tmp_path, files)) == expected


def test_deferred_imports_make_a_circle_only_when_asked(tmp_path: Path) -> None:
    root = plant(tmp_path, {
        "mock_server/cli.py": "from .workers import run\n",
        "mock_server/workers.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .cli import Args\n"
            "def run():\n    from .cli import main\n"
        ),
    })  # fmt: skip
    assert check(root, deferred=False) == []
    # The function's import runs later; under TYPE_CHECKING nothing runs, ever.
    assert check(root, deferred=True) == [
        "import circle: mock_server.cli -> mock_server.workers -> mock_server.cli"
    ]
    typing_only = plant(tmp_path / "typing", {
        "mock_server/cli.py": "from .workers import run\n",
        "mock_server/workers.py": "import typing\nif typing.TYPE_CHECKING:\n    from . import cli",
    })  # fmt: skip
    assert check(typing_only, deferred=True) == []


#: "About 400 lines": a module a newcomer reads in one sitting.
MAX_LINES = 420


def test_every_module_is_short_enough_to_read_in_one_sitting() -> None:
    lengths = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in find_modules(ROOT, PACKAGES).items()
    }
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}
