"""PyTorch's torch.utils: `tinyreg.utils.data` (DataLoader)."""

from . import data

__all__ = ["data"]
