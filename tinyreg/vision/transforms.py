"""Data augmentation: random rotation, scaling, flipping and cropping of image batches.

Every transform takes a batch (N, H, W) or (N, C, H, W) (a NumPy array or a Tensor), draws its own
random parameters for each image, and returns a new batch of the same shape (except RandomCrop,
whose output has the crop size); the input is never modified. Parameters come from the transform's
own generator when it was given a `seed`, else from the one `tinyreg.manual_seed` seeds. In eval
mode (`.eval()`) a transform is the identity, as in Keras.

Ranges follow torchvision:
    RandomRotation(degrees)   angle ~ U(-d, d), or U(lo, hi) for a pair; counter-clockwise
    RandomScale(scale)        factor ~ U(lo, hi) (> 1 zooms in)
    RandomAffine(degrees, scale)  both in one warp
    RandomFlip(horizontal, vertical, p)   each flip with probability p per image
    RandomCrop(size, padding)  pad with `fill`, then a random size window per image
Warps are bilinear about the image centre ((H - 1) / 2, (W - 1) / 2) with constant `fill`, so a
90 degree rotation is exactly np.rot90. `Compose` merges consecutive rotations and scalings into
one matrix per image: one pass over the pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import random as _random
from .. import validate as check
from .._tensor import Tensor
from ..device import kernels_for


def _batch(owner: str, images: Any) -> tuple[np.ndarray, bool, bool]:
    """(contiguous (N, C, H, W) float array, was a tensor?, had a channel axis?)."""
    is_tensor = isinstance(images, Tensor)
    array = check.float_array(owner, "images", images, finite_values=False)
    if array.ndim not in (3, 4):
        raise ValueError(f"{owner}: images must be (N, H, W) or (N, C, H, W), got shape "
                         f"{array.shape}")  # fmt: skip
    with_channels = array.ndim == 4
    array = np.ascontiguousarray(array if with_channels else array[:, None])
    return array, is_tensor, with_channels


def _restore(out: np.ndarray, is_tensor: bool, with_channels: bool) -> Any:
    out = out if with_channels else out[:, 0]
    return Tensor(out) if is_tensor else out


def _range(owner: str, name: str, value: Any, symmetric: bool) -> tuple[float, float]:
    """(lo, hi) from a number d (meaning (-d, d) when `symmetric`, else (d, d)) or a pair."""
    if not isinstance(value, tuple | list):
        d = check.finite(owner, name, value, low=0.0 if symmetric else None)
        return (-d, d) if symmetric else (d, d)
    if len(value) != 2:
        raise check.fail(owner, name, "a number or a pair (lo, hi)", value)
    lo, hi = (check.finite(owner, f"{name}[{i}]", v) for i, v in enumerate(value))
    if lo > hi:
        raise check.fail(owner, name, "a pair (lo, hi) with lo <= hi", value)
    return lo, hi


def _fill(owner: str, fill: Any) -> float:
    return check.finite(owner, "fill", fill)


class _Random:
    """What every random batch transform shares: an optional seed for its own generator (else
    the one `tinyreg.manual_seed` seeds) and a training / eval mode."""

    def __init__(self, seed: int | None = None):
        if seed is not None:
            seed = check.integer(type(self).__name__, "seed", seed, low=0)
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.training = True

    @property
    def rng(self) -> np.random.Generator:
        """The transform's own generator if it was given a seed, else the global one."""
        return self._rng if self._rng is not None else _random.generator()

    def train(self, mode: bool = True) -> _Random:
        """Training mode (random) or, with mode=False, eval mode (see the subclass)."""
        self.training = check.boolean(f"{type(self).__name__}.train", "mode", mode)
        return self

    def eval(self) -> _Random:
        """Eval mode: `train(False)`."""
        return self.train(False)


class Transform(_Random):
    """Base class: random per-image parameters, identity (a copy) in eval mode."""

    def __call__(self, images: Any) -> Any:
        array, is_tensor, with_channels = _batch(type(self).__name__, images)
        if not self.training:
            return _restore(array.copy(), is_tensor, with_channels)
        return _restore(self.apply(array), is_tensor, with_channels)

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Transform a contiguous (N, C, H, W) float batch; subclasses implement it."""
        raise NotImplementedError


class AffineTransform(Transform):
    """A transform that is one 2x2 matrix per image (the part that maps output to input)."""

    fill: float

    def linear_maps(self, n: int) -> np.ndarray:
        """(n, 2, 2) matrices mapping output to input positions, one per image."""
        raise NotImplementedError

    def apply(self, images: np.ndarray) -> np.ndarray:
        """One bilinear warp of each image by its matrix."""
        return _warp(images, self.linear_maps(len(images)), self.fill)


def _warp(images: np.ndarray, maps: np.ndarray, fill: float) -> np.ndarray:
    matrices = np.zeros((len(images), 2, 3))
    matrices[:, :, :2] = maps
    out = np.empty_like(images)
    kernels_for(images).affine_warp(images, matrices, fill, out)
    return out


def _rotations(degrees: np.ndarray) -> np.ndarray:
    """Read-from matrices [[cos, -sin], [sin, cos]] of counter-clockwise rotations; cos and sin
    are rounded to 12 decimals so multiples of 90 degrees are exact (cos 90 = 0, not 6e-17)."""
    radians = np.deg2rad(degrees)
    cos, sin = np.round(np.cos(radians), 12), np.round(np.sin(radians), 12)
    return np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)


class RandomRotation(AffineTransform):
    """Rotate each image by an angle ~ U(-degrees, degrees) (or U(lo, hi)) counter-clockwise
    about its centre, bilinear, with `fill` outside (torchvision's RandomRotation, bilinear)."""

    def __init__(self, degrees: float | Sequence[float], fill: float = 0.0,
                 seed: int | None = None):  # fmt: skip
        super().__init__(seed)
        self.degrees = _range("RandomRotation", "degrees", degrees, symmetric=True)
        self.fill = _fill("RandomRotation", fill)

    def linear_maps(self, n: int) -> np.ndarray:
        """Rotations by angles drawn from U(degrees)."""
        return _rotations(self.rng.uniform(*self.degrees, n))


# A factor outside this range maps the whole image onto less than a millionth of a pixel (or a
# pixel onto a million images): no image is left, so it is refused rather than computed.
SCALE_LIMITS = (1e-6, 1e6)


def _scale_range(owner: str, scale: Any) -> tuple[float, float]:
    lo, hi = _range(owner, "scale", scale, symmetric=False)
    if lo < SCALE_LIMITS[0] or hi > SCALE_LIMITS[1]:
        raise check.fail(owner, "scale", f"factors in [{SCALE_LIMITS[0]:g}, {SCALE_LIMITS[1]:g}]",
                         scale)  # fmt: skip
    return lo, hi


class RandomScale(AffineTransform):
    """Scale each image by a factor ~ U(lo, hi) about its centre (> 1 zooms in), bilinear."""

    def __init__(self, scale: Sequence[float] = (0.9, 1.1), fill: float = 0.0,
                 seed: int | None = None):  # fmt: skip
        super().__init__(seed)
        self.scale, self.fill = _scale_range("RandomScale", scale), _fill("RandomScale", fill)

    def linear_maps(self, n: int) -> np.ndarray:
        """Scalings by factors drawn from U(scale) (read from A / s)."""
        return np.eye(2) / self.rng.uniform(*self.scale, n)[:, None, None]


class RandomAffine(AffineTransform):
    """Rotation by U(-degrees, degrees) and scaling by U(scale) in one warp (torchvision's
    RandomAffine without translation and shear)."""

    def __init__(self, degrees: float | Sequence[float], scale: Sequence[float] | None = None,
                 fill: float = 0.0, seed: int | None = None):  # fmt: skip
        super().__init__(seed)
        self.degrees = _range("RandomAffine", "degrees", degrees, symmetric=True)
        self.scale = _scale_range("RandomAffine", scale) if scale is not None else None
        self.fill = _fill("RandomAffine", fill)

    def linear_maps(self, n: int) -> np.ndarray:
        """A rotation, then a scaling, per image, as one matrix."""
        maps = _rotations(self.rng.uniform(*self.degrees, n))
        if self.scale is not None:
            maps = maps / self.rng.uniform(*self.scale, n)[:, None, None]
        return maps


class RandomFlip(Transform):
    """Flip each image left-right (horizontal) and/or upside-down (vertical), each with
    probability p per image (torchvision's RandomHorizontalFlip / RandomVerticalFlip)."""

    def __init__(self, horizontal: bool = True, vertical: bool = False, p: float = 0.5,
                 seed: int | None = None):  # fmt: skip
        super().__init__(seed)
        self.horizontal = check.boolean("RandomFlip", "horizontal", horizontal)
        self.vertical = check.boolean("RandomFlip", "vertical", vertical)
        self.p = check.number("RandomFlip", "p", p, 0.0, 1.0)

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Flip each image with probability p per enabled direction."""
        n = len(images)
        flip_h = (self.rng.random(n) < self.p) & self.horizontal
        flip_v = (self.rng.random(n) < self.p) & self.vertical
        out = np.empty_like(images)
        kernels_for(images).flip(images, flip_h, flip_v, out)
        return out


class RandomCrop(Transform):
    """Pad each side by `padding` pixels of `fill`, then cut a random `size` window per image."""

    def __init__(self, size: int | Sequence[int], padding: int = 0, fill: float = 0.0,
                 seed: int | None = None):  # fmt: skip
        super().__init__(seed)
        self.size = check.pair("RandomCrop", "size", size, kind="int")
        if min(self.size) < 1:
            raise check.fail("RandomCrop", "size", "a positive int or (height, width)", size)
        self.padding = check.integer("RandomCrop", "padding", padding, low=0)
        self.fill = _fill("RandomCrop", fill)

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Pad, then cut a random window per image."""
        n, channels, h, w = images.shape
        oh, ow = self.size
        room_y, room_x = h + 2 * self.padding - oh, w + 2 * self.padding - ow
        if room_y < 0 or room_x < 0:
            raise ValueError(f"RandomCrop: size {self.size} is larger than the padded image "
                             f"({h + 2 * self.padding}, {w + 2 * self.padding})")  # fmt: skip
        tops = self.rng.integers(0, room_y + 1, n)
        lefts = self.rng.integers(0, room_x + 1, n)
        out = np.empty((n, channels, oh, ow), images.dtype)
        kernels_for(images).crop(images, tops, lefts, self.padding, self.fill, out)
        return out


class Compose(Transform):
    """Apply transforms in order; consecutive rotations and scalings with the same fill become
    one warp (their matrices multiply), so they cost one pass over the pixels."""

    def __init__(self, transforms: Sequence[Transform]):
        super().__init__()
        if isinstance(transforms, Transform) or not isinstance(transforms, Sequence):
            raise TypeError(f"Compose: transforms must be a list of transforms, got a "
                            f"{type(transforms).__name__}")  # fmt: skip
        for i, t in enumerate(transforms):
            check.instance("Compose", f"transforms[{i}]", t, Transform,
                           "a tinyreg.augment transform")  # fmt: skip
        self.transforms = list(transforms)

    def train(self, mode: bool = True) -> Compose:
        """Set the mode of the composition and of every transform in it."""
        super().train(mode)
        for t in self.transforms:
            t.train(mode)
        return self

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Apply the transforms in order, merging consecutive warps into one."""
        pending: list[AffineTransform] = []
        for t in [*self.transforms, None]:
            mergeable = isinstance(t, AffineTransform) and (
                not pending or t.fill == pending[0].fill
            )
            if mergeable:
                pending.append(t)
                continue
            if pending:  # reading from A1 A2 ... applies the first transform first
                maps = pending[0].linear_maps(len(images))
                for later in pending[1:]:
                    maps = maps @ later.linear_maps(len(images))
                images = _warp(images, maps, pending[0].fill)
                pending = [t] if isinstance(t, AffineTransform) else []
            if t is not None and not isinstance(t, AffineTransform):
                images = t.apply(images)
        return images


class _LabelMixing(_Random):
    """Base of the batch transforms that mix pairs of examples and their labels: called as
    `transform(images, labels)`, they return (mixed images, soft labels of shape (N, classes)),
    pairing each example with the next one in the batch (the batch rolled by 1, as
    torchvision.transforms.v2 does). The mixing weight lam ~ Beta(alpha, alpha), one per batch.
    Identity (with one-hot labels) in eval mode."""

    mixes_labels = True

    def __init__(self, alpha: float = 1.0, num_classes: int | None = None,
                 seed: int | None = None):  # fmt: skip
        owner = type(self).__name__
        self.alpha = check.finite(owner, "alpha", alpha, low=0.0, low_open=True)
        self.num_classes = (None if num_classes is None else
                            check.integer(owner, "num_classes", num_classes, low=1))  # fmt: skip
        super().__init__(seed)

    def __call__(self, images: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
        owner = type(self).__name__
        array, _, with_channels = _batch(owner, images)
        y = check.label_array(owner, "labels", labels)
        if y.shape != (len(array),):
            raise ValueError(f"{owner}: labels must be one class index per image ({len(array)},), "
                             f"got shape {y.shape}")  # fmt: skip
        classes = self.num_classes or int(y.max()) + 1
        if y.min() < 0 or y.max() >= classes:
            raise ValueError(f"{owner}: labels must lie in [0, {classes}), got values in "
                             f"[{y.min()}, {y.max()}]")  # fmt: skip
        onehot = np.eye(classes, dtype=array.dtype)[y]
        if not self.training or len(array) < 2:
            return array if with_channels else array[:, 0], onehot
        lam = float(self.rng.beta(self.alpha, self.alpha))
        mixed, lam = self.mix(array, np.roll(array, 1, axis=0), lam)
        soft = (lam * onehot + (1 - lam) * np.roll(onehot, 1, axis=0)).astype(array.dtype)
        return (mixed if with_channels else mixed[:, 0]), soft

    def mix(self, images: np.ndarray, partners: np.ndarray, lam: float
            ) -> tuple[np.ndarray, float]:  # fmt: skip
        """The mixed batch and the label weight of the original images."""
        raise NotImplementedError


class MixUp(_LabelMixing):
    """MixUp (Zhang et al., 2018), torchvision.transforms.v2.MixUp's semantics: with
    lam ~ Beta(alpha, alpha), x = lam * x + (1 - lam) * x_next and
    y = lam * onehot(y) + (1 - lam) * onehot(y_next)."""

    def mix(self, images: np.ndarray, partners: np.ndarray, lam: float
            ) -> tuple[np.ndarray, float]:  # fmt: skip
        """lam * images + (1 - lam) * partners."""
        return (lam * images + (1 - lam) * partners).astype(images.dtype), lam


class CutMix(_LabelMixing):
    """CutMix (Yun et al., 2019), torchvision.transforms.v2.CutMix's semantics: lam ~
    Beta(alpha, alpha); a box centred at a uniform pixel (r_x, r_y) with half-sizes
    int(0.5 sqrt(1 - lam) W) and int(0.5 sqrt(1 - lam) H), clipped to the image, is pasted from
    the next image; the label weight becomes 1 - box area / image area."""

    def mix(self, images: np.ndarray, partners: np.ndarray, lam: float
            ) -> tuple[np.ndarray, float]:  # fmt: skip
        """The images with a box pasted from their partners, and the adjusted lam."""
        h, w = images.shape[2:]
        r_x, r_y = int(self.rng.integers(w)), int(self.rng.integers(h))
        r = 0.5 * math.sqrt(1.0 - lam)
        half_w, half_h = int(r * w), int(r * h)
        x1, y1 = max(r_x - half_w, 0), max(r_y - half_h, 0)
        x2, y2 = min(r_x + half_w, w), min(r_y + half_h, h)
        mixed = images.copy()
        mixed[..., y1:y2, x1:x2] = partners[..., y1:y2, x1:x2]
        return mixed, 1.0 - (x2 - x1) * (y2 - y1) / (w * h)
