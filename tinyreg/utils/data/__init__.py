"""PyTorch's torch.utils.data: datasets, samplers and the DataLoader.

    from tinyreg.utils.data import DataLoader, TensorDataset, random_split

`Dataset`, `TensorDataset`, `Subset`, `random_split` (dataset.py); `Sampler`,
`SequentialSampler`, `RandomSampler`, `SubsetRandomSampler`, `BatchSampler` (sampler.py);
`DataLoader`, `default_collate`, `default_convert` (dataloader.py); `Generator`, the random
generator of its own that `generator=` takes (generator.py).
"""

from ..._missing import missing_names
from .dataloader import DataLoader, default_collate, default_convert
from .dataset import Dataset, Subset, TensorDataset, random_split
from .generator import Generator
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

__all__ = [
    "BatchSampler",
    "DataLoader",
    "Dataset",
    "Generator",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "random_split",
]

__getattr__ = missing_names(__name__)  # PyTorch's names tinyreg lacks: a message saying so
