"""Every fused op is right on every memory layout.

Layouts: C, F, transposed, sliced with steps, broadcast (stride 0), 0-d, one element, empty; in
float32 and float64. Two levels:
- the raw kernels: C-contiguous arrays give the NumPy reference's result; any other layout is a
  ValueError from kernels/_layout.py (never a silent write into a copy); the image kernels index
  in 4-D and are right on every layout;
- the engine (F.dropout, penalties, optimizers, F.batch_norm, augmentations), which hands kernels
  C-contiguous arrays: the result on any layout equals the NumPy reference on the same values.
Where PyTorch has the op (batch norm, SGD, Adam), it is the second reference when installed.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tinyreg.kernels import rng

import tinyreg as tr
from tinyreg import augment, kernels, optim, reg
from tinyreg import functional as F

LAYOUTS = ["C", "F", "transposed", "strided", "broadcast"]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def in_layout(values: np.ndarray, layout: str) -> np.ndarray:
    """An array equal to `values` (same shape and dtype) laid out in memory as `layout`."""
    if layout == "C":
        return np.array(values, order="C")  # (np.ascontiguousarray makes 0-d arrays 1-d)
    if layout == "F":
        return np.array(values, order="F")
    if layout == "transposed":
        return np.array(values.T, order="C").T
    if layout == "strided":
        wide = np.zeros((*values.shape[:-1], 2 * values.shape[-1]), values.dtype) if (
            values.ndim
        ) else None  # fmt: skip
        if wide is None:
            return values.copy()
        wide[..., ::2] = values
        return wide[..., ::2]
    if layout == "broadcast":  # stride 0 along the first axis: every row the same
        if values.ndim == 0 or values.shape[0] == 0:
            return values.copy()
        return np.broadcast_to(values[:1], values.shape)
    raise AssertionError(layout)


def broadcast_values(values: np.ndarray, layout: str) -> np.ndarray:
    """The values an array in `layout` holds (broadcast repeats the first row)."""
    return np.array(in_layout(values, layout))


shapes = st.sampled_from([(), (1,), (0,), (0, 3), (7,), (4, 5), (3, 1), (2, 3, 4), (64, 33)])


def sample(shape, dtype, seed):
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if values.size:
        values.reshape(-1)[:: max(1, values.size // 4)] = 0.0  # sign(0) = 0 must hold
    return values


# --------------------------------------------------------------------------- raw kernels
FLAT_VERSIONS = ["cpu", "cuda"]  # the reference is the oracle and accepts every layout


def c_contiguous(layout: str, values: np.ndarray) -> bool:
    return in_layout(values, layout).flags.c_contiguous


@given(shape=shapes, dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS),
       version=st.sampled_from(FLAT_VERSIONS), seed=st.integers(0, 99))  # fmt: skip
def test_raw_penalty_kernels_match_reference_or_refuse(shape, dtype, layout, version, seed):
    values = sample(shape, dtype, seed)
    k, ref = kernels.backend(version), kernels.backend("reference")
    w = in_layout(values, layout)
    g_values = sample(shape, dtype, seed + 1)
    if not w.flags.c_contiguous:
        with pytest.raises(ValueError, match="C-contiguous"):
            k.penalty_value(w, 0.3, 0.2)
        g = in_layout(g_values, layout if layout != "broadcast" else "F")
        if not g.flags.c_contiguous:
            before = g.copy()
            with pytest.raises(ValueError, match="C-contiguous"):
                k.penalty_value_grad(np.ascontiguousarray(w), g, 0.3, 0.2, 1.0)
            np.testing.assert_array_equal(g, before)  # refused before touching anything
        return
    expected_g = g_values.copy()
    expected = ref.penalty_value_grad(broadcast_values(values, layout), expected_g, 0.3, 0.2, 2.0)
    g = g_values.copy()
    got = k.penalty_value_grad(w, g, 0.3, 0.2, 2.0)
    np.testing.assert_allclose(float(np.asarray(got).reshape(-1)[0]), expected, rtol=1e-6)
    np.testing.assert_allclose(g, expected_g, **TOL[dtype])
    if not w.flags.writeable:  # a C-contiguous broadcast (one row): readable, not writable
        with pytest.raises(ValueError, match="w, but it is read-only"):
            k.prox(w, 0.5, 0.4, 0.3)
        return
    w_ref = broadcast_values(values, layout)
    ref.prox(w_ref, 0.5, 0.4, 0.3)
    k.prox(w, 0.5, 0.4, 0.3)
    np.testing.assert_allclose(w, w_ref, **TOL[dtype])


@given(shape=shapes, dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS),
       version=st.sampled_from(FLAT_VERSIONS), p=st.sampled_from([0.0, 0.3, 1.0]))  # fmt: skip
def test_raw_dropout_kernels_match_reference_or_refuse(shape, dtype, layout, version, p):
    values = sample(shape, dtype, 0)
    x = in_layout(values, layout)
    k, ref = kernels.backend(version), kernels.backend("reference")
    key = rng.stream_key(7, 3)
    y_ref, mask_ref = np.empty(shape, dtype), np.empty(shape, np.uint8)
    ref.dropout_forward(x, y_ref, mask_ref, p, key)  # the reference reads any layout
    y, mask = np.empty(shape, dtype), np.empty(shape, np.uint8)
    if not x.flags.c_contiguous:
        with pytest.raises(ValueError, match="C-contiguous"):
            k.dropout_forward(x, y, mask, p, key)
        return
    k.dropout_forward(x, y, mask, p, key)
    np.testing.assert_array_equal(mask, mask_ref)
    np.testing.assert_array_equal(y, y_ref)
    dx, dx_ref = np.empty(shape, dtype), np.empty(shape, dtype)
    ref.dropout_backward(values, mask_ref, p, dx_ref)
    k.dropout_backward(np.ascontiguousarray(values), mask, p, dx)
    np.testing.assert_array_equal(dx, dx_ref)


@given(shape=shapes, dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS),
       version=st.sampled_from(FLAT_VERSIONS), momentum=st.sampled_from([0.0, 0.9]))  # fmt: skip
def test_raw_optimizer_kernels_match_reference_or_refuse(shape, dtype, layout, version, momentum):
    w_values, g_values = sample(shape, dtype, 1), sample(shape, dtype, 2)
    k, ref = kernels.backend(version), kernels.backend("reference")
    g = in_layout(g_values, layout)
    w = np.ascontiguousarray(w_values)
    buf = np.zeros(shape if momentum else (0,), dtype)
    if not g.flags.c_contiguous:
        with pytest.raises(ValueError, match="C-contiguous"):
            k.sgd_step(w, g, buf, 0.1, momentum)
        np.testing.assert_array_equal(w, w_values)
        return
    w_ref, buf_ref = w_values.copy(), buf.copy()
    ref.sgd_step(w_ref, broadcast_values(g_values, layout), buf_ref, 0.1, momentum, 0.0, 0.01,
                 False, True)  # fmt: skip
    k.sgd_step(w, g, buf, 0.1, momentum, 0.0, 0.01, False, True)
    np.testing.assert_allclose(w, w_ref, **TOL[dtype])
    m, v = np.zeros(shape, dtype), np.zeros(shape, dtype)
    m_ref, v_ref, w_ref = m.copy(), v.copy(), w.copy()
    ref.adam_step(w_ref, g_values, m_ref, v_ref, 1e-3, 0.9, 0.999, 1e-8, 0.01, True, 1)
    k.adam_step(w, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0.01, True, 1)
    np.testing.assert_allclose(w, w_ref, **TOL[dtype])
    np.testing.assert_allclose(v, v_ref, **TOL[dtype])


@given(layout=st.sampled_from(["C", "F", "transposed", "strided"]),
       dtype=st.sampled_from(DTYPES), version=st.sampled_from(FLAT_VERSIONS),
       n=st.sampled_from([0, 1, 3]))  # fmt: skip
def test_raw_image_kernels_match_reference_or_refuse(layout, dtype, version, n):
    values = np.random.default_rng(n).random((n, 2, 6, 5)).astype(dtype)
    images = in_layout(values, layout)
    k, ref = kernels.backend(version), kernels.backend("reference")
    angles = np.deg2rad(np.linspace(-30, 30, n))
    matrices = np.zeros((n, 2, 3))
    matrices[:, 0, 0], matrices[:, 0, 1] = np.cos(angles), -np.sin(angles)
    matrices[:, 1, 0], matrices[:, 1, 1] = np.sin(angles), np.cos(angles)
    flags = np.arange(n) % 2 == 0
    tops, lefts = np.arange(n) % 3, np.arange(n) % 2
    out_ref = [np.zeros_like(values), np.zeros_like(values), np.zeros((n, 2, 4, 4), dtype)]
    ref.affine_warp(images, matrices, 0.5, out_ref[0])  # the reference reads any layout
    ref.flip(images, flags, ~flags, out_ref[1])
    ref.crop(images, tops, lefts, 1, 0.25, out_ref[2])
    out = [np.zeros_like(values), np.zeros_like(values), np.zeros((n, 2, 4, 4), dtype)]
    calls = [
        lambda: k.affine_warp(images, matrices, 0.5, out[0]),
        lambda: k.flip(images, flags, ~flags, out[1]),
        lambda: k.crop(images, tops, lefts, 1, 0.25, out[2]),
    ]
    for call, got, expected in zip(calls, out, out_ref, strict=True):
        if images.flags.c_contiguous:
            call()
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        else:
            with pytest.raises(ValueError, match="C-contiguous"):
                call()
            assert not got.any()  # refused before writing


@pytest.mark.parametrize("version", FLAT_VERSIONS)
def test_raw_batch_norm_kernels_refuse_non_contiguous_arrays(version):
    x = in_layout(sample((6, 4), np.float32, 0), "F")
    y, mean, var = np.zeros((6, 4), np.float32), np.empty(4), np.empty(4)
    w, b = np.ones(4, np.float32), np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="x of shape"):
        kernels.backend(version).batchnorm_forward(x, w, b, 1e-5, y, mean, var)
    assert not y.any()


# --------------------------------------------------------------------------- the engine
VIEWS = {  # tensor ops whose results are not C-contiguous, and the NumPy twin of each
    "transpose": (lambda t: t.T, lambda a: a.T),
    "permute": (lambda t: t.permute(1, 0), lambda a: a.transpose(1, 0)),
    "strided": (lambda t: t[:, ::2], lambda a: a[:, ::2]),
    "contiguous": (lambda t: t, lambda a: a),
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.0, 0.4, 1.0])
def test_dropout_op_on_views_equals_reference(view, dtype, p):
    tensor_view, array_view = VIEWS[view]
    base = sample((6, 8), dtype, 3)
    x = tr.tensor(base, requires_grad=True)
    upstream = in_layout(sample(array_view(base).shape, dtype, 4), "F")  # an F-ordered gradient
    tr.manual_seed(11)
    y = F.dropout(tensor_view(x), p)
    (y * upstream).sum().backward()
    tr.manual_seed(11)
    seed, stream = tr.random.next_stream()
    viewed = np.ascontiguousarray(array_view(base))
    y_ref, mask = np.empty_like(viewed), np.empty(viewed.shape, np.uint8)
    kernels.backend("reference").dropout_forward(
        viewed, y_ref, mask, p, rng.stream_key(seed, stream)
    )
    np.testing.assert_array_equal(y.data, y_ref)
    expected = np.zeros_like(base)
    array_view(expected)[...] = upstream * mask * (0.0 if p == 1 else 1 / (1 - p))
    np.testing.assert_allclose(x.grad, expected, **TOL[dtype])


@pytest.mark.parametrize("grad_layout", ["broadcast", "F", "transposed"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_penalty_gradient_is_added_into_any_gradient_layout(grad_layout, dtype):
    """The issue's case: the data loss leaves a broadcast (mean over rows) or F-ordered gradient
    in w.grad; the fused penalty must add into it, not into a lost copy."""
    w_values = sample((5, 4), dtype, 5)
    w = tr.tensor(w_values, requires_grad=True)
    m = sample((4, 5), dtype, 6)
    if grad_layout == "broadcast":
        data_loss = w.mean(dim=0).sum()
        data_grad = np.full(w.shape, 1 / 5)
    elif grad_layout == "F":
        data_loss = (w * np.asfortranarray(m.T)).sum()
        data_grad = m.T
    else:
        data_loss = (w.T * m).sum()
        data_grad = m.T
    penalty = reg.ElasticNet(0.3, 0.2, params=[w])
    (data_loss + penalty([w])).backward()
    expected = data_grad + 0.3 * np.sign(w_values) + 0.2 * w_values
    np.testing.assert_allclose(w.grad, expected, **TOL[dtype])


@pytest.mark.parametrize("layout", ["F", "transposed", "strided", "broadcast"])
@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "prox"])
def test_optimizer_step_on_any_parameter_and_gradient_layout(layout, name):
    w_values, g_values = sample((6, 4), np.float64, 7), sample((6, 4), np.float64, 8)
    p = tr.tensor(w_values, requires_grad=True)
    p.data = in_layout(w_values, layout if layout != "broadcast" else "F")  # a user's assignment
    p.grad = in_layout(g_values, layout)
    g_used = broadcast_values(g_values, layout)
    ref, w_ref = kernels.backend("reference"), w_values.copy()
    if name == "sgd":
        opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
        ref.sgd_step(w_ref, g_used, np.zeros_like(w_ref), 0.1, 0.9, 0.0, 0.01, False, True)
    elif name in ("adam", "adamw"):
        opt = (optim.Adam if name == "adam" else optim.AdamW)([p], lr=0.01, weight_decay=0.1)
        ref.adam_step(w_ref, g_used, np.zeros_like(w_ref), np.zeros_like(w_ref), 0.01, 0.9,
                      0.999, 1e-8, 0.1, name == "adamw", 1)  # fmt: skip
    else:
        opt = optim.SGD([p], lr=0.1, prox=reg.L1(0.5, params=[p]))
        w_ref -= 0.1 * g_used
        ref.prox(w_ref, 0.1, 0.5, 0.0)
    opt.step()
    np.testing.assert_allclose(p.data, w_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("view", ["transpose", "strided", "contiguous"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_op_on_views_equals_reference(view, dtype):
    tensor_view, array_view = VIEWS[view]
    base = sample((10, 12), dtype, 9) * 3 + 1
    x = tr.tensor(base, requires_grad=True)
    viewed = np.ascontiguousarray(array_view(base))
    c = viewed.shape[1]
    weight = tr.tensor(np.linspace(0.5, 1.5, c).astype(dtype), requires_grad=True)
    bias = tr.tensor(np.linspace(-1, 1, c).astype(dtype), requires_grad=True)
    upstream = in_layout(sample(viewed.shape, dtype, 10), "F")
    y = F.batch_norm(tensor_view(x), None, None, weight, bias, training=True)
    (y * upstream).sum().backward()
    ref = kernels.backend("reference")
    y_ref, mean, var = np.empty_like(viewed), np.empty(c), np.empty(c)
    ref.batchnorm_forward(viewed, weight.data, bias.data, 1e-5, y_ref, mean, var)
    dx, dw, db = np.empty_like(viewed), np.empty(c, dtype), np.empty(c, dtype)
    ref.batchnorm_backward(np.ascontiguousarray(upstream), viewed, weight.data, mean, var, 1e-5,
                           dx, dw, db)  # fmt: skip
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(y.data, y_ref, **tol)
    expected = np.zeros_like(base)
    array_view(expected)[...] = dx
    np.testing.assert_allclose(x.grad, expected, **tol)
    np.testing.assert_allclose(weight.grad, dw, **tol)
    torch = pytest.importorskip("torch")
    xt = torch.tensor(viewed, requires_grad=True)
    yt = torch.nn.functional.batch_norm(xt, None, None, torch.tensor(weight.data),
                                        torch.tensor(bias.data), training=True)  # fmt: skip
    yt.backward(torch.tensor(np.ascontiguousarray(upstream)))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **tol)
    np.testing.assert_allclose(array_view(x.grad), xt.grad.numpy(), **tol)


@pytest.mark.parametrize("layout", ["F", "transposed", "strided", "broadcast"])
@pytest.mark.parametrize("make", [
    lambda: augment.RandomRotation(20, seed=1),
    lambda: augment.RandomScale((0.8, 1.2), seed=1),
    lambda: augment.RandomFlip(True, True, seed=1),
    lambda: augment.RandomCrop(6, padding=1, seed=1),
    lambda: augment.Compose([augment.RandomRotation(10, seed=2), augment.RandomFlip(seed=3)]),
])  # fmt: skip
def test_augmentations_on_any_layout_equal_the_contiguous_result(layout, make):
    values = np.random.default_rng(0).random((5, 7, 7)).astype(np.float32)
    batch = in_layout(values, layout)
    np.testing.assert_array_equal(make()(batch), make()(broadcast_values(values, layout)))


def test_pytorch_optimizers_agree_on_a_transposed_gradient():
    torch = pytest.importorskip("torch")
    w_values, g_values = sample((4, 3), np.float64, 1), sample((3, 4), np.float64, 2).T
    for ours, theirs, kwargs in [
        (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
        (optim.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
        (optim.AdamW, torch.optim.AdamW, dict(lr=0.01)),
    ]:
        p = tr.tensor(w_values, requires_grad=True)
        q = torch.tensor(w_values, requires_grad=True)
        a, b = ours([p], **kwargs), theirs([q], **kwargs)
        for _ in range(3):
            p.grad = g_values  # F-ordered (a transposed view)
            q.grad = torch.tensor(np.ascontiguousarray(g_values))
            a.step()
            b.step()
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-14, atol=1e-15)
