"""Every demo runs headless with --quick, saves its PNG, and prints the finding it claims."""

import subprocess
import sys
from pathlib import Path

import pytest

DEMOS = Path(__file__).resolve().parent.parent / "demos"


def run_demo(name, tmp_path):
    out = subprocess.run(
        [sys.executable, str(DEMOS / f"{name}.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, env={"MPLBACKEND": "Agg", **_env()},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (tmp_path / f"{name}.png").stat().st_size > 1000
    line = next(row for row in out.stdout.splitlines() if row.startswith("finding: "))
    return {k: float(v) for k, v in (item.split("=") for item in line.split()[1:])}


def _env():
    import os

    return dict(os.environ)


CLAIMS = {
    "l1_sparsity": lambda f: (
        f["l1_zeros"] == 15 and f["l2_zeros"] == 0 and f["l1_informative_kept"] == f["informative"]
    ),
    "elastic_net_correlated": lambda f: (
        f["l1_kept_relevant"] < f["en_kept_relevant"] == 3 and f["en_kept_irrelevant"] == 0
    ),
    "weight_decay": lambda f: (
        f["sgd_wd_vs_l2"] < 1e-12 and f["adam_wd_vs_l2"] < 1e-12 and f["adamw_vs_adam_l2"] > 1e-3
    ),
    "dropout": lambda f: f["val_acc_with"] > f["val_acc_without"] and f["seeds"] >= 2,
    "batchnorm": lambda f: (
        f["acc_with_bn"] > 0.8 and f["diverged_with_bn"] == 0 and f["diverged_without_bn"] >= 1
    ),
    "early_stopping": lambda f: (
        f["stop_p0"] < f["stop_p5"] < f["stop_p20"]
        and f["restored_loss"] == pytest.approx(f["best_loss"], rel=1e-5)
        and f["restored_loss"] < f["final_loss_without"]
    ),
    "augmentation": lambda f: f["acc_with"] > f["acc_without"],
    "polynomial_overfit": lambda f: (
        f["mse_l2"] < f["mse_none"]
        and f["mse_l1"] < f["mse_none"]
        and f["zeros_l1"] > f["zeros_none"]
    ),
    "cnn_mnist": lambda f: f["seeds"] >= 2 and min(f["acc_plain"], f["acc_augmentation"]) > 0.6,
    "group_lasso": lambda f: (
        f["units_kept_max"] < 256
        and f["params_after_max"] < f["params_before"]
        and f["max_output_change"] < 1e-4
        and f["acc_group_lasso"] > 0.8
    ),
    "geometry": lambda f: f["l1_zero_weights"] == 1 and f["l2_zero_weights"] == 0,
}


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_demo_finding(name, tmp_path):
    finding = run_demo(name, tmp_path)
    assert CLAIMS[name](finding), finding


def test_every_demo_is_tested():
    scripts = {p.stem for p in DEMOS.glob("*.py")} - {"common"}
    assert scripts == set(CLAIMS)
