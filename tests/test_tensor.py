"""Every differentiable op: forward against NumPy, backward against finite differences."""

import importlib.util

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import tinyreg as tr
from tinyreg.nn import functional as F

seeds = st.integers(0, 2**32 - 1)


def away_from_zero(rng, shape, low=0.2, high=2.0):
    """Values with |x| in [low, high]: keeps abs, relu, clip and max off their kinks."""
    return np.asarray(rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape))


def positive(rng, shape):
    return np.asarray(rng.uniform(0.5, 2.0, shape))


# ------------------------------------------------------------------ binary ops, broadcasting
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
}


@pytest.mark.parametrize("name", BINARY)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=seeds)
def test_binary_op_broadcast_gradcheck(name, shapes, seed):
    op, reference = BINARY[name]
    rng = np.random.default_rng(seed)
    shape_a, shape_b = shapes.input_shapes
    a, b = np.asarray(rng.standard_normal(shape_a)), positive(rng, shape_b)
    assert tr.gradcheck(op, [a, b])
    out = op(tr.tensor(a), tr.tensor(b))
    np.testing.assert_allclose(out.data, reference(a, b))
    assert out.shape == shapes.result_shape


@pytest.mark.parametrize(
    "shape_a,shape_b", [((), (3, 4)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1)), ((4,), (2, 3, 4))]
)
@pytest.mark.parametrize("name", BINARY)
def test_binary_op_named_broadcasts(name, shape_a, shape_b):
    rng = np.random.default_rng(1)
    a, b = np.asarray(rng.standard_normal(shape_a)), positive(rng, shape_b)
    assert tr.gradcheck(BINARY[name][0], [a, b])
    assert tr.gradcheck(BINARY[name][0], [b, a])


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_scalar_on_either_side(name):
    rng = np.random.default_rng(2)
    a = positive(rng, (2, 3))
    op = BINARY[name][0]
    assert tr.gradcheck(lambda x: op(x, 1.5), [a])
    assert tr.gradcheck(lambda x: op(1.5, x), [a])
    np.testing.assert_allclose(op(1.5, tr.tensor(a)).data, BINARY[name][1](1.5, a))
    np.testing.assert_allclose(op(tr.tensor(a), 1.5).data, BINARY[name][1](a, 1.5))


def test_numpy_array_on_the_left_defers_to_tensor():
    a = np.arange(3.0)
    out = a * tr.tensor(np.ones(3), requires_grad=True)
    assert isinstance(out, tr.Tensor)
    np.testing.assert_allclose(out.data, a)


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        tr.tensor(np.ones((2, 3))) + tr.tensor(np.ones(4))


# ------------------------------------------------------------------ unary and elementwise
UNARY = {
    "neg": (lambda x: -x, np.negative, away_from_zero),
    "exp": (lambda x: x.exp(), np.exp, away_from_zero),
    "log": (lambda x: x.log(), np.log, positive),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, positive),
    "abs": (lambda x: x.abs(), np.abs, away_from_zero),
    "relu": (lambda x: x.relu(), lambda a: np.maximum(a, 0), away_from_zero),
    "tanh": (lambda x: x.tanh(), np.tanh, away_from_zero),
    "sigmoid": (lambda x: x.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), away_from_zero),
    "pow2": (lambda x: x**2, np.square, away_from_zero),
    "pow-1.5": (lambda x: x**-1.5, lambda a: a**-1.5, positive),
    "clip": (lambda x: x.clip(-1.0, 1.0), lambda a: np.clip(a, -1, 1), away_from_zero),
    "clip_low": (lambda x: x.clip(0.5, None), lambda a: np.maximum(a, 0.5), away_from_zero),
}


@pytest.mark.parametrize("name", UNARY)
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=4), seed=seeds)
def test_unary_op(name, shape, seed):
    op, reference, sample = UNARY[name]
    x = sample(np.random.default_rng(seed), shape)
    if name.startswith("clip"):  # keep values off the clip edges too
        x = np.where(np.abs(np.abs(x) - 1) < 0.1, x * 0.5, x)
        x = np.where(np.abs(x - 0.5) < 0.1, x + 0.3, x)
    np.testing.assert_allclose(op(tr.tensor(x)).data, reference(x), rtol=1e-12)
    assert tr.gradcheck(op, [x])


def test_sigmoid_is_finite_for_large_inputs():
    out = tr.tensor(np.array([-1e4, 0.0, 1e4])).sigmoid()
    np.testing.assert_array_equal(out.data, [0.0, 0.5, 1.0])


def test_abs_gradient_at_zero_is_zero():
    x = tr.tensor(np.zeros(3), requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=seeds, data=st.data())
def test_softmax_family(name, shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    expected = e / e.sum(axis=axis, keepdims=True)
    if name == "log_softmax":
        expected = np.log(expected)
    np.testing.assert_allclose(getattr(tr.tensor(x), name)(axis).data, expected, atol=1e-12)
    assert tr.gradcheck(lambda t: getattr(t, name)(axis), [x])


def test_log_softmax_is_finite_for_huge_logits():
    out = tr.tensor(np.array([[1e4, 0.0, -1e4]], dtype=np.float32)).log_softmax()
    assert np.all(np.isfinite(out.data[:, :2]))
    assert out.data[0, 0] == 0.0


# ------------------------------------------------------------------ reductions
@pytest.mark.parametrize("name", ["sum", "mean", "amax"])
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=seeds, data=st.data())
def test_reductions(name, shape, seed, data):
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    x = np.random.default_rng(seed).permutation(np.arange(np.prod(shape), dtype=float))
    x = x.reshape(shape) * 0.1  # distinct values: no ties for max
    op = lambda t: getattr(t, name)(axis=axis, keepdims=keepdims)  # noqa: E731
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(op(tr.tensor(x)).data, expected, atol=1e-12)
    assert tr.gradcheck(op, [x])


def test_reduction_over_tuple_of_axes():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    np.testing.assert_allclose(tr.tensor(x).mean(axis=(0, 2)).data, x.mean(axis=(0, 2)))
    assert tr.gradcheck(lambda t: t.mean(axis=(0, 2)), [x])


def test_max_shares_gradient_between_ties():
    x = tr.tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


# ------------------------------------------------------------------ matmul
@pytest.mark.parametrize(
    "shape_a,shape_b",
    [
        ((3, 4), (4, 2)),
        ((2, 3, 4), (4, 5)),
        ((2, 3, 4), (2, 4, 5)),
        ((1, 3, 4), (2, 4, 2)),
        ((4,), (4, 3)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 3, 4), (4,)),
    ],
)
def test_matmul(shape_a, shape_b):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    np.testing.assert_allclose((tr.tensor(a) @ tr.tensor(b)).data, a @ b, rtol=1e-12)
    assert tr.gradcheck(lambda x, y: x @ y, [a, b])


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        tr.tensor(np.ones((2, 3))) @ tr.tensor(np.ones((4, 5)))


# ------------------------------------------------------------------ shape ops and indexing
def test_reshape_transpose():
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    np.testing.assert_array_equal(tr.tensor(x).reshape(6, 4).data, x.reshape(6, 4))
    np.testing.assert_array_equal(tr.tensor(x).permute(2, 0, 1).data, x.transpose(2, 0, 1))
    np.testing.assert_array_equal(tr.tensor(x).transpose(0, -1).data, np.swapaxes(x, 0, -1))
    np.testing.assert_array_equal(tr.tensor(x[0]).T.data, x[0].T)
    assert tr.gradcheck(lambda t: t.reshape((4, 6)) * np.arange(24.0).reshape(4, 6), [x])
    assert tr.gradcheck(lambda t: t.permute(2, 0, 1) * np.arange(24.0).reshape(4, 2, 3), [x])
    assert tr.gradcheck(lambda t: t.permute(-1, 0, -2) * np.arange(24.0).reshape(4, 2, 3), [x])
    assert tr.gradcheck(lambda t: t.transpose(-1, 0) * np.arange(24.0).reshape(4, 3, 2), [x])
    assert tr.gradcheck(lambda t: t[0].T * np.arange(12.0).reshape(4, 3), [x])


@pytest.mark.parametrize(
    "index",
    [
        1,
        (slice(None), 2),
        (Ellipsis, slice(1, 3)),
        (0, None, slice(None, None, -1)),
        np.array([0, 1, 1]),
        (np.array([0, 1]), np.array([2, 0])),
    ],
)
def test_indexing(index):
    x = np.random.default_rng(6).standard_normal((2, 3, 4))
    np.testing.assert_array_equal(tr.tensor(x)[index].data, x[index])
    assert tr.gradcheck(lambda t: t[index] * 1.5, [x])


def test_repeated_fancy_index_accumulates():
    x = tr.tensor(np.zeros(3), requires_grad=True)
    x[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 1.0])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack(axis):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    np.testing.assert_array_equal(tr.concatenate([a, b], axis).data, np.concatenate([a, b], axis))
    np.testing.assert_array_equal(tr.stack([a, b], axis).data, np.stack([a, b], axis))
    weights = rng.standard_normal(np.concatenate([a, b], axis).shape)
    assert tr.gradcheck(lambda x, y: tr.concatenate([x, y], axis) * weights, [a, b])
    assert tr.gradcheck(lambda x, y: tr.stack([x, y, x], axis), [a, b])


# ------------------------------------------------------------------ losses
def test_cross_entropy_matches_numpy_and_gradcheck():
    rng = np.random.default_rng(8)
    z, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    np.testing.assert_allclose(F.cross_entropy(tr.tensor(z), y).item(), -logp[range(5), y].mean())
    np.testing.assert_allclose(
        F.cross_entropy(tr.tensor(z), y, reduction="sum").item(), -logp[range(5), y].sum()
    )
    assert tr.gradcheck(lambda t: F.cross_entropy(t, y), [z])
    assert tr.gradcheck(lambda t: F.cross_entropy(t, y, reduction="sum"), [z])


def test_cross_entropy_finite_for_huge_logits():
    z = tr.tensor(np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], dtype=np.float32), True)
    loss = F.cross_entropy(z, np.array([1, 2]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(loss.item(), (2e4 + np.log(2)) / 2, rtol=1e-6)


def test_cross_entropy_rejects_bad_labels():
    z = tr.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        F.cross_entropy(z, np.array([0, 3]))
    with pytest.raises(ValueError, match="integer"):
        F.cross_entropy(z, np.array([0.0, 1.0]))


def test_mse_and_bce_with_logits():
    rng = np.random.default_rng(9)
    p, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(F.mse_loss(tr.tensor(p), t).item(), np.mean((p - t) ** 2))
    assert tr.gradcheck(lambda x: F.mse_loss(x, t), [p])
    assert tr.gradcheck(lambda x: F.mse_loss(x, t, reduction="sum"), [p])
    labels = rng.integers(0, 2, (4, 3)).astype(float)
    s = 1 / (1 + np.exp(-p))
    expected = -np.mean(labels * np.log(s) + (1 - labels) * np.log(1 - s))
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(tr.tensor(p), labels).item(), expected
    )
    assert tr.gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, labels), [p])
    big = F.binary_cross_entropy_with_logits(tr.tensor(np.array([1e4, -1e4])), np.array([0, 1]))
    np.testing.assert_allclose(big.item(), 1e4)


def test_mlp_with_cross_entropy_end_to_end():
    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    w1, b1 = rng.standard_normal((5, 7)), rng.standard_normal(7) * 0.1
    w2, b2 = rng.standard_normal((7, 3)), rng.standard_normal(3) * 0.1

    def mlp(w1, b1, w2, b2):
        hidden = (tr.tensor(x) @ w1 + b1).tanh()
        return F.cross_entropy(hidden @ w2 + b2, y) + (w1 * w1).sum() * 1e-3

    assert tr.gradcheck(mlp, [w1, b1, w2, b2])


# ------------------------------------------------------------------ engine behaviour
def test_gradcheck_catches_a_wrong_gradient():
    x = tr.tensor(np.array([1.0, 2.0]), requires_grad=True)

    def bad(t):  # value t^2, claimed gradient t (should be 2t)
        return tr.op("bad_square", t.data**2, (t,), lambda g: (g * t.data,))

    with pytest.raises(tr.GradcheckError, match=r"input 0 at index \(\d,\)"):
        tr.gradcheck(bad, [x])


def test_gradcheck_rejects_non_finite_input():
    with pytest.raises(ValueError, match="non-finite"):
        tr.gradcheck(lambda t: t * 2, [np.array([1.0, np.nan])])


def test_long_chain_does_not_hit_recursion_limit():
    x = tr.tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001**10_000, rtol=1e-6)


def test_gradients_accumulate_until_cleared():
    x = tr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * 2 * x.data)
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_shared_gradient_array_is_not_aliased_between_leaves():
    a = tr.tensor(np.ones(2), requires_grad=True)
    b = tr.tensor(np.ones(2), requires_grad=True)
    (a + b).sum().backward()
    (a * 5).sum().backward()
    np.testing.assert_allclose(a.grad, [6.0, 6.0])
    np.testing.assert_allclose(b.grad, [1.0, 1.0])


def test_diamond_graph_sums_both_paths():
    x = tr.tensor(np.array(2.0), requires_grad=True)
    y = x * 3
    (y * y + y).backward()
    np.testing.assert_allclose(x.grad, 2 * 3 * 6 + 3)


def test_backward_errors():
    with pytest.raises(RuntimeError, match="scalar"):
        (tr.tensor(np.ones(3), requires_grad=True) * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        tr.tensor(np.ones(3)).sum().backward()
    with pytest.raises(TypeError, match="floating"):
        tr.tensor(np.array([1, 2]), requires_grad=True)


def test_explicit_grad_for_non_scalar_output():
    x = tr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [2.0, 40.0])


def test_no_grad_records_nothing():
    x = tr.tensor(np.ones(2), requires_grad=True)
    with tr.no_grad():
        y = x * 2
    assert not y.requires_grad and tr.is_grad_enabled()
    assert not tr.no_grad()(lambda: (x * 2).requires_grad)()


def test_dtypes_are_preserved():
    assert tr.tensor([1.0, 2.0]).dtype == np.float32
    assert tr.tensor(np.zeros(2)).dtype == np.float64
    assert tr.tensor([1, 2]).dtype.kind == "i"
    w = tr.tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    x = tr.tensor(np.ones((4, 3), dtype=np.float32))
    loss = F.cross_entropy((x @ w * 0.5 + 1.0).relu().tanh(), np.array([0, 1, 0, 1]))
    loss.backward()
    assert loss.dtype == np.float32 and w.grad.dtype == np.float32


def test_tensor_copies_input_and_ops_leave_inputs_unchanged():
    a = np.arange(4.0)
    t = tr.tensor(a, requires_grad=True)
    t.data[0] = 100.0
    assert a[0] == 0.0
    b = np.arange(4.0)
    before = b.copy()
    u = tr.tensor(b, requires_grad=True)
    (u.exp() * u + u[1:].sum()).sum().backward()
    np.testing.assert_array_equal(u.data, before)


def test_factories_and_seed():
    assert tr.zeros(2, 3).shape == (2, 3) and tr.ones(4).data.sum() == 4
    tr.manual_seed(3)
    a = tr.randn(5)
    tr.manual_seed(3)
    np.testing.assert_array_equal(a.data, tr.randn(5).data)
    assert a.dtype == np.float32
    with pytest.raises(ValueError, match="seed"):
        tr.manual_seed(-1)


def test_astype_casts_and_casts_the_gradient_back():
    x = np.array([1.5, -2.0])
    assert tr.gradcheck(lambda t: t.astype(np.float64) * 3.0, [x])
    t = tr.tensor(x, requires_grad=True)
    low = t.astype(np.float32)
    assert low.dtype == np.float32
    (low * 2).sum().backward()
    assert t.grad.dtype == np.float64
    np.testing.assert_array_equal(t.grad, [2.0, 2.0])


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_cuda_without_cupy_says_what_to_install():
    with pytest.raises(RuntimeError, match=r"pip install 'tinyreg\[cuda\]'"):
        tr.tensor([1.0], device="cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        tr.tensor([1.0], device="tpu")


def test_item_numpy_detach():
    x = tr.tensor(np.array([[2.5]]), requires_grad=True)
    assert x.item() == 2.5 and x.detach().numpy() is x.data
    assert not x.detach().requires_grad
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()


def test_a_user_defined_op_gets_its_gradient_and_its_name_in_errors():
    def cube(x):
        return tr.op("cube", x.data**3, (x,), lambda g: (3 * x.data**2 * g,))

    x = np.array([0.5, -1.5, 2.0])
    assert tr.gradcheck(cube, [x])
    assert cube(tr.tensor(x, requires_grad=True))._op == "cube"

    def wrong_shape(t):
        return tr.op("wrong_shape", t.data * 2, (t,), lambda g: (np.ones((5, 5)),))

    with pytest.raises(RuntimeError, match=r"backward of wrong_shape: .*\(5, 5\).*\(3,\)"):
        wrong_shape(tr.tensor(x, requires_grad=True)).sum().backward()

    def wrong_count(t):
        return tr.op("wrong_count", t.data * 2, (t,), lambda g: (g, g))

    with pytest.raises(RuntimeError, match="backward of wrong_count: returned 2 gradients for 1"):
        wrong_count(tr.tensor(x, requires_grad=True)).sum().backward()
