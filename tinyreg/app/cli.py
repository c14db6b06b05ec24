"""The `tinyreg` command line: `tinyreg compare`, `tinyreg sweep` and
`tinyreg bench [kernels|train|startup]`.

Each command is a module that declares itself: HELP (one line), PARSER (argparse keywords such
as an epilog), `add_arguments(parser)` and `run(args) -> exit status`. This module only registers
them; a new command is a new module and one entry in COMMANDS.

Every flag is checked before any work starts; a bad one is reported in one line on stderr with
exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType
from typing import NoReturn

from .. import __version__
from . import bench, compare, sweep
from .options import UsageError

COMMANDS: dict[str, ModuleType] = {"compare": compare, "sweep": sweep, "bench": bench}


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the `tinyreg` command and of every command in COMMANDS."""
    parser = _Parser(prog="tinyreg", description="tinyreg: learn regularization by running it.")
    parser.add_argument("--version", action="version", version=f"tinyreg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        sub = commands.add_parser(name, help=module.HELP, **module.PARSER)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with `argv` (default sys.argv[1:]); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except UsageError as error:
        print(f"tinyreg {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinyreg {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
