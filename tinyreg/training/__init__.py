"""Training, PyTorch-style layout:

    trainer.py    Trainer (the training loop alone) and TrainingError
    callbacks.py  Callback and its documented protocol (TrainerLike: what a callback may use of
                  the trainer), EarlyStopping, ModelCheckpoint, LRSchedulerCallback
    history.py    History, the per-epoch logs `Trainer.fit` returns

The "best epoch" rule (mode, min_delta, best weights, one copy per improvement) is
`tinyreg.utils.best`, shared by the Trainer, EarlyStopping, ModelCheckpoint and
optim.lr_scheduler.ReduceLROnPlateau. callbacks.py does not import trainer.py.
"""

from .callbacks import Callback, EarlyStopping, LRSchedulerCallback, ModelCheckpoint, TrainerLike
from .history import History
from .trainer import Trainer, TrainingError

__all__ = ["Callback", "EarlyStopping", "History", "LRSchedulerCallback", "ModelCheckpoint",
           "Trainer", "TrainerLike", "TrainingError"]  # fmt: skip
