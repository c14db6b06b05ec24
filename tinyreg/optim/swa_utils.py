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
        """Fold the model's current parameters into the average (the first call copies them).
        Every parameter's name, shape and dtype is checked against the copy before any is
        averaged, so a model of another architecture changes nothing."""
        owner = "AveragedModel.update_parameters"
        check.instance(owner, "model", model, Module, "a tinyreg Module")
        ours, theirs = list(self.module.named_parameters()), list(model.named_parameters())
        mine = [(name, p.shape, p.dtype) for name, p in ours]
        given = [(name, p.shape, p.dtype) for name, p in theirs]
        if mine != given:
            wrong = next((g for m, g in zip(mine, given, strict=False) if m != g), None)
            raise ValueError(f"{owner}: model must have the averaged copy's parameters "
                             f"({len(mine)}: {mine[:3]}...), got {len(given)} that differ "
                             f"first at {wrong}")  # fmt: skip
        for (_, avg), (_, current) in zip(ours, theirs, strict=True):
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
    training mode, as PyTorch's update_bn does with momentum=None. All or nothing: every batch is
    checked (a float array without NaN/Inf, more than one row) before any statistic changes, and
    if the model fails on a batch (e.g. the wrong feature count) the running statistics, momenta
    and every module's training mode are put back before the error propagates; on success the
    momenta and modes are restored too."""
    owner = "update_bn"
    check.instance(owner, "model", model, Module, "a tinyreg Module")
    layers = [m for m in model.modules() if isinstance(m, BatchNorm1d)]
    batch_size = check.integer(owner, "batch_size", batch_size, low=1)
    if isinstance(data, np.ndarray | Tensor):
        array = check.float_array(owner, "data", data)
        batches = [array[i : i + batch_size] for i in range(0, len(array), batch_size)]
    else:
        batches = [check.float_array(owner, f"data batch {k}", b[0] if isinstance(b, tuple | list)
                                     else b) for k, b in enumerate(data)]  # fmt: skip
    if not layers:
        return
    if not batches or any(b.ndim == 0 or len(b) < 2 for b in batches):
        sizes = [b.shape for b in batches]
        raise ValueError(f"{owner}: data must be batches of more than one row (BatchNorm "
                         f"expects more than 1 value per channel when training), got batch "
                         f"shapes {sizes[:5]}")  # fmt: skip
    saved = [(m.momentum, m.running_mean.copy(), m.running_var.copy()) for m in layers]
    modes = [(m, m.training) for m in model.modules()]
    done = False
    try:
        for m in layers:
            m.running_mean[...] = 0
            m.running_var[...] = 1
        model.train()
        with no_grad():
            for k, xb in enumerate(batches, start=1):
                for m in layers:
                    m.momentum = 1.0 / k  # running = running + (batch - running) / k
                model(tensor(xb))
        done = True
    finally:
        for m, (momentum, mean, var) in zip(layers, saved, strict=True):
            m.momentum = momentum
            if not done:
                m.running_mean[...] = mean
                m.running_var[...] = var
        for m, training in modes:
            m.training = training
