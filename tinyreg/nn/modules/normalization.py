"""Batch normalization layers: BatchNorm1d, BatchNorm2d."""

from __future__ import annotations

import numpy as np

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module


class BatchNorm1d(Module):
    """Batch normalization of (N, C) or (N, C, L) input per channel (statistics over N, or over
    N and L), PyTorch's BatchNorm1d semantics:
    y = weight * (x - mean_B) / sqrt(var_B + eps) + bias with the biased batch variance while
    training; running = (1 - factor) * running + factor * batch (unbiased variance), where
    factor = momentum, or 1 / num_batches_tracked with momentum=None (a cumulative average);
    num_batches_tracked counts the training batches. Eval mode normalizes with running_mean and
    running_var (batch statistics when track_running_stats=False). weight (gamma) starts at 1,
    bias (beta) at 0; neither is penalized by default. Buffers: running_mean, running_var
    (float32) and num_batches_tracked (int64, shape ()), all in the state dict as in PyTorch.
    `bias=False` (keyword) keeps the scale without the shift, as PyTorch 2's."""

    _input = "(N, {c}) or (N, {c}, L)"
    _dims = (2, 3)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *,
                 bias: bool = True):  # fmt: skip
        super().__init__()
        owner = type(self).__name__
        num_features = check.integer(owner, "num_features", num_features, low=1)
        eps = check.finite(owner, "eps", eps, low=0.0, low_open=True)
        if momentum is not None:
            momentum = check.number(owner, "momentum", momentum, 0.0, 1.0)
        affine = check.boolean(owner, "affine", affine)
        track_running_stats = check.boolean(owner, "track_running_stats", track_running_stats)
        bias = check.boolean(owner, "bias", bias)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, np.float32)) if affine and bias else None
        tracked = track_running_stats
        self.register_buffer("running_mean", np.zeros(num_features, np.float32) if tracked
                             else None)  # fmt: skip
        self.register_buffer("running_var", np.ones(num_features, np.float32) if tracked else None)
        self.register_buffer("num_batches_tracked", np.array(0, np.int64) if tracked else None)

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0 (in place)."""
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        """Normalize per channel with batch statistics (training; the running ones are updated)
        or the running ones (eval)."""
        return F.batch_norm(x, *self._batch_norm_arguments(x))

    def _batch_norm_arguments(self, x: Tensor) -> tuple:
        """The arguments after x of `F.batch_norm` for this call: (running_mean, running_var,
        weight, bias, training, momentum factor, eps), after checking x's shape and, in
        training, counting the batch in num_batches_tracked (what `forward` and the fused
        BatchNorm -> ReLU path of `Sequential` share)."""
        shape = np.shape(check.unwrap(x))
        if len(shape) not in self._dims or shape[1] != self.num_features:
            expected = self._input.format(c=self.num_features)
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected input "
                             f"{expected}, got shape {shape}")  # fmt: skip
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or self.running_mean is None
        return (self.running_mean, self.running_var, self.weight, self.bias, use_batch, factor,
                self.eps)  # fmt: skip

    def extra_repr(self) -> str:
        """PyTorch's: "C, eps=..., momentum=..., affine=..., track_running_stats=..."."""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine="
                f"{self.affine}, track_running_stats={self.track_running_stats}")  # fmt: skip


class BatchNorm2d(BatchNorm1d):
    """Batch normalization of (N, C, H, W) input per channel, statistics over (N, H, W):
    PyTorch's BatchNorm2d (the same formulas, buffers and stable kernel as BatchNorm1d; the
    running variance's unbiased factor uses N * H * W values)."""

    _input = "(N, {c}, H, W)"
    _dims = (4,)
