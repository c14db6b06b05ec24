"""Modules: a small, PyTorch-shaped layer system.

A `Module` finds its parameters, buffers and sub-modules by looking at its attributes, so a layer
is a class with a `forward` and nothing to register. `Sequential(a, b, c)` chains modules; its
state-dict keys are `"0.weight"`, `"1.running_mean"`, ... as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import functional as F
from . import random as _random
from . import validate as check
from .device import check_device, device_of, on_gpu, to_device
from .tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad. `regularize` marks it for the default penalty (Dense
    weights are marked; biases and BatchNorm parameters are not, as in the seed)."""

    __slots__ = ("regularize",)

    def __init__(self, data: Any, regularize: bool = False):
        super().__init__(data, requires_grad=True)
        self.regularize = regularize


class Module:
    """Base class: `forward` computes; parameters, buffers and children are found by attribute."""

    _buffer_names: tuple = ()  # attributes holding NumPy arrays saved in the state dict

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any) -> Tensor:
        """The layer's computation; subclasses implement it (`module(x)` calls it)."""
        raise NotImplementedError

    def __call__(self, *args: Any) -> Tensor:
        return self.forward(*args)

    # ----------------------------------------------------------------- traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-module, in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> list[Module]:
        """The direct sub-modules."""
        return [child for _, child in self.named_children()]

    def modules(self) -> Iterator[Module]:
        """This module and every module below it, depth first."""
        yield self
        for child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, e.g. ("0.weight", ...)."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """Every parameter, in the order of `named_parameters` (what an optimizer takes)."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, array) for every buffer (e.g. BatchNorm's running statistics)."""
        for name in self._buffer_names:
            if getattr(self, name, None) is not None:
                yield prefix + name, getattr(self, name)
        for name, child in self.named_children():
            yield from child.named_buffers(f"{prefix}{name}.")

    # ----------------------------------------------------------------- modes and dtype
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch statistics) on this module and all below it."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout off, running statistics); `train(False)`."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None."""
        for p in self.parameters():
            p.grad = None

    def to(self, target: Any) -> Module:
        """Move parameters and buffers, in place, to a device ("cpu", "cuda") or convert them to a
        floating dtype (e.g. np.float64 for gradcheck). Parameters keep their identity, so build
        the optimizer after moving the model, as in PyTorch."""
        if isinstance(target, str):
            check_device(target)
            convert = lambda array: to_device(array, target)  # noqa: E731
        else:
            try:
                kind = np.dtype(target).kind
            except TypeError:
                kind = None
            if kind != "f":
                raise ValueError(f"Module.to: target must be a device ('cpu', 'cuda') or a "
                                 f"floating dtype, got {target!r}")  # fmt: skip
            convert = lambda array: array.astype(target) if array.dtype.kind == "f" else array  # noqa: E731
        for module in self.modules():
            for value in vars(module).values():
                if isinstance(value, Parameter):
                    converted = convert(value.data)
                    if converted is not value.data:
                        value.data, value.grad = converted, None
            for name in module._buffer_names:
                buffer = getattr(module, name, None)
                if buffer is not None:
                    setattr(module, name, convert(buffer))
        return self

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed by dotted name."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update({name: b.copy() for name, b in self.named_buffers()})
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy values in, all or nothing: every key, shape and dtype is checked and every value
        converted to its target's dtype before the first one is written, so an error changes
        nothing. Values may be arrays, lists, scalars or Tensors; integer and float values are
        converted (as torch's copy_), other dtypes are refused."""
        owner = "load_state_dict"
        check.instance(owner, "state", state, Mapping, "a mapping of names to arrays")
        strict = check.boolean(owner, "strict", strict)
        targets = {name: p.data for name, p in self.named_parameters()}
        targets.update(dict(self.named_buffers()))
        bad_keys = [k for k in state if not isinstance(k, str)]
        if bad_keys:
            raise TypeError(f"{owner}: keys must be strings, got {bad_keys[0]!r}")
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if strict and (missing or unexpected):
            raise KeyError(f"{owner}: missing keys {missing}, unexpected keys {unexpected}")
        staged = {}
        for name in sorted(targets.keys() & state.keys()):
            target, value = targets[name], state[name]
            value = check.unwrap(value)
            if not on_gpu(value):
                try:
                    value = np.asarray(value)
                except (ValueError, TypeError) as error:
                    raise TypeError(f"{owner}: {name!r} is not an array of numbers") from error
            if value.dtype.kind not in "biuf":
                raise TypeError(f"{owner}: {name!r} has dtype {value.dtype}, expected a real "
                                f"array convertible to {target.dtype}")  # fmt: skip
            if value.shape != target.shape:
                raise ValueError(f"{owner}: {name!r} has shape {value.shape}, the model expects "
                                 f"{target.shape}")  # fmt: skip
            staged[name] = to_device(value, device_of(target)).astype(target.dtype, copy=False)
        for name, value in staged.items():
            targets[name][...] = value

    def __repr__(self) -> str:
        children = [f"  ({name}): {child!r}".replace("\n", "\n  ") for name, child in
                    self.named_children()]  # fmt: skip
        inner = "\n" + "\n".join(children) + "\n" if children else self.extra_repr()
        return f"{type(self).__name__}({inner})"

    def extra_repr(self) -> str:
        """The layer's settings shown in its repr (empty by default)."""
        return ""


class Sequential(Module):
    """Apply modules in order: Sequential(a, b)(x) = b(a(x))."""

    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a Module")
        self.layers = list(layers)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """("0", first layer), ("1", second layer), ...: PyTorch's state-dict keys."""
        return ((str(i), layer) for i, layer in enumerate(self.layers))

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the layers in order."""
        for layer in self.layers:
            x = layer(x)
        return x


class Dense(Module):
    """y = x @ weight + bias, weight of shape (in_features, out_features).

    init="he" (default, for ReLU nets): weight ~ U(-sqrt(6 / in), sqrt(6 / in)) (He uniform);
    init="glorot": U(-sqrt(6 / (in + out)), +...) (Glorot/Xavier uniform, for tanh/sigmoid).
    The bias starts at zero (as in Keras). Only `weight` is penalized by default.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, init: str = "he"
    ) -> None:
        super().__init__()
        in_features = check.integer("Dense", "in_features", in_features, low=1)
        out_features = check.integer("Dense", "out_features", out_features, low=1)
        bias = check.boolean("Dense", "bias", bias)
        check.choice("Dense", "init", init, ("he", "glorot"))
        fans = {"he": in_features, "glorot": (in_features + out_features) / 2}
        limit = math.sqrt(3.0 / fans[init]) if init == "glorot" else math.sqrt(6.0 / fans[init])
        self.in_features, self.out_features = in_features, out_features
        weight = _random.generator().uniform(-limit, limit, (in_features, out_features))
        self.weight = Parameter(weight.astype(np.float32), regularize=True)
        self.bias = Parameter(np.zeros(out_features, dtype=np.float32)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """x @ weight + bias for x of shape (N, in_features)."""
        shape = np.shape(check.unwrap(x))
        if len(shape) != 2 or shape[1] != self.in_features:
            raise ValueError(f"{self!r}: expected input (N, {self.in_features}), got shape "
                             f"{shape}")  # fmt: skip
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """ "in, out, bias=..."."""
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """max(x, 0) elementwise."""

    elementwise = True  # acts on each feature alone (reg.prune relies on it)

    def forward(self, x: Tensor) -> Tensor:
        """max(x, 0)."""
        return x.relu()


class Tanh(Module):
    """tanh(x) elementwise."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """tanh(x)."""
        return x.tanh()


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """1 / (1 + exp(-x))."""
        return x.sigmoid()


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """x unchanged."""
        return x


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x (PyTorch's LeakyReLU)."""

    elementwise = True

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check.finite("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        """F.leaky_relu(x, negative_slope)."""
        return F.leaky_relu(x, self.negative_slope)


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1) (PyTorch's ELU)."""

    elementwise = True

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check.finite("ELU", "alpha", alpha)

    def forward(self, x: Tensor) -> Tensor:
        """F.elu(x, alpha)."""
        return F.elu(x, self.alpha)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear above threshold (PyTorch's Softplus)."""

    elementwise = True

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = check.finite("Softplus", "beta", beta, low=0.0, low_open=True)
        self.threshold = check.finite("Softplus", "threshold", threshold)

    def forward(self, x: Tensor) -> Tensor:
        """F.softplus(x, beta, threshold)."""
        return F.softplus(x, self.beta, self.threshold)


class SiLU(Module):
    """x * sigmoid(x) (PyTorch's SiLU, also called swish)."""

    elementwise = True

    def forward(self, x: Tensor) -> Tensor:
        """F.silu(x)."""
        return F.silu(x)


class GELU(Module):
    """x * Phi(x) with the exact normal CDF, or approximate="tanh" (PyTorch's GELU)."""

    elementwise = True

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check.choice("GELU", "approximate", approximate, ("none", "tanh"))

    def forward(self, x: Tensor) -> Tensor:
        """F.gelu(x, approximate)."""
        return F.gelu(x, self.approximate)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim` (PyTorch's Softmax)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = check.integer("Softmax", "dim", dim)

    def forward(self, x: Tensor) -> Tensor:
        """x.softmax(dim)."""
        return x.softmax(self.dim)


class LogSoftmax(Softmax):
    """x - logsumexp(x) along `dim` (PyTorch's LogSoftmax)."""

    def forward(self, x: Tensor) -> Tensor:
        """x.log_softmax(dim)."""
        return x.log_softmax(self.dim)


class GaussianNoise(Module):
    """Adds N(0, stddev^2) noise to every element while training (Keras's GaussianNoise);
    identity in eval mode. A regularizer for small data: the net cannot memorize exact inputs."""

    elementwise = True

    def __init__(self, stddev: float):
        super().__init__()
        self.stddev = check.finite("GaussianNoise", "stddev", stddev, low=0.0)

    def forward(self, x: Tensor) -> Tensor:
        """F.gaussian_noise(x, stddev, training)."""
        return F.gaussian_noise(x, self.stddev, self.training)

    def extra_repr(self) -> str:
        """ "stddev=..."."""
        return f"stddev={self.stddev}"


class GaussianDropout(Module):
    """Multiplies every element by N(1, rate / (1 - rate)) noise while training (Keras's
    GaussianDropout); identity in eval mode."""

    elementwise = True

    def __init__(self, rate: float):
        super().__init__()
        self.rate = check.number("GaussianDropout", "rate", rate, 0.0, 1.0, high_open=True)

    def forward(self, x: Tensor) -> Tensor:
        """F.gaussian_dropout(x, rate, training)."""
        return F.gaussian_dropout(x, self.rate, self.training)

    def extra_repr(self) -> str:
        """ "rate=..."."""
        return f"rate={self.rate}"


class Flatten(Module):
    """Flatten dimensions start_dim..end_dim into one (PyTorch's Flatten; by default
    (N, d1, d2, ...) -> (N, d1 * d2 * ...))."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = check.integer("Flatten", "start_dim", start_dim)
        self.end_dim = check.integer("Flatten", "end_dim", end_dim)

    def forward(self, x: Tensor) -> Tensor:
        """x with dimensions start_dim..end_dim merged."""
        ndim = max(x.ndim, 1)
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim "
                             f"{self.end_dim} for a {x.ndim}-d input")  # fmt: skip
        shape = x.shape
        merged = int(np.prod(shape[start : end + 1]))
        return x.reshape(*shape[:start], merged, *shape[end + 1 :])


class Dropout(Module):
    """Randomly zero units with probability p while training, scaling survivors by 1 / (1 - p):
    y = x * m / (1 - p), m ~ Bernoulli(1 - p). Identity in eval mode. p is the *drop* probability
    (PyTorch, Keras); the seed's formula uses the keep probability."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = check.number("Dropout", "p", p, 0.0, 1.0)

    def forward(self, x: Tensor) -> Tensor:
        """Dropout in training mode, the identity in eval mode."""
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        """ "p=..."."""
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalization of (N, C) input, PyTorch's BatchNorm1d semantics:
    y = weight * (x - mean_B) / sqrt(var_B + eps) + bias with the biased batch variance while
    training; running = (1 - momentum) * running + momentum * batch (unbiased variance);
    eval mode normalizes with running_mean and running_var. weight (gamma) starts at 1, bias
    (beta) at 0; neither is penalized by default."""

    _buffer_names = ("running_mean", "running_var")

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        super().__init__()
        owner = type(self).__name__
        num_features = check.integer(owner, "num_features", num_features, low=1)
        eps = check.finite(owner, "eps", eps, low=0.0, low_open=True)
        momentum = check.number(owner, "momentum", momentum, 0.0, 1.0)
        affine = check.boolean(owner, "affine", affine)
        track_running_stats = check.boolean(owner, "track_running_stats", track_running_stats)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(np.ones(num_features, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, np.float32)) if affine else None
        self.running_mean = np.zeros(num_features, np.float32) if track_running_stats else None
        self.running_var = np.ones(num_features, np.float32) if track_running_stats else None

    def forward(self, x: Tensor) -> Tensor:
        """Normalize (N, C) input with batch statistics (training) or running ones (eval)."""
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}): expected input (N, {self.num_features}), "
                f"got shape {x.shape}"
            )
        return self._normalize(x)

    def _normalize(self, x: Tensor) -> Tensor:
        use_batch = self.training or self.running_mean is None
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, self.momentum, self.eps)  # fmt: skip

    def extra_repr(self) -> str:
        """ "C, eps=..., momentum=..."."""
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm2d(BatchNorm1d):
    """Batch normalization of (N, C, H, W) input per channel, statistics over (N, H, W):
    PyTorch's BatchNorm2d (the same formulas and stable kernel as BatchNorm1d; the running
    variance's unbiased factor uses N * H * W values)."""

    def forward(self, x: Tensor) -> Tensor:
        """Normalize (N, C, H, W) input per channel."""
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d({self.num_features}): expected input (N, "
                             f"{self.num_features}, H, W), got shape {x.shape}")  # fmt: skip
        return self._normalize(x)


def _pair(owner: str, name: str, value: Any, low: int) -> tuple[int, int]:
    pair = check.pair(owner, name, value, kind="int")
    if min(pair) < low:
        raise check.fail(owner, name, f"an int >= {low} or a pair of them", value)
    return pair


class Conv2d(Module):
    """2-D convolution, PyTorch's Conv2d: weight (out_channels, in_channels, kh, kw), bias
    (out_channels,); see `functional.conv2d` for the formula. Initialized as PyTorch does:
    weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels * kh * kw. The
    weight is penalized by default (as Dense weights), the bias not."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, bias: bool = True):  # fmt: skip
        super().__init__()
        owner = "Conv2d"
        self.in_channels = check.integer(owner, "in_channels", in_channels, low=1)
        self.out_channels = check.integer(owner, "out_channels", out_channels, low=1)
        self.kernel_size = _pair(owner, "kernel_size", kernel_size, 1)
        self.stride = _pair(owner, "stride", stride, 1)
        self.dilation = _pair(owner, "dilation", dilation, 1)
        if isinstance(padding, str):
            check.choice(owner, "padding", padding, ("same", "valid"))
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got {stride!r}")
            self.padding: Any = padding
        else:
            self.padding = _pair(owner, "padding", padding, 0)
        bias = check.boolean(owner, "bias", bias)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        generator = _random.generator()
        self.weight = Parameter(generator.uniform(-bound, bound, shape).astype(np.float32),
                                regularize=True)  # fmt: skip
        self.bias = (Parameter(generator.uniform(-bound, bound, out_channels).astype(np.float32))
                     if bias else None)  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        """The convolution of (N, in_channels, H, W) input."""
        shape = np.shape(check.unwrap(x))
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ValueError(f"{self!r}: expected input (N, {self.in_channels}, H, W), got shape "
                             f"{shape}")  # fmt: skip
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        """ "in, out, kernel_size=..., stride=..., padding=..."."""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")  # fmt: skip


class MaxPool2d(Module):
    """Maximum over each kernel_size window, PyTorch's MaxPool2d (stride defaults to
    kernel_size; padding is -inf; the gradient goes to each window's first maximum)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0):
        super().__init__()
        self.kernel_size = _pair("MaxPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _pair("MaxPool2d", "stride",
                                                                    stride, 1)  # fmt: skip
        self.padding = _pair("MaxPool2d", "padding", padding, 0)

    def forward(self, x: Tensor) -> Tensor:
        """Window maxima of (N, C, H, W) input."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        """ "kernel_size=..., stride=..."."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class AvgPool2d(MaxPool2d):
    """Mean over each kernel_size window, PyTorch's AvgPool2d (count_include_pad=True)."""

    def forward(self, x: Tensor) -> Tensor:
        """Window means of (N, C, H, W) input."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Global average pooling (N, C, H, W) -> (N, C, 1, 1); only output_size=1."""

    def __init__(self, output_size: Any = 1):
        super().__init__()
        if _pair("AdaptiveAvgPool2d", "output_size", output_size, 1) != (1, 1):
            raise ValueError(f"AdaptiveAvgPool2d: only output_size=1 is implemented, got "
                             f"{output_size!r}")  # fmt: skip
        self.output_size = 1

    def forward(self, x: Tensor) -> Tensor:
        """The mean over H x W of each channel."""
        return F.adaptive_avg_pool2d(x, 1)


class Dropout2d(Dropout):
    """Drop whole channels with probability p while training (PyTorch's Dropout2d): one mask value
    per (sample, channel), survivors scaled by 1 / (1 - p); identity in eval mode."""

    def forward(self, x: Tensor) -> Tensor:
        """Channel dropout of (N, C, H, W) input."""
        return F.dropout2d(x, self.p, self.training)


# --------------------------------------------------------------------------- nn.utils
def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:  # fmt: skip
    """PyTorch's clip_grad_norm_: the norm of all gradients together,
    total = (sum_p ||g_p||^norm_type)^(1 / norm_type) (max |g| for norm_type=inf), and, when it
    exceeds max_norm, every gradient multiplied in place by max_norm / (total + 1e-6). Returns
    the total norm before clipping (a float; PyTorch returns a tensor)."""
    owner = "clip_grad_norm_"
    params = [p for p in _parameters(owner, parameters) if p.grad is not None]
    max_norm = check.finite(owner, "max_norm", max_norm, low=0.0)
    norm_type = check.number(owner, "norm_type", norm_type, low=0.0, low_open=True)
    if not params:
        return 0.0
    if math.isinf(norm_type):
        total = max(float(abs(p.grad).max()) if p.grad.size else 0.0 for p in params)
    else:
        total = sum(float((abs(p.grad.astype(np.float64)) ** norm_type).sum())
                    for p in params) ** (1.0 / norm_type)  # fmt: skip
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of the gradients is {total}")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for p in params:
            p.grad = p.grad * p.dtype.type(coefficient)
    return total


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """PyTorch's clip_grad_value_: every gradient clamped in place to [-clip_value, clip_value]."""
    clip_value = check.finite("clip_grad_value_", "clip_value", clip_value, low=0.0)
    for p in _parameters("clip_grad_value_", parameters):
        if p.grad is not None:
            p.grad = p.grad.clip(-clip_value, clip_value)


def _parameters(owner: str, parameters: Any) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    if isinstance(parameters, Module):
        raise TypeError(f"{owner}: parameters must be tensors, got a Module; pass "
                        "model.parameters()")  # fmt: skip
    items = list(parameters)
    for i, p in enumerate(items):
        check.instance(owner, f"parameters[{i}]", p, Tensor, "a Tensor")
    return items


utils = SimpleNamespace(clip_grad_norm_=clip_grad_norm_, clip_grad_value_=clip_grad_value_)
"""`nn.utils.clip_grad_norm_` and `nn.utils.clip_grad_value_`, under PyTorch's names."""
