"""torchvision's shape: `vision.datasets` (digits, the MNIST arrays and torchvision's `MNIST`
dataset) and `vision.transforms` (`ToTensor`, `Normalize`, `Compose` and the augmentations:
rotation, scaling, affine, flips, crops, MixUp, CutMix)."""

from . import datasets, transforms

__all__ = ["datasets", "transforms"]
