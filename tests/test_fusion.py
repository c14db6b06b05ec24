"""Layer fusion (tinyreg.nn.fusion): a Sequential runs BatchNorm -> ReLU (-> Dropout) as one op,
and every number of a training run is equal bit for bit to the layers run one by one: outputs,
gradients, parameters, running statistics, the random state after; float32 and float64; train,
eval and mixed modes; frozen, missing or untracked batch-norm state. The switch turns it off."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim, reg
from tinyreg.nn import functional as F
from tinyreg.nn import fusion
from tinyreg.nn.functional.normalization import batch_norm_relu
from tinyreg.profiler import profile


def mlp(width=16, **bn):
    """Dense -> BN -> ReLU -> Dropout, then Dense -> BN -> ReLU (no dropout), then Dense."""
    return nn.Sequential(
        nn.Dense(12, width), nn.BatchNorm1d(width, **bn), nn.ReLU(), nn.Dropout(0.3),
        nn.Dense(width, width), nn.BatchNorm1d(width, **bn), nn.ReLU(), nn.Dense(width, 3),
    )  # fmt: skip


def cnn(side=6):
    """conv -> BN2d -> ReLU -> max-pool -> flatten -> Dense (workload C's block)."""
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dense(4 * (side // 2) ** 2, 3))  # fmt: skip


def mnist_net(side=8):
    """conv -> ReLU -> conv -> ReLU -> max-pool -> dropout -> flatten -> Linear (the shape of
    PyTorch's MNIST example: Conv2d -> ReLU fuses, twice)."""
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                         nn.Linear(6 * ((side - 2) // 2) ** 2, 3))  # fmt: skip


# Small arrays run the NumPy reference kernels, arrays of 2^12+ elements the compiled ones
# (tinyreg.device): each model below comes in both sizes.
MODELS = [
    pytest.param(mlp, (10, 12), id="mlp-reference"),
    pytest.param(lambda: mlp(width=128), (64, 12), id="mlp-compiled"),
    pytest.param(cnn, (6, 1, 6, 6), id="cnn-reference"),
    pytest.param(lambda: cnn(16), (8, 1, 16, 16), id="cnn-compiled"),
    pytest.param(mnist_net, (6, 1, 8, 8), id="conv-relu"),
    pytest.param(lambda: mnist_net(18), (40, 1, 18, 18), id="conv-relu-many-tiles"),
]


def train(build, fused, dtype=np.float32, steps=3, shape=(10, 12), prepare=None):
    """Every array a few SGD steps produce (loss, input gradient, state dict, the random state
    after), with fusion on or off."""
    tr.manual_seed(0)
    model = build()
    if dtype == np.float64:
        model.double()
    if prepare is not None:
        prepare(model)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    data = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    x = tr.tensor(data, requires_grad=True)
    y = np.arange(shape[0]) % 3
    out = []
    with fusion.enabled(fused):
        for _ in range(steps):
            opt.zero_grad()
            x.grad = None
            loss = F.cross_entropy(model(x), y) + reg.L2(1e-3)(model)
            loss.backward()
            opt.step()
            out += [loss.data.tobytes(), x.grad.data.tobytes()]
    out += [v.tobytes() for v in model.state_dict().values()]
    return out + [repr(tr.get_rng_state())]


def ops_run(model, x):
    """The op names one forward records."""
    with profile() as recorder:
        model(x)
    return {op for _, op in recorder.seconds}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("build,shape", MODELS)
def test_fused_training_equals_unfused_bit_for_bit(build, shape, dtype):
    fused, plain = train(build, True, dtype, shape=shape), train(build, False, dtype, shape=shape)
    assert len(fused) == len(plain)
    for i, (a, b) in enumerate(zip(fused, plain, strict=True)):
        assert a == b, f"entry {i} differs"


def test_the_fused_op_runs_only_when_enabled():
    tr.manual_seed(0)
    model, x = mlp(), tr.randn(8, 12)
    assert {"batch_norm_relu_dropout", "batch_norm_relu"} <= ops_run(model, x)
    assert not {"batch_norm", "relu", "dropout"} & ops_run(model, x)
    with fusion.enabled(False):
        assert {"batch_norm", "relu", "dropout"} <= ops_run(model, x)
        assert not {"batch_norm_relu_dropout", "batch_norm_relu"} & ops_run(model, x)
    conv = cnn()
    assert "batch_norm_relu" in ops_run(conv, tr.randn(4, 1, 6, 6))
    assert "conv2d" in ops_run(conv, tr.randn(4, 1, 6, 6))  # Conv2d -> BatchNorm2d: no fusion
    assert ops_run(mnist_net(), tr.randn(2, 1, 8, 8)) >= {"conv2d_relu"}
    assert not {"conv2d", "relu"} & ops_run(mnist_net(), tr.randn(2, 1, 8, 8))


@pytest.mark.parametrize("modes", ["eval", "bn_eval_dropout_train", "bn_train_dropout_eval"])
def test_eval_and_mixed_modes_equal_unfused(modes):
    def prepare(model):
        in_eval = {"eval": [model], "bn_eval_dropout_train": [model[1], model[5]],
                   "bn_train_dropout_eval": [model[3]]}[modes]  # fmt: skip
        for layer in in_eval:
            layer.eval()

    def step_twice(fused):
        tr.manual_seed(0)
        model = mlp()
        prepare(model)
        x = tr.tensor(np.random.default_rng(1).standard_normal((6, 12)).astype(np.float32),
                      requires_grad=True)  # fmt: skip
        with fusion.enabled(fused):
            out = [model(x) for _ in range(2)]
        out[1].sum().backward()
        arrays = [o.data for o in out] + [x.grad.data, *model.state_dict().values()]
        return [a.tobytes() for a in arrays] + [repr(tr.get_rng_state())]

    assert step_twice(True) == step_twice(False)


@pytest.mark.parametrize(
    "bn,prepare",
    [
        ({"affine": False}, None),
        ({"track_running_stats": False}, None),
        ({"momentum": None}, None),
        ({"bias": False}, None),
        ({}, lambda model: [model[i].requires_grad_(False) for i in (1, 5)]),  # frozen BN
        ({}, lambda model: model.requires_grad_(False)),  # only the input wants a gradient
    ],
)
def test_batch_norm_settings_and_frozen_parameters_equal_unfused(bn, prepare):
    def build():
        return mlp(**bn)

    def run(fused):
        try:
            return train(build, fused, prepare=prepare)
        except ValueError as error:  # SGD with no parameter to train
            return str(error)

    assert run(True) == run(False)


def test_no_grad_forward_and_errors_equal_unfused():
    tr.manual_seed(0)
    model, x = mlp(), tr.randn(5, 12)
    with tr.no_grad():
        tr.manual_seed(3)
        a = model(x).data
        with fusion.enabled(False):
            tr.manual_seed(3)
            b = model(x).data
    assert a.tobytes() == b.tobytes()
    messages = []
    for on in (True, False):
        with fusion.enabled(on), pytest.raises(ValueError) as error:
            model(tr.randn(1, 12))  # one value per channel while training
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "more than 1 value per channel" in messages[0]


class MyReLU(nn.ReLU):
    def forward(self, x):
        return x.relu() * 2


def test_only_the_exact_layers_fuse():
    tr.manual_seed(0)
    x = tr.randn(6, 4)
    subclass = nn.Sequential(nn.BatchNorm1d(4), MyReLU(), nn.Dropout(0.5))
    assert ops_run(subclass, x) >= {"batch_norm", "dropout"}
    replaced = nn.Sequential(nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.5))
    replaced[1].forward = lambda x: x.relu() * 3
    assert "batch_norm" in ops_run(replaced, x)
    noise = nn.Sequential(nn.BatchNorm1d(4), nn.ReLU(), nn.GaussianNoise(0.1))
    assert "batch_norm_relu" in ops_run(noise, x)
    alone = nn.Sequential(nn.BatchNorm1d(4), nn.Dropout(0.5), nn.ReLU())
    assert "batch_norm" in ops_run(alone, x)


@pytest.mark.filterwarnings("ignore:invalid value encountered in matmul")  # inf * 0: NaN on purpose
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_conv2d_relu_equals_relu_of_conv2d(dtype):
    rng = np.random.default_rng(2)
    data = rng.standard_normal((5, 2, 7, 6)).astype(dtype)
    data[0, 0, 1, 1], data[1, 1, 2, 3] = np.nan, np.inf  # NaN stays NaN with no gradient path
    weight = rng.standard_normal((3, 2, 3, 3)).astype(dtype)
    bias, g = rng.standard_normal(3).astype(dtype), rng.standard_normal((5, 3, 4, 4))
    results = []
    for fused in (True, False):
        x, w, b = (tr.tensor(a, requires_grad=True) for a in (data, weight, bias))
        y = (F.conv2d_relu(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)) if fused
             else F.relu(F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2))))  # fmt: skip
        y.backward(tr.tensor(g.astype(dtype)))
        results.append([t.detach().numpy().tobytes() for t in (y, x.grad, w.grad, b.grad)])
    assert results[0] == results[1]


def test_switch_as_call_and_as_context_manager():
    assert fusion.is_enabled()
    try:
        fusion.enabled(False)
        assert not fusion.is_enabled()
        with fusion.enabled(True):
            assert fusion.is_enabled()
        assert not fusion.is_enabled()
    finally:
        fusion.enabled(True)
    with pytest.raises(RuntimeError), fusion.enabled(False):
        raise RuntimeError  # restored after an error too
    assert fusion.is_enabled()
    with pytest.raises(TypeError, match=r"fusion.enabled: mode must be True or False, got 0"):
        fusion.enabled(0)
    assert fusion.is_enabled()


def test_functional_batch_norm_relu():
    tr.manual_seed(0)
    x = tr.randn(7, 5)
    rm, rv = np.zeros(5, np.float32), np.ones(5, np.float32)
    tr.manual_seed(1)
    y = batch_norm_relu(x, rm.copy(), rv.copy(), training=True, p=0.4)
    tr.manual_seed(1)
    expected = F.dropout(F.relu(F.batch_norm(x, rm.copy(), rv.copy(), training=True)), 0.4)
    assert y.data.tobytes() == expected.data.tobytes()
    assert (y.data >= 0).all() and (y.data == 0).any()
    eval_y = batch_norm_relu(x, rm, rv)  # eval, no dropout: the plain ops
    np.testing.assert_allclose(eval_y.data, np.maximum(x.data / np.sqrt(1 + 1e-5), 0), rtol=1e-6)
    with pytest.raises(ValueError, match=r"batch_norm_relu: p must be"):
        batch_norm_relu(x, rm, rv, training=True, p=1.5)
