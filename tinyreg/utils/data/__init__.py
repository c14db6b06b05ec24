"""PyTorch's torch.utils.data: `from tinyreg.utils.data import DataLoader`."""

from .dataloader import DataLoader

__all__ = ["DataLoader"]
