"""Augmentation transforms (on batches and, in torchvision's shape, on one image) and the warp,
flip and crop kernels."""

import numpy as np
import pytest
import scipy.ndimage as ndimage

import tinyreg as tr
from tinyreg import kernels
from tinyreg.vision import transforms as A


def images(shape=(6, 2, 9, 9), seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
@pytest.mark.parametrize("shape", [(5, 9, 9), (4, 3, 8, 8)])
def test_rotation_by_quarter_turns_is_exactly_rot90(quarter_turns, shape):
    batch = images(shape)
    angle = 90.0 * quarter_turns
    out = A.RandomRotation((angle, angle))(batch)
    np.testing.assert_array_equal(out, np.rot90(batch, quarter_turns, axes=(-2, -1)))


def test_identity_transforms():
    batch = images()
    np.testing.assert_array_equal(A.RandomRotation(0)(batch), batch)
    np.testing.assert_array_equal(A.RandomScale((1.0, 1.0))(batch), batch)
    np.testing.assert_array_equal(A.RandomCrop(9, padding=0)(batch), batch)
    np.testing.assert_array_equal(A.RandomFlip(p=0.0)(batch), batch)


def test_flips_equal_np_flip():
    batch = images()
    np.testing.assert_array_equal(A.RandomFlip(p=1.0)(batch), np.flip(batch, -1))
    np.testing.assert_array_equal(A.RandomFlip(False, True, p=1.0)(batch), np.flip(batch, -2))
    both = A.RandomFlip(True, True, p=1.0)(batch)
    np.testing.assert_array_equal(both, np.flip(batch, (-2, -1)))


def scipy_warp(image, read_map, shift=(0.0, 0.0)):
    """The same read-from map (and read offset (x, y)) through scipy (coordinates in (row, col)
    order)."""
    h, w = image.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    (a, b), (d, e) = read_map
    matrix = np.array([[e, d], [b, a]])
    offset = np.array([cy, cx]) - matrix @ np.array([cy, cx]) + np.array(shift)[::-1]
    return ndimage.affine_transform(image.astype(np.float64), matrix, offset=offset, order=1,
                                    mode="constant", cval=0.0)  # fmt: skip


def test_random_rotation_and_scale_match_scipy_away_from_the_border():
    batch = images((8, 1, 20, 20))
    transform = A.RandomAffine(30, scale=(0.8, 1.2), seed=3)
    maps = A.RandomAffine(30, scale=(0.8, 1.2), seed=3).linear_maps(8)
    out = transform(batch)
    for i in range(8):
        expected = scipy_warp(batch[i, 0], maps[i])
        np.testing.assert_allclose(out[i, 0, 4:-4, 4:-4], expected[4:-4, 4:-4], atol=1e-5)


def test_per_image_parameters_differ_and_repeat_with_the_seed():
    batch = np.repeat(images((1, 1, 9, 9)), 6, axis=0)
    first = A.RandomRotation(40, seed=1)(batch)
    again = A.RandomRotation(40, seed=1)(batch)
    np.testing.assert_array_equal(first, again)
    assert len({first[i].tobytes() for i in range(6)}) == 6  # every image its own angle
    tr.manual_seed(2)
    global_a = A.RandomCrop(7, padding=2)(batch)
    tr.manual_seed(2)
    np.testing.assert_array_equal(A.RandomCrop(7, padding=2)(batch), global_a)


def test_inputs_are_not_modified_and_types_round_trip():
    batch = images()
    before = batch.copy()
    out = A.Compose([A.RandomRotation(20), A.RandomFlip(), A.RandomCrop(7, padding=1)])(batch)
    np.testing.assert_array_equal(batch, before)
    assert out.shape == (6, 2, 7, 7)
    as_tensor = A.RandomScale((0.9, 1.1))(tr.tensor(batch))
    assert isinstance(as_tensor, tr.Tensor) and as_tensor.shape == batch.shape


def test_eval_mode_is_identity():
    batch = images()
    transform = A.Compose([A.RandomRotation(45), A.RandomCrop(5)]).eval()
    np.testing.assert_array_equal(transform(batch), batch)


def test_compose_merges_rotation_and_scale_into_one_warp(monkeypatch):
    calls = []
    backend = kernels.backend("cpu")
    original = backend.affine_warp
    monkeypatch.setattr(backend, "affine_warp", lambda *a: calls.append(1) or original(*a))
    batch = images()
    merged = A.Compose([A.RandomRotation(30, seed=5), A.RandomScale((0.8, 1.2), seed=6)])(batch)
    assert len(calls) == 1
    rotated = A.RandomRotation(30, seed=5)(batch)
    two_pass = A.RandomScale((0.8, 1.2), seed=6)(rotated)
    inner = (slice(None), slice(None), slice(3, -3), slice(3, -3))
    np.testing.assert_allclose(merged[inner], two_pass[inner], atol=0.15)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: A.RandomRotation(-5), "degrees"),
        (lambda: A.RandomRotation((10, 5)), "degrees"),
        (lambda: A.RandomScale((0.0, 1.0)), "scale"),
        (lambda: A.RandomFlip(p=1.5), "p must"),
        (lambda: A.RandomCrop(0), "size"),
        (lambda: A.RandomCrop(4, padding=-1), "padding"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_batches():
    with pytest.raises(ValueError, match=r"images must be .* got shape \(9,\)"):
        A.RandomFlip()(np.zeros(9))
    with pytest.raises(ValueError, match="images must be"):
        A.RandomFlip()(np.zeros((1, 1, 1, 2, 2)))
    with pytest.raises(ValueError, match="larger than the padded image"):
        A.RandomCrop(12, padding=1)(images())


# --------------------------------------------------------------------------- torchvision's shape
def test_random_affine_translation_and_shear_match_scipy_away_from_the_border():
    batch = images((6, 1, 24, 24))

    def make():
        return A.RandomAffine(20, translate=(0.1, 0.2), scale=(0.9, 1.1),
                              shear=(-10, 10, -5, 5), seed=4)  # fmt: skip

    linear, offsets = make().read_maps(6, 24, 24)
    assert np.any(offsets != 0)
    shifts = -np.linalg.solve(linear, offsets[..., None])[..., 0]  # offsets = -A t, t whole pixels
    np.testing.assert_allclose(shifts, np.rint(shifts), atol=1e-9)
    assert np.all(np.abs(shifts) <= [0.1 * 24, 0.2 * 24])
    out = make()(batch)
    for i in range(6):
        expected = scipy_warp(batch[i, 0], linear[i], offsets[i])
        np.testing.assert_allclose(out[i, 0, 6:-6, 6:-6], expected[6:-6, 6:-6], atol=1e-5)


def test_shear_is_torchvisions_matrix():
    (a, b), (c, d) = A.RandomAffine(0, shear=(30, 30)).linear_maps(1)[0]
    np.testing.assert_allclose([[a, b], [c, d]], [[1, np.tan(np.pi / 6)], [0, 1]], atol=1e-12)
    with pytest.raises(ValueError, match="shear"):
        A.RandomAffine(0, shear=90)
    with pytest.raises(ValueError, match="translate"):
        A.RandomAffine(0, translate=(0.5, 1.5))


def test_one_image_or_a_batch():
    image = np.random.default_rng(0).integers(0, 256, (9, 9)).astype(np.uint8)
    flipped = A.RandomHorizontalFlip(p=1.0)(image)  # a 2-D array: one image (MNIST's samples)
    assert flipped.dtype == np.uint8
    np.testing.assert_array_equal(flipped, image[:, ::-1])
    np.testing.assert_array_equal(A.RandomVerticalFlip(p=1.0)(image), image[::-1])
    rotated = A.RandomRotation((90, 90))(image)
    assert rotated.dtype == np.uint8
    np.testing.assert_array_equal(rotated, np.rot90(image))
    copies = np.repeat(images((1, 9, 9)), 3, axis=0)
    out = A.RandomRotation(40, seed=2)(tr.tensor(copies))  # a 3-D Tensor: one (C, H, W) image
    assert isinstance(out, tr.Tensor) and out.shape == (3, 9, 9)
    assert len({channel.tobytes() for channel in out.data}) == 1  # one angle for its channels
    assert not np.array_equal(out.data[0], copies[0])
    outs = A.RandomRotation(40, seed=2)(copies)  # a 3-D NumPy array: a batch (N, H, W)
    assert len({o.tobytes() for o in outs}) == 3  # one angle per image


def test_compose_runs_any_callable_in_order_and_keeps_them_in_eval_mode():
    image = np.random.default_rng(1).integers(0, 256, (8, 8)).astype(np.uint8)
    pipeline = A.Compose([A.RandomCrop(8, padding=0), A.ToTensor(), A.Normalize((0.5,), (0.5,)),
                          lambda x: x * 2])  # fmt: skip
    out = pipeline(image)
    assert isinstance(out, tr.Tensor) and out.shape == (1, 8, 8) and out.dtype == np.float32
    np.testing.assert_allclose(out.data[0], (image / 255 - 0.5) / 0.5 * 2, rtol=1e-6, atol=1e-6)
    pipeline.eval()
    np.testing.assert_allclose(pipeline(image).data, out.data)
    with pytest.raises(TypeError, match=r"transforms\[1\]"):
        A.Compose([A.RandomFlip(), 3])
