"""Optimizer: parameter groups, per-parameter state, state_dict, post-step hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..device import (
    contiguous,
    on_gpu,
    to_device,
)
from ..nn.modules.module import Module
from ..nn.utils.parameters import parameter_list


class Proximal(Protocol):
    """What `prox=` takes: every `tinyreg.reg.Regularizer`, or an object of your own with these
    two methods. The optimizer knows nothing else of regularizers."""

    def applies_to(self, p: Tensor) -> bool:
        """Whether the proximal step touches parameter p."""

    def prox_step(self, params: list[Tensor], lr: float) -> None:
        """The proximal operator (or projection) after an update of step size lr, in place."""


def proximal_steps(optimizer: Optimizer, args: tuple, kwargs: dict) -> None:
    """The post-step hook every optimizer starts with: each group's `prox` items, in the order
    given, applied to the group's parameters they cover with the group's lr as step size."""
    for group in optimizer.param_groups:
        for prox in group.get("prox") or ():
            prox.prox_step([p for p in group["params"] if prox.applies_to(p)], group["lr"])


SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
"""Group entries the schedulers of `lr_scheduler` write (as PyTorch's do): kept in a group and
in its state_dict, so a schedule resumes from a loaded optimizer."""


class RemovableHandle:
    """What `register_step_post_hook` returns: `handle.remove()` unregisters the hook."""

    def __init__(self, hooks: dict[int, Callable], key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self._hooks.pop(self._key, None)


class Optimizer:
    """Holds parameter groups and per-parameter state; subclasses implement `_update`.

    Every hyperparameter is checked when the optimizer is built (and when a state dict is loaded),
    and every gradient's shape at `step()` before any parameter changes. After the update,
    `step()` runs the post-step hooks (PyTorch's `register_step_post_hook`), the first of which
    is `proximal_steps`: that is how `prox=` works without the optimizer importing `reg`."""

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
        for group in groups:
            self.add_param_group(group)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._step_post_hooks: dict[int, Callable] = {}
        self.register_step_post_hook(proximal_steps)

    def register_step_post_hook(self, hook: Callable[[Optimizer, tuple, dict], None]
                                ) -> RemovableHandle:  # fmt: skip
        """Call `hook(optimizer, args, kwargs)` after every `step()`, after the hooks registered
        before it (PyTorch's signature); returns a handle whose `remove()` unregisters it."""
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}.register_step_post_hook: hook must be "
                            f"callable, got {type(hook).__name__}")  # fmt: skip
        key = max(self._step_post_hooks, default=-1) + 1
        self._step_post_hooks[key] = hook
        return RemovableHandle(self._step_post_hooks, key)

    def _checked(self, group: dict[str, Any]) -> dict[str, Any]:
        """The group with its hyperparameters validated and in canonical form."""
        owner = type(self).__name__
        group = dict(group)
        for name in ("lr", "weight_decay", "momentum", "dampening", "eps", *SCHEDULER_KEYS):
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
                if not (
                    callable(getattr(item, "prox_step", None))
                    and callable(getattr(item, "applies_to", None))
                ):
                    raise TypeError(
                        f"{owner}: {name} must be a regularizer (tinyreg.reg.L1, ... "
                        "or any object with prox_step and applies_to), got a "
                        f"{type(item).__name__}"
                    )
            group["prox"] = tuple(items)
        return group

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every gradient to None (PyTorch's default, set_to_none=True), or to zeros in
        place with set_to_none=False."""
        set_to_none = check.boolean(f"{type(self).__name__}.zero_grad", "set_to_none",
                                    set_to_none)  # fmt: skip
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.zero_()

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, PyTorch's `add_param_group` (e.g. layers unfrozen while
        fine-tuning): `opt.add_param_group({"params": head.parameters(), "lr": 0.01})`. Options
        the group does not give come from `defaults`. It is checked as the constructor checks its
        groups, before anything changes: a 'params' entry, known options with valid values, and
        parameters that require grad and are in no group yet (PyTorch's ValueError for a
        parameter already present). As in the constructor, the optimizer keeps a checked copy
        of the dict (PyTorch keeps the dict itself), so edit `param_groups[-1]` afterwards."""
        owner, where = type(self).__name__, f"param_groups[{len(self.param_groups)}]"
        check.instance(owner, where, param_group, dict, "a dict with a 'params' entry")
        if "params" not in param_group:
            raise ValueError(f"{owner}: {where} has no 'params' entry")
        unknown = set(param_group) - set(self.defaults) - {"params", *SCHEDULER_KEYS}
        if unknown:
            raise ValueError(f"{owner}: {where}: unknown options {sorted(unknown)} (known: "
                             f"{sorted(self.defaults)})")  # fmt: skip
        members = param_group["params"]
        members = [members] if isinstance(members, Tensor) else members
        members = parameter_list(owner, "params", members)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
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
        self.param_groups.append(self._checked({**self.defaults, **param_group, "params": members}))

    def step(self) -> None:
        """Update every parameter that has a gradient, then run the post-step hooks (each group's
        `prox` first). All gradients are checked (shape) first, so a bad one changes no
        parameter."""
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
                    grad = contiguous(p.grad.data.astype(p.dtype, copy=False))
                    self._update(p, grad, group, self.state.setdefault(p, {}))
        for hook in list(self._step_post_hooks.values()):
            hook(self, (), {})

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]
                ) -> None:  # fmt: skip
        """One parameter's update, in place: p.data from its gradient array `grad` (same shape,
        dtype and device, C-contiguous), the group's hyperparameters and its own `state`."""
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
            unknown = set(saved) - set(self.defaults) - {"params", *SCHEDULER_KEYS}
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
