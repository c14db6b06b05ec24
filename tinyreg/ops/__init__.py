"""The ops of the Tensor, grouped by kind, each op's forward and backward together:

    elementwise.py   + - * / ** neg, exp log sqrt abs relu tanh sigmoid ..., comparisons,
                     where/maximum/minimum, clip/clamp/masked_fill, astype/to/clone
    reduction.py     sum mean max min argmax argmin var std prod cumsum logsumexp norm,
                     softmax log_softmax
    shape.py         reshape view permute transpose squeeze unsqueeze flatten expand repeat,
                     indexing, gather, split chunk, concatenate stack, contiguous
    matmul.py        a @ b

Each op is a function whose first argument is a tensor; `METHODS` below binds them to the Tensor
class under PyTorch's method names (`x.exp()` is `elementwise.exp(x)`, `x + y` is
`elementwise.add(x, y)`). This table is the one place a method name meets its function.
"""

from .._tensor import Tensor
from . import elementwise, matmul, reduction, shape

METHODS = {
    # arithmetic and comparisons (Python's operators)
    "__add__": elementwise.add,
    "__radd__": elementwise.add,
    "__sub__": elementwise.sub,
    "__rsub__": elementwise.rsub,
    "__mul__": elementwise.mul,
    "__rmul__": elementwise.mul,
    "__truediv__": elementwise.div,
    "__rtruediv__": elementwise.rdiv,
    "__neg__": elementwise.neg,
    "__pow__": elementwise.pow,
    "__rpow__": elementwise.rpow,
    "__lt__": elementwise.lt,
    "__le__": elementwise.le,
    "__gt__": elementwise.gt,
    "__ge__": elementwise.ge,
    "__matmul__": matmul.matmul,
    "__rmatmul__": matmul.rmatmul,
    "__getitem__": shape.getitem,
    # elementwise
    "exp": elementwise.exp,
    "log": elementwise.log,
    "sqrt": elementwise.sqrt,
    "abs": elementwise.abs,
    "relu": elementwise.relu,
    "tanh": elementwise.tanh,
    "sigmoid": elementwise.sigmoid,
    "log1p": elementwise.log1p,
    "expm1": elementwise.expm1,
    "sin": elementwise.sin,
    "cos": elementwise.cos,
    "sign": elementwise.sign,
    "clip": elementwise.clip,
    "clamp": elementwise.clamp,
    "masked_fill": elementwise.masked_fill,
    "eq": elementwise.eq,
    "ne": elementwise.ne,
    "astype": elementwise.astype,
    "to": elementwise.to,
    "clone": elementwise.clone,
    # reductions
    "sum": reduction.sum,
    "mean": reduction.mean,
    "max": reduction.max,
    "min": reduction.min,
    "argmax": reduction.argmax,
    "argmin": reduction.argmin,
    "var": reduction.var,
    "std": reduction.std,
    "prod": reduction.prod,
    "cumsum": reduction.cumsum,
    "logsumexp": reduction.logsumexp,
    "norm": reduction.norm,
    "softmax": reduction.softmax,
    "log_softmax": reduction.log_softmax,
    # shape and indexing
    "reshape": shape.reshape,
    "view": shape.view,
    "contiguous": shape.contiguous,
    "permute": shape.permute,
    "transpose": shape.transpose,
    "T": property(shape.reverse_dims),
    "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze,
    "flatten": shape.flatten,
    "expand": shape.expand,
    "repeat": shape.repeat,
    "gather": shape.gather,
    "split": shape.split,
    "chunk": shape.chunk,
}

for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)
