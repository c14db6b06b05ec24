"""Automatic differentiation: the machinery behind `Tensor.backward`.

- `grad_mode`: `no_grad`, `enable_grad`, `set_grad_enabled` and `is_grad_enabled` (whether ops
  record the graph, per thread);
- `function`: `op(name, data, inputs, backward)`, how every differentiable op is defined;
- `engine`: the reverse walk over the graph, broadcast reduction, gradient accumulation, and
  the hooks an observer (the profiler) registers in;
- `gradcheck`: the float64 finite-difference check of any op's gradient.

The Tensor class itself lives in `tinyreg/_tensor.py`, its ops in `tinyreg/ops/`.
"""

from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]
