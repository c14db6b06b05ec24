"""Fusion of consecutive layers into one op, and the switch that turns it off.

While fusion is on (the default), a `Sequential` that holds, one right after the other,
    BatchNorm1d or BatchNorm2d -> ReLU -> Dropout     or     BatchNorm1d or BatchNorm2d -> ReLU
runs them as one op, `nn.functional.batch_norm_relu`: the batch-norm kernel, then ReLU and
dropout in one pass over its output, and one pass back (fewer passes over memory, fewer arrays
and ops); and
    Conv2d -> ReLU
as one op, `nn.functional.conv2d_relu`: ReLU applied to each tile of the convolution's output
while it is in the cache, its mask applied as the backward copies each tile's gradient. Only
the exact classes fuse (a subclass, or a layer whose `forward` was replaced, runs on its own),
and the pattern is matched where the Sequential sees its children (`Sequential.forward`); each
layer's own forward and backward stay the definition.

The fused ops do the same float operations in the same order as the layers one by one and
take dropout's mask from the same counter-based stream, so a seed gives the same numbers bit
for bit with fusion on or off (forward, gradients, running statistics, later random draws). In
eval mode the same layers run unfused.

Turn it off to step through the layers one by one (teaching, debugging, profiling each op):

    from tinyreg.nn import fusion
    fusion.enabled(False)              # off from here on
    with fusion.enabled(False):        # off inside the block, restored after it
        loss = model(x).sum()
    fusion.is_enabled()                # True or False

The switch is one setting for the whole process (all threads), like torch.backends' flags.
"""

from __future__ import annotations

from types import TracebackType

from .. import validate as check

_enabled = True


def is_enabled() -> bool:
    """Whether Sequential fuses BatchNorm -> ReLU (-> Dropout) (True by default)."""
    return _enabled


class enabled:  # noqa: N801 - a function-like switch, as torch.set_grad_enabled
    """Turn fusion on (True) or off (False): as a call it takes effect at once and stays; as a
    context manager (`with fusion.enabled(False):`) the previous setting comes back at the end
    of the block, error or not."""

    def __init__(self, mode: bool) -> None:
        global _enabled
        mode = check.boolean("fusion.enabled", "mode", mode)
        self.previous = _enabled
        _enabled = mode

    def __enter__(self) -> enabled:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        global _enabled
        _enabled = self.previous
