"""The backend tables: explicit, complete, and the one place that picks a version for an array."""

import numpy as np
import pytest

from tinyreg import kernels


def test_backend_selection():
    from tinyreg.device import kernels_for

    assert kernels_for(np.zeros(3)) is kernels.backend("cpu")
    with pytest.raises(ValueError, match="version"):
        kernels.backend("tpu")
    for version in kernels.VERSIONS:
        assert tuple(vars(kernels.backend(version))) == kernels.OPS
        for op, fn in vars(kernels.backend(version)).items():
            assert fn.__name__ == f"{op}_{version}"  # the explicit table names what it says
