"""Optimizers with PyTorch's semantics and defaults, PyTorch's layout:

    optimizer.py     Optimizer: parameter groups, state, state_dict, post-step hooks
    sgd.py, adam.py  one file per family: SGD; Adam and AdamW
    lr_scheduler.py  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR,
                     ReduceLROnPlateau
    swa_utils.py     AveragedModel (SWA and EMA), update_bn

Each `step()` runs one fused kernel per parameter (kernels/optim.py has the formulas).
"""

from . import lr_scheduler, swa_utils
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler", "swa_utils"]
