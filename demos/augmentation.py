"""Data augmentation helps most when training data is scarce.

With 50 training digits, each epoch sees every image again under a new random rotation (up to
+-10 degrees) and scaling (0.95-1.05): the net cannot memorize pixels, so it generalizes better.
The figure shows originals above their augmented versions.
"""

import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim, vision
from tinyreg.experiments import plots
from tinyreg.training import Trainer
from tinyreg.vision import transforms as A


def accuracy(train, val, test, augment, epochs, seed):
    tr.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Dense(64, 256), nn.ReLU(), nn.Dense(256, 10))
    trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
                      augment=augment)  # fmt: skip
    trainer.fit(*train, val=val, epochs=epochs, batch_size=32, seed=seed, verbose=0)
    return trainer.evaluate(*test)["accuracy"]


def main():
    args = parse(__doc__)
    X, y = vision.datasets.load_digits()
    (Xtr, ytr), val, test = data.train_val_test_split(X, y, seed=args.seed)
    train = (Xtr[:50], ytr[:50])
    epochs = 150
    transform = A.RandomAffine(10, scale=(0.95, 1.05))  # mild: 8x8 digits have few pixels to spare
    seeds = [args.seed + k for k in range(2 if args.quick else 5)]
    plain = np.mean([accuracy(train, val, test, None, epochs, s) for s in seeds])
    augmented = np.mean([accuracy(train, val, test, transform, epochs, s) for s in seeds])
    finding(
        f"test accuracy with 50 training images: {plain:.3f} without augmentation, "
        f"{augmented:.3f} with (mean of {len(seeds)} seed(s))",
        acc_without=plain,
        acc_with=augmented,
    )
    tr.manual_seed(args.seed)
    fig = plots.augmentation_grid(train[0][:10], transform(train[0][:10]), count=10)
    save(fig, args, "augmentation.png")


if __name__ == "__main__":
    main()
