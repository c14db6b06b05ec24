"""The backward engine: one reverse walk over the recorded graph.

`backward(root, grad)` visits the nodes in reverse topological order (iteratively, so a chain of
10,000 ops does not hit Python's recursion limit), calls each node's backward closure, reduces
broadcast gradients back to each parent's shape in one place (`unbroadcast`), casts them to the
parent's dtype, and accumulates into the `.grad` of leaf tensors (a Tensor, added into in place)
across calls until they are cleared (as PyTorch does). Intermediate tensors keep no `.grad`.
In-place ops tick one clock (`inplace_clock`) and stamp the tensor they change; each op is
stamped with the clock when it is recorded. Before a node's backward runs, a node whose output or
input was stamped later is PyTorch's "modified by an inplace operation" error (tinyreg checks
every input; PyTorch only those the backward needs). Reading the clock is all that recording
costs, and the check runs only for nodes recorded before the clock's last tick. A node with
`adds_into_grads=True` (the penalty's fused kernel) runs last, when its leaves' gradients exist,
so it adds into them in place.

Observers (the profiler) register in `HOOKS`: each gets `forward(op)` when an op records its
output, `backward(op, seconds)` per backward closure, and `bookkeeping(seconds)` for the rest of
a backward pass. With no observer, nothing is timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np


class EngineHook(Protocol):
    """What the engine reports to an observer (`tinyreg.profiler.Profile` is one)."""

    def forward(self, op: str) -> None:
        """An op named `op` has recorded its output."""

    def backward(self, op: str, seconds: float) -> None:
        """The backward closure of `op` took `seconds`."""

    def bookkeeping(self, seconds: float) -> None:
        """A backward pass spent `seconds` outside the closures."""


Backward = Callable[[np.ndarray], tuple]  # an op's vector-Jacobian product: g -> input grads
HOOKS: list[EngineHook] = []  # observers of every op and backward pass, in registration order
inplace_clock = 0  # ticks at every in-place op (`tick`)


def tick() -> int:
    """The next time of the in-place clock, for a tensor an in-place op has just changed."""
    global inplace_clock
    inplace_clock += 1
    return inplace_clock


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` over the axes along which an input of `shape` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _fit(grad: Any, shape: tuple, name: str, index: int) -> Any:
    """`unbroadcast(grad, shape)`, or an error naming the op whose backward gave a gradient that
    cannot belong to an input of `shape`."""
    try:
        fitted = unbroadcast(grad, shape)
    except ValueError:
        fitted = None
    if fitted is None or fitted.shape != shape:
        raise RuntimeError(f"backward of {name}: the gradient for input {index} has shape "
                           f"{np.shape(grad)}, which does not reduce to the input's shape "
                           f"{shape}")  # fmt: skip
    return fitted


def backward(root: Any, grad: Any) -> None:
    """Accumulate d(root)/d(leaf) * grad into the `.grad` of every leaf that requires grad;
    `grad` is an array of root's shape and dtype (`Tensor.backward` checks it)."""
    observed = bool(HOOKS)
    started, in_closures = time.perf_counter() if observed else 0.0, 0.0
    pending = {id(root): (grad, False)}  # id -> (gradient, owned by the engine?)
    clock = inplace_clock
    deferred = []
    for node in _topological_order(root):
        entry = pending.pop(id(node), None)
        if entry is None:  # only reached through ops that wrote its gradient themselves
            continue
        g, owned = entry
        if node._backward is None:
            node._accumulate_grad(g, owned)
            continue
        if node._stamp < clock:  # an in-place op ran after this op was recorded
            _check_versions(node)
        if node._deferred:
            deferred.append((node, g))  # after the leaves have their gradients
            continue
        grads, seconds = _call_backward(node, g, observed)
        in_closures += seconds
        if len(grads) != len(node._parents):
            raise RuntimeError(f"backward of {node._op}: returned {len(grads)} gradients "
                               f"for {len(node._parents)} inputs")  # fmt: skip
        for i, (parent, pg) in enumerate(zip(node._parents, grads, strict=True)):
            if pg is None or not parent.requires_grad:
                continue
            if pg.shape != parent.data.shape:
                pg = _fit(pg, parent.data.shape, node._op, i)
            if pg.dtype != parent.data.dtype:
                pg = pg.astype(parent.data.dtype)
            key = id(parent)
            if key in pending:
                pending[key] = (pending[key][0] + pg, True)
            else:  # a fresh array the closure made is ours; g itself or a view is not
                pending[key] = (pg, pg is not g and pg.flags.owndata)
    for node, g in deferred:
        in_closures += _call_backward(node, g, observed)[1]
    if observed:
        outside = time.perf_counter() - started - in_closures
        for hook in HOOKS:
            hook.bookkeeping(outside)


def _call_backward(node: Any, g: Any, observed: bool) -> tuple[tuple, float]:
    """node's backward closure on g and the seconds it took (reported to the hooks when
    `observed`; 0.0 otherwise, with no clock read)."""
    if not observed:
        return node._backward(g), 0.0
    start = time.perf_counter()
    grads = node._backward(g)
    seconds = time.perf_counter() - start
    for hook in HOOKS:
        hook.backward(node._op, seconds)
    return grads, seconds


def _topological_order(root: Any) -> list:
    """Nodes that require grad, each after every node that depends on it (iterative DFS)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _check_versions(node: Any) -> None:
    """An error if node's output or an input was changed in place after the op was recorded."""
    stamp = node._stamp
    if node._version <= stamp and all(p._version <= stamp for p in node._parents):
        return
    k = 0 if node._version > stamp else next(
        i + 1 for i, p in enumerate(node._parents) if p._version > stamp
    )  # fmt: skip
    changed = node if k == 0 else node._parents[k - 1]
    role = "its output" if k == 0 else f"its input {k - 1}"
    raise RuntimeError(f"backward of {node._op}: one of the variables needed for gradient "
                       f"computation has been modified by an inplace operation: {role}, of shape "
                       f"{changed.data.shape}, was changed in place after the op used it. "
                       "Compute it again after the change, or use the out-of-place op (x = x + y "
                       "instead of x += y)")  # fmt: skip
