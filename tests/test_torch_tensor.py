"""The Tensor API of PyTorch on tinyreg ([16]): `.grad` is a Tensor, in-place ops with PyTorch's
rules, elementwise `==`, max/min with a dim as (values, indices), and the methods and
conversions a PyTorch script calls, each compared with PyTorch in float64 (values and gradients)
and gradchecked where it is differentiable."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 0.0, 2.0, 0.0], [5.0, 5.0, 5.0, 5.0]])
LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."


def pair(*arrays, requires_grad=True):
    """The same float64 values as tinyreg and PyTorch tensors."""
    ours = [tr.tensor(a, requires_grad=requires_grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return ours, theirs


def same(ours, theirs):
    """Equal values (and dtypes' kinds) of a tinyreg result and a PyTorch one."""
    expected = theirs.detach().numpy()
    got = ours.detach().numpy()
    assert got.shape == expected.shape and got.dtype.kind == expected.dtype.kind
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def backward_both(out, expected, ours, theirs):
    """Backward of <w, out> on both sides; every input's gradient must agree."""
    w = np.random.default_rng(1).standard_normal(out.shape)
    (out * w).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            same(a.grad, b.grad)


# ------------------------------------------------------------------ .grad is a Tensor
def test_grad_is_a_tensor_accumulated_in_place():
    x = tr.tensor(A, requires_grad=True)
    (x * 2).sum().backward()
    grad = x.grad
    assert isinstance(grad, tr.Tensor) and not grad.requires_grad and grad.is_leaf
    assert grad.shape == x.shape and grad.dtype == x.dtype and grad.device == x.device
    (x * 3).sum().backward()
    assert x.grad is grad  # accumulated into the same tensor, as PyTorch
    np.testing.assert_array_equal(grad, np.full(A.shape, 5.0))


def test_grad_assignment_follows_pytorch():
    p, q = tr.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None but got "
                                        "grad of type numpy.ndarray"):  # fmt: skip
        p.grad = np.ones(A.shape)
    with pytest.raises(TypeError):
        q.grad = np.ones(A.shape)
    for bad, needle in [(tr.ones(4), r"size \(4,\) to a tensor of size \(3, 4\)"),
                        (tr.tensor(A.astype(np.float32)), "dtype float32 to a tensor of dtype "
                                                          "float64")]:  # fmt: skip
        with pytest.raises(RuntimeError, match=needle):
            p.grad = bad
    assert p.grad is None
    g = tr.tensor(np.ones_like(A))
    p.grad = g
    (p * 2).sum().backward()  # added into the assigned tensor, as PyTorch
    assert p.grad is g
    np.testing.assert_array_equal(g, np.full(A.shape, 3.0))
    p.grad = None
    assert p.grad is None


def test_gradient_arrays_are_not_shared_between_leaves():
    a, b = tr.tensor([1.0, 2.0], requires_grad=True), tr.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # add's backward hands the same array to both
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_zero_grad_in_place_and_step_with_an_assigned_gradient():
    model = nn.Linear(3, 2)
    model.weight.data = model.weight.data.astype(np.float64)
    model.bias.data = model.bias.data.astype(np.float64)
    opt = optim.SGD(model.parameters(), lr=0.5)
    model(tr.tensor(np.ones((2, 3)))).sum().backward()
    grad = model.weight.grad
    opt.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and not grad.data.any()
    model.weight.grad = tr.tensor(np.ones((2, 3)))
    before = model.weight.data.copy()
    opt.step()
    np.testing.assert_allclose(model.weight.data, before - 0.5)


# ------------------------------------------------------------------ in-place ops
INPLACE = {  # name: (tinyreg's and PyTorch's op, applied to x)
    "+=": lambda x, y: x.__iadd__(y),
    "-=": lambda x, y: x.__isub__(y),
    "*=": lambda x, y: x.__imul__(y),
    "/=": lambda x, y: x.__itruediv__(y),
    "add_": lambda x, y: x.add_(y, alpha=0.5),
    "sub_": lambda x, y: x.sub_(y, alpha=2.0),
    "mul_": lambda x, y: x.mul_(y),
    "div_": lambda x, y: x.div_(y),
    "clamp_": lambda x, y: x.clamp_(-0.5, 0.5),
    "zero_": lambda x, y: x.zero_(),
    "fill_": lambda x, y: x.fill_(1.5),
    "copy_": lambda x, y: x.copy_(y),
}


@pytest.mark.parametrize("name", [*INPLACE, "normal_", "uniform_", "setitem"])
def test_in_place_on_a_leaf_that_requires_grad_is_pytorchs_error(name):
    fn = (
        INPLACE.get(name)
        or {
            "normal_": lambda x, y: x.normal_(),
            "uniform_": lambda x, y: x.uniform_(),
            "setitem": lambda x, y: x.__setitem__(0, 1.0),
        }[name]
    )
    (x, y), (tx, ty) = pair(A, B + 3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used"):
        fn(tx, ty)
    with pytest.raises(RuntimeError) as info:
        fn(x, y)
    assert str(info.value) == LEAF_ERROR
    np.testing.assert_array_equal(x.data, A)  # nothing changed


@pytest.mark.parametrize("name", INPLACE)
def test_in_place_under_no_grad_changes_the_same_array(name):
    (x, y), (tx, ty) = pair(A, B + 3)
    array = x.data
    with tr.no_grad(), torch.no_grad():
        result, expected = INPLACE[name](x, y), INPLACE[name](tx, ty)
    assert result is x and x.data is array and x.requires_grad and x.is_leaf
    same(x, expected)


def test_in_place_on_tensors_without_grad_and_with_numbers():
    x, tx = tr.tensor(A), torch.tensor(A)
    x += 1
    x *= np.float64(2)
    x -= B  # an array operand
    tx += 1
    tx *= 2
    tx -= torch.tensor(B)
    same(x, tx)
    n = tr.tensor([1, 2, 3])
    n += 1
    n *= 2
    assert n.dtype == np.int64 and n.tolist() == [4, 6, 8]


@pytest.mark.parametrize("bad,needle", [
    (lambda n, x: n.__iadd__(0.5), "add_: Cannot cast .* keep the dtype"),
    (lambda n, x: n.div_(2), "keep the dtype"),
    (lambda n, x: x.add_(np.ones((2, 3))), r"doesn't match the broadcast shape .*\(2, 3\)"),
    (lambda n, x: x.copy_(np.ones(4)), r"doesn't match the broadcast shape .*\(4,\)"),
])  # fmt: skip
def test_in_place_keeps_shape_and_dtype_or_raises_before_changing(bad, needle):
    n, x = tr.tensor([1, 2, 3]), tr.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=needle):
        bad(n, x)
    assert n.tolist() == [1, 2, 3] and x.tolist() == [1.0, 2.0, 3.0]


def test_no_grad_update_idiom_trains_like_pytorch():
    """The manual loop of PyTorch's tutorials: `with no_grad(): w -= lr * w.grad; w.grad.zero_()`
    updates the weights in place; 20 steps match PyTorch's in float64."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    (w, b), (tw, tb) = pair(rng.standard_normal(3), np.zeros(1))
    (X_, y_), (tX, ty) = pair(X, y, requires_grad=False)
    array = w.data
    for _ in range(20):
        for m, (ww, bb, XX, yy) in ((tr, (w, b, X_, y_)), (torch, (tw, tb, tX, ty))):
            loss = ((XX @ ww + bb - yy) ** 2).mean()
            loss.backward()
            with m.no_grad():
                ww -= 0.1 * ww.grad
                bb.sub_(bb.grad, alpha=0.1)
            ww.grad.zero_()
            bb.grad.zero_()
    assert w.data is array
    same(w, tw)
    same(b, tb)


def test_data_minus_grad_idiom_updates_the_array_in_place():
    w = tr.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    array = w.data
    w.data -= 0.5 * w.grad  # an array minus a tensor, written into the array
    w.data -= 0.5 * w.grad.data
    assert w.data is array and isinstance(w.data, np.ndarray)
    np.testing.assert_allclose(w.data, [-1.0, -2.0])


RECORDED = {  # in-place ops inside a graph, differentiable as in PyTorch
    "residual +=": lambda m, x, y: _chain(x * 2, lambda h: h.__iadd__(y)).exp(),
    "mul_": lambda m, x, y: _chain(x.sin(), lambda h: h.mul_(y)) * 3,
    "clamp_": lambda m, x, y: _chain(x * y, lambda h: h.clamp_(-0.3, 0.4)),
    "sub_ alpha": lambda m, x, y: _chain(x + 0, lambda h: h.sub_(y, alpha=2.0)),
    "div_": lambda m, x, y: _chain(x * 1, lambda h: h.div_(y + 5)),
    "copy_ from a tensor": lambda m, x, y: _chain(x * 2, lambda h: h.copy_(y[:1])) * x,
    "zero_": lambda m, x, y: _chain(x * 2, lambda h: h.zero_()) + y,
    "setitem": lambda m, x, y: _chain(x * 2, lambda h: h.__setitem__((0, slice(1, 3)),
                                                                     y[1, :2])) * x,
    "constant += tensor": lambda m, x, y: _chain(m.zeros(3, 4, dtype=m.float64),
                                                 lambda h: h.__iadd__(x)) * y,
}  # fmt: skip


def _chain(h, change):
    change(h)  # in place, the result discarded as in `h += y`
    return h


@pytest.mark.parametrize("name", RECORDED)
def test_in_place_ops_in_a_graph_match_pytorch(name):
    fn = RECORDED[name]
    ours, theirs = pair(A, B)
    out, expected = fn(tr, *ours), fn(torch, *theirs)
    same(out, expected)
    backward_both(out, expected, ours, theirs)
    assert tr.gradcheck(lambda x, y: fn(tr, x, y), [A, B])


def test_backward_after_a_change_in_place_is_pytorchs_error():
    for m in (tr, torch):
        x = m.tensor(A, requires_grad=True)
        y = x * 2
        z = y * y  # recorded with y's old value
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()
        w = m.tensor(A, requires_grad=True)
        loss = (w * w).sum()
        with m.no_grad():
            w -= 1  # the optimizer's update between forward and backward
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
        e = x.exp()
        with m.no_grad():
            e.mul_(2)  # exp's backward needs its output
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            e.sum().backward()


def test_item_assignment_like_pytorch():
    x, tx = tr.tensor(A), torch.tensor(A)
    for t, m in ((x, tr), (tx, torch)):
        t[0] = 5.0
        t[1, 1:3] = m.tensor([7.0, 8.0], dtype=m.float64)
        t[t > 7.5] = 0.0  # a boolean mask
        t[2] += 1  # a view changed in place, then assigned back
    same(x, tx)
    (w,), (tw,) = pair(A)
    with tr.no_grad(), torch.no_grad():
        w[:, 0], tw[:, 0] = 0.0, 0.0
    same(w, tw)
    h = tr.tensor(A, requires_grad=True) * 2
    h[0] += 1  # through a view of a tensor in a graph: refused, not a wrong gradient
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()


def test_normal_and_uniform_draw_from_the_seeded_generator():
    x = tr.zeros(2000, dtype=np.float64)
    tr.manual_seed(4)
    x.normal_(2.0, 0.5)
    tr.manual_seed(4)
    np.testing.assert_allclose(x, tr.randn(2000, dtype=np.float64).data * 0.5 + 2.0)
    assert abs(x.data.mean() - 2.0) < 0.05 and abs(x.data.std() - 0.5) < 0.05
    u = tr.zeros(2000).uniform_(-3.0, -1.0)
    assert u.dtype == np.float32 and -3.0 <= u.data.min() and u.data.max() < -1.0
    with pytest.raises(ValueError, match="from <= to"):
        u.uniform_(1.0, 0.0)
    with pytest.raises(ValueError, match="std must be a finite number >= 0"):
        u.normal_(0.0, -1.0)
    with pytest.raises(TypeError, match="float32 or float64"):
        tr.tensor([1, 2]).normal_()


# ------------------------------------------------------------------ == and hashing
def test_equality_is_elementwise_and_hashing_by_identity():
    x, tx = tr.tensor(TIES), torch.tensor(TIES)
    same(x == 2.0, tx == 2.0)
    same(x != x.T.T, tx != tx.T.T)
    same(x == tr.tensor(TIES[:1]), tx == torch.tensor(TIES[:1]))  # broadcast
    same(TIES == x, tx == torch.tensor(TIES))  # an array on the left
    assert (x == None) is False and (x != None) is True  # noqa: E711  (as PyTorch)
    assert (x == "a") is False and (x == [1.0]) is False
    with pytest.raises(TypeError, match="eq: other must be a tensor"):
        x.eq(None)
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(2,\)"):
        x == tr.tensor([1.0, 2.0])  # noqa: B015
    y = tr.tensor(TIES)
    assert len({x, y, x}) == 2 and {x: 1, y: 2}[y] == 2  # keys by identity, as PyTorch
    assert bool((x == y).all()) and not (x != y).any()
    assert (x == x).dtype == np.bool_ and not (x == x).requires_grad
    assert (5.0 in x) == (5.0 in tx) and (4.0 in x) == (4.0 in tx)


def test_bool_float_int_of_one_element_like_pytorch():
    assert float(tr.tensor([2.5])) == 2.5 and int(tr.tensor(3.7)) == 3
    assert bool(tr.tensor([0.0])) is False and bool(tr.tensor(2)) is True
    assert [10, 20, 30][tr.tensor(1)] == 20  # an integer tensor is an index
    assert f"{tr.tensor(2.5):.3f}" == f"{torch.tensor(2.5):.3f}" == "2.500"
    x = tr.tensor(A)
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with 12 values is ambiguous"):
        bool(x)
    with pytest.raises(ValueError, match="only one element tensors"):
        float(x)
    with pytest.raises(RuntimeError, match="a Tensor with 12 elements cannot be converted"):
        x.item()
    with pytest.raises(TypeError, match="only integer tensors"):
        [1, 2][tr.tensor(1.0)]  # noqa: B018


# ------------------------------------------------------------------ max / min
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim,keepdim", [(1, False), (0, True), (-1, True), (-2, False)])
def test_max_min_with_a_dim_give_values_and_indices_like_pytorch(name, dim, keepdim):
    for data in (TIES, A):  # ties: the first index, and the gradient goes to it
        (x,), (tx,) = pair(data)
        result, expected = getattr(x, name)(dim, keepdim), getattr(tx, name)(dim, keepdim)
        values, indices = result
        assert values is result.values and indices is result.indices
        same(values, expected.values)
        same(indices, expected.indices)
        assert indices.dtype == np.int64
        backward_both(values, expected.values, [x], [tx])
    assert tr.gradcheck(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim).values, [A])


def test_max_forms_like_pytorch():
    (x, y), (tx, ty) = pair(A, B)
    same(x.max(), tx.max())
    same(x.max(y), tx.max(ty))  # with a tensor: the elementwise maximum
    same(x.min(axis=0).values, tx.min(axis=0).values)
    s, ts = tr.tensor(3.0), torch.tensor(3.0)
    same(s.max(0).values, ts.max(0).values)
    same(s.max(0).indices, ts.max(0).indices)
    nan, tnan = tr.tensor([1.0, np.nan, 2.0]), torch.tensor([1.0, np.nan, 2.0])
    same(nan.max(0).indices, tnan.max(0).indices)
    assert np.isnan(nan.max().item()) and np.isnan(nan.min(0).values.item())
    logits = tr.tensor([[0.1, 2.0, 0.3], [1.5, 0.2, 0.1]])  # a 2-row batch
    _, predicted = logits.max(1)
    assert predicted.tolist() == [1, 0]
    with pytest.raises(TypeError, match="amax"):
        x.max(dim=(0, 1))
    with pytest.raises(IndexError, match="out of range"):
        x.max(2)


def test_max_of_all_and_amax_share_the_gradient_between_ties():
    (x,), (tx,) = pair(TIES)
    for ours, theirs in [(x.max(), tx.max()), (x.amax((0, 1)), tx.amax((0, 1))),
                         (x.amin(1), tx.amin(1))]:  # fmt: skip
        same(ours, theirs)
        x.grad, tx.grad = None, None
        backward_both(ours, theirs, [x], [tx])


# ------------------------------------------------------------------ dim= / keepdim=
REDUCTIONS = {
    "sum": lambda t: t.sum(dim=1, keepdim=True),
    "sum-dims": lambda t: t.sum(dim=(0, 1)),
    "mean": lambda t: t.mean(dim=-1),
    "var": lambda t: t.var(dim=0, keepdim=True),
    "var-correction": lambda t: t.var(dim=1, correction=0),
    "std-unbiased": lambda t: t.std(1, False, True),
    "softmax": lambda t: t.softmax(dim=0),
    "log_softmax": lambda t: t.log_softmax(dim=-1),
    "logsumexp": lambda t: t.logsumexp(dim=1, keepdim=True),
    "norm": lambda t: t.norm(dim=1, keepdim=True),
    "norm-inf": lambda t: t.norm(float("inf"), dim=0),
    "t": lambda t: t.t() * 2,
    "view_as": lambda t: t.view_as(t.sum(0).sum(0).expand(12)) * 2,
    "reshape_as": lambda t: t[:2].reshape_as(t[:2].t()) * 2,
    "expand_as": lambda t: t[:1].expand_as(t) * t,
    "pow-neg-matmul": lambda t: t.pow(3).neg().matmul(t.t()),
    "add-sub-alpha": lambda t: t.add(t * t, alpha=0.5).sub(t.exp(), alpha=2),
}


@pytest.mark.parametrize("name", REDUCTIONS)
def test_methods_with_dims_match_pytorch(name):
    fn = REDUCTIONS[name]
    (x,), (tx,) = pair(A)
    out, expected = fn(x), fn(tx)
    same(out, expected)
    backward_both(out, expected, [x], [tx])
    assert tr.gradcheck(fn, [A])


def test_bool_reductions_and_argmax_with_dims():
    x, tx = tr.tensor(TIES), torch.tensor(TIES)
    for fn in (lambda t: (t > 1).all(), lambda t: (t > 1).all(dim=1),
               lambda t: (t == 5).any(dim=0, keepdim=True), lambda t: t.any(),
               lambda t: t.argmax(dim=1, keepdim=True), lambda t: t.argmin(dim=-2),
               lambda t: t.argmax(), lambda t: (t == 2).sum(), lambda t: (t > 0).float().mean(),
               lambda t: (t == 5).sum().item()):  # fmt: skip
        ours, theirs = fn(x), fn(tx)
        if isinstance(theirs, int):
            assert ours == theirs
        else:
            same(ours, theirs)


def test_counting_correct_predictions_like_a_pytorch_loop():
    logits, labels = np.array([[0.1, 2.0], [3.0, 0.2], [0.5, 0.4]]), np.array([1, 1, 0])
    counts = []
    for m in (tr, torch):
        correct = 0
        for _ in range(2):
            _, predicted = m.tensor(logits).max(1)
            correct += (predicted == m.tensor(labels)).sum()  # an int, then a tensor in place
        counts.append(int(correct))
    assert counts == [4, 4]


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_cat_and_stack_take_dim_like_pytorch(dim):
    (x, y), (tx, ty) = pair(A, B)
    for ours, theirs in [
        (tr.ops.shape.cat([x, y], dim), torch.cat([tx, ty], dim)),
        (tr.ops.shape.stack([x, y], dim=dim), torch.stack([tx, ty], dim=dim)),
    ]:
        same(ours, theirs)
        x.grad, tx.grad, y.grad, ty.grad = None, None, None, None
        backward_both(ours, theirs, [x, y], [tx, ty])
    same(tr.ops.shape.concatenate([x, y], axis=dim), torch.cat([tx, ty], dim))


def test_cat_and_stack_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"except in dimension 0, got shapes \[\(3, 4\), \(2,"):
        tr.ops.shape.cat([tr.tensor(A), tr.zeros(2, 3)])
    with pytest.raises(ValueError, match="same shape"):
        tr.ops.shape.stack([tr.tensor(A), tr.zeros(4, 3)])
    with pytest.raises(TypeError, match="non-empty list"):
        tr.ops.shape.cat([])


# ------------------------------------------------------------------ conversions
def test_shape_and_conversion_methods_match_pytorch():
    x, tx = tr.tensor(A), torch.tensor(A)
    assert x.size() == tuple(tx.size()) and x.size(1) == tx.size(1) and x.size(-2) == 3
    assert x.numel() == tx.numel() == 12 and x.dim() == tx.dim() == 2
    assert x.tolist() == tx.tolist() and tr.tensor(2.5).tolist() == 2.5
    for name in ("float", "double", "long", "int", "bool"):
        ours, theirs = getattr(x, name)(), getattr(tx, name)()
        same(ours, theirs)
        assert ours.dtype.itemsize == theirs.element_size()
    assert x.double() is x and x.to(np.float64) is x and x.cpu() is x and x.to("cpu") is x
    assert x.to(np.float64, copy=True) is not x
    assert x.to(tr.tensor([1], dtype=np.int32)).dtype == np.int32
    assert x.to(device="cpu", dtype=np.float32).dtype == np.float32
    assert x.type() == "tinyreg.DoubleTensor" and x.long().type() == "tinyreg.LongTensor"
    assert x.type(np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="dtype must be a real dtype"):
        x.to(object)
    with pytest.raises(ValueError, match="device must be one of"):
        x.to("float")
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions"):
        tr.zeros(2, 3, 4).t()


def test_casts_are_differentiable_and_integers_never_require_grad():
    (x,), (tx,) = pair(A)
    out, expected = x.float().double() * 2, tx.float().double() * 2
    backward_both(out, expected, [x], [tx])
    assert not x.long().requires_grad and x.to(np.float32).requires_grad
    assert tr.gradcheck(lambda t: t.to(np.float64) * t.type(np.float64), [A])


def test_detach_requires_grad_and_numpy():
    x = tr.tensor(A, requires_grad=True)
    d = x.detach()
    assert d.data is x.data and not d.requires_grad  # shares the array, as PyTorch
    with pytest.raises(RuntimeError, match="Use tensor.detach"):
        x.numpy()
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    assert y.requires_grad_() is y
    z = tr.tensor(A).requires_grad_()
    assert z.requires_grad and z.is_leaf
    with pytest.raises(TypeError, match="floating-point"):
        tr.tensor([1, 2]).requires_grad_()


def test_numpy_accepts_tensors():
    x = tr.tensor(A)
    assert np.asarray(x) is x.data and np.asarray(x, dtype=np.float32).dtype == np.float32
    np.testing.assert_allclose(x, A)
    assert np.isfinite(x).all() and isinstance(np.isfinite(x), np.ndarray)
    out = B * x  # an array on the left: the tensor's reflected operator (a tensor)
    assert isinstance(out, tr.Tensor)
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(tr.tensor(A, requires_grad=True))


def test_flatten_refuses_start_dim_after_end_dim_as_pytorch():
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        torch.zeros(2, 3, 4).flatten(2, 1)
    with pytest.raises(ValueError, match="start_dim 2 cannot come after end_dim 1"):
        tr.zeros(2, 3, 4).flatten(2, 1)
    assert tr.zeros(2, 3, 4).flatten(1, 2).shape == tuple(torch.zeros(2, 3, 4).flatten(1, 2).shape)
