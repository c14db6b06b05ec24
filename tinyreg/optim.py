"""Optimizers with PyTorch's semantics and defaults: SGD, Adam, AdamW.

Each `step()` runs one fused kernel per parameter (see kernels/optim.py for the formulas):
SGD with momentum, dampening, Nesterov and *coupled* weight decay (g += wd * w, which equals an
L2 penalty with lam = wd); Adam (decay coupled into g, as in PyTorch) and AdamW (decoupled:
w *= 1 - lr * wd before the Adam step on the raw gradient).

`params` is a list of tensors or a list of groups (dicts with "params" and any hyper-parameter to
override), e.g. to exempt biases from weight decay. `prox=` (on SGD, Adam and AdamW) takes a
penalty or constraint from tinyreg.reg, or a list of them applied in order, after each update, to
the parameters each selects (by default Dense and Conv2d weights): `SGD(prox=reg.L1(...))` is ISTA
and drives weights to exactly zero; `prox=[reg.GroupLasso(lam), reg.MaxNorm(3)]` zeroes units and
caps norms. With Adam the proximal step uses the group's lr as its step size (proximal SGD's rule;
not an exact proximal operator in Adam's metric).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from . import lr_scheduler, swa_utils  # noqa: F401  (optim.lr_scheduler, optim.swa_utils)
from . import validate as check
from .device import contiguous, kernels_for, on_gpu, to_device
from .nn import Module
from .reg import Regularizer, parameter_list
from .tensor import Tensor


class Optimizer:
    """Holds parameter groups and per-parameter state; subclasses implement `_update`.

    Every hyperparameter is checked when the optimizer is built (and when a state dict is loaded),
    and every gradient's shape at `step()` before any parameter changes."""

    _state_keys: tuple = ()  # the names of one parameter's state, e.g. ("momentum_buffer",)

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]):
        owner = type(self).__name__
        if isinstance(params, Module | Tensor | dict) or not isinstance(params, Iterable):
            hint = "; pass model.parameters()" if isinstance(params, Module) else ""
            raise TypeError(f"{owner}: params must be an iterable of tensors or of dicts, got "
                            f"a {type(params).__name__}{hint}")  # fmt: skip
        params = list(params)
        if not params:
            raise ValueError(f"{owner}: got an empty parameter list")
        grouped = isinstance(params[0], dict)
        if any(isinstance(p, dict) != grouped for p in params):
            raise TypeError(f"{owner}: params must be all tensors or all dicts, not a mix")
        groups = params if grouped else [{"params": params}]
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        seen: set[int] = set()
        for i, group in enumerate(groups):
            where = f"{owner}: param_groups[{i}]"
            if "params" not in group:
                raise ValueError(f"{where} has no 'params' entry")
            unknown = set(group) - set(defaults) - {"params"}
            if unknown:
                raise ValueError(f"{where}: unknown options {sorted(unknown)} (known: "
                                 f"{sorted(defaults)})")  # fmt: skip
            members = group["params"]
            members = [members] if isinstance(members, Tensor) else members
            members = parameter_list(owner, "params", members)
            for p in members:
                if not p.requires_grad:
                    raise ValueError(f"{owner}: every parameter must require grad; got a tensor "
                                     f"of shape {p.shape} with requires_grad=False")  # fmt: skip
                if id(p) in seen:
                    raise ValueError(
                        f"{owner}: a parameter of shape {p.shape} appears more than "
                        "once (in one group or in two); give each parameter once"
                    )
                seen.add(id(p))
            self.param_groups.append(self._checked({**defaults, **group, "params": members}))
        self.state: dict[Tensor, dict[str, Any]] = {}

    def _checked(self, group: dict[str, Any]) -> dict[str, Any]:
        """The group with its hyperparameters validated and in canonical form."""
        owner = type(self).__name__
        group = dict(group)
        for name in ("lr", "weight_decay", "momentum", "dampening", "eps"):
            if name in group:
                group[name] = check.finite(owner, name, group[name], low=0.0)
        if "nesterov" in group:
            group["nesterov"] = check.boolean(owner, "nesterov", group["nesterov"])
        if "betas" in group:
            betas = group["betas"]
            if not isinstance(betas, tuple | list) or len(betas) != 2:
                raise check.fail(owner, "betas", "a pair (beta1, beta2)", betas)
            group["betas"] = tuple(
                check.number(owner, f"betas[{i}]", b, 0.0, 1.0, high_open=True)
                for i, b in enumerate(betas)
            )
        prox = group.get("prox")
        if prox is not None:
            items = list(prox) if isinstance(prox, list | tuple) else [prox]
            for i, item in enumerate(items):
                name = f"prox[{i}]" if isinstance(prox, list | tuple) else "prox"
                check.instance(owner, name, item, Regularizer,
                               "a tinyreg.reg penalty or constraint")  # fmt: skip
            group["prox"] = tuple(items)
        return group

    def zero_grad(self) -> None:
        """Set every gradient to None (PyTorch's default, set_to_none=True)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, then apply each group's `prox`. All
        gradients are checked (shape) first, so a bad one changes no parameter."""
        owner = f"{type(self).__name__}.step"
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and p.grad.shape != p.shape:
                    raise ValueError(f"{owner}: a parameter of shape {p.shape} has a gradient of "
                                     f"shape {p.grad.shape}")  # fmt: skip
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.data = contiguous(p.data)  # the kernels update in place
                    if p.grad.dtype != p.dtype or not p.grad.flags.c_contiguous:
                        p.grad = contiguous(p.grad.astype(p.dtype, copy=False))
                    self._update(p, group, self.state.setdefault(p, {}))
            for prox in group.get("prox") or ():  # in the order given
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

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a `state_dict()`, all or nothing: the groups' sizes and hyperparameters, and every
        state entry's name, shape and dtype are checked and converted before anything is set."""
        owner = f"{type(self).__name__}.load_state_dict"
        check.instance(owner, "state_dict", state_dict, Mapping, "a mapping")
        if set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{owner}: expected the keys 'state' and 'param_groups', got "
                             f"{sorted(map(str, state_dict))}")  # fmt: skip
        groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if (
            not isinstance(groups, list | tuple)
            or len(groups) != len(self.param_groups)
            or any(
                not isinstance(g, Mapping) or len(g.get("params", ())) != len(own["params"])
                for g, own in zip(groups, self.param_groups, strict=False)
            )
        ):
            raise ValueError(f"{owner}: parameter groups do not match this optimizer "
                             f"({[len(g['params']) for g in self.param_groups]} parameters "
                             "per group)")  # fmt: skip
        new_groups = []
        for own, saved in zip(self.param_groups, groups, strict=True):
            unknown = set(saved) - set(self.defaults) - {"params"}
            if unknown:
                raise ValueError(f"{owner}: unknown group options {sorted(unknown)}")
            options = {k: v for k, v in saved.items() if k != "params"}
            new_groups.append(self._checked({**own, **options}))
        params = [p for group in self.param_groups for p in group["params"]]
        check.instance(owner, "state_dict['state']", saved_state, Mapping, "a mapping")
        new_state = {}
        for key, entry in saved_state.items():
            i = check.integer(owner, "a state index", key, 0, len(params) - 1)
            check.instance(owner, f"state[{i}]", entry, Mapping, "a mapping")
            if set(entry) != set(self._state_keys):
                raise ValueError(f"{owner}: state[{i}] has entries {sorted(entry)}, expected "
                                 f"{sorted(self._state_keys)}")  # fmt: skip
            new_state[params[i]] = {
                name: self._state_value(owner, i, name, value, params[i], new_groups)
                for name, value in entry.items()
            }
        self.param_groups, self.state = new_groups, new_state

    def _state_value(self, owner: str, i: int, name: str, value: Any, param: Tensor,
                     groups: list[dict[str, Any]]) -> Any:  # fmt: skip
        """One saved state entry, checked and converted (arrays to the parameter's dtype and
        device)."""
        if name == "step":
            return check.integer(owner, f"state[{i}]['step']", value, low=0)
        value = check.unwrap(value)
        array = value if on_gpu(value) else np.asarray(value)
        if array.dtype.kind not in "iuf":
            raise TypeError(f"{owner}: state[{i}][{name!r}] has dtype {array.dtype}, expected "
                            "real numbers")  # fmt: skip
        allowed = {param.shape} | ({(0,)} if name == "momentum_buffer" else set())
        if array.shape not in allowed:
            raise ValueError(f"{owner}: state[{i}][{name!r}] has shape {array.shape}, the "
                             f"parameter has shape {param.shape}")  # fmt: skip
        return _like(param, array)


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
        prox: Regularizer | Sequence[Regularizer] | None = None,
    ):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay, prox=prox)  # fmt: skip
        super().__init__(params, defaults)

    _state_keys = ("momentum_buffer",)

    def _checked(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._checked(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )
        return group

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        buffer = state.get("momentum_buffer")
        first = buffer is None or (group["momentum"] != 0 and buffer.shape != p.shape)
        if first:
            state["momentum_buffer"] = (
                np.empty_like(p.data) if group["momentum"] else np.empty_like(p.data, shape=(0,))
            )
        kernels_for(p.data).sgd_step(
            p.data, p.grad, state["momentum_buffer"], group["lr"], group["momentum"],
            group["dampening"], group["weight_decay"], group["nesterov"], first,
        )  # fmt: skip


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's defaults; weight_decay is coupled (added to g).
    amsgrad is not implemented."""

    _decoupled = False
    _state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        prox: Regularizer | Sequence[Regularizer] | None = None,
    ):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      prox=prox))  # fmt: skip

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        beta1, beta2 = group["betas"]
        kernels_for(p.data).adam_step(
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
        prox: Regularizer | Sequence[Regularizer] | None = None,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, prox)
