"""The command line: version and help, `compare --quick`, and the benchmarks on small sizes."""

import importlib.util
import json

import pytest

from tinyreg import __version__
from tinyreg.app import bench_kernels as bench
from tinyreg.app import cli


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0 and __version__ in capsys.readouterr().out
    assert cli.main([]) == 0
    assert "compare" in capsys.readouterr().out


def table_without_seconds(text):
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    return [line.rsplit("|", 2)[0] for line in rows]


def test_compare_quick_writes_report_and_repeats(tmp_path, capsys):
    args = ["compare", "--quick", "--seeds", "2", "--runs", "none,l1,l1_prox,dropout,all"]
    assert cli.main([*args, "--out", str(tmp_path / "a"), "--jobs", "2"]) == 0
    first = capsys.readouterr().out
    assert cli.main([*args, "--out", str(tmp_path / "b"), "--jobs", "1"]) == 0
    second = capsys.readouterr().out
    # same seeds, same table, whether the runs went to worker processes or not
    assert table_without_seconds(first) == table_without_seconds(second)
    assert len(table_without_seconds(first)) == 1 + 5  # the header and one row per run
    out = tmp_path / "a"
    report = (out / "report.md").read_text()
    for png in ("curves.png", "differences.png", "weight_histograms.png", "sparsity.png",
                "augmentation.png"):  # fmt: skip
        assert png in report and (out / png).stat().st_size > 1000
    assert "## What held on this data" in report and "Proximal L1 gives exact zeros" in report
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 5 and "<table>" in page and 'src="' in page
    results = json.loads((out / "results.json").read_text())
    assert results["seeds"] == [0, 1] and len(results["results"]) == 5 * 2
    subgradient = [r for r in results["results"] if r["run"] == "l1"]
    assert all(r["exact_zeros"] == 0 < r["small_weights"] for r in subgradient)
    assert all(r["best_epoch"] >= 1 for r in results["results"])  # epochs counted from 1


def test_compare_on_moons_says_what_it_applied(tmp_path, capsys):
    assert cli.main(["compare", "--quick", "--dataset", "moons", "--runs", "l2,augmentation,all",
                     "--out", str(tmp_path)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "augmentation skipped (it needs images)" in out
    report = (tmp_path / "report.md").read_text()
    assert "**all**: L2(0.001) penalty (subgradient) + dropout p=0.2" in report
    assert "rotation" not in report  # no augmentation claimed on data without images
    assert cli.main(["compare", "--runs", "nonsense", "--out", str(tmp_path)]) == 2
    assert "unknown runs ['nonsense']" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_compare_on_cuda_without_cupy_says_what_to_install(tmp_path, capsys):
    assert cli.main(["compare", "--device", "cuda", "--out", str(tmp_path)]) == 2
    assert "pip install 'tinyreg[cuda]'" in capsys.readouterr().err


def test_bench_kernels_small(tmp_path, capsys):
    rows = list(bench.run_kernels(4096, ["cpu"], repeats=2))
    assert {r["kernel"] for r in rows} == {c.name for c in bench.CASES}
    assert all(r["ms"] > 0 and r["gbps"] > 0 and r["vs_reference"] > 0 for r in rows)
    assert "| penalty value |" in bench.format_rows(rows)
    warp = bench.run_warp(["cpu"], count=16, repeats=1)
    assert [r["image"] for r in warp] == ["28x28", "8x8"]


def test_bench_train_measures_tinyreg(tmp_path):
    from tinyreg.app import bench_train

    result = bench_train.measure("tinyreg", "S", steps=3)
    assert result["ms"] > 0 and result["peak_mib"] >= 0
    assert json.dumps(result)


def test_compare_on_mnist_trains_the_cnn(tmp_path, capsys):
    argv = ["compare", "--quick", "--dataset", "mnist", "--runs", "batch_norm,dropout",
            "--jobs", "1", "--out", str(tmp_path)]  # fmt: skip
    assert cli.main(argv) == 0
    report = (tmp_path / "report.md").read_text()
    assert "Model: CNN, conv 5x5" in report and "BatchNorm2d after each conv" in report
    assert "dropout p=0.3 before the output layer" in report
    results = json.loads((tmp_path / "results.json").read_text())
    assert {r["run"] for r in results["results"]} == {"none", "batch_norm", "dropout"}
    assert all(0 <= r["test_accuracy"] <= 1 for r in results["results"])


def test_bench_startup_measures_a_fresh_import():
    from tinyreg.app import bench_startup

    seconds = bench_startup.import_seconds(repeats=1)
    assert 0 < seconds < 60


def test_bench_train_alternates_and_profiles_tinyreg():
    from tinyreg.app import bench_train

    spec = ("mlp", (8, 4, 4, 2), 4)
    rows = bench_train.alternating([spec], steps=2, rounds=2, with_torch=False)
    assert rows[0]["torch"] is None
    side = rows[0]["tinyreg"]
    assert side["min_ms"] <= side["ms"] <= side["max_ms"]
    assert "| 4 |" in bench_train.format_scaling("Batch", "batch", rows)
    ops, overhead = bench_train.profile_rows("S", steps=2)
    names = [op for op, _, _ in ops]
    assert {"dense", "batch_norm_relu_dropout", "penalty", "optimizer step"} <= set(names)
    assert all(f >= 0 and b >= 0 for _, f, b in ops) and overhead > 0
    assert "| dense |" in bench_train.format_profile("S", ops, overhead)


@pytest.mark.parametrize("bad", ["X", "S,Q", ","])
def test_bench_train_refuses_an_unknown_workload(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["bench", "train", "--workloads", bad])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--workloads" in err and "S, L, C, M" in err
    assert "Traceback" not in err


def test_bench_train_workloads_flag_reads_names_in_any_case():
    from tinyreg.app.bench import workload_list

    assert workload_list("c, m,C") == ["C", "M"]


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs PyTorch")
def test_bench_train_profiles_pytorch_too():
    from tinyreg.app import bench_train

    rows = bench_train.torch_profile_rows("S", steps=2, top=4, threads=1)
    assert len(rows) == 4 and all(ms >= 0 for _, ms in rows)
    assert any(name in ("aten::addmm", "aten::mm") for name, _ in rows)
    assert "| aten::" in bench_train.format_torch_profile("S", rows)
