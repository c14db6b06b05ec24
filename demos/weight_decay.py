"""Weight decay is the L2 penalty for SGD, step for step; for Adam it is not, which is why AdamW
decouples it.

The seed's update W <- W - lr * (dL/dW + lam * W) is SGD's coupled weight decay. With SGD,
`weight_decay=lam` and an `L2(lam)` penalty produce identical weights at every step. Adam also
couples the decay into the gradient (so Adam + weight_decay == Adam + L2 penalty), and then divides
it by sqrt(v): heavily-updated weights are barely decayed. AdamW shrinks w by (1 - lr * lam)
outside the adaptive step, so every weight decays at the same rate.
"""

import matplotlib.pyplot as plt
import numpy as np
from common import finding, parse, save

import tinyreg as tr
from tinyreg import nn, optim, reg
from tinyreg.nn import functional as F


def weights_only(params):
    """Parameter groups that decay the Dense weights only, as the penalty does."""
    params = list(params)
    return [{"params": [p for p in params if p.regularize]},
            {"params": [p for p in params if not p.regularize], "weight_decay": 0.0}]  # fmt: skip


def trajectory(make_optimizer, penalty, X, y, steps):
    tr.manual_seed(0)
    model = nn.Sequential(nn.Dense(X.shape[1], 16), nn.Tanh(), nn.Dense(16, 1)).to(np.float64)
    opt = make_optimizer(model.parameters())
    norms, weights = [], []
    x = tr.tensor(X)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        (loss + penalty(model) if penalty else loss).backward()
        opt.step()
        flat = np.concatenate([p.data.ravel() for p in model.parameters() if p.regularize])
        norms.append(np.linalg.norm(flat))
        weights.append(flat)
    return np.array(norms), np.array(weights)


def main():
    args = parse(__doc__)
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((64, 5))
    y = np.sin(X[:, :1]) + 0.1 * rng.standard_normal((64, 1))
    lam, steps = 0.1, 50 if args.quick else 300
    runs = {
        "SGD weight_decay": (lambda ps: optim.SGD(weights_only(ps), lr=0.05, momentum=0.9,
                                                  weight_decay=lam), None),
        "SGD + L2 penalty": (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9), reg.L2(lam)),
        "Adam weight_decay": (lambda ps: optim.Adam(weights_only(ps), lr=0.01,
                                                    weight_decay=lam), None),
        "Adam + L2 penalty": (lambda ps: optim.Adam(ps, lr=0.01), reg.L2(lam)),
        "AdamW": (lambda ps: optim.AdamW(weights_only(ps), lr=0.01, weight_decay=lam), None),
        "Adam, no decay": (lambda ps: optim.Adam(ps, lr=0.01), None),
    }  # fmt: skip
    results = {name: trajectory(make, pen, X, y, steps) for name, (make, pen) in runs.items()}
    sgd_diff = np.abs(results["SGD weight_decay"][1] - results["SGD + L2 penalty"][1]).max()
    adam_diff = np.abs(results["Adam weight_decay"][1] - results["Adam + L2 penalty"][1]).max()
    adamw_diff = np.abs(results["AdamW"][1] - results["Adam + L2 penalty"][1]).max()
    finding(
        f"SGD: weight_decay and the L2 penalty differ by at most {sgd_diff:.2g} over {steps} "
        f"steps (identical up to rounding); Adam: by {adam_diff:.2g} (also coupled); AdamW "
        f"differs from Adam + L2 by {adamw_diff:.2g}: decoupled decay is a different method.",
        sgd_wd_vs_l2=sgd_diff,
        adam_wd_vs_l2=adam_diff,
        adamw_vs_adam_l2=adamw_diff,
    )
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for name, (norms, _) in results.items():
        ax.plot(norms, label=name, ls="--" if "penalty" in name else "-")
    ax.set_xlabel("step")
    ax.set_ylabel("||W|| (Dense weights)")
    ax.set_title(f"weight decay vs L2 penalty (lam={lam})")
    ax.legend(fontsize=7)
    save(fig, args, "weight_decay.png")


if __name__ == "__main__":
    main()
