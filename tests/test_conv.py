"""Convolutional layers: gradcheck in float64 over strides, paddings, dilations and odd sizes;
forward and every gradient against PyTorch (when installed) in float64 and float32; BatchNorm2d
running statistics; Dropout2d semantics; non-contiguous inputs; MNIST IDX files."""

import gzip

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim, reg, vision
from tinyreg.nn import functional as F

CONVS = [  # (input shape, weight shape, stride, padding, dilation)
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, 1),
    ((1, 2, 7, 7), (3, 2, 3, 3), 2, 1, 1),
    ((1, 2, 9, 8), (2, 2, 3, 2), (2, 1), (1, 0), (1, 2)),
    ((2, 1, 6, 6), (2, 1, 4, 4), 1, "same", 1),
    ((1, 2, 5, 6), (2, 2, 3, 3), 1, "same", 2),
]


@pytest.mark.parametrize("shape,wshape,stride,padding,dilation", CONVS)
def test_conv2d_gradcheck(shape, wshape, stride, padding, dilation):
    rng = np.random.default_rng(0)
    x, w, b = (
        rng.standard_normal(shape),
        rng.standard_normal(wshape),
        rng.standard_normal(wshape[0]),
    )
    assert tr.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation), [x, w, b])


@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize(
    "kernel,stride,padding", [(2, None, 0), (3, 2, 1), ((3, 2), (2, 1), (1, 0))]
)
def test_pooling_gradcheck(pool, kernel, stride, padding):
    x = np.random.default_rng(1).standard_normal((2, 2, 7, 6))  # no ties: max is differentiable
    fn = F.max_pool2d if pool == "max" else F.avg_pool2d
    assert tr.gradcheck(lambda t: fn(t, kernel, stride, padding), [x])


def test_batchnorm2d_adaptive_pool_and_flatten_gradcheck():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 4, 5))
    gamma, beta = rng.standard_normal(2), rng.standard_normal(2)

    def net(x, gamma, beta):
        y = F.batch_norm(x, None, None, gamma, beta, training=True)
        return F.adaptive_avg_pool2d(y * y).reshape(3, -1)

    assert tr.gradcheck(net, [x, gamma, beta])


def test_against_pytorch_float64_and_float32():
    torch = pytest.importorskip("torch", reason="PyTorch is the second reference, when installed")
    rng = np.random.default_rng(3)
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 1e-4)):
        for shape, wshape, stride, padding, dilation in CONVS:
            x, w = (
                rng.standard_normal(shape).astype(dtype),
                rng.standard_normal(wshape).astype(dtype),
            )
            b = rng.standard_normal(wshape[0]).astype(dtype)
            ours = [tr.tensor(a, requires_grad=True) for a in (x, w, b)]
            theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
            y = F.conv2d(*ours, stride, padding, dilation)
            yt = torch.nn.functional.conv2d(*theirs, stride=stride, padding=padding,
                                            dilation=dilation)  # fmt: skip
            g = rng.standard_normal(y.shape).astype(dtype)
            (y * g).sum().backward()
            yt.backward(torch.tensor(g))
            scale = max(1.0, float(np.abs(yt.detach().numpy()).max()))
            np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=tol, atol=tol * scale)
            for a, at in zip(ours, theirs, strict=True):
                big = max(1.0, float(np.abs(at.grad.numpy()).max()))
                np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=tol, atol=tol * big)
        x = rng.standard_normal((2, 3, 7, 6)).astype(dtype)
        x[0, 0, :2, :2] = 3.0  # a tie: the gradient goes to the first maximum, as in PyTorch
        for ours_fn, theirs_fn in ((F.max_pool2d, torch.nn.functional.max_pool2d),
                                   (F.avg_pool2d, torch.nn.functional.avg_pool2d)):  # fmt: skip
            t, tt = tr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            y, yt = ours_fn(t, 3, 2, 1), theirs_fn(tt, 3, 2, 1)
            y.sum().backward()
            yt.sum().backward()
            np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=tol, atol=tol)
            np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("stride,padding,dilation", [(1, 2, 1), (1, "same", (2, 1)), (2, 1, 1)])
def test_conv2d_in_batch_tiles_equals_pytorch_in_float64(monkeypatch, stride, padding, dilation):
    """Tiles of one image (stride 1, with 'same' padding and dilation, and stride 2), with and
    without the input's gradient and the bias: PyTorch's values."""
    torch = pytest.importorskip("torch", reason="PyTorch is the second reference, when installed")
    from tinyreg.nn.functional import conv

    monkeypatch.setattr(conv, "TILE_VALUES", 1)  # one image a tile: 5 tiles
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((5, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3))
    b, g = rng.standard_normal(4), None
    for x_grad, with_bias in ((True, True), (False, False)):
        ours = [tr.tensor(x, requires_grad=x_grad), tr.tensor(w, requires_grad=True)]
        theirs = [torch.tensor(x, requires_grad=x_grad), torch.tensor(w, requires_grad=True)]
        if with_bias:
            ours.append(tr.tensor(b, requires_grad=True))
            theirs.append(torch.tensor(b, requires_grad=True))
        y = F.conv2d(*ours, stride=stride, padding=padding, dilation=dilation)
        yt = torch.nn.functional.conv2d(*theirs, stride=stride, padding=padding,
                                        dilation=dilation)  # fmt: skip
        g = rng.standard_normal(y.shape) if g is None else g
        (y * g).sum().backward()
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        for a, at in zip(ours, theirs, strict=True):
            if at.requires_grad:
                np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-12, atol=1e-11)
            else:
                assert a.grad is None


def test_conv2d_tiles_give_the_same_bits_as_one_tile(monkeypatch):
    """Reproducible for a seed: the weight gradient sums the tiles in order, so tiles of 2 images
    give the same float32 values on every run (and values close to one tile's)."""
    from tinyreg.nn.functional import conv

    rng = np.random.default_rng(8)
    x, w = (
        rng.standard_normal((5, 2, 6, 6), np.float32),
        rng.standard_normal((3, 2, 3, 3), np.float32),
    )

    def grads():
        xt, wt = tr.tensor(x, requires_grad=True), tr.tensor(w, requires_grad=True)
        (F.conv2d(xt, wt, padding=1) ** 2).sum().backward()
        return xt.grad.numpy().copy(), wt.grad.numpy().copy()

    whole = grads()
    monkeypatch.setattr(conv, "TILE_VALUES", 2 * 2 * 9 * 6 * 8)  # 2 images a tile
    tiled, again = grads(), grads()
    for a, b, c in zip(tiled, again, whole, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)


def test_max_pool_with_nans_matches_pytorch():
    """A NaN wins its window and the gradient goes to the window's last NaN, as in PyTorch."""
    torch = pytest.importorskip("torch", reason="PyTorch is the second reference, when installed")
    x = np.random.default_rng(6).standard_normal((1, 2, 6, 6)).astype(np.float32)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # two NaNs in one window
    x[0, 1, 3, 3] = np.nan
    t, tt = tr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = F.max_pool2d(t, 2), torch.nn.functional.max_pool2d(tt, 2)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(y.data, yt.detach().numpy())  # NaNs in the same places
    np.testing.assert_array_equal(t.grad, tt.grad.numpy())


def test_batchnorm2d_running_statistics_match_pytorch_after_several_steps():
    torch = pytest.importorskip("torch", reason="PyTorch is the second reference, when installed")
    ours, theirs = nn.BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2)
    rng = np.random.default_rng(4)
    for _ in range(4):
        x = (rng.standard_normal((4, 3, 5, 5)) * 3 + 7).astype(np.float32)
        ours(tr.tensor(x))
        theirs(torch.tensor(x))
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-5)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(tr.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)  # fmt: skip


def test_running_statistics_use_n_h_w_values():
    layer = nn.BatchNorm2d(2, momentum=1.0)  # the running values become the batch's
    x = np.random.default_rng(5).standard_normal((3, 2, 4, 4)).astype(np.float64)
    layer.to(np.float64)(tr.tensor(x))
    per_channel = x.transpose(1, 0, 2, 3).reshape(2, -1)
    np.testing.assert_allclose(layer.running_mean, per_channel.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, per_channel.var(axis=1, ddof=1), rtol=1e-12)


def test_dropout2d_drops_whole_channels():
    tr.manual_seed(0)
    x = tr.tensor(np.ones((64, 8, 3, 3), np.float32), requires_grad=True)
    y = F.dropout2d(x, 0.5)
    per_channel = y.data.reshape(64, 8, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # one value per channel
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # d(x * m / (1 - p)) / dx = m / (1 - p)
    layer = nn.Dropout2d(0.5).eval()
    np.testing.assert_array_equal(layer(x).data, x.data)
    assert 0.4 < np.mean(per_channel[:, :, 0] == 0) < 0.6


def test_conv_ops_on_non_contiguous_inputs_equal_the_contiguous_result():
    rng = np.random.default_rng(6)
    base = rng.standard_normal((2, 3, 6, 7))
    w = tr.tensor(rng.standard_normal((4, 6, 3, 3)))
    for view in (lambda t: t.permute(0, 1, 3, 2), lambda t: t[:, :, ::2]):
        a = tr.tensor(base, requires_grad=True)
        b = tr.tensor(np.ascontiguousarray(view(tr.tensor(base)).data), requires_grad=True)
        for make in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 2, 1, 1)):
            ya, yb = make(view(a)), make(b)
            np.testing.assert_array_equal(ya.data, yb.data)
    x = tr.tensor(base.transpose(1, 0, 2, 3).copy(), requires_grad=True)
    y = F.conv2d(x.permute(1, 0, 2, 3), w[:, :3], None, 1, 1)
    y2 = F.conv2d(tr.tensor(base), w[:, :3], None, 1, 1)
    np.testing.assert_allclose(y.data, y2.data, rtol=1e-12)


def test_layers_shapes_init_and_penalty_coverage():
    tr.manual_seed(0)
    conv = nn.Conv2d(3, 8, 5, padding=2)
    bound = 1 / np.sqrt(3 * 25)
    assert conv.weight.shape == (8, 3, 5, 5) and conv.bias.shape == (8,)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    model = nn.Sequential(conv, nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Dense(8 * 4 * 4, 10))  # fmt: skip
    assert model(tr.tensor(np.zeros((2, 3, 8, 8), np.float32))).shape == (2, 10)
    assert reg.penalized(model) == [conv.weight, model[5].weight]  # conv and dense weights only
    assert nn.Flatten(0)(tr.ones(2, 3, 4)).shape == (24,)
    assert nn.AdaptiveAvgPool2d(1)(tr.ones(2, 3, 4, 5)).shape == (2, 3, 1, 1)
    with pytest.raises(
        ValueError, match=r"expected input \(N, 3, H, W\), got shape \(2, 4, 8, 8\)"
    ):
        conv(tr.ones(2, 4, 8, 8))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="at most half the kernel size"):
        F.max_pool2d(tr.ones(1, 1, 4, 4), 2, 2, 2)
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d(tr.ones(1, 1, 2, 2), tr.ones(1, 1, 3, 3))


def test_a_small_cnn_learns_mnist_subset_with_augmentation():
    from tinyreg.training.trainer import Trainer
    from tinyreg.vision import transforms as augment

    X, y = vision.datasets.load_mnist(split="train")
    val = vision.datasets.load_mnist(split="test")
    tr.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.MaxPool2d(4), nn.Flatten(), nn.Dense(8 * 7 * 7, 10))  # fmt: skip
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.02, momentum=0.9),
                      augment=augment.RandomAffine(8, scale=(0.95, 1.05)))  # fmt: skip
    trainer.fit(X[:1000], y[:1000], val=val, epochs=2, batch_size=64, verbose=0)
    assert trainer.evaluate(*val)["accuracy"] > 0.8


# --------------------------------------------------------------------------- IDX files
def write_idx(path, array, code=0x08, compress=False):
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:  # closed: Python 3.12+ buffers gzip
        f.write(raw)


def test_load_idx_reads_what_it_is_given(tmp_path):
    images = np.random.default_rng(7).integers(0, 256, (5, 4, 3)).astype(np.uint8)
    write_idx(tmp_path / "a.idx", images)
    write_idx(tmp_path / "b.idx.gz", images, compress=True)
    floats = np.linspace(-1, 1, 6).reshape(2, 3)
    write_idx(tmp_path / "c.idx", floats.astype(np.float64), code=0x0E)
    np.testing.assert_array_equal(vision.datasets.load_idx(tmp_path / "a.idx"), images)
    np.testing.assert_array_equal(vision.datasets.load_idx(tmp_path / "b.idx.gz"), images)
    np.testing.assert_array_equal(vision.datasets.load_idx(tmp_path / "c.idx"), floats)


def test_load_idx_refuses_broken_files(tmp_path):
    images = np.zeros((5, 4, 3), np.uint8)
    write_idx(tmp_path / "good.idx", images)
    raw = (tmp_path / "good.idx").read_bytes()
    cases = {"truncated.idx": (raw[:-7], "truncated"), "long.idx": (raw + b"x", "truncated"),
             "foreign.idx": (b"PK\x03\x04" + raw[4:], "not an IDX file"),
             "code.idx": (raw[:2] + b"\x07" + raw[3:], "unknown IDX type code 0x07"),
             "header.idx": (raw[:6], "truncated in its header")}  # fmt: skip
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=message):
            vision.datasets.load_idx(tmp_path / name)
    with pytest.raises(ValueError, match="cannot read"):
        vision.datasets.load_idx(tmp_path / "missing.idx")


def test_load_mnist_from_a_folder_and_the_bundled_subset(tmp_path):
    images = np.random.default_rng(8).integers(0, 256, (6, 28, 28)).astype(np.uint8)
    labels = np.arange(6).astype(np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, compress=True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    X, y = vision.datasets.load_mnist(tmp_path, split="test")
    assert X.shape == (6, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X[:, 0] * 255, images, atol=1e-4)
    np.testing.assert_array_equal(y, labels)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        vision.datasets.load_mnist(tmp_path, split="train")
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)  # torchvision's layout is found too
    (tmp_path / "t10k-labels-idx1-ubyte").rename(tmp_path / "MNIST/raw/t10k-labels-idx1-ubyte")
    np.testing.assert_array_equal(vision.datasets.load_mnist(tmp_path, split="test")[1], labels)


def test_the_bundled_subset_splits_into_fixed_disjoint_stratified_parts():
    X, y = vision.datasets.load_mnist()
    assert X.shape == (4000, 1, 28, 28) and X.dtype == np.float32 and 0 <= X.min() <= X.max() <= 1
    np.testing.assert_array_equal(np.bincount(y), [400] * 10)
    X_test, y_test = vision.datasets.load_mnist(split="test")
    assert X_test.shape == (1000, 1, 28, 28)
    np.testing.assert_array_equal(np.bincount(y_test), [100] * 10)
    train_images = {image.tobytes() for image in X}
    assert not any(image.tobytes() in train_images for image in X_test)  # no training image
    assert len(train_images) == 4000
    assert y[:20].tolist() != sorted(y[:20].tolist())  # shuffled, not grouped by digit
    tr.manual_seed(123)  # the split does not follow the global seed
    np.testing.assert_array_equal(vision.datasets.load_mnist(split="test")[0], X_test)
