"""`tinyreg playground`: regularization live in the browser, on the tinyreg engine.

A local server (Starlette on uvicorn, `pip install 'tinyreg[playground]'`) serves a page where a
learner picks the data, the network and every technique of `tinyreg compare` and of the toolbox,
changes their strengths while the network trains, and watches the decision boundary, the loss
curves, the weights and a second model side by side. The URL holds the whole configuration
(config.py); session.py trains; codegen.py writes the script that reproduces it; server.py is
the app; static/ is the page (plain Canvas, no library, works offline).

This module is the command: it listens on 127.0.0.1 unless --host says otherwise (then it warns),
prints `http://HOST:PORT/`, opens the browser unless --no-browser, and stops on Ctrl-C within a
few seconds (exit status 130).
"""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import socket
import threading
import time
import warnings
import webbrowser
from typing import Any

from ..options import UsageError, at_least
from .config import LIMITS

HELP = "regularization live in the browser (a local server and its page)"
PARSER: dict[str, Any] = {}
SHUTDOWN_SECONDS = 3.0  # Ctrl-C: the most the server gets to close its connections


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """playground's flags: where to listen, whether to open the browser, how many pages."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (127.0.0.1: this machine only; another "
                        "address lets other machines in, with a warning)")  # fmt: skip
    parser.add_argument("--port", type=at_least(0), default=8765,
                        help="port to listen on (8765; 0 picks a free one)")  # fmt: skip
    parser.add_argument("--no-browser", action="store_true", help="do not open the page")
    parser.add_argument("--max-sessions", type=at_least(1), default=LIMITS["sessions"],
                        help=f"pages served at once ({LIMITS['sessions']})")  # fmt: skip


def loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening (port 0: a free port); a UsageError saying
    why when the address cannot be used."""
    if port > 65535:
        raise UsageError(f"--port must be at most 65535, got {port}")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return sock


def run(args: argparse.Namespace) -> int:
    """Start the server, print its URL, open the page; serve until Ctrl-C (exit status 130)."""
    missing = [m for m in ("starlette", "uvicorn", "websockets")
               if importlib.util.find_spec(m) is None]  # fmt: skip
    if missing:
        raise UsageError(f"the playground needs {', '.join(missing)}: pip install "
                         "'tinyreg[playground]'")  # fmt: skip
    import uvicorn

    from .server import create_app

    if not loopback(args.host):
        warnings.warn(f"listening on {args.host}: anyone who can reach this machine on the "
                      "network can use the playground", stacklevel=1)  # fmt: skip
    sock = listen(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    config = uvicorn.Config(create_app(args.max_sessions), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.02)
        if not thread.is_alive():
            raise RuntimeError("the server did not start (see above)")
        print(f"tinyreg playground: {url} (Ctrl-C stops it)", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(SHUTDOWN_SECONDS / 2)
        server.force_exit = True
        thread.join(SHUTDOWN_SECONDS / 2)
        raise KeyboardInterrupt("the playground stopped") from None
    return 0
