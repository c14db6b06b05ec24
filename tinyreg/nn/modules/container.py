"""Containers: Sequential, ModuleList and ModuleDict, PyTorch's, with its state-dict keys
("0.weight", "layers.1.running_mean", "heads.cls.bias").

A container's items are its children, held as attributes named "0", "1", ... (or by their keys),
so the Module's attribute discovery finds them as it finds any layer. Sequential is where layer
fusion is chosen (`tinyreg.nn.fusion`): BatchNorm -> ReLU (-> Dropout), and Conv2d -> ReLU, in a
row run as one op.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ... import validate as check
from .. import fusion
from ..functional.conv import conv2d_relu
from ..functional.normalization import batch_norm_relu
from .activation import ReLU
from .conv import Conv2d
from .dropout import Dropout
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d


def _index(owner: str, index: Any, length: int) -> int:
    """A list index in [-length, length) as a non-negative int, else an IndexError."""
    index = check.integer(owner, "index", index)
    if not -length <= index < length:
        raise IndexError(f"{owner}: index {index} is out of range for {length} modules")
    return index % length


class _Indexed(Module):
    """The list behaviour Sequential and ModuleList share: items in order, named "0", "1", ...
    (renumbered after a deletion or an insertion, as in PyTorch)."""

    def _renumber(self, modules: list[Module]) -> None:
        for name, _ in list(self._child_items()):
            delattr(self, name)
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def _checked(self, owner: str, module: Any) -> Module:
        return check.instance(owner, "module", module, Module, "a Module")

    def __len__(self) -> int:
        return sum(1 for _ in self._child_items())

    def __iter__(self) -> Iterator[Module]:
        return (module for _, module in self._child_items())

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._child_items())
        if isinstance(index, slice):
            return type(self)(OrderedDict(items[index]) if isinstance(self, Sequential) else
                              [module for _, module in items[index]])  # fmt: skip
        return items[_index(f"{type(self).__name__}[]", index, len(items))][1]

    def __setitem__(self, index: int, module: Module) -> None:
        owner = f"{type(self).__name__}[]"
        items = list(self._child_items())
        setattr(self, items[_index(owner, index, len(items))][0], self._checked(owner, module))

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self)
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_index(f"del {type(self).__name__}[]", index, len(modules))]
        self._renumber(modules)

    def append(self, module: Module) -> _Indexed:
        """Add `module` at the end; returns this container."""
        self.add_module(str(len(self)), self._checked(f"{type(self).__name__}.append", module))
        return self

    def extend(self, modules: Iterable[Module]) -> _Indexed:
        """Append each module of `modules`; returns this container."""
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before position `index` (negative counts from the end, as list's)."""
        modules = list(self)
        modules.insert(check.integer(f"{type(self).__name__}.insert", "index", index),
                       self._checked(f"{type(self).__name__}.insert", module))  # fmt: skip
        self._renumber(modules)

    def __iadd__(self, modules: Iterable[Module]) -> _Indexed:
        return self.extend(modules)


class Sequential(_Indexed):
    """Apply modules in order: Sequential(a, b)(x) = b(a(x)). Sequential(OrderedDict([("conv",
    a), ("act", b)])) names its children (state-dict keys "conv.weight"); otherwise they are
    "0", "1", ... as in PyTorch."""

    def __init__(self, *layers: Module | Mapping[str, Module]):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            items = list(layers[0].items())
        else:
            items = [(str(i), layer) for i, layer in enumerate(layers)]
        for name, layer in items:
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {name} is a {type(layer).__name__}, not a "
                                "Module")  # fmt: skip
        for name, layer in items:
            self.add_module(name, layer)

    def forward(self, x: Any) -> Any:
        """Apply the layers in order. While `tinyreg.nn.fusion` is on, BatchNorm1d/2d -> ReLU
        (-> Dropout) and Conv2d -> ReLU in a row run as one op each (`F.batch_norm_relu`,
        `F.conv2d_relu`; equal bit for bit)."""
        layers = list(self)
        i = 0
        while i < len(layers):
            taken, run = _fusable(layers, i) if fusion.is_enabled() else (0, None)
            if run is not None:
                x = run(layers[i : i + taken], x)
            else:
                x, taken = layers[i](x), 1
            i += taken
        return x


def _batch_norm_relu(layers: list[Module], x: Any) -> Any:
    """BatchNorm -> ReLU (-> Dropout) as one `batch_norm_relu` op; dropout only while the
    Dropout layer is training, as its own forward."""
    norm, drop = layers[0], (layers[2] if len(layers) == 3 else None)
    p = drop.p if drop is not None and drop.training else 0.0
    return batch_norm_relu(x, *norm._batch_norm_arguments(x), p=p)


def _conv2d_relu(layers: list[Module], x: Any) -> Any:
    """Conv2d -> ReLU as one `conv2d_relu` op."""
    return conv2d_relu(*layers[0]._conv_arguments(x))


# The patterns that fuse: the layer classes in order (the layers after the first `least` may be
# missing) and the function that runs them. Exact classes only, so a subclass with a forward of
# its own never runs the fused op in its place.
_PATTERNS = (
    (((BatchNorm1d, BatchNorm2d), (ReLU,), (Dropout,)), 2, _batch_norm_relu),
    (((Conv2d,), (ReLU,)), 2, _conv2d_relu),
)


def _fusable(layers: list[Module], i: int) -> tuple[int, Any]:
    """(how many layers from layers[i] on form a pattern, the function that runs them), or
    (0, None). A layer whose forward was replaced on the instance does not fuse."""
    for classes, least, run in _PATTERNS:
        n = 0
        while (n < len(classes) and i + n < len(layers) and type(layers[i + n]) in classes[n]
               and "forward" not in vars(layers[i + n])):  # fmt: skip
            n += 1
        if n >= least:
            return n, run
    return 0, None


class ModuleList(_Indexed):
    """A list of modules registered as children ("0", "1", ...), PyTorch's ModuleList: what a
    model holds its repeated blocks in (a plain Python list of layers would hide their
    parameters from `parameters()` and `state_dict()`). It has no forward; iterate over it."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """A ModuleList is not callable: iterate over it in the model's forward."""
        raise NotImplementedError("ModuleList has no forward: call its modules in a loop")


class ModuleDict(Module):
    """A dict of modules registered as children under their keys, PyTorch's ModuleDict (keys
    in insertion order; a key must be a string without ".", not taken by an attribute)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        value = vars(self).get(key) if isinstance(key, str) else None
        if not isinstance(value, Module):
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, module: Module) -> None:
        check.instance("ModuleDict[]", "module", module, Module, "a Module")
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - a KeyError for a key that is not a module
        delattr(self, key)

    def __len__(self) -> int:
        return sum(1 for _ in self._child_items())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and isinstance(vars(self).get(key), Module)

    def keys(self) -> list[str]:
        """The keys, in insertion order."""
        return [name for name, _ in self._child_items()]

    def values(self) -> list[Module]:
        """The modules, in insertion order."""
        return [module for _, module in self._child_items()]

    def items(self) -> list[tuple[str, Module]]:
        """(key, module) pairs, in insertion order."""
        return list(self._child_items())

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace entries from a mapping or from (key, module) pairs."""
        pairs = list(modules.items() if isinstance(modules, Mapping) else modules)
        for i, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise TypeError(f"ModuleDict.update: entry {i} must be a (key, module) pair, "
                                f"got {pair!r}")  # fmt: skip
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module:
        """Remove the entry `key` and return its module."""
        module = self[key]
        delattr(self, key)
        return module

    def clear(self) -> None:
        """Remove every entry."""
        for key in self.keys():
            delattr(self, key)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """A ModuleDict is not callable: call its modules by key in the model's forward."""
        raise NotImplementedError("ModuleDict has no forward: call its modules by key")
