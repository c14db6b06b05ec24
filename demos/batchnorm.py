"""Batch normalization lets the same net train at a learning rate where it otherwise fails.

A 64-256-256-256-10 MLP on digits with SGD at lr = 1.0: without batch norm the loss blows up (or
the net stalls); with BatchNorm1d after each hidden Dense layer it trains.
"""

import matplotlib.pyplot as plt
from common import finding, parse, save

import tinyreg as tr
from tinyreg import data, nn, optim
from tinyreg.train import Trainer, TrainingError


def run(batch_norm, train, val, epochs, lr):
    tr.manual_seed(0)
    layers, width = [], 64
    for _ in range(3):
        layers += [nn.Dense(width, 256)] + ([nn.BatchNorm1d(256)] if batch_norm else [])
        layers += [nn.ReLU()]
        width = 256
    model = nn.Sequential(*layers, nn.Dense(width, 10))
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    try:
        history = trainer.fit(*train, val=val, epochs=epochs, batch_size=64, seed=0, verbose=0)
    except TrainingError as error:
        print(f"{'with' if batch_norm else 'without'} batch norm: {error}")
        return trainer.history, 0.0
    return history, history["val_accuracy"][-1]


def main():
    args = parse(__doc__)
    X, y = data.load_digits()
    train, val, _ = data.train_val_test_split(X.reshape(len(X), -1), y, seed=args.seed)
    epochs, lr = (5 if args.quick else 30), 1.0
    plain, acc_plain = run(False, train, val, epochs, lr)
    normed, acc_bn = run(True, train, val, epochs, lr)
    finding(
        f"at lr={lr}: validation accuracy {acc_plain:.3f} without batch norm, {acc_bn:.3f} with",
        acc_without_bn=acc_plain,
        acc_with_bn=acc_bn,
    )
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name, h in (("no batch norm", plain), ("batch norm", normed)):
        if h.epoch:
            ax.plot(h.epoch, h["val_accuracy"], marker="o", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(f"SGD, lr = {lr}")
    ax.legend()
    save(fig, args, "batchnorm.png")


if __name__ == "__main__":
    main()
