"""PyTorch training scripts run on tinyreg with only their imports changed, and give PyTorch's
numbers. Each script in tests/pytorch_scripts/ is plain PyTorch code without imports; the test
runs it once after PyTorch's imports and once after tinyreg's, from the same initial weights and
data, and compares the trajectories (dropout off for the step-by-step comparison, since the two
frameworks draw different masks; on for the runs that only have to train)."""

from pathlib import Path

import numpy as np
import pytest

import tinyreg
from tinyreg.vision import datasets

torch = pytest.importorskip("torch")

SCRIPTS = Path(__file__).parent / "pytorch_scripts"
TORCH_IMPORTS = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset
"""
TINYREG_IMPORTS = """\
import tinyreg as torch
import tinyreg.nn as nn
import tinyreg.nn.functional as F
import tinyreg.optim as optim
from tinyreg.optim.lr_scheduler import StepLR
from tinyreg.utils.data import DataLoader, TensorDataset
"""


def script(name: str, imports: str, **settings) -> dict:
    """The script's namespace after running `imports` + its text, with module-level settings
    (e.g. DROPOUT) replaced."""
    path = SCRIPTS / f"{name}.py"
    namespace: dict = {"__name__": f"pytorch_scripts.{name}"}
    exec(compile(imports + path.read_text(), str(path), "exec"), namespace)
    namespace.update(settings)
    return namespace


def both(name: str, **settings) -> tuple[dict, dict]:
    return script(name, TORCH_IMPORTS, **settings), script(name, TINYREG_IMPORTS, **settings)


def copy_weights(theirs, ours) -> None:
    """PyTorch's initial weights into tinyreg's model (same keys and shapes)."""
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def test_the_only_difference_is_the_imports():
    assert TINYREG_IMPORTS.replace("tinyreg as torch", "torch").replace("tinyreg", "torch") == (
        TORCH_IMPORTS
    )


def mnist(n_train: int, n_test: int):
    images, labels = datasets.load_mnist(split="train")
    test_images, test_labels = datasets.load_mnist(split="test")
    return images[:n_train], labels[:n_train], test_images[:n_test], test_labels[:n_test]


def test_mnist_cnn_with_adadelta_and_steplr_follows_pytorch_step_by_step():
    theirs, ours = both("mnist_cnn", DROPOUT=(0.0, 0.0))
    torch.manual_seed(0)
    their_model, our_model = theirs["Net"](), ours["Net"]()
    copy_weights(their_model, our_model)
    data = mnist(96, 100)
    their_losses, their_results = theirs["main"](their_model, *data)
    our_losses, our_results = ours["main"](our_model, *data)
    assert len(our_losses) == len(their_losses) == 6
    np.testing.assert_allclose(our_losses, their_losses, rtol=2e-3)
    np.testing.assert_allclose(our_results, their_results, rtol=2e-3, atol=0.011)  # 1 image


def test_mnist_cnn_with_dropout_trains_on_tinyreg():
    ours = script("mnist_cnn", TINYREG_IMPORTS)
    tinyreg.manual_seed(1)
    losses, results = ours["main"](ours["Net"](), *mnist(256, 200), epochs=2)
    assert np.mean(losses[-4:]) < np.mean(losses[:4])
    assert results[-1][1] > 0.5  # accuracy after 2 epochs on 256 images (chance: 0.1)


def regression(n_train=20, num_inputs=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_train, num_inputs)).astype(np.float32)
    y = X.sum(axis=1, keepdims=True) * 0.01 + 0.05 + 0.01 * rng.standard_normal((n_train, 1))
    return X, y.astype(np.float32)


@pytest.mark.parametrize("lambd", [0.0, 3.0])
def test_weight_decay_by_hand_with_a_no_grad_update_follows_pytorch(lambd):
    theirs, ours = both("weight_decay")
    X, y = regression()
    torch.manual_seed(0)
    their_params = theirs["init_params"](200)
    our_params = ours["init_params"](200)
    for mine, other in zip(our_params, their_params, strict=True):
        mine.data[...] = other.detach().numpy()
    their_norms = theirs["train_scratch"](their_params, torch.from_numpy(X), torch.from_numpy(y),
                                          lambd)  # fmt: skip
    our_norms = ours["train_scratch"](our_params, tinyreg.from_numpy(X), tinyreg.from_numpy(y),
                                      lambd)  # fmt: skip
    np.testing.assert_allclose(our_norms, their_norms, rtol=1e-5)
    assert our_norms[-1] != our_norms[0]  # the in-place update changed the weights


def test_weight_decay_concise_follows_pytorch_and_shrinks_the_weights():
    theirs, ours = both("weight_decay")
    X, y = regression()
    norms = {}
    for wd in (0.0, 3.0):
        torch.manual_seed(0)
        their_net, our_net = theirs["make_concise"](200), ours["make_concise"](200)
        copy_weights(their_net, our_net)
        their_norms = theirs["train_concise"](their_net, torch.from_numpy(X), torch.from_numpy(y),
                                              wd)  # fmt: skip
        norms[wd] = ours["train_concise"](our_net, tinyreg.from_numpy(X), tinyreg.from_numpy(y),
                                          wd)  # fmt: skip
        np.testing.assert_allclose(norms[wd], their_norms, rtol=1e-5)
    assert norms[3.0][-1] < norms[0.0][-1]


def digits():
    X, y = datasets.load_digits()
    X = X.reshape(len(X), -1)
    return (X[:300], y[:300]), (X[300:400], y[300:400])


def test_early_stopping_by_hand_with_save_and_load_follows_pytorch(tmp_path):
    theirs, ours = both("early_stopping", DROPOUT=0.0)
    (Xtr, ytr), (Xv, yv) = digits()
    torch.manual_seed(0)
    their_model, our_model = theirs["MLP"](64, 32, 10), ours["MLP"](64, 32, 10)
    copy_weights(their_model, our_model)
    TensorDataset = torch.utils.data.TensorDataset
    their = theirs["fit"](their_model, TensorDataset(torch.from_numpy(Xtr), torch.from_numpy(ytr)),
                          TensorDataset(torch.from_numpy(Xv), torch.from_numpy(yv)),
                          tmp_path / "theirs.pt")  # fmt: skip
    ours_result = ours["fit"](our_model, tinyreg.utils.data.TensorDataset(
        tinyreg.from_numpy(Xtr), tinyreg.from_numpy(ytr)), tinyreg.utils.data.TensorDataset(
        tinyreg.from_numpy(Xv), tinyreg.from_numpy(yv)), tmp_path / "ours.pt")  # fmt: skip
    assert ours_result[0] == their[0]  # the best epoch
    np.testing.assert_allclose(ours_result[1], their[1], rtol=1e-4)  # every epoch's val loss, acc
    np.testing.assert_allclose(ours_result[2], their[2], rtol=1e-4)  # the restored model
    assert ours_result[2][0] == pytest.approx(min(loss for loss, _ in ours_result[1]))


def test_dropout_written_from_scratch_behaves_on_tinyreg():
    ours = script("early_stopping", TINYREG_IMPORTS)
    tinyreg.manual_seed(0)
    x = tinyreg.ones(200, 100)
    dropped = ours["dropout_layer"](x, 0.3)
    assert abs(float(dropped.mean()) - 1.0) < 0.05  # mean kept by the 1 / (1 - p) scale
    assert abs(float((dropped == 0).float().mean()) - 0.3) < 0.03
    assert float(ours["dropout_layer"](x, 1.0).abs().sum()) == 0.0
    assert np.array_equal(ours["dropout_layer"](x, 0.0).numpy(), x.numpy())


@pytest.mark.parametrize(
    "module, name, nearest",
    [
        ("tinyreg.optim", "LBFGS", "no closure"),
        ("tinyreg.optim.lr_scheduler", "CyclicLR", "tinyreg.optim.lr_scheduler.OneCycleLR"),
        ("tinyreg.utils.data", "IterableDataset", "does not have it"),
        ("tinyreg.nn", "Transformer", "tinyreg.nn has no 'Transformer'"),
    ],
)
def test_a_pytorch_name_tinyreg_lacks_says_so(module, name, nearest):
    import importlib

    with pytest.raises(AttributeError, match="has no") as info:
        getattr(importlib.import_module(module), name)
    assert nearest in str(info.value) and f"'{name}'" in str(info.value)
