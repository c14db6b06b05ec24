"""Saving and loading (torch.save / torch.load): .npz files, written atomically, read without
pickle.

`save(obj, f)` takes a Module (saved as its state_dict), a state_dict, or any nesting of dicts,
lists and tuples whose leaves are Tensors, NumPy arrays, NumPy scalars, Python numbers, strings and
None (an optimizer's `state_dict()` too: its keys may be ints). Each array is one .npy entry of
the .npz (named "0", "1", ...), and one more entry, `tinyreg.structure`, holds the nesting as JSON
(keys, types, which entry each leaf is). `load(f)` rebuilds the object: Tensors as Tensors (with
their requires_grad; Parameters as Parameters, with their tinyreg markings), arrays as arrays,
tuples as tuples.

Neither ever pickles: a file holding pickled data is refused (`allow_pickle=False`), so loading
a file from elsewhere cannot run code. A flat .npz of arrays (what tinyreg's `save` wrote before
this format, or `np.savez`) loads as a dict of arrays.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import validate as check
from ._tensor import Tensor
from .device import check_device, to_device
from .nn import Module, Parameter

STRUCTURE = "tinyreg.structure"
FORMAT = "tinyreg.save"
VERSION = 1

PathLike = str | os.PathLike


def check_writable(owner: str, path: PathLike) -> None:
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


def atomic_write(path: PathLike, write: Callable[[IO], None], text: bool = False) -> None:
    """Write a file all or nothing: `write(f)` fills a temporary file beside `path`, which is
    fsynced and renamed over `path`, so readers see the old file or the new one, never half."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    mode, encoding = ("w", "utf-8") if text else ("wb", None)
    try:
        with os.fdopen(handle, mode, encoding=encoding) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_savez(path: PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz next to `path`, then rename it over `path`: a crash leaves the old file. A
    path that cannot be written is an error naming it, before anything is written."""
    check_writable("save", path)
    atomic_write(path, lambda f: np.savez(f, **arrays))


# --------------------------------------------------------------------------- encoding
_SCALARS = {bool: "bool", int: "int", float: "float", str: "str"}


class _Encoder:
    """Turns an object into a JSON-able tree, collecting its arrays as numbered entries."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, value: Any, where: str) -> str:
        array = to_device(value, "cpu")
        if array.dtype.kind not in "biufcSU":
            raise TypeError(f"save: {where} has dtype {array.dtype}; only arrays of numbers or "
                            "strings are saved (an object array would need pickle)")  # fmt: skip
        name = str(len(self.arrays))
        self.arrays[name] = array
        return name

    def node(self, value: Any, where: str) -> dict[str, Any]:
        if isinstance(value, Module):
            return self.node(value.state_dict(), where)
        if isinstance(value, Tensor):
            node = {"type": "tensor", "entry": self.array(value.data, where),
                    "requires_grad": value.requires_grad, "device": str(value.device)}  # fmt: skip
            if isinstance(value, Parameter):
                node.update(type="parameter", regularize=value.regularize,
                            unit_axis=value.unit_axis)  # fmt: skip
            return node
        if isinstance(value, np.ndarray | np.generic):
            kind = "ndarray" if isinstance(value, np.ndarray) else "numpy_scalar"
            return {"type": kind, "entry": self.array(np.asarray(value), where)}
        if value is None:
            return {"type": "none"}
        if type(value) in _SCALARS:  # exactly these (a bool is not saved as an int)
            return {"type": _SCALARS[type(value)], "value": value}
        if isinstance(value, dict):
            return {"type": "dict", "items": [
                [self.node(k, f"a key of {where}"), self.node(v, f"{where}[{k!r}]")]
                for k, v in value.items()
            ]}  # fmt: skip
        if isinstance(value, list | tuple):
            kind = "list" if isinstance(value, list) else "tuple"
            return {"type": kind, "items": [self.node(v, f"{where}[{i}]")
                                            for i, v in enumerate(value)]}  # fmt: skip
        raise TypeError(f"save: {where} is of type {type(value).__name__}; tinyreg.save takes a "
                        "Module, Tensors, arrays, numbers, strings, None, and dicts, lists and "
                        "tuples of them (save an optimizer as its state_dict())")  # fmt: skip


def _decode(node: Any, arrays: Any, device: str | None, where: str) -> Any:
    """The object a node of the structure stands for (arrays read from the archive)."""
    kind = node.get("type") if isinstance(node, dict) else None
    if kind in ("tensor", "parameter"):
        data = to_device(arrays[node["entry"]], device or node["device"])
        if kind == "parameter":
            return Parameter(data, node["requires_grad"], regularize=node["regularize"],
                             unit_axis=node["unit_axis"])  # fmt: skip
        return Tensor(data, node["requires_grad"])
    if kind == "ndarray":
        return arrays[node["entry"]]
    if kind == "numpy_scalar":
        return arrays[node["entry"]][()]
    if kind == "none":
        return None
    if kind in _SCALARS.values():
        return node["value"]
    if kind == "dict":
        pairs = [(_decode(k, arrays, device, where), _decode(v, arrays, device, where))
                 for k, v in node["items"]]  # fmt: skip
        return dict(pairs)
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays, device, where) for v in node["items"]]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"load: {where} has a structure entry tinyreg cannot read (node {node!r})")


def save(obj: Any, f: PathLike | IO[bytes]) -> None:
    """Save `obj` to `f` (a path or a binary file object) as an .npz file, atomically for a path
    (written to a temporary file in the same folder, fsynced, then renamed over `f`).

    `obj`: a Module (its `state_dict()`, parameters and buffers), a state_dict, or nested dicts,
    lists and tuples of Tensors, NumPy arrays and scalars, Python numbers, strings and None. Every
    value is checked before anything is written.

    Coming from PyTorch: torch.save pickles any object; tinyreg never pickles, so it saves only
    the kinds above, and a Module is saved as its state_dict (load it with
    `model.load_state_dict(tinyreg.load(f))`). Tensors are stored on the CPU (their device is
    recorded for `load`).
    """
    encoder = _Encoder()
    root = encoder.node(obj, "obj")
    structure = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    arrays = {**encoder.arrays, STRUCTURE: np.frombuffer(structure.encode(), np.uint8)}
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    check.instance("save", "f", f, str | os.PathLike, "a file path or a binary file object")
    atomic_savez(f, arrays)


def _read(owner: str, f: PathLike | IO[bytes], map_location: Any) -> Any:
    """The object saved in `f`; a missing file is a FileNotFoundError, any other unreadable or
    foreign file a ValueError naming it."""
    name = repr(os.fspath(f)) if isinstance(f, str | os.PathLike) else "the file object"
    if not hasattr(f, "read"):
        check.instance(owner, "f", f, str | os.PathLike, "a file path or a binary file object")
        if not os.path.exists(f):
            raise FileNotFoundError(f"{owner}: no file {name}")
    device = None if map_location is None else check_device(str(map_location))
    try:
        archive = np.load(f, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        # NumPy takes any file that is neither a zip nor a .npy for a pickle, and refuses it
        pickle_guess = "contains pickled" in str(error)
        reason = "neither a zip archive (.npz) nor a .npy" if pickle_guess else error
        raise ValueError(f"{owner}: {name} is not a readable tinyreg .npz file ({reason}); "
                         "tinyreg.load reads what tinyreg.save writes, and never unpickles"
                         ) from error  # fmt: skip
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{owner}: {name} is a .npy file (one array), not a tinyreg .npz file; "
                         "read it with numpy.load")  # fmt: skip
    with archive:
        members = archive.zip.namelist()
        if not all(m.endswith(".npy") for m in members):
            hint = (" (a PyTorch torch.save file: tinyreg never unpickles; in PyTorch, save "
                    "a state_dict of NumPy arrays with numpy.savez)"
                    if any(m.endswith("data.pkl") for m in members) else "")  # fmt: skip
            raise ValueError(f"{owner}: {name} is a zip archive but not a tinyreg .npz file: it "
                             f"holds {members[:3]}{hint}")  # fmt: skip
        try:
            if STRUCTURE not in archive.files:  # a flat .npz of arrays
                return {key: archive[key] for key in archive.files}
            structure = json.loads(archive[STRUCTURE].tobytes().decode())
            return _decode(structure["root"], archive, device, name)
        except (ValueError, KeyError, TypeError, zipfile.BadZipFile, OSError, EOFError) as error:
            raise ValueError(f"{owner}: {name} is not a readable tinyreg .npz file "
                             f"({type(error).__name__}: {error})") from error  # fmt: skip


def load(f: PathLike | IO[bytes] | Module, map_location: Any = None, weights_only: bool = True,
         *, strict: bool = True) -> Any:  # fmt: skip
    """The object `save` wrote to `f` (a path or a binary file object): Tensors as Tensors (on
    the device they were saved from, or on `map_location`: "cpu", "cuda" or a device), arrays as
    arrays, dicts, lists and tuples as such. A flat .npz of arrays (np.savez) loads as a dict of
    arrays. Never unpickles: a missing file is a FileNotFoundError; a file with pickled data, a
    .npy, a PyTorch .pt or any other file a ValueError naming it.

    Coming from PyTorch: `weights_only` is accepted (True or False) and changes nothing: tinyreg
    always loads data only. tinyreg's older form `load(model, path, strict=True)` (a Module first,
    which no PyTorch call has) still works: it loads the file's state_dict into `model` with
    `model.load_state_dict(state, strict)` (all or nothing) and returns the model.
    """
    check.boolean("load", "weights_only", weights_only)
    strict = check.boolean("load", "strict", strict)
    if isinstance(f, Module):
        check.instance("load", "path", map_location, str | os.PathLike, "a file path")
        state = _read("load", map_location, None)
        if not isinstance(state, dict):
            raise ValueError(f"load: {os.fspath(map_location)!r} holds a "
                             f"{type(state).__name__}, not a state_dict")  # fmt: skip
        f.load_state_dict(state, strict=strict)
        return f
    return _read("load", f, map_location)
