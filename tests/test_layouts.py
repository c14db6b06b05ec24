"""Every fused op is right on every memory layout.

Layouts: C, F, transposed, sliced with steps, broadcast (stride 0), 0-d, one element, empty; in
float32 and float64. The raw kernels' layout tests are in tests/kernels/ (C-contiguous arrays
give the reference's result, any other layout is refused). Here, the engine (F.dropout,
penalties, optimizers, F.batch_norm, augmentations), which hands kernels
  C-contiguous arrays: the result on any layout equals the NumPy reference on the same values.
Where PyTorch has the op (batch norm, SGD, Adam), it is the second reference when installed.
"""

import numpy as np
import pytest
from layouts import broadcast_values, in_layout
from layouts import layout_sample as sample
from tinyreg.kernels import rng

import tinyreg as tr
from tinyreg import kernels, optim, reg
from tinyreg.nn import functional as F
from tinyreg.vision import transforms as augment

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


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
    p.grad = tr.tensor(g_values)
    p.grad.data = in_layout(g_values, layout)
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


@pytest.mark.parametrize("view", ["transpose", "strided"])
def test_batch_norm_op_on_views_matches_pytorch(view):
    torch = pytest.importorskip("torch", reason="PyTorch is the second reference, when installed")
    tensor_view, array_view = VIEWS[view]
    base = sample((10, 12), np.float64, 9) * 3 + 1
    x = tr.tensor(base, requires_grad=True)
    viewed = np.ascontiguousarray(array_view(base))
    c = viewed.shape[1]
    weight = tr.tensor(np.linspace(0.5, 1.5, c), requires_grad=True)
    bias = tr.tensor(np.linspace(-1, 1, c), requires_grad=True)
    upstream = in_layout(sample(viewed.shape, np.float64, 10), "F")
    y = F.batch_norm(tensor_view(x), None, None, weight, bias, training=True)
    (y * upstream).sum().backward()
    xt = torch.tensor(viewed, requires_grad=True)
    yt = torch.nn.functional.batch_norm(xt, None, None, torch.tensor(weight.data),
                                        torch.tensor(bias.data), training=True)  # fmt: skip
    yt.backward(torch.tensor(np.ascontiguousarray(upstream)))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(array_view(x.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


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
            p.grad = tr.tensor(g_values)
            p.grad.data = g_values  # F-ordered (a transposed view)
            q.grad = torch.tensor(np.ascontiguousarray(g_values))
            a.step()
            b.step()
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-14, atol=1e-15)
