"""The `tinyreg` command line: `tinyreg compare`, `tinyreg sweep`, `tinyreg playground` and
`tinyreg bench [kernels|train|startup|playground]`.

Each command is a module that declares itself: HELP (one line), PARSER (argparse keywords such
as an epilog), `add_arguments(parser)` and `run(args) -> exit status`. This module only registers
them; a new command is a new module and one entry in COMMANDS.

Exit statuses, and what stderr says (always one line, never a traceback unless `--debug`):

    0    done
    2    a usage error: a bad flag, found before any work starts ("tinyreg sweep: error: ...")
    1    a failure while working: every trial failed, a worker or the scheduler lost, a full disk,
         out of memory ("tinyreg sweep: error: ...")
    130  Ctrl-C ("tinyreg sweep: interrupted ...")

`--debug` (before or after the command) adds the traceback. Warnings are one line each
("tinyreg sweep: warning: ...").
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from types import ModuleType
from typing import Any, NoReturn

from .. import __version__
from . import bench, compare, playground, sweep
from .options import UsageError

# loky's resource tracker, a process of its own that a parallel compare or sweep starts and that
# writes to this stderr, can warn on shutdown about a semaphore of a worker that Ctrl-C stopped
# (a race in loky's cleanup, seen with joblib 1.5.0): not the user's concern, and the CLI's
# stderr is one line. Given to the tracker through the environment it inherits.
QUIET_TRACKER = "ignore::UserWarning:joblib.externals.loky.backend.resource_tracker"

COMMANDS: dict[str, ModuleType] = {
    "compare": compare,
    "sweep": sweep,
    "bench": bench,
    "playground": playground,
}


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the `tinyreg` command and of every command in COMMANDS."""
    parser = _Parser(prog="tinyreg", description="tinyreg: learn regularization by running it.")
    parser.add_argument("--version", action="version", version=f"tinyreg {__version__}")
    debug = "print the traceback of an error"
    parser.add_argument("--debug", action="store_true", help=debug)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        sub = commands.add_parser(name, help=module.HELP, **module.PARSER)
        module.add_arguments(sub)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug)
        sub.set_defaults(handler=module.run)
    return parser


def _say(command: str, text: str) -> None:
    """One line on stderr: "tinyreg COMMAND: text" (newlines in `text` folded)."""
    print(f"tinyreg {command}: {' '.join(text.split())}", file=sys.stderr, flush=True)


def _describe(error: BaseException) -> str:
    """An error in words: its message (tinyreg's name the function and the argument), with the
    type for errors that are not tinyreg's usual ones."""
    text = str(error).strip()
    if isinstance(error, MemoryError):
        return f"out of memory (MemoryError{': ' + text if text else ''})"
    if isinstance(error, ValueError | TypeError | OSError | RuntimeError) and text:
        return text
    return f"{type(error).__name__}{': ' + text if text else ''} (--debug shows where)"


def main(argv: list[str] | None = None) -> int:
    """Run the command line with `argv` (default sys.argv[1:]); returns the exit status (see
    the module's table)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    command, debug = args.command, args.debug
    inherited = os.environ.get("PYTHONWARNINGS", "")
    if QUIET_TRACKER not in inherited:
        os.environ["PYTHONWARNINGS"] = f"{inherited},{QUIET_TRACKER}".lstrip(",")

    def one_line(message: Any, category: type, *rest: Any, **kwargs: Any) -> None:
        _say(command, f"warning: {message}")

    with warnings.catch_warnings():
        warnings.showwarning = one_line
        try:
            return args.handler(args)
        except UsageError as error:
            _say(command, f"error: {error}")
            return 2
        except KeyboardInterrupt as error:
            if debug:
                traceback.print_exc()
            _say(command, f"interrupted{'; ' + str(error) if str(error) else ''}")
            return 130
        except Exception as error:  # noqa: BLE001 - the CLI's last word: one line, status 1
            if debug:
                traceback.print_exc()
            _say(command, f"error: {_describe(error)}")
            return 1


if __name__ == "__main__":
    sys.exit(main())
