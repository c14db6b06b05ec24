"""Saving and loading model state: .npz files, written atomically, read without pickle."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from . import validate as check
from .device import to_device
from .nn import Module


def check_writable(owner: str, path: str | os.PathLike) -> None:
    """Raise a clear error now if a file cannot be written at `path` later: its folder must exist
    (or be creatable) and accept a new file. Creates the folder; leaves no file behind."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{owner}: path {os.fspath(path)!r} is a folder, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise PermissionError(f"{owner}: cannot write {os.fspath(path)!r} "
                              f"({error.strerror or error})") from None  # fmt: skip


def atomic_savez(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz next to `path`, then rename it over `path`: a crash leaves the old file."""
    path = Path(path)
    check_writable("save", path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save(model: Module, path: str | os.PathLike) -> None:
    """Save `model.state_dict()` (parameters and buffers) to an .npz file, atomically (written
    to a temporary file in the same folder, fsynced, then renamed over `path`)."""
    check.instance("save", "model", model, Module, "a tinyreg Module")
    check.instance("save", "path", path, str | os.PathLike, "a file path")
    atomic_savez(path, {k: to_device(v, "cpu") for k, v in model.state_dict().items()})


def load(model: Module, path: str | os.PathLike, strict: bool = True) -> Module:
    """Load a state saved by `save` into `model` (never unpickles; a bad file changes nothing)."""
    check.instance("load", "model", model, Module, "a tinyreg Module")
    check.instance("load", "path", path, str | os.PathLike, "a file path")
    try:
        with np.load(path, allow_pickle=False) as archive:
            state = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ValueError(f"load: {os.fspath(path)!r} is not a readable tinyreg .npz file "
                         f"({error})") from error  # fmt: skip
    model.load_state_dict(state, strict=strict)
    return model
