"""The backend tables: explicit, complete, lazy, and the one place that picks a version for an
array."""

import subprocess
import sys

import numpy as np
import pytest

from tinyreg import kernels


def test_backend_selection():
    from tinyreg.device import kernels_for

    assert kernels_for(np.zeros(1 << 20)) is kernels.backend("cpu")  # small: test_kernel_choice
    with pytest.raises(ValueError, match="version"):
        kernels.backend("tpu")
    for version in kernels.VERSIONS:
        backend = kernels.backend(version)
        for op in kernels.OPS:
            assert getattr(backend, op).__name__ == f"{op}_{version}"  # table names what it says
        with pytest.raises(AttributeError, match="no kernel 'sgd'"):
            backend.sgd  # noqa: B018


def test_families_load_on_first_use():
    program = (
        "import sys, tinyreg; assert 'numba' not in sys.modules, 'import tinyreg loaded Numba'; "
        "tinyreg.kernels.backend('cpu').sgd_step; assert 'numba' in sys.modules; "
        "assert tinyreg.kernels.optim.sgd_step_cpu is tinyreg.kernels.backend('cpu').sgd_step"
    )
    subprocess.run([sys.executable, "-c", program], check=True)
    with pytest.raises(AttributeError, match="no attribute 'tensor'"):
        kernels.tensor  # noqa: B018
