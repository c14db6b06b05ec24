"""Every public class, function and method of tinyreg has a docstring (the API reference is built
from them, so a missing one is a hole in the documentation)."""

import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    [".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
     for p in (ROOT / "tinyreg").rglob("*.py")]
    + ["tinyreg.kernels" + ("" if p.stem == "__init__" else f".{p.stem}")
       for p in (ROOT / "kernels").glob("*.py")]
)  # fmt: skip


def public_callables(module):
    """(qualified name, object) of the module's own public functions, classes and methods."""
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if not (inspect.isclass(obj) or callable(obj)):
            continue
        yield f"{module.__name__}.{name}", obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                member = member.fget if isinstance(member, property) else member
                if not attr.startswith("_") and inspect.isfunction(member):
                    yield f"{module.__name__}.{name}.{attr}", member


def test_the_list_finds_every_room():
    rooms = {"tinyreg._tensor", "tinyreg.ops.elementwise", "tinyreg.nn.functional.loss",
             "tinyreg.reg.penalty", "tinyreg.kernels.conv", "tinyreg.app.cli"}  # fmt: skip
    assert rooms <= set(MODULES)


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_callable_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    assert (module.__doc__ or "").strip(), f"{module_name} has no module docstring"
    missing = [name for name, obj in public_callables(module) if not (obj.__doc__ or "").strip()]
    assert not missing, f"no docstring: {missing}"
