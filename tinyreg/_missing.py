"""What a PyTorch name that tinyreg lacks says: an AttributeError naming the PyTorch name and,
where there is one, the nearest tinyreg name.

Each public package of tinyreg that mirrors a torch one ends its `__init__.py` with

    __getattr__ = missing_names(__name__)

Python calls a module's `__getattr__` only when ordinary lookup fails, so the names a module has
are never touched, and a name added later needs no change here. `NEAREST` is the one table of
PyTorch names with a tinyreg counterpart worth pointing to, or a word on why there is none.

Coming from PyTorch: `from tinyreg.optim import LBFGS` is an ImportError that Python words itself
("cannot import name"); `tinyreg.optim.LBFGS` gives the message below.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from typing import NoReturn

_SEED = "tinyreg draws every random number from one generator, which manual_seed seeds"
_DTYPE = "tinyreg computes in float32 (the default) or float64"
_COMPLEX = "tinyreg tensors hold real numbers (bool, integers, float32, float64)"
_LEGACY = "tinyreg.tensor(data, dtype=tinyreg.{})"
_1D = "a 1-D signal of shape (N, C, L) is an image of shape (N, C, 1, L)"
_BATCH = "it normalizes each feature over the batch, not each sample over its features"

# torch name -> (the nearest tinyreg name or None, what to know)
NEAREST: dict[str, tuple[str | None, str]] = {
    "torch.float16": ("tinyreg.float32", _DTYPE + "; float16 data becomes float32"),
    "torch.half": ("tinyreg.float32", _DTYPE + "; float16 data becomes float32"),
    "torch.bfloat16": ("tinyreg.float32", _DTYPE + "; NumPy has no bfloat16"),
    "torch.complex64": (None, _COMPLEX),
    "torch.complex128": (None, _COMPLEX),
    "torch.cfloat": (None, _COMPLEX),
    "torch.cdouble": (None, _COMPLEX),
    "torch.set_default_dtype": (
        None,
        "the default stays float32: pass dtype=tinyreg.float64, or call model.to(tinyreg.float64)",
    ),
    "torch.seed": ("tinyreg.manual_seed", _SEED),
    "torch.initial_seed": ("tinyreg.manual_seed", _SEED),
    "torch.FloatTensor": ("tinyreg.tensor", _LEGACY.format("float32")),
    "torch.DoubleTensor": ("tinyreg.tensor", _LEGACY.format("float64")),
    "torch.LongTensor": ("tinyreg.tensor", _LEGACY.format("int64")),
    "torch.IntTensor": ("tinyreg.tensor", _LEGACY.format("int32")),
    "torch.BoolTensor": ("tinyreg.tensor", _LEGACY.format("bool")),
    "torch.ByteTensor": ("tinyreg.tensor", _LEGACY.format("uint8")),
    "torch.einsum": ("tinyreg.matmul", "write the contraction as matmul, permute and sum"),
    "torch.tensordot": ("tinyreg.matmul", "reshape the operands to matrices and multiply"),
    "torch.mv": ("tinyreg.matmul", "matmul(matrix, vector) is the matrix-vector product"),
    "torch.dot": ("tinyreg.matmul", "matmul of two 1-D tensors is their dot product"),
    "torch.swapaxes": ("tinyreg.transpose", "transpose(x, dim0, dim1) swaps two dimensions"),
    "torch.swapdims": ("tinyreg.transpose", "transpose(x, dim0, dim1) swaps two dimensions"),
    "torch.movedim": ("tinyreg.permute", "permute(x, dims) puts the dimensions in any order"),
    "torch.moveaxis": ("tinyreg.permute", "permute(x, dims) puts the dimensions in any order"),
    "torch.topk": ("tinyreg.argmax", "argmax gives the top-1 index"),
    "torch.inference_mode": ("tinyreg.no_grad", "no_grad records no graph"),
    "torch.masked_select": (None, "x[mask] selects the elements where the bool mask is True"),
    "torch.linalg": (None, "tinyreg has no linear-algebra module"),
    "torch.fft": (None, "tinyreg has no Fourier transforms"),
    "torch.sparse": (None, "tinyreg tensors are dense"),
    "torch.distributions": (None, "tinyreg has no probability distributions"),
    "torch.jit": (None, "tinyreg runs eagerly; its fused kernels are compiled by Numba"),
    "torch.compile": (None, "tinyreg runs eagerly; its fused kernels are compiled by Numba"),
    "torch.autocast": (None, _DTYPE + ": it has no mixed precision"),
    "torch.amp": (None, _DTYPE + ": it has no mixed precision"),
    "torch.backends": (None, "tinyreg has no backend switches; it picks kernels by device"),
    "torch.mps": (None, "tinyreg computes on 'cpu' or 'cuda'"),
    "torch.distributed": (None, "tinyreg trains in one process (experiments: joblib or Dask)"),
    "torch.nn.Conv1d": ("tinyreg.nn.Conv2d", _1D),
    "torch.nn.MaxPool1d": ("tinyreg.nn.MaxPool2d", _1D),
    "torch.nn.AvgPool1d": ("tinyreg.nn.AvgPool2d", _1D),
    "torch.nn.Conv3d": (None, "tinyreg has 2-D convolutions only (nn.Conv2d)"),
    "torch.nn.LayerNorm": ("tinyreg.nn.BatchNorm1d", _BATCH),
    "torch.nn.GroupNorm": ("tinyreg.nn.BatchNorm2d", _BATCH),
    "torch.nn.RNN": (None, "tinyreg has no recurrent layers"),
    "torch.nn.LSTM": (None, "tinyreg has no recurrent layers"),
    "torch.nn.GRU": (None, "tinyreg has no recurrent layers"),
    "torch.nn.Transformer": (None, "tinyreg has no attention layers"),
    "torch.nn.MultiheadAttention": (None, "tinyreg has no attention layers"),
    "torch.nn.PReLU": ("tinyreg.nn.LeakyReLU", "its negative slope is fixed, not learned"),
    "torch.nn.DataParallel": (None, "tinyreg trains on one device"),
    "torch.nn.functional.one_hot": (
        "tinyreg.eye",
        "tinyreg.eye(num_classes)[labels] is one_hot(labels, num_classes), as float32 rows",
    ),
    "torch.nn.functional.logsigmoid": (
        "tinyreg.nn.functional.softplus",
        "logsigmoid(x) is -softplus(-x)",
    ),
    "torch.nn.functional.layer_norm": ("tinyreg.nn.functional.batch_norm", _BATCH),
    "torch.nn.functional.max_pool1d": ("tinyreg.nn.functional.max_pool2d", _1D),
    "torch.nn.functional.conv1d": ("tinyreg.nn.functional.conv2d", _1D),
    "torch.nn.functional.pad": (None, "conv2d and the pooling functions take padding="),
    "torch.nn.functional.interpolate": (None, "tinyreg has no resampling"),
    "torch.optim.LBFGS": (None, "tinyreg's optimizers take one gradient step, no closure"),
    "torch.optim.SparseAdam": ("tinyreg.optim.Adam", "tinyreg has no sparse gradients"),
    "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts": (
        "tinyreg.optim.lr_scheduler.CosineAnnealingLR",
        "one cosine half-period, without restarts",
    ),
    "torch.optim.lr_scheduler.CyclicLR": (
        "tinyreg.optim.lr_scheduler.OneCycleLR",
        "one cycle over the whole run",
    ),
    "torch.optim.lr_scheduler.LambdaLR": (
        "tinyreg.optim.lr_scheduler.LRScheduler",
        "subclass it with a get_lr() that returns each group's rate",
    ),
}


def message(module: str, name: str) -> str:
    """What `module` (a dotted tinyreg name) says when asked for the `name` it lacks."""
    if name.startswith("__") and name.endswith("__"):  # probes of Python's own protocols
        return f"module {module!r} has no attribute {name!r}"
    torch_name = "torch" + module.removeprefix("tinyreg") + "." + name
    lacks = f"{module} has no {name!r}"
    if torch_name in NEAREST:
        nearest, note = NEAREST[torch_name]
        if nearest is None:
            return f"{lacks} (PyTorch's {torch_name}), and nothing near it: {note}"
        return f"{lacks} (PyTorch's {torch_name}); the nearest is {nearest}: {note}"
    package = hasattr(sys.modules.get(module), "__path__")  # only a package has submodules
    if package and name.isidentifier() and importlib.util.find_spec(f"{module}.{name}"):
        return (f"{lacks} yet: {module}.{name} is a module of its own; import {module}.{name} "
                f"first")  # fmt: skip
    return (f"{lacks} (if you mean PyTorch's {torch_name}: tinyreg does not have it; README, "
            f"'Coming from PyTorch', lists what differs)")  # fmt: skip


def missing_names(module: str) -> Callable[[str], NoReturn]:
    """The module `__getattr__` of `module` (a dotted tinyreg name): an AttributeError with
    `message(module, name)` for every name ordinary lookup did not find."""

    def __getattr__(name: str) -> NoReturn:
        raise AttributeError(message(module, name), name=name, obj=sys.modules.get(module))

    return __getattr__
