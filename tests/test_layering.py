"""The layers of the code, read from the imports (ast), so a wrong-way import or an import cycle
fails here. Each layer may import only itself and the layers its ALLOWED entry names:

kernels/      pure array functions                    imports nothing of tinyreg
engine        _tensor, autograd/, ops/, creation,     kernels
              functional, dtypes, device, cuda,
              random, threads, validate, profiler,
              _missing, _process
nn            nn/, serialization                      engine
utils         utils/ (data, best), datasets, vision/  engine
optim         optim/                                  nn, utils (never reg: prox is a hook)
reg           reg/                                    nn
training      training/                               nn, optim, reg, utils
experiments   experiments/                            every library layer, never app/
app           app/                                    anything

Imports inside functions and under TYPE_CHECKING count, for the layers and for the cycles.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {  # first name after "tinyreg." -> layer
    **dict.fromkeys(["_tensor", "autograd", "ops", "creation", "device", "random", "threads",
                     "validate", "profiler", "cuda", "dtypes", "functional", "_missing",
                     "_process"], "engine"),
    **dict.fromkeys(["nn", "serialization"], "nn"),
    **dict.fromkeys(["utils", "datasets", "vision"], "utils"),
    "optim": "optim",
    "reg": "reg",
    "training": "training",
    "experiments": "experiments",
    "app": "app",
    "kernels": "kernels",
}  # fmt: skip
LIBRARY = {"kernels", "engine", "nn", "utils", "optim", "reg", "training", "experiments"}
ALLOWED = {
    "kernels": {"kernels"},
    "engine": {"kernels", "engine"},
    "nn": {"kernels", "engine", "nn"},
    "utils": {"kernels", "engine", "utils"},
    "optim": {"kernels", "engine", "nn", "utils", "optim"},
    "reg": {"kernels", "engine", "nn", "reg"},
    "training": {"kernels", "engine", "nn", "utils", "optim", "reg", "training"},
    "experiments": LIBRARY,
    "app": LIBRARY | {"app", "package"},
    "package": LIBRARY | {"package"},  # tinyreg/__init__.py gathers the public names
}


def tier(module: str) -> str:
    """The layer of a dotted module name inside tinyreg ("package" for tinyreg itself)."""
    parts = module.split(".")
    if parts[0] == "kernels":
        return "kernels"
    if len(parts) == 1:
        return "package"
    return LAYERS.get(parts[1], "unknown")


def source_modules():
    for path in sorted((ROOT / "tinyreg").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(p for p in parts if p != "__init__"), path, path.name == "__init__.py"
    for path in sorted((ROOT / "kernels").glob("*.py")):
        name = "tinyreg.kernels" + ("" if path.stem == "__init__" else f".{path.stem}")
        yield name, path, path.name == "__init__.py"


MODULES = list(source_modules())
KNOWN = {m for m, _, _ in MODULES}


def imported(module: str, path: Path, is_package: bool):
    """The tinyreg modules `path` imports (absolute and relative), wherever the import sits; a
    name imported from a package is that package's submodule when one exists."""
    package = module if is_package else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "tinyreg")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "tinyreg":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield sub if sub in KNOWN else target


@pytest.mark.parametrize("module,path,is_package", MODULES, ids=[m[0] for m in MODULES])
def test_no_module_imports_a_higher_layer(module, path, is_package):
    own = tier(module)
    wrong = [t for t in imported(module, path, is_package) if tier(t) not in ALLOWED[own]]
    assert not wrong, f"{module} ({own}) imports {wrong}"


def import_graph() -> dict[str, set[str]]:
    """module -> the modules its import runs: each imported module and the packages between it
    and tinyreg (importing tinyreg.a.b runs tinyreg/a/__init__.py first). The root package and a
    module's own parents are left out: they are already being imported when the module runs."""
    graph = {}
    for module, path, is_package in MODULES:
        own_parents = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        edges = set()
        for target in imported(module, path, is_package):
            parts = target.split(".")
            for i in range(2, len(parts) + 1):
                edges.add(".".join(parts[:i]))
        graph[module] = {t for t in edges if t in KNOWN and t != module} - own_parents
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None (iterative DFS)."""
    state = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [], [(start, iter(sorted(graph[start])))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                return path[path.index(child) :] + [child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checkers_see_wrong_way_imports_and_cycles(tmp_path):
    bad = tmp_path / "engine.py"
    bad.write_text("from ..nn import Module\nfrom .. import training\nimport tinyreg.app.cli\n"
                   "from ..reg import L1\n")  # fmt: skip
    found = list(imported("tinyreg.autograd.engine", bad, False))
    assert [tier(t) for t in found] == ["nn", "training", "app", "reg"]
    kernel = tmp_path / "penalty.py"
    kernel.write_text("from tinyreg._tensor import Tensor\n")
    assert [tier(t) for t in imported("tinyreg.kernels.penalty", kernel, False)] == ["engine"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_every_module_is_in_a_layer():
    assert all(tier(m) != "unknown" for m in KNOWN)
    assert {tier(m) for m in KNOWN} == set(ALLOWED)
    assert [m for m in KNOWN if tier(m) == "package"] == ["tinyreg"]


def test_no_module_is_over_600_lines():
    long = {m: n for m, path, _ in MODULES if (n := len(path.read_text().splitlines())) > 600}
    assert not long, f"modules over 600 lines: {long}"


def test_no_module_is_shadowed_by_a_name_of_its_package():
    """`tinyreg.a.b` is the module b, not a function b that tinyreg/a/__init__.py imports (the
    old `tinyreg.tensor` was the function `tensor()`, and the module was out of reach)."""
    import importlib

    shadowed = []
    for module, _, _ in MODULES:
        parent, _, name = module.rpartition(".")
        if parent:
            loaded = importlib.import_module(module)
            if getattr(importlib.import_module(parent), name) is not loaded:
                shadowed.append(module)
    assert not shadowed, f"modules shadowed by a name of their package: {shadowed}"


def test_pyproject_installs_every_package():
    """A non-editable install copies only the packages pyproject.toml lists."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    folders = {m for m, _, is_package in MODULES if is_package}
    data = {  # folders of files only (the playground's page), listed so that setuptools ships them
        name for name in listed - folders
        if not any(ROOT.joinpath(*name.split(".")).glob("*.py"))
    }  # fmt: skip
    assert listed - data == folders, f"missing: {folders - listed}; extra: {listed - folders}"
