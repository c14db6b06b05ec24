"""Warp, flip and crop kernels: every version against the CPU build and the reference; every
memory layout."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_versions import COMPILED
from layouts import DTYPES as LAYOUT_DTYPES
from layouts import in_layout

from tinyreg import kernels
from tinyreg.vision import transforms as A


def images(shape=(6, 2, 9, 9), seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


@pytest.mark.parametrize("version", ["reference", "cuda"])
def test_kernel_versions_match_cpu(version):
    batch = images((3, 2, 7, 6))
    maps = A.RandomAffine(50, scale=(0.7, 1.4), seed=0).linear_maps(3)
    matrices = np.zeros((3, 2, 3))
    matrices[:, :, :2] = maps
    matrices[:, :, 2] = [[0.3, -0.6], [1.2, 0.1], [-2.0, 0.0]]
    results = {}
    for name in ("cpu", version):
        k = kernels.backend(name)
        warped, flipped, cropped = (np.empty_like(batch), np.empty_like(batch),
                                    np.empty((3, 2, 5, 4), np.float32))  # fmt: skip
        k.affine_warp(batch, matrices, 0.5, warped)
        k.flip(batch, np.array([True, False, True]), np.array([False, True, True]), flipped)
        k.crop(batch, np.array([0, 2, 4]), np.array([3, 1, 0]), 1, -1.0, cropped)
        results[name] = (warped, flipped, cropped)
    for cpu, other in zip(results["cpu"], results[version], strict=True):
        np.testing.assert_allclose(other, cpu, atol=1e-5)


LAYOUT_TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


@given(layout=st.sampled_from(["C", "F", "transposed", "strided"]),
       dtype=st.sampled_from(LAYOUT_DTYPES), version=st.sampled_from(COMPILED),
       n=st.sampled_from([0, 1, 3]))  # fmt: skip
def test_raw_image_kernels_match_reference_or_refuse(layout, dtype, version, n):
    values = np.random.default_rng(n).random((n, 2, 6, 5)).astype(dtype)
    images = in_layout(values, layout)
    k, ref = kernels.backend(version), kernels.backend("reference")
    angles = np.deg2rad(np.linspace(-30, 30, n))
    matrices = np.zeros((n, 2, 3))
    matrices[:, 0, 0], matrices[:, 0, 1] = np.cos(angles), -np.sin(angles)
    matrices[:, 1, 0], matrices[:, 1, 1] = np.sin(angles), np.cos(angles)
    flags = np.arange(n) % 2 == 0
    tops, lefts = np.arange(n) % 3, np.arange(n) % 2
    out_ref = [np.zeros_like(values), np.zeros_like(values), np.zeros((n, 2, 4, 4), dtype)]
    ref.affine_warp(images, matrices, 0.5, out_ref[0])  # the reference reads any layout
    ref.flip(images, flags, ~flags, out_ref[1])
    ref.crop(images, tops, lefts, 1, 0.25, out_ref[2])
    out = [np.zeros_like(values), np.zeros_like(values), np.zeros((n, 2, 4, 4), dtype)]
    calls = [
        lambda: k.affine_warp(images, matrices, 0.5, out[0]),
        lambda: k.flip(images, flags, ~flags, out[1]),
        lambda: k.crop(images, tops, lefts, 1, 0.25, out[2]),
    ]
    for call, got, expected in zip(calls, out, out_ref, strict=True):
        if images.flags.c_contiguous:
            call()
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        else:
            with pytest.raises(ValueError, match="C-contiguous"):
                call()
            assert not got.any()  # refused before writing
