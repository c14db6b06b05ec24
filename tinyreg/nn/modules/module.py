"""Module: the base of every layer, a small PyTorch-shaped layer system.

A `Module` finds its parameters and sub-modules by looking at its attributes, so a layer is a
class with a `forward` and nothing to register; `add_module` and `register_buffer` are
PyTorch's explicit spellings. The state dict has PyTorch's keys, order and shapes, so the same
model built in PyTorch and in tinyreg exchanges weights as arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

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


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` returns (PyTorch's named tuple): the keys the model has and the
    state lacked, and the keys the state had and the model lacks (both empty when strict)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class: `forward` computes; parameters and children are found by attribute, buffers
    are the attributes named by `register_buffer`.

    Deliberate differences from PyTorch: `parameters()`, `buffers()` and `children()` return
    lists, not generators (use `next(iter(model.parameters()))`); buffers are held as arrays
    (NumPy, or CuPy on the GPU), not Tensors, and `state_dict()` holds copies of the arrays;
    `load_state_dict` raises KeyError for missing or unexpected keys and ValueError for a wrong
    shape (PyTorch raises RuntimeError for both), before anything is written.
    """

    def __init__(self) -> None:
        self.training = True
        self._persistent: dict[str, bool] = {}  # buffer name -> whether the state dict has it

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation; subclasses implement it (`module(x)` calls it)."""
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- registration
    def _check_name(self, owner: str, name: Any, registered: bool) -> None:
        """PyTorch's rules for a new attribute name: a non-empty string without ".", not taken
        by anything but a registration of the same kind."""
        if not isinstance(name, str):
            raise TypeError(f"{owner}: name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f'{owner}: name must be a non-empty string without ".", got {name!r}')
        if hasattr(self, name) and not registered:
            raise KeyError(f"{owner}: attribute {name!r} already exists")

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` as the child `name` (the same as `setattr(self, name, module)`;
        names such as "0" that are not identifiers work too). A name taken by anything but a
        module is a KeyError, as in PyTorch."""
        owner = f"{type(self).__name__}.add_module"
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{owner}: module must be a Module or None, got a "
                            f"{type(module).__name__}")  # fmt: skip
        self._check_name(owner, name, isinstance(vars(self).get(name), Module))
        setattr(self, name, module)

    register_module = add_module

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register `tensor` (a Tensor, an array, or None) as the buffer `name`: state that is
        not a parameter (BatchNorm's running statistics). It is moved by `to`, and saved in
        `state_dict` unless persistent=False. A Tensor is stored as its array (tinyreg's
        buffers are arrays); the attribute can be reassigned later and stays a buffer."""
        owner = f"{type(self).__name__}.register_buffer"
        if "_persistent" not in vars(self):
            raise AttributeError(f"{owner}: cannot assign a buffer before Module.__init__() "
                                 "call")  # fmt: skip
        if tensor is not None and not (isinstance(tensor, Tensor | np.ndarray) or on_gpu(tensor)):
            raise TypeError(f"{owner}: buffer {name!r} must be a Tensor, an array or None, got "
                            f"a {type(tensor).__name__}")  # fmt: skip
        persistent = check.boolean(owner, "persistent", persistent)
        self._check_name(owner, name, name in self._persistent)
        setattr(self, name, check.unwrap(tensor))
        self._persistent[name] = persistent

    # ----------------------------------------------------------------- traversal
    def _child_items(self) -> Iterator[tuple[str, Module]]:
        """(name, module) of every attribute holding a module, in assignment order."""
        return ((name, value) for name, value in vars(self).items() if isinstance(value, Module))

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-module, in assignment order (a module held twice
        is yielded once)."""
        seen = set()
        for name, child in self._child_items():
            if id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> list[Module]:
        """The direct sub-modules."""
        return [child for _, child in self.named_children()]

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:  # fmt: skip
        """(dotted name, module) for this module (`prefix`) and every module below it, depth
        first; a module reached twice is yielded once unless remove_duplicate=False (`memo`
        holds the ids of the modules already yielded)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)  # fmt: skip

    def modules(self) -> Iterator[Module]:
        """This module and every module below it, depth first, each once."""
        return (module for _, module in self.named_modules())

    def _own_buffers(self, persistent_only: bool = False) -> Iterator[tuple[str, Any]]:
        """(name, array) of this module's own buffers that are not None."""
        for name, persistent in vars(self).get("_persistent", {}).items():
            value = getattr(self, name, None)
            if value is not None and (persistent or not persistent_only):
                yield name, check.unwrap(value)

    def _named_members(self, members: Callable, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:  # fmt: skip
        """(dotted name, member) over this module (and those below it with recurse), each
        member once unless remove_duplicate=False; PyTorch's order: module by module."""
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])  # fmt: skip
        seen = set()
        for module_prefix, module in modules:
            for name, value in members(module):
                if remove_duplicate and id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, e.g. ("0.weight", ...); a parameter
        shared by two layers is listed once (so an optimizer updates it once)."""
        own = lambda m: ((n, v) for n, v in vars(m).items() if isinstance(v, Parameter))  # noqa: E731
        return self._named_members(own, prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> list[Parameter]:
        """Every parameter, in the order of `named_parameters` (what an optimizer takes)."""
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:  # fmt: skip
        """(dotted name, array) for every buffer, persistent or not (e.g. BatchNorm's running
        statistics and num_batches_tracked)."""
        return self._named_members(Module._own_buffers, prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> list[Any]:
        """Every buffer's array, in the order of `named_buffers`."""
        return [b for _, b in self.named_buffers(recurse=recurse)]

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every sub-module (children first, depth first) and then on this module, as
        PyTorch does (e.g. `model.apply(init_weights)`); returns this module."""
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}.apply: fn must be callable, got a "
                            f"{type(fn).__name__}")  # fmt: skip
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- modes, grads and dtype
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch statistics) on this module and, through
        each child's `train`, all below it; returns this module."""
        mode = check.boolean(f"{type(self).__name__}.train", "mode", mode)
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout off, running statistics); `train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set `requires_grad` of every parameter (False freezes the model); returns it."""
        requires_grad = check.boolean(f"{type(self).__name__}.requires_grad_", "requires_grad",
                                      requires_grad)  # fmt: skip
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's gradient to None (PyTorch's default), or with
        set_to_none=False to zeros in place."""
        set_to_none = check.boolean(f"{type(self).__name__}.zero_grad", "set_to_none",
                                    set_to_none)  # fmt: skip
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.zero_()

    def to(self, target: Any = None, dtype: Any = None, device: Any = None) -> Module:
        """Move parameters and buffers, in place, to a device ("cpu", "cuda" or a device object)
        and/or convert their floating arrays to a floating dtype (e.g. np.float64 for
        gradcheck); `target` may be either. Parameters keep their identity, so build the
        optimizer after moving the model, as in PyTorch (a moved parameter loses its grad)."""
        owner = f"{type(self).__name__}.to"
        converters = []
        for value in (target, device, dtype):
            if value is None:
                continue
            if isinstance(value, str):
                where = check_device(value)
                converters.append(lambda array, where=where: to_device(array, where))
                continue
            try:
                kind = np.dtype(value).kind
            except TypeError:
                kind = None
            if kind != "f":
                raise ValueError(f"{owner}: expected a device ('cpu', 'cuda') or a floating "
                                 f"dtype, got {value!r}")  # fmt: skip
            converters.append(lambda array, value=value: array.astype(value, copy=False)
                              if array.dtype.kind == "f" else array)  # fmt: skip
        for module in self.modules():
            for value in vars(module).values():
                if isinstance(value, Parameter):
                    converted = value.data
                    for convert in converters:
                        converted = convert(converted)
                    if converted is not value.data:
                        value.data, value.grad = converted, None
            for name, buffer in list(module._own_buffers()):
                for convert in converters:
                    buffer = convert(buffer)
                setattr(module, name, buffer)
        return self

    def cpu(self) -> Module:
        """Move parameters and buffers to the CPU (`to("cpu")`)."""
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Module:
        """Move parameters and buffers to the GPU (`to("cuda")`; tinyreg uses one GPU, so
        `device` may only name it: None, 0 or "cuda:0")."""
        if device not in (None, 0, "cuda", "cuda:0"):
            raise ValueError(f"{type(self).__name__}.cuda: tinyreg uses one GPU, device 0, got "
                             f"{device!r}")  # fmt: skip
        return self.to("cuda")

    def float(self) -> Module:
        """Convert floating parameters and buffers to float32 (`to(np.float32)`)."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Convert floating parameters and buffers to float64 (`to(np.float64)`)."""
        return self.to(np.float64)

    # ----------------------------------------------------------------- state
    def _state_arrays(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(key, live array) of every parameter and persistent buffer in PyTorch's state-dict
        order: a module's parameters, then its buffers, then each child's in turn (a module
        held in two places appears under both names, as in PyTorch)."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value.data
        for name, value in self._own_buffers(persistent_only=True):
            yield prefix + name, value
        for name, child in self._child_items():
            yield from child._state_arrays(f"{prefix}{name}.")

    def state_dict(self) -> dict[str, Any]:
        """Copies of every parameter and persistent buffer, keyed by dotted name, with the keys,
        order and shapes of the same model in PyTorch ("0.weight", "bn.running_mean",
        "bn.num_batches_tracked", ...)."""
        return {name: array.copy() for name, array in self._state_arrays()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values in, all or nothing: every key, shape and dtype is checked and every value
        converted to its target's dtype before the first one is written, so an error changes
        nothing. Values may be arrays, lists, scalars or Tensors (a PyTorch state dict too);
        integer and float values are converted (as torch's copy_), other dtypes are refused.
        Returns the missing and unexpected keys (empty when strict, where either is an error).
        """
        owner = "load_state_dict"
        check.instance(owner, "state", state, Mapping, "a mapping of names to arrays")
        strict = check.boolean(owner, "strict", strict)
        targets = dict(self._state_arrays())
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
                except (ValueError, TypeError, RuntimeError) as error:
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
        return IncompatibleKeys(missing, unexpected)

    def __repr__(self) -> str:
        lines = [self.extra_repr()] if self.extra_repr() else []
        lines += [f"({name}): {child!r}" for name, child in self._child_items()]
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not any(self._child_items()):
            return f"{type(self).__name__}({lines[0]})"
        inner = "\n".join("  " + line.replace("\n", "\n  ") for line in lines)
        return f"{type(self).__name__}(\n{inner}\n)"

    def extra_repr(self) -> str:
        """The layer's settings shown in its repr (empty by default)."""
        return ""
