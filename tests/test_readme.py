"""The README's "Coming from PyTorch" example runs as printed, after tinyreg's imports and after
PyTorch's (the same text), and learns."""

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def coming_from_pytorch() -> tuple[str, str]:
    """(the import block, the complete example) of the README's "Coming from PyTorch"."""
    section = README.split("## Coming from PyTorch", 1)[1].split("\n## ", 1)[0]
    imports, example = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    return imports, example


def run(imports: str, example: str, capsys) -> list[float]:
    exec(compile(imports + example, "README.md", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    return [float(x) for x in re.findall(r"test accuracy ([0-9.]+)", printed)]


@pytest.mark.slow
def test_the_example_runs_on_tinyreg_as_printed_and_learns(capsys):
    imports, example = coming_from_pytorch()
    assert imports.splitlines()[0] == "import tinyreg as torch"
    accuracies = run(imports, example, capsys)
    assert len(accuracies) == 2 and accuracies[-1] > 0.6  # 512 images, 2 epochs (chance: 0.1)


@pytest.mark.slow
def test_the_same_text_runs_on_pytorch(capsys):
    pytest.importorskip("torch")
    imports, example = coming_from_pytorch()
    torch_imports = imports.replace("import tinyreg as torch", "import torch").replace(
        "tinyreg", "torch"
    )
    accuracies = run(torch_imports, example, capsys)
    assert len(accuracies) == 2 and accuracies[-1] > 0.6
