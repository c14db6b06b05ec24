"""Defining a differentiable op: `op(name, data, inputs, backward)`.

Every op of tinyreg (tinyreg/ops, nn.functional) computes its result eagerly and, when gradients
are wanted, records its inputs and a `backward` closure that maps the gradient of the result to
the gradients of the inputs (the vector-Jacobian product). The name is recorded on the node, so
an error in backward says which op it came from.
"""

from __future__ import annotations

from typing import Any

from .. import _tensor
from . import engine, grad_mode

Tensor = _tensor.Tensor


def op(name: str, data: Any, inputs: tuple, backward: engine.Backward,
       adds_into_grads: bool = False) -> Tensor:  # fmt: skip
    """The public way to define a differentiable op: returns the output tensor of op `name`.

    `data` is the forward's result (an array on the inputs' device); `inputs` the tensors (and
    constants) it was computed from; `backward(g)` maps the output's gradient g to a tuple with
    one gradient per input (None where there is none). The engine reduces broadcast gradients to
    each input's shape, casts them to its dtype, and, if a gradient cannot take that shape, raises
    an error naming the op. The graph is recorded only when an input requires grad and grad mode
    is on. Example, y = x^3:

        def cube(x):
            return op("cube", x.data**3, (x,), lambda g: (3 * x.data**2 * g,))

    With `adds_into_grads=True` the backward adds into its inputs' `.grad` itself (through
    `writable_grad`) and returns Nones; it runs after every other gradient has reached those
    leaves, so a fused kernel adds in place (the penalty op uses this).

    The time of recording is stamped on the output: if an in-place op changes the output or an
    input later, before `backward` reaches this op, backward raises PyTorch's "modified by an
    inplace operation" error instead of using changed values.
    """
    for hook in engine.HOOKS:
        hook.forward(name)
    out = Tensor.__new__(Tensor)  # the fields of `Tensor._leaf`, set here on the hot path
    out.data = data
    out._grad = None
    out._op = name
    out._deferred = adds_into_grads
    out._version = 0
    needs_grad = any(isinstance(p, Tensor) and p.requires_grad for p in inputs)
    if needs_grad and grad_mode.is_grad_enabled():
        out.requires_grad = True
        out._parents = tuple(p if isinstance(p, Tensor) else _CONSTANT for p in inputs)
        out._backward = backward
        out._stamp = engine.inplace_clock  # backward checks no input changed after this
    else:
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        out._stamp = 0
    return out


_CONSTANT = Tensor(0.0)  # stands in for a non-tensor operand in a recorded graph
