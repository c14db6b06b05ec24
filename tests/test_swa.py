"""Weight averaging (optim.swa_utils): SWA and EMA against PyTorch's AveragedModel, update_bn,
and Trainer(ema=)."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim
from tinyreg.optim import swa_utils
from tinyreg.training import Trainer


def snapshots(seed=0, count=4):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((3, 2)), rng.standard_normal(2)) for _ in range(count)]


@pytest.mark.parametrize("decay", [None, 0.9])
def test_averaged_model_formula(decay):
    model = nn.Dense(3, 2).to(np.float64)
    averaged = swa_utils.AveragedModel(model, decay=decay)
    history = snapshots()
    for w, b in history:
        model.weight.data[...], model.bias.data[...] = w, b
        averaged.update_parameters(model)
    expected = history[0][0].copy()
    for k, (w, _) in enumerate(history[1:], start=1):
        expected = (
            expected + (w - expected) / (k + 1)
            if decay is None
            else (decay * expected + (1 - decay) * w)
        )
    np.testing.assert_allclose(averaged.module.weight.data, expected, rtol=1e-12)
    assert averaged.n_averaged == 4
    x = tr.tensor(np.ones((1, 3)))
    np.testing.assert_allclose(averaged(x).data, averaged.module(x).data)


def test_averaged_model_and_update_bn_match_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference, when installed")
    from torch.optim import swa_utils as tswa

    model = nn.Sequential(nn.Dense(3, 4), nn.BatchNorm1d(4), nn.ReLU()).to(np.float64)
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU()).double()  # fmt: skip
    ema = swa_utils.AveragedModel(model, decay=0.8)
    tema = tswa.AveragedModel(tmodel, multi_avg_fn=tswa.get_ema_multi_avg_fn(0.8))
    rng = np.random.default_rng(1)
    for _ in range(3):
        w, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
        model[0].weight.data[...], model[0].bias.data[...] = w, b
        with torch.no_grad():
            tmodel[0].weight.copy_(torch.tensor(w.T))
            tmodel[0].bias.copy_(torch.tensor(b))
        ema.update_parameters(model)
        tema.update_parameters(tmodel)
    np.testing.assert_allclose(ema.module[0].weight.data, tema.module[0].weight.detach().numpy().T,
                               rtol=1e-12)  # fmt: skip
    X = rng.standard_normal((50, 3))
    swa_utils.update_bn(X, ema, batch_size=16)
    loader = [torch.tensor(X[i : i + 16]) for i in range(0, 50, 16)]
    tswa.update_bn(loader, tema)
    np.testing.assert_allclose(ema.module[1].running_mean, tema.module[1].running_mean.numpy(),
                               rtol=1e-10)  # fmt: skip
    np.testing.assert_allclose(ema.module[1].running_var, tema.module[1].running_var.numpy(),
                               rtol=1e-10)  # fmt: skip
    assert ema.module[1].momentum == 0.1  # restored


def test_trainer_ema_leaves_the_average_in_the_model():
    tr.manual_seed(0)
    X = np.random.default_rng(2).standard_normal((64, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = nn.Sequential(nn.Dense(4, 2))
    seen = []

    class Recorder(optim.SGD):
        def step(self):
            super().step()
            seen.append(model[0].weight.data.copy())

    trainer = Trainer(model, "cross_entropy", Recorder(model.parameters(), lr=0.1), ema=0.9)
    trainer.fit(X, y, epochs=2, batch_size=16, verbose=0)
    expected = seen[0]
    for w in seen[1:]:
        expected = 0.9 * expected + 0.1 * w
    np.testing.assert_allclose(model[0].weight.data, expected, rtol=1e-5)
    with pytest.raises(ValueError, match=r"ema must be a number in \[0, 1\)"):
        Trainer(model, "cross_entropy", optim.SGD(model.parameters()), ema=1.0)
