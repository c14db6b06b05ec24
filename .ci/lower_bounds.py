"""Print a pip constraints file that pins every dependency of tinyreg and of the given extras to its
declared lower bound (`numpy>=1.26` -> `numpy==1.26`), so CI can test the oldest releases the
project claims to support. An extra inside a requirement (`dask[distributed]>=2024.1`) is dropped
from the name (constraints files do not take extras) and the package it pulls in is pinned to the
same version where the two are released together (dask and distributed).

Usage: python .ci/lower_bounds.py pyproject.toml test playground > constraints.txt
"""

import re
import sys

import tomllib

REQUIREMENT = re.compile(r"([A-Za-z0-9_.\-]+)(\[[^\]]+\])?\s*>=\s*([0-9][0-9A-Za-z.]*)")
RELEASED_TOGETHER = {"dask[distributed]": "distributed"}


def lower_bounds(pyproject: str, extras: list[str]) -> list[str]:
    """The `name==lower` lines for the core dependencies and `extras`; every one must have `>=`."""
    with open(pyproject, "rb") as f:
        project = tomllib.load(f)["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = REQUIREMENT.fullmatch(requirement)
        if match is None:
            raise SystemExit(f"lower_bounds: {requirement!r} has no single '>=' lower bound")
        name, extra, version = match.groups()
        pins[name.lower()] = version
        together = RELEASED_TOGETHER.get(f"{name}{extra or ''}")
        if together:
            pins[together] = version
    return [f"{name}=={version}" for name, version in pins.items()]


if __name__ == "__main__":
    print("\n".join(lower_bounds(sys.argv[1], sys.argv[2:])))
