"""Optimizers with PyTorch's semantics and defaults, PyTorch's layout:

    optimizer.py     Optimizer: parameter groups (editable, add_param_group), state,
                     state_dict, post-step hooks
    sgd.py, adam.py  one file per family: SGD; Adam and AdamW
    adadelta.py, adagrad.py, rmsprop.py
    lr_scheduler.py  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR,
                     ReduceLROnPlateau
    swa_utils.py     AveragedModel (SWA and EMA), update_bn

Each `step()` runs one fused kernel per parameter (kernels/optim.py has the formulas).
"""

from .._missing import missing_names
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler",
           "swa_utils"]  # fmt: skip

__getattr__ = missing_names(__name__)  # PyTorch's names tinyreg lacks: a message saying so
