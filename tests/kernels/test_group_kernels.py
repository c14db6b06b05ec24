"""Group kernels (norms, rescaling, scaled add): every version against the reference, by columns
and by rows, float32 and float64, and refusal of non-contiguous arrays."""

import numpy as np
import pytest
from kernel_versions import COMPILED
from layouts import in_layout

from tinyreg import kernels


@pytest.mark.parametrize("version", COMPILED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("columns", [True, False])
@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (3, 130), (0, 4)])
def test_group_kernels_match_the_reference(version, dtype, columns, shape):
    rng = np.random.default_rng(0)
    w = rng.standard_normal(shape).astype(dtype)
    if w.size:
        (w[:, 0] if columns else w[0])[...] = 0  # an all-zero group
    groups = shape[1] if columns else shape[0]
    factors = rng.uniform(0, 2, groups)
    k, ref = kernels.backend(version), kernels.backend("reference")
    norms, expected = np.empty(groups), np.empty(groups)
    k.group_norms(w, columns, norms)
    ref.group_norms(w, columns, expected)
    np.testing.assert_allclose(norms, expected, rtol=1e-12)
    g, g_ref = np.ones_like(w), np.ones_like(w)
    k.group_add_scaled(w, g, columns, factors)
    ref.group_add_scaled(w, g_ref, columns, factors)
    np.testing.assert_allclose(g, g_ref, rtol=1e-5, atol=1e-6)
    w_ref = w.copy()
    k.group_scale(w, columns, factors)
    ref.group_scale(w_ref, columns, factors)
    np.testing.assert_allclose(w, w_ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("version", COMPILED)
def test_group_kernels_refuse_non_contiguous_weights(version):
    w = in_layout(np.ones((4, 3)), "F")
    with pytest.raises(ValueError, match="C-contiguous"):
        kernels.backend(version).group_scale(w, True, np.ones(3))
    np.testing.assert_array_equal(w, 1.0)
