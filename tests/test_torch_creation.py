"""PyTorch's top level on tinyreg ([16]): the creation functions (shapes, dtypes, defaults,
values, errors, seeding), the functional forms (values and gradients against PyTorch's in
float64, and tinyreg.gradcheck), the dtypes, the devices, tinyreg.cuda, and the AttributeError
that a PyTorch name tinyreg lacks raises.

Most cases are one function of a module `m`, run once with `m = torch` and once with
`m = tinyreg`: the same code, only the import differs."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn
from tinyreg._missing import NEAREST, missing_names


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def numpy(value):
    """The NumPy array of a torch or tinyreg tensor (or of anything array-like)."""
    if isinstance(value, tr.Tensor):
        return np.asarray(value.data)
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return np.asarray(value)


def torch_dtype(torch, dtype) -> np.dtype:
    """The NumPy dtype of a torch dtype."""
    return torch.empty(0, dtype=dtype).numpy().dtype


# ------------------------------------------------------------------------------- creation
CREATED = {
    "zeros-ints": lambda m: m.zeros(2, 3),
    "zeros-tuple": lambda m: m.zeros((2, 3)),
    "zeros-list": lambda m: m.zeros([2, 3]),
    "zeros-scalar": lambda m: m.zeros(()),
    "zeros-float64": lambda m: m.zeros(2, dtype=m.float64),
    "ones": lambda m: m.ones(4, 1),
    "ones-long": lambda m: m.ones(3, dtype=m.long),
    "full-int": lambda m: m.full((2,), 3),
    "full-bool": lambda m: m.full((2, 2), True),
    "full-float": lambda m: m.full([3], 2.5),
    "full-dtype": lambda m: m.full((2,), 3, dtype=m.float64),
    "eye": lambda m: m.eye(3),
    "eye-rect": lambda m: m.eye(2, 4, dtype=m.int64),
    "arange-int": lambda m: m.arange(5),
    "arange-start-step": lambda m: m.arange(1, 10, 3),
    "arange-down": lambda m: m.arange(10, 0, -3),
    "arange-float": lambda m: m.arange(0, 1, 0.1),
    "arange-float-end": lambda m: m.arange(2.5),
    "arange-dtype": lambda m: m.arange(0, 5, dtype=m.float32),
    "arange-empty": lambda m: m.arange(3, 3),
    "linspace": lambda m: m.linspace(0, 1, 5),
    "linspace-one": lambda m: m.linspace(-2, 3, 1),
    "linspace-none": lambda m: m.linspace(0, 1, 0),
    "linspace-int": lambda m: m.linspace(0, 10, 4, dtype=m.int64),
    "tensor-ints": lambda m: m.tensor([1, 2]),
    "tensor-floats": lambda m: m.tensor([1.0, 2.5]),
    "tensor-bools": lambda m: m.tensor([True, False]),
    "tensor-scalar": lambda m: m.tensor(3),
    "tensor-float64": lambda m: m.tensor(np.array([0.5, 1.5])),
    "tensor-dtype": lambda m: m.tensor([1, 2], dtype=m.float64),
    "from_numpy-int32": lambda m: m.from_numpy(np.arange(6, dtype=np.int32).reshape(2, 3)),
    "from_numpy-float64": lambda m: m.from_numpy(np.linspace(0, 1, 4)),
    "zeros_like": lambda m: m.zeros_like(m.arange(6).reshape(2, 3)),
    "ones_like-dtype": lambda m: m.ones_like(m.arange(3), dtype=m.float64),
    "full_like": lambda m: m.full_like(m.zeros(2, dtype=m.float64), 7),
    "full_like-int": lambda m: m.full_like(m.arange(3), 2.9),
}
RANDOM = {
    "rand": lambda m: m.rand(2, 3),
    "rand-tuple": lambda m: m.rand((4,), dtype=m.float64),
    "randn": lambda m: m.randn(3, 2),
    "randint-high": lambda m: m.randint(10, (3,)),
    "randint-low-high": lambda m: m.randint(3, 10, (2, 2)),
    "randint-keywords": lambda m: m.randint(low=0, high=5, size=(4,)),
    "randint-size-keyword": lambda m: m.randint(5, size=(4,)),
    "randint-float": lambda m: m.randint(0, 4, (3,), dtype=m.float32),
    "randperm": lambda m: m.randperm(6),
    "normal-numbers": lambda m: m.normal(0, 1, size=(5, 1)),
    "normal-mean-tensor": lambda m: m.normal(m.zeros(2, 3, dtype=m.float64), 2.0),
    "normal-std-tensor": lambda m: m.normal(1.0, m.ones(4)),
    "normal-broadcast": lambda m: m.normal(m.zeros(2, 1), m.ones(3)),
    "empty": lambda m: m.empty(2, 3),
    "empty_like": lambda m: m.empty_like(m.arange(4)),
    "rand_like": lambda m: m.rand_like(m.zeros(2, dtype=m.float64)),
    "randn_like": lambda m: m.randn_like(m.zeros(3, 1)),
    "randint_like": lambda m: m.randint_like(m.zeros(2, 2), 4),
}


@pytest.mark.parametrize("make", list({**CREATED, **RANDOM}.values()),
                         ids=list({**CREATED, **RANDOM}))  # fmt: skip
def test_shapes_dtypes_and_defaults_are_pytorchs(torch, make):
    theirs, ours = make(torch), make(tr)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == torch_dtype(torch, theirs.dtype)
    assert ours.requires_grad is theirs.requires_grad is False


@pytest.mark.parametrize("make", list(CREATED.values()), ids=list(CREATED))
def test_deterministic_values_are_pytorchs(torch, make):
    theirs, ours = numpy(make(torch)), numpy(make(tr))
    if theirs.dtype.kind == "f":  # linspace: within a rounding (PyTorch splits it in halves)
        np.testing.assert_allclose(ours, theirs, rtol=2 * np.finfo(theirs.dtype).eps, atol=0)
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_the_default_dtype_is_float32(torch):
    assert tr.get_default_dtype() == torch_dtype(torch, torch.get_default_dtype()) == np.float32


def test_requires_grad_device_and_dtype_keywords():
    for made in (tr.zeros(2, requires_grad=True), tr.randn(2, requires_grad=True),
                 tr.full((1,), 2.0, requires_grad=True), tr.arange(3.0, requires_grad=True),
                 tr.normal(0.0, 1.0, (2,), requires_grad=True)):  # fmt: skip
        assert made.requires_grad and made.grad is None
    made = tr.ones(2, 2, dtype=tr.float64, device="cpu", requires_grad=True)
    made.sum().backward()
    np.testing.assert_array_equal(numpy(made.grad), np.ones((2, 2)))
    assert made.dtype == np.float64 and made.device == "cpu"
    assert tr.zeros(1, device=tr.device("cpu")).device == tr.device("cpu")


def test_random_draws_follow_manual_seed():
    for name, make in RANDOM.items():
        if name.startswith("empty"):
            continue
        tr.manual_seed(11)
        first = numpy(make(tr))
        tr.manual_seed(11)
        np.testing.assert_array_equal(numpy(make(tr)), first, err_msg=name)
        tr.manual_seed(12)
        assert not np.array_equal(numpy(make(tr)), first) or first.size < 3, name


def test_random_draws_come_from_tinyregs_generator():
    tr.manual_seed(5)
    expected = np.random.default_rng(5).standard_normal((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(numpy(tr.randn(2, 3)), expected)
    tr.manual_seed(5)
    np.testing.assert_array_equal(numpy(tr.randperm(5)), np.random.default_rng(5).permutation(5))


def test_a_refused_call_draws_nothing():
    tr.manual_seed(3)
    expected = numpy(tr.rand(4))
    tr.manual_seed(3)
    for bad in (lambda: tr.randint(0, 5, (2,), requires_grad=True),
                lambda: tr.rand(2, dtype=tr.int64), lambda: tr.randn(2, device="tpu"),
                lambda: tr.normal(0.0, -1.0, (2,)), lambda: tr.randperm(-1)):  # fmt: skip
        with pytest.raises((TypeError, ValueError)):
            bad()
    np.testing.assert_array_equal(numpy(tr.rand(4)), expected)


def test_random_values_have_their_distribution():
    tr.manual_seed(0)
    ints = numpy(tr.randint(-3, 4, (5000,)))
    assert set(ints.tolist()) == set(range(-3, 4))
    assert np.array_equal(np.sort(numpy(tr.randperm(50))), np.arange(50))
    uniform = numpy(tr.rand(20000, dtype=tr.float64))
    assert 0 <= uniform.min() and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.01
    normal = numpy(tr.normal(3.0, 2.0, size=(20000,)))
    assert abs(normal.mean() - 3) < 0.05 and abs(normal.std() - 2) < 0.05
    scaled = numpy(tr.normal(tr.full((20000,), -1.0), tr.full((20000,), 0.5)))
    assert abs(scaled.mean() + 1) < 0.02 and abs(scaled.std() - 0.5) < 0.02


def test_normal_gives_gradient_zero_as_pytorch(torch):
    grads = []
    for m in (torch, tr):
        mean = m.tensor([0.5, -1.0], requires_grad=True)
        std = m.tensor([1.0, 2.0], requires_grad=True)
        m.normal(mean, std).sum().backward()
        grads.append((numpy(mean.grad), numpy(std.grad)))
    np.testing.assert_array_equal(grads[1], grads[0])
    np.testing.assert_array_equal(grads[1], np.zeros((2, 2)))


def test_from_numpy_shares_memory_and_tensor_copies():
    array = np.zeros((2, 3))
    shared, copied, converted = tr.from_numpy(array), tr.tensor(array), tr.as_tensor(array)
    array[0, 0] = 5.0
    shared.data[1, 2] = 7.0
    assert shared.dtype == np.float64 and numpy(shared)[0, 0] == 5.0 and array[1, 2] == 7.0
    assert numpy(converted)[0, 0] == 5.0 and numpy(copied)[0, 0] == 0.0
    labels = np.array([3, 1], dtype=np.int32)
    assert tr.from_numpy(labels).dtype == np.int32
    assert np.shares_memory(tr.from_numpy(labels).data, labels)
    assert not np.shares_memory(tr.from_numpy(array.T).data, array)  # documented: a copy


def test_as_tensor_keeps_a_tensor_and_converts_in_the_graph(torch):
    x = tr.tensor([1.0, 2.0], requires_grad=True)
    assert tr.as_tensor(x) is x and tr.as_tensor(x, device="cpu") is x
    wide = tr.as_tensor(x, dtype=tr.float64)
    assert wide.dtype == np.float64
    wide.sum().backward()
    np.testing.assert_array_equal(numpy(x.grad), [1.0, 1.0])
    assert tr.as_tensor([1, 2]).dtype == torch_dtype(torch, torch.as_tensor([1, 2]).dtype)


# ------------------------------------------------------------------------------- bad calls
BAD = {  # call -> (its error, words it names); PyTorch raises for each of these too
    "zeros-negative": (lambda m: m.zeros(2, -1), ValueError, ["shape", "-1"]),
    "randn-int": (lambda m: m.randn(2, dtype=m.int64), ValueError, ["dtype", "int64"]),
    "rand_like-int": (lambda m: m.rand_like(m.arange(3)), ValueError, ["dtype", "int64"]),
    "randint-empty": (lambda m: m.randint(5, 5, (2,)), ValueError, ["low=5", "high=5"]),
    "randint-size-int": (lambda m: m.randint(10, 3), TypeError, ["size", "3"]),
    "randint-no-size": (lambda m: m.randint(10), TypeError, ["size"]),
    "randint-uint8": (
        lambda m: m.randint(0, 300, (2,), dtype=m.uint8),
        ValueError,
        ["[0, 300)", "uint8"],
    ),
    "randperm-negative": (lambda m: m.randperm(-1), ValueError, ["n", "-1"]),
    "arange-step-0": (lambda m: m.arange(0, 1, 0), ValueError, ["step", "0"]),
    "arange-sign": (lambda m: m.arange(1, 0, 1), ValueError, ["start=1", "end=0", "step=1"]),
    "linspace-negative": (lambda m: m.linspace(0, 1, -1), ValueError, ["steps", "-1"]),
    "eye-negative": (lambda m: m.eye(-1), ValueError, ["n", "-1"]),
    "normal-no-size": (lambda m: m.normal(0.0, 1.0), TypeError, ["size"]),
    "normal-negative-std": (lambda m: m.normal(0.0, -1.0, (2,)), ValueError, ["std", "-1"]),
    "normal-negative-std-tensor": (
        lambda m: m.normal(m.zeros(2), -m.ones(2)),
        ValueError,
        ["std", "-1"],
    ),
    "normal-int-mean": (lambda m: m.normal(m.arange(3), 1.0), TypeError, ["int64"]),
    "from_numpy-list": (lambda m: m.from_numpy([1, 2]), TypeError, ["ndarray", "list"]),
    "full-size-int": (lambda m: m.full(3, 1.0), TypeError, ["size", "3"]),
    "full-fill-str": (lambda m: m.full((2,), "a"), TypeError, ["fill_value", "'a'"]),
    "tensor-dtype-str": (lambda m: m.tensor([1.0], dtype="complex64"), TypeError, ["dtype"]),
    "int-requires-grad": (
        lambda m: m.zeros(2, dtype=m.long, requires_grad=True),
        TypeError,
        ["requires_grad"],
    ),
    "zeros_like-list": (lambda m: m.zeros_like([1.0]), TypeError, ["input", "list"]),
    "device-gpu": (lambda m: m.device("gpu"), ValueError, ["device", "'gpu'"]),
    "device-bad-index": (lambda m: m.device("cuda:x"), ValueError, ["'cuda:x'"]),
    "cat-empty": (lambda m: m.cat([]), ValueError, ["tensors", "[]"]),
    "cat-tensor": (lambda m: m.cat(m.zeros(2, 2)), TypeError, ["tensors", "Tensor"]),
    "mm-vector": (lambda m: m.mm(m.zeros(3), m.zeros(3, 2)), ValueError, ["input", "2-D", "(3,)"]),
    "bmm-batches": (
        lambda m: m.bmm(m.zeros(2, 1, 3), m.zeros(3, 3, 1)),
        ValueError,
        ["batch", "(3, 3, 1)"],
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_calls_raise_a_clear_error_where_pytorch_raises(torch, name):
    call, error, words = BAD[name]
    with pytest.raises(Exception):  # noqa: B017 (PyTorch's own type varies: Runtime, Type, ...)
        call(torch)
    with pytest.raises(error) as raised:
        call(tr)
    assert all(word in str(raised.value) for word in words), str(raised.value)


def test_one_gpu_only():
    with pytest.raises(ValueError, match="one CUDA device, index 0, got index 1"):
        tr.device("cuda:1")  # PyTorch makes it; tinyreg computes on one GPU (documented)


# ------------------------------------------------------------------------------- functional
def take(x, i):
    return x[i]


FUNCTIONS = {  # name -> (m, inputs -> result); inputs are float64 tensors that require grad
    "exp": lambda m, x: m.exp(x),
    "log": lambda m, x: m.log(m.abs(x) + 0.5),
    "sqrt": lambda m, x: m.sqrt(m.abs(x) + 0.5),
    "abs": lambda m, x: m.abs(x),
    "sign": lambda m, x: m.sign(x) * x,
    "sin-cos": lambda m, x: m.sin(x) + m.cos(x),
    "log1p-expm1": lambda m, x: m.log1p(m.abs(x)) + m.expm1(x),
    "relu": lambda m, x: m.relu(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "tanh": lambda m, x: m.tanh(x),
    "clamp": lambda m, x: m.clamp(x, -0.5, 0.5),
    "clamp-min": lambda m, x: m.clamp(x, min=0.1),
    "clip": lambda m, x: m.clip(x, max=0.2),
    "clone": lambda m, x: m.clone(x) * 2,
    "masked_fill": lambda m, x: m.masked_fill(x, m.gt(x, 0.3), 0.0),
    "sum": lambda m, x: m.sum(x),
    "sum-dim": lambda m, x: m.sum(x, 1),
    "sum-keepdim": lambda m, x: m.sum(x, dim=0, keepdim=True),
    "mean": lambda m, x: m.mean(x, -1),
    "var": lambda m, x: m.var(x, 1),
    "std": lambda m, x: m.std(x, 0),
    "prod": lambda m, x: m.prod(x, 1),
    "cumsum": lambda m, x: m.cumsum(x, 1),
    "logsumexp": lambda m, x: m.logsumexp(x, 1),
    "norm": lambda m, x: m.norm(x),
    "softmax": lambda m, x: m.softmax(x, 1),
    "log_softmax": lambda m, x: m.log_softmax(x, dim=0),
    "max-all": lambda m, x: m.max(x),
    "min-all": lambda m, x: m.min(x),
    "max-other": lambda m, x: m.max(x, x * 0.5),
    "min-other": lambda m, x: m.min(x, -x),
    "maximum": lambda m, x: m.maximum(x, x * -0.7),
    "minimum": lambda m, x: m.minimum(x, x * 0.3),
    "reshape": lambda m, x: m.reshape(x, (4, 3)),
    "flatten": lambda m, x: m.flatten(m.reshape(x, (3, 2, 2)), 1),
    "flatten-all": lambda m, x: m.flatten(x),
    "permute": lambda m, x: m.permute(m.reshape(x, (3, 2, 2)), (2, 0, 1)),
    "transpose": lambda m, x: m.transpose(x, 0, 1),
    "squeeze": lambda m, x: m.squeeze(m.reshape(x, (3, 1, 4)), 1),
    "unsqueeze": lambda m, x: m.unsqueeze(x, 0),
    "gather": lambda m, x: m.gather(x, 1, m.tensor([[0, 3], [1, 1], [2, 0]])),
    "split": lambda m, x: take(m.split(x, 3, 1), 1),
    "chunk": lambda m, x: take(m.chunk(x, 2, 1), 0),
    "cat": lambda m, x: m.cat([x, x * 2], 1),
    "cat-dim-keyword": lambda m, x: m.cat((x, x), dim=0),
    "concat": lambda m, x: m.concat([x, x * 3]),
    "concatenate": lambda m, x: m.concatenate([x, -x], axis=1),
    "stack": lambda m, x: m.stack([x, x * 2], 1),
    "matmul": lambda m, x: m.matmul(x, x.T),
    "mm": lambda m, x: m.mm(x.T, x),
    "bmm": lambda m, x: m.bmm(m.reshape(x, (3, 2, 2)), m.reshape(x * 2, (3, 2, 2))),
    "where": lambda m, x: m.where(m.lt(x, 0.0), x, x * 3),
    "add": lambda m, x: m.add(x, x * x, alpha=2),
    "sub": lambda m, x: m.sub(x, 1.5, alpha=3),
    "mul": lambda m, x: m.mul(x, x),
    "div": lambda m, x: m.div(x, m.abs(x) + 1),
    "pow": lambda m, x: m.pow(x, 3),
    "neg": lambda m, x: m.neg(x),
}
VALUES = np.random.default_rng(16).standard_normal((3, 4))


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_functional_forms_give_pytorchs_values_and_gradients(torch, name):
    f = FUNCTIONS[name]
    results = []
    for m in (torch, tr):
        x = m.tensor(VALUES, requires_grad=True)
        out = f(m, x)
        weights = np.random.default_rng(1).standard_normal(tuple(out.shape))
        (out * m.tensor(weights)).sum().backward()
        results.append((numpy(out), numpy(x.grad)))
    (their_out, their_grad), (our_out, our_grad) = results
    assert our_out.dtype == their_out.dtype == np.float64
    np.testing.assert_allclose(our_out, their_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_functional_forms_pass_gradcheck(name):
    if name in ("sign", "clamp", "clamp-min", "clip", "masked_fill", "relu", "abs"):
        values = VALUES + 0.05 * np.sign(VALUES)  # no kink within eps of an input
    else:
        values = VALUES
    assert tr.gradcheck(lambda x: FUNCTIONS[name](tr, x), [values])


@pytest.mark.parametrize("which", ["max", "min"])
def test_max_over_a_dim_gives_values_and_indices(torch, which):
    results = []
    for m in (torch, tr):
        x = m.tensor(VALUES, requires_grad=True)
        values, indices = getattr(m, which)(x, 1)
        values.sum().backward()
        results.append((numpy(values), numpy(indices), numpy(x.grad)))
    for ours, theirs in zip(results[1], results[0], strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_indices_comparisons_and_questions(torch):
    for m in (torch, tr):
        x = m.tensor(VALUES)
        checks = [numpy(m.argmax(x, 1)), numpy(m.argmin(x)), numpy(m.argmax(x, 0, keepdim=True)),
                  numpy(m.eq(x, x)), numpy(m.ne(x, 0.0)), numpy(m.ge(x, 0.0)),
                  numpy(m.le(x, 0.0)), numpy(m.isclose(x, x + 1e-9)),
                  m.numel(x), m.is_tensor(x), m.is_tensor(VALUES), m.is_floating_point(x),
                  m.is_floating_point(m.arange(3)), m.allclose(x, x + 1e-9),
                  m.allclose(x, x + 1e-3), m.equal(x, x), m.equal(x, x[:2]),
                  m.equal(x, m.zeros_like(x))]  # fmt: skip
        if m is torch:
            theirs = checks
    for ours, expected in zip(checks, theirs, strict=True):
        assert type(ours) is type(expected)
        np.testing.assert_array_equal(ours, expected)
    assert tr.numel(tr.zeros(2, 3)) == 6 and tr.equal(tr.arange(3), tr.arange(3))


# ------------------------------------------------------------------------------- dtypes
DTYPES = ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool", "float",
          "double", "long", "int", "short"]  # fmt: skip


@pytest.mark.parametrize("name", DTYPES)
def test_dtype_names_are_pytorchs(torch, name):
    ours = getattr(tr, name)
    assert ours == torch_dtype(torch, getattr(torch, name))
    assert isinstance(ours, tr.dtype)
    assert tr.zeros(2, dtype=ours).dtype == ours == tr.tensor([1], dtype=ours).dtype


def test_dtypes_compare_equal_and_work_wherever_a_dtype_goes():
    x = tr.tensor([1.5, -2.0])
    assert x.dtype == tr.float32 and x.dtype != tr.float64
    assert tr.tensor([1, 2]).dtype == tr.long and tr.tensor([True]).dtype == tr.bool
    assert x.astype(tr.float64).dtype == tr.double
    layer = nn.Dense(2, 3).to(tr.float64)
    assert layer.weight.dtype == tr.float64
    assert np.zeros(2, dtype=tr.int32).dtype == tr.int32


def test_to_and_type_take_dtypes(torch):
    for m in (torch, tr):
        x = m.tensor([1.5, -2.0])
        assert m.is_floating_point(x.to(m.float64)) and x.to(m.float64).dtype == m.float64
        assert x.type(m.int64).dtype == m.int64 and x.to("cpu", m.float64).dtype == m.double


def test_dtypes_tinyreg_lacks_say_so():
    with pytest.raises(AttributeError, match=r"torch\.float16\); the nearest is tinyreg.float32"):
        tr.float16  # noqa: B018
    with pytest.raises(AttributeError, match="real numbers"):
        tr.complex64  # noqa: B018


# ------------------------------------------------------------------------------- devices
def test_device_objects_are_pytorchs(torch):
    for spec in ("cpu", "cuda", "cuda:0"):
        ours, theirs = tr.device(spec), torch.device(spec)
        assert repr(ours) == repr(theirs)
        assert ours.type == theirs.type and ours.index == theirs.index
    assert tr.device("cuda", 0) == tr.device("cuda:0") and repr(tr.device("cuda", 0)) == repr(
        torch.device("cuda", 0)
    )
    assert repr(tr.zeros(1).device) == repr(torch.zeros(1).device)


def test_devices_equal_their_strings_and_go_where_a_string_goes():
    cpu = tr.device("cpu")
    assert cpu == "cpu" and "cpu" == cpu and cpu != "cuda" and cpu == tr.device(cpu)
    assert tr.device("cuda") == tr.device("cuda:0") == "cuda"  # one GPU: documented
    assert isinstance(cpu, tr.device) and not isinstance("cpu", tr.device)
    x = tr.tensor([1.0, 2.0])
    assert isinstance(x.device, tr.device) and x.device.type == "cpu" and x.device == cpu
    assert x.to(cpu) is x and x.to("cpu") is x
    assert tr.zeros(2, device=cpu).device == "cpu" and tr.tensor([1], device=cpu).device == cpu
    layer = nn.Dense(2, 2).to(cpu)
    assert layer.weight.device == "cpu"
    assert {cpu: 1}["cpu"] == 1


def test_cuda_questions_do_not_import_cupy_with_tinyreg():
    code = ("import sys, tinyreg; assert 'cupy' not in sys.modules; "
            "print(tinyreg.cuda.is_available(), tinyreg.cuda.device_count())")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    available, count = done.stdout.split()
    assert (available == "True") == (int(count) > 0)


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_without_cupy_there_is_no_gpu():
    assert tr.cuda.is_available() is False and tr.cuda.device_count() == 0
    tr.cuda.manual_seed_all(0)  # accepted, as in PyTorch scripts
    with pytest.raises(ValueError, match="seed"):
        tr.cuda.manual_seed(-1)


# ------------------------------------------------------------------------------- missing names
def test_a_missing_name_names_pytorchs_and_the_nearest():
    with pytest.raises(AttributeError) as raised:
        tr.einsum  # noqa: B018
    assert str(raised.value) == (
        "tinyreg has no 'einsum' (PyTorch's torch.einsum); the nearest is tinyreg.matmul: "
        "write the contraction as matmul, permute and sum"
    )
    with pytest.raises(AttributeError, match=r"PyTorch's torch\.linalg\), and nothing near it"):
        tr.linalg  # noqa: B018
    with pytest.raises(AttributeError, match=r"tinyreg has no 'no_such' \(if you mean PyTorch's "
                       r"torch\.no_such: tinyreg does not have it"):  # fmt: skip
        tr.no_such  # noqa: B018
    assert not hasattr(tr, "no_such") and not hasattr(tr, "__no_such__")
    with pytest.raises(ImportError):  # Python words this one itself
        from tinyreg import einsum  # noqa: F401


def test_a_submodule_not_yet_imported_says_to_import_it():
    getter = missing_names("tinyreg")
    with pytest.raises(AttributeError, match="tinyreg.training is a module of its own; import"):
        getter("training")


def test_python_suggests_the_near_spelling():
    """The error carries its name and module, so Python's traceback adds "Did you mean"."""
    done = subprocess.run([sys.executable, "-c", "import tinyreg; tinyreg.zero"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "Did you mean: 'zeros'?" in done.stderr, done.stderr


def test_the_getattr_for_other_packages_speaks_of_their_torch_names():
    with pytest.raises(AttributeError, match=r"tinyreg.optim has no 'LBFGS' \(PyTorch's "
                       r"torch\.optim\.LBFGS\), and nothing near it"):  # fmt: skip
        missing_names("tinyreg.optim")("LBFGS")
    with pytest.raises(AttributeError, match="the nearest is tinyreg.nn.functional.softplus"):
        missing_names("tinyreg.nn.functional")("logsigmoid")
    with pytest.raises(AttributeError, match=r"torch\.cuda\.no_such"):
        tr.cuda.no_such  # noqa: B018


def resolve(dotted: str):
    """The object a dotted tinyreg name stands for (a module, or an attribute of one)."""
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_every_nearest_name_exists():
    missing = [n for n, _ in NEAREST.values() if n is not None and not _exists(n)]
    assert not missing, f"NEAREST points to names tinyreg lacks: {missing}"


def test_every_table_entry_is_still_missing():
    """A name in NEAREST that tinyreg has (someone added it) is a dead entry: delete it."""
    present = [n for n in NEAREST if _exists("tinyreg" + n.removeprefix("torch"))]
    assert not present, f"tinyreg has these now; delete them from _missing.NEAREST: {present}"


def _exists(dotted: str) -> bool:
    try:
        resolve(dotted)
    except (AttributeError, ImportError):
        return False
    return True
