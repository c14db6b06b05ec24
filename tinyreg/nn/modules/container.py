"""Sequential: modules chained; state-dict keys "0.weight", "1.running_mean", ... as in PyTorch."""

from __future__ import annotations

from collections.abc import Iterator

from ..._tensor import Tensor
from .module import Module


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
