"""Image transforms in torchvision's shape: the random augmentations (rotation, scaling, affine,
flips, crops; MixUp and CutMix for label mixing), `ToTensor`, `Normalize` and `Compose`.

The random transforms take one image or a batch, a NumPy array or a Tensor:
    one image    a 2-D array (H, W) (what `MNIST` gives without a transform, where torchvision
                 gives a PIL image), or a Tensor (H, W) or (C, H, W) (after `ToTensor`)
    a batch      a NumPy array (N, H, W) or (N, C, H, W), or a Tensor (N, C, H, W)
and return a new image or batch of the same kind, shape and dtype (except RandomCrop, whose
output has the crop size; an integer image is rounded and clipped back to its dtype, as a PIL
image stays 8-bit); the input is never modified. In a batch each image gets its own random
parameters (the Trainer's `augment=` takes these). Parameters come from the transform's own
generator when it was given a `seed`, else from the one `tinyreg.manual_seed` seeds. In eval
mode (`.eval()`) a transform is the identity, as in Keras.

Ranges follow torchvision:
    RandomRotation(degrees)   angle ~ U(-d, d), or U(lo, hi) for a pair; counter-clockwise
    RandomScale(scale)        factor ~ U(lo, hi) (> 1 zooms in)
    RandomAffine(degrees, translate, scale, shear)  all in one warp
    RandomFlip(horizontal, vertical, p)   each flip with probability p per image
    RandomHorizontalFlip(p), RandomVerticalFlip(p)  torchvision's names for one direction
    RandomCrop(size, padding)  pad with `fill`, then a random size window per image
Warps are bilinear about the image centre ((H - 1) / 2, (W - 1) / 2) with constant `fill`, so a
90 degree rotation is exactly np.rot90. `Compose` merges consecutive warps into one matrix per
image: one pass over the pixels.

Coming from torchvision: the warps are bilinear (torchvision's default is nearest) and take no
`interpolation`, `expand` or `center`; a random transform called on a Tensor (N, C, H, W) draws
parameters per image (torchvision draws one set for the whole tensor); NumPy arrays, which
torchvision's transforms refuse, are images or batches as listed above.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import random as _random
from .. import validate as check
from .._tensor import Tensor
from ..device import kernels_for, to_device


def _batch(owner: str, images: Any) -> tuple[np.ndarray, bool]:
    """(contiguous (N, C, H, W) float array, had a channel axis?) of a batch."""
    array = check.float_array(owner, "images", images, finite_values=False)
    if array.ndim not in (3, 4):
        raise ValueError(f"{owner}: images must be (N, H, W) or (N, C, H, W), got shape "
                         f"{array.shape}")  # fmt: skip
    with_channels = array.ndim == 4
    return np.ascontiguousarray(array if with_channels else array[:, None]), with_channels


def _as_dtype(out: np.ndarray, dtype: np.dtype | None) -> np.ndarray:
    """`out` in an integer `dtype` (rounded and clipped to its range), else as it is."""
    if dtype is None or dtype.kind not in "iu":
        return out
    info = np.iinfo(dtype)
    return np.clip(np.rint(out), info.min, info.max).astype(dtype)


def _images(owner: str, images: Any) -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """(contiguous (N, C, H, W) float array, the function that turns a result back into the
    caller's form): one image (a 2-D array; a 2-D or 3-D Tensor) or a batch (see the module)."""
    source = check.unwrap(images)
    dtype, ndim = getattr(source, "dtype", None), np.ndim(source)
    is_tensor = isinstance(images, Tensor)
    if ndim not in (2, 3, 4):
        raise ValueError(f"{owner}: images must be one image (H, W) (a Tensor also (C, H, W)) or "
                         f"a batch (N, H, W) or (N, C, H, W), got shape "
                         f"{np.shape(source)}")  # fmt: skip
    single = ndim == 2 or (ndim == 3 and is_tensor)
    if single:
        source = (source if hasattr(source, "shape") else np.asarray(source))[None]
    array, with_channels = _batch(owner, source)

    def restore(out: np.ndarray) -> Any:
        if single:
            out = out[0] if with_channels else out[0, 0]
        elif not with_channels:
            out = out[:, 0]
        out = _as_dtype(out, dtype)
        return Tensor(out) if is_tensor else out

    return array, restore


def _range(owner: str, name: str, value: Any, symmetric: bool) -> tuple[float, float]:
    """(lo, hi) from a number d (meaning (-d, d) when `symmetric`, else (d, d)) or a pair."""
    if not isinstance(value, tuple | list):
        d = check.finite(owner, name, value, low=0.0 if symmetric else None)
        lo, hi = (-d, d) if symmetric else (d, d)
    else:
        if len(value) != 2:
            raise check.fail(owner, name, "a number or a pair (lo, hi)", value)
        lo, hi = (check.finite(owner, f"{name}[{i}]", v) for i, v in enumerate(value))
        if lo > hi:
            raise check.fail(owner, name, "a pair (lo, hi) with lo <= hi", value)
    if not math.isfinite(hi - lo):  # NumPy's uniform (and torch's uniform_) needs a finite width
        raise check.fail(owner, name, "a range whose width hi - lo is a finite number", value)
    return lo, hi


def _fill(owner: str, fill: Any) -> float:
    return check.finite(owner, "fill", fill)


class _Random:
    """What every random transform shares: an optional seed for its own generator (else the one
    `tinyreg.manual_seed` seeds) and a training / eval mode."""

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
        array, restore = _images(type(self).__name__, images)
        return restore(self.apply(array) if self.training else array.copy())

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Transform a contiguous (N, C, H, W) float batch; subclasses implement it."""
        raise NotImplementedError


class AffineTransform(Transform):
    """A transform that is one affine map per image: a 2x2 matrix and an offset, mapping each
    output pixel (about the centre) to the input position it reads."""

    fill: float

    def linear_maps(self, n: int) -> np.ndarray:
        """(n, 2, 2) matrices mapping output to input positions, one per image."""
        raise NotImplementedError

    def read_maps(self, n: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """((n, 2, 2) matrices, (n, 2) offsets (x, y) in pixels) for n images of that size: the
        matrices of `linear_maps` and no offset, unless a subclass translates."""
        return self.linear_maps(n), np.zeros((n, 2))

    def apply(self, images: np.ndarray) -> np.ndarray:
        """One bilinear warp of each image by its map."""
        n, _, height, width = images.shape
        return _warp(images, *self.read_maps(n, height, width), self.fill)


def _warp(images: np.ndarray, linear: np.ndarray, offsets: np.ndarray, fill: float) -> np.ndarray:
    matrices = np.zeros((len(images), 2, 3))
    matrices[:, :, :2] = linear
    matrices[:, :, 2] = offsets
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

    def __init__(self, degrees: float | Sequence[float], *, fill: float = 0.0,
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


def _shear_ranges(shear: Any) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """(x range, y range or None) in degrees from torchvision's forms: d, (lo, hi) or
    (x_lo, x_hi, y_lo, y_hi); each angle in (-90, 90)."""
    owner = "RandomAffine"
    if isinstance(shear, tuple | list) and len(shear) == 4:
        ranges = _range(owner, "shear", shear[:2], True), _range(owner, "shear", shear[2:], True)
    else:
        ranges = _range(owner, "shear", shear, symmetric=True), None
    if any(abs(v) >= 90 for r in ranges if r for v in r):
        raise check.fail(owner, "shear", "angles in (-90, 90) degrees", shear)
    return ranges


class RandomAffine(AffineTransform):
    """torchvision's RandomAffine in one bilinear warp per image: a rotation by an angle ~
    U(-degrees, degrees), a shift by whole pixels dx ~ round(U(-a W, a W)) and dy ~ round(U(-b H,
    b H)) for `translate=(a, b)`, a scaling by a factor ~ U(scale), and shears by angles ~
    U(shear) along x (and along y for a 4-tuple (x_lo, x_hi, y_lo, y_hi)), composed as
    torchvision's matrix (forward map T R S Sh_y Sh_x about the centre).

    Coming from torchvision: the angle turns counter-clockwise, as RandomRotation's (torchvision's
    RandomAffine turns clockwise: the same for a symmetric range); bilinear, with `fill` outside.
    """

    def __init__(self, degrees: float | Sequence[float],
                 translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: Any = None, *,
                 fill: float = 0.0, seed: int | None = None):  # fmt: skip
        super().__init__(seed)
        owner = "RandomAffine"
        self.degrees = _range(owner, "degrees", degrees, symmetric=True)
        if translate is not None:
            if not isinstance(translate, tuple | list) or len(translate) != 2:
                raise check.fail(owner, "translate", "a pair (a, b) of fractions", translate)
            translate = tuple(check.number(owner, f"translate[{i}]", t, 0.0, 1.0)
                              for i, t in enumerate(translate))  # fmt: skip
        self.translate = translate
        self.scale = _scale_range(owner, scale) if scale is not None else None
        self.shear = _shear_ranges(shear) if shear is not None else None
        self.fill = _fill(owner, fill)

    def linear_maps(self, n: int) -> np.ndarray:
        """A rotation, then a scaling, then the shears, per image, as one matrix (read from
        Sh_x^-1 Sh_y^-1 S^-1 R^-1)."""
        maps = _rotations(self.rng.uniform(*self.degrees, n))
        if self.scale is not None:
            maps = maps / self.rng.uniform(*self.scale, n)[:, None, None]
        if self.shear is not None:
            tan_x = np.tan(np.deg2rad(self.rng.uniform(*self.shear[0], n)))
            tan_y = (np.tan(np.deg2rad(self.rng.uniform(*self.shear[1], n)))
                     if self.shear[1] else np.zeros(n))  # fmt: skip
            inverse = np.stack([np.stack([1 + tan_x * tan_y, tan_x], -1),
                                np.stack([tan_y, np.ones(n)], -1)], -2)  # fmt: skip
            maps = inverse @ maps
        return maps

    def read_maps(self, n: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """The matrices of `linear_maps` and, with `translate`, the offsets that shift each
        image by whole pixels (read from -A t)."""
        linear, offsets = super().read_maps(n, height, width)
        if self.translate is not None:
            a, b = self.translate
            dx = self.rng.uniform(-a * width, a * width, n)
            dy = self.rng.uniform(-b * height, b * height, n)
            shifts = np.rint(np.stack([dx, dy], -1))
            offsets = -(linear @ shifts[..., None])[..., 0]
        return linear, offsets


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


class RandomHorizontalFlip(RandomFlip):
    """Flip each image left-right with probability p (torchvision's RandomHorizontalFlip)."""

    def __init__(self, p: float = 0.5, *, seed: int | None = None):
        super().__init__(horizontal=True, vertical=False, p=p, seed=seed)


class RandomVerticalFlip(RandomFlip):
    """Flip each image upside-down with probability p (torchvision's RandomVerticalFlip)."""

    def __init__(self, p: float = 0.5, *, seed: int | None = None):
        super().__init__(horizontal=False, vertical=True, p=p, seed=seed)


class RandomCrop(Transform):
    """Pad each side by `padding` pixels of `fill`, then cut a random `size` window per image
    (torchvision's RandomCrop; `padding` is one int for every side, None meaning 0: torchvision's
    per-side paddings, `pad_if_needed` and padding modes other than constant are not
    implemented)."""

    def __init__(self, size: int | Sequence[int], padding: int | None = None, *,
                 fill: float = 0.0, seed: int | None = None):  # fmt: skip
        super().__init__(seed)
        self.size = check.pair("RandomCrop", "size", size, kind="int")
        if min(self.size) < 1:
            raise check.fail("RandomCrop", "size", "a positive int or (height, width)", size)
        padding = 0 if padding is None else padding
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


def _on_arrays(t: Any) -> bool:
    """Whether `t` works on (N, C, H, W) float arrays (a random transform, or a Compose of only
    those), so that a Compose can run it without converting the images back and forth."""
    return isinstance(t, Transform) and (
        not isinstance(t, Compose) or all(map(_on_arrays, t.transforms))
    )


class Compose(Transform):
    """Apply transforms in order (torchvision's Compose): random transforms and any other
    callables (`ToTensor()`, `Normalize(...)`, a function). Consecutive warps (rotations,
    scalings, affines) with the same fill become one warp (their maps multiply), so they cost one
    pass over the pixels. `train()`/`eval()` set the mode of the random transforms in it; the
    other callables run in either mode."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]):
        super().__init__()
        if isinstance(transforms, Transform) or not isinstance(transforms, Sequence):
            raise TypeError(f"Compose: transforms must be a list of transforms, got a "
                            f"{type(transforms).__name__}")  # fmt: skip
        for i, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"Compose: transforms[{i}] must be a transform (a callable), got "
                                f"a {type(t).__name__} ({check.describe(t)})")  # fmt: skip
        self.transforms = list(transforms)

    def train(self, mode: bool = True) -> Compose:
        """Set the mode of the composition and of every random transform in it."""
        super().train(mode)
        for t in self.transforms:
            if isinstance(t, _Random):
                t.train(mode)
        return self

    def __call__(self, images: Any) -> Any:
        for on_arrays, group in itertools.groupby(self.transforms, _on_arrays):
            if on_arrays:
                array, restore = _images("Compose", images)
                images = restore(_apply_in_order(list(group), array) if self.training
                                 else array.copy())  # fmt: skip
            else:
                for t in group:
                    images = t(images)
        return images

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Apply the transforms (all random transforms) in order, merging consecutive warps."""
        return _apply_in_order(self.transforms, images)


def _apply_in_order(transforms: list[Transform], images: np.ndarray) -> np.ndarray:
    """Apply array transforms in order; consecutive warps with the same fill in one pass (reading
    from A1 (A2 p + t2) + t1 applies the first transform first)."""
    pending: list[AffineTransform] = []
    for t in [*transforms, None]:
        if isinstance(t, AffineTransform) and (not pending or t.fill == pending[0].fill):
            pending.append(t)
            continue
        if pending:
            n, h, w = len(images), *images.shape[2:]
            linear, offsets = pending[0].read_maps(n, h, w)
            for later in pending[1:]:
                later_linear, later_offsets = later.read_maps(n, h, w)
                offsets = (linear @ later_offsets[..., None])[..., 0] + offsets
                linear = linear @ later_linear
            images = _warp(images, linear, offsets, pending[0].fill)
            pending = [t] if isinstance(t, AffineTransform) else []
        if t is not None and not isinstance(t, AffineTransform):
            images = t.apply(images)
    return images


class ToTensor:
    """torchvision's ToTensor: an image array (H, W) or (H, W, C) -> a Tensor (C, H, W); a uint8
    image is scaled to float32 in [0, 1] (x / 255), any other dtype is kept unscaled, as in
    torchvision. A Tensor is a TypeError (it is converted already)."""

    def __call__(self, pic: Any) -> Tensor:
        if isinstance(pic, Tensor) or not isinstance(pic, np.ndarray):
            raise TypeError(f"ToTensor: pic should be a NumPy image array (H, W) or (H, W, C), "
                            f"got a {type(pic).__name__}")  # fmt: skip
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional (H, W) or (H, W, C), "
                             f"got shape {pic.shape}")  # fmt: skip
        chw = np.ascontiguousarray((pic[:, :, None] if pic.ndim == 2 else pic).transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            return Tensor(chw.astype(np.float32) / np.float32(255))
        return Tensor(chw)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """torchvision's Normalize: out[c] = (x[c] - mean[c]) / std[c] for each channel c of a float
    Tensor (..., C, H, W) (one image or a batch), differentiable; mean and std are sequences (one
    value per channel) or numbers, cast to the tensor's dtype. A zero std is a ValueError. With
    `inplace=True` the tensor's own array is overwritten (refused for a tensor that requires
    grad)."""

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float,
                 inplace: bool = False):  # fmt: skip
        self.mean = tuple(check.finite("Normalize", "mean", m) for m in np.atleast_1d(mean))
        self.std = tuple(check.finite("Normalize", "std", s) for s in np.atleast_1d(std))
        self.inplace = check.boolean("Normalize", "inplace", inplace)

    def __call__(self, tensor: Tensor) -> Tensor:
        owner = "Normalize"
        check.instance(owner, "tensor", tensor, Tensor, "a Tensor image (..., C, H, W)")
        if tensor.dtype.kind != "f":
            raise TypeError(f"{owner}: tensor must be a float tensor, got dtype {tensor.dtype}")
        if tensor.ndim < 3:
            raise ValueError(f"{owner}: expected a tensor image of shape (..., C, H, W), got "
                             f"shape {tensor.shape}")  # fmt: skip
        mean = np.asarray(self.mean, tensor.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, tensor.dtype).reshape(-1, 1, 1)
        if not std.all():
            raise ValueError(f"{owner}: std evaluated to zero after conversion to "
                             f"{tensor.dtype}, leading to division by zero")  # fmt: skip
        mean, std = to_device(mean, tensor.device), to_device(std, tensor.device)
        if not self.inplace:
            return (tensor - mean) / std
        if tensor.requires_grad:
            raise RuntimeError(f"{owner}: inplace=True on a tensor that requires grad")
        tensor.data -= mean
        tensor.data /= std
        return tensor

    def __repr__(self) -> str:
        return f"Normalize(mean={list(self.mean)}, std={list(self.std)})"


class _LabelMixing(_Random):
    """Base of the batch transforms that mix pairs of examples and their labels: called as
    `transform(images, labels)`, they return (mixed images, soft labels of shape (N, classes)),
    pairing each example with the next one in the batch (the batch rolled by 1, as
    torchvision.transforms.v2 does). The mixing weight lam ~ Beta(alpha, alpha), one per batch.
    Identity (with one-hot labels) in eval mode. num_classes is required when called (None is
    a ValueError then, as torchvision's for class-index labels)."""

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
        array, with_channels = _batch(owner, images)
        y = check.label_array(owner, "labels", labels)
        if y.shape != (len(array),):
            raise ValueError(f"{owner}: labels must be one class index per image ({len(array)},), "
                             f"got shape {y.shape}")  # fmt: skip
        if self.num_classes is None:  # torchvision's rule: a batch may lack the last class
            raise ValueError(f"{owner}: num_classes is needed for class-index labels (a batch "
                             "may not contain the highest class), got None")  # fmt: skip
        classes = self.num_classes
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
