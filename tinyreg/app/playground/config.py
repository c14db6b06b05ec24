"""The playground's configuration: every knob, its limits, and the query string that holds it.

The URL is the configuration. Its keys are the knob names of `tinyreg compare` and `tinyreg
sweep` (dataset, noise, train_size, hidden, lr, seed, l1, l2, l1_prox, dropout, batch_norm,
early_stopping, augmentation, label_smoothing, max_norm, group_lasso, steps, run) and those the
playground adds (activation, optimizer, momentum, weight_decay, batch_size, mixup). A key with the
prefix `b.` sets the second model of the A/B view, which trains on the same data from the same
initial weights; the shared knobs (`SHARED`: the data, the seed, steps, run) cannot differ.

Every value the page sends goes through `parse_value`, so a bad one is a `ConfigError` naming the
field and the value ("dropout: expected a number in [0, 1), got '2'") before anything changes.
The limits (`LIMITS`) keep one client from exhausting the machine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

LIMITS = {
    "width": 64,  # units per hidden layer
    "depth": 6,  # hidden layers
    "train_size": 2000,  # training points of a generated data set
    "steps": 10_000_000,
    "csv_bytes": 64 * 1024,  # an uploaded CSV file
    "csv_rows": 2000,
    "classes": 8,
    "message_bytes": 96 * 1024,  # one WebSocket message from the page (a CSV fits)
    "messages_per_second": 60,
    "updates_per_second": 30,  # snapshots sent to one page
    "sessions": 16,
}
DATASETS = ("moons", "circles", "spirals", "xor", "custom")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu")
OPTIMIZERS = ("sgd", "adam", "adamw")
PREFIX_B = "b."


class ConfigError(ValueError):
    """A bad knob value: `field` (as the page names it, "b.dropout" for the second model) and
    the `value` received, in a one-line message."""

    def __init__(self, field: str, value: Any, expected: str):
        self.field, self.value = field, value
        super().__init__(f"{field}: expected {expected}, got {value!r}")


@dataclass(frozen=True)
class Knob:
    """One setting: its kind ("float", "int", "bool", "choice", "widths"), default, range
    [low, high] (high excluded when `high_open`), choices, whether changing it rebuilds the
    model ("model"), the data and both models ("data"), or applies at the next step ("live"),
    the section of the page it belongs to and a line of help."""

    name: str
    kind: str
    default: Any
    scope: str
    section: str
    help: str
    low: float | None = None
    high: float | None = None
    high_open: bool = False
    choices: tuple[str, ...] = ()

    def expected(self) -> str:
        """What a value must be, in words (for the error message)."""
        if self.kind == "choice":
            return f"one of {', '.join(self.choices)}"
        if self.kind == "bool":
            return "0 or 1"
        if self.kind == "widths":
            return (f"comma-separated widths in [1, {LIMITS['width']}], at most "
                    f"{LIMITS['depth']} layers (e.g. 8,8; empty for none)")  # fmt: skip
        what = "an integer" if self.kind == "int" else "a number"
        close = ")" if self.high_open else "]"
        return f"{what} in [{self.low:g}, {self.high:g}{close}"


def _k(name: str, kind: str, default: Any, scope: str, section: str, help: str,
       **limits: Any) -> Knob:  # fmt: skip
    return Knob(name, kind, default, scope, section, help, **limits)


KNOBS: dict[str, Knob] = {k.name: k for k in [
    _k("dataset", "choice", "moons", "data", "data", "the points to classify",
       choices=DATASETS),
    _k("noise", "float", 0.2, "data", "data", "noise of the generated points", low=0, high=1),
    _k("train_size", "int", 200, "data", "data", "training points (200 validation and 200 test "
       "points besides)", low=10, high=LIMITS["train_size"]),
    _k("seed", "int", 0, "data", "data", "seeds the data, the initial weights, the batches, "
       "dropout and noise", low=0, high=2**31 - 1),
    _k("hidden", "widths", (8, 8), "model", "model", "hidden layers and their widths"),
    _k("activation", "choice", "relu", "model", "model", "activation of the hidden layers",
       choices=ACTIVATIONS),
    _k("batch_norm", "bool", False, "model", "model", "BatchNorm1d after each hidden Dense"),
    _k("optimizer", "choice", "sgd", "model", "model", "SGD with momentum, Adam or AdamW "
       "(decoupled weight decay)", choices=OPTIMIZERS),
    _k("lr", "float", 0.03, "live", "model", "learning rate", low=1e-6, high=10),
    _k("momentum", "float", 0.9, "live", "model", "SGD's momentum", low=0, high=1,
       high_open=True),
    _k("batch_size", "int", 32, "live", "model", "examples per step", low=1, high=512),
    _k("l1", "float", 0.0, "live", "reg", "L1 penalty lam * sum|w| (subgradient); with l2: "
       "elastic net", low=0, high=1),
    _k("l2", "float", 0.0, "live", "reg", "L2 penalty lam / 2 * sum w^2", low=0, high=1),
    _k("l1_prox", "float", 0.0, "live", "reg", "L1 as a proximal step: exact zeros",
       low=0, high=1),
    _k("weight_decay", "float", 0.0, "live", "reg", "weight decay: coupled (SGD, Adam), "
       "decoupled (AdamW)", low=0, high=1),
    _k("dropout", "float", 0.0, "live", "reg", "dropout rate after each hidden layer", low=0,
       high=1, high_open=True),
    _k("augmentation", "float", 0.0, "live", "reg", "input noise: the standard deviation of "
       "Gaussian noise added to each training point", low=0, high=1),
    _k("label_smoothing", "float", 0.0, "live", "reg", "label smoothing of the targets", low=0,
       high=1, high_open=True),
    _k("mixup", "float", 0.0, "live", "reg", "MixUp's alpha (0: off)", low=0, high=10),
    _k("max_norm", "float", 0.0, "live", "reg", "max-norm: the largest norm of a unit's "
       "incoming weights (0: off)", low=0, high=100),
    _k("group_lasso", "float", 0.0, "live", "reg", "group lasso on each unit's incoming weights "
       "(a proximal step)", low=0, high=1),
    _k("early_stopping", "int", 0, "live", "reg", "early stopping's patience in epochs "
       "(0: off); the best weights are restored", low=0, high=1000),
    _k("steps", "int", 0, "live", "run", "stop after this many training steps (0: no limit)",
       low=0, high=LIMITS["steps"]),
    _k("run", "bool", False, "live", "run", "start training when the page loads"),
]}  # fmt: skip
SHARED = ("dataset", "noise", "train_size", "seed", "steps", "run")


def _number(knob: Knob, field: str, raw: Any) -> float | int:
    """A float or int knob's value from text or a JSON number, checked against its range."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ConfigError(field, raw, knob.expected())
    try:
        value = float(raw) if knob.kind == "float" else int(raw)
    except (ValueError, OverflowError):
        raise ConfigError(field, raw, knob.expected()) from None
    if knob.kind == "int" and isinstance(raw, float):
        raise ConfigError(field, raw, knob.expected())
    if (not math.isfinite(value) or value < knob.low or value > knob.high
            or (knob.high_open and value == knob.high)):  # fmt: skip
        raise ConfigError(field, raw, knob.expected())
    return value


def _widths(knob: Knob, field: str, raw: Any) -> tuple[int, ...]:
    """The hidden widths from "8,8" (or a JSON list of integers)."""
    if isinstance(raw, list | tuple):
        parts = list(raw)
    elif isinstance(raw, str):
        parts = [p.strip() for p in raw.split(",")] if raw.strip() not in ("", "0") else []
    else:
        raise ConfigError(field, raw, knob.expected())
    if len(parts) > LIMITS["depth"]:
        raise ConfigError(field, raw, knob.expected())
    widths = []
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, str | int):
            raise ConfigError(field, raw, knob.expected())
        try:
            width = int(part)
        except ValueError:
            raise ConfigError(field, raw, knob.expected()) from None
        if not 1 <= width <= LIMITS["width"]:
            raise ConfigError(field, raw, knob.expected())
        widths.append(width)
    return tuple(widths)


def parse_value(field: str, raw: Any) -> Any:
    """The value of knob `field` ("dropout" or "b.dropout") from query-string text or a JSON
    value, in canonical form (float, int, bool, str or a tuple of widths); a ConfigError naming
    the field and the value otherwise, an unknown field included."""
    name = field.removeprefix(PREFIX_B)
    knob = KNOBS.get(name)
    if knob is None:
        raise ConfigError(field, raw, f"a known setting ({', '.join(KNOBS)})")
    if field.startswith(PREFIX_B) and name in SHARED:
        raise ConfigError(field, raw, f"no value: both models share {name} (set {name})")
    if knob.kind in ("float", "int"):
        return _number(knob, field, raw)
    if knob.kind == "bool":
        if raw in (True, False, 0, 1, "0", "1", "true", "false"):
            return raw in (True, 1, "1", "true")
        raise ConfigError(field, raw, knob.expected())
    if knob.kind == "widths":
        return _widths(knob, field, raw)
    if not isinstance(raw, str) or raw not in knob.choices:
        raise ConfigError(field, raw, knob.expected())
    return raw


def defaults() -> dict[str, Any]:
    """Every knob at its default."""
    return {name: knob.default for name, knob in KNOBS.items()}


def check_config(config: Mapping[str, Any], prefix: str = "") -> None:
    """The checks that involve two knobs: batch norm needs batches of 2 or more."""
    if config["batch_norm"] and config["batch_size"] < 2:
        raise ConfigError(f"{prefix}batch_size", config["batch_size"],
                          "2 or more with batch_norm=1 (BatchNorm needs more than one value "
                          "per channel)")  # fmt: skip


def parse_query(query: str | Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the first model's configuration, the second's or None) from a query string ("dropout=
    0.3&b.dropout=0") or a mapping of the same keys. The second model exists when a `b.` key is
    given (`b.` alone, as in "b.=1", asks for a copy of the first); it starts from the first's
    values. A ConfigError names the first bad field."""
    items = parse_qsl(query.lstrip("?"), keep_blank_values=True) if isinstance(query, str) else (
        list(query.items()))  # fmt: skip
    a, b_values = defaults(), None
    for field, raw in items:
        if field == PREFIX_B:
            b_values = b_values if b_values is not None else {}
        elif field.startswith(PREFIX_B):
            b_values = b_values if b_values is not None else {}
            b_values[field.removeprefix(PREFIX_B)] = parse_value(field, raw)
        else:
            a[field] = parse_value(field, raw)
    check_config(a)
    if b_values is None:
        return a, None
    b = {**a, **b_values}
    check_config(b, PREFIX_B)
    return a, b


def _text(value: Any) -> str:
    """A value as the query string writes it (shortest round-trip form)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(str(w) for w in value)
    return repr(value) if isinstance(value, float) else str(value)


def to_query(a: Mapping[str, Any], b: Mapping[str, Any] | None = None) -> str:
    """The query string of a configuration: the first model's values that differ from the
    defaults, then `b.` keys for those of the second that differ from the first's ("b.=1" when
    none do). `parse_query(to_query(a, b)) == (a, b)`."""
    base = defaults()
    pairs = [(k, _text(v)) for k, v in a.items() if v != base[k]]
    if b is not None:
        differ = [(PREFIX_B + k, _text(v)) for k, v in b.items() if v != a[k]]
        pairs += differ or [(PREFIX_B, "1")]
    return urlencode(pairs, safe=",")
