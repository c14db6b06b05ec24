"""Dropout and noise: dropout, dropout2d, gaussian_noise, gaussian_dropout (counter-based masks
and noise from the kernels, seeded by `tinyreg.manual_seed`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import random as _random
from ... import validate as check
from ..._tensor import Tensor, as_tensor
from ...autograd.function import op
from ...device import array_module, contiguous, kernels_for
from .conv import as_images, floating


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: y = x * m / (1 - p) with m ~ Bernoulli(1 - p) per element.

    p is the probability of *dropping* a unit (PyTorch and Keras; the seed's formula writes p for
    the keep probability). Identity when not training or p = 0; zeros when p = 1. The mask is a
    pure function of (seed, call counter, element index) (kernels/rng.py), stored as one byte per
    element and reused by the backward pass.
    """
    p = check.number("dropout", "p", p, 0.0, 1.0)
    training = check.boolean("dropout", "training", training)
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    floating("dropout", "input", x)  # PyTorch refuses integers here too (identity otherwise)
    a = contiguous(x.data)
    y = np.empty_like(a)
    mask = np.empty_like(a, dtype=np.uint8)
    k = kernels_for(a)
    k.dropout_forward(a, y, mask, p, _random.next_key())

    def backward(g):
        g = contiguous(g)
        dx = np.empty_like(g)
        k.dropout_backward(g, mask, p, dx)
        return (dx,)

    return op("dropout", y, (x,), backward)


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Channel dropout (PyTorch's Dropout2d): y = x * m / (1 - p) with one m ~ Bernoulli(1 - p) per
    (sample, channel), shared by all H x W positions. The mask comes from the same counter-based
    generator as dropout. Identity when not training or p = 0."""
    p = check.number("dropout2d", "p", p, 0.0, 1.0)
    training = check.boolean("dropout2d", "training", training)
    x = as_images("dropout2d", x)
    if not training or p == 0.0:
        return x
    floating("dropout2d", "input", x)
    n, c = x.shape[:2]
    xp = array_module(x.data)
    ones = xp.ones((n, c), x.dtype)
    scale, mask = xp.empty_like(ones), xp.empty((n, c), np.uint8)
    kernels_for(ones).dropout_forward(ones, scale, mask, p, _random.next_key())
    return x * scale.reshape(n, c, 1, 1)


def _normal(x: Tensor) -> Any:
    """Standard normal numbers shaped like x, from the counter-based stream of this call."""
    z = array_module(x.data).empty(x.shape, x.dtype)
    kernels_for(z).normal_fill(z, _random.next_key())
    return z


def gaussian_noise(x: Tensor, stddev: float, training: bool = True) -> Tensor:
    """y = x + stddev * z with z ~ N(0, 1) per element while training (Keras's GaussianNoise);
    identity otherwise. The noise is counter-based like dropout masks."""
    stddev = check.finite("gaussian_noise", "stddev", stddev, low=0.0)
    x = as_tensor(x)
    if not check.boolean("gaussian_noise", "training", training) or stddev == 0:
        return x
    floating("gaussian_noise", "input", x)
    return x + _normal(x) * x.dtype.type(stddev)


def gaussian_dropout(x: Tensor, rate: float, training: bool = True) -> Tensor:
    """y = x * m with m ~ N(1, rate / (1 - rate)) per element while training (Keras's
    GaussianDropout: multiplicative noise with the variance of dropout at `rate`); identity
    otherwise. rate must lie in [0, 1)."""
    rate = check.number("gaussian_dropout", "rate", rate, 0.0, 1.0, high_open=True)
    x = as_tensor(x)
    if not check.boolean("gaussian_dropout", "training", training) or rate == 0:
        return x
    floating("gaussian_dropout", "input", x)
    stddev = math.sqrt(rate / (1 - rate))
    return x * (1 + _normal(x) * x.dtype.type(stddev))
