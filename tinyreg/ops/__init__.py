"""The ops of the Tensor, grouped by kind, each op's forward and backward together:

    elementwise.py   + - * / ** neg, exp log sqrt abs relu tanh sigmoid ..., comparisons
                     (elementwise `==` too), where/maximum/minimum, clip/clamp/masked_fill,
                     casts and moves (astype, to, type, float() long() ..., cpu), clone
    reduction.py     sum mean max min amax amin argmax argmin all any var std prod cumsum
                     logsumexp norm, softmax log_softmax
    shape.py         size, reshape view (and _as) permute transpose t squeeze unsqueeze flatten
                     expand repeat, indexing, gather, split chunk, cat stack, contiguous
    matmul.py        a @ b
    inplace.py       += -= *= /=, add_ sub_ mul_ div_ zero_ fill_ copy_ clamp_ normal_ uniform_,
                     x[index] = value (PyTorch's rules for in-place ops)

Each op is a function whose first argument is a tensor; `METHODS` below binds them to the Tensor
class under PyTorch's method names (`x.exp()` is `elementwise.exp(x)`, `x + y` is
`elementwise.add(x, y)`). This table is the one place a method name meets its function.
"""

from .._tensor import Tensor
from . import elementwise, inplace, matmul, reduction, shape

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
    "__abs__": elementwise.abs,
    "__lt__": elementwise.lt,
    "__le__": elementwise.le,
    "__gt__": elementwise.gt,
    "__ge__": elementwise.ge,
    "__eq__": elementwise.equal_operator,
    "__ne__": elementwise.not_equal_operator,
    "__contains__": elementwise.contains,
    "__matmul__": matmul.matmul,
    "__rmatmul__": matmul.rmatmul,
    "__getitem__": shape.getitem,
    "__setitem__": inplace.setitem,
    # in place
    "__iadd__": inplace.add_,
    "__isub__": inplace.sub_,
    "__imul__": inplace.mul_,
    "__itruediv__": inplace.div_,
    "add_": inplace.add_,
    "sub_": inplace.sub_,
    "mul_": inplace.mul_,
    "div_": inplace.div_,
    "clamp_": inplace.clamp_,
    "zero_": inplace.zero_,
    "fill_": inplace.fill_,
    "copy_": inplace.copy_,
    "normal_": inplace.normal_,
    "uniform_": inplace.uniform_,
    # elementwise
    "add": elementwise.add,
    "sub": elementwise.sub,
    "mul": elementwise.mul,
    "div": elementwise.div,
    "pow": elementwise.pow,
    "neg": elementwise.neg,
    "matmul": matmul.matmul,
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
    "lt": elementwise.lt,
    "le": elementwise.le,
    "gt": elementwise.gt,
    "ge": elementwise.ge,
    "clone": elementwise.clone,
    # dtypes and devices
    "astype": elementwise.astype,
    "to": elementwise.to,
    "cpu": elementwise.cpu,
    "type": elementwise.type_name_or_cast,
    **elementwise.CASTS,  # float() double() long() int() bool()
    # reductions
    "sum": reduction.sum,
    "mean": reduction.mean,
    "max": reduction.max,
    "min": reduction.min,
    "amax": reduction.amax,
    "amin": reduction.amin,
    "argmax": reduction.argmax,
    "argmin": reduction.argmin,
    "all": reduction.all,
    "any": reduction.any,
    "var": reduction.var,
    "std": reduction.std,
    "prod": reduction.prod,
    "cumsum": reduction.cumsum,
    "logsumexp": reduction.logsumexp,
    "norm": reduction.norm,
    "softmax": reduction.softmax,
    "log_softmax": reduction.log_softmax,
    # shape and indexing
    "size": shape.size,
    "reshape": shape.reshape,
    "reshape_as": shape.reshape_as,
    "view": shape.view,
    "view_as": shape.view_as,
    "contiguous": shape.contiguous,
    "permute": shape.permute,
    "transpose": shape.transpose,
    "t": shape.t,
    "T": property(shape.reverse_dims),
    "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze,
    "flatten": shape.flatten,
    "expand": shape.expand,
    "expand_as": shape.expand_as,
    "repeat": shape.repeat,
    "gather": shape.gather,
    "split": shape.split,
    "chunk": shape.chunk,
}

for _name, _method in METHODS.items():
    setattr(Tensor, _name, _method)
