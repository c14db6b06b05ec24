"""History: the per-epoch logs of one `Trainer.fit`, the object `fit` returns.

`Trainer.fit` appends each epoch's logs; EarlyStopping writes `stopped_epoch` and `best_epoch`
at the end of training (its best epoch, by the rule of `tinyreg.utils.best`); Ctrl-C sets
`interrupted`, a NaN or Inf loss (TrainingError) sets `failed`; the epoch that was running
then is not in the logs (interrupted work is never recorded as finished). Epochs count from 0,
as in the Python API.
"""

from __future__ import annotations

import csv
import json
import os

__all__ = ["History"]


class History:
    """Per-epoch logs: `history["val_loss"][epoch]`; `stopped_epoch` and `best_epoch` are set
    by EarlyStopping (None when it did not run); `interrupted` (Ctrl-C) and `failed` (a NaN or
    Inf loss) say that training did not end normally."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.interrupted = False
        self.failed = False

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record the logs of `epoch` (0-based)."""
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write one row per epoch (epoch counted from 0, as the Python API) to a CSV file."""
        keys = list(self.history)
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *keys])
            for row, epoch in enumerate(self.epoch):
                writer.writerow([epoch, *(self.history[k][row] for k in keys)])

    def to_json(self, path: str | os.PathLike) -> None:
        """Write the history, best and stopped epochs and the interrupted flag as JSON."""
        with open(path, "w") as f:
            json.dump({"epoch": self.epoch, "history": self.history,
                       "stopped_epoch": self.stopped_epoch, "best_epoch": self.best_epoch,
                       "interrupted": self.interrupted}, f, indent=1)  # fmt: skip
