"""The playground's server: a Starlette app (served by uvicorn) with the page, its static files
and one WebSocket per page load.

Each WebSocket is one `session.Session`, stepped by a worker thread of its own (`Worker`): every
access to the session (a knob, a snapshot, the code) is a command the worker runs between two
training steps, so training runs as fast as the machine allows and the page is answered within a
step. A sender task asks the worker for a snapshot when something changed, at most
LIMITS["updates_per_second"] times a second, fewer when many pages share the machine
(`Playground.update_rate`).

What the page may send (JSON objects, each checked: size, type, fields; anything else is an
error message back, never a crash):

    {"type": "hello", "query": "?dropout=0.3&run=1"}     the URL's configuration (first)
    {"type": "set", "values": {"dropout": 0.3, "b.lr": 0.1}, "id": 7}
    {"type": "action", "action": "play" | "pause" | "step" | "reset" | "ab_on" | "ab_off"}
    {"type": "upload", "csv": "x1,x2,label\\n..."}       the learner's own points
    {"type": "code", "model": "a" | "b"}                 "Show the code"

What it receives: "config" (the configurations, the query string, the knobs' table), "points",
"snapshot" ({"a": ..., "b": ..., "playing", "applied": the last applied id}), "code" and
"error" ({"field", "value", "message"}). Limits per session (LIMITS): message size and rate,
network width and depth, data size; at most LIMITS["sessions"] sessions at once. The page reads
no file and runs no code on the server: every message is data, validated.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import codegen
from .config import KNOBS, LIMITS, PREFIX_B, ConfigError, parse_query, parse_value, to_query
from .session import Session

ACTIONS = ("play", "pause", "step", "reset", "ab_on", "ab_off")
UPDATE_BUDGET = 60.0  # snapshots a second, shared by the open pages (see Playground.update_rate)
MIN_UPDATES = 8.0
STATIC = resources.files(__package__) / "static"
# the page loads nothing from elsewhere and runs only its own script
CSP = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def same_origin(websocket: WebSocket) -> bool:
    """Whether a WebSocket comes from this server's own page (or from a program, which sends no
    Origin): another site open in the learner's browser must not drive a session."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host")


class Worker(threading.Thread):
    """The thread that owns one Session: runs the commands it is given (`call`), and between
    them, while the session plays, training steps."""

    def __init__(self, session: Session, loop: asyncio.AbstractEventLoop):
        super().__init__(daemon=True, name="tinyreg-playground-session")
        self.session, self.loop = session, loop
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self.closed = False

    def run(self) -> None:
        """Commands first, then one step; sleep on the queue when there is nothing to train."""
        while not self.closed:
            training = self.session.playing and not self.session.done
            try:
                command = self.commands.get(block=not training, timeout=None if training else 0.2)
            except queue.Empty:
                command = None
            if command is not None:
                self._run(*command)
            elif training:
                self.session.step()

    def _run(self, fn: Callable[[Session], Any], future: asyncio.Future) -> None:
        try:
            result, error = fn(self.session), None
        except Exception as exc:  # noqa: BLE001 - handed to the coroutine that asked
            result, error = None, exc

        def settle() -> None:
            if future.cancelled():
                return
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        self.loop.call_soon_threadsafe(settle)

    async def call(self, fn: Callable[[Session], Any]) -> Any:
        """fn(session), run by the worker between two steps; its result (or its error)."""
        future = self.loop.create_future()
        self.commands.put((fn, future))
        return await future

    def close(self) -> None:
        """Stop after the current step (the thread ends within one step or 0.2 s)."""
        self.closed = True
        self.commands.put(None)


def knob_table() -> list[dict[str, Any]]:
    """The knobs as the page builds its controls from them."""
    return [{**asdict(k), "default": list(k.default) if k.kind == "widths" else k.default}
            for k in KNOBS.values()]  # fmt: skip


def error_message(error: Exception) -> dict[str, Any]:
    """An "error" message: the field and value of a ConfigError, else the text."""
    field = getattr(error, "field", None)
    value = getattr(error, "value", None)
    return {"type": "error", "field": field, "value": None if value is None else str(value),
            "message": str(error)}  # fmt: skip


def start_session(query: Any) -> tuple[Session, list[dict[str, Any]]]:
    """A Session from the page's query string, and an error message for each bad field (the
    bad fields are left at their defaults, and `run` is off so that the learner reads them)."""
    if not isinstance(query, str) or len(query) > 4096:
        raise ConfigError("query", str(query)[:40], "the page's query string")
    good, errors = [], []
    for field, raw in parse_qsl(query.lstrip("?"), keep_blank_values=True):
        try:
            if field != PREFIX_B:
                parse_value(field, raw)
            good.append((field, raw))
        except ConfigError as error:
            errors.append(error_message(error))
    try:
        a, b = parse_query(dict(good))
        session = Session(a, b)
    except ConfigError as error:
        errors.append(error_message(error))
        a, b = parse_query({})
        session = Session(a, b)
    if errors:
        session.playing = False
    return session, errors


def config_message(session: Session) -> dict[str, Any]:
    """The "config" message: both configurations and the query string that holds them."""
    a, b = session.configs["a"], session.configs.get("b")
    plain = {k: {n: list(v) if isinstance(v, tuple) else v for n, v in c.items()}
             for k, c in session.configs.items()}  # fmt: skip
    return {"type": "config", **plain, "query": to_query(a, b), "playing": session.playing}


class Snapshots:
    """Builds snapshots for one page, sending curves incrementally and nothing when nothing
    changed since the last one."""

    def __init__(self) -> None:
        self.last: Any = None
        self.curves: dict[str, int] = {}
        self.applied: Any = None
        self.wake = asyncio.Event()  # set after a change: the next snapshot goes out at once

    def reset(self) -> None:
        """After a rebuild the page starts its curves again."""
        self.last, self.curves = None, {}

    def __call__(self, session: Session) -> dict[str, Any] | None:
        """The snapshot message, or None when nothing changed."""
        key = (
            session.playing,
            self.applied,
            tuple((id(x), x.step_count, x.revision, x.done) for x in session.learners.values()),
        )
        if key == self.last:
            return None
        if self.last is not None and {id(x) for x in session.learners.values()} != {
                i for i, *_ in self.last[2]}:  # fmt: skip
            self.curves = {}
        self.last = key
        message: dict[str, Any] = {"type": "snapshot", "playing": session.playing,
                                   "applied": self.applied}  # fmt: skip
        for name, learner in session.learners.items():
            since = self.curves.get(name, 0)
            message[name] = learner.snapshot(session.playing, since)
            self.curves[name] = learner.epoch
        return message


def check_message(text: Any) -> dict[str, Any]:
    """A message from the page, parsed and checked (a ConfigError naming what is wrong)."""
    if not isinstance(text, str) or len(text) > LIMITS["message_bytes"]:
        raise ConfigError(
            "message",
            f"{len(text or '')} characters",
            f"a text message of at most {LIMITS['message_bytes']} bytes",
        )
    try:
        message = json.loads(text)
    except ValueError:
        raise ConfigError("message", text[:40], "a JSON object") from None
    kind = message.get("type") if isinstance(message, dict) else None
    fields = {"hello": {"query": str}, "set": {"values": dict}, "action": {"action": str},
              "upload": {"csv": str}, "code": {"model": str}}  # fmt: skip
    if kind not in fields:
        raise ConfigError("type", kind, f"one of {', '.join(fields)}")
    for name, kind_of in fields[kind].items():
        if not isinstance(message.get(name), kind_of):
            raise ConfigError(name, message.get(name), f"a {kind_of.__name__}")
    if kind == "set" and len(message["values"]) > len(KNOBS) * 2:
        raise ConfigError("values", f"{len(message['values'])} entries", "one per knob")
    if kind == "action" and message["action"] not in ACTIONS:
        raise ConfigError("action", message["action"], f"one of {', '.join(ACTIONS)}")
    if kind == "code" and message["model"] not in ("a", "b"):
        raise ConfigError("model", message["model"], "a or b")
    return message


def _action(session: Session, action: str) -> None:
    """Run a page action on the session (in the worker)."""
    if action == "play":
        session.play()
    elif action == "pause":
        session.playing = False
    elif action == "step":
        session.playing = False
        session.step()
    elif action == "reset":
        session.rebuild()
    elif action == "ab_on":
        session.add_b()
    else:
        session.drop_b()


def _code(session: Session, model: str) -> dict[str, Any]:
    learner = session.learners.get(model, session.learners["a"])
    steps = learner.config["steps"] or max(learner.step_count, 1)
    return {"type": "code", "model": model, "text": codegen.script(learner.config, steps)}


class Playground:
    """The app's state: the sessions open now (at most LIMITS["sessions"])."""

    def __init__(self, max_sessions: int = LIMITS["sessions"]):
        self.max_sessions = max_sessions
        self.sessions = 0

    async def page(self, request: Any) -> Response:
        """The page (index.html)."""
        return HTMLResponse(
            (STATIC / "index.html").read_text(),
            headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"},
        )

    async def socket(self, websocket: WebSocket) -> None:
        """One page's session, from its hello to its close."""
        if not same_origin(websocket):
            await websocket.close(code=1008)
            return
        await websocket.accept()
        if self.sessions >= self.max_sessions:
            busy = f"the playground serves {self.max_sessions} pages at once; try again later"
            await websocket.send_text(json.dumps(error_message(RuntimeError(busy))))
            await websocket.close(code=1013)
            return
        self.sessions += 1
        try:
            await self._serve(websocket)
        except WebSocketDisconnect:
            pass
        finally:
            self.sessions -= 1

    async def _serve(self, websocket: WebSocket) -> None:
        send = websocket.send_text
        try:
            hello = check_message(await websocket.receive_text())
            if hello["type"] != "hello":
                raise ConfigError("type", hello["type"], "hello first")
            session, errors = start_session(hello["query"])
        except ConfigError as error:
            await send(json.dumps(error_message(error)))
            await websocket.close(code=1008)
            return
        worker = Worker(session, asyncio.get_running_loop())
        worker.start()
        snapshots = Snapshots()
        sender = asyncio.create_task(self._send_snapshots(websocket, worker, snapshots))
        try:
            await send(json.dumps({"type": "knobs", "knobs": knob_table(), "limits": LIMITS}))
            await send(json.dumps(config_message(session)))
            await send(json.dumps(session.points_message()))
            for error in errors:
                await send(json.dumps(error))
            await self._receive(websocket, worker, snapshots)
        finally:
            sender.cancel()
            worker.close()

    async def _receive(self, websocket: WebSocket, worker: Worker, snapshots: Snapshots) -> None:
        """Read, check and apply the page's messages, at most LIMITS["messages_per_second"]."""
        send = websocket.send_text
        window, count = time.monotonic(), 0
        while True:
            text = await websocket.receive_text()
            now = time.monotonic()
            window, count = (now, 0) if now - window >= 1 else (window, count)
            count += 1
            if count > LIMITS["messages_per_second"]:
                if count == LIMITS["messages_per_second"] + 1:
                    await send(json.dumps(error_message(RuntimeError(
                        f"more than {LIMITS['messages_per_second']} messages a second; "
                        "some were dropped"))))  # fmt: skip
                continue
            try:
                message = check_message(text)
                reply = await worker.call(lambda s, m=message: self._apply(s, m, snapshots))
            except (ConfigError, ValueError, TypeError) as error:
                await send(json.dumps(error_message(error)))
                continue
            snapshots.wake.set()
            for item in reply:
                await send(json.dumps(item))

    @staticmethod
    def _apply(session: Session, message: dict[str, Any], snapshots: Snapshots
               ) -> list[dict[str, Any]]:  # fmt: skip
        """Apply one checked message in the worker; the messages to send back."""
        kind = message["type"]
        if kind == "code":
            return [_code(session, message["model"])]
        points = session.points
        if kind == "set":
            session.set(message["values"])
        elif kind == "upload":
            session.upload(message["csv"])
        elif kind == "action":
            _action(session, message["action"])
        else:
            raise ConfigError("type", kind, "hello only once")
        snapshots.applied = message.get("id")
        replies = [config_message(session)]
        if session.points is not points:
            replies.append(session.points_message())
        return replies

    def update_rate(self) -> float:
        """Snapshots a second for each page: UPDATE_BUDGET shared by the pages open, at most
        LIMITS["updates_per_second"] and at least MIN_UPDATES each (a snapshot costs about as
        much as a few training steps, so many pages at full rate would starve training)."""
        share = UPDATE_BUDGET / max(self.sessions, 1)
        return max(MIN_UPDATES, min(LIMITS["updates_per_second"], share))

    async def _send_snapshots(self, websocket: WebSocket, worker: Worker, snapshots: Snapshots
                              ) -> None:  # fmt: skip
        """A snapshot whenever something changed, at most `update_rate()` a second while
        training, and at once after a change from the page."""
        while True:
            start = time.monotonic()
            snapshots.wake.clear()
            message = await worker.call(snapshots)
            if message is not None:
                await websocket.send_text(json.dumps(message))
            wait = max(0.0, 1 / self.update_rate() - (time.monotonic() - start))
            try:
                await asyncio.wait_for(snapshots.wake.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass


def create_app(max_sessions: int = LIMITS["sessions"]) -> Starlette:
    """The Starlette app: "/" the page, "/static" its files, "/ws" the sessions."""
    playground = Playground(max_sessions)
    routes = [
        Route("/", playground.page),
        WebSocketRoute("/ws", playground.socket),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.playground = playground
    return app
