"""PyTorch's torch.nn.utils: gradient clipping; and the check of a "parameters" argument."""

from .clip_grad import clip_grad_norm_, clip_grad_value_
from .parameters import parameter_list

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameter_list"]
