"""The layout rules of issue 16, checked on the source: one module starts processes, no module is over 400
lines, and the package's module-level imports form no circle."""

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "layertopo"
MODULES = sorted(SOURCE.rglob("*.py"))

#: what starts a process or a pool: the modules, and the names that do it
PROCESS_MODULES = {"pebble", "concurrent.futures", "joblib", "subprocess", "distributed", "dask.distributed"}
PROCESS_NAMES = {"Pool", "Process", "get_context", "fork", "Popen", "spawnv", "system"}


def _name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module) -> list[str]:
    """Modules imported anywhere in the module (``from a import b`` gives ``a`` and ``a.b``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def test_only_parallel_starts_processes():
    starters = []
    for path in MODULES:
        tree = ast.parse(path.read_text())
        imported = set(_imports(tree))
        calls = {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"multiprocessing", "os", "context"}
        }
        if imported & PROCESS_MODULES or calls & PROCESS_NAMES:
            starters.append(_name(path))
    assert starters == ["layertopo.parallel"]


def test_no_module_is_over_400_lines():
    long = {_name(p): n for p in MODULES if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def _module_level_imports(tree: ast.Module) -> list[str]:
    """Imports run when the module is imported: top level and inside top-level ``try``/``if`` blocks, but not
    under ``if TYPE_CHECKING:`` and not inside functions (those run later)."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found += _imports(ast.Module(body=[node], type_ignores=[]))
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body]
    return found


def test_the_package_imports_form_no_circle():
    names = {_name(p): p for p in MODULES}
    graph = {
        name: sorted({m for m in _module_level_imports(ast.parse(path.read_text())) if m in names and m != name})
        for name, path in names.items()
    }
    # a package's __init__ re-exporting its submodules is not a circle; anything else that leads back is
    graph = {name: [m for m in deps if not m.startswith(name + ".")] for name, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in graph[name]:
            if state.get(dep) == 1:
                pytest.fail(f"import circle: {' -> '.join(path[path.index(dep) :] + [dep])}")
            if dep not in state:
                visit(dep, path + [dep])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert len(graph) > 50  # every module was read
