"""Every public class, function and method of tinyreg has a docstring (the API reference is built
from them, so a missing one is a hole in the documentation)."""

import importlib
import inspect

import pytest

MODULES = [
    *(f"tinyreg.{m}" for m in ("tensor", "functional", "device", "random", "gradcheck", "validate",
                               "nn", "reg", "optim", "data", "augment", "callbacks", "train",
                               "plots", "serialization", "stats", "lr_scheduler",
                               "swa_utils", "sweep", "profiler")),
    *(f"tinyreg.app.{m}" for m in ("cli", "compare", "bench_kernels", "bench_train", "timing",
                                   "sweep", "bench_startup")),
    *(f"tinyreg.kernels.{m}" for m in ("penalty", "optim", "dropout", "batchnorm", "warp", "rng",
                                       "conv", "pool", "group", "noise")),
    "tinyreg.kernels",
]  # fmt: skip


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


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_callable_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    assert (module.__doc__ or "").strip(), f"{module_name} has no module docstring"
    missing = [name for name, obj in public_callables(module) if not (obj.__doc__ or "").strip()]
    assert not missing, f"no docstring: {missing}"
