"""PyTorch's nn on tinyreg: nn.Linear and LazyLinear (and how the regularizers group their
weights), the Module methods, Sequential/ModuleList/ModuleDict, nn.init, BatchNorm's
num_batches_tracked, momentum=None and (N, C, L) input, and state dicts with PyTorch's keys, order
and shapes: a PyTorch model's weights, saved as arrays, load into the same tinyreg model and give
PyTorch's outputs in float64."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, reg
from tinyreg.nn import functional as F
from tinyreg.nn import init

RNG = np.random.default_rng(0)


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is the reference, when installed")


def load_from_torch(ours, theirs):
    """Copy a PyTorch module's state dict, as NumPy arrays, into ours (strict)."""
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


# ------------------------------------------------------------------------------ Linear
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_matches_pytorch_values_and_gradients(shape):
    torch = torch_or_skip()
    theirs = torch.nn.Linear(4, 3).double()
    ours = nn.Linear(4, 3).double()
    load_from_torch(ours, theirs)
    x = RNG.standard_normal(shape)
    a, b = tr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a), theirs(b)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    g = RNG.standard_normal(expected.shape)
    (out * g).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    for mine, reference in [(a, b), (ours.weight, theirs.weight), (ours.bias, theirs.bias)]:
        np.testing.assert_allclose(np.asarray(mine.grad), reference.grad.numpy(), rtol=1e-12)


def test_linear_gradcheck_and_shape_errors():
    layer = nn.Linear(3, 2).double()
    x = RNG.standard_normal((2, 4, 3))

    def f(x, w, b):
        layer.weight, layer.bias = w, b
        return layer(x)

    assert tr.gradcheck(f, [x, layer.weight, layer.bias])
    with pytest.raises(ValueError, match=r"expected input \(\*, 3\), got shape \(4, 5\)"):
        nn.Linear(3, 2)(tr.ones(4, 5))
    with pytest.raises(ValueError, match="out_features must be an integer >= 0, got -1"):
        nn.Linear(3, -1)


def test_linear_initialization_is_pytorchs():
    tr.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(in), 1/sqrt(in))
    w, b = layer.weight.data, layer.bias.data
    assert w.shape == (300, 400) and b.shape == (300,) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)  # U(-c, c) has std c/sqrt(3)
    assert b.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    tr.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.data, w)  # from tinyreg's generator
    assert nn.Linear(3, 2, bias=False).bias is None
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"


def test_linear_weights_are_penalized_and_grouped_by_row():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert reg.penalized(model) == [model[0].weight, model[2].weight]  # not the biases
    w = RNG.standard_normal((4, 3))
    w[1] = 0  # a dead unit: its row
    linear = nn.Parameter(w.copy(), regularize=True, unit_axis=0)
    dense = nn.Parameter(w.T.copy(), regularize=True, unit_axis=1)  # the same layer as Dense
    rows = np.sqrt((w**2).sum(axis=1))
    for p in (linear, dense):
        value = reg.GroupLasso(0.3).loss([p])
        assert value.item() == pytest.approx(0.3 * math.sqrt(3) * rows.sum(), rel=1e-12)
        value.backward()
    live = np.where(rows > 0, rows, 1.0)[:, None]
    np.testing.assert_allclose(np.asarray(linear.grad), 0.3 * math.sqrt(3) * w / live, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(dense.grad), np.asarray(linear.grad).T, rtol=1e-12)
    assert reg.GroupLasso(0.3).dead_units([linear]) == 1
    reg.GroupLasso(0.5).prox_step([linear], lr=1.0)
    factor = np.maximum(0, 1 - 0.5 * math.sqrt(3) / live)
    np.testing.assert_allclose(linear.data, w * factor, rtol=1e-12)
    capped = nn.Parameter(w * 10, unit_axis=0)
    reg.MaxNorm(2.0).prox_step([capped], lr=0.1)
    assert np.sqrt((capped.data**2).sum(axis=1)).max() == pytest.approx(2.0, rel=1e-6)
    per_input = nn.Parameter(w * 10, unit_axis=0)
    reg.MaxNorm(2.0, axis=1).prox_step([per_input], lr=0.1)
    assert np.sqrt((per_input.data**2).sum(axis=0)).max() == pytest.approx(2.0, rel=1e-6)


def test_prune_removes_dead_linear_units_and_keeps_the_function():
    tr.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dense(6, 4),
                          nn.Tanh(), nn.Linear(4, 3)).double()  # fmt: skip
    model(tr.tensor(RNG.standard_normal((16, 5))))  # running statistics away from 0 and 1
    model[0].weight.data[[1, 4]] = 0  # two dead Linear units (rows)
    model[3].weight.data[:, 2] = 0  # a dead Dense unit (column)
    model.eval()
    smaller = reg.prune(model)
    assert (smaller[0].weight.shape, smaller[3].weight.shape) == ((4, 5), (4, 3))
    assert smaller[5].weight.shape == (3, 3) and smaller[1].running_mean.shape == (4,)
    assert smaller[1].num_batches_tracked == 1 and smaller[0].weight.unit_axis == 0
    x = tr.tensor(RNG.standard_normal((7, 5)))
    np.testing.assert_allclose(smaller(x).data, model(x).data, rtol=1e-12, atol=1e-12)
    assert model[0].weight.shape == (6, 5)  # the original is untouched


def test_lazy_linear_infers_in_features_at_the_first_call():
    tr.manual_seed(0)
    model = nn.Sequential(nn.LazyLinear(3), nn.ReLU())
    assert repr(model[0]) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert model.parameters() == [] and model.state_dict() == {}
    assert model(tr.ones(5, 7)).shape == (5, 3)
    layer = model[0]
    assert type(layer) is nn.Linear and layer.in_features == 7
    assert list(model.state_dict()) == ["0.weight", "0.bias"]
    assert layer.weight.shape == (3, 7) and layer.weight.regularize
    assert np.abs(layer.weight.data).max() <= 1 / math.sqrt(7)
    assert nn.LazyLinear(2, bias=False)(tr.ones(4, 3)).shape == (4, 2)


# ------------------------------------------------------------------------------ Module methods
def make_net(nn):
    """The same network in tinyreg or PyTorch (given their `nn`): a Module with convolution,
    batch norm, a ModuleList of blocks, a ModuleDict of heads and a shared layer."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3),
                                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())  # fmt: skip
            self.blocks = nn.ModuleList([nn.Linear(12, 8), nn.BatchNorm1d(8, momentum=None)])
            self.heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "aux": nn.Linear(8, 1)})
            self.register_buffer("scale", tr_or_torch(nn).ones(3), persistent=False)

        def forward(self, x):
            h = self.features(x)
            for block in self.blocks:
                h = block(h)
            return self.heads["cls"](h.relu()) * self.scale + self.heads["aux"](h)

    return Net()


def tr_or_torch(module_nn):
    return tr if module_nn is nn else __import__("torch")


def test_module_traversal_names_match_pytorchs():
    torch = torch_or_skip()
    ours, theirs = make_net(nn), make_net(torch.nn)
    for method in ("named_modules", "named_parameters", "named_buffers", "named_children"):
        assert [n for n, _ in getattr(ours, method)()] == [n for n, _ in getattr(theirs, method)()]
    assert len(ours.children()) == 3 and len(list(ours.modules())) == len(list(theirs.modules()))
    assert [n for n, _ in ours.named_modules(prefix="net")][:2] == ["net", "net.features"]
    names = [n for n, _ in ours.named_parameters(recurse=False)]
    assert names == [] and len(ours.blocks[0].parameters(recurse=False)) == 2
    visited, theirs_visited = [], []
    ours.apply(lambda m: visited.append(type(m).__name__))
    theirs.apply(lambda m: theirs_visited.append(type(m).__name__))
    assert visited == theirs_visited  # children first, then the parent
    with pytest.raises(TypeError, match="apply: fn must be callable"):
        ours.apply("init")


def test_a_pytorch_state_dict_loads_and_gives_pytorchs_outputs():
    torch = torch_or_skip()
    torch.manual_seed(0)
    theirs, ours = make_net(torch.nn).double(), make_net(nn).double()
    x = RNG.standard_normal((4, 2, 4, 4))
    for k in range(3):  # training batches move the running statistics and the counters
        theirs(torch.tensor(x + k))
    state = theirs.state_dict()
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in state.items()]  # fmt: skip
    assert "scale" not in state and "blocks.1.num_batches_tracked" in state
    load_from_torch(ours, theirs)
    for mode in (False, True):
        ours.train(mode), theirs.train(mode)
        expected = theirs(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(ours(tr.tensor(x)).data, expected, rtol=1e-10, atol=1e-12)
    back = {k: torch.from_numpy(v) for k, v in ours.state_dict().items()}  # and the other way
    theirs.load_state_dict(back)
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b.numpy(), err_msg=name)


def test_add_module_and_register_buffer_follow_pytorchs_rules():
    m = nn.Module()
    m.add_module("0", nn.Linear(2, 2))
    m.register_buffer("steps", np.zeros((), np.int64))
    m.register_buffer("mask", tr.ones(2), persistent=False)
    assert list(m.state_dict()) == ["steps", "0.weight", "0.bias"]  # own state, then children
    assert [n for n, _ in m.named_buffers()] == ["steps", "mask"]
    assert isinstance(m.mask, np.ndarray)  # a buffer is held as an array
    m.double()
    assert m.mask.dtype == np.float64 and m.steps.dtype == np.int64
    m.register_buffer("mask", None)  # a buffer may become None, and leaves the state
    assert [n for n, _ in m.named_buffers()] == ["steps"]
    for call, error, needle in [
        (lambda: m.add_module("a.b", nn.ReLU()), KeyError, 'without "."'),
        (lambda: m.add_module(3, nn.ReLU()), TypeError, "name must be a string, got int"),
        (lambda: m.add_module("training", nn.ReLU()), KeyError, "'training' already exists"),
        (lambda: m.add_module("x", 3), TypeError, "module must be a Module or None, got a int"),
        (lambda: m.register_buffer("0", np.ones(2)), KeyError, "'0' already exists"),
        (lambda: m.register_buffer("b", [1, 2]), TypeError, "a Tensor, an array or None"),
        (lambda: m.register_buffer("b", np.ones(2), persistent=1), TypeError, "persistent"),
    ]:
        with pytest.raises(error, match=needle):
            call()

    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("x", np.ones(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()


def test_zero_grad_to_none_or_to_zeros_in_place():
    model = nn.Sequential(nn.Linear(3, 2))
    model(tr.ones(4, 3)).sum().backward()
    grad = model[0].weight.grad
    model.zero_grad(set_to_none=False)
    assert model[0].weight.grad is grad and not np.asarray(grad).any()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(TypeError, match="set_to_none must be True or False"):
        model.zero_grad(set_to_none=0)


def test_a_shared_parameter_is_listed_once_and_saved_under_both_names():
    torch = torch_or_skip()
    for lib in (nn, torch.nn):
        model = lib.Sequential(lib.Linear(2, 2), lib.ReLU())
        model.add_module("again", model[0])
        if lib is nn:
            ours = model
        else:
            theirs = model
    assert len(ours.parameters()) == len(list(theirs.parameters())) == 2
    assert list(ours.state_dict()) == list(theirs.state_dict())  # "again.weight" too
    assert len(ours) == 3 and len(ours.children()) == 2  # children once, as PyTorch's


def test_modes_requires_grad_and_strict_false():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    result = model.load_state_dict({"0.weight": np.ones((2, 2)), "x": np.ones(1)}, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["x"]
    assert (model[0].weight.data == 1).all()
    with pytest.raises(ValueError, match="device must be one of .*got 'tpu'"):
        model.to("tpu")
    with pytest.raises(ValueError, match="cuda: tinyreg uses one GPU, device 0, got 1"):
        model.cuda(1)
    assert model.cpu() is model and model.double()[0].weight.dtype == np.float64
    with pytest.raises(ValueError, match="a device .* or a floating dtype, got <class 'int'>"):
        model.to(int)


# ------------------------------------------------------------------------------ containers
def test_module_list_registers_and_renumbers_like_pytorchs():
    torch = torch_or_skip()
    layers = [[lib.Linear(2, 2) for _ in range(3)] for lib in (nn, torch.nn)]
    ours, theirs = nn.ModuleList(layers[0][:2]), torch.nn.ModuleList(layers[1][:2])
    for m, new in ((ours, layers[0][2]), (theirs, layers[1][2])):
        m.insert(0, new)
        m.append(m[1])  # the same layer twice
        del m[1]
        m += [nn.ReLU() if m is ours else torch.nn.ReLU()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert len(ours) == len(theirs) == 4 and ours[-1] is list(ours)[3]
    assert isinstance(ours[1:3], nn.ModuleList) and len(ours[1:3]) == 2
    ours[0] = nn.Tanh()
    assert isinstance(ours[0], nn.Tanh)
    assert list(ours.state_dict()) == ["1.weight", "1.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError, match="index 4 is out of range for 4 modules"):
        ours[4]
    with pytest.raises(TypeError, match="module must be a Module, got a int"):
        ours.append(3)
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        ours(tr.ones(1, 2))


def test_module_dict_and_named_sequential():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
    heads["b"] = nn.Linear(2, 3)
    heads.update([("c", nn.ReLU())])
    assert heads.keys() == ["a", "b", "c"] and "b" in heads and "z" not in heads
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert isinstance(heads.pop("a"), nn.Linear) and list(heads) == ["b", "c"]
    del heads["c"]
    assert [k for k, _ in heads.items()] == ["b"] and len(heads) == 1
    with pytest.raises(KeyError):
        heads["a"]
    with pytest.raises(KeyError, match="'keys' already exists"):
        heads["keys"] = nn.ReLU()
    heads.clear()
    assert len(heads) == 0
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.fc is named[0]
    assert list(named[1:].named_children()) == [("act", named.act)]
    named.append(nn.Linear(3, 1))
    assert named(tr.ones(4, 2)).shape == (4, 1) and list(named.state_dict())[-1] == "2.bias"


# ------------------------------------------------------------------------------ nn.init
def test_gains_and_fans_are_pytorchs():
    torch = torch_or_skip()
    for name in ("linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    for shape in [(3, 4), (5, 2, 3, 3)]:
        expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        assert init._calculate_fan_in_and_fan_out(tr.ones(*shape)) == expected
    assert init._calculate_fan_in_and_fan_out(nn.Dense(3, 4).weight) == (3, 4)  # (in, out)
    with pytest.raises(ValueError, match="nonlinearity must be one of .*got 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match=r"2 or more dimensions, got shape \(3,\)"):
        init.xavier_uniform_(tr.ones(3))
    with pytest.raises(ValueError, match="mode must be one of .*got 'fan_avg'"):
        init.kaiming_normal_(tr.ones(3, 3), mode="fan_avg")


@pytest.mark.parametrize("fill,spread,bounded", [
    (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / 200), True),
    (lambda w: init.kaiming_uniform_(w, a=0.1, mode="fan_out"), math.sqrt(2 / 1.01 / 100), True),
    (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="tanh"), 5 / 3 / 10, False),
    (lambda w: init.xavier_uniform_(w, gain=2.0), 2 * math.sqrt(2 / 300), True),
    (lambda w: init.xavier_normal_(w), math.sqrt(2 / 300), False),
    (lambda w: init.uniform_(w, -0.5, 0.5), 1 / math.sqrt(12), True),
    (lambda w: init.normal_(w, 0.0, 0.3), 0.3, False),
])  # fmt: skip
def test_init_draws_pytorchs_distributions_in_place(fill, spread, bounded):
    tr.manual_seed(3)
    w = nn.Parameter(np.zeros((100, 200), np.float32))  # fan_in 200, fan_out 100
    array = w.data
    assert fill(w) is w and w.data is array and w.requires_grad  # in place, returns the tensor
    assert w.data.std() == pytest.approx(spread, rel=0.02)  # std of the formula's distribution
    if bounded:
        assert np.abs(w.data).max() <= spread * math.sqrt(3) * (1 + 1e-6)
    tr.manual_seed(3)
    np.testing.assert_array_equal(fill(nn.Parameter(np.zeros((100, 200), np.float32))).data,
                                  w.data)  # the same seed gives the same draws  # fmt: skip


def test_constant_fills_and_a_generator_of_ones_own():
    w = tr.zeros(2, 3, dtype=np.float64)
    assert init.constant_(w, 0.5) is w and (w.data == 0.5).all()
    assert (init.ones_(w).data == 1).all() and (init.zeros_(w).data == 0).all()
    a = init.normal_(tr.zeros(4), generator=np.random.default_rng(1)).data
    b = init.normal_(tr.zeros(4), generator=np.random.default_rng(1)).data
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="tensor must be a Tensor or Parameter, got a ndarray"):
        init.zeros_(np.ones(3))
    with pytest.raises(ValueError, match="a must be <= b, got a=1, b=0"):
        init.uniform_(w, 1.0, 0.0)


# ------------------------------------------------------------------------------ BatchNorm
@pytest.mark.parametrize("momentum", [None, 0.3])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 2, 3)])
def test_batchnorm_matches_pytorch_over_several_batches(momentum, shape):
    torch = torch_or_skip()
    kind = "BatchNorm2d" if len(shape) == 4 else "BatchNorm1d"
    ours = getattr(nn, kind)(3, momentum=momentum).double()
    theirs = getattr(torch.nn, kind)(3, momentum=momentum).double()
    load_from_torch(ours, theirs)
    for k in range(3):
        x = RNG.standard_normal(shape) * 2 + k
        a, b = tr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = ours(a), theirs(b)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = RNG.standard_normal(shape)
        (out * g).sum().backward()
        (expected * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, value in theirs.state_dict().items():
        mine = ours.state_dict()[name]
        assert mine.dtype == value.numpy().dtype and mine.shape == tuple(value.shape)
        np.testing.assert_allclose(mine, value.numpy(), rtol=1e-10, err_msg=name)
    assert ours.num_batches_tracked == 3
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours(tr.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)  # fmt: skip


def test_batchnorm_momentum_none_is_the_cumulative_average():
    layer = nn.BatchNorm1d(2, momentum=None)
    batches = [RNG.standard_normal((5, 2)).astype(np.float32) + k for k in range(4)]
    for xb in batches:
        layer(tr.tensor(xb))
    np.testing.assert_allclose(layer.running_mean, np.mean([b.mean(0) for b in batches], 0),
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(layer.running_var, np.mean([b.var(0, ddof=1) for b in batches], 0),
                               rtol=1e-5)  # fmt: skip
    assert layer.num_batches_tracked.dtype == np.int64 and layer.num_batches_tracked.shape == ()
    layer.eval()
    layer(tr.tensor(batches[0]))
    assert layer.num_batches_tracked == 4  # eval batches are not counted
    layer.reset_running_stats()
    assert layer.num_batches_tracked == 0 and (layer.running_var == 1).all()


def test_batchnorm_options_and_errors_follow_pytorch():
    torch = torch_or_skip()
    for kwargs in (dict(affine=False), dict(track_running_stats=False), dict(bias=False)):
        ours, theirs = nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs)
        assert list(ours.state_dict()) == list(theirs.state_dict()), kwargs
    untracked = nn.BatchNorm1d(3, track_running_stats=False).eval()  # batch statistics in eval
    y = untracked(tr.tensor(RNG.standard_normal((8, 3)) * 3 + 1)).data
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-6)
    with pytest.raises(ValueError, match=r"expected input \(N, 3\) or \(N, 3, L\), got shape"):
        nn.BatchNorm1d(3)(tr.ones(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected input \(N, 3, H, W\)"):
        nn.BatchNorm2d(3)(tr.ones(2, 3, 4))
    with pytest.raises(ValueError, match="running_mean and running_var must be given"):
        tr.nn.functional.batch_norm(tr.ones(2, 3), None, None)  # PyTorch's default training=False


# ------------------------------------------------------------------------------ other layers
def test_pytorchs_layer_arguments_are_accepted():
    torch = torch_or_skip()
    x = RNG.standard_normal((2, 3, 4))
    for make in (lambda n: n.ReLU(inplace=True), lambda n: n.LeakyReLU(0.2, True),
                 lambda n: n.ELU(0.5, inplace=True), lambda n: n.SiLU(inplace=True)):  # fmt: skip
        ours, theirs = make(nn), make(torch.nn)
        before = x.copy()
        np.testing.assert_allclose(ours(tr.tensor(x)).data, theirs(torch.tensor(x)).numpy())
        np.testing.assert_array_equal(x, before)  # computed out of place (documented)
        assert repr(ours) == repr(theirs)
    assert repr(nn.Dropout(0.3, inplace=True)) == repr(torch.nn.Dropout(0.3, inplace=True))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        implicit = nn.Softmax()(tr.tensor(x)).data  # PyTorch's rule: dim 0 for 3-d input
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(implicit, torch.nn.Softmax()(torch.tensor(x)).numpy())
    assert nn.Conv2d(1, 2, 3, 1, 0, 1, 1, False).bias is None  # groups before bias, as PyTorch
    with pytest.raises(ValueError, match="groups must be 1 .*got 2"):
        nn.Conv2d(2, 2, 3, groups=2)
    with pytest.raises(TypeError, match="inplace must be True or False"):
        nn.ReLU(inplace="yes")


def test_a_linear_model_trains_along_pytorchs_trajectory():
    torch = torch_or_skip()
    from tinyreg import optim

    x, y = RNG.standard_normal((16, 4)), RNG.integers(0, 3, 16)
    models = [lib.Sequential(lib.Linear(4, 8), lib.BatchNorm1d(8), lib.ReLU(), lib.Linear(8, 3))
              for lib in (nn, torch.nn)]  # fmt: skip
    ours, theirs = models[0].double(), models[1].double()
    load_from_torch(ours, theirs)
    opt_ours = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    loss_ours, loss_theirs = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(10):
        for model, opt, loss, lib in ((ours, opt_ours, loss_ours, tr),
                                      (theirs, opt_theirs, loss_theirs, torch)):  # fmt: skip
            opt.zero_grad()
            loss(model(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_functional_linear_and_softmax_take_pytorchs_arguments():
    """F.linear: weight (out, in), input with any leading dimensions or 1-D; F.softmax and
    F.log_softmax: dim=, dtype=, and dim=None's implicit choice with PyTorch's warning."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    for shape in [(4,), (5, 4), (2, 5, 4)]:
        x = rng.standard_normal(shape)
        ours = [tr.tensor(a, requires_grad=True) for a in (x, w, b)]
        theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        y, yt = F.linear(*ours), torch.nn.functional.linear(*theirs)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
        y.sum().backward()
        yt.sum().backward()
        for mine, other in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(np.asarray(mine.grad), other.grad.numpy(), rtol=1e-12)
        assert tr.gradcheck(F.linear, [tr.tensor(a, requires_grad=True) for a in (x, w, b)])
    x = rng.standard_normal((2, 3, 4))
    for ours, theirs in [(F.softmax, torch.nn.functional.softmax),
                         (F.log_softmax, torch.nn.functional.log_softmax)]:  # fmt: skip
        for dim in (0, 1, -1):
            expected = theirs(torch.tensor(x), dim=dim).numpy()
            np.testing.assert_allclose(ours(tr.tensor(x), dim=dim).numpy(), expected, rtol=1e-12)
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            implicit = ours(tr.tensor(x))
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            expected = theirs(torch.tensor(x))
        np.testing.assert_allclose(implicit.numpy(), expected.numpy(), rtol=1e-12)
        assert ours(tr.tensor(x), dim=1, dtype=np.float32).dtype == np.float32
