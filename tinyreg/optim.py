"""Optimizers with PyTorch's semantics and defaults: SGD, Adam, AdamW.

Each `step()` runs one fused kernel per parameter (see kernels/optim.py for the formulas):
SGD with momentum, dampening, Nesterov and *coupled* weight decay (g += wd * w, which equals an
L2 penalty with lam = wd); Adam (decay coupled into g, as in PyTorch) and AdamW (decoupled:
w *= 1 - lr * wd before the Adam step on the raw gradient).

`params` is a list of tensors or a list of groups (dicts with "params" and any hyper-parameter to
override), e.g. to exempt biases from weight decay. `SGD(prox=reg.L1(...))` applies the penalty's
proximal step after each update (ISTA), to the parameters the penalty selects (by default Dense
weights); this is what drives weights to exactly zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import kernels
from .device import on_gpu, to_device
from .reg import Penalty
from .tensor import Tensor


class Optimizer:
    """Holds parameter groups and per-parameter state; subclasses implement `_update`."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            unknown = set(group) - set(defaults) - {"params"}
            if unknown:
                raise ValueError(f"{type(self).__name__}: unknown group options {sorted(unknown)}")
            full = {**defaults, **group, "params": list(group["params"])}
            self._validate(full)
            self.param_groups.append(full)
        self.state: dict[Tensor, dict[str, Any]] = {}

    def _validate(self, group: dict[str, Any]) -> None:
        for name in ("lr", "weight_decay", "momentum", "dampening", "eps"):
            value = group.get(name, 0.0)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a finite number >= 0, "
                                 f"got {value!r}")  # fmt: skip
        for beta in group.get("betas", ()):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{type(self).__name__}: betas must lie in [0, 1), got {beta}")
        for p in group["params"]:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: every parameter must be a tensor "
                                 "with requires_grad=True")  # fmt: skip

    def zero_grad(self) -> None:
        """Set every gradient to None (PyTorch's default, set_to_none=True)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, group, self.state.setdefault(p, {}))
            prox = group.get("prox")
            if prox is not None:
                prox.prox_step([p for p in group["params"] if prox.applies_to(p)], group["lr"])

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: value}}, "param_groups": [...]} with parameters as indices."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index[p] = len(index)
                ids.append(index[p])
            groups.append({**{k: v for k, v in group.items() if k not in ("params", "prox")},
                           "params": ids})  # fmt: skip
        state = {
            index[p]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
            for p, s in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"])
            for g, own in zip(groups, self.param_groups, strict=True)
        ):
            raise ValueError("load_state_dict: parameter groups do not match this optimizer")
        params = [p for group in self.param_groups for p in group["params"]]
        for own, saved in zip(self.param_groups, groups, strict=True):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {
            params[int(i)]: {k: (_like(params[int(i)], v) if np.ndim(v) else v)
                             for k, v in s.items()}
            for i, s in state_dict["state"].items()
        }  # fmt: skip


def _like(param: Tensor, value: Any) -> Any:
    """A saved state array as a fresh array of the parameter's dtype, on its device."""
    moved = to_device(value if on_gpu(value) else np.asarray(value), param.device)
    return moved.astype(param.dtype, copy=True)


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule (see kernels/optim.py):
    d = g + wd * w
    b = mu * b + (1 - dampening) * d      (b = d at the first step)
    d = b, or d + mu * b with Nesterov
    w = w - lr * d, then with prox= the penalty's proximal step."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        prox: Penalty | None = None,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay, prox=prox)  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        first = "momentum_buffer" not in state
        if first:
            state["momentum_buffer"] = (
                np.empty_like(p.data) if group["momentum"] else np.empty_like(p.data, shape=(0,))
            )
        kernels.for_array(p.data).sgd_step(
            p.data, p.grad, state["momentum_buffer"], group["lr"], group["momentum"],
            group["dampening"], group["weight_decay"], group["nesterov"], first,
        )  # fmt: skip


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's defaults; weight_decay is coupled (added to g).
    amsgrad is not implemented."""

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay))  # fmt: skip

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        beta1, beta2 = group["betas"]
        kernels.for_array(p.data).adam_step(
            p.data, p.grad, state["exp_avg"], state["exp_avg_sq"], group["lr"], beta1, beta2,
            group["eps"], group["weight_decay"], self._decoupled, state["step"],
        )  # fmt: skip


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter): w *= 1 - lr * wd, then Adam on the raw gradient.
    PyTorch's default weight_decay=0.01."""

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        super().__init__(params, lr, betas, eps, weight_decay)
