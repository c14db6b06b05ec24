"""PyTorch's data API on tinyreg ([16]): datasets, samplers and DataLoader against PyTorch's
where the order is deterministic (shuffle=False, given indices), the random ones by their
properties and seeds; MNIST in torchvision's shape; ToTensor and Normalize."""

import numpy as np
import pytest

import tinyreg as tr
from tinyreg.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    Generator,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)
from tinyreg.vision import datasets, transforms

torch = pytest.importorskip("torch")
tdata = torch.utils.data


def arrays(n=10):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3)), rng.integers(0, 5, n)


def both_datasets(n=10):
    X, y = arrays(n)
    return TensorDataset(X, y), tdata.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))


def assert_same_batches(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert type(a) is type(b) is list and len(a) == len(b)
        for x, t in zip(a, b, strict=True):
            assert isinstance(x, tr.Tensor) and x.shape == tuple(t.shape)
            assert x.dtype == t.numpy().dtype
            np.testing.assert_array_equal(x.data, t.numpy())


# --------------------------------------------------------------------------- samplers
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 12])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_and_sequential_sampler_match_pytorch(batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(10)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    given = [7, 2, 9, 0, 4]
    assert list(BatchSampler(given, 2, drop_last)) == list(tdata.BatchSampler(given, 2, drop_last))


def test_random_samplers_draw_permutations_from_their_generator():
    sampler = RandomSampler(range(10), generator=Generator().manual_seed(3))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(10)) and first != second
    assert list(RandomSampler(range(10), generator=Generator().manual_seed(3))) == first
    assert all(type(i) is int for i in first)
    tr.manual_seed(5)
    global_order = list(RandomSampler(range(10)))
    tr.manual_seed(5)
    assert list(RandomSampler(range(10))) == global_order
    long = list(RandomSampler(range(4), num_samples=10, generator=np.random.default_rng(0)))
    assert len(long) == 10 and sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    for kwargs in ({}, {"num_samples": 7}, {"replacement": True, "num_samples": 3}):
        theirs = tdata.RandomSampler(range(5), **kwargs)
        assert len(RandomSampler(range(5), **kwargs)) == len(theirs)
    subset = SubsetRandomSampler([8, 3, 5], generator=Generator().manual_seed(0))
    assert sorted(subset) == [3, 5, 8] and len(subset) == 3


def test_sampler_errors_match_pytorch_where_it_has_them():
    for make in (lambda s: s.RandomSampler(range(3), replacement=1),):
        with pytest.raises(TypeError):
            make(tdata)
        with pytest.raises(TypeError, match="replacement"):
            make(tr.utils.data)
    for make in (lambda s: s.RandomSampler(range(3), num_samples=0),
                 lambda s: s.RandomSampler([]),
                 lambda s: s.BatchSampler(range(3), 0, False)):  # fmt: skip
        with pytest.raises(ValueError):
            make(tdata)
        with pytest.raises(ValueError):
            make(tr.utils.data)
    with pytest.raises(TypeError, match="generator"):
        RandomSampler(range(3), generator=0)


# --------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10])
@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_batches_match_pytorch_without_shuffling(batch_size, drop_last):
    ours, theirs = both_datasets()
    assert_same_batches(DataLoader(ours, batch_size, drop_last=drop_last),
                        tdata.DataLoader(theirs, batch_size, drop_last=drop_last))  # fmt: skip
    assert_same_batches(DataLoader(ours), tdata.DataLoader(theirs))  # batch_size=1 by default


def test_dataloader_with_a_sampler_a_batch_sampler_or_no_batching_matches_pytorch():
    ours, theirs = both_datasets()
    order = [9, 0, 4, 4, 1]
    assert_same_batches(DataLoader(ours, 2, sampler=order),
                        tdata.DataLoader(theirs, 2, sampler=order))  # fmt: skip
    groups = [[3, 1], [0], [5, 6, 7]]
    assert_same_batches(DataLoader(ours, batch_sampler=groups),
                        tdata.DataLoader(theirs, batch_sampler=groups))  # fmt: skip
    unbatched = list(DataLoader(ours, batch_size=None))
    expected = list(tdata.DataLoader(theirs, batch_size=None))
    assert len(unbatched) == len(expected) == 10
    for (x, label), (tx, tlabel) in zip(unbatched, expected, strict=True):
        assert type(x) is tr.Tensor and x.shape == tuple(tx.shape)
        np.testing.assert_array_equal(x.data, tx.numpy())
        assert label.item() == tlabel.item()


def test_default_collate_matches_pytorch_field_by_field():
    samples = [({"a": np.array([1.5, 2.0]), "n": 3}, 0.5, True, "x"),
               ({"a": np.array([0.0, 1.0]), "n": 4}, 1.5, False, "y")]  # fmt: skip
    ours, theirs = default_collate(samples), tdata.default_collate(samples)
    assert type(ours) is type(theirs) is list and len(ours) == 4
    for x, t in [(ours[0]["a"], theirs[0]["a"]), (ours[0]["n"], theirs[0]["n"]),
                 (ours[1], theirs[1]), (ours[2], theirs[2])]:  # fmt: skip
        assert x.dtype == t.numpy().dtype and x.shape == tuple(t.shape)
        np.testing.assert_array_equal(x.data, t.numpy())
    assert ours[3] == theirs[3] == ("x", "y")
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])


def test_dataloader_shuffles_anew_each_epoch_and_repeats_with_the_seed():
    dataset, _ = both_datasets(12)
    loader = DataLoader(dataset, batch_size=5, shuffle=True, generator=Generator().manual_seed(1))
    epochs = [[row for _, y in loader for row in y.data.tolist()] for _ in range(2)]
    assert [len(b[0]) for b in loader] == [5, 5, 2] and len(loader) == 3
    assert sorted(epochs[0]) == sorted(dataset.tensors[1].data.tolist()) and epochs[0] != epochs[1]
    again = DataLoader(dataset, batch_size=5, shuffle=True, generator=Generator().manual_seed(1))
    assert [row for _, y in again for row in y.data.tolist()] == epochs[0]
    assert len(DataLoader(dataset, batch_size=5, drop_last=True)) == 2


def test_dataloader_argument_errors_match_pytorch():
    ours, theirs = both_datasets()
    for kwargs in (dict(sampler=[0, 1], shuffle=True),
                   dict(batch_sampler=[[0]], batch_size=2),
                   dict(batch_sampler=[[0]], drop_last=True),
                   dict(batch_size=None, drop_last=True)):  # fmt: skip
        with pytest.raises(ValueError):
            tdata.DataLoader(theirs, **kwargs)
        with pytest.raises(ValueError, match="mutually exclusive"):
            DataLoader(ours, **kwargs)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ours, batch_size=0)
    with pytest.raises(TypeError, match="dataset"):
        DataLoader(5)
    with pytest.raises(TypeError, match="shuffle"):
        DataLoader(ours, shuffle="yes")
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ours, num_workers=-1)
    assert_same_batches(DataLoader(ours, 4, num_workers=2, pin_memory=True),
                        tdata.DataLoader(theirs, 4))  # fmt: skip


# --------------------------------------------------------------------------- datasets
def test_tensor_dataset_subset_and_dataset_base():
    X, y = arrays(6)
    dataset = TensorDataset(tr.tensor(X), y)
    x0, y0 = dataset[2]
    np.testing.assert_array_equal(x0.data, X[2])
    assert y0.item() == y[2] and len(dataset) == 6
    subset = Subset(dataset, [5, 1])
    assert len(subset) == 2 and subset[0][1].item() == y[5]
    np.testing.assert_array_equal(subset[[0, 1]][0].data, X[[5, 1]])
    with pytest.raises(ValueError, match=r"tensors\[1\] has 5 rows"):
        TensorDataset(X, y[:5])
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_random_split_lengths_match_pytorch_and_the_parts_are_disjoint():
    dataset = TensorDataset(np.arange(11))
    for lengths in ([0.5, 0.5], [0.3, 0.3, 0.4], [0.1, 0.9], [3, 8]):
        ours = random_split(dataset, lengths, generator=Generator().manual_seed(0))
        theirs = tdata.random_split(range(11), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        rows = [i for s in ours for i in s.indices]
        assert sorted(rows) == list(range(11))
    again = random_split(dataset, [3, 8], generator=Generator().manual_seed(0))
    assert again[0].indices == random_split(dataset, [3, 8], Generator().manual_seed(0))[0].indices
    with pytest.raises(ValueError, match="sum to 10"):
        random_split(dataset, [5, 5])
    with pytest.warns(UserWarning, match="length 0"):
        random_split(TensorDataset(np.arange(2)), [0.9, 0.05, 0.05])


# --------------------------------------------------------------------------- vision
def test_mnist_in_torchvisions_shape():
    train, test = datasets.MNIST(), datasets.MNIST(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert train.data.dtype == np.uint8 and train.data.shape == (4000, 28, 28)
    assert train.targets.dtype == np.int64
    image, label = train[0]
    assert image.dtype == np.uint8 and image.shape == (28, 28) and type(label) is int
    X, y = datasets.load_mnist()
    np.testing.assert_array_equal(image / np.float32(255), X[0, 0])
    assert label == y[0]
    pipeline = transforms.Compose([transforms.ToTensor(),
                                   transforms.Normalize((0.1307,), (0.3081,))])  # fmt: skip
    loader = DataLoader(datasets.MNIST(train=False, transform=pipeline), batch_size=64)
    xb, yb = next(iter(loader))
    assert xb.shape == (64, 1, 28, 28) and xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_allclose(xb.data[0, 0], (test[0][0] / 255 - 0.1307) / 0.3081, rtol=1e-5)
    with pytest.raises(FileNotFoundError, match="never downloads"):
        datasets.MNIST("/nonexistent", download=True)


def test_to_tensor_as_torchvision():
    image = np.random.default_rng(0).integers(0, 256, (4, 5, 3)).astype(np.uint8)
    out = transforms.ToTensor()(image)
    assert isinstance(out, tr.Tensor) and out.shape == (3, 4, 5) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, image.transpose(2, 0, 1) / 255, rtol=1e-6)
    gray = transforms.ToTensor()(image[:, :, 0])
    assert gray.shape == (1, 4, 5)
    floats = transforms.ToTensor()(image[:, :, 0].astype(np.float64))
    assert floats.dtype == np.float64 and floats.data.max() > 1  # only uint8 is scaled
    with pytest.raises(TypeError, match="pic"):
        transforms.ToTensor()(gray)
    with pytest.raises(ValueError, match="2 or 3"):
        transforms.ToTensor()(np.zeros(3, np.uint8))


def test_normalize_matches_pytorch_values_and_gradients():
    x = np.random.default_rng(1).random((2, 3, 4, 4))
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.5)
    ours = tr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = transforms.Normalize(mean, std)(ours)
    mean_t, std_t = (torch.tensor(v, dtype=torch.float64)[:, None, None] for v in (mean, std))
    expected = (theirs - mean_t) / std_t
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    weights = np.random.default_rng(2).random(x.shape)
    (out * tr.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    grad = tr.validate.unwrap(ours.grad)  # an array, or a Tensor's array
    np.testing.assert_allclose(grad, theirs.grad.numpy(), rtol=1e-12)
    assert tr.gradcheck(lambda t: transforms.Normalize(mean, std)(t), [x[0]])
    image = tr.tensor(x[0].astype(np.float32))
    same = transforms.Normalize(mean, std, inplace=True)(image)
    assert same is image and image.dtype == np.float32
    with pytest.raises(ValueError, match="zero"):
        transforms.Normalize(0.0, 0.0)(image)
    with pytest.raises(TypeError, match="float"):
        transforms.Normalize(0.0, 1.0)(tr.tensor(np.zeros((1, 2, 2), np.int64)))
    with pytest.raises(ValueError, match=r"\(..., C, H, W\)"):
        transforms.Normalize(0.0, 1.0)(tr.tensor(np.zeros((2, 2))))
