"""Weight averaging with PyTorch's semantics (`optim.swa_utils`): stochastic weight averaging
(Izmailov et al., 2018) and exponential moving averages of the weights.

    AveragedModel(model):             avg = avg + (w - avg) / (n + 1)     (equal average, SWA)
    AveragedModel(model, decay=d):    avg = d * avg + (1 - d) * w         (EMA)

`update_parameters(model)` folds the model's current weights in (the first call copies them);
buffers (BatchNorm's running statistics) are not averaged, as PyTorch's default
use_buffers=False: recompute them for the averaged weights with `update_bn(X, averaged)`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..autograd import no_grad
from ..creation import tensor
from ..nn import BatchNorm1d, Module


class AveragedModel(Module):
    """A copy of `model` whose parameters are the running average of the model's (see the
    module docstring); calling it runs the averaged copy."""

    def __init__(self, model: Module, decay: float | None = None):
        super().__init__()
        check.instance("AveragedModel", "model", model, Module, "a tinyreg Module")
        self.decay = None if decay is None else check.number("AveragedModel", "decay", decay,
                                                              0.0, 1.0)  # fmt: skip
        self.module = copy.deepcopy(model)
        self.n_averaged = 0

    def update_parameters(self, model: Module) -> None:
        """Fold the model's current parameters into the average (the first call copies them)."""
        ours, theirs = self.module.parameters(), model.parameters()
        if len(ours) != len(theirs):
            raise ValueError("AveragedModel.update_parameters: the model does not match the copy")
        for avg, current in zip(ours, theirs, strict=True):
            if self.n_averaged == 0:
                avg.data[...] = current.data
            elif self.decay is None:
                avg.data += (current.data - avg.data) / avg.dtype.type(self.n_averaged + 1)
            else:
                avg.data *= avg.dtype.type(self.decay)
                avg.data += avg.dtype.type(1 - self.decay) * current.data
        self.n_averaged += 1

    def forward(self, *args: Any) -> Tensor:
        """The averaged model's output."""
        return self.module(*args)


def update_bn(data: Any, model: Module, batch_size: int = 64) -> None:
    """Recompute every BatchNorm layer's running statistics as the plain average over one pass
    of `data` (an array of inputs, or an iterable of batches or of (inputs, labels) pairs), in
    training mode, as PyTorch's update_bn does with momentum=None; the model's mode is restored.
    """
    layers = [m for m in model.modules() if isinstance(m, BatchNorm1d)]
    if not layers:
        return
    batch_size = check.integer("update_bn", "batch_size", batch_size, low=1)
    if isinstance(data, np.ndarray | Tensor):
        array = check.float_array("update_bn", "data", data)
        batches = [array[i : i + batch_size] for i in range(0, len(array), batch_size)]
    else:
        batches = [b[0] if isinstance(b, tuple | list) else b for b in data]
    saved = [(m.momentum, m.training) for m in layers]
    was_training = model.training
    for m in layers:
        m.running_mean[...] = 0
        m.running_var[...] = 1
    model.train()
    with no_grad():
        for k, xb in enumerate(batches, start=1):
            for m in layers:
                m.momentum = 1.0 / k  # running = running + (batch - running) / k
            model(tensor(xb))
    for m, (momentum, _) in zip(layers, saved, strict=True):
        m.momentum = momentum
    model.train(was_training)
