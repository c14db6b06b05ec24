"""`tinyreg playground` as a user starts it: the real command in a subprocess on --port 0, its
URL, its page and files, the WebSocket protocol (bad values and bad messages answered, the server
serving on), the session limit, another site refused, and Ctrl-C within 5 s without a
traceback."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("websockets")
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/")


def start(*flags: str) -> tuple[subprocess.Popen, str]:
    """The playground command in a subprocess, and the URL it printed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "tinyreg.app.cli", "playground", "--no-browser", "--port", "0"]
    proc = subprocess.Popen([*command, *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)  # fmt: skip
    line = proc.stdout.readline()
    match = URL.search(line)
    if match is None:
        proc.kill()
        pytest.fail(f"no URL printed: {line!r} {proc.stderr.read()!r}")
    return proc, match.group(0)


def stop(proc: subprocess.Popen) -> tuple[float, int, str]:
    """Ctrl-C: (seconds until it exited, its exit status, its stderr)."""
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    return time.monotonic() - began, proc.returncode, err


@pytest.fixture(scope="module")
def server():
    proc, url = start("--max-sessions", "3")
    yield url
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


def messages(ws, until, limit: float = 20.0) -> list[dict]:
    """Messages received until one satisfies `until` (or the time limit)."""
    got, deadline = [], time.monotonic() + limit
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=deadline - time.monotonic()))
        got.append(message)
        if until(message):
            return got
    pytest.fail(f"waited {limit} s; got {[m['type'] for m in got]}")


@contextlib.contextmanager
def socket(url: str, query: str):
    """A WebSocket session that said hello with `query`."""
    with connect(url.replace("http", "ws") + "ws") as ws:
        ws.send(json.dumps({"type": "hello", "query": query}))
        yield ws


def finished(message: dict) -> bool:
    return message["type"] == "snapshot" and not message["a"]["state"]["running"]


def test_page_and_files_are_served_and_work_offline(server):
    with urllib.request.urlopen(server) as response:
        page = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    assert "window" not in page and '<script src="/static/app.js">' in page
    assert "default-src 'self'" in policy
    assert not re.search(r"(src|href)=\"https?://", page)  # nothing from elsewhere
    for name in ("app.js", "style.css"):
        with urllib.request.urlopen(f"{server}static/{name}") as response:
            assert response.status == 200
            assert not re.search(r"https?://", response.read().decode())
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{server}static/../config.py")


def test_a_session_trains_to_its_steps(server):
    with socket(server, "?run=1&steps=60&l1_prox=0.05") as ws:
        got = messages(ws, finished)
        kinds = [m["type"] for m in got]
        assert kinds[:3] == ["knobs", "config", "points"]
        last = got[-1]["a"]
        assert last["state"]["step"] == 60 and last["state"]["zero_fraction"] > 0
        ws.send(json.dumps({"type": "code", "model": "a"}))
        code = messages(ws, lambda m: m["type"] == "code")[-1]
        assert "reg.L1(0.05)" in code["text"] and "steps, batch_size = 60, 32" in code["text"]


def test_a_bad_value_is_an_error_naming_it_and_the_server_serves_on(server):
    with socket(server, "?dropout=2&lr=0.1") as ws:
        got = messages(ws, lambda m: m["type"] == "error")
        error = got[-1]
        assert error["field"] == "dropout" and error["value"] == "2"
        assert "dropout" in error["message"] and "'2'" in error["message"]
        config = next(m for m in got if m["type"] == "config")
        assert config["a"]["lr"] == 0.1 and config["a"]["dropout"] == 0.0  # the rest kept
        for bad in ["not json", json.dumps([1]), json.dumps({"type": "exec", "code": "1"}),
                    json.dumps({"type": "set", "values": {"hidden": "999"}}),
                    json.dumps({"type": "action", "action": "shutdown"}),
                    json.dumps({"type": "upload", "csv": "1,2\n3,4"}),
                    "x" * 200_000]:  # fmt: skip
            ws.send(bad)
            assert messages(ws, lambda m: m["type"] == "error")[-1]["message"]
        ws.send(json.dumps({"type": "set", "values": {"steps": 5, "run": 1}, "id": 9}))
        snap = messages(ws, lambda m: m["type"] == "snapshot" and m["applied"] == 9)[-1]
        assert snap["a"]["state"]["step"] <= 5
    with socket(server, "?run=1&steps=3") as ws:  # a new page is served as before
        assert messages(ws, finished)[-1]["a"]["state"]["step"] == 3


def test_sessions_are_limited_and_other_sites_refused(server):
    with contextlib.ExitStack() as stack:
        for _ in range(3):
            ws = stack.enter_context(socket(server, ""))
            # an idle page gets one snapshot; reading it lets websockets 12's client, which
            # holds one unread message at most, see the close at once
            messages(ws, lambda m: m["type"] == "snapshot")
        with pytest.raises(ConnectionClosed) as info:
            with socket(server, "") as extra:
                error = messages(extra, lambda m: m["type"] == "error")[-1]
                assert "3 pages at once" in error["message"]
                extra.recv(timeout=5)
        assert info.value.rcvd.code == 1013
    time.sleep(0.5)  # the server has seen the closes
    with socket(server, "?run=1&steps=2") as ws:
        assert messages(ws, finished)[-1]["a"]["state"]["step"] == 2
    ws_url = server.replace("http", "ws") + "ws"
    with pytest.raises(Exception, match="403|rejected|1008|closed"):
        with connect(ws_url, origin="http://evil.example") as ws:
            ws.send(json.dumps({"type": "hello", "query": ""}))
            ws.recv(timeout=5)


def test_ctrl_c_stops_it_within_5_s_without_a_traceback():
    proc, url = start()
    with socket(url, "?run=1") as ws:  # training while it stops
        messages(ws, lambda m: m["type"] == "snapshot")
        seconds, status, err = stop(proc)
    assert seconds < 5 and status == 130
    assert "Traceback" not in err and err.strip().splitlines() == [
        "tinyreg playground: interrupted; the playground stopped"]  # fmt: skip


def test_other_hosts_get_a_warning_and_bad_flags_a_usage_error():
    proc = subprocess.Popen([sys.executable, "-m", "tinyreg.app.cli", "playground",
                             "--no-browser", "--port", "0", "--host", "0.0.0.0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    line = proc.stdout.readline()
    _, status, err = stop(proc)
    assert "http://0.0.0.0:" in line and status == 130
    assert "warning: listening on 0.0.0.0" in err
    out = subprocess.run([sys.executable, "-m", "tinyreg.app.cli", "playground", "--port",
                          "70000", "--no-browser"], capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 2 and "--port" in out.stderr and "Traceback" not in out.stderr
