"""What `import tinyreg` sets for the process (tinyreg/_process.py): only what the user left
unset, each listed in tinyreg.PROCESS_DEFAULTS; glibc malloc's thresholds only without MALLOC_*
variables."""

import json
import os
import platform
import subprocess
import sys

import pytest

PROGRAM = (
    "import json, os, tinyreg; print(json.dumps([tinyreg.PROCESS_DEFAULTS, "
    "os.environ.get('OMP_WAIT_POLICY'), os.environ.get('OPENBLAS_THREAD_TIMEOUT')]))"
)
NAMES = ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")
GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def run(**variables):
    env = {k: v for k, v in os.environ.items() if k not in NAMES and not k.startswith("MALLOC_")}
    env.update(variables)
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_unset_variables_are_set_and_listed():
    defaults, policy, timeout = run()
    assert (policy, timeout) == ("PASSIVE", "20")
    assert defaults["OMP_WAIT_POLICY"] == "PASSIVE" and defaults["OPENBLAS_THREAD_TIMEOUT"] == "20"
    if GLIBC:
        assert defaults["malloc mmap threshold"] == 32 << 20
        assert defaults["malloc trim threshold"] == 1 << 30


def test_what_the_user_set_is_kept_and_not_listed():
    defaults, policy, timeout = run(OMP_WAIT_POLICY="ACTIVE", OPENBLAS_THREAD_TIMEOUT="4")
    assert (policy, timeout) == ("ACTIVE", "4")
    assert "OMP_WAIT_POLICY" not in defaults and "OPENBLAS_THREAD_TIMEOUT" not in defaults


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc only")
def test_a_malloc_variable_leaves_malloc_alone():
    defaults, _, _ = run(MALLOC_ARENA_MAX="2")
    assert not any(key.startswith("malloc") for key in defaults)
