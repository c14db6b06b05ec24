"""tinyreg: a small, fast, honest deep-learning framework for learning regularization.

The layout follows PyTorch's wherever PyTorch has the thing (`tinyreg.nn`, `tinyreg.nn.functional`,
`tinyreg.optim`, `tinyreg.optim.lr_scheduler`, `tinyreg.utils.data`, `tinyreg.autograd`), with
tinyreg's own ideas in rooms of their own (`tinyreg.reg`, `tinyreg.training`,
`tinyreg.experiments`). README's "Architecture" section draws the layers.

The top level has PyTorch's names, so that `import tinyreg as torch` runs a PyTorch script:
creation (`tensor`, `zeros`, `randn`, `arange`, ... in creation.py), the functions of tensors
(`sum`, `max`, `cat`, `flatten`, ... in functional.py), dtypes (`float32`, `long`, ... in
dtypes.py), `device` and `cuda`. A PyTorch name tinyreg lacks is an AttributeError that says so
and names the nearest tinyreg name (_missing.py).
"""

from . import _process  # noqa: E402  (before NumPy loads OpenBLAS)

PROCESS_DEFAULTS = _process.apply_defaults()  # what import tinyreg set (_process.py)

from . import ops  # binds the ops to Tensor's methods  # noqa: E402, I001
from . import autograd, cuda, device, dtypes, kernels, nn, optim, reg, utils, vision  # noqa: E402
from ._missing import missing_names  # noqa: E402
from ._tensor import Tensor  # noqa: E402
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from .autograd.function import op  # noqa: E402
from .autograd.gradcheck import GradcheckError, gradcheck  # noqa: E402
from .creation import (  # noqa: E402
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (  # noqa: E402  (bool, float and int shadow Python's in this module)
    bool,
    double,
    dtype,
    float,
    float32,
    float64,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from .functional import (  # noqa: E402  (abs, max, min, pow, sum shadow Python's here)
    abs,
    add,
    allclose,
    argmax,
    argmin,
    bmm,
    cat,
    chunk,
    clamp,
    clip,
    clone,
    concat,
    concatenate,
    cos,
    cumsum,
    div,
    eq,
    equal,
    exp,
    expm1,
    flatten,
    gather,
    ge,
    gt,
    is_floating_point,
    is_tensor,
    isclose,
    le,
    log,
    log1p,
    log_softmax,
    logsumexp,
    lt,
    masked_fill,
    max,
    mean,
    min,
    mm,
    mul,
    ne,
    neg,
    norm,
    numel,
    permute,
    pow,
    prod,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    softmax,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
)
from .ops.elementwise import maximum, minimum, where  # noqa: E402
from .ops.matmul import matmul  # noqa: E402
from .random import get_rng_state, manual_seed, set_rng_state  # noqa: E402
from .serialization import load, save  # noqa: E402
from .threads import get_num_threads, set_num_threads  # noqa: E402
from .utils.data.generator import Generator  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "abs", "add", "allclose", "arange", "argmax", "argmin", "as_tensor", "autograd", "bmm", "bool",
    "cat", "chunk", "clamp", "clip", "clone", "concat", "concatenate", "cos", "cuda", "cumsum",
    "device", "div", "double", "dtype", "dtypes", "empty", "empty_like", "enable_grad", "eq",
    "equal", "exp", "expm1", "eye", "flatten", "float", "float32", "float64", "from_numpy", "full",
    "full_like", "gather", "ge", "Generator", "get_default_dtype", "get_rng_state", "gradcheck",
    "GradcheckError", "get_num_threads", "gt", "int", "int16", "int32", "int64", "int8",
    "is_floating_point", "is_grad_enabled", "is_tensor", "isclose", "kernels", "le", "linspace",
    "load", "log", "log1p", "log_softmax", "logsumexp", "long", "lt", "manual_seed", "masked_fill",
    "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul", "ne", "neg", "nn",
    "no_grad", "norm", "normal", "numel", "ones", "ones_like", "op", "ops", "optim", "permute",
    "pow", "prod", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like",
    "randperm", "reg", "relu", "reshape", "save", "set_grad_enabled", "set_num_threads",
    "set_rng_state", "short", "sigmoid", "sign", "sin", "softmax", "split", "sqrt", "squeeze",
    "stack", "std", "sub", "sum", "tanh", "Tensor", "tensor", "transpose", "uint8", "unsqueeze",
    "utils", "var", "vision", "where", "zeros", "zeros_like",
]  # fmt: skip

__getattr__ = missing_names(__name__)
