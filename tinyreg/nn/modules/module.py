"""Module: the base of every layer, a small PyTorch-shaped layer system.

A `Module` finds its parameters, buffers and sub-modules by looking at its attributes, so a layer
is a class with a `forward` and nothing to register.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor
from ...device import (
    check_device,
    device_of,
    on_gpu,
    to_device,
)
from ..parameter import Parameter


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
