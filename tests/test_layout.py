"""The house's rules, checked on the source: what may import what, no cycles, no module past its size."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "emulator"
SYSTEMS = ("eventlog", "nav", "medl", "gateway", "maskinporten", "harness")
# The core every package may use; it imports no system.
CORE = ("emulator.settings", "emulator.errors", "emulator.clock")
# Where FastAPI and Starlette may appear: the ASGI edge, and the helpers that hand an app to consumers' tests.
WEB_ALLOWED = ("emulator.http", "emulator.testing", "emulator.pytest_plugin")
MAX_LINES = 300


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


MODULES = dict(_modules())


def _imports(path: Path, *, top_level_only: bool = False) -> Iterator[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from emulator.http import feed` imports the module emulator.http.feed, not only the face.
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            yield from (name for name in submodules if name in MODULES)
            if not all(name in MODULES for name in submodules):
                yield node.module


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "emulator" else None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_the_http_edge_imports_fastapi_or_starlette(module: str) -> None:
    if module.startswith(WEB_ALLOWED):
        return
    web = [name for name in _imports(MODULES[module]) if name.split(".")[0] in ("fastapi", "starlette")]
    assert not web, f"{module} imports {web}: only emulator.http knows the web framework"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_reaches_into_another_packages_private_modules(module: str) -> None:
    is_face = MODULES[module].name == "__init__.py" and module != "emulator"
    own = module.split(".")[1] if is_face else _package(module)
    reaching = [
        name
        for name in _imports(MODULES[module])
        if name in MODULES and _package(name) not in (None, own) and MODULES[name].name != "__init__.py"
    ]
    assert not reaching, f"{module} imports {reaching}: import another package through its face (its __init__)"


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_system(module: str) -> None:
    systems = [name for name in _imports(MODULES[module]) if _package(name) is not None]
    assert not systems, f"{module} imports {systems}"


@pytest.mark.parametrize("system", SYSTEMS)
def test_no_system_imports_the_http_edge_or_the_composition_root(system: str) -> None:
    for module, path in MODULES.items():
        if _package(module) == system or module == f"emulator.{system}":
            upward = [
                name
                for name in _imports(path)
                if name.startswith(("emulator.http", "emulator.backend", "emulator.cli"))
            ]
            assert not upward, f"{module} imports {upward}"


def test_modules_import_no_cycle() -> None:
    graph = {
        module: {name for name in _imports(path, top_level_only=True) if name in MODULES and name != module}
        for module, path in MODULES.items()
    }
    # A module's package face runs first when the module is imported: that edge is implied, not a cycle.
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target) :], target] if target in trail else [module, target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_longer_than_a_reader_can_hold(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by what it is about"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_says_in_one_line_what_it_is(module: str) -> None:
    docstring = ast.get_docstring(ast.parse(MODULES[module].read_text()))
    assert docstring, f"{module} has no docstring"
    assert docstring.splitlines()[0].strip(), f"{module}'s docstring does not start with a summary line"


def test_each_package_of_a_system_has_a_face() -> None:
    for system in SYSTEMS:
        init = PACKAGE / system / "__init__.py"
        if not init.parent.exists():
            continue
        tree = ast.parse(init.read_text())
        assert ast.get_docstring(tree), f"emulator.{system} does not say what real system it stands for"
        exported = [node for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "__all__"]  # type: ignore[attr-defined]
        assert exported, f"emulator.{system} lists no __all__: its face is what the rest of the code may import"
