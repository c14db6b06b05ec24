"""The layers of the code, read from the imports (ast), so a wrong-way import fails here.

kernels/                      imports nothing of tinyreg
engine: tensor, functional, device, random, gradcheck, validate, profiler
                              imports only kernels and the engine
library: nn, reg, optim, data, augment, callbacks, train, plots, serialization
                              imports kernels, the engine and the library, never app/
app/: cli, compare, bench_kernels, bench_train, timing
                              imports anything
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = {"tensor", "functional", "device", "random", "gradcheck", "validate", "profiler"}
LIBRARY = {"nn", "reg", "optim", "data", "augment", "callbacks", "train", "plots",
           "serialization", "stats", "lr_scheduler", "swa_utils", "sweep"}  # fmt: skip


def tier(module: str) -> str:
    """The tier of a dotted module name inside tinyreg ("" for the package itself)."""
    parts = module.split(".")
    if parts[:2] == ["tinyreg", "kernels"] or parts[0] == "kernels":
        return "kernels"
    if parts[:2] == ["tinyreg", "app"]:
        return "app"
    name = parts[1] if len(parts) > 1 else ""
    if name in ENGINE:
        return "engine"
    if name in LIBRARY:
        return "library"
    return "package"


ALLOWED = {
    "kernels": {"kernels"},
    "engine": {"kernels", "engine"},
    "library": {"kernels", "engine", "library"},
    "app": {"kernels", "engine", "library", "app", "package"},
}


def source_modules():
    for path in sorted((ROOT / "tinyreg").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(p for p in parts if p != "__init__"), path, path.name == "__init__.py"
    for path in sorted((ROOT / "kernels").glob("*.py")):
        name = "tinyreg.kernels" + ("" if path.stem == "__init__" else f".{path.stem}")
        yield name, path, path.name == "__init__.py"


def imported(module: str, path: Path, is_package: bool):
    """The tinyreg modules `path` imports (absolute and relative), wherever the import sits."""
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
            if node.module is None or tier(target) == "package":  # from . import nn, reg
                yield from (f"{target}.{a.name}" for a in node.names)
            else:
                yield target


MODULES = list(source_modules())


@pytest.mark.parametrize("module,path,is_package", MODULES, ids=[m[0] for m in MODULES])
def test_no_module_imports_a_higher_layer(module, path, is_package):
    own = tier(module)
    if own == "package":  # tinyreg/__init__.py gathers the library's public names
        allowed = {"kernels", "engine", "library", "package"}
    else:
        allowed = ALLOWED[own]
    wrong = [t for t in imported(module, path, is_package) if tier(t) not in allowed]
    assert not wrong, f"{module} ({own}) imports {wrong}"


def test_the_checker_sees_wrong_way_imports(tmp_path):
    bad = tmp_path / "tensor.py"
    bad.write_text("from .nn import Module\nfrom . import train\nimport tinyreg.app.cli\n")
    found = list(imported("tinyreg.tensor", bad, False))
    assert [tier(t) for t in found] == ["library", "library", "app"]
    kernel = tmp_path / "penalty.py"
    kernel.write_text("from tinyreg.tensor import Tensor\n")
    assert [tier(t) for t in imported("tinyreg.kernels.penalty", kernel, False)] == ["engine"]


def test_every_module_is_in_a_tier():
    assert {tier(m) for m, _, _ in MODULES} == {"kernels", "engine", "library", "app", "package"}
    assert all(tier(m) != "package" for m, _, _ in MODULES if m != "tinyreg")
