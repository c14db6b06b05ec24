"""Early stopping: watch the validation loss, stop once it has not improved for `patience`
epochs, and restore the weights of the best epoch (Keras 3's EarlyStopping rule).

One long run records the validation curve; then the same training is repeated with patience
0, 5 and 20 to show where each stops, and that the restored model has the best epoch's loss.
"""

import matplotlib.pyplot as plt
from common import finding, parse, save

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim, vision
from tinyreg.training import EarlyStopping, Trainer


def fit(train, val, epochs, callbacks):
    tr.manual_seed(0)
    model = nn.Sequential(nn.Dense(64, 256), nn.ReLU(), nn.Dense(256, 256), nn.ReLU(),
                          nn.Dense(256, 10))  # fmt: skip
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
                      callbacks=callbacks)  # fmt: skip
    history = trainer.fit(*train, val=val, epochs=epochs, batch_size=32, seed=0, verbose=0)
    return trainer, history


def main():
    args = parse(__doc__)
    X, y = vision.datasets.load_digits()
    (Xtr, ytr), val, _ = data.train_val_test_split(X.reshape(len(X), -1), y, seed=args.seed)
    train, epochs = (Xtr[:200], ytr[:200]), (40 if args.quick else 120)
    _, full = fit(train, val, epochs, [])
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.plot(full["val_loss"], color="black", label="validation loss (no stopping)")
    stops = {}
    for patience, color in ((0, "tab:red"), (5, "tab:orange"), (20, "tab:green")):
        stopper = EarlyStopping(patience=patience, restore_best_weights=True)
        trainer, history = fit(train, val, epochs, [stopper])
        restored = trainer.evaluate(*val)["loss"]
        stops[patience] = (stopper.stopped_epoch, stopper.best_epoch, stopper.best, restored)
        ax.axvline(stopper.stopped_epoch or epochs - 1, color=color, ls=":",
                   label=f"patience {patience}: stop {stopper.stopped_epoch}, "
                         f"best {stopper.best_epoch}")  # fmt: skip
    best_epoch = min(range(len(full["val_loss"])), key=full["val_loss"].__getitem__)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.legend(fontsize=7)
    stopped, best, best_loss, restored = stops[20]
    finding(
        "stopping epochs for patience 0/5/20: "
        + ", ".join(str(stops[p][0]) for p in (0, 5, 20))
        + f"; the validation loss bottoms out at epoch {best_epoch} of the full run; with "
        f"patience 20 the restored model's validation loss is {restored:.4f} = the best epoch's "
        f"{best_loss:.4f}, against {full['val_loss'][-1]:.4f} after all {epochs} epochs",
        stop_p0=stops[0][0],
        stop_p5=stops[5][0],
        stop_p20=stopped,
        best_loss=best_loss,
        restored_loss=restored,
        final_loss_without=full["val_loss"][-1],
    )
    save(fig, args, "early_stopping.png")


if __name__ == "__main__":
    main()
