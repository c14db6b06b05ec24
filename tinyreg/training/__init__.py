"""Training: the Trainer loop, callbacks against a documented protocol, and History with the one
"best epoch" rule."""

from .callbacks import Callback, EarlyStopping, History, LRSchedulerCallback, ModelCheckpoint
from .trainer import Trainer, TrainingError

__all__ = ["Callback", "EarlyStopping", "History", "LRSchedulerCallback", "ModelCheckpoint",
           "Trainer", "TrainingError"]  # fmt: skip
