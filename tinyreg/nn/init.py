"""Weight initialization, PyTorch's torch.nn.init: each function fills a Parameter or Tensor in
place (outside autograd, as under no_grad), draws from tinyreg's generator (`manual_seed`), and
returns the tensor.

    fan_in, fan_out   a weight of shape (out, in, *kernel): fan_in = in * prod(kernel),
                      fan_out = out * prod(kernel); a Dense weight (in, out), marked by its
                      unit_axis=1, reads them from its own layout (fan_in = in)
    calculate_gain    linear, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2);
                      leaky_relu: sqrt(2 / (1 + a^2)) (a = 0.01 by default); selu: 3/4
    xavier_uniform_   U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))
    xavier_normal_    N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming_uniform_  U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)
    kaiming_normal_   N(0, std^2), std = gain / sqrt(fan); fan = fan_in or fan_out (`mode`)

The one deliberate difference: `generator=` takes a NumPy Generator (tinyreg's kind), not a
torch.Generator. The numbers are tinyreg's generator's, not PyTorch's: the same seed gives the
same distribution, not the same draws.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import random as _random
from .. import validate as check
from .._tensor import Tensor
from ..device import device_of, to_device

_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
          "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3,
          "relu": math.sqrt(2.0), "selu": 3.0 / 4}  # fmt: skip


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table, in this module's docstring);
    `param` is leaky_relu's negative slope (0.01 when None)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check.finite("calculate_gain", "param", param)
        return math.sqrt(2.0 / (1 + slope**2))
    if not isinstance(nonlinearity, str) or nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: nonlinearity must be one of "
                         f"{(*_GAINS, 'leaky_relu')}, got {nonlinearity!r}")  # fmt: skip
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight with at least 2 dimensions: PyTorch's rule for (out, in,
    *kernel), or (in, out) for a weight marked unit_axis=1 (a Dense weight)."""
    shape = _tensor("fan_in and fan_out", tensor).shape
    if len(shape) < 2:
        raise ValueError(f"init: fan_in and fan_out need a tensor of 2 or more dimensions, got "
                         f"shape {shape}")  # fmt: skip
    if getattr(tensor, "unit_axis", None) == 1:
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _tensor(owner: str, tensor: Any) -> Tensor:
    return check.instance(owner, "tensor", tensor, Tensor, "a Tensor or Parameter")


def _fill(owner: str, tensor: Any, draw: Any, generator: Any = None) -> Tensor:
    """Write draw(generator, shape) (or a constant) into the tensor's array in place."""
    tensor = _tensor(owner, tensor)
    if generator is None:
        generator = _random.generator()
    check.instance(owner, "generator", generator, np.random.Generator, "a NumPy Generator")
    values = draw(generator, tensor.shape) if callable(draw) else draw
    tensor.data[...] = to_device(np.asarray(values, tensor.dtype), device_of(tensor.data))
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with U(a, b) in place."""
    a = check.finite("uniform_", "a", a)
    b = check.finite("uniform_", "b", b)
    if a > b:
        raise ValueError(f"uniform_: a must be <= b, got a={a:g}, b={b:g}")
    return _fill("uniform_", tensor, lambda g, shape: g.uniform(a, b, shape), generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with N(mean, std^2) in place."""
    mean = check.finite("normal_", "mean", mean)
    std = check.finite("normal_", "std", std, low=0.0)
    return _fill("normal_", tensor, lambda g, shape: g.normal(mean, std, shape), generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value `val` in place."""
    return _fill("constant_", tensor, check.number("constant_", "val", val))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 in place."""
    return _fill("zeros_", tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1 in place."""
    return _fill("ones_", tensor, 1)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot/Xavier uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))."""
    gain = check.finite("xavier_uniform_", "gain", gain)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill("xavier_uniform_", tensor, lambda g, s: g.uniform(-bound, bound, s), generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot/Xavier normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    gain = check.finite("xavier_normal_", "gain", gain)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill("xavier_normal_", tensor, lambda g, s: g.normal(0.0, std, s), generator)


def _kaiming_std(owner: str, tensor: Any, a: float, mode: str, nonlinearity: str) -> float | None:
    """gain / sqrt(fan) for kaiming_*, or None (with PyTorch's warning) for an empty tensor."""
    a = check.finite(owner, "a", a)
    check.choice(owner, "mode", mode, ("fan_in", "fan_out"))
    gain = calculate_gain(nonlinearity, a)
    if _tensor(owner, tensor).data.size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """He uniform: U(-b, b), b = sqrt(3) * gain / sqrt(fan), gain = calculate_gain(nonlinearity,
    a), fan = fan_in (mode="fan_in", keeps the forward variance) or fan_out (the backward's).
    PyTorch's Linear and Conv2d use a=sqrt(5): b = 1 / sqrt(fan_in)."""
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return _fill("kaiming_uniform_", tensor, lambda g, s: g.uniform(-bound, bound, s), generator)


def kaiming_normal_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """He normal: N(0, std^2), std = gain / sqrt(fan) (see kaiming_uniform_ for gain and fan)."""
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return _fill("kaiming_normal_", tensor, lambda g, s: g.normal(0.0, std, s), generator)
