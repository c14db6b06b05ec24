"""torchvision's shape: `vision.datasets` (digits, MNIST) and `vision.transforms` (the
augmentations: rotation, scaling, affine, flips, crops, MixUp, CutMix)."""

from . import datasets, transforms

__all__ = ["datasets", "transforms"]
