"""Batch normalization layers: BatchNorm1d, BatchNorm2d."""

from __future__ import annotations

import numpy as np

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module


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
