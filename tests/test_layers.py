"""Modules, Dropout and BatchNorm1d (kernels in every version and the layers), save/load."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim, reg
from tinyreg.nn import functional as F


def test_dropout_layer_semantics():
    tr.manual_seed(0)
    x = tr.tensor(np.full((500, 400), 2.0, np.float32), requires_grad=True)
    layer = nn.Dropout(0.25)
    y = layer(x)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 2.0 / 0.75, rtol=1e-6)
    assert abs(y.data.mean() - 2.0) < 0.02  # the mean is preserved
    y.backward(np.ones_like(y.data))
    np.testing.assert_allclose(x.grad, kept / 0.75, rtol=1e-6)  # gradient = mask / (1 - p)
    layer.eval()
    assert layer(x) is x
    assert np.all(nn.Dropout(1.0)(x).data == 0)
    assert nn.Dropout(0.0)(x) is x


def test_dropout_same_seed_same_mask_new_call_new_mask():
    x = tr.tensor(np.ones((50, 50), np.float32))
    tr.manual_seed(7)
    a, b = F.dropout(x, 0.5), F.dropout(x, 0.5)
    tr.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).data, a.data)
    assert not np.array_equal(a.data, b.data)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\]"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\]"):
        F.dropout(tr.tensor(np.ones(3)), p)


def test_batchnorm_gradcheck_train_and_eval():
    tr.manual_seed(0)
    layer = nn.BatchNorm1d(4).to(np.float64)
    r = np.random.default_rng(2)
    layer.weight.data[:] = r.uniform(0.5, 2, 4)
    layer.bias.data[:] = r.standard_normal(4)
    x = r.standard_normal((6, 4)) * 2 + 1

    def f(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)

    assert tr.gradcheck(f, [x, layer.weight, layer.bias])
    rm, rv = r.standard_normal(4), r.uniform(0.5, 2, 4)
    assert tr.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False),
                        [x, layer.weight, layer.bias])  # fmt: skip
    assert tr.gradcheck(lambda x: F.batch_norm(x, None, None, training=True), [x])


def test_batchnorm_layer_running_stats_and_eval():
    layer = nn.BatchNorm1d(3, momentum=0.2)
    r = np.random.default_rng(3)
    batches = [(r.standard_normal((10, 3)) * [1, 2, 3] + [0, 5, -5]).astype(np.float32)
               for _ in range(4)]  # fmt: skip
    mean, var = np.zeros(3), np.ones(3)
    for xb in batches:
        layer(tr.tensor(xb))
        mean = 0.8 * mean + 0.2 * xb.mean(0)
        var = 0.8 * var + 0.2 * xb.var(0, ddof=1)  # the unbiased variance
    np.testing.assert_allclose(layer.running_mean, mean, rtol=1e-5)
    np.testing.assert_allclose(layer.running_var, var, rtol=1e-5)
    layer.eval()
    x = batches[0]
    expected = (x - mean) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(layer(tr.tensor(x)).data, expected, rtol=1e-4, atol=1e-5)


def test_batchnorm_is_stable_for_large_means():
    x = (np.random.default_rng(4).standard_normal((1000, 8)) + 1e4).astype(np.float32)
    y = nn.BatchNorm1d(8)(tr.tensor(x)).data
    np.testing.assert_allclose(y.std(0), 1.0, atol=1e-3)
    np.testing.assert_allclose(y.mean(0), 0.0, atol=1e-3)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tr.tensor(np.ones((1, 3), np.float32)))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        nn.BatchNorm1d(3)(tr.tensor(np.ones((4, 2), np.float32)))
    layer = nn.BatchNorm1d(3).eval()
    assert layer(tr.tensor(np.ones((1, 3), np.float32))).shape == (1, 3)


# ------------------------------------------------------------------ modules and save/load
def small_model():
    return nn.Sequential(nn.Dense(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2),
                         nn.Dense(8, 3))  # fmt: skip


def test_module_traversal_and_modes():
    model = small_model()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"]
    assert list(model.state_dict()) == [  # PyTorch's order: each layer's parameters, then buffers
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "4.weight", "4.bias"]  # fmt: skip
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert [p.regularize for p in model.parameters()] == [True, False, False, False, True, False]


def test_dense_init_bounds_and_errors():
    tr.manual_seed(0)
    he = nn.Dense(100, 50).weight.data
    assert np.abs(he).max() <= np.sqrt(6 / 100) and he.std() > 0.8 * np.sqrt(2 / 100)
    glorot = nn.Dense(100, 50, init="glorot").weight.data
    assert np.abs(glorot).max() <= np.sqrt(6 / 150)
    assert nn.Dense(3, 2, bias=False).bias is None
    with pytest.raises(ValueError, match="init"):
        nn.Dense(3, 2, init="zeros")


def test_save_load_round_trip(tmp_path):
    tr.manual_seed(1)
    model = small_model()
    model(tr.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)))
    path = tmp_path / "model.npz"
    tr.save(model, path)
    other = small_model()
    tr.load(other, path)
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left


def test_load_rejects_bad_files_and_leaves_model_unchanged(tmp_path):
    model = small_model()
    before = model.state_dict()
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="not a readable"):
        tr.load(model, corrupt)
    wrong = tmp_path / "wrong.npz"
    state = small_model().state_dict()
    state["4.weight"] = np.zeros((8, 5), np.float32)
    np.savez(wrong, **state)
    with pytest.raises(ValueError, match=r"'4.weight' has shape \(8, 5\)"):
        tr.load(model, wrong)
    del state["4.weight"]
    state["extra"] = np.zeros(1)
    np.savez(wrong, **state)
    with pytest.raises(
        KeyError, match="missing keys \\['4.weight'\\].*unexpected keys \\['extra'\\]"
    ):
        tr.load(model, wrong)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **{**before, "0.weight": np.array([object()], dtype=object)})
    with pytest.raises(ValueError):
        tr.load(model, pickled)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_dense_batchnorm_relu_dropout_dense_trains():
    tr.manual_seed(0)
    r = np.random.default_rng(0)
    X = r.standard_normal((256, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    model = small_model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    penalty = reg.L2(1e-4)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = F.cross_entropy(model(tr.tensor(X)), y) + penalty(model)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    model.eval()
    accuracy = (model(tr.tensor(X)).data.argmax(1) == y).mean()
    assert loss.item() < 0.5 * first and accuracy > 0.9


def test_activation_modules_match_their_formulas():
    x = np.linspace(-3, 3, 13)
    t = tr.tensor(x)
    np.testing.assert_allclose(nn.ReLU()(t).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.Tanh()(t).data, np.tanh(x))
    np.testing.assert_allclose(nn.Sigmoid()(t).data, 1 / (1 + np.exp(-x)))
    assert nn.Identity()(t) is t
    assert nn.Flatten()(tr.tensor(np.zeros((2, 3, 4)))).shape == (2, 12)
    assert "Dense(4, 8, bias=True)" in repr(small_model())


def test_dense_layer_gradcheck():
    tr.manual_seed(0)
    layer = nn.Dense(3, 2).to(np.float64)
    x = np.random.default_rng(0).standard_normal((4, 3))

    def f(x, w, b):
        layer.weight, layer.bias = w, b
        return layer(x)

    assert tr.gradcheck(f, [x, layer.weight, layer.bias])
    with pytest.raises(ValueError, match=r"expected input \(N, 3\), got shape \(4, 5\)"):
        nn.Dense(3, 2)(tr.tensor(np.zeros((4, 5), np.float32)))
