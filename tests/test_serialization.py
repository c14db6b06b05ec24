"""tinyreg.save / tinyreg.load in torch.save / torch.load's shape ([16]): nested objects round
trip through an .npz (never a pickle); a Module is saved as its state_dict; foreign files are
clear errors."""

import io
import os

import numpy as np
import pytest

import tinyreg as tr
from tinyreg import nn, optim


def model():
    tr.manual_seed(0)
    return nn.Sequential(nn.Dense(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Dense(3, 2))


def trained_checkpoint():
    net = model()
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    loss = net(tr.tensor(np.random.default_rng(0).standard_normal((5, 4)))).sum()
    loss.backward()
    opt.step()
    return net, opt


def assert_same(a, b):
    """Equal values and the same types, all the way down."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, tr.Tensor):
        assert a.dtype == b.dtype and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.data, b.data)
    elif isinstance(a, np.ndarray | np.generic):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_nested_objects_round_trip_with_their_types(tmp_path):
    net, opt = trained_checkpoint()
    checkpoint = {
        "epoch": 3, "lr": 0.05, "best": float("nan"), "stopped": False, "name": "run-1",
        "note": None, "optimizer": opt.state_dict(),
        "tensors": [tr.tensor(np.arange(3.0)), tr.tensor(np.ones((2, 2)), requires_grad=True),
                    tr.tensor(np.array([1, 2], np.int64))],
        "arrays": (np.arange(4, dtype=np.int32), np.float32(2.5), np.array(["a", "bc"])),
        (1, "key"): {0: [], 7: ()},
    }  # fmt: skip
    tr.save(checkpoint, tmp_path / "ckpt.pt")
    loaded = tr.load(tmp_path / "ckpt.pt")
    assert_same(checkpoint, loaded)
    assert isinstance(loaded["optimizer"]["state"][0]["momentum_buffer"], np.ndarray)
    other = optim.SGD(model().parameters(), lr=0.5, momentum=0.9)
    other.load_state_dict(loaded["optimizer"])
    assert other.param_groups[0]["lr"] == 0.1
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # written atomically: no temporary file left


def test_a_module_is_saved_as_its_state_dict(tmp_path):
    net, _ = trained_checkpoint()
    tr.save(net, tmp_path / "model.npz")
    state = tr.load(tmp_path / "model.npz")
    assert_same(net.state_dict(), state)
    restored = model()
    restored.load_state_dict(tr.load(tmp_path / "model.npz"))
    assert_same(net.state_dict(), restored.state_dict())
    fresh = model()
    assert tr.load(fresh, tmp_path / "model.npz") is fresh  # tinyreg's older form
    assert_same(net.state_dict(), fresh.state_dict())


def test_parameters_come_back_as_parameters_with_their_markings(tmp_path):
    weight = nn.Dense(3, 2).weight
    tr.save({"w": weight}, tmp_path / "w.npz")
    loaded = tr.load(tmp_path / "w.npz", map_location="cpu")["w"]
    assert isinstance(loaded, nn.Parameter) and loaded.requires_grad
    assert loaded.regularize == weight.regularize and loaded.unit_axis == weight.unit_axis


def test_file_objects_and_flat_npz_files(tmp_path):
    buffer = io.BytesIO()
    tr.save([1, (2.5, "x")], buffer)
    buffer.seek(0)
    assert tr.load(buffer, weights_only=True) == [1, (2.5, "x")]
    np.savez(tmp_path / "flat.npz", a=np.ones(2), b=np.arange(3))
    flat = tr.load(tmp_path / "flat.npz")
    assert sorted(flat) == ["a", "b"] and isinstance(flat["a"], np.ndarray)


def test_the_saved_file_is_an_npz_without_pickles(tmp_path):
    tr.save({"w": tr.tensor(np.ones(3))}, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert "tinyreg.structure" in archive.files and archive["0"].tolist() == [1, 1, 1]


class Exploit:
    """Unpickling this would create a file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_foreign_and_broken_files_are_clear_errors_and_never_unpickled(tmp_path):
    torch = pytest.importorskip("torch")
    np.save(tmp_path / "one.npy", np.ones(3))
    with pytest.raises(ValueError, match=r"one.npy' is a \.npy file"):
        tr.load(tmp_path / "one.npy")
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="notes.txt' is not a readable tinyreg .npz file"):
        tr.load(tmp_path / "notes.txt")
    torch.save({"w": torch.ones(2)}, tmp_path / "torch.pt")
    with pytest.raises(ValueError, match="PyTorch torch.save file"):
        tr.load(tmp_path / "torch.pt")
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        tr.load(tmp_path / "missing.npz")
    marker = tmp_path / "unpickled"
    np.savez(tmp_path / "evil.npz", w=np.array([Exploit(str(marker))], dtype=object))
    with pytest.raises(ValueError, match="evil.npz"):
        tr.load(tmp_path / "evil.npz")
    assert not marker.exists()
    with pytest.raises(TypeError, match="weights_only"):
        tr.load(tmp_path / "one.npy", weights_only="yes")


def test_save_refuses_what_it_cannot_store_before_writing(tmp_path):
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError, match=r"obj\['layers'\]\[1\] is of type object"):
        tr.save({"layers": [1, object()]}, path)
    with pytest.raises(TypeError, match="SGD"):
        tr.save(trained_checkpoint()[1], path)  # an optimizer: save its state_dict()
    with pytest.raises(TypeError, match="dtype object"):
        tr.save(np.array([{}], dtype=object), path)
    with pytest.raises(TypeError, match="a file path"):
        tr.save({}, 3)
    assert not path.exists() and os.listdir(tmp_path) == []
