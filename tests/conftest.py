"""Test setup: CUDA kernels run under Numba's CUDA simulator unless a real GPU is asked for.

The simulator must be chosen before numba is first imported, hence here. Set
TINYREG_TEST_REAL_CUDA=1 (as .ci/gpu does) to run the same tests on a real device.
"""

import os

if os.environ.get("TINYREG_TEST_REAL_CUDA") != "1":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from hypothesis import HealthCheck, settings  # noqa: E402

# hypothesis 6.80 (the declared lower bound) overruns its buffer now and then while drawing
# mutually broadcastable shapes and calls that a failed health check; newer releases do not.
settings.register_profile("tinyreg", max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.data_too_large])  # fmt: skip
settings.load_profile("tinyreg")
